// The CLI entry: picks the path (sendmail's argv, the plain `check` fast path, or commander),
// loads each command's work lazily, and maps errors to exit codes in this one place.

import { MailguardError } from '../errors.js';
import { parseCheckArgs } from './check-args.js';
import { EXIT, exitCodeForError } from './exit-codes.js';

function printError(err: unknown): void {
  if (err instanceof MailguardError) {
    process.stderr.write(`mailguard: ${err.message}\n`);
    if (err.hint) process.stderr.write(`  ${err.hint}\n`);
    return;
  }
  const e = err as Error;
  process.stderr.write(`mailguard: internal error: ${e?.stack ?? String(err)}\n`);
  process.stderr.write('  This is a bug; please report it with the command you ran.\n');
}

async function main(argv: string[]): Promise<void> {
  // sendmail's argv is not commander's (-V, --version, a leading "--" mean other things there):
  // it goes to the command untouched, and the command sets its own (sysexits) status.
  if (argv[2] === 'sendmail') {
    const { sendmailMain } = await import('./commands/sendmail.js');
    return sendmailMain(argv.slice(3));
  }
  try {
    // `mailguard check` with flags the fast path reads exactly as commander would: run it without
    // loading commander (cold start, bench scenario 5). Anything else, errors and help included,
    // goes through commander. MAILGUARD_NO_FAST_PATH=1 turns it off (the differential tests).
    const fast = argv[2] === 'check' && process.env.MAILGUARD_NO_FAST_PATH !== '1' ? parseCheckArgs(argv.slice(3)) : undefined;
    if (fast) {
      const { runCheck } = await import('./actions/check.js');
      process.exitCode = await runCheck(fast.paths, fast.flags);
      return;
    }
    const { runProgram } = await import('./program.js');
    await runProgram(argv);
  } catch (err) {
    printError(err);
    process.exitCode = err instanceof MailguardError ? exitCodeForError(err.code) : EXIT.ERROR;
  }
}

// EPIPE on stdout (mailguard check ... | head) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

await main(process.argv);
