// The entry bin/mailguard.js loads for `mailguard check ...`: one file (tsup builds it without
// chunks) holding the check path and nothing else, because a cold start of Node's module loader
// pays for every file it resolves and links (bench scenario 5). Arguments the fast path does not
// take (check-args.ts) go to the full CLI (dist/cli.js), which reports them through commander.

import { runCheck } from './actions/check.js';
import { parseCheckArgs } from './check-args.js';
import { invocationName, setProgramName } from './program-name.js';
import { exitQuietlyOnEpipe, reportError } from './report-error.js';

setProgramName(invocationName(process.argv));

// No top-level await: this file is built as CommonJS (dist/check.cjs, see tsup.config.ts).
const fast = process.env.MAILGUARD_NO_FAST_PATH !== '1' ? parseCheckArgs(process.argv.slice(3)) : undefined;
if (fast) {
  exitQuietlyOnEpipe();
  runCheck(fast.paths, fast.flags).then(
    (code) => {
      process.exitCode = code;
    },
    reportError,
  );
} else {
  // A computed specifier: the bundler leaves it alone, so the full CLI stays its own (ESM) file.
  const cli = './cli.js';
  void import(cli);
}
