// How the CLI reports an error that reached its entry, and the exit code it maps to: one place
// for both entries (main.ts, and check-main.ts for the plain check).

import { MailguardError } from '../errors.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { adaptSuggestions } from './program-name.js';
import { formatErrorText } from '../report/error-text.js';

/** Prints `err` to stderr (addresses masked: src/report/error-text.ts) and sets the exit code for it. */
export function reportError(err: unknown): void {
  process.stderr.write(formatErrorText(err, { name: 'mailguard', adapt: adaptSuggestions }));
  process.exitCode = err instanceof MailguardError ? exitCodeForError(err.code) : EXIT.ERROR;
}

let exitsOnEpipe = false;

/** EPIPE on stdout (mailguard check ... | head) is not an error worth a stack trace. Once per process. */
export function exitQuietlyOnEpipe(): void {
  if (exitsOnEpipe) return;
  exitsOnEpipe = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
}
