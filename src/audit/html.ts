// The audit as one self-contained HTML page: inline CSS and an inline SVG chart, no script, no
// network (a Content-Security-Policy forbids both), so it can be mailed to a data-protection
// officer or opened offline. Pure.

import type { AuditIncident, AuditReport, AuditSummary } from './aggregate.js';
import { monthRange } from './aggregate.js';
import { describeExposure, describeNotScanned } from './exposure.js';
import { redactIncident, redactSummary, type AuditFormatOptions } from './json.js';

/** Rows in the page's table of all incidents; the CSV has every one. Keeps the page openable. */
export const MAX_HTML_INCIDENT_ROWS = 2000;

const CHART_HEIGHT = 180;
const CHART_LEFT = 40;
const CHART_BOTTOM = 40;
const CHART_TOP = 16;
const CHART_MAX_WIDTH = 900;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The incidents-per-month chart: one bar per month with incidents, on a continuous month axis. */
function chart(summary: AuditSummary): string {
  const months = summary.months;
  if (months.length === 0) return '<p class="empty">No dated incidents to chart.</p>';
  const axis = monthRange(months[0]!.month, months[months.length - 1]!.month);
  const slot = Math.max(4, Math.min(48, Math.floor((CHART_MAX_WIDTH - CHART_LEFT) / axis.length)));
  const width = CHART_LEFT + slot * axis.length + 10;
  const height = CHART_TOP + CHART_HEIGHT + CHART_BOTTOM;
  const max = Math.max(...months.map((m) => m.incidents));
  const byMonth = new Map(months.map((m) => [m.month, m]));
  const labelEvery = Math.ceil(axis.length / 12);
  const parts: string[] = [];
  const base = CHART_TOP + CHART_HEIGHT;
  parts.push(`<line class="axis" x1="${CHART_LEFT}" y1="${base}" x2="${width - 5}" y2="${base}"/>`);
  parts.push(`<line class="axis" x1="${CHART_LEFT}" y1="${CHART_TOP}" x2="${CHART_LEFT}" y2="${base}"/>`);
  parts.push(`<text class="tick" x="${CHART_LEFT - 6}" y="${CHART_TOP + 4}" text-anchor="end">${max}</text>`);
  parts.push(`<text class="tick" x="${CHART_LEFT - 6}" y="${base + 4}" text-anchor="end">0</text>`);
  axis.forEach((month, i) => {
    const x = CHART_LEFT + i * slot;
    const m = byMonth.get(month);
    if (m) {
      const h = Math.max(2, Math.round((m.incidents / max) * CHART_HEIGHT));
      const label = `${month}: ${plural(m.incidents, 'incident')}, ${plural(m.exposedAddresses, 'address', 'addresses')} exposed`;
      parts.push(
        `<rect class="bar" data-month="${month}" data-incidents="${m.incidents}" x="${x + 1}" y="${base - h}" width="${Math.max(2, slot - 2)}" height="${h}"><title>${escapeHtml(label)}</title></rect>`,
      );
    }
    if (i % labelEvery === 0) parts.push(`<text class="tick" x="${x + slot / 2}" y="${base + 16}" text-anchor="middle">${month}</text>`);
  });
  return `<svg class="chart" role="img" aria-label="Incidents per month" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

function incidentRow(i: AuditIncident): string {
  const cells = [
    i.date ? i.date.slice(0, 10) : 'undated',
    i.sender ?? '(unknown)',
    i.subject || '(no subject)',
    String(i.exposedExternal),
    String(i.parties),
    String(i.recipients),
    i.severity,
    i.source,
  ];
  // Where the addresses were: To/Cc, and each list in an attachment or invitation (sheet, hidden ...).
  const where = [
    ...(i.kinds.includes('recipients') ? [`To/Cc (${i.fields.join(', ')})`] : []),
    ...i.exposures.map((x) => `${x.kind}: ${describeExposure(x)}`),
    ...i.notScanned.map((n) => `not scanned: ${describeNotScanned(n)}`),
  ];
  const exposedIn = `<td class="exposed-in" data-kinds="${escapeHtml(i.kinds.join(' '))}">${where.map(escapeHtml).join('<br>')}</td>`;
  return `<tr class="incident ${i.severity}">${cells.map((c, k) => `<td${k >= 3 && k <= 5 ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}${exposedIn}</tr>`;
}

const INCIDENT_HEAD = '<tr><th>date</th><th>sender</th><th>subject</th><th>external addresses</th><th>organisations</th><th>recipients</th><th>severity</th><th>message</th><th>exposed in</th></tr>';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.meta{color:#5b6475}
.cards{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}
.card{border:1px solid #d9dde5;border-radius:6px;padding:.6rem .9rem;min-width:9rem}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e4e7ed;vertical-align:top}
th{background:#f4f6f9;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
td:first-child{white-space:nowrap}#months,#senders{width:auto;min-width:24rem}
tr.error td:first-child{border-left:3px solid #c62828}tr.warning td:first-child{border-left:3px solid #ef8f00}
.chart .bar{fill:#c62828}.chart .axis{stroke:#5b6475;stroke-width:1}.chart .tick{font-size:10px;fill:#5b6475}
.empty,.note{color:#5b6475}
`;

export interface AuditHtmlOptions extends AuditFormatOptions {
  /** When the page was made (ISO), shown in its header. */
  generatedAt: string;
  /** The inputs audited, as named on the command line. */
  inputs: string[];
}

export function formatAuditHtml(report: AuditReport, options: AuditHtmlOptions): string {
  const worst = report.summary.worst.map((i) => report.incidents[i]!);
  return formatAuditHtmlFrom(report.summary, { worst, first: report.incidents.slice(0, MAX_HTML_INCIDENT_ROWS) }, options);
}

/**
 * The page from the summary and the only incidents it shows: the worst (in the order of
 * summary.worst) and the first MAX_HTML_INCIDENT_ROWS. An audit that streams its incidents keeps
 * just these.
 */
export function formatAuditHtmlFrom(summary: AuditSummary, kept: { worst: readonly AuditIncident[]; first: readonly AuditIncident[] }, options: AuditHtmlOptions): string {
  const s = redactSummary(summary, options);
  const redact = (i: AuditIncident) => (options.redact ? redactIncident(i) : i);
  const e = escapeHtml;
  const range = s.since || s.until ? `, ${s.since ? s.since.slice(0, 10) : 'start'} to ${s.until ? s.until.slice(0, 10) : 'now'}` : '';
  const cards = [
    ['messages', s.messages],
    ['incidents', s.incidents],
    ['distinct exposed addresses', s.exposedAddresses],
    ['organisations exposed', s.exposedParties],
    ['repeat senders', s.repeatSenders.length],
    ...(s.attachmentIncidents > 0 ? [['lists in attachments', s.attachmentIncidents] as const] : []),
    ...(s.notScanned > 0 ? [['messages not fully scanned', s.notScanned] as const] : []),
  ]
    .map(([label, n]) => `<div class="card" data-stat="${e(String(label))}"><b>${n}</b>${e(String(label))}</div>`)
    .join('');
  const body: string[] = [];
  body.push(`<h1>Exposure audit</h1>`);
  body.push(`<p class="meta">${e(options.inputs.join(', '))}${e(range)} · generated ${e(options.generatedAt.slice(0, 19).replace('T', ' '))} UTC by mailguard${options.redact ? ' · addresses masked' : ''}</p>`);
  body.push(`<div class="cards">${cards}</div>`);
  if (s.unreadable > 0) body.push(`<p class="note">${plural(s.unreadable, 'input')} could not be read.</p>`);
  if (s.notRead > 0) {
    body.push(
      `<p class="note" id="not-read">${plural(s.notRead, 'file')} found ${s.notRead === 1 ? 'is' : 'are'} not mail and ${s.notRead === 1 ? 'was' : 'were'} not read${s.notRead > s.notReadFiles.length ? ` (the first ${s.notReadFiles.length} listed)` : ''}:</p>`,
      `<ul class="not-read">${s.notReadFiles.map((f) => `<li>${e(f.path)} (${e(f.kind)})</li>`).join('')}</ul>`,
    );
  }
  if (s.notScanned > 0) {
    // Not scanned is never clean: named like the files that could not be read.
    body.push(
      `<p class="note not-scanned"><b>Not known to be clean:</b> ${plural(s.notScanned, 'message')} ${s.notScanned === 1 ? 'has' : 'have'} attachments that could not be scanned${s.notScanned > s.notScannedMessages.length ? ` (the first ${s.notScannedMessages.length} listed)` : ''}:</p>`,
      `<ul class="not-scanned">${s.notScannedMessages.map((m) => `<li>${e(m.source)}: ${e(m.parts.map(describeNotScanned).join('; '))}</li>`).join('')}</ul>`,
    );
  }
  if (s.listTraffic > 0) body.push(`<p class="note">${plural(s.listTraffic, 'message')} of mailing-list traffic (List-Id or List-Post) counted apart, not as incidents.</p>`);
  if (s.unreadable > 0) {
    body.push(`<p class="note unreadable"><b>The audit is incomplete:</b> ${plural(s.unreadable, 'input')} could not be read.</p>`);
    body.push(`<ul class="unreadable">${s.unreadableSources.map((src, k) => `<li>${e(src)}: ${e(s.unreadableReasons[k] ?? 'cannot be read')}</li>`).join('')}</ul>`);
  }
  if (s.outOfRange > 0) body.push(`<p class="note">${plural(s.outOfRange, 'message')} outside the date range left out.</p>`);
  if (s.undated > 0 && (s.since || s.until)) body.push(`<p class="note">${plural(s.undated, 'message')} without a readable date audited too: ${s.undated === 1 ? 'it' : 'they'} may fall in the date range.</p>`);
  body.push('<h2>Incidents per month</h2>', chart(summary));
  if (s.undatedIncidents > 0) body.push(`<p class="note">${plural(s.undatedIncidents, 'incident')} without a date not shown in the chart.</p>`);
  if (s.incidents > 0) {
    body.push('<h2>Worst incidents</h2>', `<table id="worst">${INCIDENT_HEAD}${kept.worst.map((i) => incidentRow(redact(i))).join('')}</table>`);
    body.push(
      '<h2>Per month</h2>',
      `<table id="months"><tr><th>month</th><th>incidents</th><th>addresses exposed</th></tr>${s.months.map((m) => `<tr><td>${m.month}</td><td class="num">${m.incidents}</td><td class="num">${m.exposedAddresses}</td></tr>`).join('')}</table>`,
    );
    if (s.repeatSenders.length > 0) {
      body.push(
        '<h2>Repeat senders</h2>',
        `<table id="senders"><tr><th>sender</th><th>incidents</th><th>addresses exposed</th></tr>${s.repeatSenders.map((r) => `<tr><td>${e(r.sender)}</td><td class="num">${r.incidents}</td><td class="num">${r.exposedAddresses}</td></tr>`).join('')}</table>`,
      );
    }
    const shown = kept.first.slice(0, MAX_HTML_INCIDENT_ROWS).map(redact);
    body.push('<h2>All incidents</h2>', `<table id="incidents">${INCIDENT_HEAD}${shown.map(incidentRow).join('')}</table>`);
    if (s.incidents > shown.length) body.push(`<p class="note">The first ${shown.length} of ${s.incidents} incidents are listed; the CSV export (--csv) has all of them.</p>`);
  } else {
    body.push('<p>No message exposed external recipients.</p>');
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailguard exposure audit: ${plural(s.incidents, 'incident')}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
