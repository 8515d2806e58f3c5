// How the CLI reports an error that reached its entry, and the exit code it maps to: one place
// for both entries (main.ts, and check-main.ts for the plain check).

import { MailguardError } from '../errors.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { adaptSuggestions } from './program-name.js';

/** Prints `err` to stderr and sets the exit code for it. */
export function reportError(err: unknown): void {
  if (err instanceof MailguardError) {
    process.stderr.write(`mailguard: ${adaptSuggestions(err.message)}\n`);
    if (err.hint) process.stderr.write(`  ${adaptSuggestions(err.hint)}\n`);
  } else {
    const e = err as Error;
    process.stderr.write(`mailguard: internal error: ${e?.stack ?? String(err)}\n`);
    process.stderr.write('  This is a bug; please report it with the command you ran.\n');
  }
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
