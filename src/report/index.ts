// Formatters by --format name. Each is pure: (report, options) => string.

import { formatGithub } from './github.js';
import { formatHuman } from './human.js';
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import { formatSarif } from './sarif.js';
import type { Formatter } from './report.js';

export const FORMATTERS: Record<string, Formatter> = {
  human: formatHuman,
  json: formatJson,
  sarif: formatSarif,
  github: formatGithub,
  junit: formatJunit,
};

/** Formats whose output may be published (CI logs, code scanning): addresses masked by default. */
export const PUBLIC_FORMATS = new Set<string>(['sarif', 'github', 'junit']);

export type { Formatter, FormatOptions, Report } from './report.js';
export { createReport, summarise } from './report.js';
