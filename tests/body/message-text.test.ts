// One reading of a message's text (src/body/message-text.ts): the same for a forwarded message
// (message/rfc822) and for a saved message (.eml) found inside a zip, a tar.gz, an Outlook item or
// a TNEF winmail.dat. Each shape below hides a list of 12 external addresses from a search of the
// text as written; the forwarded reading found each before the saved one did.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { argsOf, checkAttachments } from '../helpers/attachment-findings.js';
import { addresses, buildMessage, buildZip } from '../helpers/office-files.js';
import { outlookMsg } from '../helpers/outlook-msg.js';
import { buildTnef, PT } from '../helpers/tnef.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const body = { minAddresses: DEFAULT_BODY_SCAN.minAddresses, maxPartBytes: DEFAULT_BODY_SCAN.maxPartBytes };

const list = addresses(12, 'p');
const encoded = (at: string) => list.map((a) => a.replace('@', at));
const HEAD = 'From: Boss <boss@corp.example>\r\nTo: me@corp.example\r\nSubject: the list\r\nMIME-Version: 1.0\r\n';
/** A saved message from and to corp.example whose text is `text`, of type `type`. */
const saved = (type: string, text: string) => `${HEAD}Content-Type: ${type}\r\n\r\n${text}\r\n`;

// [shape, the saved message]
const SHAPES: Array<[string, string]> = [
  ['alt text with &#64;', saved('text/html', `<p><img src="cid:x" alt="${encoded('&#64;').join(', ')}"></p>`)],
  ['a title with &#x40 (no ";")', saved('text/html', `<p title="${encoded('&#x40').join(' ')}">the list</p>`)],
  ['a mailto: link with &commat;', saved('text/html', `<a href="mailto:${encoded('&commat;').join(',')}">write to all</a>`)],
  ['a mailto: link with %40 in HTML', saved('text/html', `<a href="mailto:${list.map(encodeURIComponent).join('%2C')}">write to all</a>`)],
  ['a mailto: link with %40 in plain text', saved('text/plain', `Write to all: mailto:${list.map(encodeURIComponent).join('%2C')}`)],
  ['quoted-printable =40 in the text', saved('text/plain', list.map((a) => `EMAIL;ENCODING=QUOTED-PRINTABLE:${a.replace('@', '=40')}`).join('\r\n'))],
  ['format=flowed delsp=yes, broken after each "@"', saved('text/plain; format=flowed; delsp=yes', list.map((a) => a.replace('@', '@ \r\n')).join(', \r\n'))],
  ['a header running into the list', `${HEAD}Dear all, the list: ${list.join(', ')}\r\n`],
  ['no header at all, the list at once', `To: me@corp.example\r\n${list.join('\r\n')}\r\n`],
  ['a zero-width space before each "@"', saved('text/plain; charset=utf-8', encoded('\u200b@').join('\r\n'))],
  ['a word joiner before each "@" in HTML text', saved('text/html; charset=utf-8', `<p>${encoded('\u2060@').join('<br>')}</p>`)],
];

const scratch = mkdtempSync(path.join(os.tmpdir(), 'mailguard-saved-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The saved message as the system's tar and gzip write it. */
function tarGz(eml: string): Buffer {
  const dir = mkdtempSync(path.join(scratch, 'eml-'));
  writeFileSync(path.join(dir, 'thread.eml'), eml);
  execFileSync('tar', ['-czf', path.join(dir, 'mails.tar.gz'), '-C', dir, 'thread.eml']);
  return readFileSync(path.join(dir, 'mails.tar.gz'));
}

const item = (eml: string) =>
  outlookMsg({ subject: 'Fwd', senderName: 'Boss', senderSmtp: 'boss@corp.example', recipients: [{ smtp: 'hr@corp.example', type: 'to' }], attachments: [{ name: 'thread.eml', data: Buffer.from(eml) }] });

/** [container, the attachment carrying the saved message] */
const CONTAINERS: Array<[string, (eml: string) => { fileName: string; contentType: string; bytes: Uint8Array }]> = [
  ['zip', (eml) => ({ fileName: 'mails.zip', contentType: 'application/zip', bytes: buildZip({ 'export/thread.eml': eml }) })],
  ['tar.gz', (eml) => ({ fileName: 'mails.tar.gz', contentType: 'application/gzip', bytes: tarGz(eml) })],
  ['Outlook item', (eml) => ({ fileName: 'Fwd.msg', contentType: 'application/vnd.ms-outlook', bytes: item(eml) })],
  ['TNEF winmail.dat', (eml) => ({ fileName: 'winmail.dat', contentType: 'application/ms-tnef', bytes: buildTnef([{ title: 'THREAD~1.EML', longName: 'thread.eml', data: eml }]) })],
];

describe('a saved message is read as a forwarded one', () => {
  it.each(SHAPES)('%s: forwarded (message/rfc822), 12 external addresses', (_shape, eml) => {
    const bytes = Buffer.from(
      `From: Anna <anna@corp.example>\r\nTo: bob@corp.example\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="X"\r\n\r\n` +
        `--X\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--X\r\nContent-Type: message/rfc822\r\n\r\n${eml}--X--\r\n`,
    );
    const r = checkMessage(bytes, policy, { source: 't', body });
    expect(argsOf(r.findings, 'ADDRESS_LIST_IN_BODY').map((a) => [a.part, a.externalAddresses])).toEqual([['2', 12]]);
  });

  describe.each(CONTAINERS)('inside a %s', (container, carry) => {
    it.each(SHAPES)(`%s: 12 external addresses (${container})`, (_shape, eml) => {
      const r = checkAttachments([carry(eml)]);
      expect(argsOf(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.entry, a.externalAddresses])).toEqual([[container === 'zip' ? 'export/thread.eml' : 'thread.eml', 12]]);
      expect(argsOf(r.findings, 'ATTACHMENT_NOT_SCANNED')).toEqual([]);
    });
  });
});

describe("an Outlook item's and a winmail.dat's own message text are read the same way", () => {
  // [shape, HTML, plain text] of the item's text; each shows the 12 addresses.
  const TEXTS: Array<[string, { html?: string; text?: string }]> = [
    ['alt text with &#64;', { html: `<p><img src="cid:x" alt="${encoded('&#64;').join(', ')}"></p>` }],
    ['a mailto: link with &commat;', { html: `<a href="mailto:${encoded('&commat;').join(',')}">write to all</a>` }],
    ['a mailto: link with %40', { html: `<a href="mailto:${list.map(encodeURIComponent).join('%2C')}">write to all</a>` }],
    ['quoted-printable =40 in the text', { text: list.map((a) => `EMAIL;ENCODING=QUOTED-PRINTABLE:${a.replace('@', '=40')}`).join('\r\n') }],
    ['a zero-width space before each "@"', { text: encoded('\u200b@').join('\r\n') }],
  ];
  const messageText = (fs: ReturnType<typeof checkAttachments>['findings']) => argsOf(fs, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.messageText, a.externalAddresses]);

  it.each(TEXTS)('an Outlook item attached, %s', (_shape, { html, text }) => {
    const bytes = outlookMsg({ subject: 'Fwd', senderName: 'Boss', senderSmtp: 'boss@corp.example', recipients: [{ smtp: 'hr@corp.example', type: 'to' }], ...(html === undefined ? {} : { html }), ...(text === undefined ? {} : { body: text }) });
    expect(messageText(checkAttachments([{ fileName: 'Fwd.msg', contentType: 'application/vnd.ms-outlook', bytes }]).findings)).toEqual([[true, 12]]);
  });

  it.each(TEXTS)('a winmail.dat, %s', (_shape, { html, text }) => {
    // PidTagBody (Unicode: attBody is in the item's code page, which has no zero-width space) or PidTagBodyHtml.
    const bytes = buildTnef([], { messageProperties: [html === undefined ? { type: PT.unicode, id: 0x1000, values: [text!] } : { type: PT.binary, id: 0x1013, values: [Buffer.from(html)] }] });
    expect(messageText(checkAttachments([{ fileName: 'winmail.dat', contentType: 'application/ms-tnef', bytes }]).findings)).toEqual([[true, 12]]);
  });
});

describe('vCard quoted-printable with a soft line break at the "@"', () => {
  // [variant, one address as the vCard writes its value; "\n" is the line end under test]
  const VARIANTS: Array<[string, (a: string) => string]> = [
    ['before the "@", written =40', (a) => a.replace('@', '=\n=40')],
    ['after the "@", written =40', (a) => a.replace('@', '=40=\n')],
    ['before a literal "@"', (a) => a.replace('@', '=\n@')],
    ['after a literal "@"', (a) => a.replace('@', '@=\n')],
    ['inside the domain, white space after the "="', (a) => a.replace('@org', '=40org= \t\n')],
  ];
  const vcards = (value: (a: string) => string, eol: string) =>
    list.map((a, i) => `BEGIN:VCARD\nVERSION:2.1\nN:Person;${i + 1}\nEMAIL;INTERNET;ENCODING=QUOTED-PRINTABLE:${value(a)}\nEND:VCARD`.replace(/\n/g, eol)).join(eol) + eol;
  const bodyCount = (bytes: Uint8Array) => argsOf(checkMessage(bytes, policy, { source: 't', body }).findings, 'ADDRESS_LIST_IN_BODY').map((a) => a.externalAddresses);

  describe.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('%s', (_name, eol) => {
    it.each(VARIANTS)('%s: 12 addresses in a .vcf attached, in the text, in a saved message in a zip', (_variant, value) => {
      const cards = vcards(value, eol);
      expect(bodyCount(buildMessage([{ fileName: 'contacts.vcf', contentType: 'text/vcard; charset=utf-8', bytes: cards }]))).toEqual([12]);
      expect(bodyCount(Buffer.from(saved('text/plain; charset=utf-8', cards)))).toEqual([12]);
      const zipped = checkAttachments([{ fileName: 'mails.zip', contentType: 'application/zip', bytes: buildZip({ 'thread.eml': saved('text/x-vcard', cards) }) }]);
      expect(argsOf(zipped.findings, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => a.externalAddresses)).toEqual([12]);
    });
  });

  it('an "=" ending a line of text that declares no quoted-printable and has no =40 is not a soft line break', () => {
    const text = list.map((a) => a.replace('@', '=\n@')).join('\n');
    expect(bodyCount(Buffer.from(saved('text/plain', text)))).toEqual([]);
  });
});

describe('a text file inside an archive is read as the same text attached is', () => {
  const vcf = list.map((a, i) => `BEGIN:VCARD\r\nVERSION:2.1\r\nN:Person;${i + 1}\r\nEMAIL;ENCODING=QUOTED-PRINTABLE:${a.replace('@', '=\r\n=40')}\r\nEND:VCARD`).join('\r\n');
  // [file, its text]
  const FILES: Array<[string, string]> = [
    ['contacts.vcf', vcf],
    ['list.txt', encoded('\u200b@').join('\r\n')],
    ['data.bin', `mailto:${list.map(encodeURIComponent).join('%2C')}`],
  ];
  it.each(FILES)('%s: attached, and in a zip, 12 addresses', (name, text) => {
    const attached = checkAttachments([{ fileName: name, contentType: name === 'data.bin' ? 'application/octet-stream' : 'text/plain; charset=utf-8', bytes: text }]);
    const inBody = argsOf(attached.findings, 'ADDRESS_LIST_IN_BODY').map((a) => a.externalAddresses);
    const inFile = argsOf(attached.findings, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => a.externalAddresses);
    expect([...inBody, ...inFile]).toEqual([12]);
    const zipped = checkAttachments([{ fileName: 'export.zip', contentType: 'application/zip', bytes: buildZip({ [name]: text }) }]);
    expect(argsOf(zipped.findings, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.entry, a.externalAddresses])).toEqual([[name, 12]]);
  });
});
