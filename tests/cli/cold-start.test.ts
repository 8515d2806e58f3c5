// What a plain `mailguard check` loads before it prints (bench scenario 5, cold start): none of
// Node's stream modules, which process.stdout, process.stderr and node:v8 would each bring
// (about 10M instructions, a tenth of `node -e 0`), nor node:fs/promises (its readline, directory
// and watcher modules). The report goes to descriptor 1 directly (src/cli/output.ts), the progress
// line looks at stderr only once there is progress to show (src/cli/terminal.ts), the code cache
// checks its entries without node:v8 (src/cli/code-cache.ts), and the inputs are read through
// node:fs's callbacks (src/io/fs-async.ts). Each case also checks that the report arrived whole.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runProcess } from '../helpers/cli.js';

const PRELOAD = path.join(ROOT, 'tests/helpers/module-list-preload.cjs');
const DRAFT = path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml');
const [NODE_MAJOR = 0, NODE_MINOR = 0] = process.versions.node.split('.', 2).map(Number);
/** Node 22.1+ has module.enableCompileCache, which the bin turns on through node:module. */
const HAS_COMPILE_CACHE = NODE_MAJOR > 22 || (NODE_MAJOR === 22 && NODE_MINOR >= 1);
const UNWANTED = [
  'stream', 'v8', 'tty', 'net', 'internal/fs/sync_write_stream', 'fs/promises', 'internal/fs/promises', 'internal/readline/interface',
  // node:module imports the ESM loader and source maps (~3M instructions); without a compile cache
  // to turn on, the bundle's createRequire is its own require (src/cli/bundle-require.ts). node:os:
  // the cache directory reads $HOME, and the report spool loads it only to spill.
  'os',
  ...(HAS_COMPILE_CACHE ? [] : ['module', 'internal/modules/esm/loader']),
];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-cold-start-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI (stdout into `redirect`, through bash) and returns the built-ins it loaded and what it printed. */
async function run(args: string[], redirect: string, cacheHome: string, env: NodeJS.ProcessEnv = { NO_COLOR: '1' }): Promise<{ builtins: string[]; code: number | null; report: string }> {
  const list = path.join(tmp, `modules-${Math.random().toString(36).slice(2)}.json`);
  const out = path.join(tmp, `out-${Math.random().toString(36).slice(2)}.txt`);
  const quoted = [process.execPath, '--require', PRELOAD, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const r = await runProcess('bash', ['-o', 'pipefail', '-c', `${quoted} ${redirect.replace('OUT', `'${out}'`)}`], {
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...env, MAILGUARD_MODULE_LIST_FILE: list, MAILGUARD_NO_COMPILE_CACHE: undefined, XDG_CACHE_HOME: cacheHome },
  });
  return { builtins: JSON.parse(readFileSync(list, 'utf8')).builtins, code: r.code, report: readFileSync(out, 'utf8') };
}

describe('a plain check loads no stream module, nor node:fs/promises, node:os or (Node 20) node:module', () => {
  it.each([
    ['into a file', '> OUT'],
    ['into a pipe', '| cat > OUT'],
  ])('%s, from source and then from its code cache', async (_name, redirect) => {
    const home = path.join(tmp, `cache-${_name.replace(/\W+/g, '-')}`);
    for (let i = 0; i < 2; i++) {
      const r = await run(['check', DRAFT, '--internal-domain', 'corp.example', '--format', 'json'], redirect, home);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.report).summary).toMatchObject({ checked: 1, block: 1 });
      expect(r.builtins.filter((m) => UNWANTED.includes(m))).toEqual([]);
    }
  });

  // The human format asks whether stdout is a terminal (colour): a file or a pipe never is, told
  // by fstat, without creating process.stdout (src/cli/terminal.ts). No NO_COLOR here.
  it.each([
    ['into a file', '> OUT'],
    ['into a pipe', '| cat > OUT'],
  ])('in the human format too, %s', async (_name, redirect) => {
    const r = await run(['check', DRAFT, '--internal-domain', 'corp.example'], redirect, path.join(tmp, `human-${_name.replace(/\W+/g, '-')}`), {});
    expect(r.code).toBe(1);
    expect(r.report).toMatch(/^BLOCK \S+ \(12 visible recipients/m);
    expect(r.report).not.toContain('\u001b');
    expect(r.builtins.filter((m) => UNWANTED.includes(m))).toEqual([]);
  });
});
