// A legacy binary workbook or document: Excel 97-2003 (.xls) and Word 97-2003 (.doc) in an OLE
// container, Excel's binary workbook (.xlsb, which Excel offers for large exports). The scan
// reported each only as ATTACHMENT_NOT_SCANNED, a note (info) that leaves the verdict at pass, so
// a customer list of twenty external addresses in an .xls passed with exit 0. These formats keep
// their strings as they are, one byte a character (BIFF's compressed strings, Word's 8-bit text)
// or UTF-16LE, so the file's bytes read both ways show the addresses Excel and Word show: a list
// found so is reported (ADDRESS_LIST_IN_ATTACHMENT), and the note that the file was not read as
// its format stays.
import { burn } from '@kenjiuno/msgreader/lib/Burner.js';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { addresses, buildMessage, buildZip } from '../helpers/office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const check = (fileName: string, bytes: Uint8Array, contentType = 'application/octet-stream') => checkMessage(buildMessage([{ fileName, contentType, bytes }]), policy);
const codes = (fileName: string, bytes: Uint8Array, contentType?: string) => check(fileName, bytes, contentType).findings.map((f) => `${f.code}/${f.severity}`);

/** An OLE compound file holding the named streams (msgreader's own writer). */
function cfb(streams: Record<string, Buffer>): Buffer {
  const entries: Array<Record<string, unknown>> = [{ name: 'Root Entry', type: 5, length: 0, children: [] as number[] }];
  for (const [name, bytes] of Object.entries(streams)) {
    (entries[0]!.children as number[]).push(entries.length);
    const own = Uint8Array.from(bytes);
    entries.push({ name, type: 2, length: own.length, binaryProvider: () => own });
  }
  return Buffer.from(burn(entries as unknown as Parameters<typeof burn>[0]));
}
const record = (type: number, data: Buffer) => {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(data.length, 2);
  return Buffer.concat([h, data]);
};
/** A BIFF8 Workbook stream: BOF, a shared string table (SST) of XLUnicodeStrings, EOF. */
function xls(strings: string[], wide: boolean): Buffer {
  const bof = record(0x0809, Buffer.from([0x00, 0x06, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  const count = Buffer.alloc(8);
  count.writeUInt32LE(strings.length, 0);
  count.writeUInt32LE(strings.length, 4);
  const items = strings.map((s) => {
    const h = Buffer.alloc(3);
    h.writeUInt16LE(s.length, 0);
    h[2] = wide ? 1 : 0;
    return Buffer.concat([h, Buffer.from(s, wide ? 'utf16le' : 'latin1')]);
  });
  return cfb({ Workbook: Buffer.concat([bof, record(0x00fc, Buffer.concat([count, ...items])), record(0x000a, Buffer.alloc(0))]) });
}
/** A Word 97 file: a File Information Block's first bytes, then the text (8-bit or UTF-16LE). */
function doc(text: string, wide: boolean): Buffer {
  const fib = Buffer.alloc(0x200);
  fib.writeUInt16LE(0xa5ec, 0);
  fib.writeUInt16LE(0x00c1, 2);
  return cfb({ WordDocument: Buffer.concat([fib, Buffer.from(text, wide ? 'utf16le' : 'latin1')]), '1Table': Buffer.alloc(512) });
}
/** An xlsb: a zip of binary records; shared strings as BrtSSTItem (flags, then a 4-byte count and UTF-16LE). */
function xlsb(strings: string[]): Uint8Array {
  const items = strings.map((s) => {
    const cch = Buffer.alloc(5);
    cch.writeUInt32LE(s.length, 1);
    return Buffer.concat([Buffer.from([0x13, 5 + s.length * 2]), cch, Buffer.from(s, 'utf16le')]);
  });
  return buildZip({
    '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
    'xl/workbook.bin': new Uint8Array([0x83, 0x01, 0x00]),
    'xl/sharedStrings.bin': Buffer.concat([Buffer.from([0x9f, 0x01, 0x08]), Buffer.alloc(8), ...items]),
  });
}

const LIST = addresses(20);
const cells = LIST.flatMap((a, i) => [`Customer ${i + 1}`, a]);

describe('a list in a legacy binary workbook or document is found', () => {
  it.each([
    ['an .xls, compressed (8-bit) strings', 'customers.xls', xls(cells, false), 'application/vnd.ms-excel'],
    ['an .xls, UTF-16 strings', 'customers.xls', xls(cells, true), 'application/octet-stream'],
    ['an .xls with no name', undefined, xls(cells, false), 'application/octet-stream'],
    ['a .doc, 8-bit text', 'letter.doc', doc(LIST.join('\r'), false), 'application/msword'],
    ['a .doc, UTF-16 text', 'letter.doc', doc(LIST.join('\r'), true), 'application/msword'],
    ['an .xlsb', 'export.xlsb', xlsb(cells), 'application/vnd.ms-excel.sheet.binary.macroEnabled.12'],
    ['an .xls in a zip', 'export.zip', buildZip({ 'customers.xls': xls(cells, false) }), 'application/zip'],
  ] as Array<[string, string | undefined, Uint8Array, string]>)('%s: ADDRESS_LIST_IN_ATTACHMENT', (_name, fileName, bytes, type) => {
    const r = checkMessage(buildMessage([fileName === undefined ? { contentType: type, bytes } : { fileName, contentType: type, bytes }]), policy);
    expect(r.findings.map((f) => f.code)).toContain('ADDRESS_LIST_IN_ATTACHMENT');
    expect(r.verdict).not.toBe('pass');
    // What the file holds beyond its strings is still not read: the note stays.
    expect(r.findings.map((f) => f.code)).toContain('ATTACHMENT_NOT_SCANNED');
  });
});

describe('controls', () => {
  it('a legacy file with three addresses, or with colleagues only, is a note as before', () => {
    expect(codes('small.xls', xls(addresses(3), false))).toEqual(['ATTACHMENT_NOT_SCANNED/info']);
    expect(codes('team.doc', doc(LIST.map((a) => a.replace(/@.*/, '@corp.example')).join('\r'), true))).toEqual(['ATTACHMENT_NOT_SCANNED/info']);
  });

  it('an encrypted .xls is still reported as encrypted, with nothing read', () => {
    const enc = cfb({ EncryptionInfo: Buffer.alloc(64), EncryptedPackage: Buffer.from(cells.join('\n')) });
    const r = check('locked.xlsx', enc);
    expect(r.findings.map((f) => f.code)).toEqual(['ATTACHMENT_NOT_SCANNED']);
    expect(r.findings[0]!.args).toMatchObject({ reason: 'encrypted' });
  });
});
