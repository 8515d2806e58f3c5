// Red team, input formats: a mailbox separator past the first 64 KiB. An input that starts as a
// message and is not named as a mailbox is read as one when a `From ` line then a header field
// shows a mailbox whose first separator is missing; but that was looked for in the first 64 KiB
// only, so a first message longer than that (an attachment, a long thread) hid the mailbox behind
// it: the messages after it were body text, never read, and check said PASS. Now the whole input
// is searched (a file streamed in overlapping windows, stdin once it is read whole), wherever the
// separator falls; a long message without one stays one message. The built CLI reads real files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-late-separator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = ['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example', 'f1@zeta.example'].join(', ');
const KIB = 1024;
/** A clean first message whose body (or header) fills `bytes`. */
const first = (bytes: number, eol = '\n', where: 'body' | 'header' = 'body') => {
  const line = `${'x'.repeat(70)}${eol}`;
  const fill = line.repeat(Math.ceil(bytes / line.length));
  return where === 'body'
    ? `From: alice@corp.example${eol}To: bob@corp.example${eol}Subject: report${eol}${eol}${fill}`
    : `From: alice@corp.example${eol}To: bob@corp.example${eol}X-Notes: ${fill.replace(new RegExp(eol, 'g'), `${eol} `).trimEnd()}${eol}Subject: report${eol}${eol}hello${eol}`;
};
const SEPARATOR = 'From alice@corp.example Mon Jan  1 00:00:00 2024';
const exposed = (eol = '\n') => [SEPARATOR, 'From: alice@corp.example', `To: ${LIST}`, 'Subject: offer', '', 'body', ''].join(eol);
/** A first message of exactly `size` bytes (its last line cut to fit): the separator starts at `size`. */
const firstOfSize = (size: number) => {
  const m = first(size);
  return `${m.slice(0, size - 1)}\n`;
};

const CASES: Array<[string, string, string]> = [
  ['a first message of 70 KiB, a blank line, then the separator', 'backup.eml', `${first(70 * KIB)}\n${exposed()}`],
  ['no blank line before the separator', 'thread.txt', `${first(100 * KIB)}${exposed()}`],
  ['CRLF line ends', 'export', `${first(80 * KIB, '\r\n')}\r\n${exposed('\r\n')}`],
  ['a first header of 90 KiB (a long folded field)', 'long-header.eml', `${first(90 * KIB, '\n', 'header')}\n${exposed()}`],
  ['a first message past the first search window (1.2 MiB)', 'big.eml', `${first(1200 * KIB)}\n${exposed()}`],
  ['the separator across the end of the first search window', 'edge.eml', `${firstOfSize(1024 * KIB - 20)}${exposed()}`],
  ['the separator right after the overlap of two windows', 'edge2.eml', `${firstOfSize(960 * KIB + 1)}${exposed()}`],
];

interface Json {
  results: Array<{ source: string; verdict: string; findings: Array<{ code: string }> }>;
}
const blocked = (stdout: string) => (JSON.parse(stdout) as Json).results.filter((r) => r.verdict === 'block' && r.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS')).map((r) => r.source);
const args = ['--internal-domain', 'corp.example', '--format', 'json'];

describe('a separator after a first message longer than 64 KiB makes the input a mailbox', () => {
  for (const [name, file, text] of CASES) {
    it(`named: ${name}`, async () => {
      const p = path.join(dir, file);
      writeFileSync(p, text);
      const r = await runCli(['check', p, ...args]);
      expect(blocked(r.stdout)).toEqual([`${p}#2`]);
      expect(r.code).toBe(1);
    });
  }

  it('piped in', async () => {
    const r = await runCli(['check', '-', ...args], { input: CASES[1]![2] });
    expect(blocked(r.stdout)).toEqual(['-#2']);
    expect(r.code).toBe(1);
  });

  it('forced to be one message (--input eml)', async () => {
    const p = path.join(dir, 'forced.eml');
    writeFileSync(p, CASES[0]![2]);
    const r = await runCli(['check', p, '--input', 'eml', ...args]);
    expect(blocked(r.stdout)).toEqual([`${p}#2`]);
    expect(r.code).toBe(1);
  });

  it('found by a walk, with several jobs, and audited', async () => {
    const box = path.join(dir, 'walk');
    mkdirSync(box);
    writeFileSync(path.join(box, 'backup.eml'), CASES[0]![2]);
    for (const extra of [[], ['--jobs', '2']]) {
      const r = await runCli(['check', box, ...args, ...extra]);
      expect(blocked(r.stdout)).toEqual([`${path.join(box, 'backup.eml')}#2`]);
      expect(r.code).toBe(1);
    }
    const a = await runCli(['audit', box, '--internal-domain', 'corp.example', '--format', 'json']);
    expect((JSON.parse(a.stdout) as { incidents: unknown[] }).incidents).toHaveLength(1);
  });
});

describe('a long message without a separator stays one message', () => {
  it.each([
    ['a plain long body', `${first(300 * KIB)}`],
    ['prose From lines late in the body', `${first(200 * KIB)}\nFrom the desk of Ann\nPhone: 555 1234\n`],
    ['an escaped separator late in the body', `${first(200 * KIB)}\n>${SEPARATOR}\nTo: ${LIST}\n`],
  ])('%s', async (name, text) => {
    const p = path.join(dir, `control-${name.replace(/\W+/g, '-')}.eml`);
    writeFileSync(p, text);
    const r = await runCli(['check', p, ...args]);
    expect((JSON.parse(r.stdout) as Json).results.map((x) => [x.source, x.verdict])).toEqual([[p, 'pass']]);
    expect(r.code).toBe(0);
  });
});
