// Formatters by --format name. Each is pure: (report, options) => string.

import { formatHuman } from './human.js';
import { formatJson } from './json.js';
import type { Formatter } from './report.js';

export const FORMATTERS: Record<string, Formatter> = {
  human: formatHuman,
  json: formatJson,
};

/** Formats whose output may be published (CI logs, code scanning): addresses masked by default. */
export const PUBLIC_FORMATS = new Set<string>([]);

export type { Formatter, FormatOptions, Report } from './report.js';
export { createReport, summarise } from './report.js';
