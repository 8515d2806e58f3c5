import type { MessageResult, Verdict } from '../result.js';
import type { Painter } from './human.js';

/** What a run produced: every message's result and the totals. Formatters turn it into text. */
export interface Report {
  results: MessageResult[];
  /** `notRead`: files a directory walk or glob found that are not mail (listed in `notRead`). */
  summary: Record<'checked' | Verdict | 'notRead', number>;
  /** Files found that are not mail, with what they are instead: every format names them, so a
   * report that says nothing was exposed also says what it did not read. */
  notRead: NotReadFile[];
}

export interface NotReadFile {
  path: string;
  /** What the file is instead of mail: "PNG image", "PDF document". */
  kind: string;
}

/** Files not read that the human, GitHub and JUnit formats name one by one; the rest are counted. */
export const MAX_NOT_READ_NAMED = 20;

export function summarise(results: readonly MessageResult[], notRead = 0): Report['summary'] {
  const summary = { checked: results.length, pass: 0, warn: 0, block: 0, error: 0, notRead };
  for (const r of results) summary[r.verdict]++;
  return summary;
}

/** Totals kept while results are written one at a time (the same fields, in the same order, as `summarise`). */
export function emptySummary(): Report['summary'] {
  return { checked: 0, pass: 0, warn: 0, block: 0, error: 0, notRead: 0 };
}

export function createReport(results: MessageResult[], notRead: NotReadFile[] = []): Report {
  return { results, summary: summarise(results, notRead.length), notRead };
}

export interface FormatOptions {
  /** Mask addresses (first character of the local part, then the domain). */
  redact: boolean;
  /** Colour for the human format: a painter such as `new Chalk({ level: 1 })`, or false. */
  color: Painter | false;
  /** Leave out messages that pass (human format). */
  quiet?: boolean;
  /** The command a user runs to fix an exposed message ("mailguard fix"). */
  fixCommand?: string;
  /**
   * The policy options the check was given on the command line (src/cli/policy-options.ts,
   * policyArguments), repeated in the fix command the hint prints, so fix decides under the policy
   * the hint was decided under. Unquoted words; the formatter quotes them.
   */
  fixArguments?: readonly string[];
}

export type Formatter = (report: Report, options: FormatOptions) => string;

/**
 * A format written result by result, so a report's memory does not grow with the number of
 * messages: `result` turns each result into its text as it is produced (the caller keeps that
 * text, in order, outside the heap), and `finish` gives what goes before and after it once the
 * totals are known. head + every result's text + tail is byte for byte what the format's
 * Formatter writes for the same report. A format whose order is not the input's (GitHub
 * annotations: the most important first) keeps only what it will show, and writes it at `finish`.
 */
export interface ReportStream {
  result(r: MessageResult): string;
  finish(summary: Report['summary'], notRead: readonly NotReadFile[]): { head: string; tail: string };
  /**
   * Formats whose results other threads can write (check with several jobs, src/cli/check-jobs.ts):
   * `alone` is one result's text by itself, pure, run by a worker on its own stream made with the
   * same options; `place` is what `result` writes for that text at its turn (separators, the
   * stream's state). result(r) === place(alone(r)), always.
   */
  parallel?: { alone(r: MessageResult): string; place(text: string): string };
}

export type StreamFormatter = (options: FormatOptions) => ReportStream;
