// Outlook's winmail.dat (TNEF) through checkMessage: the attachments it packs are read like the
// members of a zip (a CSV, a workbook), named by their long file name; the message text it
// carries is scanned; what cannot be framed is ATTACHMENT_NOT_SCANNED, never a throw or a silent
// pass. Streams are built here (tests/helpers/tnef.ts); two real ones come from MimeKit.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, type Finding, type FindingArgs } from '../../src/index.js';
import { scanAttachment } from '../../src/body/attachments/index.js';
import { inflateRtf, MAX_TNEF_ATTACHMENTS, readTnef, TnefRefused } from '../../src/body/attachments/tnef.js';
import { findParts } from '../../src/body/mime.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { describeFinding } from '../../src/report/messages.js';
import { FIXTURES, ROOT } from '../helpers/cli.js';
import { addresses, buildMessage, buildXlsx, buildZip, type AttachmentSpec } from '../helpers/office-files.js';
import { ATT, attribute, buildTnef, LEVEL_ATTACHMENT, LEVEL_MESSAGE, propertyList, PT, tnefStream } from '../helpers/tnef.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const body = { minAddresses: DEFAULT_BODY_SCAN.minAddresses, maxPartBytes: DEFAULT_BODY_SCAN.maxPartBytes };
const TNEF_TYPE = 'application/ms-tnef';

function check(attachments: AttachmentSpec[], p = policy) {
  return checkMessage(buildMessage(attachments), p, { source: 't', body });
}
function of<C extends Finding['code']>(findings: Finding[], code: C): Array<FindingArgs[C] & { severity: string }> {
  return findings.flatMap((f) => (f.code === code ? [{ ...(f.args as FindingArgs[C]), severity: f.severity }] : []));
}
/** [code, where, count or reason, severity] of every body-scan finding. */
const summary = (fs: Finding[]) =>
  fs.map((f) => {
    if (f.code === 'ADDRESS_LIST_IN_ATTACHMENT') return [f.code, f.args.messageText ? '(message text)' : (f.args.sheet ?? f.args.entry ?? f.args.format), f.args.externalAddresses, f.severity];
    if (f.code === 'ADDRESS_LIST_IN_BODY') return [f.code, f.args.fileName ?? f.args.part, f.args.externalAddresses, f.severity];
    if (f.code === 'ATTACHMENT_NOT_SCANNED') return [f.code, f.args.entry ?? f.args.fileName ?? f.args.part, f.args.reason, f.severity];
    return [f.code];
  });
const winmail = (bytes: Uint8Array): AttachmentSpec => ({ fileName: 'winmail.dat', contentType: TNEF_TYPE, bytes });

const CSV = ['email,name', ...addresses(30).map((a, i) => `${a},Customer ${i + 1}`)].join('\r\n');

describe('attachments packed in winmail.dat', () => {
  it('a CSV of 30 external addresses is reported as a CSV member of a zip is, with the count and severity of the CSV attached directly', () => {
    const packed = check([winmail(buildTnef([{ title: 'CUSTOM~1.CSV', longName: 'customers.csv', data: CSV }]))]);
    expect(summary(packed.findings)).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 'customers.csv', 30, 'warning']]);
    expect(of(packed.findings, 'ADDRESS_LIST_IN_ATTACHMENT')[0]).toMatchObject({ fileName: 'winmail.dat', format: 'tnef', entry: 'customers.csv', parties: 30, contentType: TNEF_TYPE });
    expect(packed.verdict).toBe('warn');
    // The same list zipped: the same reader, the same finding.
    const zipped = check([{ fileName: 'export.zip', contentType: 'application/zip', bytes: buildZip({ 'customers.csv': CSV }) }]);
    expect(summary(zipped.findings)).toEqual(summary(packed.findings));
    // The same CSV as a part of its own is read by the text scan (ADDRESS_LIST_IN_BODY): the
    // same 30 addresses, the same severity and verdict.
    const direct = check([{ fileName: 'customers.csv', contentType: 'text/csv', bytes: CSV }]);
    expect(summary(direct.findings)).toEqual([['ADDRESS_LIST_IN_BODY', 'customers.csv', 30, 'warning']]);
    expect(direct.verdict).toBe(packed.verdict);
    const f = packed.findings.find((x) => x.code === 'ADDRESS_LIST_IN_ATTACHMENT')!;
    expect(describeFinding(f, { redact: true })).toContain('30 external addresses from 30 organisations of the attachment "winmail.dat" (member "customers.csv")');
  });

  it('found by its signature: sent unnamed as application/octet-stream, or as winmail.dat with a generic type, and longer than the bytes sniffed', () => {
    const big = ['email', ...addresses(300, 'customer')].join('\r\n');
    const tnef = buildTnef([{ title: 'LIST.CSV', data: big }]);
    expect(tnef.length).toBeGreaterThan(4096);
    for (const spec of [{ contentType: 'application/octet-stream', bytes: tnef }, { fileName: 'winmail.dat', contentType: 'application/octet-stream', bytes: tnef }, { contentType: 'application/vnd.ms-tnef', bytes: tnef }]) {
      const r = check([spec]);
      expect(summary(r.findings), spec.contentType).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 'LIST.CSV', 300, 'warning']]);
      expect(of(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT')[0]!.format).toBe('tnef');
    }
  });

  it('a workbook inside is read per sheet, hidden sheets included', () => {
    const xlsx = buildXlsx([
      { name: 'Summary', rows: addresses(12, 'v').map((a) => ['x', a]) },
      { name: 'All', state: 'hidden', rows: addresses(40, 'h').map((a) => ['x', a]) },
    ]);
    const r = check([winmail(buildTnef([{ title: 'FIGURE~1.XLS', longName: 'figures.xlsx', data: xlsx }]))]);
    expect(summary(r.findings)).toEqual([
      ['ADDRESS_LIST_IN_ATTACHMENT', 'Summary', 12, 'warning'],
      ['ADDRESS_LIST_IN_ATTACHMENT', 'All', 40, 'error'],
    ]);
    expect(of(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT')[1]).toMatchObject({ entry: 'figures.xlsx', fileName: 'winmail.dat', hidden: ['hidden-sheet'] });
    expect(r.verdict).toBe('block');
  });

  it('the long file name (PidTagAttachLongFilename) is used over the 8.3 title, which alone does not say csv', () => {
    const long = check([winmail(buildTnef([{ title: 'CUSTOM~1.DAT', longName: 'customer list.csv', data: CSV }]))]);
    expect(summary(long.findings)).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 'customer list.csv', 30, 'warning']]);
    // The title alone does not say csv: the content decides (text is read as text, the rest is reported).
    const titleOnly = check([winmail(buildTnef([{ title: 'CUSTOM~1.DAT', data: CSV }]))]);
    expect(summary(titleOnly.findings)).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 'CUSTOM~1.DAT', 30, 'warning']]);
    const binaryTitleOnly = check([winmail(buildTnef([{ title: 'CUSTOM~1.DAT', data: Buffer.from([1, 0, 2, 0]) }]))]);
    expect(summary(binaryTitleOnly.findings)).toEqual([['ATTACHMENT_NOT_SCANNED', 'CUSTOM~1.DAT', 'unknown-format', 'info']]);
    // A long name in 8-bit (PT_STRING8), after named and multi-valued properties, is read too.
    const props = [
      { type: PT.unicode, id: 0x8005, name: 'x-custom', values: ['v'] },
      { type: PT.long, id: 0x8010, name: 0x8233, values: [Buffer.alloc(4)] },
      { type: PT.mvLong, id: 0x8011, name: 7, values: [Buffer.alloc(4), Buffer.alloc(4)] },
      { type: PT.mvUnicode, id: 0x3a00, values: ['a', 'bc'] },
      { type: PT.systime, id: 0x3007, values: [Buffer.alloc(8)] },
      { type: PT.string8, id: 0x3707, values: ['members 2026.csv'] },
    ];
    const r = check([winmail(buildTnef([{ title: 'MEMBER~1.DAT', data: CSV, properties: props }]))]);
    expect(summary(r.findings)).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 'members 2026.csv', 30, 'warning']]);
  });

  it('attachment data in the property list (PidTagAttachDataBinary) is read as well as attAttachData', () => {
    const attrs = [
      attribute(LEVEL_ATTACHMENT, ATT.attachRendData, Buffer.alloc(14)),
      attribute(LEVEL_ATTACHMENT, ATT.attachment, propertyList([{ type: PT.binary, id: 0x3701, values: [Buffer.from(CSV)] }, { type: PT.unicode, id: 0x3707, values: ['list.csv'] }])),
    ];
    expect(summary(check([winmail(tnefStream(attrs))]).findings)).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 'list.csv', 30, 'warning']]);
  });

  it('pictures are skipped; a TNEF or a zip inside is not opened (one level deep, as a zip); a TNEF inside a zip neither', () => {
    const inner = buildTnef([{ title: 'A.CSV', data: CSV }]);
    const r = check([winmail(buildTnef([{ title: 'LOGO.PNG', data: 'PNG' }, { title: 'INNER.DAT', data: inner }, { title: 'LISTS.ZIP', data: buildZip({ 'a.csv': CSV }) }, { title: 'B.CSV', data: CSV }]))]);
    expect(summary(r.findings)).toEqual([
      ['ADDRESS_LIST_IN_ATTACHMENT', 'B.CSV', 30, 'warning'],
      ['ATTACHMENT_NOT_SCANNED', 'INNER.DAT', 'nested-archive', 'info'],
      ['ATTACHMENT_NOT_SCANNED', 'LISTS.ZIP', 'nested-archive', 'info'],
    ]);
    const zipped = check([{ fileName: 'mail.zip', contentType: 'application/zip', bytes: buildZip({ 'winmail.dat': inner }) }]);
    expect(summary(zipped.findings)).toEqual([['ATTACHMENT_NOT_SCANNED', 'winmail.dat', 'nested-archive', 'info']]);
  });
});

describe('the message text winmail.dat carries', () => {
  const list = `Dear all,\r\n\r\n${addresses(30, 'guest').join('; ')}\r\n`;

  it('attBody with a list is reported as the message text of winmail.dat', () => {
    const r = check([winmail(buildTnef([], { body: list }))]);
    expect(summary(r.findings)).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', '(message text)', 30, 'warning']]);
    const f = r.findings[0]!;
    expect(f.args).not.toHaveProperty('entry');
    expect(describeFinding(f, { redact: true })).toContain('30 external addresses from 30 organisations of the message text inside the attachment "winmail.dat"');
  });

  it('PidTagBody (Unicode), PidTagBodyHtml and compressed RTF are read, and every rendering counts the list once', () => {
    const rtf = Buffer.from(`{\\rtf1\\ansi ${addresses(30, 'guest').join('\\par ')}}`, 'latin1');
    const header = Buffer.alloc(16);
    header.writeUInt32LE(rtf.length + 12, 0);
    header.writeUInt32LE(rtf.length, 4);
    header.writeUInt32LE(0x414c454d, 8); // "MELA": stored uncompressed
    const messageProperties = [
      { type: PT.unicode, id: 0x1000, values: [list] },
      { type: PT.binary, id: 0x1013, values: [Buffer.from(`<p>${addresses(30, 'guest').map((a) => `<a href="mailto:${a}">x</a>`).join(' ')}</p>`)] },
      { type: PT.binary, id: 0x1009, values: [Buffer.concat([header, rtf])] },
    ];
    for (const props of [[messageProperties[0]!], [messageProperties[1]!], [messageProperties[2]!], messageProperties]) {
      const r = check([winmail(buildTnef([], { body: 'hello', messageProperties: props }))]);
      expect(summary(r.findings)).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', '(message text)', 30, 'warning']]);
    }
  });

  it('compressed RTF is inflated: the two examples of MS-OXRTFCP (4.1.1, 4.1.2), within the limit given', () => {
    const first = Buffer.from('2d0000002b0000004c5a4675f1c5c7a703000a007263706731323542320af32068656c090020627705b06c647d0a800fa0', 'hex');
    expect(inflateRtf(first, 1024)).toEqual({ bytes: Buffer.from('{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n', 'latin1'), truncated: false });
    const second = Buffer.from('1a0000001c0000004c5a4675e2d44b51410004205758595a0d6e7d010eb0', 'hex');
    expect(inflateRtf(second, 1024).bytes.toString('latin1')).toBe('{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}');
    expect(inflateRtf(first, 10)).toEqual({ bytes: Buffer.from('{\\rtf1\\ans', 'latin1'), truncated: true });
    for (let cut = 0; cut < first.length; cut++) {
      try {
        inflateRtf(first.subarray(0, cut), 1024);
      } catch (err) {
        expect(err).toBeInstanceOf(TnefRefused);
      }
    }
  });
});

describe('what cannot be read is reported, never thrown, never passed in silence', () => {
  const good = buildTnef([{ title: 'LIST.CSV', data: CSV }]);
  const notScanned = (bytes: Uint8Array) => of(check([winmail(bytes)]).findings, 'ATTACHMENT_NOT_SCANNED').map((a) => [a.entry, a.reason]);

  it.each([
    ['cut in the middle of the CSV', good.subarray(0, good.length - 200)],
    ['cut inside an attribute header', good.subarray(0, 6 + 9 + 4)],
    ['an attribute that declares 4 GiB', tnefStream([attribute(LEVEL_ATTACHMENT, ATT.attachData, 'abc', { length: 0xffffffff })])],
    ['an attribute longer than what follows', tnefStream([attribute(LEVEL_ATTACHMENT, ATT.attachData, CSV, { length: CSV.length + 1 })])],
    ['no TNEF signature behind the TNEF type', Buffer.from(CSV)],
    ['a property list that declares a million properties', tnefStream([attribute(LEVEL_ATTACHMENT, ATT.attachRendData, Buffer.alloc(14)), attribute(LEVEL_ATTACHMENT, ATT.attachment, Buffer.from([0x40, 0x42, 0x0f, 0x00, 0x03, 0x00, 0x05, 0x37]))])],
    ['a string value longer than its list', tnefStream([attribute(LEVEL_ATTACHMENT, ATT.attachment, Buffer.concat([Buffer.from([1, 0, 0, 0, 0x1f, 0, 0x07, 0x37, 1, 0, 0, 0, 0xff, 0xff, 0, 0]), Buffer.from('ab')]))])],
    ['an unknown property type', tnefStream([attribute(LEVEL_MESSAGE, ATT.msgProps, Buffer.from([1, 0, 0, 0, 0x99, 0x00, 0x00, 0x10, 0, 0, 0, 0]))])],
    ['bytes after the last property', tnefStream([attribute(LEVEL_MESSAGE, ATT.msgProps, Buffer.from([1, 0, 0, 0, 0x03, 0x00, 0x00, 0x10, 0, 0, 0, 0, 9, 9, 9, 9]))])],
  ])('%s: ATTACHMENT_NOT_SCANNED (unreadable)', (_label, bytes) => {
    expect(notScanned(bytes)).toContainEqual([undefined, 'unreadable']);
  });

  it('what comes before the damage is still read: the list is reported, and the rest as not scanned', () => {
    const damaged = Buffer.concat([good, Buffer.from([2, 0x05, 0x90, 0x06, 0x00, 0xff, 0xff, 0xff, 0x7f])]);
    const r = check([winmail(damaged)]);
    expect(summary(r.findings)).toEqual([
      ['ADDRESS_LIST_IN_ATTACHMENT', 'LIST.CSV', 30, 'warning'],
      ['ATTACHMENT_NOT_SCANNED', 'winmail.dat', 'unreadable', 'info'],
    ]);
  });

  it('a wrong checksum is read on, as Exchange and lenient readers do', () => {
    const attrs = [attribute(LEVEL_ATTACHMENT, ATT.attachRendData, Buffer.alloc(14)), attribute(LEVEL_ATTACHMENT, ATT.attachTitle, 'LIST.CSV\0', { checksum: 0 }), attribute(LEVEL_ATTACHMENT, ATT.attachData, CSV, { checksum: 1 })];
    expect(summary(check([winmail(tnefStream(attrs))]).findings)).toEqual([['ADDRESS_LIST_IN_ATTACHMENT', 'LIST.CSV', 30, 'warning']]);
  });

  it('more attachments than MAX_TNEF_ATTACHMENTS: too-many-entries, the first ones still read', () => {
    const files = Array.from({ length: MAX_TNEF_ATTACHMENTS + 1 }, (_, i) => ({ title: `F${i}.PNG`, data: 'x' }));
    files[0] = { title: 'LIST.CSV', data: CSV };
    const r = check([winmail(buildTnef(files))]);
    expect(summary(r.findings)).toEqual([
      ['ADDRESS_LIST_IN_ATTACHMENT', 'LIST.CSV', 30, 'warning'],
      ['ATTACHMENT_NOT_SCANNED', 'winmail.dat', 'too-many-entries', 'info'],
    ]);
  });

  it('an attachment without data, and an absurd name, are reported within the limits', () => {
    const attrs = [attribute(LEVEL_ATTACHMENT, ATT.attachRendData, Buffer.alloc(14)), attribute(LEVEL_ATTACHMENT, ATT.attachTitle, 'EMPTY.CSV\0')];
    expect(notScanned(tnefStream(attrs))).toEqual([['EMPTY.CSV', 'unreadable']]);
    const name = `${'\u202e\r\n'.repeat(2000)}.csv`;
    const r = check([winmail(buildTnef([{ title: 'X.DAT', longName: name, data: CSV }]))]);
    const f = r.findings.find((x) => x.code === 'ADDRESS_LIST_IN_ATTACHMENT')!;
    expect((f.args as { entry: string }).entry.length).toBe(1024);
    const text = describeFinding(f, { redact: true });
    expect(text).not.toMatch(/[\r\n\u202e]/);
    expect(text.length).toBeLessThan(1024 * 6);
  });

  it('random bytes after the signature never throw and finish fast (fast-check)', () => {
    const head = Buffer.from([0x78, 0x9f, 0x3e, 0x22, 0, 0]);
    const attr = fc.tuple(fc.constantFrom(1, 2, 3), fc.constantFrom(...Object.values(ATT), 0x12345678), fc.uint8Array({ maxLength: 64 })).map(([level, id, data]) => attribute(level, id, data));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.array(attr, { maxLength: 8 }), fc.boolean(), (random, attrs, prefix) => {
        const bytes = Buffer.concat([head, ...(prefix ? attrs : []), Buffer.from(random)]);
        const started = performance.now();
        const scan = scanAttachment({ part: '2', contentType: TNEF_TYPE, format: 'tnef', bytes, truncated: false, forwarded: false }, { remaining: 128 * 1024 * 1024 });
        expect(performance.now() - started).toBeLessThan(200);
        for (const n of scan.notScanned) expect(['unreadable', 'unknown-format', 'nested-archive', 'too-many-entries', 'partly-read']).toContain(n.reason);
      }),
      { numRuns: 500 },
    );
  });
});

describe('real winmail.dat files (MimeKit test data)', () => {
  it('ukr.eml (fixtures/tnef): an HTML body in koi8-r, no attachment, read without a note', () => {
    const bytes = readFileSync(path.join(FIXTURES, 'tnef/ukr.eml'));
    const [part] = findParts(bytes, 1 << 20).binary;
    const tnef = readTnef(part!.bytes, { remaining: 1 << 27 });
    expect(tnef.refused).toBeUndefined();
    expect(tnef.attachments).toEqual([]);
    expect(tnef.bodies.map((b) => b.kind)).toEqual(['html']);
    expect(tnef.bodies[0]!.text).toContain('charset=koi8-r');
    expect(checkMessage(bytes, policy, { source: 'ukr.eml', body }).findings).toEqual([]);
  });

  const richText = path.resolve(ROOT, '../shared/corpus/mimekit/tnef/rich-text.eml');
  it.skipIf(!existsSync(richText))('rich-text.eml (the corpus): a picture, two embedded messages (a task, an appointment) and a compressed RTF body', () => {
    const bytes = readFileSync(richText);
    const [part] = findParts(bytes, 1 << 20).binary;
    const tnef = readTnef(part!.bytes, { remaining: 1 << 27 });
    expect(tnef.refused).toBeUndefined();
    expect(tnef.attachments.map((a) => [a.name, a.data.map((d) => d.length)])).toEqual([
      ['kitten-playing-with-a-christmas-tree.jpg', [375081]],
      // Each embedded message twice: Outlook's placeholder text (attAttachData) and the message
      // itself, a TNEF stream of its own (PidTagAttachDataObject).
      ['Untitled Attachment', [89, 6508]],
      ['Untitled Attachment', [89, 385301]],
    ]);
    expect(Buffer.from(tnef.attachments[1]!.data[0]!).toString('latin1')).toContain('MAPI 1.0 embedded message');
    expect(readTnef(tnef.attachments[2]!.data[1]!, { remaining: 1 << 27 }).attachments.map((a) => a.name)).toEqual(['kitten-playing-with-a-christmas-tree.jpg']);
    expect(tnef.bodies.map((b) => [b.kind, b.text.length, b.truncated])).toEqual([['rtf', 15237, undefined]]);
    expect(tnef.bodies[0]!.text.startsWith('{\\rtf1')).toBe(true);
    // Nothing to report but what is not opened: the embedded messages (one level deep) and the
    // placeholders, which have no name a reader is chosen by.
    const r = checkMessage(bytes, policy, { source: 'rich-text.eml', body });
    expect(r.verdict).toBe('pass');
    expect(summary(r.findings)).toEqual([
      ['ATTACHMENT_NOT_SCANNED', 'Untitled Attachment', 'unknown-format', 'info'],
      ['ATTACHMENT_NOT_SCANNED', 'Untitled Attachment', 'nested-archive', 'info'],
      ['ATTACHMENT_NOT_SCANNED', 'Untitled Attachment', 'unknown-format', 'info'],
      ['ATTACHMENT_NOT_SCANNED', 'Untitled Attachment', 'nested-archive', 'info'],
    ]);
  });
});
