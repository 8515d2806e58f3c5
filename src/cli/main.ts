// The CLI entry: picks the path (sendmail's argv, the plain `check` fast path, or commander),
// loads each command's work lazily, and maps errors to exit codes in this one place
// (report-error.ts; bin/mailguard.js sends a plain check to check-main.ts, which shares it).

import { parseCheckArgs } from './check-args.js';
import { invocationName, setProgramName } from './program-name.js';
import { exitQuietlyOnEpipe, reportError } from './report-error.js';

async function main(argv: string[]): Promise<void> {
  // sendmail's argv is not commander's (-V, --version, a leading "--" mean other things there):
  // it goes to the command untouched, and the command sets its own (sysexits) status.
  if (argv[2] === 'sendmail') {
    const { sendmailMain } = await import('./commands/sendmail.js');
    return sendmailMain(argv.slice(3));
  }
  // Hints name the program as it was started (`npx mailguard` from node_modules/.bin).
  setProgramName(invocationName(argv));
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
    reportError(err);
  }
}

exitQuietlyOnEpipe();
await main(process.argv);
