// The SMTP replies the proxy gives at the end of DATA, decided from what happened: pure data.
// Each text starts with its enhanced status code (RFC 3463); smtp-server's automatic codes are
// turned off because they are chosen from the reply code alone (550 would say 5.1.1).

import type { Finding } from '../findings.js';
import type { DeliveryDecision } from '../decide/index.js';
import { describeDeliveryReason, describeFinding } from '../report/messages.js';
import { MAX_QUOTED_REJECTS, MAX_REPLY_TEXT_CHARS } from './limits.js';
import type { UpstreamOutcome, UpstreamReject } from './upstream.js';

export interface SmtpReply {
  code: number;
  /** Text after the code, starting with the enhanced status code. */
  text: string;
}

export function replyLine(r: SmtpReply): string {
  return `${r.code} ${r.text}`;
}

function clip(text: string): string {
  const one = text.replace(/[\r\n\t]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, ' ');
  return one.length > MAX_REPLY_TEXT_CHARS ? `${one.slice(0, MAX_REPLY_TEXT_CHARS - 3)}...` : one;
}

function reply(code: number, enhanced: string, text: string): SmtpReply {
  return { code, text: clip(`${enhanced} ${text}`) };
}

/** The enhanced status code at the start of an upstream reply (`550 5.1.1 ...`), if any. */
export function enhancedCodeOf(response: string, cls: '4' | '5'): string | undefined {
  const m = /^\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(response.trim());
  return m && m[1] === cls ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** The upstream's text without its reply and enhanced codes. */
function upstreamText(response: string): string {
  return response.trim().replace(/^\d{3}[ -]/, '').replace(/^[245]\.\d{1,3}\.\d{1,3}\s*/, '');
}

export const REPLIES = {
  tooBig: (limit: number) => reply(552, '5.3.4', `Message exceeds the size limit of ${limit} bytes`),
  headerTooBig: (limit: number) => reply(552, '5.3.4', `Message header block exceeds ${limit} bytes`),
  bareNewline: (kind: 'lf' | 'cr') => reply(550, '5.5.2', `Bare <${kind.toUpperCase()}> in message data: line ends must be CRLF (SMTP smuggling protection)`),
  tooManyRecipients: (limit: number) => reply(452, '4.5.3', `Too many recipients: at most ${limit} per message, send the rest in another transaction`),
  /** RFC 5321 4.1.1.11: a MAIL or RCPT parameter the server cannot implement. */
  parameterNotSupported: (command: 'MAIL FROM' | 'RCPT TO', name: string) =>
    reply(555, '5.5.4', `${command} parameter ${name.toUpperCase().slice(0, 40)} not supported: the proxy cannot pass it to the next hop; send without it`),
  notAMessage: (why: string) => reply(554, '5.6.0', `Not a valid message: ${why}`),
  cannotRewrite: (why: string) => reply(550, '5.7.1', `Blocked by mailguard: the message cannot be rewritten safely (${why})`),
  upstreamDown: () => reply(451, '4.4.1', 'Upstream relay not reachable; try again later'),
  upstreamTimedOut: () => reply(451, '4.4.2', 'Upstream relay timed out before the message was sent, nothing was delivered; try again later'),
  /** The dot went upstream and no reply came: the client retries, and the upstream may have the first copy. */
  outcomeUnknown: () => reply(451, '4.4.2', 'Upstream connection lost after the message was sent: the outcome is unknown and it may have been delivered; try again later'),
  tooBusy: () => reply(452, '4.3.1', 'Insufficient system storage: too many messages in flight; try again later'),
  tooManyFromAddress: () => reply(421, '4.7.0', 'Too many connections from your address; try again later'),
  tooManyClients: () => reply(421, '4.7.0', 'Too many connected clients; try again later'),
  idleClosed: () => reply(421, '4.4.2', 'Idle too long without a transaction; closing (reconnect to send)'),
  /** Some split copies were delivered, others not yet: a retry delivers only the others. With
   * `unknown`, the copy that stopped the split went upstream and no reply came: it may have been
   * delivered, and the retry sends it again (RFC 1047's window). */
  splitDeferred: (delivered: number, total: number, why: SmtpReply, unknown = false) =>
    reply(
      451,
      '4.3.0',
      unknown
        ? `Delivered ${delivered} of ${total} split copies; the outcome of one more is unknown (it may have been delivered, and a retry sends it again), the rest were not delivered (${why.code} ${why.text}). Retry: copies known to be delivered are not sent again`
        : `Delivered ${delivered} of ${total} split copies; the rest were not delivered (${why.code} ${why.text}). Retry: copies already delivered are not sent again`,
    ),
  shuttingDown: () => reply(421, '4.3.2', 'mailguard proxy shutting down; try again later'),
  sessionTooLong: () => reply(421, '4.4.2', 'Session time limit reached; reconnect to continue'),
  internalError: () => reply(451, '4.3.0', 'Local error in processing; try again later'),
};

/**
 * A policy block: 550 5.7.1 and one line naming the first blocking finding, in the report's
 * wording with addresses masked. Never the address list.
 */
export function blockReply(findings: readonly Finding[]): SmtpReply {
  const errors = findings.filter((f) => f.severity === 'error');
  const first = errors[0] ?? findings[0];
  const what = first ? describeFinding(first, { redact: true }) : 'policy violation';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more finding${errors.length > 2 ? 's' : ''})` : '';
  const fix = first?.code === 'EXPOSED_RECIPIENTS' ? '; put external recipients in Bcc' : '';
  return reply(550, '5.7.1', `Blocked by mailguard: ${what}${more}${fix}`);
}

function quoteRejects(rejected: readonly UpstreamReject[]): string {
  const shown = rejected.slice(0, MAX_QUOTED_REJECTS).map((r) => `<${r.address}> ${r.code} ${upstreamText(r.response)}`.trim());
  const more = rejected.length > MAX_QUOTED_REJECTS ? ` and ${rejected.length - MAX_QUOTED_REJECTS} more` : '';
  return `${shown.join('; ')}${more}`;
}

/**
 * The client's reply for what the upstream did: 250 only when it accepted the message; 451 for
 * anything temporary (4xx, timeouts, no connection); the upstream's own 5xx for a permanent
 * refusal. `parts` > 1 when a split message was relayed as several transactions.
 */
export function upstreamReply(outcome: UpstreamOutcome, totalRecipients: number): SmtpReply {
  switch (outcome.kind) {
    case 'accepted':
      return reply(250, '2.0.0', `Ok: relayed (upstream: ${outcome.response})`);
    case 'unreachable':
      return outcome.timedOut ? REPLIES.upstreamTimedOut() : REPLIES.upstreamDown();
    case 'unknown':
      return REPLIES.outcomeUnknown();
    case 'withdrawn':
      return REPLIES.internalError();
    case 'refused': {
      const temporary = outcome.code < 500;
      if (outcome.stage === 'rcpt' && outcome.rejected.length > 0) {
        const anyTemporary = outcome.rejected.some((r) => r.code < 500);
        const n = outcome.rejected.length;
        const list = quoteRejects(outcome.rejected);
        if (anyTemporary) {
          const first = outcome.rejected.find((r) => r.code < 500)!;
          return reply(451, enhancedCodeOf(first.response, '4') ?? '4.3.0', `Upstream deferred ${n} of ${totalRecipients} recipients, nothing was delivered; try again later: ${list}`);
        }
        const first = outcome.rejected[0]!;
        return reply(first.code >= 500 ? first.code : 550, enhancedCodeOf(first.response, '5') ?? '5.1.1', `Upstream refused ${n} of ${totalRecipients} recipients, nothing was delivered: ${list}`);
      }
      const text = upstreamText(outcome.response);
      if (outcome.stage === 'auth' || outcome.stage === 'other') {
        // The upstream refused the proxy itself (its credentials, its greeting): a configuration
        // problem to fix, not a verdict on this message. The client keeps the message and retries.
        return reply(451, '4.4.3', `Upstream relay refused the proxy's session; try again later (upstream: ${outcome.code} ${text})`);
      }
      if (temporary) return reply(451, enhancedCodeOf(outcome.response, '4') ?? '4.3.0', `Upstream deferred the message; try again later (upstream: ${outcome.code} ${text})`);
      return reply(outcome.code, enhancedCodeOf(outcome.response, '5') ?? '5.0.0', `Upstream refused the message (upstream: ${outcome.code} ${text})`);
    }
  }
}

/** The SMTP reply for a decision that sends nothing (the proxy's and the milter's wording). */
export function stopReply(d: Pick<DeliveryDecision, 'reason' | 'result' | 'blocking'>): SmtpReply {
  const reason = d.reason;
  if (reason?.code === 'unreadable') {
    const f = d.result.findings.find((x) => x.code === 'UNREADABLE_MESSAGE');
    const why = f?.code === 'UNREADABLE_MESSAGE' ? (f.args.reason === 'empty' ? 'the message is empty' : 'no header fields') : 'unreadable';
    return REPLIES.notAMessage(why);
  }
  if (reason && reason.code !== 'policy' && reason.code !== 'still-exposed') return REPLIES.cannotRewrite(describeDeliveryReason(reason));
  return blockReply(d.blocking.length > 0 ? d.blocking : d.result.findings);
}
