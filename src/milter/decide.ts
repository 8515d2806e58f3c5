// The milter's one call into the shared decision, and what the MTA is told for each outcome.
// Pure: the collected message and envelope in, milter replies out.
//
// `decideForMilter` is the only place that knows which decision function is used: today the
// relay plan (src/relay/plan.ts); when src/decide lands it becomes one call to decideDelivery
// with onViolation 'hold' passed through.

import { checkMessage } from '../analyse.js';
import type { Finding } from '../findings.js';
import type { Envelope } from '../message/envelope.js';
import type { Policy } from '../policy/policy.js';
import { blockReply, REPLIES, type SmtpReply } from '../proxy/replies.js';
import { planDelivery } from '../relay/plan.js';
import type { MessageResult } from '../result.js';
import type { RewritePlan } from '../rewrite/plan.js';
import type { MilterReply } from './codec.js';
import { applyHeaderEdits, planHeaderEdits, sameHeader, type HeaderEdit, type MilterField } from './header-edits.js';
import { MILTER_MAX_QUARANTINE_REASON_CHARS, MILTER_MAX_REPLY_PACKET_BYTES } from './limits.js';

/** What the milter does with a message the policy blocks. `split` is refused at start-up. */
export type MilterViolationAction = 'block' | 'bcc' | 'hold';

export interface MilterDecision {
  action: 'send' | 'block' | 'hold' | 'refuse';
  result: MessageResult;
  blocking: Finding[];
  /** The bytes to deliver (send): header edits are computed from them. */
  final?: Uint8Array;
  reason?: string;
  rewrite?: RewritePlan;
}

/** The shared decision, mapped to the milter's four outcomes. */
export function decideForMilter(bytes: Uint8Array, policy: Policy, onViolation: MilterViolationAction, envelope: Envelope): MilterDecision {
  const plan = planDelivery(bytes, policy, { onViolation: onViolation === 'hold' ? 'block' : onViolation, envelope, source: 'milter' });
  const d: MilterDecision = { action: plan.outcome === 'block' && onViolation === 'hold' ? 'hold' : plan.outcome, result: plan.result, blocking: plan.blocking };
  if (plan.transactions.length > 1) return { ...d, action: 'refuse', reason: 'the decision needs several transactions, which a milter cannot send' };
  if (plan.transactions[0]) d.final = plan.transactions[0].bytes;
  if (plan.reason !== undefined) d.reason = plan.reason;
  if (plan.rewrite) d.rewrite = plan.rewrite;
  return d;
}

export interface MilterAnswer {
  replies: MilterReply[];
  /** For the log: accepted, rewritten-bcc, held, blocked, rejected (unreadable or unsafe to rewrite). */
  action: 'accepted' | 'rewritten-bcc' | 'held' | 'blocked' | 'rejected';
  reply: string;
  verdict: string;
  findings: string[];
  edits: number;
}

export interface AnswerOptions {
  policy: Policy;
  onViolation: MilterViolationAction;
  /** SMFIP_HDR_LEADSPC was negotiated. */
  leadingSpace: boolean;
  /** The MTA allows header changes (SMFIF_CHGHDRS and SMFIF_ADDHDRS). */
  canEditHeader: boolean;
  /** The MTA allows SMFIR_QUARANTINE. */
  canQuarantine: boolean;
}

function replyCode(r: SmtpReply): MilterReply {
  return { kind: 'replycode', code: r.code, text: r.text };
}

/** The one-line reason put on a held message (Postfix logs it): no addresses. */
export function holdReason(blocking: readonly Finding[]): string {
  const first = blockReply(blocking).text.replace(/^5\.7\.1 Blocked by mailguard: /, '');
  const text = `mailguard: ${first}`;
  return text.length > MILTER_MAX_QUARANTINE_REASON_CHARS ? `${text.slice(0, MILTER_MAX_QUARANTINE_REASON_CHARS - 3)}...` : text;
}

/** Thrown when the MTA cannot do what the decision needs: the caller answers tempfail. */
export class MilterCapabilityError extends Error {}

/**
 * Decides one message and builds the replies to SMFIC_BODYEOB. `fields` is the header as the MTA
 * sent it and `bytes` the message rebuilt from it (fields, blank line, body if collected).
 */
export function answerMessage(fields: readonly MilterField[], bytes: Uint8Array, envelope: Envelope, o: AnswerOptions): MilterAnswer {
  const d = decideForMilter(bytes, o.policy, o.onViolation, envelope);
  const base = { verdict: d.result.verdict, findings: d.result.findings.map((f) => f.code) };
  const reject = (r: SmtpReply, action: 'blocked' | 'rejected'): MilterAnswer => ({ ...base, replies: [replyCode(r)], action, reply: `${r.code} ${r.text}`, edits: 0 });

  if (d.action === 'block') return reject(blockReply(d.blocking), 'blocked');
  if (d.action === 'refuse') {
    if (d.result.verdict === 'error') {
      const f = d.result.findings[0];
      const why = f?.code === 'UNREADABLE_MESSAGE' ? (f.args.reason === 'empty' ? 'the message is empty' : 'no header fields') : 'unreadable';
      return reject(REPLIES.notAMessage(why), 'rejected');
    }
    return reject(REPLIES.cannotRewrite((d.reason ?? 'refused').replace(/\.$/, '')), 'blocked');
  }
  if (d.action === 'hold') {
    if (!o.canQuarantine) throw new MilterCapabilityError('the MTA did not allow SMFIR_QUARANTINE');
    const reason = holdReason(d.blocking);
    return { ...base, replies: [{ kind: 'quarantine', reason }, { kind: 'accept' }], action: 'held', reply: `hold: ${reason}`, edits: 0 };
  }
  // send: carry the header of the final bytes over with edits, then check what the MTA will hold.
  const final = d.final!;
  if (sameHeader(fields, final, o.leadingSpace)) return { ...base, replies: [{ kind: 'accept' }], action: 'accepted', reply: 'accept', edits: 0 };
  const edits = planHeaderEdits(fields, final, o.leadingSpace);
  if (!edits) return reject(REPLIES.cannotRewrite('the header edits could not be worked out'), 'blocked');
  if (!o.canEditHeader) throw new MilterCapabilityError('the MTA did not allow header changes (SMFIF_CHGHDRS, SMFIF_ADDHDRS)');
  const held = applyHeaderEdits(fields, edits);
  // The edits must give exactly the header the decision checked; anything else is a bug here.
  if (!sameHeader(held, final, o.leadingSpace)) throw new Error('header edits do not reproduce the decided header');
  const tooLong = edits.find((e) => editPacketBytes(e) > MILTER_MAX_REPLY_PACKET_BYTES);
  if (tooLong) return reject(REPLIES.cannotRewrite(`the new ${tooLong.name} field is longer than the milter protocol carries`), 'blocked');
  const recheck = checkMessage(final, o.policy, { source: 'milter', envelope });
  if (recheck.verdict === 'block' || recheck.verdict === 'error') return reject(blockReply(recheck.findings), 'blocked');
  const action = d.rewrite?.strategy === 'bcc' ? 'rewritten-bcc' : 'accepted';
  const what = d.rewrite ? `${d.rewrite.moved.length} moved to Bcc` : 'Bcc removed';
  return { ...base, replies: [...edits, { kind: 'accept' }], action, reply: `accept with ${edits.length} header edit${edits.length === 1 ? '' : 's'} (${what})`, edits: edits.length };
}

function editPacketBytes(e: HeaderEdit): number {
  return 4 + 1 + 4 + Buffer.byteLength(e.name, 'latin1') + 1 + Buffer.byteLength(e.value, 'latin1') + 1;
}
