// Preloaded into a spawned CLI (node --require): when it exits, writes the Node built-ins it loaded
// as JSON to MAILGUARD_MODULE_LIST_FILE. CommonJS, unlike module-list-preload.mjs: a preload given
// to --import starts Node's ESM loader, which loads the stream modules itself, so that one cannot
// show whether the command loaded them.
'use strict';
const { writeFileSync } = require('node:fs');

const file = process.env.MAILGUARD_MODULE_LIST_FILE;
if (file) {
  process.on('exit', () => {
    const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
    writeFileSync(file, JSON.stringify({ builtins }));
  });
}
