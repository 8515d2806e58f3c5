#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module as the main entry loads and runs Node's ESM loader
// (resolve, load, translators, module jobs) before the first line, about 16M instructions of a
// 90M `node -e 0` (bench scenario 5, cold start). No static imports of mailguard either.
'use strict';
// V8's compile cache (Node 22.1 and later; absent on Node 20, where dist/code-cache.cjs keeps a
// cache of the check bundle instead): later starts reuse the compiled code of mailguard and its
// dependencies. NODE_DISABLE_COMPILE_CACHE=1 turns it off. Asked only where it can be there:
// loading node:module costs a Node 20 start ~3M instructions (it imports the ESM loader).
const [major, minor] = process.versions.node.split('.', 2).map(Number);
if (major > 22 || (major === 22 && minor >= 1)) require('node:module').enableCompileCache?.();
// A plain check loads one CommonJS file (dist/check.cjs, no ESM loader work, through its code
// cache); every other command, and a check with arguments the fast path does not take, the full
// CLI, an ES module. The bundle cannot import() it (src/cli/check-main.ts), so this file does.
if (process.argv[2] !== 'check' || !require('../dist/code-cache.cjs').requireWithCodeCache(require('node:path').join(__dirname, '../dist/check.cjs')).startCheck(process.argv)) {
  import('../dist/cli.js');
}
