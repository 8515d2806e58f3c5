// What the drop-in sendmail says on stderr (its only channel: callers read the exit status, and
// stderr often ends in a cron mail or a log) and the record it keeps beside a spooled message.
// Pure: a notice (data) in, text out. src/cli/actions/sendmail.ts decides which notice to give.
// Recipient addresses are always masked on stderr; the spool record is a private file (0600)
// and keeps them whole, so the message can be delivered by hand.

import type { DeliveryReason } from '../decide/index.js';
import { MailguardError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { Envelope } from '../message/envelope.js';
import type { OnViolation } from '../policy/config.js';
import { describeDeliveryReason, describeFinding } from './messages.js';
import { formatErrorText } from './error-text.js';
import { maskAddress, maskText } from './redact.js';
import { DEFAULT_PROFILE } from '../policy/config.js';

/** The name every stderr line starts with (what cron mail and logs show). */
export const SENDMAIL_NAME = 'mailguard-sendmail';

/** Version of the spool record (DIR/<stamp>.json). */
export const SPOOL_RECORD_VERSION = 1;

export interface SpoolRecord {
  /** blocked: refused by policy; undeliverable: the relay or the real sendmail failed; unreadable. */
  reason: 'blocked' | 'undeliverable' | 'unreadable';
  /** One line: what happened. */
  detail: string;
  envelope?: Envelope;
  /** Finding codes of the check, when there was one. */
  findings?: string[];
  /** The exit status the caller was given. */
  exitStatus: number;
  /** The profile whose policy applied (configuration `profiles`). */
  profile?: string;
}

/** Everything the drop-in sendmail reports. `debug` notices are shown only with -v/--debug. */
export type SendmailNotice =
  /** An error before or during delivery; `delivery` says how far a split got, `tempfail` that the caller may retry. */
  /** `spool: false`: no spool is configured, so nothing keeps the message but the caller. */
  | { kind: 'error'; error: unknown; delivery?: { delivered: number; total: number; tempfail: boolean; earlier?: number; remembered?: boolean; spool?: boolean } }
  | { kind: 'caller-policy-option'; option: string; configPath: string }
  | { kind: 'unreadable'; finding?: Finding }
  | { kind: 'blocked'; blocking: readonly Finding[]; reason: DeliveryReason | undefined; onViolation: OnViolation; profile?: string }
  | { kind: 'warned'; findings: readonly Finding[]; profile?: string }
  | { kind: 'rewritten'; strategy: 'bcc'; moved: number }
  | { kind: 'rewritten'; strategy: 'split'; copies: number }
  /** `split`: the message went out as several copies (the retry note speaks of copies, else of recipients). */
  | { kind: 'refused-recipients'; refused: ReadonlyArray<{ address: string; response: string }>; accepted: number; remembered?: boolean; split?: boolean }
  | { kind: 'kept'; file: string }
  | { kind: 'not-kept'; spool: string; problem: string }
  /** -bs: the session wrote its stderr budget; later notices are only in the SMTP replies. */
  | { kind: 'quiet'; budget: number }
  // -v / --debug
  | { kind: 'ignored-option'; option: string }
  | { kind: 'setup'; configPath: string | undefined; systemPath: string; onViolation: OnViolation; transport: 'relay' | 'binary'; label: string }
  | { kind: 'read'; bytes: number; ignoreDots: boolean }
  | { kind: 'added'; fields: readonly string[] }
  | { kind: 'envelope'; mailFrom: string; recipients: number }
  | { kind: 'profile'; profile: string; onViolation: OnViolation }
  | { kind: 'warning'; finding: Finding }
  | { kind: 'delivered'; messages: number; via: string; earlier?: number };

const DEBUG_KINDS = new Set<SendmailNotice['kind']>(['ignored-option', 'setup', 'read', 'added', 'envelope', 'profile', 'warning', 'delivered']);

/** Whether a notice is shown only with -v/--debug. */
export function isDebugNotice(n: SendmailNotice): boolean {
  return DEBUG_KINDS.has(n.kind);
}

/** A profile named in a line, unless it is the top level. */
const profileNote = (profile: string | undefined, before: string, after: string) => (profile !== undefined && profile !== DEFAULT_PROFILE ? `${before}${profile}${after}` : '');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const finding = (f: Finding) => `${f.code}: ${describeFinding(f, { redact: true })}`;

/** Refused recipients count as temporary when every reply is a 4xx (the caller gets 75, not 67). */
export function temporarilyRefused(refused: ReadonlyArray<{ response: string }>): boolean {
  return refused.every((r) => /^4\d\d/.test(r.response.trim()));
}

/** A delivery that may have happened although it failed (the real sendmail stopped at its timeout). */
const outcomeUnknown = (err: unknown) => (err as { outcomeUnknown?: unknown } | undefined)?.outcomeUnknown === true;

/** An error for stderr, addresses masked (relay replies quote them: "<x@y>: Recipient rejected"). */
const errorText = (err: unknown, prefix = '') => formatErrorText(err, { name: SENDMAIL_NAME, prefix });

/** One notice as the lines stderr gets, each ending in a line break. */
export function formatSendmailNotice(n: SendmailNotice): string {
  const line = (text: string) => `${SENDMAIL_NAME}: ${text}\n`;
  switch (n.kind) {
    case 'error': {
      if (!n.delivery) return errorText(n.error);
      const { delivered, total, tempfail, earlier = 0, remembered, spool } = n.delivery;
      const before = earlier > 0 ? `, ${earlier} by an earlier attempt` : '';
      const partial = delivered + earlier > 0 ? ` (${delivered + earlier} of ${total} copies were delivered before the failure${before})` : '';
      // A split stopped part-way: whether a retry repeats the copies already out (src/sendmail/delivered-copies.ts).
      // mailguard keeps no queue: on 75 the message is safe only where a spool keeps it or the caller retries.
      // The real sendmail stopped at its timeout may have queued the message first: not "nothing was lost".
      const unknown = outcomeUnknown(n.error);
      const later = unknown
        ? '  The caller gets status 75 (try again later); if the message was taken, the retry sends it again.\n'
        : spool === false
        ? '  The caller gets status 75 (try again later). No copy was kept (no "spool" is configured): a caller that does not retry (cron, PHP mail()) loses the message.\n'
        : '  Nothing was lost: the caller gets status 75 (try again later).\n';
      return errorText(n.error, `${unknown ? 'outcome unknown' : 'message not delivered'}${partial}: `) + (tempfail ? later : '') + (delivered + earlier > 0 ? retryNote(remembered) : '');
    }
    case 'caller-policy-option':
      return line(`ignoring ${n.option}: the drop-in sendmail takes its policy, relay and delivery program only from its system configuration (${n.configPath}), not from the caller's arguments.`);
    case 'unreadable':
      return line(`message not sent: ${n.finding ? describeFinding(n.finding, { redact: true }) : 'not a message'}.`);
    case 'blocked': {
      const lines = [`${SENDMAIL_NAME}: message not sent: blocked by policy${profileNote(n.profile, ' (profile ', ')')}.`, ...n.blocking.map((f) => `  ${finding(f)}`)];
      if (n.reason && n.reason.code !== 'policy') lines.push(`  The ${n.onViolation} rewrite was not done: ${describeDeliveryReason(n.reason)}.`);
      else if (n.onViolation === 'block') {
        // Not --on-violation: the drop-in ignores the caller's policy options (src/sendmail/args.ts).
        lines.push('  Put the external recipients in Bcc, or set "onViolation": "bcc" or "split" in the "sendmail" section of the system configuration to let mailguard rewrite such messages.');
      }
      return `${lines.join('\n')}\n`;
    }
    case 'warned':
      return `${[`${SENDMAIL_NAME}: sent although it violates the policy (onViolation: warn${profileNote(n.profile, ', profile ', '')}):`, ...n.findings.map((f) => `  ${finding(f)}`)].join('\n')}\n`;
    case 'rewritten':
      return n.strategy === 'bcc'
        ? line(`moved ${plural(n.moved, 'external recipient')} to Bcc before sending (onViolation: bcc).`)
        : line(`split into ${plural(n.copies, 'message')}, one per recipient (onViolation: split).`);
    case 'refused-recipients': {
      const temporary = temporarilyRefused(n.refused);
      const who = n.accepted > 0 ? `${plural(n.accepted, 'other')} received the message` : 'nobody received the message';
      return `${[`${SENDMAIL_NAME}: the relay refused ${plural(n.refused.length, 'recipient')}${temporary ? ' for now' : ''}; ${who}:`, ...n.refused.map((r) => `  ${maskAddress(r.address)}: ${maskText(r.response)}`)].join('\n')}\n${retryNote(n.remembered, n.split ? 'copies' : 'recipients')}`;
    }
    case 'kept':
      return line(`kept a copy in ${n.file}`);
    case 'not-kept':
      // The file system's message quotes paths: masked as an error's text is.
      return line(`could not keep a copy in ${n.spool}: ${maskText(n.problem)}`);
    case 'quiet':
      return line(`more than ${n.budget} bytes of notices in this -bs session; the rest are only in the SMTP replies.`);
    case 'ignored-option':
      // The caller's own words after the option letter (-oXXX, -O Name=value, -B type ...): masked, as any may be an address.
      return line(`ignoring sendmail option ${n.option.slice(0, 2)}${maskText(n.option.slice(2))}`);
    case 'setup':
      return line(`policy from ${n.configPath ?? `defaults (no ${n.systemPath})`}; on violation: ${n.onViolation}; delivery: ${n.transport === 'relay' ? 'relay' : 'sendmail binary'} ${n.label}`);
    case 'read':
      return line(`read ${n.bytes} bytes${n.ignoreDots ? '' : ' (a lone "." ends the message)'}`);
    case 'added':
      return line(`added ${n.fields.join(', ')}`);
    case 'envelope':
      return line(`envelope: from ${n.mailFrom ? maskAddress(n.mailFrom) : '<>'}, ${plural(n.recipients, 'recipient')}`);
    case 'profile':
      return line(`profile: ${n.profile} (on violation: ${n.onViolation})`);
    case 'warning':
      return line(`warning: ${finding(n.finding)}`);
    case 'delivered':
      return line(`delivered ${plural(n.messages, 'message')} via ${n.via}${n.earlier ? ` (${n.earlier} of them by an earlier attempt)` : ''}`);
  }
}

/** The reply codes (not the text: relays quote addresses in it) of the refusals, as "550" or "450, 550". */
const refusalCodes = (refused: ReadonlyArray<{ response: string }>) => [...new Set(refused.map((r) => /^\s*([2-5]\d\d)\b/.exec(r.response)?.[1] ?? 'no code'))].sort().join(', ');

/**
 * -bs: the lines an SMTP reply to a final dot carries for one notice of that message. The client
 * (Symfony, Laravel) shows them to the application and its logs, not to the administrator: the
 * same reasons as stderr, with every address masked, but no stack of an internal error (stderr has
 * it) and recipients refused by the relay as counts. Empty for notices that are not a reason.
 */
export function formatSendmailReplyLines(n: SendmailNotice): string[] {
  if (isDebugNotice(n) || n.kind === 'kept' || n.kind === 'not-kept' || n.kind === 'quiet') return [];
  const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (n.kind === 'error') {
    const d = n.delivery;
    const out = d && d.delivered + (d.earlier ?? 0) > 0 ? `message not delivered (${d.delivered + (d.earlier ?? 0)} of ${d.total} copies were delivered before the failure)` : outcomeUnknown(n.error) ? 'outcome unknown' : 'message not sent';
    // Not the caller's exit status advice of a piped run (the reply code says it): only the reason.
    const reason = n.error instanceof MailguardError ? [`${SENDMAIL_NAME}: ${out}: ${maskText(n.error.message)}`, ...(n.error.hint ? [maskText(n.error.hint)] : [])] : [`${SENDMAIL_NAME}: ${out}: internal error (a bug in mailguard).`];
    return [...reason, ...(d && d.delivered + (d.earlier ?? 0) > 0 ? lines(retryNote(d.remembered)) : [])];
  }
  if (n.kind === 'refused-recipients') {
    const permanent = n.refused.filter((r) => !/^4\d\d/.test(r.response.trim())).length;
    const deferred = n.refused.length - permanent;
    const total = n.accepted + n.refused.length;
    const codes = refusalCodes(n.refused);
    /** "2 for good and 1 for now"; "for good" or "for now" alone when all are alike. */
    const how = (count: boolean) => (deferred === 0 ? `${count ? `${permanent} ` : ''}for good` : permanent === 0 ? `${count ? `${deferred} ` : ''}for now` : `${permanent} for good and ${deferred} for now`);
    if (n.accepted === 0) {
      const whom = total === 1 ? `its recipient ${how(false)}` : permanent > 0 && deferred > 0 ? `all ${total} recipients, ${how(true)}` : `all ${total} recipients ${how(false)}`;
      return [`${SENDMAIL_NAME}: message not sent: the relay refused ${whom} (${codes}).`];
    }
    const first = `${SENDMAIL_NAME}: message delivered to ${n.accepted} of ${total} recipients only: the relay refused ${how(true)} (${codes}).`;
    // Some only for now: the caller is asked to retry (75), which sends it only to those without it when remembered.
    if (deferred > 0) return [first, ...lines(retryNote(n.remembered, n.split ? 'copies' : 'recipients'))];
    const have = n.accepted === 1 ? 'the one who has' : `the ${n.accepted} who have`;
    return [first, `Do not send it again to all recipients: ${have} it would get it twice. Which addresses were refused is in ${SENDMAIL_NAME}'s log (stderr).`];
  }
  return lines(formatSendmailNotice(n));
}

/**
 * After a delivery stopped part-way (a split's copies, or recipients of one message the relay
 * refused): whether a retry repeats what is already out (src/sendmail/delivered-copies.ts).
 */
function retryNote(remembered: boolean | undefined, unit: 'copies' | 'recipients' = 'copies'): string {
  if (remembered === undefined) return '';
  if (unit === 'recipients') {
    return remembered ? '  A retry sends it only to the recipients not yet delivered.\n' : '  The recipients delivered could not be remembered: a retry sends it to them again.\n';
  }
  return remembered ? '  A retry sends only the copies not yet delivered.\n' : '  The delivered copies could not be remembered: a retry sends them again.\n';
}

/** Why a message was spooled as blocked (the record's `detail`). */
export function spoolBlockedDetail(reason: DeliveryReason | undefined): string {
  return reason && reason.code !== 'policy' ? describeDeliveryReason(reason) : 'blocked by policy';
}

/** The spool record beside a kept message: a contract (version 1), pinned by a test. */
export function formatSpoolRecord(record: SpoolRecord, time: Date): string {
  return `${JSON.stringify({ version: SPOOL_RECORD_VERSION, time: time.toISOString(), ...record }, null, 2)}\n`;
}
