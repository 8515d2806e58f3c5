// Text a spreadsheet program computes when it opens a workbook, which the cells as written do not
// hold: a formula that joins cells and literals (`A2&"@"&B2`, CONCATENATE, CONCAT, TEXTJOIN,
// LOWER, UPPER, TRIM; shared formulas included), evaluated whatever value it caches (a program
// recalculates a workbook written without one, and Excel one written by another program), and a
// number format that writes literal text around a text cell (`@"@acme.com"` on cells holding local
// parts). Read only where a sheet has a formula or the workbook such a format; a formula of any
// other shape is not evaluated (its cached value is read as the cell's text, as before).
//
// Written here rather than taken from a formula library (fast-formula-parser, formulajs,
// HyperFormula) or a format library (SheetJS's SSF): the check is synchronous in every adapter and
// must stay bounded on hostile input, so it evaluates only this text subset and refuses the rest;
// the general evaluators run every function with no bound on the text a formula builds, add
// hundreds of KB to the check bundle, and HyperFormula is GPL. SSF is no longer published to npm.

import { attr, localName, parseXml } from './xml.js';
import { cellRef } from './xlsx.js';

/** Formula cells evaluated per sheet, and how deep one formula may follow others. */
const MAX_FORMULAS = 100_000;
const MAX_DEPTH = 8;
/** The longest text a formula gives: Excel's limit on a cell's text (a longer result is #VALUE!). */
const MAX_CELL_TEXT = 32_767;
/** Cells read per sheet by references and ranges, text computed per sheet, and cells kept: a
 * workbook of 100 KB whose 20,000 formulas each join a range of 27-KB strings took 4 GB and ended
 * the process before these bounds. Past them the rest of the sheet is not computed. */
const MAX_CELL_READS = 2_000_000;
const MAX_COMPUTED_CHARS = 16 * 1024 * 1024;
const MAX_CELLS = 1_000_000;

/** `parts` joined by `separator`, or undefined when the text would pass MAX_CELL_TEXT (measured before it is made). */
function joinedWithin(parts: readonly string[], separator: string): string | undefined {
  let length = parts.length > 0 ? separator.length * (parts.length - 1) : 0;
  for (const p of parts) if ((length += p.length) > MAX_CELL_TEXT) return undefined;
  return parts.join(separator);
}

interface Cell {
  /** The value as written (a shared string's text, an inline string, a number). */
  value: string;
  formula?: { text: string; row: number; col: number };
  style?: number;
  /** A string (shared, inline or a formula's), not a number: a format's text section applies. */
  isText: boolean;
}

interface Ref {
  col: number;
  row: number;
  absCol: boolean;
  absRow: boolean;
}

type Token = { k: 'str'; v: string } | { k: 'ref'; a: Ref; b?: Ref } | { k: 'fn'; v: string } | { k: 'op'; v: string };

const TOKEN = /\s*(?:"((?:[^"]|"")*)"|(\$?[A-Za-z]{1,3}\$?\d{1,7})(?::(\$?[A-Za-z]{1,3}\$?\d{1,7}))?(?![\w(!.])|((?:_xlfn\.)?[A-Za-z][A-Za-z0-9.]*)\(|(-?\d+(?:\.\d+)?)|([&,()])|(TRUE|FALSE)(?![\w(]))/yi;

function parseRef(s: string): Ref | undefined {
  const r = cellRef(s.replace(/\$/g, ''));
  if (!r) return undefined;
  const absCol = s.startsWith('$');
  const absRow = s.indexOf('$', 1) !== -1;
  return { col: r.col, row: r.row, absCol, absRow };
}

/** The tokens of a formula of the shapes evaluated, or undefined. */
function tokenize(formula: string): Token[] | undefined {
  const text = formula.startsWith('=') ? formula.slice(1) : formula;
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (m === null || m[0].length === 0) return /^\s*$/.test(text.slice(at)) ? out : undefined;
    if (m[1] !== undefined) out.push({ k: 'str', v: m[1].replace(/""/g, '"') });
    else if (m[2] !== undefined) {
      const a = parseRef(m[2]);
      const b = m[3] === undefined ? undefined : parseRef(m[3]);
      if (!a || (m[3] !== undefined && !b)) return undefined;
      out.push(b ? { k: 'ref', a, b } : { k: 'ref', a });
    } else if (m[4] !== undefined) out.push({ k: 'fn', v: m[4].toUpperCase().replace(/^_XLFN\./, '') });
    else if (m[5] !== undefined) out.push({ k: 'str', v: m[5] });
    else if (m[6] !== undefined) out.push({ k: 'op', v: m[6] });
    else out.push({ k: 'str', v: m[7]!.toUpperCase() });
  }
  return out;
}

const FUNCTIONS = new Set(['CONCATENATE', 'CONCAT', 'TEXTJOIN', 'LOWER', 'UPPER', 'TRIM', 'T']);

/** The sheet's cells, and an evaluator of their formulas. */
class Sheet {
  readonly cells = new Map<number, Cell>();
  private evaluated = 0;
  private reads = 0;

  key(col: number, row: number): number {
    return row * 16384 + col;
  }

  /** A cell's text as the program shows it: its formula's result where evaluated, else its value. */
  text(col: number, row: number, depth: number): string | undefined {
    if (++this.reads > MAX_CELL_READS) return undefined;
    const c = this.cells.get(this.key(col, row));
    if (c === undefined) return '';
    if (c.formula === undefined) return c.value;
    if (depth >= MAX_DEPTH) return undefined;
    return this.evaluate(c.formula.text, row - c.formula.row, col - c.formula.col, depth + 1);
  }

  /** A formula's text result, its references moved by (dRow, dCol) (a shared formula's cell), or undefined. */
  evaluate(formula: string, dRow: number, dCol: number, depth = 0): string | undefined {
    if (++this.evaluated > MAX_FORMULAS) return undefined;
    const tokens = tokenize(formula);
    if (!tokens) return undefined;
    let i = 0;
    const at = (r: Ref): { col: number; row: number } => ({ col: r.absCol ? r.col : r.col + dCol, row: r.absRow ? r.row : r.row + dRow });
    const range = (t: Extract<Token, { k: 'ref' }>): string[] | undefined => {
      const a = at(t.a);
      const b = t.b ? at(t.b) : a;
      if ((Math.abs(b.row - a.row) + 1) * (Math.abs(b.col - a.col) + 1) > 1000) return undefined;
      const out: string[] = [];
      for (let r = Math.min(a.row, b.row); r <= Math.max(a.row, b.row); r++) {
        for (let c = Math.min(a.col, b.col); c <= Math.max(a.col, b.col); c++) {
          const v = this.text(c, r, depth);
          if (v === undefined) return undefined;
          out.push(v);
        }
      }
      return out;
    };
    /** One argument: a list of texts (a range gives several). */
    const arg = (): string[] | undefined => {
      const t = tokens[i];
      const next = tokens[i + 1];
      if (t?.k === 'ref' && (next === undefined || (next.k === 'op' && (next.v === ',' || next.v === ')')))) {
        i++;
        return range(t);
      }
      const v = expr();
      return v === undefined ? undefined : [v];
    };
    const term = (): string | undefined => {
      const t = tokens[i++];
      if (t === undefined) return undefined;
      if (t.k === 'str') return t.v;
      if (t.k === 'ref') {
        if (t.b) return undefined;
        const p = at(t.a);
        return this.text(p.col, p.row, depth);
      }
      if (t.k === 'op') {
        if (t.v !== '(') return undefined;
        const v = expr();
        return tokens[i++]?.k === 'op' && (tokens[i - 1] as { v: string }).v === ')' ? v : undefined;
      }
      if (!FUNCTIONS.has(t.v)) return undefined;
      const args: string[][] = [];
      if (!(tokens[i]?.k === 'op' && (tokens[i] as { v: string }).v === ')')) {
        for (;;) {
          const a = arg();
          if (a === undefined) return undefined;
          args.push(a);
          const sep = tokens[i++];
          if (sep?.k !== 'op') return undefined;
          if (sep.v === ')') break;
          if (sep.v !== ',') return undefined;
        }
      } else i++;
      const flat = args.flat();
      switch (t.v) {
        case 'CONCATENATE':
        case 'CONCAT':
          return joinedWithin(flat, '');
        case 'TEXTJOIN': {
          const [delim, ignore, ...rest] = args;
          if (delim?.length !== 1 || ignore === undefined) return undefined;
          const skip = /^(?:true|1)$/i.test(ignore[0] ?? '');
          return joinedWithin(rest.flat().filter((v) => !skip || v !== ''), delim[0]!);
        }
        case 'LOWER':
          return flat.length === 1 ? flat[0]!.toLowerCase() : undefined;
        case 'UPPER':
          return flat.length === 1 ? flat[0]!.toUpperCase() : undefined;
        case 'TRIM':
          return flat.length === 1 ? flat[0]!.trim().replace(/ {2,}/g, ' ') : undefined;
        default:
          return flat.length === 1 ? flat[0] : undefined;
      }
    };
    const expr = (): string | undefined => {
      let v = term();
      while (v !== undefined && tokens[i]?.k === 'op' && (tokens[i] as { v: string }).v === '&') {
        i++;
        const w = term();
        v = w === undefined || v.length + w.length > MAX_CELL_TEXT ? undefined : v + w;
      }
      return v;
    };
    const v = expr();
    return i === tokens.length ? v : undefined;
  }
}

/**
 * The texts of a workbook's cell styles whose number format writes literal text around a text
 * cell: style index -> the format's text section (`@"@acme.com"`), read from xl/styles.xml.
 */
export function textFormats(stylesXml: Buffer | undefined): Map<number, FormatToken[]> {
  const out = new Map<number, FormatToken[]>();
  if (!stylesXml || stylesXml.indexOf('@') === -1) return out;
  const codes = new Map<string, string>();
  let inCellXfs = false;
  let xf = -1;
  parseXml(stylesXml, {
    onopentag(name, attrs) {
      const n = localName(name);
      if (n === 'numFmt') {
        const id = attr(attrs, 'numFmtId');
        const code = attr(attrs, 'formatCode');
        if (id !== undefined && code !== undefined) codes.set(id, code);
      } else if (n === 'cellXfs') inCellXfs = true;
      else if (n === 'xf' && inCellXfs) {
        xf++;
        const section = textSection(codes.get(attr(attrs, 'numFmtId') ?? '') ?? '');
        if (section !== undefined) out.set(xf, section);
      }
    },
    onclosetag(name) {
      if (localName(name) === 'cellXfs') inCellXfs = false;
    },
  });
  return out;
}

/** One piece of a number format code: text written as it is (quoted, or one escaped character), or one format character. */
type FormatToken = { literal: string } | { char: string };

const isChar = (t: FormatToken, c: string): boolean => 'char' in t && t.char === c;

/** A format code's pieces: `"..."` and `\x` are literal text, every other character its own token. */
function formatTokens(code: string): FormatToken[] {
  const out: FormatToken[] = [];
  for (let i = 0; i < code.length; i++) {
    const ch = code[i]!;
    if (ch === '"') {
      const end = code.indexOf('"', i + 1);
      const stop = end === -1 ? code.length : end;
      out.push({ literal: code.slice(i + 1, stop) });
      i = stop;
    } else if (ch === '\\') out.push({ literal: code[++i] ?? '' });
    else out.push({ char: ch });
  }
  return out;
}

/** A format code's section for text (the fourth, or the only one when it has an "@"), when it writes literal text beside the "@". */
function textSection(code: string): FormatToken[] | undefined {
  const sections: FormatToken[][] = [[]];
  for (const t of formatTokens(code)) {
    if (isChar(t, ';')) sections.push([]);
    else sections[sections.length - 1]!.push(t);
  }
  const holdsAt = (section: FormatToken[]) => section.some((t) => isChar(t, '@'));
  const section = sections.length >= 4 ? sections[3]! : sections.length === 1 && holdsAt(sections[0]!) ? sections[0]! : undefined;
  if (section === undefined || renderText(section, '') === '') return undefined;
  return section;
}

/** A text section applied to a cell's text: "@" is the text, literal text is written as it is. */
function renderText(section: readonly FormatToken[], text: string): string {
  let out = '';
  for (let i = 0; i < section.length; i++) {
    const t = section[i]!;
    if ('literal' in t) out += t.literal;
    else if (t.char === '@') out += text;
    else if (t.char === '_' || t.char === '*') i++; // a space the width of the next character; a fill
    else if (t.char === '[') i = Math.max(i, section.findIndex((u, k) => k > i && isChar(u, ']'))); // a colour or condition
    else out += t.char;
  }
  return out;
}

/** Whether a worksheet's markup holds a formula (`<f>`, `<f t="shared" .../>`, any prefix). */
export function holdsFormula(xml: Buffer): boolean {
  return xml.indexOf('<f>') !== -1 || xml.indexOf('<f ') !== -1 || xml.indexOf(':f>') !== -1 || xml.indexOf(':f ') !== -1;
}

/**
 * The texts a program computes for a worksheet's cells (cell reference and text): formulas of the
 * shapes above, and text cells in a style whose format writes literal text. `shared` gives a
 * shared string's text by index.
 */
export function computedCells(xml: Buffer, shared: (index: number) => string | undefined, formats: Map<number, FormatToken[]>): Array<{ col: number; row: number; text: string }> {
  const sheet = new Sheet();
  const masters = new Map<string, { text: string; row: number; col: number }>();
  let row = 0;
  let col = 0;
  let type = '';
  let style: number | undefined;
  let inValue = false;
  let inFormula = false;
  let value = '';
  let formulaText = '';
  let formulaShared: string | undefined;
  let formulaOpen = false;
  parseXml(xml, {
    onopentag(name, attrs) {
      switch (localName(name)) {
        case 'row': {
          const n = Number(attr(attrs, 'r'));
          row = Number.isInteger(n) && n > 0 ? n : row + 1;
          col = 0;
          break;
        }
        case 'c': {
          const r = cellRef(attr(attrs, 'r') ?? '');
          if (r) (col = r.col), (row = r.row);
          else col++;
          type = attr(attrs, 't') ?? '';
          const s = attr(attrs, 's');
          style = s === undefined ? undefined : Number(s);
          value = '';
          formulaOpen = false;
          formulaText = '';
          formulaShared = undefined;
          break;
        }
        case 'v':
        case 't':
          inValue = true;
          break;
        case 'f':
          inFormula = true;
          formulaOpen = true;
          formulaText = '';
          formulaShared = attr(attrs, 't') === 'shared' ? (attr(attrs, 'si') ?? '') : undefined;
          break;
      }
    },
    ontext(t) {
      if (inFormula) formulaText += t;
      else if (inValue) value += t;
    },
    onclosetag(name) {
      switch (localName(name)) {
        case 'v':
        case 't':
          inValue = false;
          break;
        case 'f':
          inFormula = false;
          break;
        case 'c': {
          const cell: Cell = { value: type === 's' ? (shared(Number(value.trim())) ?? '') : value, isText: type === 's' || type === 'inlineStr' || type === 'str' };
          if (style !== undefined && formats.has(style)) cell.style = style;
          if (formulaOpen) {
            if (formulaShared !== undefined && formulaText.trim() === '') {
              const m = masters.get(formulaShared);
              if (m) cell.formula = m;
            } else {
              cell.formula = { text: formulaText, row, col };
              if (formulaShared !== undefined) masters.set(formulaShared, cell.formula);
            }
          }
          if (sheet.cells.size >= MAX_CELLS) break;
          if (cell.formula !== undefined || cell.style !== undefined) sheet.cells.set(sheet.key(col, row), cell);
          else if (cell.value !== '') sheet.cells.set(sheet.key(col, row), cell);
          break;
        }
      }
    },
  });
  const out: Array<{ col: number; row: number; text: string }> = [];
  let computed = 0;
  for (const [key, cell] of sheet.cells) {
    if (computed > MAX_COMPUTED_CHARS) break;
    if (cell.formula === undefined && cell.style === undefined) continue;
    const c = key % 16384;
    const r = Math.floor(key / 16384);
    let text = cell.formula === undefined ? cell.value : sheet.evaluate(cell.formula.text, r - cell.formula.row, c - cell.formula.col);
    if (text === undefined) continue;
    computed += text.length;
    // A number format's text section applies to text (a formula's text result too), not to numbers.
    if (cell.style !== undefined && (cell.formula !== undefined || cell.isText)) text = renderText(formats.get(cell.style)!, text);
    if (text.includes('@')) out.push({ col: c, row: r, text });
  }
  return out;
}
