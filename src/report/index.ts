// Formatters by --format name. Each is pure: (report, options) => string.

import { formatGithub, streamGithub } from './github.js';
import { formatHuman, streamHuman } from './human.js';
import { formatJson, streamJson } from './json.js';
import { formatJunit, streamJunit } from './junit.js';
import { formatSarif, streamSarif } from './sarif.js';
import type { Formatter, StreamFormatter } from './report.js';

export const FORMATTERS: Record<string, Formatter> = {
  human: formatHuman,
  json: formatJson,
  sarif: formatSarif,
  github: formatGithub,
  junit: formatJunit,
};

/** The same formats result by result, for the CLI: memory bounded by one message (see ReportStream). */
export const STREAM_FORMATTERS: Record<string, StreamFormatter> = {
  human: streamHuman,
  json: streamJson,
  sarif: streamSarif,
  github: streamGithub,
  junit: streamJunit,
};

/** Formats whose output may be published (CI logs, code scanning): addresses masked by default. */
export const PUBLIC_FORMATS = new Set<string>(['sarif', 'github', 'junit']);

export type { Formatter, FormatOptions, Report, ReportStream, StreamFormatter } from './report.js';
export { createReport, emptySummary, summarise } from './report.js';
