// ADDRESS_LIST_IN_BODY through checkMessage: one line per fixture, then the cases that need a
// message built in the test (quoted thread counted once, limits, settings).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, type Finding } from '../../src/index.js';
import { MAX_MESSAGE_TEXT_BYTES } from '../../src/body/mime.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { FIXTURES } from '../helpers/cli.js';
import { buildMessage, buildXlsx, buildZip } from '../helpers/office-files.js';
import iconv from 'iconv-lite';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const body = { minAddresses: DEFAULT_BODY_SCAN.minAddresses, maxPartBytes: DEFAULT_BODY_SCAN.maxPartBytes };

type BodyArgs = Extract<Finding, { code: 'ADDRESS_LIST_IN_BODY' }>['args'];

function bodyFindings(bytes: Uint8Array, options = body, p = policy): BodyArgs[] {
  const r = checkMessage(bytes, p, { source: 't', body: options });
  return r.findings.flatMap((f) => (f.code === 'ADDRESS_LIST_IN_BODY' ? [f.args] : []));
}

const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));

// [fixture, findings as part/fileName/contentType, external addresses, of them quoted]
const CASES: Array<[string, Array<[string, string | undefined, string, number, number]>]> = [
  ['body-pasted-list.eml', [['1', undefined, 'text/plain', 12, 0]]],
  ['body-forwarded-thread.eml', [['1', undefined, 'text/plain', 15, 15]]],
  ['body-csv-attachment.eml', [['2', 'figures.csv', 'application/vnd.ms-excel', 25, 0]]],
  ['body-vcard.eml', [['2', 'Kontakte Müller.vcf', 'text/vcard', 12, 0]]],
  ['body-newsletter-footer.eml', []],
];

describe('ADDRESS_LIST_IN_BODY on the body fixtures', () => {
  it.each(CASES)('%s', (name, expected) => {
    const got = bodyFindings(fixture(name)).map((a) => [a.part, a.fileName, a.contentType, a.externalAddresses, a.quotedAddresses]);
    expect(got).toEqual(expected);
  });

  it('is a warning by default, carries examples and the threshold, and never counts internal or header addresses', () => {
    const r = checkMessage(fixture('body-pasted-list.eml'), policy, { source: 't', body });
    const f = r.findings.find((x) => x.code === 'ADDRESS_LIST_IN_BODY');
    expect(f).toMatchObject({ severity: 'warning', args: { threshold: 10, parties: 12, truncated: false } });
    expect(r.verdict).toBe('warn');
    const args = f!.args as BodyArgs;
    expect(args.examples).toEqual(['member1@org1.test', 'member2@org2.test', 'member3@org3.test', 'member4@org4.test', 'member5@org5.test']);
    // anna@ and ben@corp.example are internal: 12, not 14.
    expect(args.externalAddresses).toBe(12);
  });

  it('stays header-only without the body option (the fast path)', () => {
    const r = checkMessage(fixture('body-csv-attachment.eml'), policy, { source: 't' });
    expect(r.findings).toEqual([]);
  });

  it('counts with the configured threshold, and is switched off by the rules setting', () => {
    expect(bodyFindings(fixture('body-newsletter-footer.eml'), { ...body, minAddresses: 2 })).toHaveLength(1);
    expect(bodyFindings(fixture('body-pasted-list.eml'), { ...body, minAddresses: 13 })).toEqual([]);
    const off = createPolicy({ internalDomains: ['corp.example'], rules: { ADDRESS_LIST_IN_BODY: 'off' } });
    expect(bodyFindings(fixture('body-pasted-list.eml'), body, off)).toEqual([]);
    const strict = createPolicy({ internalDomains: ['corp.example'], rules: { ADDRESS_LIST_IN_BODY: 'error' } });
    expect(checkMessage(fixture('body-pasted-list.eml'), strict, { body }).verdict).toBe('block');
  });
});

const list = (n: number, domain = (i: number) => `org${i}.test`) => Array.from({ length: n }, (_, i) => `p${i + 1}@${domain(i + 1)}`);

function message(parts: string): Buffer {
  return Buffer.from(`From: Me <me@corp.example>\r\nTo: You <you@corp.example>\r\nSubject: t\r\nMIME-Version: 1.0\r\n${parts}`);
}

describe('addresses written with a fullwidth or small commercial at', () => {
  it.each([
    ['text/plain; charset=utf-8', '8bit', (l: string[]) => l.map((a) => a.replace('@', '\uFF20')).join('\r\n'), 'utf8'],
    ['text/html; charset=utf-8', '8bit', (l: string[]) => `<ul>${l.map((a) => `<li>${a.replace('@', '\uFE6B')}</li>`).join('')}</ul>`, 'utf8'],
    ['text/plain; charset=utf-16le', 'binary', (l: string[]) => l.map((a) => a.replace('@', '\uFF20')).join('\r\n'), 'utf16le'],
    ['text/plain; charset=utf-8', 'base64', (l: string[]) => l.map((a) => a.replace('@', '\uFF20')).join('\r\n'), 'base64'],
  ] as const)('%s (%s): the list is found', (type, encoding, write, as) => {
    const text = write(list(12));
    const content = as === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : Buffer.from(text, as).toString('latin1');
    const bytes = Buffer.from(`From: Me <me@corp.example>\r\nTo: You <you@corp.example>\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${content}\r\n`, 'latin1');
    expect(bodyFindings(bytes).map((a) => a.externalAddresses)).toEqual([12]);
  });
});

/** `text` in an East Asian charset; ISO-2022-JP (which iconv-lite does not write) by hand: JIS X
 * 0208 runs for the fullwidth at, ASCII around them. */
function eastAsian(text: string, charset: string): Buffer {
  if (charset === 'ISO-2022-JP') return Buffer.from(text.replace(/\uFF20/g, '\x1b$B!w\x1b(B'), 'latin1');
  return iconv.encode(text, charset);
}

describe('a fullwidth at in an East Asian charset (no 0x40, no UTF-8 in the part)', () => {
  const fullwidth = (l: string[]) => l.map((a) => a.replace('@', '\uFF20')).join('\r\n');
  it.each([
    ['Shift_JIS', '8bit'],
    ['ISO-2022-JP', '7bit'],
    ['EUC-JP', '8bit'],
    ['Big5', '8bit'],
    ['GB18030', '8bit'],
    ['EUC-KR', '8bit'],
  ])('a %s text part (%s): the list is found', (charset, encoding) => {
    const content = eastAsian(fullwidth(list(12)), charset);
    expect(content.includes(0x40)).toBe(false);
    const bytes = Buffer.concat([message(`Content-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`), content, Buffer.from('\r\n')]);
    expect(bodyFindings(bytes).map((a) => a.externalAddresses)).toEqual([12]);
  });

  it('a Shift_JIS CSV attachment, unencoded', () => {
    const content = eastAsian(`氏名,メール\r\n${fullwidth(list(12)).replace(/\r\n/g, ',\r\n')}`, 'Shift_JIS');
    const bytes = Buffer.concat([
      message('Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nsee the list\r\n--X\r\nContent-Type: text/csv; charset=Shift_JIS; name="list.csv"\r\nContent-Disposition: attachment; filename="list.csv"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
      content,
      Buffer.from('\r\n--X--\r\n'),
    ]);
    expect(bodyFindings(bytes).map((a) => [a.fileName, a.externalAddresses])).toEqual([['list.csv', 12]]);
  });

  it.each([
    ['Japanese Word (\\ansicpg932, \\uc2 with the Shift_JIS bytes as fallback)', '\\ansicpg932\\uc2', (a: string) => a.replace('@', "\\u-224\\'81\\'97")],
    ['an older writer (\\ansicpg932, the Shift_JIS bytes alone)', '\\ansicpg932', (a: string) => a.replace('@', "\\'81\\'97")],
    ['Chinese (\\ansicpg936, the GBK bytes alone)', '\\ansicpg936', (a: string) => a.replace('@', "\\'a3\\'c0")],
  ])('an RTF attachment from %s', (_label, codePage, write) => {
    const rtf = `{\\rtf1\\ansi${codePage}\\deff0{\\fonttbl{\\f0 MS Mincho;}}\\f0 ${list(12).map(write).join('\\par ')}}`;
    const bytes = message(`Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nsee the list\r\n--X\r\nContent-Type: application/rtf; name="list.rtf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(rtf, 'latin1').toString('base64')}\r\n--X--\r\n`);
    expect(bodyFindings(bytes).map((a) => [a.fileName, a.externalAddresses])).toEqual([['list.rtf', 12]]);
  });

  it('a Shift_JIS text naming no one is not a list', () => {
    const bytes = Buffer.concat([message('Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'), eastAsian('お世話になっております。会議は月曜日です。\r\n', 'Shift_JIS')]);
    expect(bodyFindings(bytes)).toEqual([]);
  });
});

describe('charset labels known under another name (Windows code pages, ISO-2022-JP extensions)', () => {
  it.each([
    ['cp1200', 'binary', (l: string[]) => Buffer.from(l.join('\r\n'), 'utf16le')],
    ['windows-1201', 'binary', (l: string[]) => Buffer.from(l.join('\r\n'), 'utf16le').swap16()],
    ['cp65001', '8bit', (l: string[]) => Buffer.from(l.map((a) => a.replace('@', '\uFF20')).join('\r\n'), 'utf8')],
    ['x-utf-7', '7bit', (l: string[]) => Buffer.from(l.map((a) => a.replace('@', '+AEA-')).join('\r\n'), 'latin1')],
    ['ISO-2022-JP-2', '7bit', (l: string[]) => eastAsian(l.map((a) => a.replace('@', '\uFF20')).join('\r\n'), 'ISO-2022-JP')],
    ['cp50220', '7bit', (l: string[]) => eastAsian(l.map((a) => a.replace('@', '\uFF20')).join('\r\n'), 'ISO-2022-JP')],
  ])('a text part in %s: the list is found', (charset, encoding, write) => {
    const bytes = Buffer.concat([message(`Content-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`), write([...list(12), ''])]);
    expect(bodyFindings(bytes).map((a) => a.externalAddresses)).toEqual([12]);
  });
});

describe('text that declares no charset, written in an East Asian one with fullwidth ats', () => {
  const fullwidth = (l: string[]) => l.map((a) => a.replace('@', '\uFF20')).join('\r\n');
  const attachmentFindings = (bytes: Uint8Array) =>
    checkMessage(bytes, policy, { source: 't', body }).findings.flatMap((f) => (f.code === 'ADDRESS_LIST_IN_ATTACHMENT' ? [f.args.externalAddresses] : []));
  // Excel and a mail reader in that locale show the list; read as UTF-8 it held no address.
  it.each(['Shift_JIS', 'EUC-JP', 'Big5', 'GB18030', 'EUC-KR', 'ISO-2022-JP'])('a %s text part without a charset parameter: the list is found', (charset) => {
    const content = eastAsian(`名簿\r\n${fullwidth(list(12))}`, charset);
    expect(content.includes(0x40)).toBe(false);
    const bytes = Buffer.concat([message('Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'), content, Buffer.from('\r\n')]);
    expect(bodyFindings(bytes).map((a) => a.externalAddresses)).toEqual([12]);
  });

  it('a Shift_JIS CSV attachment without a charset, base64, and the same CSV in a zip', () => {
    const csv = eastAsian(`氏名,メール\r\n${fullwidth(list(12)).replace(/\r\n/g, ',\r\n')}`, 'Shift_JIS');
    expect(bodyFindings(buildMessage([{ contentType: 'text/csv', fileName: 'list.csv', bytes: csv }])).map((a) => [a.fileName, a.externalAddresses])).toEqual([['list.csv', 12]]);
    expect(attachmentFindings(buildMessage([{ contentType: 'application/zip', fileName: 'export.zip', bytes: buildZip({ 'list.csv': csv }) }]))).toEqual([12]);
  });

  it('UTF-8 text is read once, and a declared charset is not second-guessed', () => {
    // The Shift_JIS at's bytes inside valid UTF-8 (U+1057 is E1 81 97): no second reading.
    const utf8 = Buffer.from(`\u1057 ${list(12).map((a) => a.replace('@', ' at ')).join(', ')}\r\n`, 'utf8');
    expect(utf8.includes(Buffer.from([0x81, 0x97]))).toBe(true);
    expect(bodyFindings(Buffer.concat([message('Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'), utf8]))).toEqual([]);
    const sjisAsLatin1 = Buffer.concat([message('Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'), eastAsian(fullwidth(list(12)), 'Shift_JIS')]);
    expect(bodyFindings(sjisAsLatin1)).toEqual([]);
  });
});

describe('quoted thread and forwarded messages', () => {
  it('counts a quoted address once per message: the same To line in the text and in an attached message', () => {
    const quoted = list(12).join(', ');
    const bytes = message(
      'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n\r\nOn Mon, 2 Nov 2026, Someone wrote:\r\n' +
        `> To: ${quoted}\r\n> hello\r\n--X\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="thread.eml"\r\n\r\n` +
        `From: Someone <someone@org1.test>\r\nTo: ${quoted}\r\nSubject: hello\r\n\r\nhello all\r\n--X--\r\n`,
    );
    const found = bodyFindings(bytes);
    expect(found.map((a) => [a.part, a.externalAddresses, a.quotedAddresses])).toEqual([['1', 12, 12]]);
  });

  it.each<[string, string]>([
    ['a reply quoting 8 of them', `See below.\r\n\r\nOn Mon, 2 Nov 2026, Someone wrote:\r\n> ${list(8).join('\r\n> ')}\r\n`],
    ['a reply quoting 9 of them after an Outlook header', `See below.\r\n\r\nFrom: Someone\r\nSent: Monday\r\nTo: ${list(9).join('; ')}\r\n`],
  ])('a part below the threshold does not spend the quoted addresses of the one after it: %s, then the forwarded message showing 12', (_name, text) => {
    const bytes = message(
      `Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\n${text}--X\r\nContent-Type: message/rfc822\r\n\r\n` +
        `From: Someone <someone@corp.example>\r\nTo: ${list(12).join(', ')}\r\nSubject: hello\r\n\r\nhello all\r\n--X--\r\n`,
    );
    expect(bodyFindings(bytes).map((a) => [a.part, a.externalAddresses, a.quotedAddresses])).toEqual([['2', 12, 12]]);
  });

  it('reports the header of a forwarded message (message/rfc822) when it alone shows the list (its From and 11 Cc)', () => {
    const bytes = message(
      'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--X\r\nContent-Type: message/rfc822\r\n\r\n' +
        `From: Someone <someone@org1.test>\r\nCc: ${list(11).join(',\r\n ')}\r\nSubject: hello\r\n\r\nhello all\r\n--X--\r\n`,
    );
    expect(bodyFindings(bytes).map((a) => [a.part, a.contentType, a.externalAddresses, a.quotedAddresses])).toEqual([['2', 'message/rfc822', 12, 12]]);
  });

  // Its other fields are read as the outer header's are: every client shows the Subject, and a
  // list in any field is shown to whoever opens the forwarded message.
  it.each([
    ['a Subject listing them', `Subject: ${list(12).join(', ')}`],
    ['a Subject in an encoded word', `Subject: =?UTF-8?B?${Buffer.from(list(12).join(', ')).toString('base64')}?=`],
    ['an X-Recipients field', `Subject: hello\r\nX-Recipients: ${list(12).join(',\r\n ')}`],
    ['numbered fields, one address each', `Subject: hello\r\n${list(12).map((a, i) => `X-Recipient-${i + 1}: ${a}`).join('\r\n')}`],
  ])('reads a forwarded message whose header shows the list in %s', (_label, fields) => {
    const bytes = message(
      'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--X\r\nContent-Type: message/rfc822\r\n\r\n' +
        `From: Someone <someone@corp.example>\r\nTo: staff@corp.example\r\n${fields}\r\n\r\nhello all\r\n--X--\r\n`,
    );
    expect(bodyFindings(bytes).map((a) => [a.part, a.contentType, a.externalAddresses, a.quotedAddresses])).toEqual([['2', 'message/rfc822', 12, 12]]);
  });

  it('a forwarded message whose trace fields name the envelope (Received, Delivered-To) is not a list', () => {
    const trace = list(12).map((a) => `Received: from mx.org.test by mx.corp.example for <${a}>; Mon, 2 Nov 2026 10:00:00 +0000\r\nDelivered-To: ${a}`).join('\r\n');
    const bytes = message(
      'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--X\r\nContent-Type: message/rfc822\r\n\r\n' +
        `${trace}\r\nFrom: Someone <someone@corp.example>\r\nTo: staff@corp.example\r\nSubject: hello\r\n\r\nhello all\r\n--X--\r\n`,
    );
    expect(bodyFindings(bytes)).toEqual([]);
  });

  it.each([
    ['application/octet-stream', 'base64'],
    ['application/octet-stream', '7bit'],
    ['application/x-eml', 'base64'],
    ['text/plain', 'quoted-printable'],
  ])('reads a saved message attached as %s (%s) under an .eml name as a forwarded one: its header and its own attachments', (type, encoding) => {
    const book = Buffer.from(buildXlsx([{ name: 'Hidden', state: 'hidden', rows: list(15, (i) => `club${i}.test`).map((a) => [a]) }])).toString('base64');
    const inner =
      `From: Someone <someone@org1.test>\r\nCc: ${list(11).join(',\r\n ')}\r\nSubject: hello\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="IN"\r\n\r\n` +
      `--IN\r\nContent-Type: text/plain\r\n\r\nhello all\r\n--IN\r\nContent-Type: application/octet-stream; name="members.xlsx"\r\nContent-Transfer-Encoding: base64\r\n\r\n${book.replace(/.{76}/g, '$&\r\n')}\r\n--IN--\r\n`;
    const encoded = encoding === 'base64' ? Buffer.from(inner).toString('base64').replace(/.{76}/g, '$&\r\n') : encoding === 'quoted-printable' ? inner.replace(/=/g, '=3D') : inner;
    const bytes = message(
      'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nFYI\r\n' +
        `--X\r\nContent-Type: ${type}; name="Fwd hello.eml"\r\nContent-Disposition: attachment; filename="Fwd hello.eml"\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${encoded}\r\n--X--\r\n`,
    );
    const r = checkMessage(bytes, policy, { source: 't', body });
    expect(bodyFindings(bytes).map((a) => [a.part, a.externalAddresses])).toEqual([['2', 12]]);
    const sheets = r.findings.flatMap((f) => (f.code === 'ADDRESS_LIST_IN_ATTACHMENT' ? [[f.args.sheet, f.args.externalAddresses]] : []));
    expect(sheets).toEqual([['Hidden', 15]]);
  });

  it.each(['Resent-To', 'Resent-Cc', 'Mail-Followup-To', 'Sender'])('reports a forwarded message whose %s field shows the list', (field) => {
    const bytes = message(
      'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--X\r\nContent-Type: message/rfc822\r\n\r\n' +
        `From: Me <me@corp.example>\r\n${field}: ${list(12).join(',\r\n ')}\r\nSubject: hello\r\n\r\nhello all\r\n--X--\r\n`,
    );
    expect(bodyFindings(bytes).map((a) => [a.part, a.externalAddresses])).toEqual([['2', 12]]);
  });

  it('does not count addresses the header already shows, nor Message-ID and References lines', () => {
    const to = list(12).join(', ');
    const bytes = Buffer.from(
      `From: me@corp.example\r\nTo: ${to}\r\nSubject: t\r\n\r\nHello ${to}\r\n> Message-ID: ${list(12, (i) => `mail${i}.gmail.com`).map((a) => `<${a}>`).join(' ')}\r\n`,
    );
    expect(bodyFindings(bytes)).toEqual([]);
  });

  it('scans an HTML-only body, with quoted blockquote addresses counted as quoted', () => {
    const bytes = message(
      `Content-Type: text/html; charset=utf-8\r\n\r\n<p>${list(5).map((a) => `<a href="mailto:${a}">${a}</a>`).join('<br>')}</p><blockquote>${list(10, (i) => `q${i}.test`).join('<br>')}</blockquote>`,
    );
    expect(bodyFindings(bytes).map((a) => [a.part, a.contentType, a.externalAddresses, a.quotedAddresses])).toEqual([['1', 'text/html', 15, 10]]);
  });
});

describe('limits', () => {
  it('scans only maxPartBytes of a part and says so', () => {
    const filler = 'x'.repeat(5000);
    const bytes = message(`Content-Type: text/plain\r\n\r\n${list(12).join('\r\n')}\r\n${filler}\r\n${list(12, (i) => `late${i}.test`).join('\r\n')}\r\n`);
    const [f] = bodyFindings(bytes, { ...body, maxPartBytes: 2048 });
    expect(f).toMatchObject({ externalAddresses: 12, truncated: true });
    expect(bodyFindings(bytes)[0]).toMatchObject({ externalAddresses: 24, truncated: false });
  });

  it('stays linear on a megabyte without an address and on one long word with many @', () => {
    const t0 = performance.now();
    bodyFindings(message(`Content-Type: text/plain\r\n\r\n${'a'.repeat(1_000_000)}\r\n`));
    bodyFindings(message(`Content-Type: text/plain\r\n\r\n${'a@'.repeat(500_000)}\r\n`));
    // A quadratic scan of these takes minutes; the bound leaves room for a loaded CI machine.
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('scans at most MAX_MESSAGE_TEXT_BYTES of text per message, however many parts it has', () => {
    const part = `${list(6000, (i) => `d${i % 500}.test`).join('\n')}\n`; // ~100 KB, 6,000 addresses
    const many = Array.from({ length: 60 }, () => `--P\r\nContent-Type: text/plain\r\n\r\n${part}`).join('');
    // The bound is asserted by what was scanned, not by the clock (speed is the bench's job).
    const found = bodyFindings(message(`Content-Type: multipart/mixed; boundary=P\r\n\r\n${many}--P--\r\n`));
    const scanned = Math.ceil(MAX_MESSAGE_TEXT_BYTES / Buffer.byteLength(part));
    expect(found.length).toBeGreaterThanOrEqual(scanned - 1);
    expect(found.length).toBeLessThanOrEqual(scanned + 1);
  });

  it('ignores parts nested deeper than the MIME depth limit and non-text attachments', () => {
    let nested = `Content-Type: text/plain\r\n\r\n${list(12).join('\n')}\r\n`;
    for (let i = 0; i < 12; i++) nested = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${nested}--b${i}--\r\n`;
    expect(bodyFindings(message(nested))).toEqual([]);
    const pdf = message(`Content-Type: application/pdf; name="list.pdf"\r\n\r\n${list(12).join('\n')}\r\n`);
    expect(bodyFindings(pdf)).toEqual([]);
  });
});
