// Builds attachment fixtures in code (xlsx, ods, docx, odt, zip, ics) and wraps them in a
// message, so the tests say what each file holds instead of shipping opaque binaries.
import { strToU8, zipSync, type Zippable } from 'fflate';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface SheetSpec {
  name: string;
  state?: 'visible' | 'hidden' | 'veryHidden';
  /** Rows of cell values, from A1. */
  rows: string[][];
  /** 1-based row numbers marked hidden. */
  hiddenRows?: number[];
  /** 1-based column numbers marked hidden. */
  hiddenCols?: number[];
  /** The <dimension ref> written; default: the real range. */
  dimension?: string;
  /** Cells written as inline strings instead of shared strings. */
  inline?: boolean;
  /** Cell values are written as XML as they are (entities, markup), not escaped. */
  rawXml?: boolean;
}

function colName(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

/** A minimal valid xlsx (Excel, LibreOffice and openpyxl open it). */
export function buildXlsx(sheets: SheetSpec[], level: 0 | 1 | 6 | 9 = 6): Uint8Array {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const ss = (v: string) => {
    let i = index.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      index.set(v, i);
    }
    return i;
  };
  const files: Zippable = {};
  sheets.forEach((sheet, k) => {
    const width = Math.max(1, ...sheet.rows.map((r) => r.length));
    const dim = sheet.dimension ?? `A1:${colName(width)}${Math.max(1, sheet.rows.length)}`;
    const cols = sheet.hiddenCols?.length ? `<cols>${sheet.hiddenCols.map((c) => `<col min="${c}" max="${c}" width="9" hidden="1" customWidth="1"/>`).join('')}</cols>` : '';
    const rows = sheet.rows
      .map((cells, r) => {
        const hidden = sheet.hiddenRows?.includes(r + 1) ? ' hidden="1"' : '';
        const cs = cells
          .map((v, c) => {
            const ref = `${colName(c + 1)}${r + 1}`;
            return sheet.inline ? `<c r="${ref}" t="inlineStr"><is><t>${sheet.rawXml ? v : esc(v)}</t></is></c>` : `<c r="${ref}" t="s"><v>${ss(v)}</v></c>`;
          })
          .join('');
        return `<row r="${r + 1}"${hidden}>${cs}</row>`;
      })
      .join('');
    files[`xl/worksheets/sheet${k + 1}.xml`] = strToU8(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><dimension ref="${dim}"/>${cols}<sheetData>${rows}</sheetData></worksheet>`,
    );
  });
  const sheetEls = sheets.map((s, k) => `<sheet name="${esc(s.name)}" sheetId="${k + 1}"${s.state && s.state !== 'visible' ? ` state="${s.state}"` : ''} r:id="rId${k + 1}"/>`).join('');
  files['xl/workbook.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>${sheetEls}</sheets></workbook>`,
  );
  const rels = sheets.map((_, k) => `<Relationship Id="rId${k + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${k + 1}.xml"/>`).join('');
  files['xl/_rels/workbook.xml.rels'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels}<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
  );
  files['xl/sharedStrings.xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((s) => `<si><t>${esc(s)}</t></si>`).join('')}</sst>`,
  );
  files['_rels/.rels'] = strToU8(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  );
  const overrides = sheets.map((_, k) => `<Override PartName="/xl/worksheets/sheet${k + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('');
  files['[Content_Types].xml'] = strToU8(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${overrides}<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
  );
  return zipSync(files, { level });
}

export interface OdsTable {
  name: string;
  hidden?: boolean;
  rows: string[][];
  hiddenRows?: number[];
  hiddenCols?: number[];
}

const ODF_NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" office:version="1.3"';

function odf(mimetype: string, body: string, styles = '', encrypted = false): Uint8Array {
  const manifestEntry = encrypted ? '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>' : '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>';
  return zipSync({
    mimetype: [strToU8(mimetype), { level: 0 }],
    'content.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${ODF_NS}><office:automatic-styles>${styles}</office:automatic-styles><office:body>${body}</office:body></office:document-content>`),
    'META-INF/manifest.xml': strToU8(`<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest ${ODF_NS}><manifest:file-entry manifest:full-path="/" manifest:media-type="${mimetype}"/>${manifestEntry}</manifest:manifest>`),
  });
}

/** An ods with tables, hidden tables (a table style with display=false), collapsed rows and columns. */
export function buildOds(tables: OdsTable[], options: { encrypted?: boolean } = {}): Uint8Array {
  const styles = '<style:style style:name="taHidden" style:family="table"><style:table-properties table:display="false"/></style:style><style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>';
  const body = tables
    .map((t) => {
      const width = Math.max(1, ...t.rows.map((r) => r.length));
      const cols = Array.from({ length: width }, (_, c) => `<table:table-column${t.hiddenCols?.includes(c + 1) ? ' table:visibility="collapse"' : ''}/>`).join('');
      const rows = t.rows
        .map((cells, r) => `<table:table-row${t.hiddenRows?.includes(r + 1) ? ' table:visibility="collapse"' : ''}>${cells.map((v) => `<table:table-cell office:value-type="string"><text:p>${esc(v)}</text:p></table:table-cell>`).join('')}</table:table-row>`)
        .join('');
      return `<table:table table:name="${esc(t.name)}" table:style-name="${t.hidden ? 'taHidden' : 'ta1'}">${cols}${rows}</table:table>`;
    })
    .join('');
  return odf('application/vnd.oasis.opendocument.spreadsheet', `<office:spreadsheet>${body}</office:spreadsheet>`, styles, options.encrypted);
}

/** A docx whose body has a paragraph and a table (one row per entry); addresses may be split across runs. */
export function buildDocx(paragraph: string, table: string[][], options: { splitRuns?: boolean } = {}): Uint8Array {
  const run = (t: string) => {
    if (!options.splitRuns || t.length < 4) return `<w:r><w:t xml:space="preserve">${esc(t)}</w:t></w:r>`;
    const mid = Math.floor(t.length / 2);
    return `<w:r><w:t>${esc(t.slice(0, mid))}</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>${esc(t.slice(mid))}</w:t></w:r>`;
  };
  const rows = table.map((r) => `<w:tr>${r.map((c) => `<w:tc><w:p>${run(c)}</w:p></w:tc>`).join('')}</w:tr>`).join('');
  const doc = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>${run(paragraph)}</w:p><w:tbl>${rows}</w:tbl></w:body></w:document>`;
  return zipSync({
    '[Content_Types].xml': strToU8('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'),
    '_rels/.rels': strToU8('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'),
    'word/document.xml': strToU8(doc),
  });
}

/** An odt with paragraphs and a table. */
export function buildOdt(paragraph: string, table: string[][]): Uint8Array {
  const rows = table.map((r) => `<table:table-row>${r.map((c) => `<table:table-cell><text:p>${esc(c)}</text:p></table:table-cell>`).join('')}</table:table-row>`).join('');
  return odf('application/vnd.oasis.opendocument.text', `<office:text><text:p>${esc(paragraph)}</text:p><table:table table:name="T1">${rows}</table:table></office:text>`);
}

export function buildZip(files: Record<string, Uint8Array | string>, level: 0 | 6 | 9 = 6): Uint8Array {
  const z: Zippable = {};
  for (const [name, v] of Object.entries(files)) z[name] = [typeof v === 'string' ? strToU8(v) : v, { level }];
  return zipSync(z);
}

/** An iCalendar invitation. */
export function buildIcs(organizer: string, attendees: string[], method = 'REQUEST'): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//mailguard tests//EN',
    `METHOD:${method}`,
    'BEGIN:VEVENT',
    'UID:test-1@mailguard.test',
    'DTSTAMP:20261204T120000Z',
    'DTSTART:20261210T090000Z',
    'DTEND:20261210T100000Z',
    'SUMMARY:Information session',
    `ORGANIZER;CN=Organiser:mailto:${organizer}`,
    ...attendees.map((a, i) => `ATTENDEE;CN="Person ${i + 1}";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${a}`),
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  // Fold long lines at 75 octets, as calendar programs do.
  return lines.map((l) => (l.length <= 75 ? l : l.match(/.{1,74}/g)!.join('\r\n '))).join('\r\n') + '\r\n';
}

export interface AttachmentSpec {
  fileName?: string;
  contentType: string;
  bytes: Uint8Array | string;
  /** Put the part in multipart/alternative beside the text (as Outlook sends invitations). */
  inline?: boolean;
}

/** A message from anna@corp.example to one recipient with a text body and the attachments. */
export function buildMessage(attachments: AttachmentSpec[], options: { to?: string; body?: string } = {}): Buffer {
  const to = options.to ?? 'bob@corp.example';
  const parts = attachments.map((a) => {
    const bytes = typeof a.bytes === 'string' ? Buffer.from(a.bytes, 'utf8') : Buffer.from(a.bytes);
    const name = a.fileName !== undefined ? `; name="${a.fileName}"` : '';
    const disp = a.fileName !== undefined ? `Content-Disposition: attachment; filename="${a.fileName}"\r\n` : '';
    const b64 = bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
    return `--BOUNDARY\r\nContent-Type: ${a.contentType}${name}\r\n${disp}Content-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`;
  });
  return Buffer.from(
    `From: Anna <anna@corp.example>\r\nTo: ${to}\r\nSubject: Figures\r\nDate: Fri, 04 Dec 2026 12:00:00 +0000\r\nMessage-ID: <t1@corp.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BOUNDARY"\r\n\r\n` +
      `--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${options.body ?? 'Please find attached.'}\r\n` +
      parts.join('') +
      '--BOUNDARY--\r\n',
  );
}

/** `n` distinct addresses at `parties` organisations: person1@org1.test ... */
export function addresses(n: number, prefix = 'person', parties = n, offset = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + offset + 1}@org${((i + offset) % parties) + 1}.test`);
}

/** A zip written by hand, so an entry can declare sizes that are not true (zip bombs). */
export function rawZip(entries: Array<{ name: string; data: Uint8Array; method: 0 | 8; size: number; flags?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(e.flags ?? 0, 6);
    lh.writeUInt16LE(e.method, 8);
    lh.writeUInt32LE(e.data.length, 18);
    lh.writeUInt32LE(e.size, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(e.flags ?? 0, 8);
    ch.writeUInt16LE(e.method, 10);
    ch.writeUInt32LE(e.data.length, 20);
    ch.writeUInt32LE(e.size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, Buffer.from(e.data));
    centrals.push(ch, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A compound-file (OLE/CFB) container as Office writes for a password-protected xlsx: the
 * header signature, and directory entries named EncryptionInfo and EncryptedPackage. */
export function buildEncryptedOoxml(): Buffer {
  const sector = 512;
  const header = Buffer.alloc(sector);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header, 0);
  header.writeUInt16LE(0x003e, 24); // minor version
  header.writeUInt16LE(0x0003, 26); // major version 3
  header.writeUInt16LE(0xfffe, 28); // little-endian
  header.writeUInt16LE(9, 30); // 512-byte sectors
  header.writeUInt16LE(6, 32);
  header.writeUInt32LE(1, 44); // one FAT sector
  header.writeUInt32LE(0, 48); // directory starts at sector 0
  const dir = Buffer.alloc(sector);
  ['Root Entry', 'EncryptionInfo', 'EncryptedPackage'].forEach((n, i) => {
    const name = Buffer.from(`${n}\0`, 'utf16le');
    name.copy(dir, i * 128);
    dir.writeUInt16LE(name.length, i * 128 + 64);
    dir[i * 128 + 66] = i === 0 ? 5 : 2;
  });
  return Buffer.concat([header, dir, Buffer.alloc(sector, 0xab)]);
}
