import type { Finding } from '../findings.js';
import type { ParsedMessage } from '../message/parse-message.js';
import type { Classifier } from '../policy/classify.js';
import type { Policy } from '../policy/policy.js';
import type { RecipientView } from '../result.js';

/** What every rule sees: the parsed message, the policy, and the classified recipients. */
export interface RuleContext {
  parsed: ParsedMessage;
  policy: Policy;
  classifier: Classifier;
  visible: RecipientView[];
  blind: RecipientView[];
  reply: RecipientView[];
  /** Other addresses every reader sees (MessageResult.recipients.shown). */
  shown: RecipientView[];
  /** Checked without an SMTP envelope: a message at rest (a draft, a stored copy), not one in transit. */
  draft: boolean;
  /** Added to header-relative line numbers to make them file-relative (mbox, transcripts). RecipientView lines already include it. */
  lineOffset: number;
}

export type Rule = (ctx: RuleContext) => Finding[];

/** Distinct external addresses and parties in a list of recipients. */
export function externalSummary(list: RecipientView[]): { addresses: string[]; parties: Set<string> } {
  const seen = new Set<string>();
  const parties = new Set<string>();
  for (const r of list) {
    if (r.internal || seen.has(r.address)) continue;
    seen.add(r.address);
    parties.add(r.party);
  }
  return { addresses: [...seen], parties };
}
