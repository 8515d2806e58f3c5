import { defineConfig } from 'vitest/config';

// The real-mail corpus lives in ../shared/corpus beside the project; it is not part of a fresh
// clone, so it runs as its own script (npm run test:corpus), which .ci/run also calls.
export default defineConfig({
  test: {
    include: ['tests/corpus/**/*.test.ts'],
    testTimeout: 300_000,
    // The CLI's code cache off, as in vitest.config.ts.
    env: { MAILGUARD_NO_COMPILE_CACHE: '1', CI: '', GITHUB_ACTIONS: '', TF_BUILD: '' },
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/setup-fast-check.ts'],
  },
});
