// The version, kept in step with package.json (tests/cli/ci-formats.test.ts reads it). Core and CLI both use it.
export const VERSION = '0.1.0';
