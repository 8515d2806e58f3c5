// OpenDocument: addresses per table of a spreadsheet (ods), with hidden tables (display=false),
// collapsed or filtered rows and columns; the text of documents and presentations (odt, odp).

import { findAddresses, textMayShowAt } from '../addresses.js';
import { MAX_ATTACHMENT_BYTES } from '../../limits.js';
import { attr, localName, parseXml, xmlAsUtf8, xmlMayHoldAt, xmlText } from './xml.js';
import { readZipEntry, ZipRefused, type InflateBudget, type ZipEntry } from './zip.js';
import type { ScanUnit } from './types.js';

/** The XML of a package part, as UTF-8. */
function readPart(bytes: Uint8Array, e: ZipEntry, budget: InflateBudget): Buffer {
  return xmlAsUtf8(readZipEntry(bytes, e, budget, MAX_ATTACHMENT_BYTES * 8));
}

/**
 * Every part of a name, each read: an archive may hold two entries of one name, and readers
 * disagree about which one they show (Python's zipfile and a hash map keep the last, others the
 * first), so a list in either copy counts.
 */
function reader(bytes: Uint8Array, entries: ZipEntry[], budget: InflateBudget) {
  return (name: string) => entries.filter((e) => e.name === name).map((e) => readPart(bytes, e, budget));
}

/** ODF encrypts content streams itself (the zip entries look plain): the manifest says so. */
function refuseEncrypted(read: (n: string) => Buffer[]): void {
  if (read('META-INF/manifest.xml').some((manifest) => manifest.includes('encryption-data'))) throw new ZipRefused('encrypted', 'OpenDocument');
}

export function scanOds(bytes: Uint8Array, entries: ZipEntry[], budget: InflateBudget): ScanUnit[] {
  const read = reader(bytes, entries, budget);
  refuseEncrypted(read);
  const contents = read('content.xml');
  if (contents.length === 0) throw new Error('no content.xml');
  return contents.flatMap(scanOdsContent);
}

/** The tables of one content.xml. */
function scanOdsContent(content: Buffer): ScanUnit[] {
  const hiddenTableStyles = new Set<string>();
  const units: ScanUnit[] = [];
  let styleName: string | undefined;
  let unit: ScanUnit | undefined;
  let tableHidden = false;
  let hiddenCols: boolean[] = [];
  let rowHidden = false;
  let col = 0;
  let cell: { hidden: boolean; repeat: number; text: string[]; value: string } | undefined;
  const why = new Set<string>();
  parseXml(content, {
    onopentag(name, attrs) {
      switch (localName(name)) {
        case 'style':
          styleName = attr(attrs, 'family') === 'table' ? attr(attrs, 'name') : undefined;
          break;
        case 'table-properties':
          if (styleName !== undefined && attr(attrs, 'display') === 'false') hiddenTableStyles.add(styleName);
          break;
        case 'table': {
          unit = { location: { sheet: attr(attrs, 'name') ?? '?' }, addresses: new Set(), hiddenAddresses: new Set(), hidden: [] };
          const style = attr(attrs, 'style-name');
          tableHidden = style !== undefined && hiddenTableStyles.has(style);
          if (tableHidden) unit.hidden.push('hidden-sheet');
          hiddenCols = [];
          why.clear();
          break;
        }
        case 'table-column': {
          const n = Math.min(Number(attr(attrs, 'number-columns-repeated') ?? 1) || 1, 16_384);
          const hidden = (attr(attrs, 'visibility') ?? 'visible') !== 'visible';
          for (let i = 0; i < n; i++) hiddenCols.push(hidden);
          break;
        }
        case 'table-row':
          rowHidden = (attr(attrs, 'visibility') ?? 'visible') !== 'visible';
          col = 0;
          break;
        case 'table-cell':
        case 'covered-table-cell': {
          const repeat = Math.max(1, Number(attr(attrs, 'number-columns-repeated') ?? 1) || 1);
          let hidden = false;
          if (rowHidden) (hidden = true), why.add('hidden-rows');
          else if (hiddenCols[col] === true) (hidden = true), why.add('hidden-columns');
          cell = { hidden, repeat, text: [], value: attr(attrs, 'string-value') ?? '' };
          break;
        }
      }
    },
    ontext(t) {
      if (cell) cell.text.push(t);
    },
    onclosetag(name) {
      const local = localName(name);
      if ((local === 'p' || local === 'h') && cell) cell.text.push('\n');
      if ((local === 'table-cell' || local === 'covered-table-cell') && cell && unit) {
        const value = `${cell.text.join('')}\n${cell.value}`;
        if (textMayShowAt(value)) {
          for (const addr of findAddresses(value)) {
            if (cell.hidden || tableHidden) {
              if (!unit.addresses.has(addr)) unit.hiddenAddresses.add(addr);
            } else unit.hiddenAddresses.delete(addr);
            unit.addresses.add(addr);
          }
        }
        col += cell.repeat;
        cell = undefined;
      }
      if (local === 'table' && unit) {
        if (unit.hiddenAddresses.size > 0) for (const w of why) unit.hidden.push(w);
        else if (!tableHidden) unit.hidden = [];
        units.push(unit);
        unit = undefined;
      }
    },
  });
  return units;
}

/** Text documents and presentations: one unit with every address in the document's XML. */
export function scanOdfText(bytes: Uint8Array, entries: ZipEntry[], budget: InflateBudget): ScanUnit[] {
  const read = reader(bytes, entries, budget);
  refuseEncrypted(read);
  const found = new Set<string>();
  for (const e of entries) {
    if (!/\.xml$/i.test(e.name) || e.name.startsWith('META-INF/')) continue;
    const xml = readPart(bytes, e, budget);
    if (xmlMayHoldAt(xml)) findAddresses(xmlText(xml), found);
  }
  return [{ location: {}, addresses: found, hiddenAddresses: new Set(), hidden: [] }];
}

/** Word and PowerPoint (docx, pptx): every XML part of the package (body, tables, headers,
 * footers, comments, footnotes, slides, notes) and mailto: hyperlinks in relationships. */
export function scanOoxmlText(bytes: Uint8Array, entries: ZipEntry[], budget: InflateBudget): ScanUnit[] {
  const found = new Set<string>();
  for (const e of entries) {
    if (!/\.(xml|rels)$/i.test(e.name) || /(^|\/)(theme|fontTable|styles|settings|webSettings)\d*\.xml$/.test(e.name)) continue;
    const xml = readPart(bytes, e, budget);
    if (xmlMayHoldAt(xml)) findAddresses(xmlText(xml), found);
  }
  return [{ location: {}, addresses: found, hiddenAddresses: new Set(), hidden: [] }];
}
