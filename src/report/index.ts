// Check's formatters by --format name, from the one registry of output formats (formats.ts).
// Each is pure: (report, options) => string.

import { checkFormatters, formatsOf } from './formats.js';
import { streamGithub } from './github.js';
import { streamHuman } from './human.js';
import { streamJson } from './json.js';
import { streamJunit } from './junit.js';
import { streamSarif } from './sarif.js';
import type { Formatter, StreamFormatter } from './report.js';

export const FORMATTERS: Record<string, Formatter> = checkFormatters();

/** The same formats result by result, for the CLI: memory bounded by one message (see ReportStream). */
export const STREAM_FORMATTERS: Record<string, StreamFormatter> = {
  human: streamHuman,
  json: streamJson,
  sarif: streamSarif,
  github: streamGithub,
  junit: streamJunit,
};

/** Formats whose output may be published (CI logs, code scanning): addresses masked by default. */
export const PUBLIC_FORMATS = new Set<string>(formatsOf('check').filter((f) => f.maskedByDefault).map((f) => f.name));

export type { Formatter, FormatOptions, Report, ReportStream, StreamFormatter } from './report.js';
export { createReport, emptySummary, summarise } from './report.js';
