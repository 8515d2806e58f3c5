import { defineConfig } from 'tsup';

const common = {
  format: ['esm'] as const,
  target: 'node20',
  platform: 'node' as const,
  sourcemap: false,
  // Not cleaned: several test runs may build at once; stale chunks are harmless.
  clean: false,
  shims: false,
};

export default defineConfig([
  // One entry per public subpath (STYLE.md: heavy adapters are their own entry, so importing
  // the core never loads an SMTP server). The CLI loads each command lazily.
  {
    ...common,
    format: ['esm'],
    entry: {
      index: 'src/index.ts',
      cli: 'src/cli/main.ts',
      // mailguard/smtp: the SMTP proxy (loads smtp-server and nodemailer only when imported).
      smtp: 'src/proxy/index.ts',
      // The mailguard-sendmail bin: sendmail's argv goes straight to the command, without commander.
      sendmail: 'src/cli/commands/sendmail.ts',
      // mailguard/nodemailer: the compile plugin (the pure core only; no SMTP server).
      nodemailer: 'src/plugin/nodemailer.ts',
    },
    dts: { entry: { index: 'src/index.ts', smtp: 'src/proxy/index.ts', nodemailer: 'src/plugin/nodemailer.ts' } },
    splitting: true,
  },
  // `mailguard check` (bin/mailguard.js): the check path in one file, no chunks to resolve and
  // link at start-up (bench scenario 5, cold start). Dependencies stay external, loaded on use.
  {
    ...common,
    format: ['esm'],
    entry: { check: 'src/cli/check-main.ts' },
    dts: false,
    splitting: false,
  },
]);
