// What an office document shows that is not its XML. Word imports an altChunk part (HTML, MHT,
// plain text: html-docx-js and other "export to Word" tools write the whole document as one) into
// the page it shows; Word, Excel and PowerPoint show an embedded workbook or document (embeddings/)
// as a table on the page and open it whole on a double click. The scan read only the package's
// .xml and .rels parts, so a list of twenty external addresses in such a part passed with no
// finding at all, not even ATTACHMENT_NOT_SCANNED. The files of a package that are not its XML
// are now read like a zip's members: text read as its name says, an embedded file read (one level
// more) or reported; the package's own binary parts (pictures, fonts, printer settings, macros)
// are skipped as before.
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { addresses, buildDocx, buildMessage, buildXlsx, buildZip } from '../helpers/office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const findings = (fileName: string, bytes: Uint8Array) => checkMessage(buildMessage([{ fileName, contentType: 'application/octet-stream', bytes }]), policy).findings;
const codes = (fileName: string, bytes: Uint8Array) => findings(fileName, bytes).map((f) => f.code);

const LIST = addresses(20);
const TYPES = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>';
const rels = (rs: Array<[string, string, string]>) =>
  `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rs.map(([id, type, target]) => `<Relationship Id="${id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/${type}" Target="${target}"/>`).join('')}</Relationships>`;
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';

/** A docx whose only content is an altChunk: the part Word imports into the page. */
function altChunkDocx(name: string, content: string): Uint8Array {
  const files: Zippable = {
    '[Content_Types].xml': strToU8(TYPES),
    '_rels/.rels': strToU8(rels([['rId1', 'officeDocument', 'word/document.xml']])),
    'word/document.xml': strToU8(`<?xml version="1.0"?><w:document ${W}><w:body><w:altChunk r:id="chunk"/></w:body></w:document>`),
    'word/_rels/document.xml.rels': strToU8(rels([['chunk', 'aFChunk', `/${name}`]])),
  };
  files[name] = strToU8(content);
  return zipSync(files);
}
const html = `<html><body><table>${LIST.map((a) => `<tr><td>${a}</td></tr>`).join('')}</table></body></html>`;
const mht = `MIME-Version: 1.0\r\nContent-Type: multipart/related; type="text/html"; boundary="----=mhtDocumentPart"\r\n\r\n------=mhtDocumentPart\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Location: file:///C:/fake/document.html\r\n\r\n${html}\r\n------=mhtDocumentPart--\r\n`;

/** An OOXML package with `extra` files beside a document of a few words. */
function withEmbedded(kind: 'docx' | 'pptx' | 'xlsx', extra: Zippable): Uint8Array {
  const base = kind === 'docx' ? buildDocx('See the table.', []) : kind === 'xlsx' ? buildXlsx([{ name: 'Summary', rows: [['Total', '20']] }]) : pptx();
  const files: Zippable = {};
  for (const [n, v] of Object.entries(unzipSync(base))) files[n] = v;
  return zipSync({ ...files, ...extra });
}
function pptx(): Uint8Array {
  return zipSync({
    '[Content_Types].xml': strToU8(TYPES),
    '_rels/.rels': strToU8(rels([['rId1', 'officeDocument', 'ppt/presentation.xml']])),
    'ppt/presentation.xml': strToU8('<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'),
    'ppt/slides/slide1.xml': strToU8('<?xml version="1.0"?><p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:p><a:r><a:t>Attendees</a:t></a:r></a:p></p:sld>'),
  });
}
const sheet = () => buildXlsx([{ name: 'Attendees', rows: LIST.map((a, i) => [`Name ${i}`, a]) }]);

describe('the parts of an office document that are not its XML', () => {
  it.each([
    ['an altChunk MHT (html-docx-js)', 'report.docx', altChunkDocx('afchunk.mht', mht)],
    ['an altChunk HTML', 'report.docx', altChunkDocx('word/chunk1.html', html)],
    ['an altChunk plain text', 'report.docx', altChunkDocx('word/chunk1.txt', LIST.join('\r\n'))],
    ['a workbook embedded in a document', 'report.docx', withEmbedded('docx', { 'word/embeddings/Microsoft_Excel_Worksheet.xlsx': sheet() })],
    ['a workbook embedded in a presentation', 'slides.pptx', withEmbedded('pptx', { 'ppt/embeddings/Microsoft_Excel_Worksheet1.xlsx': sheet() })],
    ['a CSV embedded in a workbook', 'book.xlsx', withEmbedded('xlsx', { 'xl/embeddings/attendees.csv': strToU8(LIST.join('\n')) })],
  ])('%s: the list is found', (_name, fileName, bytes) => {
    expect(codes(fileName, bytes)).toContain('ADDRESS_LIST_IN_ATTACHMENT');
  });

  it('an embedded file inside a document inside a zip is reported, not opened (two levels deep)', () => {
    const inner = withEmbedded('docx', { 'word/embeddings/Microsoft_Excel_Worksheet.xlsx': sheet() });
    const f = findings('docs.zip', buildZip({ 'report.docx': inner })).find((x) => x.code === 'ATTACHMENT_NOT_SCANNED');
    expect(f?.args).toMatchObject({ reason: 'nested-archive' });
  });

  it('an embedded OLE object (an Excel 97 sheet) is reported as not scanned, not passed in silence', () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(1024)]);
    expect(codes('report.docx', withEmbedded('docx', { 'word/embeddings/oleObject1.bin': ole }))).toContain('ATTACHMENT_NOT_SCANNED');
  });
});

describe('controls', () => {
  it("a document's own binary parts (pictures, fonts, printer settings, macros) add nothing", () => {
    const devmode = Buffer.concat([Buffer.from('HP LaserJet\0\0\0', 'utf16le'), Buffer.alloc(200, 1)]);
    const vba = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(1024)]);
    const extra: Zippable = {
      'word/media/image1.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]),
      'word/fonts/font1.odttf': new Uint8Array([0, 1, 2, 3, 4]),
      'word/vbaProject.bin': vba,
      'word/printerSettings/printerSettings1.bin': devmode,
    };
    expect(codes('report.docm', withEmbedded('docx', extra))).toEqual([]);
    expect(codes('book.xlsm', withEmbedded('xlsx', { 'xl/vbaProject.bin': vba, 'xl/printerSettings/printerSettings1.bin': devmode }))).toEqual([]);
  });

  it('an embedded workbook of colleagues, or an altChunk of three addresses, passes', () => {
    const colleagues = buildXlsx([{ name: 'Team', rows: addresses(20).map((a) => [a.replace(/@.*/, '@corp.example')]) }]);
    expect(codes('report.docx', withEmbedded('docx', { 'word/embeddings/Microsoft_Excel_Worksheet.xlsx': colleagues }))).toEqual([]);
    expect(codes('report.docx', altChunkDocx('word/chunk1.html', `<p>${addresses(3).join('<br>')}</p>`))).toEqual([]);
  });
});
