// The header as a milter sees it (one name/value pair per SMFIC_HEADER packet), rebuilt into
// message bytes, and the header edits (SMFIR_CHGHEADER / SMFIR_INSHEADER) that turn it into the
// header of the bytes the decision wants sent. Pure.
//
// How Postfix applies edits (cleanup_milter.c, checked against Postfix 3.7 in tests/milter):
// - Postfix does not show its own Received field (the first field of the queue file) to milters.
// - CHGHEADER index n changes or, with an empty value, deletes the n-th field of that name
//   (case-insensitive) among the fields milters see; a missing one is appended instead.
// - INSHEADER index k inserts after the first k fields of the queue file, its own Received
//   counted: k = 1 + the number of visible fields before the new one.
// - With SMFIP_HDR_LEADSPC the value is exactly what follows the colon (leading space included)
//   in both directions; without it Postfix drops one leading space and adds one back. Folded
//   values use a bare LF before the continuation white space.

import { readHeaderBlock } from '../message/header-block.js';
import type { MilterReply } from './codec.js';

export interface MilterField {
  name: string;
  /** As the MTA sends it: latin1, folding line breaks as LF. */
  value: string;
}

export type HeaderEdit = Extract<MilterReply, { kind: 'chgheader' } | { kind: 'insheader' }>;

/** Fields the MTA keeps above those it shows (Postfix: its own Received field). */
export const POSTFIX_HIDDEN_FIELDS = 1;

/** Edits further apart than this are not a rewrite of recipient fields: refused as an error. */
const MAX_EDIT_DISTANCE = 2000;

/** One field as message bytes (latin1 string), CRLF line ends. */
export function fieldText(f: MilterField, leadingSpace: boolean): string {
  const value = f.value.replace(/\r?\n/g, '\r\n');
  if (leadingSpace) return `${f.name}:${value}\r\n`;
  return value === '' ? `${f.name}:\r\n` : `${f.name}: ${value}\r\n`;
}

/** The header block (without the blank line) rebuilt from the MTA's fields. */
export function headerBytes(fields: readonly MilterField[], leadingSpace: boolean): Buffer {
  return Buffer.from(fields.map((f) => fieldText(f, leadingSpace)).join(''), 'latin1');
}

/** The header fields of message bytes, as field texts (latin1, line ends as in the bytes). */
function fieldTexts(bytes: Uint8Array): string[] {
  const header = readHeaderBlock(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return header.fields.map((f) => buf.toString('latin1', f.start, f.end));
}

/** A field text back into the MTA's name/value form. */
function toMilterField(text: string, leadingSpace: boolean): MilterField {
  const colon = text.indexOf(':');
  const name = text.slice(0, colon);
  let value = text.slice(colon + 1).replace(/\r?\n$/, '').replace(/\r\n/g, '\n');
  if (!leadingSpace && value.startsWith(' ')) value = value.slice(1);
  return { name, value };
}

type Op = { op: 'keep' | 'del' | 'ins'; a: number; b: number };

/** Myers' O((N+M)D) diff of two string lists, as keep/del/ins steps. Undefined past maxD. */
function diff(a: readonly string[], b: readonly string[], maxD: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break outer;
      }
    }
  }
  if (found === -1) return undefined;
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const snap = trace[d]!;
    const at = (k: number) => snap[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ op: 'keep', a: --x, b: --y });
    if (d > 0) {
      if (x === prevX) ops.push({ op: 'ins', a: x, b: --y });
      else ops.push({ op: 'del', a: --x, b: y });
    }
  }
  return ops.reverse();
}

/**
 * The edits that turn the MTA's header (`original`) into the header of `target` (whole message
 * bytes whose header was derived from `headerBytes(original)`). Undefined when they cannot be
 * expressed (the header could not be matched field by field).
 */
export function planHeaderEdits(original: readonly MilterField[], target: Uint8Array, leadingSpace: boolean): HeaderEdit[] | undefined {
  const a = original.map((f) => fieldText(f, leadingSpace));
  const b = fieldTexts(target);
  const ops = diff(a, b, MAX_EDIT_DISTANCE);
  if (!ops) return undefined;
  // Hunks: a run of deletions and insertions between kept fields.
  interface Hunk { aStart: number; dels: number[]; ins: number[] }
  const hunks: Hunk[] = [];
  let current: Hunk | undefined;
  let aPos = 0;
  for (const o of ops) {
    if (o.op === 'keep') {
      current = undefined;
      aPos = o.a + 1;
      continue;
    }
    if (!current) {
      current = { aStart: aPos, dels: [], ins: [] };
      hunks.push(current);
    }
    if (o.op === 'del') current.dels.push(o.a);
    else current.ins.push(o.b);
  }
  const lower = (s: string) => s.toLowerCase();
  const nameIndex = (i: number): number => {
    const key = lower(original[i]!.name);
    let n = 0;
    for (let j = 0; j <= i; j++) if (lower(original[j]!.name) === key) n++;
    return n;
  };
  const edits: HeaderEdit[] = [];
  // Bottom-up, so each edit's index is still the one counted on the original header.
  for (const h of [...hunks].reverse()) {
    const wanted = h.ins.map((bi) => toMilterField(b[bi]!, leadingSpace));
    // Pair each new field with the next deleted field of the same name, in order: a change in place.
    const pairedDel = new Map<number, number>();
    let from = 0;
    wanted.forEach((w, wi) => {
      for (let di = from; di < h.dels.length; di++) {
        if (lower(original[h.dels[di]!]!.name) === lower(w.name)) {
          pairedDel.set(di, wi);
          from = di + 1;
          return;
        }
      }
    });
    const pairedIns = new Set(pairedDel.values());
    for (let di = h.dels.length - 1; di >= 0; di--) {
      const ai = h.dels[di]!;
      const wi = pairedDel.get(di);
      const name = wi === undefined ? original[ai]!.name : wanted[wi]!.name;
      const value = wi === undefined ? '' : wanted[wi]!.value;
      if (wi !== undefined && value === '') return undefined; // an empty value would delete it
      edits.push({ kind: 'chgheader', index: nameIndex(ai), name, value });
    }
    wanted.forEach((w, wi) => {
      if (pairedIns.has(wi)) return;
      edits.push({ kind: 'insheader', index: POSTFIX_HIDDEN_FIELDS + h.aStart + wi, name: w.name, value: w.value });
    });
  }
  return edits;
}

/** Applies edits as Postfix does (see the top of this file): the header the MTA will hold. */
export function applyHeaderEdits(fields: readonly MilterField[], edits: readonly HeaderEdit[]): MilterField[] {
  const out = fields.map((f) => ({ ...f }));
  for (const e of edits) {
    if (e.kind === 'chgheader') {
      const key = e.name.toLowerCase();
      let n = 0;
      const at = out.findIndex((f) => f.name.toLowerCase() === key && ++n === Math.max(1, e.index));
      if (at === -1) {
        if (e.value !== '') out.push({ name: e.name, value: e.value });
      } else if (e.value === '') out.splice(at, 1);
      else out[at] = { name: e.name, value: e.value };
    } else {
      const at = Math.min(out.length, Math.max(0, e.index - POSTFIX_HIDDEN_FIELDS));
      out.splice(at, 0, { name: e.name, value: e.value });
    }
  }
  return out;
}

/** Whether `target`'s header block is exactly `headerBytes(fields)` (its body is not compared).
 * `mine`, when the caller has it, is that `headerBytes(fields, leadingSpace)` already built. Only
 * where the header ends is read of `target` (no field texts: this runs for every message). */
export function sameHeader(fields: readonly MilterField[], target: Uint8Array, leadingSpace: boolean, mine: Buffer = headerBytes(fields, leadingSpace)): boolean {
  const { headerEnd } = readHeaderBlock(target);
  return headerEnd === mine.length && Buffer.from(target.buffer, target.byteOffset, headerEnd).equals(mine);
}
