// A Sent folder is audited in bounded memory: peak RSS does not follow the mbox size.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-audit-stream-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An mbox of `mb` MiB: 64-KiB messages, every 20th one exposing 6 external organisations. */
function writeMbox(file: string, mb: number): number {
  const fd = openSync(file, 'w');
  const body = Buffer.from(`${'lorem ipsum '.repeat(85)}\n`.repeat(64));
  let i = 0;
  for (let written = 0; written < mb * 1024 * 1024; ) {
    i++;
    const to = i % 20 === 0 ? Array.from({ length: 6 }, (_, k) => `c${i}@o${k}.test`).join(', ') : 'one@partner.test';
    const head = Buffer.from(`From s@corp.example Mon Jan  1 00:00:00 2024\nFrom: s@corp.example\nTo: ${to}\nSubject: m${i}\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\n`);
    writeSync(fd, head);
    writeSync(fd, body);
    writeSync(fd, '\n');
    written += head.length + body.length + 1;
  }
  closeSync(fd);
  return i;
}

async function audit(file: string): Promise<{ rssKb: number; doc: any }> {
  const rssFile = `${file}.rss`;
  const preload = pathToFileURL(path.join(import.meta.dirname, 'rss-preload.mjs')).href;
  const r = await runCli(['audit', file, '--internal-domain', 'corp.example', '--format', 'json'], {
    env: { NODE_OPTIONS: `--import=${preload}`, MAILGUARD_TEST_RSS_FILE: rssFile },
    timeoutMs: 120_000,
  });
  expect(r.code).toBe(1);
  return { rssKb: Number(readFileSync(rssFile, 'utf8')), doc: JSON.parse(r.stdout) };
}

describe('audit streams an mbox', () => {
  it('peak memory stays flat while the mbox grows tenfold (16 MiB -> 160 MiB)', async () => {
    const small = path.join(tmp, 'small.mbox');
    const large = path.join(tmp, 'large.mbox');
    const nSmall = writeMbox(small, 16);
    const nLarge = writeMbox(large, 160);
    const a = await audit(small);
    const b = await audit(large);
    expect(a.doc.summary).toMatchObject({ messages: nSmall, incidents: Math.floor(nSmall / 20) });
    expect(b.doc.summary).toMatchObject({ messages: nLarge, incidents: Math.floor(nLarge / 20) });
    // 144 MiB more input; kept state is the incidents only (a few hundred small objects).
    expect(b.rssKb - a.rssKb).toBeLessThan(40 * 1024);
  });
});
