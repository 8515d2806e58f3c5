// The proxy's translation of the one decision (src/decide) into what it does with a received
// message: relay the transactions, or answer with an SMTP reply. The transport checks (size, bare
// line ends, header size) happen here; everything about the message's content is decideDelivery's.

import { decideDelivery, type Transaction } from '../decide/index.js';
import { ADAPTER_MODES } from '../decide/modes.js';
import type { Finding } from '../findings.js';
import type { Envelope } from '../message/envelope.js';
import { locateBodyStart } from '../message/header-block.js';
import { messageIdentity, resolveProfile, type Profiles } from '../policy/profiles.js';
import type { Verdict } from '../result.js';
import { DataGuard } from './data-guard.js';
import { REPLIES, stopReply, type SmtpReply } from './replies.js';

/** The on-violation modes the proxy carries out (hold needs a hold queue: the milter has one). */
export const PROXY_MODES = ADAPTER_MODES.proxy;
export type ViolationAction = (typeof PROXY_MODES)[number];

export type RelayPart = Transaction;

export type Decision =
  | { kind: 'reject'; reply: SmtpReply; verdict: Verdict | 'invalid'; findings: Finding[]; action: 'blocked' | 'rejected'; profile?: string }
  | {
      kind: 'relay';
      /** The profile whose policy and mode applied. */
      profile: string;
      /** The transactions, made one at a time as they are iterated (a split's copies). */
      parts: Iterable<RelayPart>;
      partCount: number;
      verdict: Verdict;
      findings: Finding[];
      action: 'relayed' | 'rewritten-bcc' | 'split';
    };

export interface DecideOptions {
  /** The profiles, each with its mode (src/policy/profiles.ts); the sender's is resolved per message. */
  profiles: Profiles;
  /** The user the session authenticated as, if any: it chooses the profile before MAIL FROM and From. */
  authUser?: string;
  maxHeaderBytes: number;
}


/** Decides what happens to a message whose DATA was watched by `guard`. */
export function decideMessage(guard: DataGuard, envelope: Envelope, options: DecideOptions): Decision {
  const bytes = guard.message();
  if (!bytes) return { kind: 'reject', reply: REPLIES.tooBig(guard.maxBytes), verdict: 'invalid', findings: [], action: 'rejected' };
  if (guard.bareNewline) return { kind: 'reject', reply: REPLIES.bareNewline(guard.bareNewline), verdict: 'invalid', findings: [], action: 'rejected' };
  const bodyStart = locateBodyStart(bytes);
  const headerBytes = bodyStart === -1 ? bytes.length : bodyStart;
  if (headerBytes > options.maxHeaderBytes) return { kind: 'reject', reply: REPLIES.headerTooBig(options.maxHeaderBytes), verdict: 'invalid', findings: [], action: 'rejected' };

  // Who sends: the AUTH user, then MAIL FROM, then the From of the bytes that will be relayed.
  // Without named profiles everyone gets the default one: the From field is not read then (it
  // is a parse of the header of its own, ~15 us of every message in bench scenario 6).
  const identity = options.profiles.list.length > 0 ? messageIdentity(bytes, { authUser: options.authUser, envelopeFrom: envelope.mailFrom }) : {};
  const profile = resolveProfile(options.profiles, identity);
  const d = decideDelivery(bytes, profile.policy, { onViolation: profile.onViolation as ViolationAction, envelope, source: 'smtp' });
  const { verdict, findings } = d.result;
  switch (d.action) {
    case 'send':
    case 'rewrite':
    case 'split':
      return {
        kind: 'relay',
        profile: profile.name,
        parts: { [Symbol.iterator]: () => d.transactions()[Symbol.iterator]() },
        partCount: d.transactionCount,
        verdict: d.verdict,
        findings,
        action: d.action === 'send' ? 'relayed' : d.action === 'rewrite' ? 'rewritten-bcc' : 'split',
      };
    default:
      return { kind: 'reject', reply: stopReply(d), verdict, findings, action: d.action === 'refuse' && d.reason?.code === 'unreadable' ? 'rejected' : 'blocked', profile: profile.name };
  }
}
