// One row per incident, for the spreadsheet a data-protection officer keeps. RFC 4180 quoting,
// CRLF line ends, a UTF-8 byte-order mark (so spreadsheet programs read accents right), and
// cells that a spreadsheet would run as a formula (= + - @, tab, CR) prefixed with a quote.

import type { AuditReport } from './aggregate.js';
import { applyRedaction, type AuditFormatOptions } from './json.js';

export const AUDIT_CSV_COLUMNS = ['source', 'date', 'subject', 'sender', 'exposedExternal', 'parties', 'recipients', 'severity', 'fields', 'examples', 'id'] as const;

/** Neutralises formula injection (OWASP "CSV injection"), then quotes when needed. */
export function csvCell(value: string | number | null): string {
  let s = value === null ? '' : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatAuditCsv(report: AuditReport, options: AuditFormatOptions): string {
  const r = applyRedaction(report, options);
  const rows = [AUDIT_CSV_COLUMNS.join(',')];
  for (const i of r.incidents) {
    rows.push(
      [i.source, i.date, i.subject, i.sender, i.exposedExternal, i.parties, i.recipients, i.severity, i.fields.join(' '), i.examples.join(' '), i.id]
        .map(csvCell)
        .join(','),
    );
  }
  // Files found that are not mail: one row each, severity "not-read", so the sheet says what the audit did not cover.
  for (const f of r.summary.notReadFiles) rows.push([f.path, null, `not read: ${f.kind}, not a mail message`, null, null, null, null, 'not-read', '', ''].map(csvCell).join(','));
  if (r.summary.notRead > r.summary.notReadFiles.length) rows.push([`and ${r.summary.notRead - r.summary.notReadFiles.length} more files`, null, 'not read: not mail', null, null, null, null, 'not-read', '', ''].map(csvCell).join(','));
  return `\ufeff${rows.join('\r\n')}\r\n`;
}
