// GitHub Actions workflow commands: `::error file=...,line=...,title=...::message`, escaped the way
// @actions/core escapes them. GitHub keeps only 10 annotations of each kind per step, so the most
// important findings come first; `githubStepSummary` renders every result as a Markdown table for
// $GITHUB_STEP_SUMMARY (the CLI appends it; this module only builds strings).

import type { Finding } from '../findings.js';
import type { MessageResult } from '../result.js';
import { describeWhere, findingsByImportance, findingWeight, resultFile } from './locate.js';
import { describeFinding, FINDING_TITLES } from './messages.js';
import { MAX_NOT_READ_NAMED, type Formatter, type FormatOptions, type NotReadFile, type Report, type StreamFormatter } from './report.js';

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

type Kind = Finding['severity'];

/** One finding's workflow command. */
function annotation(result: MessageResult, finding: Finding, options: Pick<FormatOptions, 'redact'>): string {
  const where = describeWhere(finding);
  const message = `${result.source}: ${describeFinding(finding, { redact: options.redact })}${where ? ` (${where})` : ''}`;
  return command(finding.severity === 'info' ? 'notice' : finding.severity, [['file', resultFile(result)], ['line', finding.line], ['title', `${FINDING_TITLES[finding.code]} (${finding.code})`]], message);
}

/** The lines after the annotations: what was not annotated, the files not read, the totals. */
function githubTotalsLines(skipped: Record<Kind, number>, s: Report['summary'], notRead: readonly NotReadFile[]): string[] {
  const lines: string[] = [];
  if (skipped.error + skipped.warning > 0) {
    lines.push(
      `mailguard: ${plural(skipped.error, 'more error')} and ${plural(skipped.warning, 'more warning')} not annotated (GitHub shows ${GITHUB_MAX_ANNOTATIONS_PER_KIND} of each kind per step); see the step summary or run with --format sarif.`,
    );
  }
  const shownNotRead = notRead.slice(0, MAX_NOT_READ_NAMED);
  for (const f of shownNotRead) lines.push(command('notice', [['file', f.path], ['title', 'Not mail, not read']], `mailguard did not read ${f.path}: ${f.kind}, not a mail message`));
  const notReadCount = s.notRead > 0 ? `; ${plural(s.notRead, 'file')} not read (not mail)${notRead.length > shownNotRead.length ? `, ${notRead.length - shownNotRead.length} of them not annotated` : ''}` : '';
  lines.push(`mailguard: ${plural(s.checked, 'message')} checked: ${s.pass} pass, ${s.warn} warn, ${s.block} block, ${s.error} error${notReadCount}`);
  return lines;
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
    lines.push(annotation(result, finding, options));
  }
  lines.push(...githubTotalsLines(skipped, report.summary, report.notRead));
  return `${lines.join('\n')}\n`;
};

/**
 * The same annotations result by result (see ReportStream). They come most important first, not
 * in input order, and GitHub shows only the first of each kind: so only those are kept (the most
 * important so far of each kind, as written commands) and everything is written at the end.
 */
export const streamGithub: StreamFormatter = (options) => {
  interface Kept {
    weight: number;
    order: number;
    line: string;
  }
  const kept: Record<Kind, Kept[]> = { error: [], warning: [], info: [] };
  const seen: Record<Kind, number> = { error: 0, warning: 0, info: 0 };
  /** a before b in findingsByImportance's order. */
  const before = (a: Omit<Kept, 'line'>, b: Omit<Kept, 'line'>) => a.weight > b.weight || (a.weight === b.weight && a.order < b.order);
  let order = 0;
  return {
    result(r) {
      for (const finding of r.findings) {
        const rank = { weight: findingWeight(finding), order: order++ };
        const list = kept[finding.severity];
        seen[finding.severity]++;
        if (list.length >= GITHUB_MAX_ANNOTATIONS_PER_KIND && !before(rank, list[list.length - 1]!)) continue;
        let at = list.length;
        while (at > 0 && before(rank, list[at - 1]!)) at--;
        list.splice(at, 0, { ...rank, line: annotation(r, finding, options) });
        if (list.length > GITHUB_MAX_ANNOTATIONS_PER_KIND) list.pop();
      }
      return '';
    },
    finish(summary, notRead) {
      const shown = [...kept.error, ...kept.warning, ...kept.info].sort((a, b) => (before(a, b) ? -1 : 1));
      const skipped = { error: seen.error - kept.error.length, warning: seen.warning - kept.warning.length, info: seen.info - kept.info.length };
      const lines = [...shown.map((k) => k.line), ...githubTotalsLines(skipped, summary, notRead)];
      return { head: `${lines.join('\n')}\n`, tail: '' };
    },
  };
};

/** Escapes text for a Markdown table cell. */
function cell(s: string): string {
  // Markdown's own characters too: a subject or a name cannot add a link, an image or emphasis.
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\|[\]()!*_`~#]/g, (c) => `\\${c}`)
    .replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}

const VERDICT_ICONS: Record<MessageResult['verdict'], string> = { pass: '✅ pass', warn: '⚠️ warn', block: '⛔ block', error: '❌ error' };

const STEP_SUMMARY_TABLE_HEAD = ['| verdict | message | where | code | severity | finding |', '|---|---|---|---|---|---|'];

/** A result's rows in the step summary's table (one per finding). */
function stepSummaryRows(r: MessageResult, options: Pick<FormatOptions, 'redact'>): string[] {
  return r.findings.map((f) => `| ${VERDICT_ICONS[r.verdict]} | ${cell(r.source)} | ${cell(describeWhere(f))} | \`${f.code}\` | ${f.severity} | ${cell(describeFinding(f, { redact: options.redact }))} |`);
}

function stepSummaryHead(s: Report['summary']): string[] {
  return ['### mailguard', '', `${plural(s.checked, 'message')} checked: ${s.pass} pass, ${s.warn} warn, ${s.block} block, ${s.error} error${s.notRead > 0 ? `; ${plural(s.notRead, 'file')} not read (not mail)` : ''}`, ''];
}

function notReadTable(notRead: readonly NotReadFile[]): string[] {
  return notRead.length > 0 ? ['| not read | what it is |', '|---|---|', ...notRead.map((f) => `| ${cell(f.path)} | ${cell(f.kind)} |`), ''] : [];
}

/** A Markdown summary of every result, for $GITHUB_STEP_SUMMARY (not limited like annotations). */
export function githubStepSummary(report: Report, options: Pick<FormatOptions, 'redact'>): string {
  const lines = stepSummaryHead(report.summary);
  const rows = report.results.flatMap((r) => stepSummaryRows(r, options));
  if (rows.length > 0) lines.push(...STEP_SUMMARY_TABLE_HEAD, ...rows, '');
  else lines.push('No findings.', '');
  lines.push(...notReadTable(report.notRead));
  return `${lines.join('\n')}\n`;
}

/** The same summary result by result (see ReportStream): every row, then what surrounds them. */
export const streamGithubStepSummary: StreamFormatter = (options) => {
  let anyRows = false;
  const text = (lines: string[]) => lines.map((line) => `${line}\n`).join('');
  return {
    result(r) {
      const rows = stepSummaryRows(r, options);
      if (rows.length > 0) anyRows = true;
      return text(rows);
    },
    finish(summary, notRead) {
      return {
        head: text([...stepSummaryHead(summary), ...(anyRows ? STEP_SUMMARY_TABLE_HEAD : [])]),
        tail: text([...(anyRows ? [''] : ['No findings.', '']), ...notReadTable(notRead)]),
      };
    },
  };
};
