// check and audit in memory bounded by one message, not by the number of messages (issue 19):
// peak RSS of the built CLI over a smaller and a three-times larger mbox stays flat. Both sizes
// are past the heap's warm-up (the first tens of thousands of messages grow it to its working
// size). No timing is asserted.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-check-memory-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An mbox of `n` small messages; every other one exposes 6 of the same 1,800 external addresses. */
function writeMbox(file: string, n: number): void {
  const fd = openSync(file, 'w');
  for (let i = 1; i <= n; i++) {
    const to = i % 2 === 0 ? Array.from({ length: 6 }, (_, k) => `c${k}@o${k}-${i % 300}.test`).join(', ') : 'bob@corp.example';
    writeSync(fd, `From s@corp.example Mon Jan  1 00:00:00 2024\nFrom: s${i % 40}@corp.example\nTo: ${to}\nSubject: m${i}\nDate: Mon, ${1 + (i % 28)} Nov 2026 10:00:00 +0000\nMessage-ID: <m${i}@corp.example>\n\nhello\n\n`);
  }
  closeSync(fd);
}

const mboxes = new Map<number, string>();
function mbox(n: number): string {
  if (!mboxes.has(n)) {
    const file = path.join(tmp, `m${n}.mbox`);
    writeMbox(file, n);
    mboxes.set(n, file);
  }
  return mboxes.get(n)!;
}

async function peak(args: string[]): Promise<{ rssKb: number; stdout: string; code: number | null }> {
  const rssFile = path.join(tmp, `rss-${Math.random().toString(36).slice(2)}`);
  const preload = pathToFileURL(path.join(import.meta.dirname, '../audit/rss-preload.mjs')).href;
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import=${preload}`, MAILGUARD_TEST_RSS_FILE: rssFile }, timeoutMs: 300_000 });
  return { rssKb: Number(readFileSync(rssFile, 'utf8')), stdout: r.stdout, code: r.code };
}

describe('peak memory does not follow the number of messages', () => {
  // Measured on the 1-GB mbox of the commit message: before, peak RSS grew with the messages
  // (check --format json 882 MB); the documents are the same bytes.
  it.each([
    ['check --format json', ['check', '--format', 'json'], 20_000, 60_000],
    ['check (human)', ['check'], 20_000, 60_000],
    ['check --format sarif', ['check', '--format', 'sarif'], 20_000, 60_000],
    ['audit --format json', ['audit', '--format', 'json'], 40_000, 120_000],
  ] as const)('%s (a smaller and a three-times larger mbox)', async (_name, command, nSmall, nLarge) => {
    const a = await peak([...command, mbox(nSmall), '--internal-domain', 'corp.example']);
    const b = await peak([...command, mbox(nLarge), '--internal-domain', 'corp.example']);
    expect([a.code, b.code]).toEqual([1, 1]);
    if ((command as readonly string[]).includes('json')) {
      const doc = JSON.parse(b.stdout);
      expect(doc.summary.checked ?? doc.summary.messages).toBe(nLarge);
      expect((doc.results ?? doc.incidents).length).toBe(command[0] === 'check' ? nLarge : nLarge / 2);
    } else if ((command as readonly string[]).includes('sarif')) {
      expect(JSON.parse(b.stdout).runs[0].results.length).toBe(nLarge / 2);
    } else expect(b.stdout).toContain(`${nLarge} messages checked: ${nLarge / 2} pass, 0 warn, ${nLarge / 2} block, 0 error`);
    // Before the change the larger run took hundreds of MB more (every result kept).
    // Kept results grow ~5 KB a message (~200 MB for the 40,000 more here); allocator and GC
    // slack differ between machines (48 MB seen on a fresh Debian 12), so the bound is half that.
    expect(b.rssKb - a.rssKb).toBeLessThan(100 * 1024);
  }, 700_000);
});
