// Red team, directory walks: a draft behind more than 4 KiB of leading noise (a pasted log, a
// shell banner, a byte order mark and junk, thousands of blank lines). A walk reads a file no
// format recognises when its text shows a recipient field naming an address, but it looked in the
// first 4 KiB only (and skipped blank lines for 4 KiB only), so such a draft was counted as "not
// mail" and check exited 0 with its list unread. Now a recipient field line is looked for in the
// whole file (its head, then a text file's rest in overlapping windows), whatever the noise length:
// the draft is read (it blocks, or fails closed on its start). Text without one stays not mail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectDraftRead, expectNotMail, walkFolder as walkIn } from '../helpers/walk-drafts.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-long-noise-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = ['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example', 'f1@zeta.example'].join(', ');
const DRAFT = `From: alice@corp.example\nTo: ${LIST}\nSubject: offer\n\nbody\n`;
const KIB = 1024;
const fill = (line: string, bytes: number) => line.repeat(Math.ceil(bytes / line.length));
const LOG = '2026-01-01 12:00:00 INFO worker started pid=4242 queue=outbound\n';
const BANNER = 'Welcome to Ubuntu 24.04 LTS (GNU/Linux 6.8.0 x86_64)\n * Documentation: https://help.ubuntu.com\n\n';

const DRAFTS: Array<[string, string | Buffer]> = [
  ['5 KiB of a pasted log', `${fill(LOG, 5 * KIB)}${DRAFT}`],
  ['a bracketed log of 5 KiB (reads as the start of JSON)', `${fill(`[${LOG.trimEnd()}]\n`, 5 * KIB)}${DRAFT}`],
  ['a shell banner of 8 KiB', `${fill(BANNER, 8 * KIB)}${DRAFT}`],
  ['a byte order mark and 6 KiB of junk', `\ufeff${fill('~~~~ junk ~~~~ !!! ###\n', 6 * KIB)}${DRAFT}`],
  ['6000 blank lines', `${'\n'.repeat(6000)}${DRAFT}`],
  ['a log of 200 KiB (past the first read)', `${fill(LOG, 200 * KIB)}${DRAFT}`],
  ['a log of 1.1 MiB (past the first search window)', `${fill(LOG, 1100 * KIB)}${DRAFT}`],
  ['UTF-16 with a byte order mark, 100 KiB of a log first', Buffer.from(`\ufeff${fill(LOG, 100 * KIB)}${DRAFT}`, 'utf16le')],
  ['the draft quoted, Cc, after 70 KiB of a log', `${fill(LOG, 70 * KIB)}${DRAFT.replace('To:', 'Cc:').replace(/^/gm, '> ')}`],
];

const walkFolder = (name: string, text: string | Buffer): string => walkIn(dir, name, text);

describe('a draft behind noise of any length is read by a walk', () => {
  for (const [name, text] of DRAFTS) {
    it(name, async () => {
      const sub = walkFolder(name, text);
      await expectDraftRead(sub);
    });
  }

  it('audit reads it too', async () => {
    const sub = walkFolder('audit', DRAFTS[5]![1]);
    const r = await runCli(['audit', sub, '--internal-domain', 'corp.example', '--format', 'json']);
    const summary = (JSON.parse(r.stdout) as { summary: { notReadFiles: Array<{ path: string }> } }).summary;
    expect(summary.notReadFiles.map((n) => path.basename(n.path))).toEqual([]);
  });
});

describe('long text without a recipient field stays not mail', () => {
  const NOT_MAIL: Array<[string, string]> = [
    ['a log of 300 KiB', fill(LOG, 300 * KIB)],
    ['a log of 300 KiB naming addresses in prose', fill('2026-01-01 mail queued for ann@corp.example to: see ticket\n', 300 * KIB)],
    ['notes whose To line names no address, late', `${fill(LOG, 100 * KIB)}Plans\nTo:\n  buy milk\n`],
  ];
  for (const [name, text] of NOT_MAIL) {
    it(name, async () => {
      const sub = walkFolder(`not-mail ${name}`, text);
      await expectNotMail(sub);
    });
  }

  it('an image whose bytes hold a recipient line past its head stays not mail', async () => {
    const png = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(100 * KIB, 1), Buffer.from(`\n${DRAFT}`)]);
    const sub = walkFolder('not-mail image', png);
    await expectNotMail(sub);
  });
});
