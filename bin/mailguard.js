#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module as the main entry loads and runs Node's ESM loader
// (resolve, load, translators, module jobs) before the first line, about 16M instructions of a
// 90M `node -e 0` (bench scenario 5, cold start). No static imports of mailguard either.
'use strict';
// V8's compile cache (Node 22.1 and later; absent on Node 20, where this is a no-op): later
// starts reuse the compiled code of mailguard and its dependencies. NODE_DISABLE_COMPILE_CACHE=1
// turns it off.
require('node:module').enableCompileCache?.();
// A plain check loads one CommonJS file (dist/check.cjs, no ESM loader work); every other command
// the full CLI, an ES module.
if (process.argv[2] === 'check') require('../dist/check.cjs');
else import('../dist/cli.js');
