// An xlsx whose addresses exist only as a spreadsheet program computes them: a formula joining a
// local part and a domain (`A2&"@"&B2`, CONCATENATE, CONCAT, TEXTJOIN, shared formulas) with no
// cached value, which Excel and LibreOffice calculate on opening, or a number format that writes
// the domain after a text cell (`@"@org1.test"` on cells holding local parts). The scan read the
// cells as written (`A2&"@"&B2`, `person1`) and found no address: a workbook every reader sees
// as twenty addresses passed. Formulas of these shapes are now evaluated (whatever they cache),
// and a text format is applied to the text cells in its style (src/body/attachments/xlsx-computed.ts).
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { addresses, buildMessage, buildXlsx } from '../helpers/office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const LIST = addresses(20);
const local = (a: string) => a.slice(0, a.indexOf('@'));
const domain = (a: string) => a.slice(a.indexOf('@') + 1);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** A workbook of one sheet: A = local part, B = domain (shared strings), C = `formula(n)` (none when undefined); `styles` written as xl/styles.xml with column A in style 1. */
function workbook(formula: ((row: number) => string) | undefined, options: { styles?: string; cached?: (row: number) => string; rows?: string[][]; shared?: boolean } = {}): Uint8Array {
  const rows = options.rows ?? LIST.map((a) => [local(a), domain(a)]);
  const base = unzipSync(buildXlsx([{ name: 'S', rows }]));
  const strings: string[] = [];
  const idx = (v: string) => (strings.includes(v) ? strings.indexOf(v) : strings.push(v) - 1);
  const sheetRows = rows
    .map((cells, r) => {
      const n = r + 1;
      const cs = cells.map((v, c) => `<c r="${'AB'[c]}${n}" t="s"${c === 0 && options.styles ? ' s="1"' : ''}><v>${idx(v)}</v></c>`).join('');
      let f = '';
      if (formula) {
        const shared = options.shared === true;
        const body = shared && n > 1 ? `<f t="shared" si="0"/>` : `<f${shared ? ` t="shared" ref="C1:C${rows.length}" si="0"` : ''}>${esc(formula(n))}</f>`;
        f = `<c r="C${n}" t="str">${body}${options.cached ? `<v>${esc(options.cached(n))}</v>` : ''}</c>`;
      }
      return `<row r="${n}">${cs}${f}</row>`;
    })
    .join('');
  const files: Zippable = {};
  for (const [k, v] of Object.entries(base)) files[k] = v;
  files['xl/worksheets/sheet1.xml'] = strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${sheetRows}</sheetData></worksheet>`);
  files['xl/sharedStrings.xml'] = strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${strings.map((s) => `<si><t>${esc(s)}</t></si>`).join('')}</sst>`);
  if (options.styles !== undefined) {
    files['xl/styles.xml'] = strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="${esc(options.styles)}"/></numFmts><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`);
    const rels = new TextDecoder().decode(files['xl/_rels/workbook.xml.rels'] as Uint8Array).replace('</Relationships>', '<Relationship Id="rIdSt" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>');
    files['xl/_rels/workbook.xml.rels'] = strToU8(rels);
  }
  return zipSync(files);
}
const codes = (bytes: Uint8Array) => checkMessage(buildMessage([{ fileName: 'list.xlsx', contentType: 'application/octet-stream', bytes }]), policy).findings.map((f) => f.code);
const listed = (c: string[]) => c.includes('ADDRESS_LIST_IN_ATTACHMENT');

describe('addresses a spreadsheet program computes are found', () => {
  it.each([
    ['A2&"@"&B2, no cached value', workbook((n) => `A${n}&"@"&B${n}`)],
    ['=$A2 & "@" & $B2 with spaces and a leading =', workbook((n) => `=$A${n} & "@" & $B${n}`)],
    ['CONCATENATE(A2,"@",B2)', workbook((n) => `CONCATENATE(A${n},"@",B${n})`)],
    ['_xlfn.CONCAT(A2:A2,"@",B2)', workbook((n) => `_xlfn.CONCAT(A${n}:A${n},"@",B${n})`)],
    ['_xlfn.TEXTJOIN("@",TRUE,A2:B2)', workbook((n) => `_xlfn.TEXTJOIN("@",TRUE,A${n}:B${n})`)],
    ['LOWER(A2)&"@"&LOWER(B2)', workbook((n) => `LOWER(A${n})&"@"&LOWER(B${n})`)],
    ['a shared formula (written once, C1:C20)', workbook((n) => `A${n}&"@"&B${n}`, { shared: true })],
    ['a cached value that is not the result (empty)', workbook((n) => `A${n}&"@"&B${n}`, { cached: () => '' })],
    ['a number format @"@org1.test" on the local parts', workbook(undefined, { styles: '@"@org1.test"', rows: LIST.map((a) => [local(a)]) })],
    ['a four-section format whose text section appends the domain', workbook(undefined, { styles: '0;-0;0;@"@org2.test"', rows: LIST.map((a) => [local(a)]) })],
    ['an escaped "@" in the format: @\\@org3.test', workbook(undefined, { styles: '@\\@"org3.test"', rows: LIST.map((a) => [local(a)]) })],
  ])('%s', (_name, bytes) => {
    expect(listed(codes(bytes))).toBe(true);
  });
});

describe('controls', () => {
  it('a workbook of numbers and SUM formulas passes', () => {
    const rows = Array.from({ length: 20 }, (_, i) => [String(i), String(i * 2)]);
    expect(codes(workbook((n) => `SUM(A${n}:B${n})`, { rows }))).toEqual([]);
  });

  it('names joined to colleagues\' domain pass (internal)', () => {
    expect(codes(workbook((n) => `A${n}&"@corp.example"`))).toEqual([]);
  });

  it('three addresses computed pass', () => {
    expect(codes(workbook((n) => `A${n}&"@"&B${n}`, { rows: LIST.slice(0, 3).map((a) => [local(a), domain(a)]) }))).toEqual([]);
  });

  it('a number format without literal text (0.00, @) changes nothing', () => {
    expect(codes(workbook(undefined, { styles: '@', rows: LIST.map((a) => [local(a)]) }))).toEqual([]);
    expect(codes(workbook(undefined, { styles: '0.00', rows: LIST.map((a) => [local(a)]) }))).toEqual([]);
  });

  it('a workbook of written addresses is found once, as before', () => {
    expect(codes(buildXlsx([{ name: 'S', rows: LIST.map((a) => [a]) }]))).toEqual(['ADDRESS_LIST_IN_ATTACHMENT']);
  });
});

describe('bounded: what a formula would make past a cell\'s 32,767 characters is not made', () => {
  // 1,000 rows holding one 27-KB string: each TEXTJOIN of the column would be 27 MB. Before the
  // bounds, a 100-KB workbook of such formulas took 4 GB and ended the process (check, proxy and
  // milter alike); Excel shows #VALUE! for a text result over 32,767 characters.
  const long = 'someone@elsewhere.test,'.repeat(1_200);
  const rows = Array.from({ length: 1_000 }, () => [long, 'x']);
  it.each([
    ['TEXTJOIN over the column', () => 'TEXTJOIN(",",TRUE,$A$1:$A$1000)'],
    ['CONCAT over the column', () => '_xlfn.CONCAT($A$1:$A$1000)'],
    ['"&" of the long cell with itself', () => '$A$1&$A$1&$A$1&$A$1&$A$1&$A$1&$A$1&$A$1'],
  ])('%s: the message is checked, its other lists still found', (_name, formula) => {
    const bytes = workbook(formula, { rows });
    expect(bytes.length).toBeLessThan(200_000);
    const r = checkMessage(buildMessage([{ fileName: 'w.xlsx', contentType: 'application/octet-stream', bytes }], { body: LIST.join('\r\n') }), policy);
    expect(r.findings.map((f) => f.code)).toContain('ADDRESS_LIST_IN_BODY');
  });

  it('a result within the limit is still computed', () => {
    const few = LIST.slice(0, 12).map((a) => [local(a), domain(a)]);
    expect(codes(workbook((n) => `A${n}&"@"&B${n}`, { rows: few }))).toEqual(['ADDRESS_LIST_IN_ATTACHMENT']);
  });
});
