// node:module as the CommonJS check bundles see it (dist/check.cjs and dist/code-cache.cjs; the
// check build in tsup.config.ts resolves `import ... from 'node:module'` here). Each module of the
// bundle asks createRequire(import.meta.url), and import.meta.url is the bundle's own file there,
// so its answer is the bundle's own require. Loading node:module itself cost every cold start
// ~3M instructions (callgrind, bench scenario 5; `node -e 0` is ~86M): it imports Node's ESM
// loader and its source-map support, about 55 KB of Node's own code compiled at each start.
// A require for any other file still comes from node:module, loaded then.

import { dirname } from 'node:path';

export function createRequire(from: string | URL): NodeJS.Require {
  // The bundle's file (every call in the bundle), or another file beside it in dist/: the same
  // directory resolves the same relative paths and node_modules.
  if (from === import.meta.url || (typeof from === 'string' && !from.startsWith('file:') && dirname(from) === __dirname)) return require;
  return (require('node:module') as typeof import('node:module')).createRequire(from);
}
