import os from 'node:os';
import { defineConfig } from 'vitest/config';

// Most test files wait on child processes and sockets (the built CLI, Postfix, swaks, Chromium),
// not on the CPU. Vitest's default of one worker per core minus one runs them one at a time on a
// two-core machine; four workers keep both cores busy while files wait.
const TEST_WORKERS = Math.max(4, os.availableParallelism());

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/corpus/**', 'tests/**/*.slow.test.ts', 'node_modules/**'],
    // Generous: a test that spawns the CLI or talks to Postfix/Dovecot can take long on a loaded
    // machine (a fresh Debian 12 run at load 20 timed out at 30 s); a hang still fails.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    maxWorkers: TEST_WORKERS,
    // A worker runs its files one after another in the same process rather than starting a fresh
    // one (node, vitest, and every src module imported again) for each of the ~110 files. No test
    // stubs globals or changes process.env; each file starts its own servers. The two files that
    // mock a module (tests/sendmail/smtp-stdio-data and unexpected-errors) reset the worker's
    // modules, import what they test afresh, and unmock and reset again when done.
    isolate: false,
    // The built CLI's code cache (src/cli/code-cache.ts) off in every spawned CLI: a test's run
    // does not write to the user's cache or depend on what an earlier run left there.
    // tests/cli/code-cache.test.ts turns it on with a cache directory of its own. CI cleared: the
    // spawned CLI masks addresses in CI (src/cli/output.ts runsInCi), and tests that read them
    // must give the same results under .ci/run; tests/cli/redact-ci.test.ts sets it itself.
    env: { MAILGUARD_NO_COMPILE_CACHE: '1', CI: '', GITHUB_ACTIONS: '', TF_BUILD: '' },
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup-fast-check.ts'],
  },
});
