// Addresses shown inside encoded display names (src/analyse.ts, shownAddresses): the names clients
// write (`=?UTF-8?Q?...?= <addr>`) are decoded once per distinct name and only the angle address
// is searched again; every other form is decoded whole. Each row: the To field, the addresses the
// result lists as shown (in a display name).
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../src/analyse.js';
import { createPolicy } from '../src/policy/policy.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'] });

function shownIn(to: string): string[] {
  const bytes = Buffer.from(`From: A <a@corp.example>\r\nTo: ${to}\r\nSubject: s\r\n\r\nHello.\r\n`, 'utf8');
  return checkMessage(bytes, POLICY).recipients.shown.map((s) => `${s.address}${s.inDisplayName ? ' (name)' : ''}`);
}

describe('addresses written in encoded display names', () => {
  it.each([
    ['a UTF-8 Q name without an address', '=?UTF-8?Q?Chlo=C3=A9_Dubois?= <chloe@x.example>', []],
    ['the same name twice (the second from the cache)', '=?UTF-8?Q?Chlo=C3=A9_Dubois?= <c1@x.example>, =?UTF-8?Q?Chlo=C3=A9_Dubois?= <c2@x.example>', []],
    ['a Q name holding an address (=40)', '=?utf-8?q?boss=40y.example?= <x@x.example>', ['boss@y.example (name)']],
    ['the same name twice, holding an address', '=?utf-8?q?b=40y.example?= <x1@x.example>, =?utf-8?q?b=40y.example?= <x2@x.example>', ['b@y.example (name)', 'b@y.example (name)']],
    ['a B name holding an address', '=?UTF-8?B?Ym9zc0B5LmV4YW1wbGU=?= <x@x.example>', ['boss@y.example (name)']],
    ['an escape split over two joined words', '=?utf-8?q?b=4?= =?utf-8?q?0y.example?= <x@x.example>', ['b@y.example (name)']],
    ['a Latin-1 name holding an address', '=?iso-8859-1?q?b=40y.example?= <x@x.example>', ['b@y.example (name)']],
    ['an encoded name and an address in a comment', '=?utf-8?q?x?= (c@y.example) <x@x.example>', ['c@y.example (name)']],
    ['an own address read differently in free text', '=?utf-8?q?x?= <a€b@x.example>', ['b@x.example (name)']],
    ['a plain name never searched for its own address', 'x <a€b@x.example>', []],
    ['an own address starting with a dot (free text drops it)', '=?utf-8?q?x?= <.a@x.example>', ['a@x.example (name)']],
    ['an own address in upper case', '=?utf-8?q?x?= <A.B@X.Example>', []],
    ['a UTF-8 name with a fullwidth at', '"boss\uFF20y.example" <x@x.example>', ['boss@y.example (name)']],
    ['a UTF-8 name in fullwidth letters with a small commercial at', '\uFF42\uFF4F\uFF53\uFF53\uFE6B\uFF59.example <x@x.example>', ['boss@y.example (name)']],
    ['an encoded name with a fullwidth at', '=?UTF-8?Q?boss=EF=BC=A0y.example?= <x@x.example>', ['boss@y.example (name)']],
    // An invisible character beside the "@" (a zero-width space, a soft hyphen, a word joiner): every
    // client shows the address as if it were not there.
    ['a name with a zero-width space before the "@"', '"boss\u200B@y.example" <x@x.example>', ['boss@y.example (name)']],
    ['an encoded name with a soft hyphen before the "@"', '=?UTF-8?Q?boss=C2=AD=40y.example?= <x@x.example>', ['boss@y.example (name)']],
    ['a comment with a word joiner after the "@"', 'x@x.example (boss@\u2060y.example)', ['boss@y.example (name)']],
  ])('%s', (_name, to, expected) => {
    expect(shownIn(to)).toEqual(expected);
  });
});

// Comments anywhere in a field, and quoted pairs: readers show both. nodemailer's addressparser
// and Python's email.utils.getaddresses turn `me@corp.example (a@x.test, b@y.test)` into a
// display name, and `"a\@x.test"` is shown as `a@x.test`.
describe('addresses written in comments and behind quoted pairs', () => {
  it.each([
    ['a trailing comment', 'me@corp.example (c1@x.example, c2@y.example)', ['c1@x.example (name)', 'c2@y.example (name)']],
    ['a leading comment', '(c1@x.example) me@corp.example', ['c1@x.example (name)']],
    ['a comment after the angle address', 'Me <me@corp.example> (c1@x.example)', ['c1@x.example (name)']],
    ['a comment inside a group', 'undisclosed: (c1@x.example, c2@y.example);', ['c1@x.example (name)', 'c2@y.example (name)']],
    ['a nested comment', 'me@corp.example (see (c1@x.example))', ['c1@x.example (name)']],
    ['an encoded word in a comment', 'me@corp.example (=?utf-8?q?c1=40x.example?=)', ['c1@x.example (name)']],
    ['a quoted pair in a comment', 'me@corp.example (c1\\@x.example)', ['c1@x.example (name)']],
    ['an escaped @ in a quoted name', '"c1\\@x.example, c2\\@y.example" <me@corp.example>', ['c1@x.example (name)', 'c2@y.example (name)']],
    ['an escaped dot and letter in a quoted name', '"\\c1@x\\.example" <me@corp.example>', ['c1@x.example (name)']],
    ['an escaped @ in a group name', '"c1\\@x.example":;', ['c1@x.example (name)']],
    ['the mailbox\'s own address in its comment', 'c1@x.example (c1@x.example)', []],
    ['an address listed in the field already', 'c1@x.example, me@corp.example (c1@x.example)', []],
    ['a comment with no address', 'c1@x.example (Chloe, sales)', []],
    ['the same address in two comments, once', 'me@corp.example (c1@x.example), you@corp.example (c1@x.example)', ['c1@x.example (name)']],
    ['fullwidth ats in a comment', 'me@corp.example (c1\uFF20x.example, c2\uFF20y.example)', ['c1@x.example (name)', 'c2@y.example (name)']],
    ['small commercial ats in a comment', 'me@corp.example (c1\uFE6Bx.example, c2\uFE6By.example)', ['c1@x.example (name)', 'c2@y.example (name)']],
    ['a fullwidth at in a nested comment', 'me@corp.example (see (c1\uFF20x.example))', ['c1@x.example (name)']],
    ['fullwidth ats in a quoted group name', '"c1\uFF20x.example, c2\uFF20y.example": me@corp.example;', ['c1@x.example (name)', 'c2@y.example (name)']],
    ['fullwidth ats in an empty group\'s name', '"c1\uFF20x.example c2\uFF20y.example":;', ['c1@x.example (name)', 'c2@y.example (name)']],
    ['a comment of 8-bit text without an at', 'me@corp.example (M\u00fcller, Vertrieb)', []],
  ])('%s', (_name, to, expected) => {
    expect(shownIn(to)).toEqual(expected);
  });

  it.each([
    ['From', 'From: me@corp.example (c1@x.example, c2@y.example, c3@z.example)\r\nTo: boss@corp.example'],
    ['Reply-To', 'From: me@corp.example\r\nTo: boss@corp.example\r\nReply-To: me@corp.example (c1@x.example, c2@y.example, c3@z.example)'],
    ['Cc', 'From: me@corp.example\r\nTo: boss@corp.example\r\nCc: (c1@x.example, c2@y.example, c3@z.example) boss@corp.example'],
  ])('three external addresses in a comment of %s warn as an exposed list', (_name, header) => {
    const r = checkMessage(Buffer.from(`${header}\r\nSubject: s\r\n\r\nHello.\r\n`), POLICY);
    expect(r.verdict).toBe('warn');
    expect(r.findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
  });

  // Unencoded East Asian text (bytes a Japanese, Chinese or Korean locale's reader decodes in its
  // fallback charset) writes the fullwidth at as two bytes that are neither "@" nor UTF-8.
  it.each([
    ['Shift_JIS', [0x81, 0x97]],
    ['EUC-KR', [0xa3, 0xc0]],
  ])('a list with %s fullwidth ats in a comment or a group name warns as an exposed list', (_charset, at) => {
    const list = ['c1', 'c2', 'c3'].map((u, i) => `${u}${String.fromCharCode(...at)}org${i}.example`).join(', ');
    for (const to of [`boss@corp.example (${list})`, `"${list}": boss@corp.example;`]) {
      const r = checkMessage(Buffer.from(`From: me@corp.example\r\nTo: ${to}\r\nSubject: s\r\n\r\nHello.\r\n`, 'latin1'), POLICY);
      expect([r.verdict, r.recipients.shown.map((v) => v.address)]).toEqual(['warn', ['c1@org0.example', 'c2@org1.example', 'c3@org2.example']]);
    }
  });

  it('a comment in Bcc is not shown to anyone', () => {
    const r = checkMessage(Buffer.from('From: me@corp.example\r\nTo: boss@corp.example\r\nBcc: x@corp.example (c1@x.example, c2@y.example, c3@z.example)\r\nSubject: s\r\n\r\nHello.\r\n'), POLICY);
    expect(r.recipients.shown).toEqual([]);
  });
});

describe('UTF-7 encoded words (libmime leaves them; Python and older Outlook decode them)', () => {
  const utf7 = (s: string) => s.replace(/@/g, '+AEA-').replace(/,/g, '+ACw-');
  it.each([
    ['Q', `=?utf-7?q?${utf7('c1@x.example, c2@y.example').replace(/ /g, '_')}?= <me@corp.example>`],
    ['B', `=?UTF-7?B?${Buffer.from(utf7('c1@x.example, c2@y.example')).toString('base64')}?= <me@corp.example>`],
  ])('%s: the addresses in the name are shown', (_name, to) => {
    expect(shownIn(to)).toEqual(['c1@x.example (name)', 'c2@y.example (name)']);
  });

  it('decodes RFC 2152 examples, in bodies and in encoded words (through iconv-lite)', async () => {
    const { decodeBytes, decodeHeaderText } = await import('../src/body/mime.js');
    expect(decodeBytes(Buffer.from('Hi Mom -+Jjo--!'), 'utf-7')).toBe('Hi Mom -\u263a-!');
    expect(decodeBytes(Buffer.from('A+ImIDkQ.'), 'UTF-7')).toBe('A\u2262\u0391.');
    expect(decodeBytes(Buffer.from('1 +- 1'), 'utf-7')).toBe('1 + 1');
    expect(decodeHeaderText('=?utf-7?q?A+ImIDkQ.?= and =?utf-8?q?caf=C3=A9?=')).toBe('A\u2262\u0391. and caf\u00e9');
  });
});

describe('a lone backslash (no character after it to escape)', () => {
  it.each([
    ['at the end of an unclosed comment', '(c1@x.example \\'],
    ['at the end of a comment', 'me@corp.example (c1@x.example \\\\)'],
    ['at the end of an unclosed quoted name', '"c1@x.example \\'],
    ['in a group name', 'c1@x.example\\:;'],
  ])('%s is read once, never again and again (no stack overflow)', (_name, to) => {
    const bytes = Buffer.from(`From: A <a@corp.example>\r\nTo: ${to}\r\nSubject: s\r\n\r\nHello.\r\n`, 'utf8');
    const r = checkMessage(bytes, POLICY);
    expect(['pass', 'warn', 'block', 'error']).toContain(r.verdict);
  });
});

describe('any To made of the characters comments, quotes and quoted pairs are made of', () => {
  it('is checked without throwing (property)', async () => {
    const fc = (await import('fast-check')).default;
    const piece = fc.constantFrom('\\', '(', ')', '"', '@', ',', ' ', 'a', 'x.example', '=?utf-8?q?', '?=', '<', '>', ':', ';', '=40', '+AEA-', '=?utf-7?q?');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const bytes = Buffer.from(`From: A <a@corp.example>\r\nTo: ${parts.join('')}\r\nSubject: s\r\n\r\nHello.\r\n`, 'utf8');
        expect(['pass', 'warn', 'block', 'error']).toContain(checkMessage(bytes, POLICY).verdict);
      }),
      { numRuns: 3000 },
    );
  });
});

// A recipient or reply field the parser cannot read whole: it stops at the problem, yet every
// reader is shown every address written there. They were left out of the count: a Sent folder of
// such messages (Outlook's semicolons, a missing comma, an unclosed quote) audited as clean.
describe('addresses in a recipient field that cannot be read whole', () => {
  const SIX = ['p1@a.test', 'p2@b.test', 'p3@c.test', 'p4@d.test', 'p5@e.test', 'p6@f.test'];
  const check = (head: string) => checkMessage(Buffer.from(`From: A <a@corp.example>\r\n${head}\r\nSubject: s\r\n\r\nHello.\r\n`, 'utf8'), POLICY);
  it.each([
    ['semicolons between addresses (To)', `To: ${SIX.join('; ')}`, 'to'],
    ['spaces between addresses (Cc)', `Cc: ${SIX.join(' ')}`, 'cc'],
    ['an unclosed quote (To)', `To: "Jane <${SIX[0]}>, ${SIX.slice(1).join(', ')}`, 'to'],
    ['a missing comma after named mailboxes (Resent-To)', `Resent-From: a@corp.example\r\nResent-To: ${SIX.map((a) => `P <${a}>`).join(' ')}`, 'resent-to'],
    ['semicolons in Reply-To', `To: boss@corp.example\r\nReply-To: ${SIX.join('; ')}`, 'reply-to'],
  ])('%s: every address counts, and the message blocks as before', (_, head, field) => {
    const r = check(head);
    const codes = r.findings.map((f) => f.code);
    expect(codes).toContain('AMBIGUOUS_RECIPIENT');
    const exposed = r.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS');
    expect(exposed?.args).toMatchObject({ externalAddresses: 6, parties: 6, fields: [field] });
    expect(r.verdict).toBe('block');
  });

  it('an address read already is not counted twice; Bcc and a field without a problem add nothing', () => {
    const r = check(`To: ${SIX.slice(0, 2).join('; ')}\r\nCc: ${SIX[1]}\r\nBcc: ${SIX.slice(2).join('; ')}`);
    expect(r.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS')).toBeUndefined();
    expect(r.recipients.shown.map((s) => s.address)).toEqual([]);
    expect(check(`To: ${SIX.join(', ')}`).recipients.shown).toEqual([]);
  });
});
