import { defineConfig } from 'tsup';

// One entry per public subpath (STYLE.md: heavy adapters are their own entry, so importing
// the core never loads an SMTP server). The CLI loads each command lazily.
const LIBRARY = {
  index: 'src/index.ts',
  // mailguard/smtp: the SMTP proxy (loads smtp-server and nodemailer only when imported).
  smtp: 'src/proxy/index.ts',
  // mailguard/nodemailer: the compile plugin (the pure core only; no SMTP server).
  nodemailer: 'src/plugin/nodemailer.ts',
};

export default defineConfig({
  entry: {
    ...LIBRARY,
    cli: 'src/cli/main.ts',
    // The mailguard-sendmail bin: sendmail's argv goes straight to the command, without commander.
    sendmail: 'src/cli/commands/sendmail.ts',
  },
  // ESM (.js) for import, CommonJS (.cjs) for require: most nodemailer scripts are CommonJS.
  // The bins use the ESM build; the .cjs copies of cli/sendmail are a few kB of dead weight
  // that keep this one config (two configs would race on `clean`).
  format: ['esm', 'cjs'],
  target: 'node20',
  platform: 'node',
  // .d.ts for the ESM build, .d.cts for CommonJS (TypeScript resolves each by its condition).
  dts: { entry: LIBRARY },
  splitting: true,
  sourcemap: false,
  // A clean dist: a tarball never ships chunks of an older build.
  clean: true,
  // import.meta.url in the CommonJS build (createRequire for the provider list).
  shims: true,
  silent: true,
});
