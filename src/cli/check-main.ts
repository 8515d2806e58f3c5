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
import { checkedInThisProcess } from './check-items.js';
// Worker threads of a check with several jobs load this same bundle and run this (check-jobs.ts).
export { runCheckWorker } from './check-jobs.js';
import { parseCheckArgs } from './check-args.js';
import { invocationName, setProgramName } from './program-name.js';
import { reportError } from './report-error.js';

/**
 * Asked by the code cache loader (src/cli/code-cache.ts) before it writes this bundle's entry at
 * exit: the entry holds every function the run compiled, so one made by a run over a folder, a
 * mailbox or a campaign also holds their readers, which every later start of a one-draft check
 * (what a send script or hook runs, bench scenario 5) would deserialize for nothing: about 20M
 * instructions more, a quarter of `node -e 0`. A run that checked nothing (a usage error, an
 * unreadable file) would keep too little: the next runs would compile the rest at every start.
 * Only a run that checked one message makes it.
 */
export function codeCacheWorthy(): boolean {
  return checkedInThisProcess() === 1;
}

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
