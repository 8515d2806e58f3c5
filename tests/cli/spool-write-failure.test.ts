// The report spool writes its file on libuv's thread pool while the check goes on, and a write's
// failure shows at the next one (src/cli/spool.ts). It must still show before any of the report
// is written: a run whose temporary file cannot be written ends with exit 2, the reason on
// stderr and nothing on stdout, never a report cut after its head. The built CLI is run under a
// file size limit (`ulimit -f`, which leaves the stdout pipe alone) past which the spool's file
// cannot grow.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runProcess } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-spool-fail-'));
const drafts = path.join(dir, 'drafts');

beforeAll(() => {
  mkdirSync(drafts);
  // Past the spool's megabyte in memory in every format below (human: about 1.4 MB of text).
  for (let i = 0; i < 4000; i++) {
    writeFileSync(path.join(drafts, `d${String(i).padStart(4, '0')}.eml`), `From: a@corp.example\nTo: x${i}@one.test, y${i}@two.test, z${i}@three.test, w${i}@four.test\nCc: v${i}@five.test, u${i}@six.test, t${i}@seven.test, s${i}@eight.test, r${i}@nine.test, q${i}@ten.test\nSubject: offer ${i}\n\nhello\n`);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI with files limited to `blocks` blocks (512 or 1024 bytes, as the shell counts them). */
const limited = (blocks: number, args: string[]) =>
  runProcess('sh', ['-c', `ulimit -f ${blocks} && exec "$0" "$@"`, process.execPath, BIN, ...args, '--internal-domain', 'corp.example'], { timeoutMs: 60_000 });

/** The shell's block for `ulimit -f`: 512 bytes (dash) or 1024 (bash). */
async function blockBytes(): Promise<number> {
  const file = path.join(dir, 'probe');
  const r = await runProcess('sh', ['-c', `ulimit -f 10 && exec "$0" -e "require('fs').writeFileSync(process.argv[1], Buffer.alloc(6000))" "${file}"`, process.execPath]);
  return r.code === 0 ? 1024 : 512;
}

describe('a spool that cannot be written fails before the report starts', () => {
  it.each([
    // With the share of the report the spool holds: check spools the report's own text, audit its
    // incidents as JSON lines (about 1.5 MB of a 2.4-MB JSON report here).
    ['check, JSON', ['check', drafts, '--format', 'json'], 1],
    ['check, human', ['check', drafts], 1],
    ['check, SARIF', ['check', drafts, '--format', 'sarif'], 1],
    ['audit, JSON', ['audit', drafts, '--format', 'json'], 0.6],
  ])('%s: exit 2, the reason on stderr, nothing on stdout', async (_name, args, share) => {
    // The file may grow to 40 KB short of what the spool holds: what fails is its last write,
    // which only the end of the run waits for (the writes before it succeed).
    const whole = Buffer.byteLength((await limited(100_000, args as string[])).stdout);
    const r = await limited(Math.floor((whole * (share as number) - 40_000) / (await blockBytes())), args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write the report's temporary file: EFBIG/);
    expect(r.stdout).toBe('');
  });

  it('without the limit the same runs write their whole report (control)', async () => {
    const r = await limited(100_000, ['check', drafts, '--format', 'json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { summary: { checked: number; block: number } };
    expect(json.summary).toMatchObject({ checked: 4000, block: 4000 });
  });
});
