import { defineConfig } from 'vitest/config';

// Tests that take minutes (pre-commit installing the package from a clone): `npm run test:slow`,
// run by .ci/run; not part of npm test.
export default defineConfig({
  test: {
    include: ['tests/**/*.slow.test.ts'],
    testTimeout: 660_000,
    hookTimeout: 60_000,
    globalSetup: ['tests/global-setup.ts'],
  },
});
