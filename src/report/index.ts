// Check's formatters by --format name, from the one registry of output formats (formats.ts).
// Each is pure: (report, options) => string.

import { checkFormatters, formatsOf } from './formats.js';
import type { Formatter } from './report.js';

export const FORMATTERS: Record<string, Formatter> = checkFormatters();

/** Formats whose output may be published (CI logs, code scanning): addresses masked by default. */
export const PUBLIC_FORMATS = new Set<string>(formatsOf('check').filter((f) => f.maskedByDefault).map((f) => f.name));

export type { Formatter, FormatOptions, Report } from './report.js';
export { createReport, summarise } from './report.js';
