#!/usr/bin/env node
// `npm run bench`: compiles the bench (bench/main.ts, which imports the check pipeline from src/)
// with tsup into .bench-tmp/build, then runs it. Plain Node, no TypeScript loader needed.
// The CLI scenarios spawn bin/mailguard.js, so dist/ must be built first (the npm script does).

import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Inside the project, so the bundle's bare imports (mailparser, tldts) resolve from node_modules;
// one directory per run, so runs at the same time (a test beside a bench) do not collide.
const outDir = path.join(root, '.bench-tmp', `build-${process.pid}`);

if (!existsSync(path.join(root, 'dist', 'cli.js'))) {
  process.stderr.write('bench: dist/cli.js is missing; run "npm run build" first (npm run bench does).\n');
  process.exit(2);
}

const { build } = await import('tsup');
await build({
  config: false,
  entry: { main: path.join(root, 'bench', 'main.ts') },
  outDir,
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  splitting: false,
  sourcemap: false,
  dts: false,
  // Dependencies stay imports (mailparser, the reference, is a devDependency and would be bundled).
  skipNodeModulesBundle: true,
  clean: true,
  silent: true,
  tsconfig: path.join(root, 'tsconfig.json'),
});

try {
  const { main } = await import(pathToFileURL(path.join(outDir, 'main.js')).href);
  process.exitCode = await main(process.argv.slice(2), root);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
