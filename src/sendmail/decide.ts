// Decides what sendmail delivers: the message as it is, a Bcc rewrite, split copies, or nothing.
// Pure: the prepared message and the policy in, the deliveries out. Every rewritten message is
// checked again before it is handed out, so nothing that would still be blocked is ever sent.

import { checkMessage } from '../analyse.js';
import { MailguardError } from '../errors.js';
import type { Envelope } from '../message/envelope.js';
import { readHeaderBlock } from '../message/header-block.js';
import type { OnViolation } from '../policy/config.js';
import type { Policy } from '../policy/policy.js';
import type { MessageResult } from '../result.js';
import { addressAsHeaderText } from '../rewrite/bcc.js';
import { editFields, headerNewline } from '../rewrite/edit-fields.js';
import { rewriteToBcc, splitMessage, stripBcc, type RewritePlan } from '../rewrite/index.js';
import type { SendmailMessage } from './envelope.js';

export interface Delivery {
  bytes: Uint8Array;
  envelope: Envelope;
}

export interface SendmailDecision {
  /** The check of the message as the caller gave it (after Bcc removal and added fields). */
  result: MessageResult;
  /** deliver: send `deliveries`; block: refused by policy; unreadable: not a message. */
  action: 'deliver' | 'block' | 'unreadable';
  deliveries: Delivery[];
  /** What the rewrite did (onViolation bcc or split). */
  rewrite?: RewritePlan;
  /** Why a wanted rewrite was not done (the message is then blocked). */
  refused?: string;
  /** The message violated the policy and went out anyway (onViolation warn). */
  warnedOnly?: boolean;
}

const blocked = (result: MessageResult, refused?: string): SendmailDecision => {
  const d: SendmailDecision = { result, action: 'block', deliveries: [] };
  if (refused !== undefined) d.refused = refused;
  return d;
};

const stillBlocked = (r: MessageResult) => r.verdict === 'block' || r.verdict === 'error';

/** Adds `Bcc: hidden...` so the split gives each envelope-only recipient a copy of their own. */
function withHiddenAsBcc(bytes: Uint8Array, hidden: readonly string[]): Uint8Array {
  if (hidden.length === 0) return bytes;
  const header = readHeaderBlock(bytes);
  const field = Buffer.from(`Bcc: ${hidden.map(addressAsHeaderText).join(', ')}${headerNewline(header)}`, 'utf8');
  return editFields(bytes, header, [], [field]);
}

function rewriteRefusal(err: unknown): string {
  if (err instanceof MailguardError && (err.code === 'EREWRITE' || err.code === 'ECONFIG')) return err.message;
  throw err;
}

export function decideSendmail(message: SendmailMessage, policy: Policy, onViolation: OnViolation, source = 'stdin'): SendmailDecision {
  const { bytes, envelope } = message;
  const result = checkMessage(bytes, policy, { source, envelope });
  if (result.verdict === 'error') return { result, action: 'unreadable', deliveries: [] };
  if (result.verdict !== 'block') return { result, action: 'deliver', deliveries: [{ bytes, envelope }] };

  switch (onViolation) {
    case 'block':
      return blocked(result);
    case 'warn':
      return { result, action: 'deliver', deliveries: [{ bytes, envelope }], warnedOnly: true };
    case 'bcc': {
      let rewritten: ReturnType<typeof rewriteToBcc>;
      try {
        rewritten = rewriteToBcc(bytes, policy);
      } catch (err) {
        return blocked(result, rewriteRefusal(err));
      }
      const out = stripBcc(rewritten.bytes);
      const env: Envelope = { mailFrom: envelope.mailFrom, rcptTo: [...new Set([...envelope.rcptTo, ...rewritten.plan.addedRecipients])] };
      const again = checkMessage(out, policy, { source, envelope: env });
      if (stillBlocked(again)) return blocked(result, 'the message is still blocked after moving the external recipients to Bcc');
      return { result, action: 'deliver', deliveries: [{ bytes: out, envelope: env }], rewrite: rewritten.plan };
    }
    case 'split': {
      const wanted = new Set(envelope.rcptTo);
      const shown = new Set(result.recipients.visible.map((r) => r.address));
      const hidden = envelope.rcptTo.filter((a) => !shown.has(a));
      let split: ReturnType<typeof splitMessage>;
      try {
        split = splitMessage(withHiddenAsBcc(bytes, hidden), policy);
      } catch (err) {
        return blocked(result, rewriteRefusal(err));
      }
      const deliveries: Delivery[] = [];
      const covered = new Set<string>();
      for (const copy of split.messages) {
        // Without -t the envelope decides who receives the message: a header address that is not
        // an envelope recipient gets no copy.
        const rcptTo = copy.recipients.filter((a) => wanted.has(a) && !covered.has(a));
        if (rcptTo.length === 0) continue;
        for (const a of rcptTo) covered.add(a);
        const env: Envelope = { mailFrom: envelope.mailFrom, rcptTo };
        const out = stripBcc(copy.bytes);
        if (stillBlocked(checkMessage(out, policy, { source, envelope: env }))) return blocked(result, 'a split copy would still be blocked');
        deliveries.push({ bytes: out, envelope: env });
      }
      const missed = envelope.rcptTo.filter((a) => !covered.has(a));
      if (missed.length > 0) return blocked(result, `the split left ${missed.length} envelope recipient(s) without a copy`);
      return { result, action: 'deliver', deliveries, rewrite: split.plan };
    }
  }
}
