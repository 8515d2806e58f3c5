// text/enriched (RFC 1896) and text/richtext (RFC 1341) bodies are shown formatted by the clients
// that know them: commands (`<bold>`, `<x-color>`) disappear, `<param>` text is not shown, `<<`
// (enriched) and `<lt>` (richtext) are a "<", `<nl>` (richtext) a line break. A list written with
// markup inside each address (`p1<bold>@</bold>org1.test`, `p1<param>x</param>@org1.test`) was
// read only as written, where it shows no address, and passed. Such a part is now read as those
// clients render it too (the text as written still is, for the clients that show it plain).
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { addresses } from '../helpers/office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });

function message(type: string, body: string, options: { attached?: boolean } = {}): Buffer {
  const head = 'From: Anna <anna@corp.example>\r\nTo: bob@corp.example\r\nSubject: Update\r\nDate: Fri, 04 Dec 2026 12:00:00 +0000\r\nMessage-ID: <e1@corp.example>\r\nMIME-Version: 1.0\r\n';
  if (!options.attached) return Buffer.from(`${head}Content-Type: ${type}; charset=utf-8\r\n\r\n${body}\r\n`);
  return Buffer.from(`${head}Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee the list.\r\n--B\r\nContent-Type: ${type}\r\nContent-Disposition: attachment; filename="list.txt"\r\n\r\n${body}\r\n--B--\r\n`);
}
const codes = (type: string, body: string, options: { attached?: boolean } = {}) => checkMessage(message(type, body, options), policy).findings.map((f) => f.code);
const LIST = ['ADDRESS_LIST_IN_BODY', 'ADDRESS_LIST_IN_ATTACHMENT'];
const listed = (found: string[]) => found.some((c) => LIST.includes(c));
const lines = (write: (a: string) => string, list = addresses(20)) => list.map(write).join('\r\n\r\n');

describe('a list a text/enriched or text/richtext reader shows', () => {
  it.each([
    ['enriched, <bold>@</bold>', 'text/enriched', (a: string) => a.replace('@', '<bold>@</bold>')],
    ['enriched, </italic> inside the local part', 'text/enriched', (a: string) => `<italic>${a.slice(0, 3)}</italic>${a.slice(3)}`],
    ['enriched, <param> text before the "@"', 'text/enriched', (a: string) => a.replace('@', '<x-color><param>red</param>@</x-color>')],
    ['enriched, an unknown command <x-anything>', 'text/enriched', (a: string) => a.replace('@', '<x-anything>@</x-anything>')],
    ['enriched, a <<-escaped "<" before the list item', 'text/enriched', (a: string) => `<<${a.replace('@', '<bold>@</bold>')}>`],
    ['richtext, <bold>@</bold>', 'text/richtext', (a: string) => a.replace('@', '<bold>@</bold>')],
    ['richtext, a command inside the domain', 'text/richtext', (a: string) => a.replace('.test', '<smaller>.test</smaller>')],
    ['TEXT/ENRICHED in capitals, <BOLD>', 'TEXT/ENRICHED', (a: string) => a.replace('@', '<BOLD>@</BOLD>')],
  ] as Array<[string, string, (a: string) => string]>)('%s: the list is found', (_name, type, write) => {
    expect(listed(codes(type, lines(write)))).toBe(true);
  });

  it('a text/enriched attachment (not the body) is read so too', () => {
    expect(listed(codes('text/enriched', lines((a) => a.replace('@', '<bold>@</bold>')), { attached: true }))).toBe(true);
  });

  it('richtext <nl> between addresses keeps them apart', () => {
    expect(listed(codes('text/richtext', addresses(20).map((a) => a.replace('@', '<bold>@</bold>')).join('<nl>')))).toBe(true);
  });
});

describe('controls', () => {
  it('a text/enriched note with three addresses, or colleagues only, passes', () => {
    expect(codes('text/enriched', lines((a) => a.replace('@', '<bold>@</bold>'), addresses(3)))).toEqual([]);
    expect(codes('text/enriched', lines((a) => a.replace('@', '<bold>@</bold>').replace(/org\d+\.test/, 'corp.example')))).toEqual([]);
  });

  it('<param> text is not shown by an enriched reader, and a plain reader shows no address in it either', () => {
    // "<param>p1</param>@org1.test" as written shows no address; rendered, "@org1.test".
    expect(codes('text/enriched', lines((a) => `<x-color><param>${a.slice(0, a.indexOf('@'))}</param>${a.slice(a.indexOf('@'))}</x-color>`))).toEqual([]);
  });

  it('a text/plain part is not read as enriched: <b>@</b> in plain text shows no address', () => {
    expect(codes('text/plain', lines((a) => a.replace('@', '<bold>@</bold>')))).toEqual([]);
  });

  it('a text/enriched list written plainly is found once, as before', () => {
    expect(codes('text/enriched', lines((a) => `<bold>${a}</bold>`))).toEqual(['ADDRESS_LIST_IN_BODY']);
  });
});
