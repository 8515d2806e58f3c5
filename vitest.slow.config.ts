import { defineConfig } from 'vitest/config';

// Tests that take minutes or are load runs by nature: `npm run test:slow`, run by .ci/run; not
// part of npm test. pre-commit installing the hooks from a clone, the bench on tiny inputs, the
// kill -9 load run of send.
export default defineConfig({
  test: {
    include: ['tests/**/*.slow.test.ts'],
    testTimeout: 660_000,
    hookTimeout: 60_000,
    globalSetup: ['tests/global-setup.ts'],
    // As in vitest.config.ts: the spawned CLI masks addresses in CI.
    env: { CI: '', GITHUB_ACTIONS: '', TF_BUILD: '' },
  },
});
