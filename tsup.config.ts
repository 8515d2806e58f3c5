import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Options } from 'tsup';

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

/**
 * Dynamic imports of the check path (source -> file in dist/) that load a separate CommonJS file
 * (bundled with its own copies of what it imports) instead of code in dist/check.cjs: V8 parses
 * every function of a file it loads, ~115 instructions per byte of code, and these are rarely run
 * (`--format sarif|github|junit`, `--explain-policy`, colour on a terminal). Each must be pure
 * functions (no module state, no classes other code checks with instanceof): a copy of a module
 * with state or a class would not be the one dist/check.cjs holds. esbuild's code splitting would
 * share that code, but makes a start load a dozen shared chunks (~0.5M instructions each).
 */
const LAZY_CHECK_FILES: Record<string, string> = {
  'src/report/sarif.ts': 'check-sarif',
  'src/report/github.ts': 'check-github',
  'src/report/junit.ts': 'check-junit',
  'src/report/profile.ts': 'check-profile',
  'node_modules/chalk/source/index.js': 'check-chalk',
};

/** In the check build: `import ... from 'node:module'` is src/cli/bundle-require.ts, which answers
 * createRequire(import.meta.url) with the bundle's own require without loading node:module. */
function bundleRequire(): NonNullable<Options['esbuildPlugins']>[number] {
  return {
    name: 'bundle-require',
    setup(build) {
      build.onResolve({ filter: /^node:module$/ }, (args) => (args.kind === 'import-statement' ? { path: path.resolve('src/cli/bundle-require.ts') } : undefined));
    },
  };
}

/** In the check build: a dynamic import of a LAZY_CHECK_FILES module becomes a require() of its file. */
function lazyCheckFiles(): NonNullable<Options['esbuildPlugins']>[number] {
  return {
    name: 'lazy-check-files',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== 'dynamic-import' || !args.importer.endsWith('.ts')) return undefined;
        const source = args.path === 'chalk' ? 'node_modules/chalk/source/index.js' : path.relative(process.cwd(), path.resolve(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
        const name = LAZY_CHECK_FILES[source.split(path.sep).join('/')];
        return name === undefined ? undefined : { path: `./${name}.cjs`, external: true };
      });
    },
  };
}

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
  // Modules the check path imports dynamically and rarely runs (LAZY_CHECK_FILES) are files of
  // their own, required on first use, so a cold start does not parse them (bench scenario 5).
  {
    ...common,
    format: ['cjs'],
    // code-cache: the loader bin/mailguard.js runs dist/check.cjs through (V8 code cache, Node 20).
    entry: { check: 'src/cli/check-main.ts', 'code-cache': 'src/cli/code-cache.ts', ...Object.fromEntries(Object.entries(LAZY_CHECK_FILES).map(([source, name]) => [name, source])) },
    dts: false,
    splitting: false,
    // import.meta.url (createRequire of the provider lists, tldts, libmime) in CommonJS.
    shims: true,
    noExternal: ['chalk'],
    esbuildPlugins: [lazyCheckFiles(), bundleRequire()],
    // tsup's own plugin that drops the `node:` prefix would resolve node:module before bundleRequire.
    removeNodeProtocol: false,
    // No import() in these files: a script compiled from a V8 code cache cannot import() on Node 20
    // (src/cli/code-cache.ts), so esbuild writes each as a require() in a promise.
    esbuildOptions(options) {
      options.supported = { ...options.supported, 'dynamic-import': false };
      // ASCII only (non-ASCII characters of regular expressions and strings escaped): the code
      // cache loader decodes an ASCII bundle as Latin-1, a copy, instead of decoding UTF-8.
      options.charset = 'ascii';
    },
    // The bundle's content hash, which names its code cache entries (src/cli/code-cache.ts).
    async onSuccess() {
      const bundle = path.resolve('dist/check.cjs');
      writeFileSync(`${bundle}.sha256`, `${createHash('sha256').update(readFileSync(bundle)).digest('hex')}\n`);
    },
  },
]);
