// The attachment scan's XML reader: the fast reader for plain markup gives the same events as
// htmlparser2 (which reads everything else: comments, CDATA, DOCTYPE).
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodeXmlEntities, htmlparser2Xml, parseXml, type XmlHandler } from '../../src/body/attachments/xml.js';
import { cellRef, scanXlsx } from '../../src/body/attachments/xlsx.js';
import { listZip } from '../../src/body/attachments/zip.js';
import { addresses, buildDocx, buildOds, buildXlsx } from '../helpers/office-files.js';

function events(xml: string, parse: (x: string, h: XmlHandler) => void): string[] {
  const out: string[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') out.push(`text ${text}`);
    text = '';
  };
  parse(xml, {
    onopentag(name, attrs) {
      flush();
      out.push(`open ${name} ${JSON.stringify(attrs)}`);
    },
    onclosetag(name) {
      flush();
      out.push(`close ${name}`);
    },
    ontext(t) {
      text += t;
    },
  });
  flush();
  return out;
}

const rows = (list: string[]) => list.map((a, i) => [`Name & co <${i}>`, a]);
const packages: Array<[string, Uint8Array]> = [
  ['xlsx', buildXlsx([{ name: 'A & B', rows: rows(addresses(30)), hiddenRows: [2], hiddenCols: [1] }, { name: "it's", state: 'veryHidden', inline: true, rows: rows(addresses(5)) }])],
  ['ods', buildOds([{ name: 'T"1', hidden: true, rows: rows(addresses(10)), hiddenRows: [1] }])],
  ['docx', buildDocx('Hello "world"', rows(addresses(8)), { splitRuns: true })],
];

describe('the fast XML reader', () => {
  it.each(packages)('gives the same events as htmlparser2 on every part of a generated %s', (_kind, bytes) => {
    const files = unzipSync(bytes);
    for (const [name, data] of Object.entries(files)) {
      if (!/\.(xml|rels)$/.test(name)) continue;
      const xml = strFromU8(data);
      expect([name, events(xml, parseXml)]).toEqual([name, events(xml, htmlparser2Xml)]);
    }
  });

  it.each([
    ['a ">" inside an attribute value', '<r><c a="x>y" b=\'q"t\'>v</c></r>'],
    ['entities in text and attributes', '<r a="&amp;&#64;&#x40;&lt;">a&#64;b.test &amp; &quot;q&quot; &apos;</r>'],
    ['self-closing tags, prefixes, white space in tags', '<x:r  >\n <x:c r = "A1" / ><x:v>1</x:v></x:r >'],
    ['a declaration and a processing instruction', '<?xml version="1.0"?><r><?pi stuff?>t</r>'],
  ])('%s', (_label, xml) => {
    expect(events(xml, parseXml)).toEqual(events(xml, htmlparser2Xml));
  });

  it('decodes character references and the five predefined entities only', () => {
    expect(decodeXmlEntities('a&#64;b &#x40; &amp;lt; &nbsp; &#0;')).toBe('a@b @ &lt; &nbsp; &#0;');
  });
});

describe('cell references', () => {
  it.each([
    ['A1', { col: 1, row: 1 }],
    ['z10', { col: 26, row: 10 }],
    ['AA3', { col: 27, row: 3 }],
    ['$XFD$1048576', { col: 16384, row: 1048576 }],
    ['ABCD1', undefined],
    ['A', undefined],
    ['1A', undefined],
    ['A1B', undefined],
  ])('%s', (ref, expected) => {
    expect(cellRef(ref)).toEqual(expected);
  });
});

// The workbook scan reads sheets and shared strings on their bytes (xml-bytes.ts) and falls back
// to parseXml for anything else: a comment in every part forces the fallback, so both readings of
// the same workbook must count the same.
describe('the byte reader of workbooks counts as parseXml does', () => {
  const withComments = (bytes: Uint8Array, edit: (xml: string) => string = (x) => x): Uint8Array => {
    const files = unzipSync(bytes);
    for (const name of Object.keys(files)) if (/(sheet\d+|sharedStrings)\.xml$/.test(name)) files[name] = strToU8(edit(strFromU8(files[name]!)).replace('?>', '?><!-- forces parseXml -->'));
    return zipSync(files);
  };
  const plain = (bytes: Uint8Array, edit: (xml: string) => string) => {
    const files = unzipSync(bytes);
    for (const name of Object.keys(files)) if (/(sheet\d+|sharedStrings)\.xml$/.test(name)) files[name] = strToU8(edit(strFromU8(files[name]!)));
    return zipSync(files);
  };
  const scan = (bytes: Uint8Array) => scanXlsx(bytes, listZip(bytes), { remaining: 1 << 30 }).map((u) => [u.location, [...u.addresses].sort(), [...u.hiddenAddresses].sort(), u.hidden]);
  const edits: Array<[string, (xml: string) => string]> = [
    ['as written', (x) => x],
    ['pretty-printed (white space between tags)', (x) => x.replace(/></g, '>\n  <')],
    ['prefixed elements', (x) => x.replace(/<(\/?)(c|v|row|si|t|sheetData|dimension)([ />])/g, '<$1x:$2$3')],
    ['attributes in single quotes, spaces around "="', (x) => x.replace(/ (r|t|hidden)="([^"]*)"/g, " $1 = '$2'")],
    ['"@" spelled as an entity', (x) => x.replace(/@/g, '&#64;')],
    ['zero-height rows', (x) => x.replace(/ hidden="1"/g, ' customHeight="1" ht="0"')],
    ['cells without references', (x) => x.replace(/<c r="[A-Z]+\d+"/g, '<c')],
  ];
  const rows = (list: string[]) => list.map((a, i) => [`Name & co <${i}>`, a, `=HYPERLINK("mailto:${a}")`]);
  const book = buildXlsx([
    { name: 'Seen', rows: rows(addresses(40)), hiddenRows: [3, 4], hiddenCols: [3], dimension: 'A1:B30' },
    { name: 'Gone', state: 'hidden', rows: rows(addresses(25, 'h')) },
    { name: 'Deep', state: 'veryHidden', inline: true, rows: rows(addresses(12, 'vh')) },
  ]);
  it.each(edits)('%s', (_label, edit) => {
    const bytes = plain(book, edit);
    const ours = scan(bytes);
    expect(ours).toEqual(scan(withComments(book, edit)));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    expect(ours.some(([, all]) => (all as string[]).length > 0)).toBe(true);
  });
});
