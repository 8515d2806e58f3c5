// Delimits and reads the header block of an RFC 5322 message, byte-exact and without touching
// the body. Offsets are byte offsets into the input, so the rewrite step can splice fields
// while keeping every other byte (line ends included) as it was.

import {
  MAX_FIELD_BYTES,
  MAX_HEADER_BLOCK_BYTES,
  MAX_HEADER_FIELDS,
  MAX_HEADER_LINE_BYTES,
} from '../limits.js';

export type LineEnding = 'crlf' | 'lf' | 'cr' | 'mixed' | 'none';

export interface HeaderField {
  /** The field name as written (case kept, trailing white space removed). */
  name: string;
  /** Lower-cased name, for lookups. */
  key: string;
  /** The raw value after the colon, folding line breaks kept, as a latin1 string (1 char = 1 byte). */
  rawValue: string;
  /** 1-based line of the field's first line, counted in the message's own bytes. */
  line: number;
  /** Byte offset of the field's first byte. */
  start: number;
  /** Byte offset just past the field's last line ending. */
  end: number;
  /** White space stood between the name and the colon (obsolete syntax that parsers read differently). */
  spaceBeforeColon: boolean;
}

export type HeaderProblemKind =
  | 'line-without-colon'
  | 'whitespace-only-line'
  | 'leading-continuation'
  | 'bad-field-name'
  | 'line-too-long'
  | 'field-too-long'
  | 'header-too-large'
  | 'too-many-fields'
  | 'foreign-line-break'
  | 'mixed-line-ends';

export interface HeaderProblem {
  kind: HeaderProblemKind;
  line: number;
  /** For foreign-line-break: which character (`CR`, `LF`, `VT`, `FF`, `FS`, `GS`, `RS`, `U+0085`, `U+2028`, `U+2029`). */
  detail?: string;
  /** For line-without-colon and bad-field-name: the byte offset where that line starts. */
  offset?: number;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** What makes the header block unsafe to read: the first occurrence of each kind, in order. */
  problems: HeaderProblem[];
  /** Byte offset where the header fields start (after a BOM and an mbox `From ` line). */
  fieldsStart: number;
  /** Byte offset of the blank line that ends the header block (== bodyStart when there is none). */
  headerEnd: number;
  /** Byte offset of the first body byte (after the blank line). */
  bodyStart: number;
  /** A blank line ended the header block (false: the input ended inside the header). */
  hasBlankLine: boolean;
  /** The line ending used by the header block. */
  lineEnding: LineEnding;
  /** The leading mbox `From ` line, if there was one (latin1). */
  mboxFromLine?: string;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

const FROM_LINE = Buffer.from('From ', 'latin1');
// Needles as bytes: a string needle is converted again on every search (bench scenario 1).
const LF_LF = Buffer.from('\n\n', 'latin1');
const LF_CRLF = Buffer.from('\n\r\n', 'latin1');

/** Whether the header block of `bytes` uses CR-only line endings (classic Mac OS files). */
export function usesCrOnly(bytes: Uint8Array): boolean {
  const limit = Math.min(bytes.length, MAX_HEADER_LINE_BYTES);
  for (let i = 0; i < limit; i++) {
    const c = bytes[i];
    if (c === LF) return false;
    if (c === CR) {
      if (bytes[i + 1] === LF) return false;
      // A bare CR first; CR-only only if no LF shows up in the header region at all.
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const lf = buf.indexOf(LF);
      const blank = buf.indexOf('\r\r', i, 'latin1');
      return lf === -1 || (blank !== -1 && lf > blank);
    }
  }
  return false;
}

/**
 * Whether an mbox `From ` envelope line starts at `pos`: `From ` that does not read as a header
 * field. `From : a@x, b@y` (white space before the colon, obsolete syntax RFC 5322 4.5 allows) is
 * skipped as an envelope line by Python's email package, mailparser and Postfix's sendmail, yet an
 * SMTP server (Postfix's cleanup, Gmail) reads it as the From field and shows its authors: it is
 * read, and relayed, as the field it may be, never dropped unread.
 */
export function envelopeLineAt(buf: Buffer, pos: number): boolean {
  // Compared in place: an indexOf would search the whole message when it does not start so.
  if (buf.length - pos < FROM_LINE.length || buf.compare(FROM_LINE, 0, FROM_LINE.length, pos, pos + FROM_LINE.length) !== 0) return false;
  let i = pos + FROM_LINE.length;
  while (buf[i] === SP || buf[i] === HT) i++;
  return buf[i] !== COLON;
}

/**
 * Where the mbox `From ` line starting at `pos` ends: its content end and the next line's start.
 * The line ends at the first LF, CRLF or bare CR: a CR-only (classic Mac OS) mbox has no LF at
 * all, and reading up to the next LF would swallow the whole header block as the `From ` line.
 */
function fromLineEnd(buf: Buffer, pos: number): { contentEnd: number; next: number } {
  const lf = buf.indexOf(LF, pos);
  const end = lf === -1 ? buf.length : lf;
  const cr = buf.subarray(pos, end).indexOf(CR);
  if (cr !== -1 && pos + cr + 1 < end) return { contentEnd: pos + cr, next: pos + cr + 1 };
  if (lf === -1) return cr !== -1 ? { contentEnd: pos + cr, next: buf.length } : { contentEnd: buf.length, next: buf.length };
  return { contentEnd: buf[lf - 1] === CR && lf - 1 >= pos ? lf - 1 : lf, next: lf + 1 };
}

/**
 * Finds where the header block ends without parsing it: the offset of the first body byte, or
 * -1 if no blank line occurs in `bytes` yet. Used by readers that load only the header block.
 */
export function locateBodyStart(bytes: Uint8Array): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let skip = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) skip = 3;
  if (envelopeLineAt(buf, skip)) {
    const { next } = fromLineEnd(buf, skip);
    if (next >= buf.length) return -1;
    skip = next;
  }
  if (buf[skip] === LF) return skip + 1;
  if (buf[skip] === CR && buf[skip + 1] === LF) return skip + 2;
  if (usesCrOnly(buf.subarray(skip))) {
    if (buf[skip] === CR) return skip + 1;
    const i = buf.indexOf('\r\r', skip, 'latin1');
    return i === -1 ? -1 : i + 2;
  }
  const a = buf.indexOf(LF_LF, skip);
  const b = buf.indexOf(LF_CRLF, skip);
  if (a === -1 && b === -1) return -1;
  if (b === -1 || (a !== -1 && a < b)) return a + 2;
  return b + 3;
}

/** Reads the header block of a message. Never throws; problems are reported, not repaired. */
export function readHeaderBlock(bytes: Uint8Array): HeaderBlock {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: HeaderField[] = [];
  const problems: HeaderProblem[] = [];
  // The first occurrence of each kind only: a header of a million bad lines must not become a
  // million problem objects (or a quadratic search through them).
  const reported = new Set<HeaderProblemKind>();
  const report = (kind: HeaderProblemKind, line: number, offset?: number) => {
    if (reported.has(kind)) return;
    reported.add(kind);
    problems.push(offset === undefined ? { kind, line } : { kind, line, offset });
  };
  let pos = 0;
  let line = 1;
  let mboxFromLine: string | undefined;

  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
  if (envelopeLineAt(buf, pos)) {
    const { contentEnd, next } = fromLineEnd(buf, pos);
    mboxFromLine = buf.toString('latin1', pos, contentEnd);
    pos = next;
    line++;
  }
  const fieldsStart = pos;
  const crOnly = usesCrOnly(buf.subarray(pos));
  const terminator = crOnly ? CR : LF;
  let sawCrlf = false;
  let sawLf = false;

  let current: HeaderField | undefined;
  let currentValueStart = 0;
  let currentContentEnd = 0;
  let headerEnd = buf.length;
  let bodyStart = buf.length;
  let hasBlankLine = false;

  const closeField = () => {
    if (!current) return;
    current.rawValue = buf.toString('latin1', currentValueStart, currentContentEnd);
    if (current.end - current.start > MAX_FIELD_BYTES) report('field-too-long', current.line);
    current = undefined;
  };

  while (pos < buf.length) {
    if (pos - fieldsStart > MAX_HEADER_BLOCK_BYTES) {
      report('header-too-large', line);
      closeField();
      headerEnd = bodyStart = pos;
      break;
    }
    const lineStart = pos;
    const nl = buf.indexOf(terminator, pos);
    const lineEnd = nl === -1 ? buf.length : nl;
    let contentEnd = lineEnd;
    if (!crOnly && nl !== -1) {
      if (contentEnd > lineStart && buf[contentEnd - 1] === CR) {
        contentEnd--;
        sawCrlf = true;
      } else {
        sawLf = true;
      }
    }
    const next = nl === -1 ? buf.length : nl + 1;
    if (contentEnd - lineStart > MAX_HEADER_LINE_BYTES) report('line-too-long', line);

    if (contentEnd === lineStart) {
      // The blank line: end of the header block.
      closeField();
      headerEnd = lineStart;
      bodyStart = next;
      hasBlankLine = nl !== -1;
      break;
    }

    const first = buf[lineStart];
    if (first === SP || first === HT) {
      let allSpace = true;
      for (let i = lineStart; i < contentEnd; i++) {
        const c = buf[i];
        if (c !== SP && c !== HT) {
          allSpace = false;
          break;
        }
      }
      if (allSpace) report('whitespace-only-line', line);
      if (!current) {
        if (!allSpace) report('leading-continuation', line);
      } else {
        current.end = next;
        currentContentEnd = contentEnd;
      }
    } else {
      closeField();
      // Search this line only: an unbounded indexOf scans on to the next colon in the buffer,
      // which made a header of many colon-less lines quadratic. (The colon of a real field is a
      // few bytes in, so a plain loop is also the fastest way.)
      let colon = lineStart;
      while (colon < contentEnd && buf[colon] !== COLON) colon++;
      if (colon === contentEnd) {
        report('line-without-colon', line, lineStart);
      } else {
        let nameEnd = colon;
        while (nameEnd > lineStart && (buf[nameEnd - 1] === SP || buf[nameEnd - 1] === HT)) nameEnd--;
        let validName = nameEnd > lineStart;
        for (let i = lineStart; i < nameEnd && validName; i++) {
          const c = buf[i]!;
          if (c < 33 || c > 126) validName = false;
        }
        if (!validName) {
          report('bad-field-name', line, lineStart);
        } else if (fields.length >= MAX_HEADER_FIELDS) {
          report('too-many-fields', line);
        } else {
          const name = buf.toString('latin1', lineStart, nameEnd);
          current = {
            name,
            key: name.toLowerCase(),
            rawValue: '',
            line,
            start: lineStart,
            end: next,
            spaceBeforeColon: nameEnd !== colon,
          };
          currentValueStart = colon + 1;
          currentContentEnd = contentEnd;
          fields.push(current);
        }
      }
    }
    pos = next;
    line++;
  }
  closeField();

  const foreign = findForeignLineBreak(buf, fieldsStart, headerEnd, crOnly, sawCrlf);
  if (foreign) {
    // The line of the field (or stray line) that holds it: fields are in order, so the last one
    // starting at or before the offset; otherwise count the line ends up to it (once, on failure).
    let at = -1;
    for (let i = fields.length - 1; i >= 0; i--) {
      if (fields[i]!.start <= foreign.offset) {
        if (fields[i]!.end > foreign.offset) at = fields[i]!.line;
        break;
      }
    }
    if (at === -1) {
      at = (mboxFromLine !== undefined ? 2 : 1);
      for (let i = fieldsStart; i < foreign.offset; i++) if (buf[i] === terminator) at++;
    }
    problems.push({ kind: 'foreign-line-break', line: at, detail: foreign.detail });
  }
  // A header read on CR-only line ends, with an LF after it: software that splits lines on LF
  // (Postfix's sendmail, nodemailer's stream and sendmail transports, which delete every CR)
  // reads one long first line and then the LF lines as header fields: a "Cc:" line that is body
  // here is a header field there. Which fields the message has is ambiguous: fail closed.
  if (crOnly) {
    const lf = buf.indexOf(LF, headerEnd);
    if (lf !== -1) {
      let at = mboxFromLine !== undefined ? 2 : 1;
      for (let i = fieldsStart; i < lf; i++) if (buf[i] === CR) at++;
      problems.push({ kind: 'mixed-line-ends', line: at });
    }
  }

  let lineEnding: LineEnding = 'none';
  if (crOnly) lineEnding = 'cr';
  else if (sawCrlf && sawLf) lineEnding = 'mixed';
  else if (sawCrlf) lineEnding = 'crlf';
  else if (sawLf) lineEnding = 'lf';

  const block: HeaderBlock = { fields, problems, fieldsStart, headerEnd, bodyStart, hasBlankLine, lineEnding };
  if (mboxFromLine !== undefined) block.mboxFromLine = mboxFromLine;
  readFrom.set(block, bytes);
  return block;
}

/** The bytes each header block was read from (see isHeaderOf). */
const readFrom = new WeakMap<HeaderBlock, Uint8Array>();

/**
 * Whether `header` is readHeaderBlock's reading of `bytes`: read from these very bytes, or from
 * bytes equal to them (a copy, a string given again). A block read from another message (one
 * before an edit) or built by hand is not: its offsets and values describe other bytes, and a
 * check or a Bcc strip made with it reads or cuts the wrong ones. The library's entry points
 * that take a header (src/index.ts) refuse such a block.
 */
export function isHeaderOf(header: HeaderBlock, bytes: Uint8Array): boolean {
  const source = readFrom.get(header);
  if (source === undefined) return false;
  if (source === bytes) return true;
  return source.byteLength === bytes.byteLength && Buffer.from(source.buffer, source.byteOffset, source.byteLength).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

// Line ends that common mail software honours inside what mailguard reads as one header line.
// Python's email package (Mailman, Django, many scripts) splits on CR, LF and CRLF when it parses,
// and on str.splitlines()'s VT, FF, FS, GS, RS, NEL, U+2028 and U+2029 when it writes a parsed
// message out again (policy.default: "Subject: a<FF>Cc: list" becomes a real Cc field); measured
// with Python 3.11 in tests/security/line-breaks.test.ts. NEL, U+2028 and U+2029 count in UTF-8
// form (Python decodes a str input that way; a lone 0x85 byte is a surrogate to it, not a break).
const FOREIGN_BREAKS: ReadonlyArray<{ needle: Buffer; detail: string }> = [
  { needle: Buffer.from([0x0b]), detail: 'VT' },
  { needle: Buffer.from([0x0c]), detail: 'FF' },
  { needle: Buffer.from([0x1c]), detail: 'FS' },
  { needle: Buffer.from([0x1d]), detail: 'GS' },
  { needle: Buffer.from([0x1e]), detail: 'RS' },
  { needle: Buffer.from([0xc2, 0x85]), detail: 'U+0085' },
  { needle: Buffer.from([0xe2, 0x80, 0xa8]), detail: 'U+2028' },
  { needle: Buffer.from([0xe2, 0x80, 0xa9]), detail: 'U+2029' },
];

/**
 * The first line end inside the header block that some common parser honours and mailguard does
 * not: a bare CR (in an LF or CRLF header), an LF in a CR-only header, or one of FOREIGN_BREAKS.
 * One followed by a space or tab is a fold to every reader (the next line continues the same
 * field), and a FOREIGN_BREAKS character just before a real line end starts no new line either:
 * neither changes which fields anyone reads, so neither is reported.
 */
export function findForeignLineBreak(buf: Buffer, start: number, end: number, crOnly: boolean, crlf = false): { offset: number; detail: string } | undefined {
  return crlf && end - start <= SCAN_BYTES_AT_MOST ? scanForeignLineBreak(buf, start, end, crOnly) : searchForeignLineBreak(buf, start, end, crOnly);
}

/**
 * A CRLF header block of up to this many bytes is copied once into a latin1 string and searched
 * there (scanForeignLineBreak); any other is searched with Buffer indexOf (memchr). The Buffer
 * search costs a call into the runtime per CR and per needle: for a common CRLF header (a few
 * hundred bytes, as SMTP and the milter carry it) that was 18 calls and a twelfth of the milter's
 * own time per message (bench scenario 9). An LF header has no CR to stop at, so there the 9
 * searches are cheap, as they are for megabytes of header.
 */
const SCAN_BYTES_AT_MOST = 16 * 1024;

/** FOREIGN_BREAKS' needles as latin1 strings, for scanForeignLineBreak. */
const FOREIGN_BREAK_TEXTS: ReadonlyArray<{ needle: string; detail: string }> = FOREIGN_BREAKS.map(({ needle, detail }) => ({ needle: needle.toString('latin1'), detail }));

/**
 * findForeignLineBreak on one latin1 copy of the region: the same answer as the Buffer search (a
 * test holds them equal). String indexOf is a builtin, not a call into the runtime, so stopping at
 * each CR of a CRLF header costs little; a byte loop over the block cost as much as the rest of
 * reading it (bench scenario 1: 2,000-byte headers, 4.2 -> 1.2 us each).
 */
export function scanForeignLineBreak(buf: Buffer, start: number, end: number, crOnly: boolean): { offset: number; detail: string } | undefined {
  const text = buf.toString('latin1', start, end);
  const length = text.length;
  let best = -1;
  let bestDetail = '';
  // The byte that stands where mailguard sees none: CR in an LF/CRLF header, LF in a CR-only one.
  const bare = crOnly ? '\n' : '\r';
  for (let i = text.indexOf(bare); i !== -1; i = text.indexOf(bare, i + 1)) {
    const next = text.charCodeAt(i + 1);
    if ((!crOnly && next === LF) || next === SP || next === HT) continue;
    best = i;
    bestDetail = crOnly ? 'LF' : 'CR';
    break;
  }
  for (const { needle, detail } of FOREIGN_BREAK_TEXTS) {
    const limit = best === -1 ? length : best;
    for (let i = text.indexOf(needle); i !== -1 && i < limit; i = text.indexOf(needle, i + 1)) {
      const after = i + needle.length;
      const next = text.charCodeAt(after);
      if (after >= length || next === SP || next === HT || next === LF || next === CR) continue;
      best = i;
      bestDetail = detail;
      break;
    }
  }
  return best === -1 ? undefined : { offset: start + best, detail: bestDetail };
}

/** findForeignLineBreak by memchr searches, for large header blocks. */
export function searchForeignLineBreak(buf: Buffer, start: number, end: number, crOnly: boolean): { offset: number; detail: string } | undefined {
  // Searched within the header block only: the body may be large and is not read.
  const region = buf.subarray(start, end);
  let best: { offset: number; detail: string } | undefined;
  const isFold = (c: number | undefined) => c === SP || c === HT;
  const limit = () => (best ? best.offset : region.length);
  // The byte that stands where mailguard sees none: CR in an LF/CRLF header, LF in a CR-only one.
  const bare = crOnly ? LF : CR;
  for (let i = region.indexOf(bare); i !== -1 && i < limit(); i = region.indexOf(bare, i + 1)) {
    const next = region[i + 1];
    if (!crOnly && next === LF) continue; // CRLF
    if (isFold(next)) continue;
    best = { offset: i, detail: crOnly ? 'LF' : 'CR' };
    break;
  }
  for (const { needle, detail } of FOREIGN_BREAKS) {
    for (let i = region.indexOf(needle); i !== -1 && i < limit(); i = region.indexOf(needle, i + 1)) {
      const after = i + needle.length;
      const next = region[after];
      if (after >= region.length || isFold(next) || next === LF || next === CR) continue;
      best = { offset: i, detail };
      break;
    }
  }
  return best ? { offset: start + best.offset, detail: best.detail } : undefined;
}

/** Unfolded values of large fields, per field: the address parser and the re-reading of a field
 * with a problem (analyse.ts) each unfolded a 5-MB header of 250,000 folded lines, about a tenth
 * of that check (bench scenario 11). Weak: a value lives no longer than its parsed header. */
const unfoldedFields = new WeakMap<HeaderField, string>();
/** Below this size unfolding again costs less than remembering. */
const UNFOLD_MEMO_BYTES = 64 * 1024;

/** unfold(field.rawValue), computed once per large field. */
export function unfoldField(field: HeaderField, lineEnding: LineEnding): string {
  if (field.rawValue.length < UNFOLD_MEMO_BYTES) return unfold(field.rawValue, lineEnding);
  let value = unfoldedFields.get(field);
  if (value === undefined) {
    value = unfold(field.rawValue, lineEnding);
    unfoldedFields.set(field, value);
  }
  return value;
}

/**
 * Removes folding from a raw field value: a line break followed by white space becomes that
 * white space (RFC 5322 3.2.2). Bare CRs that are not part of a line break are kept, so the
 * address parser can see and refuse them.
 */
export function unfold(rawValue: string, lineEnding: LineEnding): string {
  if (lineEnding === 'cr') return rawValue.replace(/\r(?=[ \t])/g, '');
  if (rawValue.length >= UNFOLD_MEMO_BYTES) return unfoldLong(rawValue);
  // What /\r?\n(?=[ \t])/g removes, found with indexOf and joined: the address parser read the
  // result of that replace about 15% slower than a joined string, and the regex itself cost as
  // much as the joining (bench scenario 1: 30,000 address fields, 239 -> 202 ms parsed).
  let nl = rawValue.indexOf('\n');
  if (nl === -1) return rawValue;
  const pieces: string[] = [];
  let from = 0;
  while (nl !== -1) {
    const next = rawValue.charCodeAt(nl + 1);
    if (next === 0x20 || next === 0x09) {
      // A CR just before the LF goes with it (it cannot be the white space of an earlier fold).
      pieces.push(rawValue.slice(from, nl > from && rawValue.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl));
      from = nl + 1;
    }
    nl = rawValue.indexOf('\n', nl + 1);
  }
  if (from === 0) return rawValue;
  pieces.push(rawValue.slice(from));
  return pieces.join('');
}

/**
 * unfold's LF and CRLF removal for a long value, on a byte copy compacted in place and made one
 * string at the end: a To of 200,000 folded lines was 200,000 slices joined, 2 to 5 times the time
 * of this (bench scenario 11). The value is latin1 (one byte per character), so its bytes are it.
 */
function unfoldLong(rawValue: string): string {
  const buf = Buffer.from(rawValue, 'latin1');
  const n = buf.length;
  let w = buf.indexOf(LF);
  if (w === -1) return rawValue;
  let folded = false;
  for (let r = w; r < n; r++) {
    const c = buf[r]!;
    if (c === LF && r + 1 < n && (buf[r + 1] === SP || buf[r + 1] === HT)) {
      // The LF goes, and a CR just before it, written last (bytes before r are never overwritten
      // past the write position, so buf[r - 1] is still the value's own byte).
      if (r > 0 && buf[r - 1] === CR) w--;
      folded = true;
      continue;
    }
    buf[w++] = c;
  }
  return folded ? buf.toString('latin1', 0, w) : rawValue;
}
