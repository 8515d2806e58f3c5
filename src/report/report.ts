import type { MessageResult, Verdict } from '../result.js';
import type { Painter } from './human.js';

/** What a run produced: every message's result and the totals. Formatters turn it into text. */
export interface Report {
  results: MessageResult[];
  summary: Record<'checked' | Verdict, number>;
}

export function summarise(results: readonly MessageResult[]): Report['summary'] {
  const summary = { checked: results.length, pass: 0, warn: 0, block: 0, error: 0 };
  for (const r of results) summary[r.verdict]++;
  return summary;
}

export function createReport(results: MessageResult[]): Report {
  return { results, summary: summarise(results) };
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
