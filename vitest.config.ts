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
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: TEST_WORKERS,
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup-fast-check.ts'],
  },
});
