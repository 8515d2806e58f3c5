#!/usr/bin/env node
// No static imports: each `import` of a built-in from an ES module builds a facade of all its
// exports, which a cold start pays for (bench scenario 5). process.getBuiltinModule is in Node
// 20.16 and later; older Node imports node:module.
const { createRequire, enableCompileCache } = process.getBuiltinModule?.('node:module') ?? (await import('node:module'));
// V8's compile cache (Node 22.1 and later; absent on Node 20, where this is a no-op): later
// starts reuse the compiled code of mailguard and its dependencies. NODE_DISABLE_COMPILE_CACHE=1
// turns it off.
enableCompileCache?.();
// A plain check loads one CommonJS file (dist/check.cjs, no ESM loader work); every other command
// the full CLI.
if (process.argv[2] === 'check') createRequire(import.meta.url)('../dist/check.cjs');
else await import('../dist/cli.js');
