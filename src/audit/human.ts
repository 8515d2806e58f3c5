// The audit for a terminal: totals, worst incidents, incidents per month, repeat senders, and
// one line per incident. Pure; colour is an option.

import { painter, printable, type Painter } from '../report/human.js';
import { describeUnreadable } from '../report/messages.js';
import type { AuditIncident, AuditReport, AuditSummary } from './aggregate.js';
import { describeExposure, describeNotScanned } from './exposure.js';
import { redactIncident, redactSummary, type AuditFormatOptions } from './json.js';

export interface AuditHumanOptions extends AuditFormatOptions {
  /** A painter such as `new Chalk({ level: 1 })`, or false. */
  color: Painter | false;
}

/** Widest bar in the per-month histogram. */
const BAR_WIDTH = 30;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function day(iso: string | null): string {
  return iso ? iso.slice(0, 10) : 'undated   ';
}

/** Indent of the lines that say where an incident's lists were (under its own line). */
const DETAIL_INDENT = '      ';

function line(i: AuditIncident): string {
  const subject = i.subject ? `"${printable(i.subject)}"` : '(no subject)';
  const head = `${i.id ? `${i.id}  ` : ''}${day(i.date)}  ${i.sender ? printable(i.sender) : '(unknown sender)'}  ${subject}: ${plural(i.exposedExternal, 'external address', 'external addresses')} from ${plural(i.parties, 'organisation')} to ${plural(i.recipients, 'recipient')}  ${printable(i.source)}`;
  // Header-only incidents keep their one line; lists in attachments say where each one is.
  if (i.exposures.length === 0 && i.notScanned.length === 0) return head;
  const details = [
    ...i.exposures.map((e) => `${e.kind}: ${printable(describeExposure(e))}${e.examples.length > 0 ? `, e.g. ${e.examples.slice(0, 3).join(', ')}` : ''}`),
    ...i.notScanned.map((n) => `not scanned: ${printable(describeNotScanned(n))}`),
  ];
  return [`${head}  [${i.kinds.join(', ')}]`, ...details.map((d) => `${DETAIL_INDENT}${d}`)].join('\n  ');
}

export function formatAuditHuman(report: AuditReport, options: AuditHumanOptions): string {
  const worst = report.summary.worst.map((i) => report.incidents[i]!);
  return auditHumanPieces.head(report.summary, worst, options) + report.incidents.map((i) => auditHumanPieces.incident(i, options)).join('');
}

/** The human report in pieces: everything up to the list of all incidents, then one line each. */
export const auditHumanPieces = {
  head(summary: AuditSummary, worstIncidents: readonly AuditIncident[], options: AuditHumanOptions): string {
    return `${humanHead(summary, worstIncidents, options).join('\n')}\n`;
  },
  incident(i: AuditIncident, options: AuditHumanOptions): string {
    return `  ${line(options.redact ? redactIncident(i) : i)}\n`;
  },
};

function humanHead(summary: AuditSummary, worstIncidents: readonly AuditIncident[], options: AuditHumanOptions): string[] {
  const p = painter(options.color);
  const s = redactSummary(summary, options);
  const out: string[] = [];
  const range = s.since || s.until ? ` from ${s.since ? s.since.slice(0, 10) : 'the start'} to ${s.until ? s.until.slice(0, 10) : 'now'}` : '';
  out.push(p.bold(`Exposure audit: ${plural(s.messages, 'message')}${range}`));
  // An input that could not be read is never "no exposure": the audit is incomplete.
  if (s.incidents === 0 && s.unreadable > 0) out.push(p.yellow('No incident in what could be read, but the audit is incomplete (see below).'));
  // Nor is an attachment that could not be scanned.
  else if (s.incidents === 0 && s.notScanned > 0) out.push(p.yellow('No incident in what could be scanned, but some attachments could not be scanned (see below).'));
  else if (s.incidents === 0) out.push(p.green('No message exposed external recipients.'));
  else {
    const span = s.firstIncident ? ` between ${s.firstIncident.slice(0, 10)} and ${s.lastIncident!.slice(0, 10)}` : '';
    out.push(
      p.red(`${plural(s.incidents, 'incident')}${span}: ${plural(s.exposedAddresses, 'distinct external address', 'distinct external addresses')} of ${plural(s.exposedParties, 'organisation')} exposed.`),
    );
  }
  if (s.attachmentIncidents > 0) {
    out.push(p.red(`${plural(s.attachmentIncidents, 'incident')} listed addresses in attachments, invitations or the text: ${plural(s.listedAddresses, 'external address', 'external addresses')} (counted per list).`));
  }
  if (s.notScanned > 0) {
    out.push(p.yellow(`${plural(s.notScanned, 'message')} with attachments that could not be scanned (not known to be clean):`));
    for (const m of s.notScannedMessages) for (const n of m.parts) out.push(p.yellow(`  ${printable(m.source)}: ${printable(describeNotScanned(n))}`));
    if (s.notScanned > s.notScannedMessages.length) out.push(p.yellow(`  ... and ${s.notScanned - s.notScannedMessages.length} more messages`));
  }
  if (s.notRead > 0) {
    out.push(p.yellow(`${plural(s.notRead, 'file')} found ${s.notRead === 1 ? 'is' : 'are'} not mail and ${s.notRead === 1 ? 'was' : 'were'} not read: ${s.notReadFiles.map((f) => `${printable(f.path)} (${f.kind})`).join(', ')}${s.notRead > s.notReadFiles.length ? ' ...' : ''}`));
  }
  if (s.listTraffic > 0) out.push(p.dim(`${plural(s.listTraffic, 'message')} of mailing-list traffic (List-Id or List-Post) counted apart, not as incidents${s.listTrafficExposing > 0 ? ` (check flags ${s.listTrafficExposing} of them only because it counts the list as one more organisation)` : ''}.`));
  if (s.unreadable > 0) {
    out.push(p.yellow(`${plural(s.unreadable, 'input')} could not be read: ${s.unreadableSources.map(printable).join(', ')}${s.unreadable > s.unreadableSources.length ? ' ...' : ''}`));
    // Folders and servers say why (a folder not read is not a folder without incidents), and so
    // does a message whose header check cannot read (who saw whom cannot be told).
    s.unreadableSources.forEach((src, k) => {
      const why = s.unreadableReasons[k];
      if (why && (/^imaps?:\/\//.test(src) || why.startsWith(describeUnreadable('unclear-header', undefined)))) out.push(p.yellow(`  ${printable(src)}: ${printable(why)}`));
    });
  }
  if (s.outOfRange > 0) out.push(p.dim(`${plural(s.outOfRange, 'message')} outside the date range left out.`));
  if (s.undated > 0 && (s.since || s.until)) out.push(p.yellow(`${plural(s.undated, 'message')} without a readable date audited too: ${s.undated === 1 ? 'it' : 'they'} may fall in the date range.`));
  if (s.incidents > 0) {
    out.push('', p.bold('Worst incidents'));
    for (const i of worstIncidents) out.push(`  ${line(options.redact ? redactIncident(i) : i)}`);
    out.push('', p.bold('Incidents per month'));
    const max = Math.max(...s.months.map((m) => m.incidents), 1);
    for (const m of s.months) {
      const bar = '#'.repeat(Math.max(1, Math.round((m.incidents / max) * BAR_WIDTH)));
      out.push(`  ${m.month}  ${bar} ${m.incidents} ${p.dim(`(${plural(m.exposedAddresses, 'address', 'addresses')})`)}`);
    }
    if (s.undatedIncidents > 0) out.push(`  undated  ${s.undatedIncidents}`);
    if (s.profiles.some((x) => x.profile !== 'default')) {
      out.push('', p.bold('Incidents by profile'));
      for (const x of s.profiles) out.push(`  ${x.profile}: ${plural(x.incidents, 'incident')}, ${plural(x.exposedAddresses, 'address', 'addresses')} exposed`);
    }
    if (s.repeatSenders.length > 0) {
      out.push('', p.bold('Repeat senders'));
      for (const r of s.repeatSenders) out.push(`  ${printable(r.sender)}: ${plural(r.incidents, 'incident')}, ${plural(r.exposedAddresses, 'address', 'addresses')} exposed`);
    }
    out.push('', p.bold('All incidents'));
  }
  return out;
}
