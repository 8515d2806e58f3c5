// GitHub Actions workflow commands: `::error file=...,line=...,title=...::message`, escaped the way
// @actions/core escapes them. GitHub keeps only 10 annotations of each kind per step, so the most
// important findings come first; `githubStepSummary` renders every result as a Markdown table for
// $GITHUB_STEP_SUMMARY (the CLI appends it; this module only builds strings).

import type { MessageResult } from '../result.js';
import { describeWhere, findingsByImportance, resultFile } from './locate.js';
import { describeFinding, FINDING_TITLES } from './messages.js';
import { MAX_NOT_READ_NAMED, type Formatter, type FormatOptions, type Report } from './report.js';

/** GitHub shows at most this many annotations of each kind (error, warning) per step. */
export const GITHUB_MAX_ANNOTATIONS_PER_KIND = 10;

/** Escapes a command's message (@actions/core `escapeData`). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property value (@actions/core `escapeProperty`). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(kind: 'error' | 'warning' | 'notice', properties: Array<[string, string | number | undefined]>, message: string): string {
  const props = properties.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${kind}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(message)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const formatGithub: Formatter = (report, options) => {
  const lines: string[] = [];
  const shown = { error: 0, warning: 0, info: 0 };
  const skipped = { error: 0, warning: 0, info: 0 };
  for (const { result, finding } of findingsByImportance(report.results)) {
    const kind = finding.severity;
    if (shown[kind] >= GITHUB_MAX_ANNOTATIONS_PER_KIND) {
      skipped[kind]++;
      continue;
    }
    shown[kind]++;
    const where = describeWhere(finding);
    const message = `${result.source}: ${describeFinding(finding, { redact: options.redact })}${where ? ` (${where})` : ''}`;
    lines.push(command(kind === 'info' ? 'notice' : kind, [['file', resultFile(result)], ['line', finding.line], ['title', `${FINDING_TITLES[finding.code]} (${finding.code})`]], message));
  }
  if (skipped.error + skipped.warning > 0) {
    lines.push(
      `mailguard: ${plural(skipped.error, 'more error')} and ${plural(skipped.warning, 'more warning')} not annotated (GitHub shows ${GITHUB_MAX_ANNOTATIONS_PER_KIND} of each kind per step); see the step summary or run with --format sarif.`,
    );
  }
  const shownNotRead = report.notRead.slice(0, MAX_NOT_READ_NAMED);
  for (const f of shownNotRead) lines.push(command('notice', [['file', f.path], ['title', 'Not mail, not read']], `mailguard did not read ${f.path}: ${f.kind}, not a mail message`));
  const s = report.summary;
  const notRead = s.notRead > 0 ? `; ${plural(s.notRead, 'file')} not read (not mail)${report.notRead.length > shownNotRead.length ? `, ${report.notRead.length - shownNotRead.length} of them not annotated` : ''}` : '';
  lines.push(`mailguard: ${plural(s.checked, 'message')} checked: ${s.pass} pass, ${s.warn} warn, ${s.block} block, ${s.error} error${notRead}`);
  return `${lines.join('\n')}\n`;
};

/** Escapes text for a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}

const VERDICT_ICONS: Record<MessageResult['verdict'], string> = { pass: '✅ pass', warn: '⚠️ warn', block: '⛔ block', error: '❌ error' };

/** A Markdown summary of every result, for $GITHUB_STEP_SUMMARY (not limited like annotations). */
export function githubStepSummary(report: Report, options: Pick<FormatOptions, 'redact'>): string {
  const s = report.summary;
  const lines = [
    '### mailguard',
    '',
    `${plural(s.checked, 'message')} checked: ${s.pass} pass, ${s.warn} warn, ${s.block} block, ${s.error} error${s.notRead > 0 ? `; ${plural(s.notRead, 'file')} not read (not mail)` : ''}`,
    '',
  ];
  const rows: string[] = [];
  for (const r of report.results) {
    if (r.findings.length === 0) continue;
    for (const f of r.findings) {
      const where = describeWhere(f);
      rows.push(`| ${VERDICT_ICONS[r.verdict]} | ${cell(r.source)} | ${cell(where)} | \`${f.code}\` | ${f.severity} | ${cell(describeFinding(f, { redact: options.redact }))} |`);
    }
  }
  if (rows.length > 0) {
    lines.push('| verdict | message | where | code | severity | finding |', '|---|---|---|---|---|---|', ...rows, '');
  } else {
    lines.push('No findings.', '');
  }
  if (report.notRead.length > 0) {
    lines.push('| not read | what it is |', '|---|---|', ...report.notRead.map((f) => `| ${cell(f.path)} | ${cell(f.kind)} |`), '');
  }
  return `${lines.join('\n')}\n`;
}
