// The entry bin/mailguard.js loads for `mailguard check ...`: one file (tsup builds it without
// chunks) holding the check path and nothing else, because a cold start of Node's module loader
// pays for every file it resolves and links (bench scenario 5). Arguments the fast path does not
// take (check-args.ts) go to the full CLI (dist/cli.js), which reports them through commander.

import { runCheck } from './actions/check.js';
import { parseCheckArgs } from './check-args.js';
import { invocationName, setProgramName } from './program-name.js';
import { exitQuietlyOnEpipe, reportError } from './report-error.js';

setProgramName(invocationName(process.argv));

const fast = process.env.MAILGUARD_NO_FAST_PATH !== '1' ? parseCheckArgs(process.argv.slice(3)) : undefined;
if (fast) {
  exitQuietlyOnEpipe();
  try {
    process.exitCode = await runCheck(fast.paths, fast.flags);
  } catch (err) {
    reportError(err);
  }
} else {
  // A computed specifier: the bundler leaves it alone, so the full CLI stays its own file.
  const cli = './cli.js';
  await import(cli);
}
