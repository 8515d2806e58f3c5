// One row per incident, for the spreadsheet a data-protection officer keeps. RFC 4180 quoting,
// CRLF line ends, a UTF-8 byte-order mark (so spreadsheet programs read accents right), and
// cells that a spreadsheet would run as a formula (= + - @, tab, CR) prefixed with a quote.

import type { AuditIncident, AuditReport, AuditSummary } from './aggregate.js';
import { describeExposure, describeNotScanned } from './exposure.js';
import { redactIncident, redactSummary, type AuditFormatOptions } from './json.js';

/** Columns are only ever added at the end: spreadsheets and scripts read them by position too. */
export const AUDIT_CSV_COLUMNS = ['source', 'date', 'subject', 'sender', 'exposedExternal', 'parties', 'recipients', 'severity', 'fields', 'examples', 'id', 'kinds', 'exposures'] as const;

/** Neutralises formula injection (OWASP "CSV injection"), then quotes when needed. */
export function csvCell(value: string | number | null): string {
  let s = value === null ? '' : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One incident's row (redacted as the report asks). */
function incidentRow(incident: AuditIncident, options: AuditFormatOptions): string {
  const i = options.redact ? redactIncident(incident) : incident;
  const where = [...i.exposures.map((e) => `${e.kind}: ${describeExposure(e)}`), ...i.notScanned.map((n) => `not scanned: ${describeNotScanned(n)}`)].join('; ');
  return [i.source, i.date, i.subject, i.sender, i.exposedExternal, i.parties, i.recipients, i.severity, i.fields.join(' '), i.examples.join(' '), i.id, i.kinds.join(' '), where].map(csvCell).join(',');
}

/** Messages with attachments that could not be scanned: one row each, severity "not-scanned" (never clean). */
function notScannedRows(summary: AuditSummary, options: AuditFormatOptions): string[] {
  const s = redactSummary(summary, options);
  const rows = s.notScannedMessages.map((m) => [m.source, null, `not scanned: ${m.parts.map(describeNotScanned).join('; ')}`, null, null, null, null, 'not-scanned', '', ''].map(csvCell).join(','));
  if (s.notScanned > s.notScannedMessages.length) rows.push([`and ${s.notScanned - s.notScannedMessages.length} more messages`, null, 'not scanned', null, null, null, null, 'not-scanned', '', ''].map(csvCell).join(','));
  return rows;
}

/** Files found that are not mail: one row each, severity "not-read", so the sheet says what the audit did not cover. */
function notReadRows(s: AuditSummary): string[] {
  const rows = s.notReadFiles.map((f) => [f.path, null, `not read: ${f.kind}, not a mail message`, null, null, null, null, 'not-read', '', ''].map(csvCell).join(','));
  if (s.notRead > s.notReadFiles.length) rows.push([`and ${s.notRead - s.notReadFiles.length} more files`, null, 'not read: not mail', null, null, null, null, 'not-read', '', ''].map(csvCell).join(','));
  return rows;
}

export function formatAuditCsv(report: AuditReport, options: AuditFormatOptions): string {
  const rows = [AUDIT_CSV_COLUMNS.join(','), ...report.incidents.map((i) => incidentRow(i, options)), ...notScannedRows(report.summary, options), ...notReadRows(report.summary)];
  return `\ufeff${rows.join('\r\n')}\r\n`;
}

/** The same sheet in pieces, for incidents read back one by one: head, one row per incident, tail. */
export const auditCsvPieces = {
  head: (): string => `\ufeff${AUDIT_CSV_COLUMNS.join(',')}\r\n`,
  incident: (incident: AuditIncident, options: AuditFormatOptions): string => `${incidentRow(incident, options)}\r\n`,
  tail: (summary: AuditSummary, options: AuditFormatOptions): string => [...notScannedRows(summary, options), ...notReadRows(summary)].map((row) => `${row}\r\n`).join(''),
};
