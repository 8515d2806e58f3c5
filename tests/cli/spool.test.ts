// The spool that keeps a report's per-message text out of the heap: what is read back is what was
// written, in order, across the move from memory to a file; the file is private and gone after
// close, and never named at all where the system can remove an open file (so a signal leaves nothing).
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSpool, SPOOL_MEMORY_CHARS } from '../../src/cli/spool.js';
import { BIN } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-spool-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function readAll(spool: ReturnType<typeof createSpool>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const piece of spool.read()) parts.push(typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece));
  return Buffer.concat(parts).toString('utf8');
}

describe('spool', () => {
  it.each([
    ['nothing', 0],
    ['a little (memory only)', 10],
    ['past the memory limit (a file)', Math.ceil((3 * SPOOL_MEMORY_CHARS) / 100)],
  ])('reads back %s exactly, twice, multi-byte characters across piece boundaries', async (_name, n) => {
    const dir = mkdtempSync(path.join(tmp, 'case-'));
    const spool = createSpool({ tmpdir: dir });
    let expected = '';
    for (let i = 0; i < n; i++) {
      const text = `${i} é€😀 ${'x'.repeat(i % 97)}\n`;
      expected += text;
      await spool.write(text);
    }
    expect(await readAll(spool)).toBe(expected);
    expect(await readAll(spool)).toBe(expected);
    // Removed from the directory as soon as it was opened (Linux allows it).
    expect(readdirSync(dir)).toEqual([]);
    await spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['in memory', 200],
    ['in a file', Math.ceil((3 * SPOOL_MEMORY_CHARS) / 90)],
  ])('surrogate pairs split across writes, and lone halves, come out as the texts joined (%s)', async (_name, n) => {
    const dir = mkdtempSync(path.join(tmp, 'surrogates-'));
    const spool = createSpool({ tmpdir: dir });
    const texts = Array.from({ length: n }, (_, i) => `${i % 2 === 1 ? '\ude00' : ''}${'x'.repeat(i % 89)}${['\ud83d', '\ude00', 'é', '\udc00\ud800', ''][i % 5]}`);
    for (const text of texts) await spool.write(text);
    // What the spool wrote when it kept strings: each megabyte of text (or less) joined and encoded.
    const groups: Buffer[] = [];
    let group: string[] = [];
    let chars = 0;
    for (const text of texts) {
      group.push(text);
      chars += text.length;
      if (chars >= SPOOL_MEMORY_CHARS) {
        groups.push(Buffer.from(group.join('')));
        group = [];
        chars = 0;
      }
    }
    groups.push(Buffer.from(group.join('')));
    expect(await readAll(spool)).toBe(Buffer.concat(groups).toString('utf8'));
    await spool.close();
  });

  it('where the name must stay: 0600 in a 0700 directory of its own, removed on close', async () => {
    const dir = mkdtempSync(path.join(tmp, 'named-'));
    const spool = createSpool({ tmpdir: dir, keepName: true });
    await spool.write('a'.repeat(SPOOL_MEMORY_CHARS + 1));
    const [own] = readdirSync(dir);
    expect(own).toMatch(/^mailguard-/);
    expect(statSync(path.join(dir, own!)).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, own!, 'report')).mode & 0o777).toBe(0o600);
    expect((await readAll(spool)).length).toBe(SPOOL_MEMORY_CHARS + 1);
    await spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('check stopped by %s mid-run leaves nothing in TMPDIR', async (signal) => {
    const dir = mkdtempSync(path.join(tmp, `signal-${signal}-`));
    const mbox = path.join(tmp, `signal-${signal}.mbox`);
    // Enough messages that the spool has moved to its file before the signal arrives.
    const fd = openSync(mbox, 'w');
    for (let i = 0; i < 40_000; i++) writeSync(fd, `From s@corp.example Mon Jan  1 00:00:00 2024\nFrom: s@corp.example\nTo: a${i}@one.test, b@two.test, c@three.test, d@four.test, e@five.test\nSubject: m${i}\n\nhello\n\n`);
    closeSync(fd);
    const child = spawn(process.execPath, [BIN, 'check', mbox, '--format', 'json', '--internal-domain', 'corp.example'], { env: { ...process.env, TMPDIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_c, s) => resolve(s)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(readdirSync(dir)).toEqual([]);
    child.kill(signal);
    const got = await ended;
    // Either stopped by the signal, or it had finished first: nothing is left in both cases.
    expect([signal, null]).toContain(got);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
});
