import type { Finding } from '../findings.js';
import { BLIND_FIELDS, type ParsedMessage } from '../message/parse-message.js';
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
  /** In transit: the envelope's recipients, each normalised as header addresses are and lower-cased
   * (who actually receives the message). Absent for a message at rest. */
  envelopeRecipients?: ReadonlySet<string>;
  /** Added to header-relative line numbers to make them file-relative (mbox, transcripts). RecipientView lines already include it. */
  lineOffset: number;
  /** externalSummary(visible): worked out once per message, for the rules and the result's counts. */
  visibleSummary: ExternalSummary;
  /** Where the reading of `shown` stopped, past MAX_ADDRESSES_PER_MESSAGE with the mailboxes
   * (field and header-relative line); absent when every address shown was read. */
  shownOver?: { field: string; line: number };
}

export type Rule = (ctx: RuleContext) => Finding[];

export interface ExternalSummary {
  /** Distinct external addresses, in order of first appearance. */
  addresses: string[];
  /** How many distinct parties those addresses belong to. */
  parties: number;
  /** The table behind it (party -> its first address, or a set of them), which a summary of
   * more recipients after these continues from (externalSummary's `after`). Only a summary made
   * from scratch has it: nothing continues from a continued one. */
  readonly byParty?: ReadonlyMap<string, string | ReadonlySet<string>>;
}

/**
 * Distinct external addresses and parties in a list of recipients. Its callers keep what they
 * need: checkMessage works out the visible list's once (RuleContext.visibleSummary), which the
 * rules and the result's counts share. (A WeakMap from list to summary did that before; one entry
 * per message cost a fifth of this function in bench scenario 1, and weak tables slow every GC.)
 * A recipient's party is a function of its address, so an address at a party not seen yet is
 * new: one table keyed by party, holding its first address (or a set once a party has several),
 * finds both. Two sets, of every address and of every party, cost twice the hashing and memory
 * for the header of 200,000 distinct domains (bench scenario 11).
 * With `after`: the summary of after's list followed by `list` (continuedSummary).
 */
export function externalSummary(list: readonly RecipientView[], after?: ExternalSummary): ExternalSummary {
  if (after !== undefined) {
    if (after.byParty === undefined) throw new Error('externalSummary: a continued summary cannot be continued');
    return continuedSummary(after, after.byParty, list);
  }
  const byParty = new Map<string, string | Set<string>>();
  const addresses: string[] = [];
  // Indexed: see checkMessage's loop (a for-of step allocates where this runs once per message).
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (r.internal) continue;
    const known = byParty.get(r.party);
    if (known === undefined) byParty.set(r.party, r.address);
    else if (typeof known === 'string') {
      if (known === r.address) continue;
      byParty.set(r.party, new Set([known, r.address]));
    } else if (known.has(r.address)) continue;
    else known.add(r.address);
    addresses.push(r.address);
  }
  return { addresses, parties: byParty.size, byParty };
}

/**
 * externalSummary of `before`'s list followed by `list`, without going through `before`'s list
 * again: its table is read, not copied, and what `list` adds goes into a table of its own. (The
 * exposure rule counts the visible list, summarised already, with the reply and shown addresses
 * after it: a header of 250,000 mailboxes with addresses in their names went through 500,000
 * views here, the visible half twice; bench scenario 11.)
 */
function continuedSummary(before: ExternalSummary, known: NonNullable<ExternalSummary['byParty']>, list: readonly RecipientView[]): ExternalSummary {
  const byParty = new Map<string, string | Set<string>>();
  const added: string[] = [];
  let parties = before.parties;
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (r.internal) continue;
    const earlier = known.get(r.party);
    if (earlier !== undefined && (earlier === r.address || (typeof earlier !== 'string' && earlier.has(r.address)))) continue;
    const mine = byParty.get(r.party);
    if (mine === undefined) {
      byParty.set(r.party, r.address);
      if (earlier === undefined) parties++;
    } else if (typeof mine === 'string') {
      if (mine === r.address) continue;
      byParty.set(r.party, new Set([mine, r.address]));
    } else if (mine.has(r.address)) continue;
    else mine.add(r.address);
    added.push(r.address);
  }
  return { addresses: added.length === 0 ? before.addresses : before.addresses.concat(added), parties };
}

// Both body rules skip addresses the header already shows (not Bcc's: a Bcc list pasted into the
// body shows every reader who was meant to stay hidden). Built only when a part or attachment
// has addresses to compare, and once per message: for the header of 200,000 distinct recipients it
// is 200,000 lower-cased copies in a hash set, and most bodies have no address at all (bench
// scenarios 1 and 11).
const headerSets = new WeakMap<ParsedMessage, ReadonlySet<string>>();

const BLIND: ReadonlySet<string> = new Set(BLIND_FIELDS);

/** Every header address of the message a reader sees (not Bcc's), lower-cased (computed once per parsed message). */
export function headerAddresses(parsed: ParsedMessage): ReadonlySet<string> {
  let set = headerSets.get(parsed);
  if (!set) {
    const seen = new Set<string>();
    const { addresses } = parsed;
    for (let i = 0; i < addresses.length; i++) if (!BLIND.has(addresses[i]!.field)) seen.add(addresses[i]!.mailbox.address.toLowerCase());
    set = seen;
    headerSets.set(parsed, set);
  }
  return set;
}
