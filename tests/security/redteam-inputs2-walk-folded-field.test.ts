// Red team, directory walks: a draft behind leading noise whose recipient field folds right after
// its colon (`To:` then ` a1@alpha.example,` on the next lines). A walk reads a file that no
// format recognises when its text shows a recipient field naming an address, but it looked for
// the address on the field's first line only: such a draft was counted as "not mail" and check
// exited 0 with its list unread, while the same file named on the command line blocks. Now a
// folded recipient field counts as showing recipients (its folds quoted too); text that is not
// mail stays not mail. The built CLI walks real folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectDraftRead, expectNotMail, walkFolder as walkIn } from '../helpers/walk-drafts.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-walk-folded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = ['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example'];
/** A draft whose `field` folds after the colon, one address per line. */
const folded = (eol: string, field = 'To', fold = ' ') => [`From: alice@corp.example`, `${field}:`, ...LIST.map((a, i) => `${fold}${a}${i < LIST.length - 1 ? ',' : ''}`), 'Subject: offer', '', 'body', ''].join(eol);
const quoted = (text: string) => text.replace(/^/gm, '> ');

const DRAFTS: Array<[string, string]> = [
  ['a line of text first', `Draft for Monday\n${folded('\n')}`],
  ['a line of text first, CRLF', `Draft for Monday\r\n${folded('\r\n')}`],
  ['a form feed first', `\f${folded('\n')}`],
  ['a terminal escape first', `\x1b[0m${folded('\n')}`],
  ['a no-break space first', `\u00a0${folded('\n')}`],
  ['a zero-width space first', `\u200b${folded('\n')}`],
  ['Cc folded with tabs', `Draft\n${folded('\n', 'Cc', '\t')}`],
  ['Resent-To folded', `Draft\n${folded('\n', 'Resent-To')}`],
  ['the whole draft quoted, its folds too', `Alice wrote:\n${quoted(folded('\n'))}`],
];

const walkFolder = (name: string, text: string | Buffer): string => walkIn(dir, name, text);

describe('a draft behind noise whose recipient field folds after its colon is read by a walk', () => {
  for (const [name, text] of DRAFTS) {
    it(name, async () => {
      const sub = walkFolder(name, text);
      await expectDraftRead(sub);
    });
  }

  it('audit reads it too', async () => {
    const sub = walkFolder('audit', DRAFTS[0]![1]);
    const r = await runCli(['audit', sub, '--internal-domain', 'corp.example', '--format', 'json']);
    const summary = (JSON.parse(r.stdout) as { summary: { notReadFiles: Array<{ path: string }>; incidents: number; unreadable: number } }).summary;
    expect(summary.notReadFiles.map((n) => path.basename(n.path))).toEqual([]);
    expect(summary.incidents + summary.unreadable).toBeGreaterThan(0);
  });
});

describe('text that is not mail stays not mail', () => {
  const NOT_MAIL: Array<[string, string]> = [
    ['a to-do list', 'Plans\nTo:\n  buy milk\n  call the bank\n'],
    ['a field with an address only after a blank line', 'Notes\nTo:\n\nbob@corp.example wrote the minutes\n'],
    ['an address on a later line that is not a fold', 'Plans\nTo:\n  install it\ncontact ann@corp.example\n'],
  ];
  for (const [name, text] of NOT_MAIL) {
    it(name, async () => {
      const sub = walkFolder(`not-mail ${name}`, text);
      await expectNotMail(sub);
    });
  }
});
