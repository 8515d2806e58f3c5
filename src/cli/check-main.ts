// The entry bin/mailguard.js loads for `mailguard check ...`: one file (tsup builds it without
// chunks) holding the check path and nothing else, because a cold start of Node's module loader
// pays for every file it resolves and links (bench scenario 5). Arguments the fast path does not
// take (check-args.ts) go to the full CLI (dist/cli.js), which reports them through commander.
//
// The bin loads this file through its V8 code cache (src/cli/code-cache.ts). A script whose code
// comes from a code cache cannot import() on Node 20 (the cache drops the script's host options:
// ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so this bundle holds no import(): tsup turns its dynamic
// imports into require(), and the full CLI, an ES module that require() cannot load on Node 20,
// is imported by the bin when startCheck returns false.

import { runCheck } from './actions/check.js';
// Worker threads of a check with several jobs load this same bundle and run this (check-jobs.ts).
export { runCheckWorker } from './check-jobs.js';
import { parseCheckArgs } from './check-args.js';
import { invocationName, setProgramName } from './program-name.js';
import { reportError } from './report-error.js';

/** Runs `mailguard check` when the fast path takes its arguments; false: the caller runs the full CLI. */
export function startCheck(argv: readonly string[]): boolean {
  setProgramName(invocationName(argv));
  const fast = process.env.MAILGUARD_NO_FAST_PATH !== '1' ? parseCheckArgs(argv.slice(3)) : undefined;
  if (!fast) return false;
  // No process.stdout here: the report is written to descriptor 1 (writeStdout in output.ts),
  // which sets up the quiet exit on EPIPE if it ever has to fall back to the stream.
  runCheck(fast.paths, fast.flags).then(
    (code) => {
      process.exitCode = code;
    },
    reportError,
  );
  return true;
}
