// What `mailguard send` reports: per message what happened to it and each of its transactions,
// and the totals. Pure formatters, data in and text out; src/cli/actions/send.ts does the sending
// and hands the run here.

import type { Finding } from '../findings.js';
import type { OnViolation } from '../policy/config.js';
import type { Verdict } from '../result.js';
import { printable } from './human.js';
import { describeFinding } from './messages.js';
import { maskAddress, maskText } from './redact.js';

/** Version of the `send --format json` document. */
export const SEND_JSON_VERSION = 1;

export type SendAction = 'sent' | 'partial' | 'blocked' | 'refused' | 'failed' | 'skipped' | 'dry-run';

export interface SendTransaction {
  mailFrom: string;
  recipients: string[];
  accepted: string[];
  rejected: Array<{ address: string; response: string }>;
  /** Recipients skipped because the journal says they already accepted this message. */
  skipped: string[];
  response?: string;
  error?: string;
  /** --dry-run: the header block that would be sent. */
  header?: string;
}

export interface SendResult {
  source: string;
  verdict: Verdict;
  action: SendAction;
  /** Findings reported: the blocking ones, or the warnings of a message sent anyway. */
  findings: Finding[];
  rewrite?: 'bcc' | 'split';
  /** The profile whose policy and mode applied (`default`: the top level); absent when the message could not be read. */
  profile?: string;
  /** The on-violation mode that applied (the profile's). */
  onViolation?: OnViolation;
  reason?: string;
  hint?: string;
  transactions: SendTransaction[];
}

export interface SendSummary {
  messages: number;
  /** Messages the relay accepted; always 0 on --dry-run (see wouldSend). */
  sent: number;
  /** --dry-run: messages that would be sent. */
  wouldSend: number;
  partial: number;
  blocked: number;
  refused: number;
  failed: number;
  skipped: number;
  recipientsAccepted: number;
  recipientsRejected: number;
}

/** One run of send: what every format is made from. */
export interface SendReport {
  onViolation: OnViolation;
  dryRun: boolean;
  /** The --journal file, if any. */
  journal: string | undefined;
  /** Why the batch stopped before the end (the relay gave up), if it did. */
  stopped: string | undefined;
  /** Ctrl-C stopped the batch. */
  interrupted: boolean;
  results: SendResult[];
  summary: SendSummary;
  /** Profiles are configured: the human report names each message's. */
  profiled?: boolean;
}

export interface SendFormatOptions {
  /** Mask recipient addresses (the default for send; --no-redact shows them). */
  redact: boolean;
  /** Human format: leave out messages sent as they are without findings. */
  quiet?: boolean;
}

/** The `send --format json` document (version 1; names are a contract, fields may be added). */
export interface SendJson {
  version: number;
  onViolation: OnViolation;
  dryRun: boolean;
  journal: string | null;
  stopped: string | null;
  interrupted: boolean;
  results: SendResult[];
  summary: SendSummary;
}

export function summariseSend(results: readonly SendResult[]): SendSummary {
  const count = (a: SendAction) => results.filter((r) => r.action === a).length;
  let recipientsAccepted = 0;
  let recipientsRejected = 0;
  for (const r of results) {
    for (const t of r.transactions) {
      recipientsAccepted += t.accepted.length;
      recipientsRejected += t.rejected.length;
    }
  }
  return {
    messages: results.length,
    sent: count('sent'),
    wouldSend: count('dry-run'),
    partial: count('partial'),
    blocked: count('blocked'),
    refused: count('refused'),
    failed: count('failed'),
    skipped: count('skipped'),
    recipientsAccepted,
    recipientsRejected,
  };
}

/** A result with every recipient address masked, in findings, envelopes, replies and headers. */
function redactResult(r: SendResult): SendResult {
  const m = (a: string) => maskAddress(a);
  return {
    ...r,
    findings: r.findings.map((f) => ('examples' in f.args ? ({ ...f, args: { ...f.args, examples: (f.args.examples as string[]).map(m) } } as Finding) : f)),
    transactions: r.transactions.map((t) => {
      const out: SendTransaction = {
        ...t,
        mailFrom: t.mailFrom,
        recipients: t.recipients.map(m),
        accepted: t.accepted.map(m),
        rejected: t.rejected.map((x) => ({ address: m(x.address), response: maskText(x.response) })),
        skipped: t.skipped.map(m),
      };
      if (t.error !== undefined) out.error = maskText(t.error);
      if (t.header !== undefined) out.header = maskText(t.header);
      return out;
    }),
  };
}

export function toSendJson(report: SendReport, options: Pick<SendFormatOptions, 'redact'>): SendJson {
  return {
    version: SEND_JSON_VERSION,
    onViolation: report.onViolation,
    dryRun: report.dryRun,
    journal: report.journal ?? null,
    stopped: report.stopped ?? null,
    interrupted: report.interrupted,
    results: report.results.map((r) => (options.redact ? redactResult(r) : r)),
    summary: report.summary,
  };
}

export function formatSendJson(report: SendReport, options: SendFormatOptions): string {
  return `${JSON.stringify(toSendJson(report, options), null, 2)}\n`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Header lines as the dry run shows them: `  | Field: value`, without the blank line that ends them. */
function headerLines(header: string): string[] {
  return header
    .replace(/\r?\n$/, '')
    .replace(/\r?\n$/, '')
    .split(/\r?\n/)
    .map((l) => `  | ${printable(l)}`);
}

export function formatSendHuman(report: SendReport, options: SendFormatOptions): string {
  const { results } = report;
  const a = (x: string) => (options.redact ? maskAddress(x) : x);
  const text = (x: string) => (options.redact ? maskText(x) : x);
  const lines: string[] = [];
  for (const r of results) {
    if (!r) continue;
    const rcpt = r.transactions.reduce((n, t) => n + t.recipients.length, 0);
    // --quiet: a message sent (or that would be sent) as it is, without findings, is left out.
    const clean = (r.action === 'sent' || (r.action === 'dry-run' && r.rewrite === undefined)) && r.findings.length === 0;
    if (options.quiet && (clean || r.action === 'skipped')) continue;
    const how = r.rewrite === 'bcc' ? ', external recipients moved to Bcc' : r.rewrite === 'split' ? `, split into ${plural(r.transactions.length, 'message')}` : '';
    switch (r.action) {
      case 'dry-run': {
        lines.push(`would send  ${printable(r.source)}  ${plural(rcpt, 'recipient')}${how}`);
        for (const t of r.transactions) {
          // The dry run shows what the relay would get; recipients masked unless --no-redact, as everywhere.
          lines.push(`  MAIL FROM:<${printable(a(t.mailFrom))}>`);
          for (const x of t.recipients) lines.push(`  RCPT TO:<${printable(a(x))}>${t.skipped.includes(x) ? '  (already accepted, journal)' : ''}`);
          lines.push(...headerLines(text(t.header ?? '')));
          lines.push('');
        }
        break;
      }
      case 'sent':
        lines.push(`sent     ${printable(r.source)}  ${plural(rcpt, 'recipient')}${how}`);
        break;
      case 'skipped':
        lines.push(`skipped  ${printable(r.source)}  already accepted (journal)`);
        break;
      case 'blocked':
        lines.push(`blocked  ${printable(r.source)}  not sent`);
        break;
      case 'refused':
        // A reason may quote a field of the message (an unreadable address): masked with the rest.
        lines.push(`refused  ${printable(r.source)}  not sent: ${text(r.reason ?? 'cannot be sent safely')}`);
        if (r.hint) lines.push(`  ${r.hint}`);
        break;
      case 'partial':
      case 'failed': {
        const accepted = r.transactions.reduce((n, t) => n + t.accepted.length + t.skipped.length, 0);
        lines.push(`${r.action === 'partial' ? 'partial' : 'failed '}  ${printable(r.source)}  ${accepted} of ${plural(rcpt, 'recipient')} accepted${how}`);
        for (const t of r.transactions) {
          // Servers quote the address in their reply: masked with the rest.
          for (const x of t.rejected) lines.push(`  refused ${a(x.address)}: ${text(x.response)}`);
          if (t.error) lines.push(`  ${text(t.error)}`);
        }
        break;
      }
    }
    if (report.profiled && r.profile !== undefined) lines.push(`  profile ${r.profile} (on violation: ${r.onViolation})`);
    for (const f of r.findings) lines.push(`  ${f.severity} ${f.code}: ${describeFinding(f, { redact: options.redact, context: 'send' })}`);
  }
  if (lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
  lines.push(...sendSummaryLines(report, text));
  return `${lines.join('\n')}\n`;
}

/** The closing lines: the totals, why the batch stopped early, and how to retry without sending twice. */
function sendSummaryLines(report: SendReport, text: (s: string) => string): string[] {
  const { summary, dryRun, stopped, interrupted, journal } = report;
  const parts = [
    dryRun ? `${summary.wouldSend} would be sent` : `${summary.sent} sent`,
    summary.partial ? `${summary.partial} partly refused` : '',
    summary.failed ? `${summary.failed} failed` : '',
    summary.blocked ? `${summary.blocked} blocked` : '',
    summary.refused ? `${summary.refused} refused` : '',
    summary.skipped ? `${summary.skipped} skipped (already sent)` : '',
  ].filter(Boolean);
  const lines = [`${plural(summary.messages, 'message')}: ${parts.join(', ')}.${dryRun ? ' Nothing was sent (--dry-run).' : ''}`];
  if (stopped !== undefined || interrupted) {
    lines.push(stopped !== undefined ? `Stopped early: ${text(stopped)}. Messages after the last one listed were not attempted.` : 'Interrupted: messages after the last one listed were not attempted.');
    lines.push(journal ? `Run the same command again to send the rest; the journal ${journal} skips what was accepted.` : 'Rerun with --journal FILE next time so a rerun skips what was accepted.');
  } else if (summary.failed + summary.partial > 0) {
    lines.push(
      journal
        ? `Run the same command again to retry; the journal ${journal} skips what was accepted.`
        : 'To retry without sending twice, rerun with --journal FILE next time: a rerun then skips what was accepted.',
    );
  }
  return lines;
}

/** Why a batch stopped before its end (the `stopped` of the report), in words without a final stop. */
export function describeSendStop(stop: { kind: 'relay-quiet'; seconds: number; last?: string } | { kind: 'relay-silent'; last?: string }): string {
  if (stop.kind === 'relay-quiet') return `the relay accepted nothing for ${stop.seconds} s${stop.last ? ` (last: ${stop.last})` : ''}`;
  return `the relay did not answer (${stop.last ?? 'no reply'})`;
}

/** Why send did not send a message it could not take whole, in words (the result's `reason`). */
export const SEND_REFUSALS = {
  headerOnly: 'only the header of this message could be read',
  outlookMsg: 'an Outlook .msg is checked here, not composed for sending; send it from Outlook',
  transcriptLine: (why: string) => `not sent: ${why}; nothing from this transcript is sent until it is fixed`,
} as const;
