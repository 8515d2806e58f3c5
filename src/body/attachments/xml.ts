// XML for the attachment scan: streamed events (SAX-style), never a tree. Chosen on measurement
// over fast-xml-parser (a devDependency here): a 31-MB worksheet took 14.6 s and ~600 MB of heap
// as a fast-xml-parser tree, 1.5 s and no tree with htmlparser2 (already installed as a dependency
// of mailparser). Plain markup, which is what office programs write, goes through a smaller reader
// below that gives the same events faster; htmlparser2 reads everything else.

import { createRequire } from 'node:module';
import { bytesHoldCompatAt, textMayShowAt } from '../addresses.js';

const require = createRequire(import.meta.url);

export interface XmlHandler {
  onopentag?(name: string, attrs: Record<string, string>): void;
  onclosetag?(name: string): void;
  ontext?(text: string): void;
}

type ParserClass = new (handler: object, options: object) => { end(chunk: string): void };
let Parser: ParserClass | undefined;

/** Element names without their namespace prefix (x:c and c alike; prefixes are the writer's choice). */
export function localName(name: string): string {
  const i = name.indexOf(':');
  return i === -1 ? name : name.slice(i + 1);
}

/** An attribute by local name (table:name, r:id ...). */
export function attr(attrs: Record<string, string>, local: string): string | undefined {
  const direct = attrs[local];
  if (direct !== undefined) return direct;
  for (const k in attrs) if (k.length > local.length && k.charCodeAt(k.length - local.length - 1) === 0x3a && k.endsWith(local)) return attrs[k];
  return undefined;
}

/**
 * A package part's XML as UTF-8 bytes. Office packages may write their XML parts in UTF-16 (Open
 * Packaging Conventions: readers take UTF-8 and UTF-16 alike), which Word, Excel and LibreOffice
 * open; read as UTF-8, its text had a NUL between every two letters and no address was found. Told
 * by the byte order mark, or without one by the "<?" of the XML declaration (XML 1.0 Appendix F).
 * Other bytes are returned as they are.
 */
export function xmlAsUtf8(b: Buffer): Buffer {
  const b0 = b[0];
  const b1 = b[1];
  let encoding: 'utf16le' | 'utf16be' | undefined;
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0x3c && b1 === 0 && b[2] === 0x3f && b[3] === 0)) encoding = 'utf16le';
  else if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0 && b1 === 0x3c && b[2] === 0 && b[3] === 0x3f)) encoding = 'utf16be';
  if (encoding === undefined) return b;
  const bom = b0 === 0xff || b0 === 0xfe ? 2 : 0;
  const body = b.subarray(bom, bom + ((b.length - bom) & ~1));
  const text = encoding === 'utf16le' ? body.toString('utf16le') : Buffer.from(body).swap16().toString('utf16le');
  return Buffer.from(text, 'utf8');
}

/** Whether UTF-8 XML may show an address: an "@", a character reference (`&#64;`, `&#x40;`), or a
 * fullwidth or small commercial at, which readers show as one (findAddresses reads them). */
export function xmlMayHoldAt(xml: Buffer): boolean {
  return xml.includes(0x40) || xml.includes('&#') || bytesHoldCompatAt(xml);
}

/** Streams `xml` through `handler`: element names as written (use localName), entities decoded. */
export function parseXml(xml: string | Uint8Array, handler: XmlHandler): void {
  const text = typeof xml === 'string' ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8');
  // Office programs write plain markup: no DOCTYPE, comment or CDATA section. Such a document
  // goes through the fast reader below; anything else through htmlparser2.
  if (text.indexOf('<!') === -1) fastXml(text, handler);
  else htmlparser2Xml(text, handler);
}

/** The same events from htmlparser2 (xml mode, entities and CDATA decoded). */
export function htmlparser2Xml(text: string, handler: XmlHandler): void {
  Parser ??= (require('htmlparser2') as { Parser: ParserClass }).Parser;
  const p = new Parser(handler, { xmlMode: true, decodeEntities: true, recognizeCDATA: true });
  p.end(text);
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character and predefined entity references; others (which need a DTD) stay as written. */
export function decodeXmlEntities(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, (m, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return NAMED[ref] ?? m;
  });
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * A reader for markup without DOCTYPE, comments or CDATA (the caller checks): tags, attributes
 * in either quote (a ">" inside a value does not end the tag), self-closing tags, processing
 * instructions skipped, text with entities decoded. It jumps from "<" to "<" with indexOf where
 * htmlparser2's tokenizer visits every character: on a 45-MB worksheet 0.3 s of CPU against
 * 0.85 s (measured, same callbacks). Tests hold the two to the same events.
 */
function fastXml(xml: string, handler: XmlHandler): void {
  const { onopentag, onclosetag, ontext } = handler;
  const n = xml.length;
  let i = 0;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i && ontext) ontext(decodeXmlEntities(xml.slice(i, textEnd)));
    if (lt === -1) return;
    const c = xml.charCodeAt(lt + 1);
    if (c === 0x3f /* ? */) {
      const end = xml.indexOf('?>', lt + 2);
      i = end === -1 ? n : end + 2;
      continue;
    }
    if (c === 0x2f /* / */) {
      const end = xml.indexOf('>', lt + 2);
      const name = xml.slice(lt + 2, end === -1 ? n : end).trim();
      onclosetag?.(name);
      i = end === -1 ? n : end + 1;
      continue;
    }
    // An opening tag: its name, then attributes up to the first ">" outside quotes.
    let j = lt + 1;
    while (j < n && !isSpace(xml.charCodeAt(j)) && xml[j] !== '>' && xml[j] !== '/') j++;
    const name = xml.slice(lt + 1, j);
    const attrs: Record<string, string> = {};
    let selfClosing = false;
    for (;;) {
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      if (j >= n) break;
      const ch = xml[j];
      if (ch === '>') {
        j++;
        break;
      }
      if (ch === '/') {
        selfClosing = true;
        j++;
        continue;
      }
      const eq = xml.indexOf('=', j);
      if (eq === -1) {
        j = n;
        break;
      }
      const key = xml.slice(j, eq).trim();
      let q = eq + 1;
      while (q < n && isSpace(xml.charCodeAt(q))) q++;
      const quote = xml[q];
      if (quote !== '"' && quote !== "'") {
        // Not well-formed: let the tolerant parser decide what it means.
        htmlparser2Xml(xml.slice(lt), handler);
        return;
      }
      const close = xml.indexOf(quote, q + 1);
      if (close === -1) {
        j = n;
        break;
      }
      attrs[key] = decodeXmlEntities(xml.slice(q + 1, close));
      j = close + 1;
    }
    onopentag?.(name, attrs);
    if (selfClosing) onclosetag?.(name);
    i = j;
  }
}

/** Elements after which text is broken (paragraphs, cells, line breaks, tabs) in Word, ODF and drawing
 * XML, and SpreadsheetML's cells, rows, formulas and values, and chart caches' points, for a worksheet
 * read as the rest of a package (a second copy of a part, a sheet the workbook does not list). */
const BREAKS = new Set(['p', 'tc', 'br', 'cr', 'tab', 'h', 'table-cell', 'line-break', 'si', 'tr', 'table-row', 'list-item', 'comment', 'note', 'c', 'row', 'f', 'v', 'pt']);

/**
 * The text of an XML document, with a line break after each paragraph, cell or break, and each
 * attribute value that holds an "@" (mailto: hyperlinks, ODF office:string-value) on its own line.
 */
export function xmlText(xml: string | Uint8Array): string {
  const out: string[] = [];
  parseXml(xml, {
    onopentag(_name, attrs) {
      for (const k in attrs) {
        const v = attrs[k]!;
        if (textMayShowAt(v)) out.push(`\n${v}\n`);
      }
    },
    ontext(t) {
      out.push(t);
    },
    onclosetag(name) {
      if (BREAKS.has(localName(name))) out.push('\n');
    },
  });
  return out.join('');
}
