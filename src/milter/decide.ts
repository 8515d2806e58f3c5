// The milter's translation of the one decision (src/decide) into what the MTA is told at the end
// of the message: accept (with header edits for the bytes to send), a reply code, quarantine.
// Pure: the collected message and envelope in, milter replies out.

import { decideDelivery, type DeliveryDecision } from '../decide/index.js';
import { ADAPTER_MODES } from '../decide/modes.js';
import type { Finding } from '../findings.js';
import type { Envelope } from '../message/envelope.js';
import type { Policy } from '../policy/policy.js';
import { messageIdentity, resolveProfile, type Profiles, type ResolvedProfile } from '../policy/profiles.js';
import { blockReply, REPLIES, stopReply, type SmtpReply } from '../proxy/replies.js';
import type { MilterReply } from './codec.js';
import { applyHeaderEdits, headerBytes, planHeaderEdits, sameHeader, type HeaderEdit, type MilterField } from './header-edits.js';
import { MILTER_MAX_QUARANTINE_REASON_CHARS, MILTER_MAX_REPLY_PACKET_BYTES } from './limits.js';

/** The on-violation modes the milter carries out (split needs several transactions: refused at start-up). */
export const MILTER_MODES = ADAPTER_MODES.milter;
export type MilterViolationAction = (typeof MILTER_MODES)[number];

/**
 * The shared decision for one message (the milter decides nothing itself). `blankLineAt` is where
 * the blank line was put between the header fields and the body the MTA sent apart: whether the
 * sender wrote one is not known to a milter, and the decision reads both ways.
 */
export function decideForMilter(bytes: Uint8Array, policy: Policy, onViolation: MilterViolationAction, envelope: Envelope, blankLineAt?: number): DeliveryDecision {
  const options: Parameters<typeof decideDelivery>[2] = { onViolation, envelope, source: 'milter' };
  if (blankLineAt !== undefined) options.assumedBlankLineAt = blankLineAt;
  return decideDelivery(bytes, policy, options);
}

/** The sender's profile: the {auth_authen} user, then MAIL FROM, then the From of the header the MTA holds. */
export function milterProfile(bytes: Uint8Array, profiles: Profiles, envelope: Envelope, authUser: string | undefined): ResolvedProfile {
  // Without profiles every sender gets the default: the From field is not worth a second parse
  // of the message (a tenth of the milter's CPU per message in bench scenario 9).
  if (profiles.list.length === 0) return resolveProfile(profiles, { authUser, envelopeFrom: envelope.mailFrom });
  return resolveProfile(profiles, messageIdentity(bytes, { authUser, envelopeFrom: envelope.mailFrom }));
}


export interface MilterAnswer {
  replies: MilterReply[];
  /** For the log: accepted, sent-despite (onViolation warn), rewritten-bcc, held, blocked, rejected (not a message). */
  action: 'accepted' | 'sent-despite' | 'rewritten-bcc' | 'held' | 'blocked' | 'rejected';
  reply: string;
  verdict: string;
  findings: string[];
  edits: number;
  /** The profile whose policy and mode applied. */
  profile: string;
}

export interface AnswerOptions {
  /** The profiles, each with its mode; the sender's is resolved per message. */
  profiles: Profiles;
  /** The SMTP AUTH user Postfix passed ({auth_authen}), if any. */
  authUser?: string;
  /** SMFIP_HDR_LEADSPC was negotiated. */
  leadingSpace: boolean;
  /** The MTA allows header changes (SMFIF_CHGHDRS and SMFIF_ADDHDRS). */
  canEditHeader: boolean;
  /** The MTA allows SMFIR_QUARANTINE. */
  canQuarantine: boolean;
  /** `headerBytes(fields, leadingSpace)`, when the caller built it already (the header of `bytes`). */
  header?: Buffer;
}

function replyCode(r: SmtpReply): MilterReply {
  return { kind: 'replycode', code: r.code, text: r.text };
}

/** The one-line reason sent with a hold (SMFIR_QUARANTINE): no addresses. */
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
  const profile = milterProfile(bytes, o.profiles, envelope, o.authUser);
  const d = decideForMilter(bytes, profile.policy, profile.onViolation as MilterViolationAction, envelope, (o.header ?? headerBytes(fields, o.leadingSpace)).length);
  const verdict = d.result.verdict;
  const findings = d.result.findings.map((f) => f.code);
  // One object literal (not a spread of a shared base): one shape, built at once.
  const answer = (replies: MilterReply[], action: MilterAnswer['action'], reply: string, edits: number): MilterAnswer => ({ verdict, findings, profile: profile.name, replies, action, reply, edits });
  const reject = (r: SmtpReply, action: 'blocked' | 'rejected'): MilterAnswer => answer([replyCode(r)], action, `${r.code} ${r.text}`, 0);

  switch (d.action) {
    case 'block':
    case 'refuse':
      return reject(stopReply(d), d.action === 'refuse' && d.reason?.code === 'unreadable' ? 'rejected' : 'blocked');
    case 'hold': {
      if (!o.canQuarantine) throw new MilterCapabilityError('the MTA did not allow SMFIR_QUARANTINE');
      const reason = holdReason(d.blocking);
      return answer([{ kind: 'quarantine', reason }, { kind: 'accept' }], 'held', `hold: ${reason}`, 0);
    }
    case 'split':
      throw new Error('a split decision reached the milter (split is refused at start-up)');
    case 'send':
    case 'rewrite':
      break;
  }
  // Send: carry the header of the bytes to send over with edits, then check what the MTA will hold.
  const transactions = [...d.transactions()];
  if (transactions.length !== 1) throw new Error(`the decision has ${transactions.length} transactions; a milter carries out one`);
  const final = transactions[0]!.bytes;
  const sent = d.warnedOnly ? 'sent-despite' : 'accepted';
  if (sameHeader(fields, final, o.leadingSpace, o.header)) return answer([{ kind: 'accept' }], sent, 'accept', 0);
  const edits = planHeaderEdits(fields, final, o.leadingSpace);
  if (!edits) return reject(REPLIES.cannotRewrite('the header edits could not be worked out'), 'blocked');
  if (!o.canEditHeader) throw new MilterCapabilityError('the MTA did not allow header changes (SMFIF_CHGHDRS, SMFIF_ADDHDRS)');
  const held = applyHeaderEdits(fields, edits);
  // The edits must give exactly the header the decision checked; anything else is a bug here.
  if (!sameHeader(held, final, o.leadingSpace)) throw new Error('header edits do not reproduce the decided header');
  const tooLong = edits.find((e) => editPacketBytes(e) > MILTER_MAX_REPLY_PACKET_BYTES);
  if (tooLong) return reject(REPLIES.cannotRewrite(`the new ${tooLong.name} field is longer than the milter protocol carries`), 'blocked');
  // No second check here: the decision checked exactly these header bytes (src/decide), and the
  // edits were just shown to reproduce them.
  const action = d.action === 'rewrite' ? 'rewritten-bcc' : sent;
  const what = d.rewrite ? `${d.rewrite.moved.length} moved to Bcc` : 'Bcc removed';
  return answer([...edits, { kind: 'accept' }], action, `accept with ${edits.length} header edit${edits.length === 1 ? '' : 's'} (${what})`, edits.length);
}

function editPacketBytes(e: HeaderEdit): number {
  return 4 + 1 + 4 + Buffer.byteLength(e.name, 'latin1') + 1 + Buffer.byteLength(e.value, 'latin1') + 1;
}
