// Addresses per sheet of an xlsx (SpreadsheetML) workbook, with where they hide: hidden and very
// hidden sheets, hidden rows and columns (or of zero size), cells outside the declared used range.
// Shared strings are resolved per sheet; strings no sheet uses and the rest of the package
// (comments, pivot caches that keep a copy of source data, external links) are their own unit.

import { findAddresses, textMayShowAt } from '../addresses.js';
import { attr, localName, parseXml, xmlAsUtf8, xmlMayHoldAt, xmlText } from './xml.js';
import { attrString, decodedText, findAttr, found, isLocal, scanPlainXml } from './xml-bytes.js';
import { readZipEntry, type InflateBudget, type ZipEntry } from './zip.js';
import type { ScanUnit } from './types.js';
import { computedCells, holdsFormula, textFormats } from './xlsx-computed.js';
import { MAX_ATTACHMENT_BYTES } from '../../limits.js';

interface Archive {
  bytes: Uint8Array;
  entries: Map<string, ZipEntry>;
  budget: InflateBudget;
}

function read(a: Archive, name: string): Buffer | undefined {
  const e = a.entries.get(name);
  return e ? xmlAsUtf8(readZipEntry(a.bytes, e, a.budget, MAX_ATTACHMENT_BYTES * 8)) : undefined;
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

type Domains = Map<string, string | undefined>;

/** The addresses a shared string holds, when it holds any (text is the string's whole text). */
function addSharedString(shared: Map<number, string[]>, index: number, text: string, domains: Domains): void {
  if (!textMayShowAt(text)) return;
  const found = findAddresses(text, new Set(), domains);
  if (found.size > 0) shared.set(index, [...found]);
}

/** Shared strings through parseXml (the reference reading): index -> addresses, for those holding any. */
function sharedStringsXml(xml: Buffer, domains: Domains): Map<number, string[]> {
  const shared = new Map<number, string[]>();
  let index = -1;
  let buf: string[] = [];
  let inSi = false;
  parseXml(xml, {
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
      addSharedString(shared, index, buf.length === 1 ? buf[0]! : buf.join(''), domains);
    },
  });
  return shared;
}

/** Every shared string's text, by index (for computed cells only: most workbooks never need it). */
function sharedStringTexts(xml: Buffer | undefined): string[] {
  const out: string[] = [];
  if (!xml) return out;
  let inSi = false;
  let inPhonetic = false;
  let buf = '';
  parseXml(xml, {
    onopentag(name) {
      const n = localName(name);
      if (n === 'si') (inSi = true), (buf = '');
      else if (n === 'rPh') inPhonetic = true;
    },
    ontext(t) {
      if (inSi && !inPhonetic) buf += t;
    },
    onclosetag(name) {
      const n = localName(name);
      if (n === 'rPh') inPhonetic = false;
      else if (n === 'si') (inSi = false), out.push(buf);
    },
  });
  return out;
}

/**
 * The same on the bytes: a string is made only for an <si> whose text holds "@" or "&" (an
 * entity may spell "@"); the rest (names, cities, numbers written as text) is skipped unread.
 * Undefined when the part is not plain markup (then sharedStringsXml reads it).
 */
function sharedStringsBytes(b: Buffer, domains: Domains): Map<number, string[]> | undefined {
  const shared = new Map<number, string[]>();
  let index = -1;
  let inSi = false;
  let flags = 0;
  // Text runs of the open <si> as start, end pairs (reused: setting an array's length is slow).
  const runs: number[] = [];
  let nRuns = 0;
  const ok = scanPlainXml(b, {
    open(s, e) {
      if (!isLocal(b, s, e, 'si')) return;
      index++;
      inSi = true;
      flags = 0;
      nRuns = 0;
    },
    text(s, e, f) {
      if (!inSi) return;
      flags |= f;
      runs[nRuns++] = s;
      runs[nRuns++] = e;
    },
    close(s, e) {
      if (!isLocal(b, s, e, 'si')) return;
      inSi = false;
      if (flags === 0) return;
      let text = '';
      for (let k = 0; k < nRuns; k += 2) text += decodedText(b, runs[k]!, runs[k + 1]!);
      addSharedString(shared, index, text, domains);
    },
  });
  return ok ? shared : undefined;
}

/**
 * The counting rules of one worksheet, fed by either reader: which cells are hidden (hidden or
 * zero-height rows, hidden or zero-width columns, outside the declared used range, the sheet's
 * own state) and which addresses are seen only there.
 */
class SheetCounter {
  readonly unit: ScanUnit;
  private readonly sheetHidden: boolean;
  private readonly hiddenCols: Array<[number, number]> = [];
  private range: { c1: number; r1: number; c2: number; r2: number } | undefined;
  private rowHidden = false;
  private row = 0;
  private col = 0;
  private cellHidden = false;
  private readonly why = new Set<string>();
  /** Shared strings this sheet shows (merged into the workbook's when the reading is kept). */
  readonly sharedUsed = new Set<number>();

  constructor(
    name: string,
    state: string | undefined,
    private readonly shared: Map<number, string[]>,
    private readonly domains: Domains,
  ) {
    this.unit = { location: { sheet: name }, addresses: new Set(), hiddenAddresses: new Set(), hidden: state ? [state] : [] };
    this.sheetHidden = state !== undefined;
  }

  dimension(ref: string): void {
    const [from, to] = ref.split(':');
    const f = cellRef(from ?? '');
    const t = cellRef(to ?? from ?? '');
    if (f && t) this.range = { c1: f.col, r1: f.row, c2: t.col, r2: t.row };
  }

  column(hidden: string | undefined, width: string | undefined, min: string | undefined, max: string | undefined): void {
    if (truthy(hidden) || width === '0') this.hiddenCols.push([Number(min ?? 0), Number(max ?? 0)]);
  }

  openRow(r: string | undefined, hidden: string | undefined, customHeight: string | undefined, ht: string | undefined): void {
    const n = Number(r);
    this.row = Number.isInteger(n) && n > 0 ? n : this.row + 1;
    this.col = 0;
    this.rowHidden = truthy(hidden) || (truthy(customHeight) && Number(ht) === 0);
  }

  /** A cell opens; `col` and `row` are its reference, or 0 when it has none (the next column). */
  openCell(col: number, row: number): void {
    if (col > 0) {
      this.col = col;
      this.row = row;
    } else this.col++;
    const c = this.col;
    const r = this.row;
    this.cellHidden = false;
    const why = this.why;
    if (this.rowHidden) (this.cellHidden = true), why.add('hidden-rows');
    else if (this.hiddenCols.length > 0 && this.hiddenCols.some(([lo, hi]) => c >= lo && c <= hi)) (this.cellHidden = true), why.add('hidden-columns');
    const range = this.range;
    if (range && (c < range.c1 || c > range.c2 || r < range.r1 || r > range.r2)) (this.cellHidden = true), why.add('outside-used-range');
  }

  /** A shared-string cell closes with the index its value names. */
  sharedCell(index: number): void {
    const list = this.shared.get(index);
    if (list === undefined) return;
    this.sharedUsed.add(index);
    this.count(list);
  }

  /** Text the program computes for a cell (xlsx-computed.ts), counted as that cell's; after the
   * sheet is read, so a hidden row is not known here (a hidden column or sheet is). */
  computedCell(col: number, row: number, text: string): void {
    this.rowHidden = false;
    this.openCell(col, row);
    this.textCell(text);
  }

  /** Any other cell closes with its text (formula included, as the text of the cell). */
  textCell(value: string): void {
    if (textMayShowAt(value)) this.count(findAddresses(value, new Set(), this.domains));
  }

  private count(found: Iterable<string>): void {
    const unit = this.unit;
    const hidden = this.cellHidden || this.sheetHidden;
    for (const addr of found) {
      if (hidden) {
        if (!unit.addresses.has(addr)) unit.hiddenAddresses.add(addr);
      } else unit.hiddenAddresses.delete(addr);
      unit.addresses.add(addr);
    }
  }

  finish(): ScanUnit {
    // Only the places that actually hold addresses are named.
    const unit = this.unit;
    if (unit.hiddenAddresses.size > 0) for (const w of this.why) unit.hidden.push(w);
    else if (!this.sheetHidden) unit.hidden = [];
    return unit;
  }
}

/** A worksheet through parseXml (the reference reading). */
function countSheetXml(xml: Buffer, counter: SheetCounter): SheetCounter {
  let shared = false;
  let inCell = false;
  let text = '';
  parseXml(xml, {
    onopentag(name, attrs) {
      switch (localName(name)) {
        case 'dimension':
          counter.dimension(attr(attrs, 'ref') ?? '');
          break;
        case 'col':
          counter.column(attr(attrs, 'hidden'), attr(attrs, 'width'), attr(attrs, 'min'), attr(attrs, 'max'));
          break;
        case 'row':
          counter.openRow(attr(attrs, 'r'), attr(attrs, 'hidden'), attr(attrs, 'customHeight'), attr(attrs, 'ht'));
          break;
        case 'c': {
          const ref = cellRef(attr(attrs, 'r') ?? '');
          counter.openCell(ref ? ref.col : 0, ref ? ref.row : 0);
          shared = attr(attrs, 't') === 's';
          inCell = true;
          text = '';
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
      if (shared) counter.sharedCell(Number(text.trim()));
      else counter.textCell(text);
    },
  });
  return counter;
}

/** "BC12" in bytes [s, e) -> column and row in `ref`, as cellRef does on the string; false when not a reference. */
const ref = { col: 0, row: 0 };
function cellRefBytes(b: Uint8Array, s: number, e: number): boolean {
  let i = b[s] === 0x24 ? s + 1 : s;
  let col = 0;
  const start = i;
  for (; i < e; i++) {
    const c = b[i]! | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    col = col * 26 + (c - 0x60);
  }
  if (i === start || i - start > 3) return false;
  if (i < e && b[i] === 0x24) i++;
  let row = 0;
  const digits = i;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) return false;
    row = row * 10 + (c - 0x30);
  }
  if (i === digits || i - digits > 7) return false;
  ref.col = col;
  ref.row = row;
  return true;
}

/** Digits only, at most 15 (an exact integer): the index a shared-string cell names, else -1. */
function digitsOf(b: Uint8Array, s: number, e: number): number {
  if (e <= s || e - s > 15) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/**
 * A worksheet on its bytes: the cells, rows and columns it holds are read from positions; a
 * string is made for a cell only when its text holds "@" or "&", or when a shared-string cell's
 * value is not plain digits. Undefined when the part is not plain markup.
 */
function countSheetBytes(b: Buffer, counter: SheetCounter): SheetCounter | undefined {
  let inCell = false;
  let shared = false;
  let flags = 0;
  const runs: number[] = [];
  let nRuns = 0;
  const ok = scanPlainXml(b, {
    open(s, e, tagEnd) {
      if (isLocal(b, s, e, 'c')) {
        let col = 0;
        let row = 0;
        if (findAttr(b, e, tagEnd, 'r')) {
          if (found.amp) {
            const r = cellRef(decodedText(b, found.start, found.end));
            if (r) (col = r.col), (row = r.row);
          } else if (cellRefBytes(b, found.start, found.end)) (col = ref.col), (row = ref.row);
        }
        counter.openCell(col, row);
        shared = findAttr(b, e, tagEnd, 't') && (found.amp ? decodedText(b, found.start, found.end) === 's' : found.end - found.start === 1 && b[found.start] === 0x73);
        inCell = true;
        flags = 0;
        nRuns = 0;
      } else if (isLocal(b, s, e, 'row')) {
        counter.openRow(attrString(b, e, tagEnd, 'r'), attrString(b, e, tagEnd, 'hidden'), attrString(b, e, tagEnd, 'customHeight'), attrString(b, e, tagEnd, 'ht'));
      } else if (isLocal(b, s, e, 'col')) {
        counter.column(attrString(b, e, tagEnd, 'hidden'), attrString(b, e, tagEnd, 'width'), attrString(b, e, tagEnd, 'min'), attrString(b, e, tagEnd, 'max'));
      } else if (isLocal(b, s, e, 'dimension')) counter.dimension(attrString(b, e, tagEnd, 'ref') ?? '');
    },
    text(s, e, f) {
      if (!inCell) return;
      flags |= f;
      runs[nRuns++] = s;
      runs[nRuns++] = e;
    },
    close(s, e) {
      if (!isLocal(b, s, e, 'c')) return;
      inCell = false;
      if (shared && flags === 0 && nRuns === 2) {
        const index = digitsOf(b, runs[0]!, runs[1]!);
        if (index >= 0) return counter.sharedCell(index);
      }
      if (!shared && flags === 0) return; // no "@" and no entity that could spell one
      let text = '';
      for (let k = 0; k < nRuns; k += 2) text += decodedText(b, runs[k]!, runs[k + 1]!);
      if (shared) counter.sharedCell(Number(text.trim()));
      else counter.textCell(text);
    },
  });
  return ok ? counter : undefined;
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
  const sharedUsed = new Set<number>();
  const ssPart = [...wbRels.values()].find((r) => r.type.endsWith('/sharedStrings'))?.target;
  let shared = new Map<number, string[]>();
  if (ssPart) {
    const ss = read(a, ssPart);
    used.add(ssPart);
    if (ss) shared = sharedStringsBytes(ss, domains) ?? sharedStringsXml(ss, domains);
  }

  // Formulas and text formats a program computes on opening (xlsx-computed.ts): the shared strings'
  // texts and the styles are read only for a sheet that needs them.
  const stylesPart = [...wbRels.values()].find((r) => r.type.endsWith('/styles'))?.target;
  const formats = textFormats(stylesPart === undefined ? undefined : read(a, stylesPart));
  let sharedTexts: string[] | undefined;
  const sharedText = (i: number): string | undefined => (sharedTexts ??= sharedStringTexts(ssPart === undefined ? undefined : read(a, ssPart)))[i];

  const units: ScanUnit[] = [];
  for (const sheet of sheets) {
    const xml = read(a, sheet.part);
    used.add(sheet.part);
    if (!xml) continue;
    const state = sheet.state === 'hidden' ? 'hidden-sheet' : sheet.state === 'veryHidden' ? 'very-hidden-sheet' : undefined;
    const counter = () => new SheetCounter(sheet.name, state, shared, domains);
    // The byte reader takes what office programs write; anything else is read by parseXml.
    const counted = countSheetBytes(xml, counter()) ?? countSheetXml(xml, counter());
    for (const i of counted.sharedUsed) sharedUsed.add(i);
    if (formats.size > 0 || holdsFormula(xml)) for (const c of computedCells(xml, sharedText, formats)) counted.computedCell(c.col, c.row, c.text);
    units.push(counted.finish());
  }

  // The rest of the package: strings no sheet uses, comments, pivot caches, external links ...
  const rest: ScanUnit = { location: { sheet: undefined, rest: true }, addresses: new Set(), hiddenAddresses: new Set(), hidden: ['not-in-any-sheet'] };
  for (const [i, list] of shared) if (!sharedUsed.has(i)) for (const addr of list) rest.addresses.add(addr);
  for (const e of entries) {
    // A second entry of a name the workbook read (readers disagree about which copy they show) is read here.
    if ((used.has(e.name) && a.entries.get(e.name) === e) || !/\.(xml|rels|vml)$/i.test(e.name) || /^xl\/(styles|theme\/)/.test(e.name)) continue;
    const xml = xmlAsUtf8(readZipEntry(a.bytes, e, a.budget, MAX_ATTACHMENT_BYTES * 8));
    if (xmlMayHoldAt(xml)) findAddresses(xmlText(xml), rest.addresses);
  }
  for (const addr of rest.addresses) rest.hiddenAddresses.add(addr);
  if (rest.addresses.size > 0) units.push(rest);
  return units;
}
