// Check's stream formatters as the CLI loads them: json and human (the machine contract and the
// default) are here, the others are imported when asked for, so a cold start of `mailguard check`
// does not compile SARIF, JUnit, GitHub annotations and every other command's formatters (the
// registry in formats.ts imports them all; about 115 instructions per byte of code a start parses,
// bench scenario 5). tests/report/formats.test.ts holds this table to STREAM_FORMATTERS and
// PUBLIC_FORMATS.

import { streamHuman } from './human.js';
import { streamJson } from './json.js';
import type { StreamFormatter } from './report.js';

export interface CheckStream {
  load(): Promise<StreamFormatter>;
  /** Published often (CI logs, code scanning): addresses masked by default (PUBLIC_FORMATS). */
  masked: boolean;
}

export const CHECK_STREAMS: Record<string, CheckStream> = {
  human: { load: async () => streamHuman, masked: false },
  json: { load: async () => streamJson, masked: false },
  sarif: { load: async () => (await import('./sarif.js')).streamSarif, masked: true },
  github: { load: async () => (await import('./github.js')).streamGithub, masked: true },
  junit: { load: async () => (await import('./junit.js')).streamJunit, masked: true },
};
