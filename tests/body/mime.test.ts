// The pieces of the body scan: parameters, multipart splitting, transfer encodings, the address
// finder, the quoted-thread split, and the bodyScan settings.
import { describe, expect, it } from 'vitest';
import { findAddresses } from '../../src/body/addresses.js';
import { bodyWorthScanning, decodeQuotedPrintable, findParts, findTextParts, parseHeaderParams, splitMultipart } from '../../src/body/mime.js';
import { splitQuoted } from '../../src/body/quoted.js';
import { parseBodyScanSection, resolveBodyScan } from '../../src/body/settings.js';
import { readHeaderBlock } from '../../src/message/header-block.js';

describe('parseHeaderParams', () => {
  it.each([
    ['text/plain; charset="utf-8"', 'text/plain', { charset: 'utf-8' }],
    ['Multipart/Mixed; boundary="a;b\\"c"', 'multipart/mixed', { boundary: 'a;b"c' }],
    ["attachment; filename*=UTF-8''na%C3%AFve%20list.csv", 'attachment', { filename: 'naïve list.csv' }],
    ["attachment; filename*0*=UTF-8''Kunden%20; filename*1=liste.csv", 'attachment', { filename: 'Kunden liste.csv' }],
    ['text/plain (a comment); format=flowed', 'text/plain', { format: 'flowed' }],
    // Comments and an unclosed quote, read as Python's email package and mailparser read them.
    ['multipart/mixed; boundary="BOUND" (comment)', 'multipart/mixed', { boundary: 'BOUND' }],
    ['multipart/mixed; boundary=BOUND (comment)', 'multipart/mixed', { boundary: 'BOUND' }],
    ['multipart/mixed; (c) boundary="BOUND"', 'multipart/mixed', { boundary: 'BOUND' }],
    ['multipart/mixed; boundary=(c (nested) \\) still)BOUND', 'multipart/mixed', { boundary: 'BOUND' }],
    ['multipart/mixed; boundary="BOUND', 'multipart/mixed', { boundary: 'BOUND' }],
    ['multipart/mixed; boundary="a (not a comment)"', 'multipart/mixed', { boundary: 'a (not a comment)' }],
    ['text/plain; charset="utf-7"(comment); name=report(1).csv', 'text/plain', { charset: 'utf-7', name: 'report(1).csv' }],
    // White space between the tokens of type "/" subtype (RFC 2045 keeps RFC 822's lexical
    // tokens): mailparser reads these as the type they name and shows the parts.
    ['multipart /mixed; boundary=B', 'multipart/mixed', { boundary: 'B' }],
    ['Multipart\t/\tAlternative; boundary=B', 'multipart/alternative', { boundary: 'B' }],
    ['text / plain; charset=utf-16', 'text/plain', { charset: 'utf-16' }],
    ['message (c) / (d) rfc822', 'message/rfc822', {}],
  ])('%s', (value, type, params) => {
    const p = parseHeaderParams(value);
    expect(p.type).toBe(type);
    expect(Object.fromEntries(p.params)).toMatchObject(params);
  });
});

describe('splitMultipart', () => {
  it('splits at boundary lines only, drops preamble and epilogue, and keeps a part without the close line', () => {
    const body = Buffer.from('preamble\r\n--xy\r\nA: 1\r\n\r\none --xy not a boundary\r\n--xyz\r\n--xy  \r\n\r\ntwo\r\n--xy--\r\nepilogue\r\n');
    expect(splitMultipart(body, 'xy').map(String)).toEqual(['A: 1\r\n\r\none --xy not a boundary\r\n--xyz', '\r\ntwo']);
    expect(splitMultipart(Buffer.from('--b\nx\n--b\ny\n'), 'b').map(String)).toEqual(['x', 'y\n']);
  });
});

describe('transfer encodings and text parts', () => {
  it('decodes quoted-printable with soft breaks and keeps malformed escapes', () => {
    expect(decodeQuotedPrintable(Buffer.from('a=3Db=\r\nc=XYd=C3=A9')).toString('utf8')).toBe('a=bc=XYdé');
  });

  it.each<[string, string]>([
    ['spaces before CRLF', 'p1@org=  \r\n1.example'],
    ['a tab before LF', 'p1@org=\t\n1.example'],
    ['spaces and tabs before CRLF', 'p1@=\t \t\r\norg1.example'],
  ])('a soft line break with white space after its "=" (%s) joins the lines', (_name, qp) => {
    expect(decodeQuotedPrintable(Buffer.from(qp)).toString()).toBe('p1@org1.example');
  });

  it('an "=" before white space that does not end the line is kept as it is', () => {
    expect(decodeQuotedPrintable(Buffer.from('a= b=\t c= ')).toString()).toBe('a= b=\t c= ');
    // A bare CR ends the line (the SMTP relay's client delivers it as CRLF): a soft line break.
    expect(decodeQuotedPrintable(Buffer.from('a= b=\t\rc= ')).toString()).toBe('a= bc= ');
  });

  it('finds text parts by type and by file name, decodes base64 and charsets', () => {
    const msg = Buffer.from(
      'Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nJ=FCrgen\n' +
        `--B\nContent-Type: application/octet-stream; name=list.txt\nContent-Transfer-Encoding: base64\n\n${Buffer.from('x@y.test').toString('base64')}\n` +
        '--B\nContent-Type: image/png; name=a.png\n\nPNG\n--B--\n',
    );
    const parts = findTextParts(msg, 1024);
    expect(parts.map((p) => [p.part, p.contentType, p.fileName, p.text.trim()])).toEqual([
      ['1', 'text/plain', undefined, 'Jürgen'],
      ['2', 'application/octet-stream', 'list.txt', 'x@y.test'],
    ]);
  });

  it('says which headers promise a body worth reading', () => {
    const worth = (h: string) => bodyWorthScanning(readHeaderBlock(Buffer.from(`${h}\n\nbody`)));
    expect(worth('From: a@b.test')).toBe(true);
    expect(worth('Content-Type: multipart/mixed; boundary=x')).toBe(true);
    expect(worth('Content-Type: image/jpeg')).toBe(false);
    expect(worth('Content-Type: application/octet-stream; name="customers.CSV"')).toBe(true);
    expect(bodyWorthScanning(readHeaderBlock(Buffer.from('From: a@b.test\n')))).toBe(false);
  });
});

describe('findAddresses', () => {
  it.each([
    ['Anna <Anna.B@Example.TEST>, "x" <x@y.test>; mailto:m@n.test', ['anna.b@example.test', 'x@y.test', 'm@n.test']],
    ['customer1,c1@shop1.test,"Berlin"', ['c1@shop1.test']],
    ["'quoted@single.test' and trailing dot a@b.test.", ['quoted@single.test', 'a@b.test']],
    ['logo@2x.png cid:image001.png@01D8A2B3.5E6F7A80 user@localhost @handle', []],
    ['jürgen@bücher.test', ['jürgen@xn--bcher-kva.test']],
    ['fullwidth and small at: a\uFF20b.test, ｃ＠ｄ．ｔｅｓｔ, e\uFE6Bf.test and g@h.test', ['a@b.test', 'c@d.test', 'e@f.test', 'g@h.test']],
    // Domains refused as recipients (AMBIGUOUS_RECIPIENT in To) are still addresses to a reader:
    // counted as IDNA maps them.
    ['upper-case non-ASCII: a@BÜCHER.test', ['a@xn--bcher-kva.test']],
    ['fullwidth letters and dot after an ASCII at: a@ｏｒｇ.test, b@org\uFF0Etest', ['a@org.test', 'b@org.test']],
    ['soft hyphen, zero-width joiner, decomposed letter: a@or\u00adg.test b@or\u200dg.test c@bu\u0308cher.test', ['a@org.test', 'b@org.test', 'c@xn--bcher-kva.test']],
    ['mixed scripts (Cyrillic o): a@\u043erg.test', ['a@xn--rg-emc.test']],
    ['Devanagari vowel signs: a@\u0909\u0926\u093e\u0939\u0930\u0923.test', ['a@xn--p1b6ci4b4b3a.test']],
    ['an ideographic full stop ending a sentence: a@org.test\u3002\u6b21\u306b b@org2.test\uff0e', ['a@org.test', 'b@org2.test']],
  ])('%s', (text, expected) => {
    expect([...findAddresses(text)]).toEqual(expected);
  });
});

describe('splitQuoted', () => {
  it('puts > lines and everything after a reply or forward separator in the quoted part', () => {
    const s = splitQuoted('mine a@own.test\n> q1@quoted.test\nmore b@own.test\nOn Mon, 2 Nov 2026, X <x@y.test> wrote:\nc@later.test', false);
    expect([...findAddresses(s.own)]).toEqual(['a@own.test', 'b@own.test']);
    expect([...findAddresses(s.quoted)]).toEqual(['q1@quoted.test', 'x@y.test', 'c@later.test']);
  });

  it('recognises an Outlook header block as the start of the thread', () => {
    const s = splitQuoted('Hi\n\nFrom: Someone <s@x.test>\nSent: Monday\nTo: a@b.test\n', false);
    expect(s.own).toBe('Hi\n');
    expect([...findAddresses(s.quoted)]).toEqual(['s@x.test', 'a@b.test']);
  });
});

describe('bodyScan settings', () => {
  it('validates the config section and names the bad key', () => {
    expect(parseBodyScanSection({ minAddresses: 5 }, 'cfg.json')).toMatchObject({ enabled: true, minAddresses: 5 });
    expect(() => parseBodyScanSection({ minAdresses: 5 }, 'cfg.json')).toThrow(/cfg.json: unknown key "bodyScan.minAdresses"/);
    expect(() => parseBodyScanSection({ maxPartBytes: 10 }, 'cfg.json')).toThrow(/"bodyScan.maxPartBytes" must be a whole number of bytes/);
    expect(() => parseBodyScanSection({ enabled: 'yes' }, 'cfg.json')).toThrow(/true or false/);
  });

  it('flags win over the config; --no-body-scan turns it off', () => {
    expect(resolveBodyScan({ minAddresses: 5 }, { bodyScan: true, bodyMinAddresses: 7 }, 'c')).toMatchObject({ minAddresses: 7 });
    expect(resolveBodyScan(undefined, { bodyScan: false }, 'c')).toBeUndefined();
    expect(resolveBodyScan({ enabled: false }, { bodyScan: true }, 'c')).toBeUndefined();
  });
});

describe('hostile bodies', () => {
  it('never throws on arbitrary bytes under a multipart, base64 or quoted-printable header', async () => {
    const fc = await import('fast-check');
    const { checkMessage, createPolicy } = await import('../../src/index.js');
    const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { minAddresses: 1, maxPartBytes: 4096 } });
    const headers = [
      'Content-Type: multipart/mixed; boundary=b',
      'Content-Type: text/plain\nContent-Transfer-Encoding: base64',
      'Content-Type: text/csv; charset=utf-16\nContent-Transfer-Encoding: quoted-printable',
      'Content-Type: message/rfc822',
      'Content-Type: multipart/alternative; boundary=""',
    ];
    const piece = fc.oneof(fc.constantFrom('--b\n', '--b--\n', '\n\n', 'Content-Type: message/rfc822\n', '=', '=4', '@', 'x@y.test ', '> ', '\r'), fc.string());
    fc.assert(
      fc.property(fc.constantFrom(...headers), fc.array(piece, { maxLength: 60 }), fc.uint8Array({ maxLength: 200 }), (head, pieces, raw) => {
        const bytes = Buffer.concat([Buffer.from(`From: a@corp.example\nTo: b@corp.example\n${head}\n\n${pieces.join('')}`), raw]);
        const r = checkMessage(bytes, policy);
        expect(['pass', 'warn', 'block']).toContain(r.verdict);
      }),
      { numRuns: 300 },
    );
  });
});

describe('attachments found by the MIME walk', () => {
  const part = (type: string, name: string, bytes: Buffer) =>
    `--B\nContent-Type: ${type}; name="${name}"\nContent-Transfer-Encoding: base64\n\n${bytes.toString('base64').replace(/.{76}/g, '$&\n')}\n`;

  it('decodes formats it reads whole, and only the first bytes of those it only identifies', () => {
    const big = Buffer.alloc(200_000, 0x41);
    const msg = Buffer.from(
      `Content-Type: multipart/mixed; boundary=B\n\n${part('application/pdf', 'r.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n'), big]))}${part('application/octet-stream', 'x.bin', Buffer.alloc(200_000, 0))}${part('application/octet-stream', 'y.bin', big)}` +
        `${part('application/octet-stream', 'list.xlsx', big)}${part('image/png', 'a.png', big)}--B--\n`,
    );
    const { binary } = findParts(msg, 1024);
    expect(binary.map((b) => [b.fileName, b.format, b.bytes.length, b.truncated])).toEqual([
      ['r.pdf', 'pdf', 4096, false],
      ['x.bin', 'unknown', 4096, false],
      // An unknown file whose bytes read as text is read whole, as text.
      ['y.bin', 'text', 200_000, false],
      ['list.xlsx', 'xlsx', 200_000, false],
    ]);
  });

  it('an unknown file that is a zip is decoded whole (then read by its entries)', () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(10_000)]);
    const { binary } = findParts(Buffer.from(`Content-Type: multipart/mixed; boundary=B\n\n${part('application/octet-stream', 'export.dat', zip)}--B--\n`), 1024);
    expect(binary.map((b) => [b.format, b.bytes.length])).toEqual([['unknown', 10_004]]);
  });

  it('a header announcing an invitation or a workbook is worth reading', () => {
    const worth = (h: string) => bodyWorthScanning(readHeaderBlock(Buffer.from(`${h}\n\nbody`)));
    expect(worth('Content-Type: text/calendar; method=REQUEST')).toBe(true);
    expect(worth('Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe(true);
    expect(worth('Content-Type: application/octet-stream; name="a.ods"')).toBe(true);
    expect(worth('Content-Type: video/mp4; name="a.mp4"')).toBe(false);
  });
});
