// The exit codes, documented in the README, applied in one place (src/cli/main.ts).

import type { MailguardErrorCode } from '../errors.js';

export const EXIT = {
  /** Nothing blocked (warnings allowed unless over --max-warnings). */
  OK: 0,
  /** A policy violation: at least one message blocked, or too many warnings. */
  VIOLATION: 1,
  /** Could not check: usage, configuration, unreadable input, relay failure. */
  ERROR: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for a typed error that reached the CLI entry. */
export function exitCodeForError(code: MailguardErrorCode | undefined): number {
  return code === 'EEXPOSED' ? EXIT.VIOLATION : EXIT.ERROR;
}
