// An office package (docx, odt, ods, xlsx) whose zip holds two entries of one part name: the
// copy written first holds a list of twenty external addresses, the one written last a few words.
// Readers disagree about which copy they show (Python's zipfile, and any reader that keys its
// entries by name, the last; others the first), and the scan read only the last: the message
// passed with no finding. Every copy of a part is now read, so a list in either counts. A
// worksheet read so (as the rest of the workbook, like a sheet part the workbook does not list)
// had its cells run together, "p1@org1.testp2@org2.test", and showed one address where it held
// twenty: cells, rows, formulas and values are now read apart.
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { addresses, buildDocx, buildMessage, buildOds, buildOdt, buildXlsx, rawZip } from '../helpers/office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const codes = (fileName: string, bytes: Uint8Array) => checkMessage(buildMessage([{ fileName, contentType: 'application/octet-stream', bytes }]), policy).findings.map((f) => f.code);

/** `benign`'s entries (stored), with `part` of `listed` written once more, before or after them. */
function duplicated(listed: Uint8Array, benign: Uint8Array, part: string, where: 'first' | 'last'): Buffer {
  const copy = unzipSync(listed)[part]!;
  const entries = Object.entries(unzipSync(benign)).map(([name, data]) => ({ name, data, method: 0 as const, size: data.length }));
  const extra = { name: part, data: copy, method: 0 as const, size: copy.length };
  return rawZip(where === 'first' ? [extra, ...entries] : [...entries, extra]);
}

const LIST = addresses(20);
const CASES: Array<[string, string, Uint8Array, Uint8Array, string]> = [
  ['docx, word/document.xml', 'a.docx', buildDocx('Customers', LIST.map((a) => [a])), buildDocx('Hello', [['a']]), 'word/document.xml'],
  ['odt, content.xml', 'a.odt', buildOdt('Customers', LIST.map((a) => [a])), buildOdt('Hello', [['a']]), 'content.xml'],
  ['ods, content.xml', 'a.ods', buildOds([{ name: 'T', rows: LIST.map((a) => [a]) }]), buildOds([{ name: 'T', rows: [['a']] }]), 'content.xml'],
  ['xlsx, a worksheet', 'a.xlsx', buildXlsx([{ name: 'S', inline: true, rows: LIST.map((a) => [a]) }]), buildXlsx([{ name: 'S', inline: true, rows: [['a']] }]), 'xl/worksheets/sheet1.xml'],
  ['xlsx, the shared strings', 'a.xlsx', buildXlsx([{ name: 'S', rows: LIST.map((a) => [a]) }]), buildXlsx([{ name: 'S', rows: LIST.map((_a, i) => [`n${i}`]) }]), 'xl/sharedStrings.xml'],
];

describe('a part written twice: the list in the first copy is found', () => {
  it.each(CASES)('%s', (_name, fileName, listed, benign, part) => {
    expect(codes(fileName, duplicated(listed, benign, part, 'first'))).toContain('ADDRESS_LIST_IN_ATTACHMENT');
  });
});

it('a worksheet part the workbook does not list: its twenty addresses count as outside every sheet', () => {
  const sheet = unzipSync(buildXlsx([{ name: 'S', inline: true, rows: LIST.map((a) => [a]) }]))['xl/worksheets/sheet1.xml']!;
  const benign = Object.entries(unzipSync(buildXlsx([{ name: 'S', rows: [['a']] }]))).map(([name, data]) => ({ name, data, method: 0 as const, size: data.length }));
  const r = checkMessage(buildMessage([{ fileName: 'a.xlsx', contentType: 'application/octet-stream', bytes: rawZip([...benign, { name: 'xl/worksheets/sheet2.xml', data: sheet, method: 0, size: sheet.length }]) }]), policy);
  expect(r.findings.find((f) => f.code === 'ADDRESS_LIST_IN_ATTACHMENT')?.args).toMatchObject({ externalAddresses: 20, hiddenAddresses: 20 });
});

describe('controls', () => {
  it.each(CASES)('%s: the list in the last copy is found as before', (_name, fileName, listed, benign, part) => {
    expect(codes(fileName, duplicated(listed, benign, part, 'last'))).toContain('ADDRESS_LIST_IN_ATTACHMENT');
  });

  it.each(CASES)('%s: two benign copies pass', (_name, fileName, _listed, benign, part) => {
    expect(codes(fileName, duplicated(benign, benign, part, 'first'))).toEqual([]);
  });
});
