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
}

export type Formatter = (report: Report, options: FormatOptions) => string;
