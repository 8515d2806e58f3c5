// Addresses per sheet of an xlsx (SpreadsheetML) workbook, with where they hide: hidden and very
// hidden sheets, hidden rows and columns (or of zero size), cells outside the declared used range.
// Shared strings are resolved per sheet; strings no sheet uses and the rest of the package
// (comments, pivot caches that keep a copy of source data, external links) are their own unit.

import { findAddresses } from '../addresses.js';
import { attr, localName, parseXml, xmlText } from './xml.js';
import { readZipEntry, type InflateBudget, type ZipEntry } from './zip.js';
import type { ScanUnit } from './types.js';
import { MAX_ATTACHMENT_BYTES } from '../../limits.js';

interface Archive {
  bytes: Uint8Array;
  entries: Map<string, ZipEntry>;
  budget: InflateBudget;
}

function read(a: Archive, name: string): Buffer | undefined {
  const e = a.entries.get(name);
  return e ? readZipEntry(a.bytes, e, a.budget, MAX_ATTACHMENT_BYTES * 8) : undefined;
}

/** Resolves a relationship target against the folder of the part that names it. */
function resolvePartName(base: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const dir = base.includes('/') ? base.slice(0, base.lastIndexOf('/') + 1) : '';
  const parts: string[] = [];
  for (const seg of (dir + target).split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

function relsOf(a: Archive, part: string): Map<string, { target: string; type: string }> {
  const dir = part.includes('/') ? part.slice(0, part.lastIndexOf('/') + 1) : '';
  const relsName = `${dir}_rels/${part.slice(dir.length)}.rels`;
  const out = new Map<string, { target: string; type: string }>();
  const xml = read(a, relsName);
  if (!xml) return out;
  parseXml(xml, {
    onopentag(name, attrs) {
      if (localName(name) !== 'Relationship') return;
      const id = attr(attrs, 'Id');
      const target = attr(attrs, 'Target');
      if (id && target && attr(attrs, 'TargetMode') !== 'External') out.set(id, { target: resolvePartName(part, target), type: attr(attrs, 'Type') ?? '' });
    },
  });
  return out;
}

/** "BC12" -> column 55 (1-based), row 12; undefined when not a cell reference. Hand-written:
 * it runs for every cell of every sheet. */
export function cellRef(ref: string): { col: number; row: number } | undefined {
  let i = ref.charCodeAt(0) === 0x24 ? 1 : 0;
  let col = 0;
  const start = i;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20; // lower case
    if (c < 0x61 || c > 0x7a) break;
    col = col * 26 + (c - 0x60);
  }
  if (i === start || i - start > 3) return undefined;
  if (ref.charCodeAt(i) === 0x24) i++;
  let row = 0;
  const digits = i;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    row = row * 10 + (c - 0x30);
  }
  if (i === digits || i - digits > 7) return undefined;
  return { col, row };
}

function truthy(v: string | undefined): boolean {
  return v === '1' || v === 'true';
}

export function scanXlsx(bytes: Uint8Array, entries: ZipEntry[], budget: InflateBudget): ScanUnit[] {
  const a: Archive = { bytes, entries: new Map(entries.map((e) => [e.name, e])), budget };
  const used = new Set<string>();
  // The workbook part: from the package relationships, else the usual name.
  let workbook = 'xl/workbook.xml';
  for (const r of relsOf(a, '').values()) if (r.type.endsWith('/officeDocument')) workbook = r.target;
  const wbXml = read(a, workbook);
  if (!wbXml) throw new Error('no workbook part');
  used.add(workbook);
  const wbRels = relsOf(a, workbook);
  const sheets: Array<{ name: string; state: string; part: string }> = [];
  parseXml(wbXml, {
    onopentag(name, attrs) {
      if (localName(name) !== 'sheet') return;
      const id = Object.entries(attrs).find(([k]) => k.includes(':') && localName(k) === 'id')?.[1];
      const rel = id ? wbRels.get(id) : undefined;
      if (rel) sheets.push({ name: attr(attrs, 'name') ?? '?', state: attr(attrs, 'state') ?? 'visible', part: rel.target });
    },
  });
  // One domain cache for every cell of the workbook: a list repeats its domains.
  const domains = new Map<string, string | undefined>();
  // Shared strings: only those holding an address are kept (index -> addresses).
  const shared = new Map<number, string[]>();
  const sharedUsed = new Set<number>();
  const ssPart = [...wbRels.values()].find((r) => r.type.endsWith('/sharedStrings'))?.target;
  if (ssPart) {
    const ss = read(a, ssPart);
    used.add(ssPart);
    if (ss) {
      let index = -1;
      let buf: string[] = [];
      const found = new Set<string>();
      let inSi = false;
      parseXml(ss, {
        onopentag(name) {
          if (localName(name) === 'si') {
            index++;
            inSi = true;
            buf = [];
          }
        },
        ontext(t) {
          if (inSi) buf.push(t);
        },
        onclosetag(name) {
          if (localName(name) !== 'si') return;
          inSi = false;
          const text = buf.length === 1 ? buf[0]! : buf.join('');
          if (text.includes('@')) {
            findAddresses(text, found, domains);
            if (found.size > 0) shared.set(index, [...found]);
            found.clear();
          }
        },
      });
    }
  }

  const units: ScanUnit[] = [];
  for (const sheet of sheets) {
    const xml = read(a, sheet.part);
    used.add(sheet.part);
    if (!xml) continue;
    const unit: ScanUnit = { location: { sheet: sheet.name }, addresses: new Set(), hiddenAddresses: new Set(), hidden: [] };
    if (sheet.state === 'hidden' || sheet.state === 'veryHidden') unit.hidden.push(sheet.state === 'hidden' ? 'hidden-sheet' : 'very-hidden-sheet');
    const sheetHidden = unit.hidden.length > 0;
    const hiddenCols: Array<[number, number]> = [];
    let range: { c1: number; r1: number; c2: number; r2: number } | undefined;
    let rowHidden = false;
    let row = 0;
    let col = 0;
    let cellType = '';
    let cellHidden = false;
    let inCell = false;
    let text = '';
    const why = new Set<string>();
    parseXml(xml, {
      onopentag(name, attrs) {
        switch (localName(name)) {
          case 'dimension': {
            const [from, to] = (attr(attrs, 'ref') ?? '').split(':');
            const f = cellRef(from ?? '');
            const t = cellRef(to ?? from ?? '');
            if (f && t) range = { c1: f.col, r1: f.row, c2: t.col, r2: t.row };
            break;
          }
          case 'col':
            if (truthy(attr(attrs, 'hidden')) || attr(attrs, 'width') === '0') hiddenCols.push([Number(attr(attrs, 'min') ?? 0), Number(attr(attrs, 'max') ?? 0)]);
            break;
          case 'row': {
            const r = Number(attr(attrs, 'r'));
            row = Number.isInteger(r) && r > 0 ? r : row + 1;
            col = 0;
            rowHidden = truthy(attr(attrs, 'hidden')) || (truthy(attr(attrs, 'customHeight')) && Number(attr(attrs, 'ht')) === 0);
            break;
          }
          case 'c': {
            const ref = cellRef(attr(attrs, 'r') ?? '');
            col = ref ? ref.col : col + 1;
            if (ref) row = ref.row;
            cellType = attr(attrs, 't') ?? 'n';
            inCell = true;
            text = '';
            cellHidden = false;
            if (rowHidden) (cellHidden = true), why.add('hidden-rows');
            else if (hiddenCols.length > 0 && hiddenCols.some(([lo, hi]) => col >= lo && col <= hi)) (cellHidden = true), why.add('hidden-columns');
            if (range && (col < range.c1 || col > range.c2 || row < range.r1 || row > range.r2)) (cellHidden = true), why.add('outside-used-range');
            break;
          }
        }
      },
      ontext(t) {
        if (inCell) text += t;
      },
      onclosetag(name) {
        if (name !== 'c' && localName(name) !== 'c') return;
        inCell = false;
        const value = text;
        let found: Iterable<string> = [];
        if (cellType === 's') {
          const i = Number(value.trim());
          const list = shared.get(i);
          if (list === undefined) return;
          sharedUsed.add(i);
          found = list;
        } else if (value.includes('@')) found = findAddresses(value, new Set(), domains);
        else return;
        for (const addr of found) {
          if (cellHidden || sheetHidden) {
            if (!unit.addresses.has(addr)) unit.hiddenAddresses.add(addr);
          } else unit.hiddenAddresses.delete(addr);
          unit.addresses.add(addr);
        }
      },
    });
    // Only the places that actually hold addresses are named.
    if (unit.hiddenAddresses.size > 0) for (const w of why) unit.hidden.push(w);
    else if (!sheetHidden) unit.hidden = [];
    units.push(unit);
  }

  // The rest of the package: strings no sheet uses, comments, pivot caches, external links ...
  const rest: ScanUnit = { location: { sheet: undefined, rest: true }, addresses: new Set(), hiddenAddresses: new Set(), hidden: ['not-in-any-sheet'] };
  for (const [i, list] of shared) if (!sharedUsed.has(i)) for (const addr of list) rest.addresses.add(addr);
  for (const e of entries) {
    if (used.has(e.name) || !/\.(xml|rels|vml)$/i.test(e.name) || /^xl\/(styles|theme\/)/.test(e.name)) continue;
    const xml = read(a, e.name);
    if (xml && xml.includes(0x40)) findAddresses(xmlText(xml), rest.addresses);
  }
  for (const addr of rest.addresses) rest.hiddenAddresses.add(addr);
  if (rest.addresses.size > 0) units.push(rest);
  return units;
}
