// The same reading as xml.ts's fast reader (fastXml), on the inflated bytes themselves: events are
// positions, and no string is made unless a handler asks for one. A workbook's sheet and shared
// strings are tens of megabytes of markup in which only the cells holding an "@" matter; turning
// all of it into strings, attribute objects and text slices first was most of the scan's time
// (bench scenario 8: 45 MB of sheet and 25 MB of shared strings). UTF-8 keeps every byte of
// markup ("<", ">", quotes, "=", "&", "@") a single ASCII byte that no multi-byte character
// contains, so positions found on bytes are exact.
//
// Anything this reader does not take as it comes (a comment, CDATA or DOCTYPE, an unquoted or
// unterminated attribute, an unterminated tag, a name that is not plain ASCII) makes it return
// false: the caller then reads the part with parseXml, which is the reference. Tests hold the two
// to the same counts.

import { decodeXmlEntities } from './xml.js';

/** Text-range flags: what a run of text holds, found while looking for its end. */
const HAS_AT = 1;
const HAS_AMP = 2;

export interface ByteXmlHandler {
  /** An opening tag: its name [nameStart, nameEnd), attributes in [nameEnd, tagEnd). */
  open(nameStart: number, nameEnd: number, tagEnd: number, selfClosing: boolean): void;
  close(nameStart: number, nameEnd: number): void;
  /** Text in [start, end); `flags` has HAS_AT and HAS_AMP when it holds "@" (or a fullwidth or small one) or "&". */
  text(start: number, end: number, flags: number): void;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** A byte that may not appear in an attribute name as this reader takes it. */
function badInName(c: number): boolean {
  return c === 0x3c || c === 0x3e || c === 0x22 || c === 0x27 || c === 0x2f || c === 0x3d || c >= 0x80 || isSpace(c);
}

/** Whether [start, end) is an attribute name as this reader takes it (trailing white space allowed). */
function plainName(b: Uint8Array, start: number, end: number): boolean {
  while (end > start && isSpace(b[end - 1]!)) end--;
  if (end === start) return false;
  for (let k = start; k < end; k++) if (badInName(b[k]!)) return false;
  return true;
}

/**
 * Streams plain markup in `b` through `h`. Returns false, possibly after some events, when the
 * document is not plain markup this reader takes as it comes: the caller discards what it got
 * and reads the part with parseXml.
 */
export function scanPlainXml(b: Uint8Array, h: ByteXmlHandler): boolean {
  const n = b.length;
  let i = 0;
  while (i < n) {
    let j = i;
    let flags = 0;
    for (; j < n; j++) {
      const c = b[j]!;
      if (c === 0x3c) break;
      if (c === 0x40) flags |= HAS_AT;
      else if (c === 0x26) flags |= HAS_AMP;
      // A fullwidth or small commercial at in UTF-8 (EF BC A0, EF B9 AB): shown as an "@" too.
      else if (c === 0xef && ((b[j + 1] === 0xbc && b[j + 2] === 0xa0) || (b[j + 1] === 0xb9 && b[j + 2] === 0xab))) flags |= HAS_AT;
    }
    if (j > i) h.text(i, j, flags);
    if (j >= n) return true;
    const lt = j;
    if (lt + 1 >= n) return false;
    const c = b[lt + 1]!;
    if (c === 0x21 /* ! */) return false;
    if (c === 0x3f /* ? */) {
      let k = lt + 2;
      while (k + 1 < n && !(b[k] === 0x3f && b[k + 1] === 0x3e)) k++;
      if (k + 1 >= n) return false;
      i = k + 2;
      continue;
    }
    if (c === 0x2f /* / */) {
      let end = lt + 2;
      while (end < n && b[end] !== 0x3e) end++;
      if (end >= n) return false;
      let s = lt + 2;
      let e = end;
      while (s < e && isSpace(b[s]!)) s++;
      while (e > s && isSpace(b[e - 1]!)) e--;
      for (let k = s; k < e; k++) if (b[k]! >= 0x80) return false;
      h.close(s, e);
      i = end + 1;
      continue;
    }
    // An opening tag: its name, then attributes up to the first ">" outside quotes.
    let k = lt + 1;
    while (k < n) {
      const d = b[k]!;
      if (isSpace(d) || d === 0x3e || d === 0x2f) break;
      if (d >= 0x80) return false;
      k++;
    }
    const nameEnd = k;
    let selfClosing = false;
    for (;;) {
      while (k < n && isSpace(b[k]!)) k++;
      if (k >= n) return false;
      const ch = b[k]!;
      if (ch === 0x3e) {
        k++;
        break;
      }
      if (ch === 0x2f) {
        selfClosing = true;
        k++;
        continue;
      }
      let eq = k;
      while (eq < n && b[eq] !== 0x3d) eq++;
      if (eq >= n || !plainName(b, k, eq)) return false;
      let q = eq + 1;
      while (q < n && isSpace(b[q]!)) q++;
      const quote = b[q];
      if (quote !== 0x22 && quote !== 0x27) return false;
      let close = q + 1;
      while (close < n && b[close] !== quote) close++;
      if (close >= n) return false;
      k = close + 1;
    }
    h.open(lt + 1, nameEnd, k, selfClosing);
    if (selfClosing) h.close(lt + 1, nameEnd);
    i = k;
  }
  return true;
}

/** Whether the element name [start, end) has the local name `local` (after its first ":", as localName). */
export function isLocal(b: Uint8Array, start: number, end: number, local: string): boolean {
  let s = start;
  for (let k = start; k < end; k++) {
    if (b[k] === 0x3a) {
      s = k + 1;
      break;
    }
  }
  if (end - s !== local.length) return false;
  for (let k = 0; k < local.length; k++) if (b[s + k] !== local.charCodeAt(k)) return false;
  return true;
}

/** Set by findAttr: the value's range, and whether it holds "&" (then decode it with attrString). */
export const found = { start: 0, end: 0, amp: false };

function nameIs(b: Uint8Array, start: number, end: number, local: string, prefixed: boolean): boolean {
  while (end > start && isSpace(b[end - 1]!)) end--;
  const len = local.length;
  if (prefixed) {
    if (end - start <= len || b[end - len - 1] !== 0x3a) return false;
  } else if (end - start !== len) return false;
  const s = end - len;
  for (let k = 0; k < len; k++) if (b[s + k] !== local.charCodeAt(k)) return false;
  return true;
}

function findAttrPass(b: Uint8Array, from: number, tagEnd: number, local: string, prefixed: boolean): boolean {
  let k = from;
  let hit = false;
  while (k < tagEnd) {
    const ch = b[k]!;
    if (isSpace(ch) || ch === 0x2f || ch === 0x3e) {
      k++;
      continue;
    }
    let eq = k;
    while (b[eq] !== 0x3d) eq++;
    let q = eq + 1;
    while (isSpace(b[q]!)) q++;
    const quote = b[q];
    let close = q + 1;
    while (b[close] !== quote) close++;
    if (nameIs(b, k, eq, local, prefixed)) {
      found.start = q + 1;
      found.end = close;
      found.amp = false;
      for (let x = q + 1; x < close; x++) if (b[x] === 0x26) found.amp = true;
      // As attr() on an object: the last of an exact name wins, the first prefixed one is taken.
      if (prefixed) return true;
      hit = true;
    }
    k = close + 1;
  }
  return hit;
}

/**
 * Finds attribute `local` of a tag that scanPlainXml accepted (attributes in [from, tagEnd)):
 * an exact name first, else the first `prefix:local`, as attr() does. The range is left in `found`.
 */
export function findAttr(b: Uint8Array, from: number, tagEnd: number, local: string): boolean {
  return findAttrPass(b, from, tagEnd, local, false) || findAttrPass(b, from, tagEnd, local, true);
}

/** The decoded text of [start, end) (entities decoded, as parseXml gives it). */
export function decodedText(b: Buffer, start: number, end: number): string {
  return decodeXmlEntities(b.toString('utf8', start, end));
}

/** An attribute value as parseXml gives it, or undefined when the tag does not have it. */
export function attrString(b: Buffer, from: number, tagEnd: number, local: string): string | undefined {
  return findAttr(b, from, tagEnd, local) ? decodedText(b, found.start, found.end) : undefined;
}
