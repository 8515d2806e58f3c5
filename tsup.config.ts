import { defineConfig } from 'tsup';

// One entry per public subpath (STYLE.md: heavy adapters are their own entry, so importing
// the core never loads an SMTP server). The CLI loads each command lazily.
const LIBRARY = {
  index: 'src/index.ts',
  // mailguard/smtp: the SMTP proxy (loads smtp-server and nodemailer only when imported).
  smtp: 'src/proxy/index.ts',
  // mailguard/nodemailer: the compile plugin (the pure core only; no SMTP server).
  nodemailer: 'src/plugin/nodemailer.ts',
  // mailguard/milter: the milter server (protocol v6) for a process that embeds it.
  milter: 'src/milter/index.ts',
};

const common = {
  target: 'node20',
  platform: 'node' as const,
  sourcemap: false,
  // Two configs build at once, so neither cleans dist/ (one would delete the other's output):
  // `npm run build` (and so prepack) empties it first, so a tarball never ships stale chunks.
  clean: false,
  silent: true,
};

export default defineConfig([
  {
    ...common,
    entry: {
      ...LIBRARY,
      cli: 'src/cli/main.ts',
      // The mailguard-sendmail bin: sendmail's argv goes straight to the command, without commander.
      sendmail: 'src/cli/commands/sendmail.ts',
    },
    // ESM (.js) for import, CommonJS (.cjs) for require: most nodemailer scripts are CommonJS.
    format: ['esm', 'cjs'],
    // .d.ts for the ESM build, .d.cts for CommonJS (TypeScript resolves each by its condition).
    dts: { entry: LIBRARY },
    splitting: true,
    // import.meta.url in the CommonJS build (createRequire for the provider list).
    shims: true,
  },
  // `mailguard check` (bin/mailguard.js): the check path in one file, no chunks to resolve and
  // link at start-up (bench scenario 5, cold start). CommonJS (dist/check.cjs), so a cold start
  // does not run the ESM loader over it: every `import ... from 'node:fs'` in an ESM file builds
  // a facade that reads all of the built-in's exports, loading fs streams, crypto and more.
  // Dependencies stay external, loaded on use; chalk is bundled, because Node 20 cannot require()
  // an ES module.
  {
    ...common,
    format: ['cjs'],
    entry: { check: 'src/cli/check-main.ts' },
    dts: false,
    splitting: false,
    // import.meta.url (createRequire of the provider lists, tldts, libmime) in CommonJS.
    shims: true,
    noExternal: ['chalk'],
  },
]);
