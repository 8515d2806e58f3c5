// What the proxy does with one received message: pure (bytes, envelope and policy in, a decision
// out). The server relays the parts of a `relay` decision or answers a `reject` one.

import { checkMessage } from '../analyse.js';
import { MailguardError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { Envelope } from '../message/envelope.js';
import { locateBodyStart } from '../message/header-block.js';
import type { Policy } from '../policy/policy.js';
import type { Verdict } from '../result.js';
import { stripBcc } from '../rewrite/strip-bcc.js';
import { DataGuard } from './data-guard.js';
import { blockReply, REPLIES, type SmtpReply } from './replies.js';

export type ViolationAction = 'block' | 'bcc' | 'split';

/** The rewrite functions (src/rewrite), handed in so the proxy loads them only when used. */
export type Rewriter = Pick<typeof import('../rewrite/index.js'), 'rewriteToBcc' | 'splitMessage'>;

export interface RelayPart {
  bytes: Uint8Array;
  envelope: Envelope;
}

export type Decision =
  | { kind: 'reject'; reply: SmtpReply; verdict: Verdict | 'invalid'; findings: Finding[]; action: 'blocked' | 'rejected' }
  | { kind: 'relay'; parts: RelayPart[]; verdict: Verdict; findings: Finding[]; action: 'relayed' | 'rewritten-bcc' | 'split' };

export interface DecideOptions {
  policy: Policy;
  onViolation: ViolationAction;
  maxHeaderBytes: number;
  rewriter?: Rewriter;
}

/** Only an exposed recipient list can be rewritten away; any other error blocks. */
function rewritable(findings: readonly Finding[]): boolean {
  const errors = findings.filter((f) => f.severity === 'error');
  return errors.length > 0 && errors.every((f) => f.code === 'EXPOSED_RECIPIENTS');
}

/** Decides what happens to a message whose DATA was watched by `guard`. */
export function decideMessage(guard: DataGuard, envelope: Envelope, options: DecideOptions): Decision {
  const bytes = guard.message();
  if (!bytes) return { kind: 'reject', reply: REPLIES.tooBig(guard.maxBytes), verdict: 'invalid', findings: [], action: 'rejected' };
  if (guard.bareNewline) return { kind: 'reject', reply: REPLIES.bareNewline(guard.bareNewline), verdict: 'invalid', findings: [], action: 'rejected' };
  const bodyStart = locateBodyStart(bytes);
  const headerBytes = bodyStart === -1 ? bytes.length : bodyStart;
  if (headerBytes > options.maxHeaderBytes) return { kind: 'reject', reply: REPLIES.headerTooBig(options.maxHeaderBytes), verdict: 'invalid', findings: [], action: 'rejected' };

  const result = checkMessage(bytes, options.policy, { source: 'smtp', envelope });
  const { findings, verdict } = result;
  if (verdict === 'error') {
    const f = findings[0];
    const why = f?.code === 'UNREADABLE_MESSAGE' ? (f.args.reason === 'empty' ? 'the message is empty' : 'no header fields') : 'unreadable';
    return { kind: 'reject', reply: REPLIES.notAMessage(why), verdict, findings, action: 'rejected' };
  }
  if (verdict !== 'block') {
    return { kind: 'relay', parts: [{ bytes: stripBcc(bytes), envelope }], verdict, findings, action: 'relayed' };
  }
  if (options.onViolation === 'block' || !rewritable(findings) || !options.rewriter) {
    return { kind: 'reject', reply: blockReply(findings), verdict, findings, action: 'blocked' };
  }
  try {
    if (options.onViolation === 'bcc') {
      const rewritten = options.rewriter.rewriteToBcc(bytes, options.policy);
      const recheck = checkMessage(rewritten.bytes, options.policy, { source: 'smtp', envelope });
      if (recheck.verdict === 'block' || recheck.verdict === 'error') return { kind: 'reject', reply: blockReply(recheck.findings), verdict, findings, action: 'blocked' };
      return { kind: 'relay', parts: [{ bytes: stripBcc(rewritten.bytes), envelope }], verdict, findings, action: 'rewritten-bcc' };
    }
    const split = options.rewriter.splitMessage(bytes, options.policy);
    // Each copy goes to the envelope recipients its header shows, never to anyone the client did
    // not name in RCPT TO (a content filter may get a subset of the header's recipients).
    const envelopeByKey = new Map(envelope.rcptTo.map((r) => [r.toLowerCase(), r]));
    const covered = new Set<string>();
    const parts: RelayPart[] = [];
    const addPart = (partBytes: Uint8Array, rcptTo: string[]): Decision | undefined => {
      const recheck = checkMessage(partBytes, options.policy, { source: 'smtp', envelope: { mailFrom: envelope.mailFrom, rcptTo } });
      if (recheck.verdict === 'block' || recheck.verdict === 'error') return { kind: 'reject', reply: blockReply(recheck.findings), verdict, findings, action: 'blocked' };
      parts.push({ bytes: stripBcc(partBytes), envelope: { mailFrom: envelope.mailFrom, rcptTo } });
      return undefined;
    };
    for (const m of split.messages) {
      const rcptTo: string[] = [];
      for (const r of m.recipients) {
        const key = r.toLowerCase();
        const original = envelopeByKey.get(key);
        if (original !== undefined && !covered.has(key)) {
          covered.add(key);
          rcptTo.push(original);
        }
      }
      if (rcptTo.length === 0) continue;
      const refused = addPart(m.bytes, rcptTo);
      if (refused) return refused;
    }
    // Envelope recipients no copy shows (Bcc stripped by the client) get a copy that shows no
    // recipient at all; leaving them out would drop them silently.
    const hidden = envelope.rcptTo.filter((r) => !covered.has(r.toLowerCase()));
    if (hidden.length > 0) {
      const blind = options.rewriter.rewriteToBcc(bytes, { ...options.policy, sensitive: false }, { allToBcc: true });
      const refused = addPart(blind.bytes, hidden);
      if (refused) return refused;
    }
    return { kind: 'relay', parts, verdict, findings, action: 'split' };
  } catch (err) {
    if (err instanceof MailguardError && err.code === 'EREWRITE') {
      return { kind: 'reject', reply: REPLIES.cannotRewrite(err.message.replace(/\.$/, '')), verdict, findings, action: 'blocked' };
    }
    throw err;
  }
}
