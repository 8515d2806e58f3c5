// The attachment scan's XML reader: the fast reader for plain markup gives the same events as
// htmlparser2 (which reads everything else: comments, CDATA, DOCTYPE).
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodeXmlEntities, htmlparser2Xml, parseXml, type XmlHandler } from '../../src/body/attachments/xml.js';
import { cellRef } from '../../src/body/attachments/xlsx.js';
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
