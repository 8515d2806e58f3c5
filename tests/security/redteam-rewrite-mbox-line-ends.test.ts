// Red team, rewrites: split copies written as an mbox (-o FILE.mbox, -o -) got an LF `From `
// line and an LF blank line around a message whose own lines end in a bare CR (a classic Mac OS
// draft). Read back, that mailbox's messages had a CR-only header followed by LF line breaks:
// check blocked every copy fix had just written (MALFORMED_HEADER), after fix said "rewritten"
// (exit 0). An mbox entry now uses its message's own line end, and copies with CR-only line ends
// are not written into one mbox with others (refused, nothing written: -o DIR takes them).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-rewrite-mbox-eol-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example'];
const LIST = 'a@one.test, b@two.test, c@three.test, d@four.test, e@five.test';
const draft = (eol: string, body = `body${eol}From the desk of Ann${eol}`) => ['From: s@corp.example', `To: ${LIST}`, 'Subject: offer', '', ''].join(eol) + body;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** check of an mbox fix wrote: every copy passes, one per recipient. */
async function expectCopiesPass(mbox: string, copies: number): Promise<void> {
  const r = await runCli(['check', mbox, ...POLICY, '--format', 'json']);
  const json = JSON.parse(r.stdout) as { results: Array<{ verdict: string }> };
  expect(json.results.map((x) => x.verdict)).toEqual(Array(copies).fill('pass'));
  expect(r.code).toBe(0);
}

/** Two drafts with these line ends, split by one fix run into one mbox file. */
async function twoIntoOneMbox(name: string, eolA: string, eolB: string) {
  const a = write(`${name}-a.eml`, draft(eolA));
  const b = write(`${name}-b.eml`, draft(eolB));
  const out = path.join(dir, `${name}.mbox`);
  const r = await runCli(['fix', a, b, '--strategy', 'split', '-o', out, ...POLICY]);
  return { r, out, a, b };
}

describe('split copies with CR-only line ends, written as an mbox, read back as written', () => {
  const CR: Array<[string, string]> = [
    ['a CR-only draft', draft('\r')],
    ['a CR-only draft without a final line end', draft('\r', 'body')],
    ['a CR-only draft whose body has a From line', draft('\r', 'body\rFrom s@corp.example Mon Dec  7 18:00:00 2026\rmore\r')],
  ];
  CR.forEach(([name, text], n) => {
    it(`${name}: -o FILE.mbox`, async () => {
      const file = write(`cr-${n}.eml`, text);
      const out = path.join(dir, `cr-${n}.mbox`);
      const r = await runCli(['fix', file, '--strategy', 'split', '-o', out, ...POLICY]);
      expect(r.code).toBe(0);
      await expectCopiesPass(out, 5);
    });

    it(`${name}: -o - (an mbox on stdout)`, async () => {
      const file = write(`cr-stdout-${n}.eml`, text);
      const r = await runCli(['fix', file, '--strategy', 'split', '-o', '-', ...POLICY]);
      expect(r.code).toBe(0);
      const out = write(`cr-stdout-${n}.mbox`, r.stdout);
      await expectCopiesPass(out, 5);
    });
  });

  it('two CR-only drafts into one mbox', async () => {
    const { r, out } = await twoIntoOneMbox('cr-two', '\r', '\r');
    expect(r.code).toBe(0);
    await expectCopiesPass(out, 10);
  });

  it('CR-only copies and LF copies are not written into one mbox: refused, nothing written', async () => {
    const { r, out, a, b } = await twoIntoOneMbox('mixed', '\n', '\r');
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/line end/);
    expect(existsSync(out)).toBe(false);
    // In a directory, each copy is its own file: written.
    const d = path.join(dir, 'mixed-dir');
    const ok = await runCli(['fix', a, b, '--strategy', 'split', '-o', `${d}/`, ...POLICY]);
    expect(ok.code).toBe(0);
  });
});

describe('controls: LF and CRLF copies are written as before', () => {
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const) {
    it(name, async () => {
      const file = write(`ctl-${name}.eml`, draft(eol));
      const out = path.join(dir, `ctl-${name}.mbox`);
      const r = await runCli(['fix', file, '--strategy', 'split', '-o', out, ...POLICY]);
      expect(r.code).toBe(0);
      const text = readFileSync(out, 'latin1');
      expect(text.startsWith('From mailguard@localhost ')).toBe(true);
      expect(text).toMatch(/^>From the desk of Ann\r?$/m);
      await expectCopiesPass(out, 5);
    });
  }

  it('LF and CRLF copies share one mbox', async () => {
    const { r, out } = await twoIntoOneMbox('ctl-mix', '\n', '\r\n');
    expect(r.code).toBe(0);
    await expectCopiesPass(out, 10);
  });
});
