// Preloaded into a spawned CLI (node --import): when it exits, writes the CommonJS modules it
// required and the Node built-ins it loaded as JSON to MAILGUARD_MODULE_LIST_FILE. Lets tests
// show which libraries a command loads (the attachment readers load theirs on first use).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const file = process.env.MAILGUARD_MODULE_LIST_FILE;
if (file) {
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const cjs = Object.keys(require('node:module')._cache);
    const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
    writeFileSync(file, JSON.stringify({ cjs, builtins }));
  });
}
