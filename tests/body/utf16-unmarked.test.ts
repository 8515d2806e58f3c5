// A recipient list in UTF-16 without a byte order mark (.NET's Encoding.Unicode.GetBytes, iconv
// -t UTF-16LE, exporters that write no mark): read as UTF-8 or latin1 there is a NUL between its
// letters, not one address was found, and a CSV of customers attached to a campaign passed. Now
// text whose zero bytes fall in every other place is also read as UTF-16 in that order, whatever
// its label says; a binary file's stray zeros are not read as text.
import { describe, expect, it } from 'vitest';
import { utf16Order } from '../../src/message/utf16.js';
import { addresses, buildZip } from '../helpers/office-files.js';
import { argsOf, checkAttachments } from '../helpers/attachment-findings.js';

const LIST = addresses(12, 'customer');
const csv = (header = 'email,name') => `${header}\r\n${LIST.map((a, i) => `${a},Customer ${i + 1}`).join('\r\n')}\r\n`;
const le = (text: string) => Buffer.from(text, 'utf16le');
const be = (text: string) => Buffer.from(text, 'utf16le').swap16();

/** The most external addresses a list finding of the body scan counts. */
function listed(findings: Parameters<typeof argsOf>[0]): number {
  const counts = [...argsOf(findings, 'ADDRESS_LIST_IN_BODY'), ...argsOf(findings, 'ADDRESS_LIST_IN_ATTACHMENT')].map((a) => a.externalAddresses);
  return Math.max(0, ...counts);
}

describe('a list in UTF-16 without a byte order mark is read', () => {
  it.each([
    ['text/csv, no charset, UTF-16LE', 'list.csv', 'text/csv', le(csv())],
    ['text/csv, no charset, UTF-16BE', 'list.csv', 'text/csv', be(csv())],
    ['text/csv labelled utf-8, UTF-16LE', 'list.csv', 'text/csv; charset=utf-8', le(csv())],
    ['text/csv labelled utf-16 (no order), UTF-16BE', 'list.csv', 'text/csv; charset=utf-16', be(csv())],
    ['text/csv labelled us-ascii, UTF-16BE', 'list.csv', 'text/csv; charset=us-ascii', be(csv())],
    ['application/octet-stream named list.csv, UTF-16LE', 'list.csv', 'application/octet-stream', le(csv())],
    ['application/octet-stream without a name, UTF-16BE', undefined, 'application/octet-stream', be(csv())],
    ['application/vnd.ms-excel named export.csv, UTF-16LE', 'export.csv', 'application/vnd.ms-excel', le(csv())],
    ['tab-separated Unicode text as Excel saves it, UTF-16LE', 'list.txt', 'text/plain', le(csv('Name\tE-mail').replace(/,/g, '\t'))],
    ['a Japanese header row first, UTF-16LE', 'list.csv', 'text/csv', le(csv('氏名,メールアドレス,会社名,部署,電話番号,備考'))],
    ['a Japanese header row first, UTF-16BE', 'list.csv', 'text/csv', be(csv('氏名,メールアドレス,会社名,部署,電話番号,備考'))],
    ['a CSV in a zip, UTF-16LE', 'lists.zip', 'application/zip', buildZip({ 'list.csv': le(csv()) })],
  ])('%s', (_, fileName, contentType, bytes) => {
    const r = checkAttachments([{ ...(fileName !== undefined ? { fileName } : {}), contentType, bytes }]);
    expect(listed(r.findings)).toBe(12);
    expect(r.verdict).not.toBe('pass');
  });
});

describe('what is not UTF-16 stays as it was', () => {
  it('a UTF-16LE list of colleagues passes', () => {
    const r = checkAttachments([{ fileName: 'team.csv', contentType: 'text/csv', bytes: le(`email\r\n${Array.from({ length: 12 }, (_, i) => `p${i}@corp.example`).join('\r\n')}\r\n`) }]);
    expect(r.verdict).toBe('pass');
  });

  it.each([
    ['ASCII text', Buffer.from(csv())],
    ['a NUL in ASCII text', Buffer.from(`\0${csv()}`)],
    ['zeros in both places of each pair (UTF-32LE)', Buffer.from(Array.from('abcdefgh').flatMap((c) => [c.charCodeAt(0), 0, 0, 0]))],
    ['a binary header with zeros here and there', Buffer.from([0x42, 0x4d, 0x36, 0, 0x0c, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 1, 0, 0x18, 0])],
  ])('%s is not UTF-16', (_, bytes) => {
    expect(utf16Order(bytes)).toBeUndefined();
  });

  it.each([
    ['UTF-16LE', le('To: a@x.example'), 'le'],
    ['UTF-16BE', be('To: a@x.example'), 'be'],
    ['UTF-16LE, CJK first', le('氏名,メールアドレス\r\na@x.example,b@y.example,c@z.example'), 'le'],
    ['UTF-16BE, CJK first', be('氏名,メールアドレス\r\na@x.example,b@y.example,c@z.example'), 'be'],
  ])('%s without a mark is UTF-16', (_, bytes, order) => {
    expect(utf16Order(bytes)).toEqual({ order, bom: false });
  });
});
