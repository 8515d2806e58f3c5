// What to relay for one message: check it, then block it, rewrite it (Bcc or split) or pass it,
// and build each SMTP transaction (bytes without any Bcc field, and an explicit envelope).
// Pure: bytes and a policy in, a plan out. The CLI, sendmail and the proxy share it.

import { checkMessage } from '../analyse.js';
import { MailguardError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { Envelope } from '../message/envelope.js';
import { headerRecipients } from '../message/header-recipients.js';
import { parseMessage } from '../message/parse-message.js';
import type { OnViolation } from '../policy/config.js';
import type { Policy } from '../policy/policy.js';
import type { MessageResult } from '../result.js';
import { rewriteToBcc, splitMessage, type RewritePlan } from '../rewrite/index.js';
import { stripBcc, stripLeadingEnvelope } from '../rewrite/strip-bcc.js';

export interface PlanOptions {
  onViolation: OnViolation;
  /** The envelope the input came with (SMTP transcript, proxy); else it is read from the header. */
  envelope?: Envelope;
  /** MAIL FROM to use instead of the envelope's or the header's sender. */
  mailFrom?: string;
  /** Source name carried into the check result. */
  source?: string;
  /** Line offset of the message within its file, for the check result. */
  lineOffset?: number;
}

export interface Transaction {
  /** The bytes to send: the final message, with no Bcc or Resent-Bcc field. */
  bytes: Uint8Array;
  envelope: Envelope;
}

export type PlanOutcome =
  /** Send the transactions. */
  | 'send'
  /** The policy blocks it (exit 1). */
  | 'block'
  /** It cannot be sent safely: unreadable, ambiguous, no recipients or sender (exit 2). */
  | 'refuse';

export interface DeliveryPlan {
  outcome: PlanOutcome;
  /** The check of the message as it came in. */
  result: MessageResult;
  /** Why it is blocked or refused. */
  reason?: string;
  hint?: string;
  /** The findings that block it. */
  blocking: Finding[];
  /** The rewrite applied (bcc / split), if any. */
  rewrite?: RewritePlan;
  transactions: Transaction[];
}

const UNSAFE = new Set(['AMBIGUOUS_RECIPIENT', 'MALFORMED_HEADER']);

/** The envelope sender a message's header gives: Resent-Sender/Resent-From when resent, else Sender, From. */
export function headerSender(bytes: Uint8Array): string | undefined {
  const parsed = parseMessage(bytes);
  const first = (field: string) => parsed.addresses.find((a) => a.field === field)?.mailbox.address;
  const resent = parsed.addresses.some((a) => a.field === 'resent-to' || a.field === 'resent-cc' || a.field === 'resent-bcc');
  if (resent) return first('resent-sender') ?? first('resent-from') ?? first('sender') ?? first('from');
  return first('sender') ?? first('from');
}

/** Plans the relaying of one message. Never throws for a message's content: it refuses instead. */
export function planDelivery(input: Uint8Array, policy: Policy, options: PlanOptions): DeliveryPlan {
  // A BOM or a leading mbox `From ` line is not part of the message: never relayed.
  const { bytes, lines: dropped } = stripLeadingEnvelope(input);
  const checkOptions: Parameters<typeof checkMessage>[2] = {};
  if (options.source !== undefined) checkOptions.source = options.source;
  if (options.envelope) checkOptions.envelope = options.envelope;
  if (options.lineOffset !== undefined || dropped > 0) checkOptions.lineOffset = (options.lineOffset ?? 0) + dropped;
  const result = checkMessage(bytes, policy, checkOptions);
  const blocking = result.findings.filter((f) => f.severity === 'error');
  const plan: DeliveryPlan = { outcome: 'send', result, blocking, transactions: [] };
  const refuse = (reason: string, hint?: string): DeliveryPlan => {
    plan.outcome = 'refuse';
    plan.reason = reason;
    if (hint !== undefined) plan.hint = hint;
    plan.transactions = [];
    return plan;
  };

  if (result.verdict === 'error') return refuse('not a message that can be sent');
  const mode = options.onViolation;
  const exposed = result.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS');
  const unsafe = result.findings.some((f) => UNSAFE.has(f.code));
  const rewrite = (mode === 'bcc' || mode === 'split') && (exposed || unsafe) && (result.verdict === 'block' || result.verdict === 'warn');

  if (!rewrite && mode !== 'warn' && result.verdict === 'block') {
    plan.outcome = 'block';
    return plan;
  }
  plan.blocking = mode === 'warn' ? blocking : [];

  try {
    if (rewrite && mode === 'split') {
      const split = splitMessage(bytes, policy);
      plan.rewrite = split.plan;
      // A finding the split does not cure (say, a Reply-To list) still blocks.
      const still = split.messages.map((m) => checkMessage(m.bytes, policy)).find((r) => r.verdict === 'block');
      if (still) return blockAfterRewrite(plan, still);
      const mailFrom = options.mailFrom ?? options.envelope?.mailFrom ?? headerSender(bytes);
      if (mailFrom === undefined) return refuse('no envelope sender: the message has no readable From.', 'Give --from ADDRESS.');
      const allowed = options.envelope ? new Set(options.envelope.rcptTo) : undefined;
      const covered = new Set<string>();
      for (const copy of split.messages) {
        const rcptTo = allowed ? copy.recipients.filter((r) => allowed.has(r)) : copy.recipients;
        copy.recipients.forEach((r) => covered.add(r));
        if (rcptTo.length > 0) plan.transactions.push({ bytes: stripBcc(copy.bytes), envelope: { mailFrom, rcptTo } });
      }
      // Envelope recipients no header names (blind copies of a transcript): one Bcc-safe copy.
      const hidden = options.envelope ? [...new Set(options.envelope.rcptTo)].filter((r) => !covered.has(r)) : [];
      if (hidden.length > 0) {
        const bcc = rewriteToBcc(bytes, policy);
        plan.transactions.push({ bytes: stripBcc(bcc.bytes), envelope: { mailFrom, rcptTo: hidden } });
      }
    } else {
      let final = bytes;
      if (rewrite) {
        const bcc = rewriteToBcc(bytes, policy);
        plan.rewrite = bcc.plan;
        final = bcc.bytes;
        const after = checkMessage(final, policy);
        if (after.verdict === 'block') return blockAfterRewrite(plan, after);
      }
      const rcptTo = options.envelope ? [...new Set(options.envelope.rcptTo)] : headerRecipients(final);
      if (rcptTo.length === 0) return refuse('no recipients: To, Cc and Bcc are empty.');
      const mailFrom = options.mailFrom ?? options.envelope?.mailFrom ?? headerSender(final);
      if (mailFrom === undefined) return refuse('no envelope sender: the message has no readable From.', 'Give --from ADDRESS.');
      plan.transactions.push({ bytes: stripBcc(final), envelope: { mailFrom, rcptTo } });
    }
  } catch (err) {
    if (err instanceof MailguardError && err.code === 'EREWRITE') return refuse(err.message, err.hint);
    throw err;
  }
  if (plan.transactions.length === 0) return refuse('no recipients left to send to.');
  return plan;
}

function blockAfterRewrite(plan: DeliveryPlan, after: MessageResult): DeliveryPlan {
  plan.outcome = 'block';
  plan.blocking = after.findings.filter((f) => f.severity === 'error');
  plan.transactions = [];
  return plan;
}
