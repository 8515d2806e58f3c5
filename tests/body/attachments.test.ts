// The attachment scan through checkMessage: workbooks (hidden sheets, rows, columns, cells
// outside the used range), documents, zip archives, calendar invitations, and what is reported
// as not scanned. Every file is built here, in code (tests/helpers/office-files.ts).
import { deflateRawSync } from 'node:zlib';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, type Finding, type FindingArgs } from '../../src/index.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { MAX_ARCHIVE_ENTRIES, MAX_COMPRESSION_RATIO } from '../../src/limits.js';
import { describeFinding } from '../../src/report/messages.js';
import {
  addresses,
  buildDocx,
  buildEncryptedOoxml,
  buildIcs,
  buildMessage,
  buildOds,
  buildOdt,
  buildXlsx,
  buildZip,
  rawZip,
  type AttachmentSpec,
} from '../helpers/office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const body = { minAddresses: DEFAULT_BODY_SCAN.minAddresses, maxPartBytes: DEFAULT_BODY_SCAN.maxPartBytes };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function check(attachments: AttachmentSpec[], p = policy) {
  return checkMessage(buildMessage(attachments), p, { source: 't', body });
}
function of<C extends Finding['code']>(findings: Finding[], code: C): Array<FindingArgs[C] & { severity: string }> {
  return findings.flatMap((f) => (f.code === code ? [{ ...(f.args as FindingArgs[C]), severity: f.severity }] : []));
}
const listed = (fs: Finding[]) => of(fs, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.sheet ?? a.entry ?? a.format, a.externalAddresses, a.hiddenAddresses, a.hidden, a.severity]);

const rows = (list: string[]) => list.map((a, i) => [`Name ${i + 1}`, a]);

describe('workbooks (xlsx)', () => {
  it('counts per sheet: a visible 20-row sheet warns, a hidden sheet of 5,000 addresses blocks and is named', () => {
    const xlsx = buildXlsx([
      { name: 'Summary', rows: rows(addresses(20, 'visible')) },
      { name: 'Applicants', state: 'hidden', rows: rows(addresses(5000, 'applicant', 700)) },
    ]);
    const r = check([{ fileName: 'figures.xlsx', contentType: XLSX, bytes: xlsx }]);
    expect(listed(r.findings)).toEqual([
      ['Summary', 20, 0, [], 'warning'],
      ['Applicants', 5000, 5000, ['hidden-sheet'], 'error'],
    ]);
    expect(r.verdict).toBe('block');
    const hidden = r.findings.find((f) => f.code === 'ADDRESS_LIST_IN_ATTACHMENT' && f.args.sheet === 'Applicants')!;
    expect(hidden.args).toMatchObject({ part: '2', fileName: 'figures.xlsx', format: 'xlsx', parties: 700, threshold: 10 });
    expect(describeFinding(hidden, { redact: true })).toContain("5,000 external addresses from 700 organisations in sheet 'Applicants' (hidden sheet) of the attachment \"figures.xlsx\"");
  });

  it.each([
    ['very hidden sheet', { state: 'veryHidden' as const }, 35, ['very-hidden-sheet']],
    ['hidden rows', { hiddenRows: Array.from({ length: 30 }, (_, i) => i + 6) }, 30, ['hidden-rows']],
    ['hidden columns', { hiddenCols: [2] }, 35, ['hidden-columns']],
    ['cells outside the declared used range', { dimension: 'A1:B5' }, 30, ['outside-used-range']],
  ])('%s: the hidden addresses are counted and named', (_label, spec, hiddenCount, where) => {
    const xlsx = buildXlsx([{ name: 'Data', rows: rows(addresses(35)), ...spec }]);
    const [f] = of(check([{ fileName: 'd.xlsx', contentType: XLSX, bytes: xlsx }]).findings, 'ADDRESS_LIST_IN_ATTACHMENT');
    expect([f!.externalAddresses, f!.hiddenAddresses, f!.hidden, f!.severity]).toEqual([35, hiddenCount, where, 'error']);
  });

  it('reads inline strings, entities and CDATA, a workbook sent as octet-stream under another name, and skips internal and header addresses', () => {
    const list = [...addresses(12), 'x1@corp.example', 'x2@sub.corp.example', 'bob@corp.example', 'carol&#64;ext.test', '<![CDATA[dave@ext2.test]]>', 'Ann &lt;ann@ext3.test&gt;'];
    const xlsx = buildXlsx([{ name: 'S', inline: true, rawXml: true, rows: rows(list) }]);
    const r = check([{ fileName: 'export.bin', contentType: 'application/octet-stream', bytes: xlsx }]);
    expect(listed(r.findings)).toEqual([['S', 15, 0, [], 'warning']]);
    expect(of(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT')[0]).toMatchObject({ format: 'xlsx' });
    const few = buildXlsx([{ name: 'S', rows: rows(addresses(9)) }]);
    expect(listed(check([{ fileName: 'e.xlsx', contentType: XLSX, bytes: few }]).findings)).toEqual([]);
  });

  it('counts strings that no sheet shows (left behind in the shared strings) as outside every sheet', () => {
    // Two sheets share strings; the second sheet's part is no longer where the workbook points
    // (stored, so the bytes can be patched in place): its strings remain in the package.
    const xlsx = buildXlsx([
      { name: 'Kept', rows: rows(addresses(3)) },
      { name: 'Gone', rows: rows(addresses(40, 'deleted')) },
    ], 0);
    const patched = Buffer.from(Buffer.from(xlsx).toString('latin1').replace('Target="worksheets/sheet2.xml"', 'Target="worksheets/sheetX.xml"'), 'latin1');
    const fs = of(check([{ fileName: 'w.xlsx', contentType: XLSX, bytes: patched }]).findings, 'ADDRESS_LIST_IN_ATTACHMENT');
    expect(fs.map((f) => [f.outsideSheets, f.externalAddresses, f.severity])).toEqual([[true, 40, 'error']]);
  });

  it('with --sensitive every listed sheet blocks', () => {
    const xlsx = buildXlsx([{ name: 'Patients', rows: rows(addresses(15)) }]);
    const sensitive = createPolicy({ internalDomains: ['corp.example'], sensitive: true });
    expect(of(check([{ fileName: 'p.xlsx', contentType: XLSX, bytes: xlsx }], sensitive).findings, 'ADDRESS_LIST_IN_ATTACHMENT')[0]).toMatchObject({ severity: 'error', sensitive: true });
  });
});

describe('ods, docx, odt, zip', () => {
  it('ods: per table, hidden tables and collapsed rows and columns', () => {
    const ods = buildOds([
      { name: 'Visible', rows: rows(addresses(12, 'v')) },
      { name: 'Secret', hidden: true, rows: rows(addresses(50, 's')) },
      { name: 'Rows', rows: rows(addresses(20, 'r')), hiddenRows: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] },
      { name: 'Cols', rows: rows(addresses(20, 'c')), hiddenCols: [2] },
    ]);
    const r = check([{ fileName: 'list.ods', contentType: 'application/vnd.oasis.opendocument.spreadsheet', bytes: ods }]);
    expect(listed(r.findings)).toEqual([
      ['Visible', 12, 0, [], 'warning'],
      ['Secret', 50, 50, ['hidden-sheet'], 'error'],
      ['Rows', 20, 12, ['hidden-rows'], 'error'],
      ['Cols', 20, 20, ['hidden-columns'], 'error'],
    ]);
  });

  it('docx: a table of addresses, also when Word splits an address over runs', () => {
    for (const splitRuns of [false, true]) {
      const docx = buildDocx('Participants below.', rows(addresses(25)), { splitRuns });
      const r = check([{ fileName: 'participants.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes: docx }]);
      expect(listed(r.findings)).toEqual([['docx', 25, 0, [], 'warning']]);
    }
    const few = buildDocx('Contact a@one.test or b@two.test', []);
    expect(listed(check([{ fileName: 'x.docx', contentType: 'application/octet-stream', bytes: few }]).findings)).toEqual([]);
  });

  describe('office XML as the programs show it: fullwidth ats, character references, UTF-16 parts', () => {
    const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    const ODS = 'application/vnd.oasis.opendocument.spreadsheet';
    /** The package with its XML parts rewritten (the text as UTF-8, the bytes to store). */
    const rewrite = (zip: Uint8Array, edit: (xml: string) => Uint8Array | string) => {
      const files: Record<string, Uint8Array | string> = {};
      for (const [name, data] of Object.entries(unzipSync(zip))) files[name] = name.endsWith('.xml') && name !== 'mimetype' ? edit(strFromU8(data)) : data;
      return buildZip(files);
    };
    const utf16 = (bom: boolean) => (xml: string) => Buffer.concat([Buffer.from(bom ? [0xff, 0xfe] : []), Buffer.from(xml.replace('encoding="UTF-8"', 'encoding="UTF-16"'), 'utf16le')]);
    const fullwidth = (list: string[]) => list.map((a) => a.replace('@', '\uFF20'));
    const charRefs = (xml: string) => xml.replace(/@/g, '&#64;');
    it.each([
      ['docx, fullwidth ats', 'l.docx', DOCX, buildDocx('Participants below.', rows(fullwidth(addresses(12))))],
      ['docx, &#64;', 'l.docx', DOCX, rewrite(buildDocx('Participants below.', rows(addresses(12))), charRefs)],
      ['docx, &#x40; and split runs', 'l.docx', DOCX, rewrite(buildDocx('Participants below.', rows(addresses(12)), { splitRuns: true }), (x) => x.replace(/@/g, '&#x40;'))],
      ['docx, document in UTF-16 with a byte order mark', 'l.docx', DOCX, rewrite(buildDocx('Participants below.', rows(addresses(12))), utf16(true))],
      ['xlsx, fullwidth ats in shared strings', 'l.xlsx', XLSX, buildXlsx([{ name: 'List', rows: rows(fullwidth(addresses(12))) }])],
      ['xlsx, fullwidth ats in inline strings', 'l.xlsx', XLSX, buildXlsx([{ name: 'List', inline: true, rows: rows(fullwidth(addresses(12))) }])],
      ['xlsx, every part in UTF-16 with a byte order mark', 'l.xlsx', XLSX, rewrite(buildXlsx([{ name: 'List', rows: rows(addresses(12)) }]), utf16(true))],
      ['ods, fullwidth ats', 'l.ods', ODS, buildOds([{ name: 'List', rows: rows(fullwidth(addresses(12))) }])],
      ['ods, content in UTF-16 without a byte order mark', 'l.ods', ODS, rewrite(buildOds([{ name: 'List', rows: rows(addresses(12)) }]), utf16(false))],
      ['odt, &#64;', 'l.odt', 'application/vnd.oasis.opendocument.text', rewrite(buildOdt('Contact list', rows(addresses(12))), charRefs)],
    ])('%s: the list is found', (_label, fileName, contentType, bytes) => {
      const found = listed(check([{ fileName, contentType, bytes }]).findings);
      expect(found.map(([, n]) => n)).toEqual([12]);
    });
  });

  it('odt: paragraphs and tables', () => {
    const odt = buildOdt('Contact list', rows(addresses(11)));
    expect(listed(check([{ fileName: 'c.odt', contentType: 'application/vnd.oasis.opendocument.text', bytes: odt }]).findings)).toEqual([['odt', 11, 0, [], 'warning']]);
  });

  it('zip: a csv and a workbook inside are read as files (one level deep), pictures skipped, a zip inside not opened', () => {
    const csv = ['email,name', ...addresses(30).map((a, i) => `${a},N${i}`)].join('\n');
    const inner = buildXlsx([{ name: 'Hidden', state: 'hidden', rows: rows(addresses(12, 'h')) }]);
    const zip = buildZip({ 'export/members.csv': csv, 'export/more.xlsx': inner, 'logo.png': 'PNG', 'nested.zip': buildZip({ 'x.csv': csv }) });
    const r = check([{ fileName: 'export.zip', contentType: 'application/zip', bytes: zip }]);
    expect(listed(r.findings)).toEqual([
      ['export/members.csv', 30, 0, [], 'warning'],
      ['Hidden', 12, 12, ['hidden-sheet'], 'error'],
    ]);
    expect(of(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT')[1]).toMatchObject({ entry: 'export/more.xlsx', fileName: 'export.zip' });
    expect(of(r.findings, 'ATTACHMENT_NOT_SCANNED').map((a) => [a.entry, a.reason])).toEqual([['nested.zip', 'nested-archive']]);
  });
});

describe('calendar invitations', () => {
  const ext = (n: number) => addresses(n, 'guest', n);
  it.each([
    ['40 external attendees (an .ics attachment)', { fileName: 'invite.ics', contentType: 'text/calendar; method=REQUEST; charset=utf-8' }, ext(40), policy, 'error', 40],
    ['40 external attendees (a text/calendar part without a name)', { contentType: 'text/calendar; method=REQUEST' }, ext(40), policy, 'error', 40],
    ['4 organisations: a warning at warnAt 3', { fileName: 'i.ics', contentType: 'application/ics' }, ext(4), policy, 'warning', 4],
    ['2 organisations with --sensitive: blocks', { fileName: 'i.ics', contentType: 'text/calendar' }, ext(2), createPolicy({ internalDomains: ['corp.example'], sensitive: true }), 'error', 2],
  ])('%s', (_label, spec, attendees, p, severity, count) => {
    const r = check([{ ...spec, bytes: buildIcs('anna@corp.example', attendees) }], p);
    const [f] = of(r.findings, 'EXPOSED_ATTENDEES');
    expect([f?.severity, f?.externalAddresses, f?.parties, f?.method, f?.trigger]).toEqual([severity, count, count, 'REQUEST', 'parties']);
  });

  // Counted like To and Cc: organisations, or addresses whatever their organisations.
  const oneOrg = (n: number) => addresses(n, 'staff', 1);
  it.each([
    ['30 attendees of one organisation block (blockAddressesAt 25)', oneOrg(30), policy, 'error', 1, 25],
    ['12 attendees of one organisation warn (warnAddressesAt 10)', oneOrg(12), policy, 'warning', 1, 10],
    ['12 attendees of two organisations warn', addresses(12, 'g', 2), policy, 'warning', 2, 10],
    ['2 attendees of one organisation with --sensitive block', oneOrg(2), createPolicy({ internalDomains: ['corp.example'], sensitive: true }), 'error', 1, 2],
  ] as const)('%s', (_label, attendees, p, severity, parties, threshold) => {
    const r = check([{ fileName: 'i.ics', contentType: 'text/calendar; method=REQUEST', bytes: buildIcs('anna@corp.example', [...attendees]) }], p);
    const [f] = of(r.findings, 'EXPOSED_ATTENDEES');
    expect([f?.severity, f?.externalAddresses, f?.parties, f?.threshold, f?.trigger]).toEqual([severity, attendees.length, parties, threshold, 'addresses']);
  });

  it('9 attendees of one organisation pass, as 9 addresses in To do', () => {
    expect(of(check([{ fileName: 'i.ics', contentType: 'text/calendar', bytes: buildIcs('anna@corp.example', oneOrg(9)) }]).findings, 'EXPOSED_ATTENDEES')).toEqual([]);
  });

  it('an invitation to 3 colleagues (and an external organiser of one party) passes', () => {
    const r = check([{ fileName: 'i.ics', contentType: 'text/calendar', bytes: buildIcs('host@partner.test', ['a@corp.example', 'b@corp.example', 'c@sales.corp.example']) }]);
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('pass');
  });

  it('reads MAILTO: in any case, folded lines and quoted parameters, and counts each address once', () => {
    const attendees = ext(6);
    const ics = buildIcs('anna@corp.example', [...attendees, ...attendees]).replace(/mailto:guest1@/g, 'MAILTO:guest1@');
    const [f] = of(check([{ fileName: 'i.ics', contentType: 'text/calendar', bytes: ics }]).findings, 'EXPOSED_ATTENDEES');
    expect(f).toMatchObject({ externalAddresses: 6, parties: 6, severity: 'error' });
  });

  // The invitation's text is shown too: Outlook and Google Calendar show DESCRIPTION as its body.
  const withText = (line: string) => buildIcs('anna@corp.example', ['colleague@corp.example']).replace('SUMMARY:Information session', line);
  const escaped = (list: string[], sep: string) => list.join(sep);
  it.each([
    ['a DESCRIPTION listing 12 people, one per line', withText(`DESCRIPTION:Participants:\\n${escaped(ext(12), '\\n')}`)],
    ['a DESCRIPTION with escaped commas, folded', withText(`DESCRIPTION:${escaped(ext(12), '\\, ').replace(/(.{60})/g, '$1\r\n ')}`)],
    ["Outlook's HTML description (X-ALT-DESC) with &#64;", withText(`X-ALT-DESC;FMTTYPE=text/html:<p>${escaped(ext(12).map((a) => a.replace('@', '&#64;')), '<br>')}</p>`)],
    ['a LOCATION and a COMMENT', withText(`LOCATION:${escaped(ext(6), ' ')}\r\nCOMMENT:${escaped(ext(12).slice(6), ' ')}`)],
  ])('%s: ADDRESS_LIST_IN_ATTACHMENT', (_label, ics) => {
    for (const spec of [{ fileName: 'i.ics', contentType: 'text/calendar; method=REQUEST' }, { contentType: 'text/calendar; method=REQUEST' }]) {
      const r = check([{ ...spec, bytes: ics }]);
      expect(of(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.format, a.externalAddresses])).toEqual([['ics', 12]]);
    }
  });

  it('a DESCRIPTION naming the attendees is not counted again, nor is a note naming one person', () => {
    const ics = buildIcs('anna@corp.example', ext(6)).replace('SUMMARY:Information session', `DESCRIPTION:${ext(6).join('\\n')}\\nQuestions: help@org9.test`);
    const r = check([{ fileName: 'i.ics', contentType: 'text/calendar', bytes: ics }]);
    expect(r.findings.map((f) => f.code)).toEqual(['EXPOSED_ATTENDEES']);
  });

  it.each([
    ['written only as a display name (CN) with a urn:uuid value', (a: string, i: number) => `ATTENDEE;CN="${a}":urn:uuid:00000000-0000-0000-0000-${String(i).padStart(12, '0')}`],
    ['a mailto: with its "@" percent-escaped', (a: string) => `ATTENDEE:mailto:${a.replace('@', '%40')}`],
  ])('attendees %s are counted', (_label, line) => {
    const ics = buildIcs('anna@corp.example', []).replace('SUMMARY:Information session', ext(6).map(line).join('\r\n'));
    const [f] = of(check([{ fileName: 'i.ics', contentType: 'text/calendar', bytes: ics }]).findings, 'EXPOSED_ATTENDEES');
    expect(f).toMatchObject({ externalAddresses: 6, parties: 6, severity: 'error' });
  });

  it('a calendar that cannot be parsed is not scanned, not clean', () => {
    const r = check([{ fileName: 'broken.ics', contentType: 'text/calendar', bytes: 'BEGIN:VCALENDAR\r\nATTENDEE;CN="unterminated:mailto:a@b.test\r\n' }]);
    expect(of(r.findings, 'ATTACHMENT_NOT_SCANNED').map((a) => a.reason)).toEqual(['unreadable']);
  });
});

describe('not scanned: encrypted, formats not read, limits', () => {
  it.each([
    ['an encrypted xlsx (OLE/CFB container)', { fileName: 'secret.xlsx', contentType: XLSX, bytes: buildEncryptedOoxml() }, 'encrypted'],
    ['an encrypted ods (manifest encryption-data)', { fileName: 's.ods', contentType: 'application/vnd.oasis.opendocument.spreadsheet', bytes: buildOds([{ name: 'A', rows: [['x']] }], { encrypted: true }) }, 'encrypted'],
    ['a zip entry with the encryption flag', { fileName: 'e.zip', contentType: 'application/zip', bytes: rawZip([{ name: 'a.csv', data: Buffer.from('x'), method: 0, size: 1, flags: 1 }]) }, 'encrypted'],
    ['a PDF', { fileName: 'report.pdf', contentType: 'application/pdf', bytes: '%PDF-1.7\n%...' }, 'unsupported-format'],
    ['a PDF sent as octet-stream under another name', { fileName: 'report.dat', contentType: 'application/octet-stream', bytes: '%PDF-1.4\n' }, 'unsupported-format'],
    ['a legacy .xls', { fileName: 'old.xls', contentType: 'application/vnd.ms-excel', bytes: Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(1000)]) }, 'unsupported-format'],
    ['a rar archive', { fileName: 'a.rar', contentType: 'application/octet-stream', bytes: 'Rar!' }, 'unsupported-format'],
    ['an unknown file type (not text)', { fileName: 'data.bin', contentType: 'application/octet-stream', bytes: Buffer.from([0x77, 0x00, 0x01, 0x02]) }, 'unknown-format'],
    ['a damaged xlsx', { fileName: 'cut.xlsx', contentType: XLSX, bytes: buildXlsx([{ name: 'A', rows: rows(addresses(20)) }]).subarray(0, 300) }, 'unreadable'],
  ])('%s', (_label, spec, reason) => {
    const r = check([spec]);
    const got = of(r.findings, 'ATTACHMENT_NOT_SCANNED');
    expect(got.map((a) => [a.reason, a.severity])).toEqual([[reason, 'info']]);
    expect(r.findings.filter((f) => f.code === 'ADDRESS_LIST_IN_ATTACHMENT')).toEqual([]);
  });

  it('pictures and signatures are not reported', () => {
    const r = check([
      { fileName: 'logo.png', contentType: 'image/png', bytes: 'PNG' },
      { fileName: 'smime.p7s', contentType: 'application/pkcs7-signature', bytes: 'sig' },
    ]);
    expect(r.findings).toEqual([]);
  });

  it('the policy decides whether not scanned blocks (rules.ATTACHMENT_NOT_SCANNED)', () => {
    const strict = createPolicy({ internalDomains: ['corp.example'], rules: { ATTACHMENT_NOT_SCANNED: 'error' } });
    const r = check([{ fileName: 'secret.xlsx', contentType: XLSX, bytes: buildEncryptedOoxml() }], strict);
    expect([r.verdict, r.findings.map((f) => [f.code, f.severity])]).toEqual(['block', [['ATTACHMENT_NOT_SCANNED', 'error']]]);
  });

  it('a zip bomb is refused quickly: on its declared ratio, and when it lies about its size while inflating', () => {
    const zeros = deflateRawSync(Buffer.alloc(256 * 1024 * 1024));
    const honest = rawZip([{ name: 'members.csv', data: zeros, method: 8, size: 256 * 1024 * 1024 }]);
    const lying = rawZip([{ name: 'members.csv', data: zeros, method: 8, size: zeros.length * 2 }]);
    const sheet = rawZip([
      { name: 'xl/workbook.xml', data: Buffer.from('<workbook><sheets><sheet name="A" r:id="rId1"/></sheets></workbook>'), method: 0, size: 66 },
      { name: 'xl/_rels/workbook.xml.rels', data: Buffer.from('<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'), method: 0, size: 104 },
      { name: 'xl/worksheets/sheet1.xml', data: zeros, method: 8, size: 1000 },
    ]);
    for (const [bytes, name, reason] of [[honest, 'bomb.zip', 'compression-ratio'], [lying, 'bomb.zip', 'unreadable'], [sheet, 'bomb.xlsx', 'unreadable']] as const) {
      // CPU time, not wall time: the bound is about work done (a full inflate of 256 MiB is seconds
      // of CPU), and other processes on a loaded machine stretch the wall clock, not this.
      const cpu = process.cpuUsage();
      const r = check([{ fileName: name, contentType: 'application/zip', bytes }]);
      const used = process.cpuUsage(cpu);
      const ms = (used.user + used.system) / 1000;
      const got = of(r.findings, 'ATTACHMENT_NOT_SCANNED');
      expect([name, got.map((a) => a.reason)]).toEqual([name, [reason]]);
      // Nothing past the declared size is inflated: milliseconds, not the seconds of a full inflate.
      expect(ms).toBeLessThan(500);
    }
    expect(MAX_COMPRESSION_RATIO).toBeLessThan(1000);
  });

  it('an archive with more entries than the limit is refused before any is inflated', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i <= MAX_ARCHIVE_ENTRIES; i++) files[`f${i}.txt`] = '';
    const r = check([{ fileName: 'many.zip', contentType: 'application/zip', bytes: buildZip(files, 0) }]);
    expect(of(r.findings, 'ATTACHMENT_NOT_SCANNED').map((a) => a.reason)).toEqual(['too-many-entries']);
  });

  it('an entry whose content is longer than it declares is not read as if it were clean', () => {
    const csv = Buffer.from(addresses(30).join('\n'));
    const data = deflateRawSync(csv);
    const r = check([{ fileName: 'short.zip', contentType: 'application/zip', bytes: rawZip([{ name: 'a.csv', data, method: 8, size: 20 }]) }]);
    expect(of(r.findings, 'ATTACHMENT_NOT_SCANNED').map((a) => [a.entry, a.reason])).toEqual([['a.csv', 'unreadable']]);
  });
});

describe('the header fast path', () => {
  it('reads no attachment without the body option', () => {
    const xlsx = buildXlsx([{ name: 'H', state: 'hidden', rows: rows(addresses(50)) }]);
    const r = checkMessage(buildMessage([{ fileName: 'a.xlsx', contentType: XLSX, bytes: xlsx }]), policy, { source: 't' });
    expect(r.findings).toEqual([]);
  });

  it('each body-scan code can be switched off alone', () => {
    const off = createPolicy({ internalDomains: ['corp.example'], rules: { ADDRESS_LIST_IN_ATTACHMENT: 'off' } });
    const xlsx = buildXlsx([{ name: 'H', state: 'hidden', rows: rows(addresses(50)) }]);
    expect(check([{ fileName: 'a.xlsx', contentType: XLSX, bytes: xlsx }], off).findings).toEqual([]);
  });
});
