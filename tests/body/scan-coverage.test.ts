// What the body scan reads and what it must report as not read: every part a recipient can open
// either is scanned or gives ATTACHMENT_NOT_SCANNED, never silence. One table per kind of gap.
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, type Finding } from '../../src/index.js';
import { createRequire } from 'node:module';
import { bodyWorthScanning, findTextParts } from '../../src/body/mime.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { readHeaderBlock } from '../../src/message/header-block.js';
import { describeFinding } from '../../src/report/messages.js';
import { buildZip } from '../helpers/office-files.js';
import { uuencode } from '../helpers/uuencode.js';

const iconv = createRequire(import.meta.url)('iconv-lite') as typeof import('iconv-lite');
const policy = createPolicy({ internalDomains: ['corp.example'] });
const body = { minAddresses: DEFAULT_BODY_SCAN.minAddresses, maxPartBytes: DEFAULT_BODY_SCAN.maxPartBytes };

/** Twelve external addresses, one per organisation. */
const LIST = Array.from({ length: 12 }, (_, i) => `cust${i + 1}@org${i + 1}.test`);
const CSV = `name,email\n${LIST.map((a, i) => `Customer ${i + 1},${a}`).join('\n')}\n`;

const HEAD = 'From: alice@corp.example\nTo: bob@partner.test\nSubject: info\nMIME-Version: 1.0\n';

/** A multipart/mixed message: a short text part, then `parts` (each a raw header block, blank line, body). */
function mixed(parts: string[], boundary = 'BOUND'): Buffer {
  const all = ['Content-Type: text/plain; charset=utf-8\n\nHi Bob, see attached.', ...parts];
  return Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary="${boundary}"\n\n${all.map((p) => `--${boundary}\n${p}\n`).join('')}--${boundary}--\n`, 'latin1');
}

/** The findings of the body scan as [code, externalAddresses or reason]. */
function scanned(bytes: Uint8Array, options = body): Array<[Finding['code'], number | string | undefined]> {
  return checkMessage(bytes, policy, { source: 't', body: options }).findings.map((f) => {
    const a = f.args as { externalAddresses?: number; reason?: string };
    return [f.code, a.externalAddresses ?? a.reason];
  });
}

const LISTED: Array<[Finding['code'], number]> = [['ADDRESS_LIST_IN_BODY', 12]];

describe('every text/* part is read as text (RFC 2046 4.1.4: an unknown subtype is text/plain)', () => {
  it.each([
    ['text/rfc822-headers', `Content-Type: text/rfc822-headers\n\nFrom: alice@corp.example\nTo: ${LIST.join(', ')}\nSubject: Offer`],
    ['text/x-comma-separated-values named .dat', `Content-Type: text/x-comma-separated-values; name="list.dat"\nContent-Disposition: attachment; filename="list.dat"\n\n${CSV}`],
    ['text/x-sql', `Content-Type: text/x-sql; name="dump.sql"\n\n${LIST.map((a) => `INSERT INTO c VALUES ('${a}');`).join('\n')}`],
    ['text/x-foo, inline, no name', `Content-Type: text/x-foo\n\n${CSV}`],
    ['text/x-log, base64', `Content-Type: text/x-log\nContent-Transfer-Encoding: base64\n\n${Buffer.from(CSV).toString('base64')}`],
    ['text/rtf', `Content-Type: text/rtf; name="list.rtf"\n\n{\\rtf1\\ansi ${LIST.join(' \\par ')} \\par }`],
    ['text/rtf with \\\'40 for "@"', `Content-Type: text/rtf\n\n{\\rtf1\\ansi ${LIST.map((a) => a.replace('@', "\\'40")).join('\\par\n')}}`],
    ['application/rtf, "@" as \\u64 and split by a group', `Content-Type: application/rtf; name="l.rtf"\n\n{\\rtf1 ${LIST.map((a) => a.replace('@', '{\\b \\u64?}')).join('\\line ')}}`],
    ['octet-stream named .rtf', `Content-Type: application/octet-stream; name="l.rtf"\n\n{\\rtf1 ${LIST.join('\\par ')}}`],
  ])('%s', (_name, part) => {
    expect(scanned(mixed([part]))).toEqual(LISTED);
  });

  it('still reads the text/* types the attachment scan knows as theirs (text/calendar, text/xml, a named workbook)', () => {
    const ics = 'Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nBEGIN:VEVENT\nORGANIZER:mailto:alice@corp.example\nEND:VEVENT\nEND:VCALENDAR';
    expect(scanned(mixed([ics]))).toEqual([]);
    expect(scanned(mixed([`Content-Type: text/xml\n\n<l>${LIST.map((a) => `<m>${a}</m>`).join('')}</l>`]))).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 12]]);
    expect(scanned(mixed([`Content-Type: text/x-foo; name="a.pdf"\n\n${CSV}`]))).toEqual([['ATTACHMENT_NOT_SCANNED', 'unsupported-format']]);
  });

  it('a single-part message of an unknown text type is worth reading, and a short one holds no list', () => {
    expect(scanned(Buffer.from(`${HEAD}Content-Type: text/x-foo\n\n${CSV}`))).toEqual(LISTED);
    expect(scanned(mixed(['Content-Type: text/x-foo\n\nno addresses here']))).toEqual([]);
    for (const type of ['text/x-sql', 'text/rtf', 'text/rfc822-headers', 'application/rtf']) {
      expect(bodyWorthScanning(readHeaderBlock(Buffer.from(`${HEAD}Content-Type: ${type}\n\nx`))), type).toBe(true);
    }
  });
});

describe('the "no @ byte" shortcut is taken only where "@" is that byte', () => {
  /** `text` encoded in `charset` as an 8bit part (latin1 carries the bytes through). */
  const encoded = (text: string, charset: string) => iconv.encode(text, charset).toString('latin1');
  it.each([
    ['utf-7 text/plain', 'text/plain; charset=utf-7', encoded(`Customers:\n${LIST.join('\n')}`, 'utf-7')],
    ['UTF-7, quoted and upper case', 'text/plain; charset="UTF-7"', encoded(LIST.join(', '), 'utf-7')],
    ['utf-7 csv attachment', 'text/csv; charset=utf-7; name="list.csv"', encoded(CSV, 'utf-7')],
    ['utf-7 html', 'text/html; charset=utf-7', encoded(`<p>${LIST.join('<br>')}</p>`, 'utf-7')],
    ['utf-16le without a byte order mark', 'text/plain; charset=utf-16le', encoded(LIST.join('\n'), 'utf-16le')],
    ['utf-16be without a byte order mark', 'text/csv; charset=utf-16be; name="l.csv"', encoded(CSV, 'utf-16be')],
  ])('%s', (_name, type, content) => {
    expect(content.includes('@') && type.includes('utf-7')).toBe(false);
    expect(scanned(mixed([`Content-Type: ${type}\nContent-Transfer-Encoding: 8bit\n\n${content}`]))).toEqual(LISTED);
  });

  it('still skips an ASCII-compatible part without "@", and decodes a UTF-7 one', () => {
    const parts = (charset: string) => findTextParts(mixed([`Content-Type: text/plain; charset=${charset}\n\nno address +AEA- here`]), 1024).map((p) => p.part);
    expect(parts('utf-8')).toEqual([]);
    expect(parts('windows-1252')).toEqual([]);
    expect(parts('utf-7')).toEqual(['2']);
    expect(parts('x-unknown-charset')).toEqual(['2']);
  });
});

describe('what a size limit leaves unread is reported, never taken as clean', () => {
  const small = { ...body, maxPartBytes: 4096 };
  const filler = (n: number, line = 'log line without an address\n') => line.repeat(Math.ceil(n / line.length)).slice(0, n);
  const NOT_READ = (reason: string): Array<[Finding['code'], string]> => [['ATTACHMENT_NOT_SCANNED', reason]];
  it.each([
    ['a 7bit csv whose list comes after maxPartBytes', `Content-Type: text/csv; name="list.csv"\n\n${filler(5000)}${CSV}`],
    ['the same csv in base64', `Content-Type: text/csv; name="list.csv"\nContent-Transfer-Encoding: base64\n\n${Buffer.from(filler(5000) + CSV).toString('base64')}`],
    ['the same in quoted-printable', `Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n${filler(5000)}${CSV}`],
    ['an HTML part whose data: URI fills maxPartBytes', `Content-Type: text/html\n\n<img src="data:image/png;base64,${'A'.repeat(5000)}"><p>${LIST.join('<br>')}</p>`],
    ['an unknown text type', `Content-Type: text/x-foo\n\n${filler(5000)}${CSV}`],
  ])('%s', (_name, part) => {
    expect(scanned(mixed([part]), small)).toEqual(NOT_READ('partly-read'));
  });

  it('a single-part body cut at maxPartBytes, and a list found in a cut part, still say what was not read', () => {
    expect(scanned(Buffer.from(`${HEAD}Content-Type: text/plain\n\n${filler(5000)}${CSV}`), small)).toEqual(NOT_READ('partly-read'));
    expect(scanned(mixed([`Content-Type: text/plain\n\n${CSV}${filler(5000)}`]), small)).toEqual([...LISTED, ...NOT_READ('partly-read')]);
  });

  it('a part within the limits gives no such finding', () => {
    expect(scanned(mixed([`Content-Type: text/plain\n\n${filler(3000, 'a@corp.example\n')}`]), small)).toEqual([]);
  });

  it('parts past the text read per message are reported (text-limit), with their names', () => {
    const log = (name: string) => `Content-Type: text/plain; name="${name}"\n\n${filler(1100 * 1024, 'sent to a@corp.example\n')}`;
    const r = checkMessage(mixed([log('a.log.txt'), log('b.log.txt'), `Content-Type: text/csv; name="list.csv"\n\n${CSV}`]), policy, { source: 't', body });
    const notScanned = r.findings.map((f) => f.code === 'ATTACHMENT_NOT_SCANNED' && [f.args.fileName, f.args.reason, f.severity]);
    expect(notScanned).toEqual([
      ['a.log.txt', 'partly-read', 'info'],
      ['b.log.txt', 'partly-read', 'info'],
      ['list.csv', 'text-limit', 'info'],
    ]);
    expect(describeFinding(r.findings[2]!, { redact: true })).toContain('used up the text the scan reads of one message');
  });
});

describe('a multipart is split where readers split it, or reported as unreadable', () => {
  const withType = (ct: string, boundary = 'BOUND') => Buffer.from(`${HEAD}Content-Type: ${ct}\n\n--${boundary}\nContent-Type: text/plain\n\nHi\n--${boundary}\nContent-Type: text/csv; name="l.csv"\n\n${CSV}\n--${boundary}--\n`);
  it.each([
    'multipart/mixed; boundary="BOUND" (comment)',
    'multipart/mixed; boundary=BOUND (comment)',
    'multipart/mixed; boundary="BOUND',
    'multipart/mixed; (c) boundary="BOUND"',
    'multipart/mixed (c); boundary=(a comment) BOUND',
  ])('%s', (ct) => {
    expect(scanned(withType(ct))).toEqual(LISTED);
  });

  it('a nested multipart whose boundary has a comment is read too', () => {
    const inner = `Content-Type: multipart/alternative; boundary="IN" (inner)\n\n--IN\nContent-Type: text/plain\n\n${LIST.join('\n')}\n--IN--`;
    expect(scanned(mixed([inner]))).toEqual(LISTED);
  });

  // A reader that cannot split the body shows it as text (Python's email package does): it is
  // read as text, and reported as not split.
  it.each([
    ['a boundary that never occurs', 'multipart/mixed; boundary="OTHER"'],
    ['the first of two boundary parameters, when only the second occurs', 'multipart/mixed; boundary="X"; boundary="BOUND"'],
    ['a boundary in another case', 'multipart/mixed; boundary="bound"'],
  ])('%s is ATTACHMENT_NOT_SCANNED (unreadable), and the body is read as text', (_name, ct) => {
    expect(scanned(withType(ct))).toEqual([...LISTED, ['ATTACHMENT_NOT_SCANNED', 'unreadable']]);
  });

  it('boundary lines that do not start their line (indented) leave the body to be read as text', () => {
    expect(scanned(Buffer.from(withType('multipart/mixed; boundary="BOUND"').toString('latin1').replace(/\n--BOUND/g, '\n --BOUND'), 'latin1'))).toEqual(LISTED);
  });

  it('a boundary parameter ending in white space is split where readers split it (without it)', () => {
    expect(scanned(withType('multipart/mixed; boundary="BOUND "'))).toEqual(LISTED);
    expect(scanned(withType('multipart/mixed; boundary="BOUND\t"'))).toEqual(LISTED);
  });

  // A part header with a line that is not a field: Python ends the header there and shows the
  // rest as the part's text; mail programs read on to the blank line. Both are scanned.
  it.each([
    ['a part with no header and no blank line', `${LIST.join('\n')}`],
    ['a header field, then the list without a blank line', `Content-Type: text/plain\n${LIST.join('\n')}`],
    ['the list, then a blank line and more text', `${LIST.join('\n')}\n\nregards`],
    ['a header field, then a line whose "name" no field has', `Content-Type: text/plain\nDear all, the list: ${LIST.join(', ')}\n\nregards`],
  ])('%s: the list is found', (_name, part) => {
    expect(scanned(mixed(['Content-Type: text/plain\n\nHi', part]))).toEqual(LISTED);
  });

  // The same in a forwarded message (message/rfc822, an attached .eml): Python shows the lines
  // after its last field as the forwarded message's text.
  it.each([
    ['a forwarded message with no header at all', 'Content-Type: message/rfc822\n\n', LIST.join('\n')],
    ['a forwarded message whose fields run into the list', 'Content-Type: message/rfc822\n\n', `From: a@corp.example\nSubject: fwd\n${LIST.join('\n')}`],
    ['a forwarded message whose fields run into a line no field has', 'Content-Type: message/rfc822\n\n', `From: a@corp.example\nThe list: ${LIST.join(', ')}\n\nregards`],
    ['an attached .eml of a type no reader knows, without a header', 'Content-Type: application/octet-stream; name="fwd.eml"\n\n', LIST.join('\n')],
  ])('%s: the list is found', (_name, head, content) => {
    expect(scanned(mixed(['Content-Type: text/plain\n\nHi', `${head}${content}`]))).toEqual(LISTED);
  });

  it('an empty multipart, or one with only its closing line, holds nothing to report', () => {
    expect(scanned(Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary=B\n\n`))).toEqual([]);
    expect(scanned(Buffer.from(`${HEAD}Content-Type: multipart/mixed; boundary=B\n\n--B--\n`))).toEqual([]);
  });
});

describe('a part the reader can open is reported whatever its name; pictures and detached signatures are not', () => {
  const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64').replace(/.{76}/g, '$&\n');
  const binary = (headers: string, bytes: Uint8Array | string) => `${headers}\nContent-Transfer-Encoding: base64\n\n${b64(bytes)}`;
  const DER = Uint8Array.from([0x30, 0x82, 0x01, 0x00, 0x06, 0x09, 0x2a, 0x86, 0x48]);
  const CFB = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]);
  /** Bytes that do not read as text (a NUL, control bytes). */
  const BINARY = Uint8Array.from([0x64, 0x61, 0x00, 0x01, 0x74, 0x61, 0x02]);
  /** A TNEF stream cut inside its first attribute: read (tests/body/tnef.test.ts), and reported as cut off. */
  const TNEF = Uint8Array.from([0x78, 0x9f, 0x3e, 0x22, 0x01, 0x00, 0x01, 0x06, 0x90, 0x08, 0x00]);
  const PGP = 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="E"\n\n--E\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--E\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----\n--E--';
  it.each([
    ['unnamed application/pkcs7-mime', binary('Content-Type: application/pkcs7-mime; smime-type=enveloped-data', DER), 'unsupported-format', 'smime'],
    ['unnamed application/x-pkcs7-mime', binary('Content-Type: application/x-pkcs7-mime', DER), 'unsupported-format', 'smime'],
    ['smime.p7m as application/octet-stream', binary('Content-Type: application/octet-stream; name="smime.p7m"', DER), 'unsupported-format', 'smime'],
    ['PGP/MIME multipart/encrypted (its parts not reported one by one)', PGP, 'encrypted', 'application/pgp-encrypted'],
    ['unnamed application/pgp-encrypted', 'Content-Type: application/pgp-encrypted\n\n-----BEGIN PGP MESSAGE-----', 'encrypted', 'pgp'],
    ['unnamed application/vnd.ms-excel, not text', binary('Content-Type: application/vnd.ms-excel\nContent-Disposition: attachment', BINARY), 'unknown-format', undefined],
    ['unnamed application/vnd.ms-excel holding an .xls', binary('Content-Type: application/vnd.ms-excel', CFB), 'unsupported-format', 'legacy-office'],
    ['unnamed application/octet-stream, not text', binary('Content-Type: application/octet-stream', BINARY), 'unknown-format', undefined],
    ['application/ms-tnef (winmail.dat)', binary('Content-Type: application/ms-tnef; name="winmail.dat"', TNEF), 'unreadable', 'TNEF stream: truncated'],
    ['unnamed application/vnd.ms-tnef', binary('Content-Type: application/vnd.ms-tnef', TNEF), 'unreadable', 'TNEF stream: truncated'],
    ['TNEF sent as application/octet-stream, any name', binary('Content-Type: application/octet-stream; name="mail.dat"', TNEF), 'unreadable', 'TNEF stream: truncated'],
  ])('%s', (_name, part, reason, detail) => {
    const r = checkMessage(mixed([part]), policy, { source: 't', body });
    expect(r.findings.map((f) => [f.code, (f.args as { reason?: string }).reason, (f.args as { detail?: string }).detail])).toEqual([['ATTACHMENT_NOT_SCANNED', reason, detail]]);
  });

  it('a file of unknown type whose bytes are text is read as text (the reader opens it in an editor)', () => {
    expect(scanned(mixed([binary('Content-Type: application/vnd.ms-excel\nContent-Disposition: attachment', CSV)]))).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 12]]);
    expect(scanned(mixed([binary('Content-Type: application/octet-stream', CSV)]))).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 12]]);
    expect(scanned(mixed([binary('Content-Type: application/octet-stream; name="export.dat"', `${CSV}\f\x1b[0m`)]))).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 12]]);
    expect(scanned(mixed([binary('Content-Type: application/octet-stream', 'data, no address')]))).toEqual([]);
    // An ASCII-armoured PGP message is text only in its letters: encrypted, not clean.
    expect(scanned(mixed([binary('Content-Type: application/octet-stream; name="msg.asc"', '-----BEGIN PGP MESSAGE-----\n\nhQEMA1x2\n-----END PGP MESSAGE-----\n')]))).toEqual([['ATTACHMENT_NOT_SCANNED', 'encrypted']]);
  });

  it('an unnamed zip is opened and read', () => {
    expect(scanned(mixed([binary('Content-Type: application/octet-stream', buildZip({ 'list.csv': CSV }))]))).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 12]]);
  });

  it('a single-part S/MIME or TNEF message is read and reported', () => {
    const single = (type: string, bytes: Uint8Array) => Buffer.from(`${HEAD}Content-Type: ${type}\nContent-Transfer-Encoding: base64\n\n${b64(bytes)}\n`);
    expect(scanned(single('application/pkcs7-mime; smime-type=signed-data', DER))).toEqual([['ATTACHMENT_NOT_SCANNED', 'unsupported-format']]);
    expect(scanned(single('application/ms-tnef', TNEF))).toEqual([['ATTACHMENT_NOT_SCANNED', 'unreadable']]);
    for (const type of ['application/pkcs7-mime', 'application/vnd.ms-tnef', 'application/octet-stream', 'application/vnd.ms-excel']) {
      expect(bodyWorthScanning(readHeaderBlock(Buffer.from(`${HEAD}Content-Type: ${type}\n\nx`))), type).toBe(true);
    }
    expect(bodyWorthScanning(readHeaderBlock(Buffer.from(`${HEAD}Content-Type: image/png\n\nx`)))).toBe(false);
  });

  it.each([
    ['an inline picture', binary('Content-Type: image/png\nContent-Disposition: inline', 'PNG')],
    ['a named picture', binary('Content-Type: image/jpeg; name="photo.jpg"', 'JPEG')],
    ['an S/MIME detached signature', binary('Content-Type: application/pkcs7-signature; name="smime.p7s"', DER)],
    ['an unnamed x-pkcs7-signature', binary('Content-Type: application/x-pkcs7-signature', DER)],
    ['an OpenPGP signature named signature.asc', 'Content-Type: application/pgp-signature; name="signature.asc"\n\n-----BEGIN PGP SIGNATURE-----'],
    ['a public key', 'Content-Type: application/pgp-keys\n\n-----BEGIN PGP PUBLIC KEY BLOCK-----'],
    ['a Mac resource fork', binary('Content-Type: application/applefile', 'fork')],
    ['sound', binary('Content-Type: audio/mpeg', 'ID3')],
  ])('%s is not reported', (_name, part) => {
    expect(scanned(mixed([part]))).toEqual([]);
  });
});

describe('uuencoded files are decoded and scanned as their name says; yEnc is reported', () => {
  const ATTACHED: Array<[Finding['code'], number]> = [['ADDRESS_LIST_IN_ATTACHMENT', 12]];
  it.each([
    ['Content-Transfer-Encoding: x-uuencode, text/csv', `Content-Type: text/csv; name="list.csv"\nContent-Transfer-Encoding: x-uuencode\n\n${uuencode(Buffer.from(CSV), 'list.csv')}`, LISTED],
    ['uuencode, octet-stream named list.csv', `Content-Type: application/octet-stream; name="list.csv"\nContent-Transfer-Encoding: uuencode\n\n${uuencode(Buffer.from(CSV), 'list.csv')}`, LISTED],
    ['x-uue with CRLF lines and spaces for zero', `Content-Type: text/plain; name="l.txt"\nContent-Transfer-Encoding: x-uue\n\n${uuencode(Buffer.from(CSV), 'l.txt', '\r\n', ' ')}`, LISTED],
    ['x-uuencode zip', `Content-Type: application/zip; name="l.zip"\nContent-Transfer-Encoding: x-uuencode\n\n${uuencode(buildZip({ 'l.csv': CSV }), 'l.zip')}`, ATTACHED],
    ['a block in a text body', `Content-Type: text/plain\n\nHi Bob, here is the list.\n\n${uuencode(Buffer.from(CSV), 'customers.csv')}\nBye`, ATTACHED],
    ['a block in a text body, CRLF, trailing spaces stripped', `Content-Type: text/plain\n\nList:\r\n${uuencode(Buffer.from(CSV), 'customers.csv', '\r\n', ' ').replace(/ +\r$/gm, '\r')}`, ATTACHED],
    ['a block holding a zip', `Content-Type: text/plain\n\n${uuencode(buildZip({ 'members.csv': CSV }), 'members.zip')}`, ATTACHED],
    ['a block in a quoted-printable body', `Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n${uuencode(Buffer.from(CSV), 'c.csv').replace(/=/g, '=3D')}`, ATTACHED],
    ['a block of a picture', `Content-Type: text/plain\n\n${uuencode(Buffer.from('GIF89a'), 'logo.gif')}`, []],
    ['a block of a PDF', `Content-Type: text/plain\n\n${uuencode(Buffer.from('%PDF-1.4'), 'offer.pdf')}`, [['ATTACHMENT_NOT_SCANNED', 'unsupported-format']]],
    ['a yEnc block', 'Content-Type: text/plain\n\nList:\n=ybegin line=128 size=3 name=customers.csv\n\x8d\x8e\x8f\n=yend size=3', [['ATTACHMENT_NOT_SCANNED', 'unsupported-format']]],
    ['"begin" in prose', 'Content-Type: text/plain\n\nWe begin 644 meetings at nine.\nbegin here', []],
  ])('%s', (_name, part, expected) => {
    expect(scanned(mixed([part]))).toEqual(expected);
  });

  it('names the file found in a body and says yEnc', () => {
    const r = checkMessage(mixed([`Content-Type: text/plain\n\n=ybegin line=128 size=3 name=customers.csv\nabc\n=yend`]), policy, { source: 't', body });
    expect(r.findings.map((f) => f.args)).toEqual([{ part: '2', contentType: 'application/octet-stream', fileName: 'customers.csv', reason: 'unsupported-format', detail: 'yenc' }]);
  });
});
