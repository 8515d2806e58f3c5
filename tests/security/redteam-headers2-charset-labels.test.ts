// Red team, header reading: RFC 2047 encoded words whose charset label is not a plain token.
// Thunderbird finds an encoded word as `=?[^?]*?[BQ]?[^?]*?=` and decodes it with TextDecoder,
// which trims white space around a label and knows WHATWG labels with dots and colons
// (`ansi_x3.4-1968`, `iso_8859-1:1987`: windows-1252); Python's email package finds words the same
// way and decodes any label, an unknown or empty one as ASCII. mailguard (after libmime, whose
// pattern takes only `[\w*-]+` labels) left such words undecoded: a Subject or a display name
// holding a whole list in one of them showed the list to every reader and passed as clean.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decideDelivery } from '../../src/decide/index.js';
import { runCli } from '../helpers/cli.js';
import { check, codes, CORP, message } from './support.js';

const PEOPLE = ['a@alpha.example', 'b@beta.example', 'c@gamma.example', 'd@delta.example', 'e@epsilon.example'];
const LIST = PEOPLE.join(', ');

/** Labels readers decode that libmime's pattern does not take: WHATWG labels with "." and ":",
 * white space around a label (TextDecoder trims it), after an RFC 2231 language, none at all
 * (Python), an unknown one with a dot (Python reads its ASCII). */
const LABELS = ['ansi_x3.4-1968', 'iso_8859-1:1987', 'utf-8 ', ' utf-8', 'UTF-8\t', 'utf-8*en ', '', 'x.unknown'];

function word(label: string, encoding: 'B' | 'Q', text = LIST): string {
  const payload =
    encoding === 'B'
      ? Buffer.from(text).toString('base64')
      : text.replace(/[@,=?_]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/ /g, '_');
  return `=?${label}?${encoding}?${payload}?=`;
}

/** Where a reader shows a decoded word: `w` writes a text as one encoded word. */
const PLACES: Array<[string, (w: (text: string) => string) => string[]]> = [
  ['Subject', (w) => ['To: me@corp.example', `Subject: ${w(LIST)}`]],
  ['Comments', (w) => ['To: me@corp.example', 'Subject: notes', `Comments: ${w(LIST)}`]],
  ['To display name', (w) => [`To: ${w(LIST)} <me@corp.example>`, 'Subject: notes']],
  ['quoted To display name', (w) => [`To: "${w(LIST)}" <me@corp.example>`, 'Subject: notes']],
  ['Cc group name', (w) => ['To: me@corp.example', `Cc: ${w(LIST)}: boss@corp.example;`, 'Subject: notes']],
  // Split inside an address: readers drop the white space between adjacent words and show it whole.
  ['Subject in two words, folded', (w) => ['To: me@corp.example', `Subject: ${w(LIST.slice(0, 40))}`, ` ${w(LIST.slice(40))}`]],
];

function withHeader(lines: string[], eol = '\r\n'): string {
  return message(['From: me@corp.example', ...lines, 'Date: Mon, 7 Dec 2026 10:00:00 +0000'], eol);
}

/** Python's email package (policy.default): the decoded Subject and To display names, as it shows them. */
function pythonShows(texts: string[]): string[] {
  const program = [
    'import sys, json, base64, email, email.policy',
    'out = []',
    'for b in json.load(sys.stdin):',
    '    m = email.message_from_bytes(base64.b64decode(b), policy=email.policy.default)',
    "    out.append(' | '.join(str(m[k]) for k in ('subject', 'comments', 'to', 'cc') if m[k] is not None))",
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', program], { input: JSON.stringify(texts.map((t) => Buffer.from(t, 'latin1').toString('base64'))), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

describe('encoded words with a charset label readers decode and libmime does not', () => {
  const cases: Array<[string, string, string]> = [];
  for (const label of LABELS) for (const enc of ['B', 'Q'] as const) for (const [place, lines] of PLACES) cases.push([`${place}, ${enc}, label ${JSON.stringify(label)}`, place, withHeader(lines((text) => word(label, enc, text)))]);

  it('Python shows the list in each of them (the differential oracle)', () => {
    const shown = pythonShows(cases.filter(([, place]) => place === 'Subject' || place === 'To display name').map(([, , text]) => text));
    for (const s of shown) for (const p of PEOPLE) expect(s).toContain(p);
  });

  it('TextDecoder (Thunderbird reads words with it) knows the WHATWG labels and trims white space', () => {
    for (const label of ['ansi_x3.4-1968', 'iso_8859-1:1987', 'utf-8 ', ' utf-8', 'UTF-8\t']) expect(() => new TextDecoder(label)).not.toThrow();
  });

  it.each(cases)('%s: the list is shown and blocks', (_name, _place, text) => {
    const r = check(text, CORP, { latin1: true });
    expect(codes(r)).toContain('EXPOSED_RECIPIENTS');
    expect(r.verdict).toBe('block');
    expect(r.recipients.shown.map((v) => v.address)).toEqual(expect.arrayContaining(PEOPLE));
  });

  it('LF line ends and the delivery decision: blocked, not relayed', () => {
    for (const label of ['ansi_x3.4-1968', 'utf-8 ']) {
      const text = withHeader(['To: me@corp.example', `Subject: ${word(label, 'B')}`], '\n');
      expect(check(text).verdict).toBe('block');
      expect(decideDelivery(Buffer.from(text, 'latin1'), CORP, { onViolation: 'block' }).action).toBe('block');
    }
  });

  it('the built CLI exits 1 on such a Subject', async () => {
    const r = await runCli(['check', '--internal-domain', 'corp.example', '-'], { input: withHeader(['To: me@corp.example', `Subject: ${word('iso_8859-1:1987', 'Q')}`]) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('EXPOSED_RECIPIENTS');
  });
});

describe('controls: ordinary encoded words keep passing', () => {
  it.each([
    ['a Subject in one such word without addresses', ['To: me@corp.example', `Subject: ${word('ansi_x3.4-1968', 'Q', 'Quarterly report, final')}`]],
    ['a Subject naming one contact', ['To: me@corp.example', `Subject: ${word('utf-8 ', 'B', 'Call with a@alpha.example')}`]],
    // (A label with a colon in an address field reads as a group there, ambiguous: refused as before.)
    ['a colleague\'s name in such a word', ['To: =?ansi_x3.4-1968?Q?J=F6rg_M=FCller?= <joerg@corp.example>', 'Subject: =?iso_8859-1:1987?Q?Gr=FC=DFe?='] ],
    ['ordinary UTF-8 and ISO-8859-1 words', [`To: =?utf-8?B?${Buffer.from('Zoë').toString('base64')}?= <zoe@corp.example>, =?iso-8859-1?Q?J=F6rg?= <joerg@corp.example>`, 'Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=']],
  ])('%s', (_name, lines) => {
    const r = check(withHeader(lines as string[]), CORP, { latin1: true });
    expect(r.verdict).toBe('pass');
    expect(r.findings).toEqual([]);
  });
});
