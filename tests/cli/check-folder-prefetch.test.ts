// `mailguard check DIR` over a folder large enough that a second thread reads its small files
// ahead (src/io/head-prefetch.ts): every file's verdict is its own, whichever thread read it,
// including files past the read-ahead size, empty ones, FIFOs and files that are not mail.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFETCH_MIN_FILES } from '../../src/io/head-prefetch.js';
import { HEADER_READ_CHUNK_BYTES } from '../../src/limits.js';
import { runCli } from '../helpers/cli.js';

const FILES = PREFETCH_MIN_FILES * 2;
let dir: string;
const expected = new Map<string, string>();

const message = (n: number, to: string[], body = 'Hello') => `From: me@corp.example\r\nTo: ${to.join(', ')}\r\nSubject: note ${n}\r\nMessage-ID: <n${n}@corp.example>\r\n\r\n${body}\r\n`;
const outsiders = (n: number, count: number) => Array.from({ length: count }, (_, k) => `p${n}x${k}@org${n}x${k}.test`);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-folder-prefetch-'));
  for (let i = 0; i < FILES; i++) {
    const name = `d${String(i).padStart(4, '0')}.eml`;
    const file = path.join(dir, name);
    if (i % 97 === 5) {
      execFileSync('mkfifo', [file]);
      continue;
    }
    if (i % 13 === 0) {
      // An exposed list, in a small file or behind a body the worker leaves to the main thread.
      const body = i % 26 === 0 ? 'x'.repeat(HEADER_READ_CHUNK_BYTES + 100) : 'Hello';
      await writeFile(file, message(i, outsiders(i, 6), body));
      expected.set(file, 'block');
    } else if (i % 89 === 7) {
      await writeFile(file, '');
      expected.set(file, 'error');
    } else {
      await writeFile(file, message(i, [`colleague${i}@corp.example`, ...outsiders(i, 1)]));
      expected.set(file, 'pass');
    }
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('check over a folder read ahead by a second thread', () => {
  it('reports each file as checked alone would', async () => {
    const res = await runCli(['check', dir, '--format', 'json', '--internal-domain', 'corp.example'], { timeoutMs: 60_000 });
    expect(res.code).toBe(2);
    const report = JSON.parse(res.stdout) as { summary: Record<string, number>; notRead: Array<{ path: string }>; results: Array<{ source: string; verdict: string }> };
    const got = new Map(report.results.map((r) => [r.source, r.verdict]));
    expect(got).toEqual(expected);
    const count = (v: string) => [...expected.values()].filter((x) => x === v).length;
    expect(report.summary).toMatchObject({ checked: expected.size, block: count('block'), pass: count('pass'), error: count('error') });
    expect(report.notRead.length).toBe(Math.ceil((FILES - 5) / 97));
  });
});
