// An HTML file that is not a text/html part: attached as application/octet-stream or text/plain
// under an .html name, or packed in a zip, a gzip or a uuencoded block. A browser opens it by its
// name and shows `p1&#64;org1.test`, `p1<span>@</span>org1.test`, `p1<wbr>@org1.test` as
// p1@org1.test, but the scan read such a file as plain text, so a list of twenty external
// addresses written so passed with no finding. A file named as HTML is now read as HTML too
// (as a text/html part is), whatever its declared type and wherever it is packed.
import { gzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { addresses, buildMessage, type AttachmentSpec } from '../helpers/office-files.js';
import { uuencode } from '../helpers/uuencode.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const codes = (attachments: AttachmentSpec[], body?: string) => checkMessage(buildMessage(attachments, body === undefined ? {} : { body }), policy).findings.map((f) => f.code);

const page = (write: (a: string) => string, list = addresses(20)) => `<!DOCTYPE html><html><body><table>${list.map((a) => `<tr><td>${write(a)}</td></tr>`).join('\n')}</table></body></html>`;
const entity = (a: string) => a.replace('@', '&#64;');
const span = (a: string) => a.replace('@', '<span>@</span>');
const wbr = (a: string) => a.replace('@', '<wbr>@');
const named = (a: string) => a.replace('@', '&commat;');
const LIST = ['ADDRESS_LIST_IN_ATTACHMENT', 'ADDRESS_LIST_IN_BODY'];
const listed = (found: string[]) => found.some((c) => LIST.includes(c));

describe('an HTML file outside a text/html part is read as a browser shows it', () => {
  it.each([
    ['application/octet-stream list.html, &#64;', [{ fileName: 'list.html', contentType: 'application/octet-stream', bytes: page(entity) }]],
    ['text/plain list.htm, <span>@</span>', [{ fileName: 'list.htm', contentType: 'text/plain', bytes: page(span) }]],
    ['application/x-download LIST.HTML, <wbr>', [{ fileName: 'LIST.HTML', contentType: 'application/x-download', bytes: page(wbr) }]],
    ['a zip member list.html, &commat;', [{ fileName: 'export.zip', contentType: 'application/zip', bytes: zipSync({ 'export/list.html': strToU8(page(named)) }) }]],
    ['a gzip of list.xhtml, &#64;', [{ fileName: 'list.xhtml.gz', contentType: 'application/gzip', bytes: gzipSync(Buffer.from(page(entity))) }]],
  ] as Array<[string, AttachmentSpec[]]>)('%s: the list is found', (_name, attachments) => {
    expect(listed(codes(attachments))).toBe(true);
  });

  it('a uuencoded list.html in a text body: the list is found', () => {
    expect(listed(codes([], `see below\r\n${uuencode(Buffer.from(page(span)), 'list.html', '\r\n')}`))).toBe(true);
  });
});

describe('controls', () => {
  it('a text file that writes &#64; is text: a reader sees "&#64;", not an address', () => {
    expect(codes([{ fileName: 'notes.txt', contentType: 'application/octet-stream', bytes: addresses(20).map(entity).join('\n') }])).toEqual([]);
    expect(codes([{ fileName: 'e.zip', contentType: 'application/zip', bytes: zipSync({ 'notes.txt': strToU8(addresses(20).map(span).join('\n')) }) }])).toEqual([]);
  });

  it('an HTML page with three addresses, or with colleagues only, passes', () => {
    expect(codes([{ fileName: 'page.html', contentType: 'application/octet-stream', bytes: page(entity, addresses(3)) }])).toEqual([]);
    expect(codes([{ fileName: 'team.html', contentType: 'application/octet-stream', bytes: page(span, addresses(20, 'p', 1).map((a) => a.replace(/@.*/, '@corp.example'))) }])).toEqual([]);
  });

  it('an HTML file with its list written plainly was found before and still is, once', () => {
    expect(codes([{ fileName: 'list.html', contentType: 'application/octet-stream', bytes: page((a) => a) }])).toEqual(['ADDRESS_LIST_IN_ATTACHMENT']);
  });
});
