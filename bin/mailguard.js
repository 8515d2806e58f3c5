#!/usr/bin/env node
// V8's compile cache (Node 22.1 and later; absent on Node 20, where this is a no-op): later
// starts reuse the compiled code of mailguard and its dependencies. NODE_DISABLE_COMPILE_CACHE=1
// turns it off.
import module from 'node:module';

module.enableCompileCache?.();
// A plain check loads one file (dist/check.js); every other command the full CLI.
if (process.argv[2] === 'check') await import('../dist/check.js');
else await import('../dist/cli.js');
