import { defineConfig } from 'tsup';

// One entry per public subpath (STYLE.md: heavy adapters are their own entry, so importing
// the core never loads an SMTP server). The CLI loads each command lazily.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli/main.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' } },
  splitting: true,
  sourcemap: false,
  // Not cleaned: several test runs may build at once; stale chunks are harmless.
  clean: false,
  shims: false,
});
