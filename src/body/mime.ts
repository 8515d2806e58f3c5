// A minimal, bounded MIME walk: finds the text parts of a message worth scanning for addresses
// (text bodies, text-like attachments, forwarded messages) and decodes a bounded prefix of each.
// Pure and synchronous, so checkMessage stays synchronous. mailparser would do more (and is async,
// 1.4 ms per small message, 44 ms at 200 KB: ENVIRONMENT.md); this needs only the parts' text.

import { createRequire } from 'node:module';
import { TextDecoder } from 'node:util';
import { locateBodyStart, readHeaderBlock, unfold, type HeaderBlock } from '../message/header-block.js';
import { MAX_ATTACHMENT_BYTES } from '../limits.js';
import { attachmentFormat, memberFormat, namesHtml, savedName, type AttachmentFormat } from './attachment-kind.js';
import { decodeUtf8Words, onlyUtf8Words } from './encoded-words.js';
import { looksLikeGzip, looksLikeTar } from './attachments/gzip-tar.js';
import { bytesHoldCompatAtIn, COMPAT_AT, undeclaredCjkCharsets } from './addresses.js';
import { looksLikeOutlookMsg } from '../message/outlook-header.js';
import { decodeUtf16, utf16Order } from '../message/utf16.js';
import { otherFieldLists } from '../message/other-fields.js';
import { findEncodedBlocks, uudecode } from './uuencode.js';
import { enrichedKind, type EnrichedKind } from './enriched-text.js';

const require = createRequire(import.meta.url);

/** MIME nesting followed. Real mail nests 3-4 deep (mixed > alternative > related); a deeper
 * message is either generated to waste time or a forward of a forward, whose outer parts suffice. */
export const MAX_MIME_DEPTH = 8;

/** Parts visited per message. Real mail has a handful; this bounds a crafted message's cost. */
export const MAX_MIME_PARTS = 256;

/** Decoded text scanned per message, all parts together (at least one part's maxPartBytes). A
 * dense list costs about 100-250 ms per MiB (one address every 17 bytes), so a message stays well
 * inside MAX_CHECK_MS; a list is found in its first rows anyway. */
export const MAX_MESSAGE_TEXT_BYTES = 2 * 1024 * 1024;

/** A forwarded message (message/rfc822) is decoded up to this size before its parts are walked. */
export const MAX_FORWARDED_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Content types scanned as text wherever they appear. */
const TEXT_TYPES = new Set([
  'text/plain',
  'text/csv',
  'text/x-csv',
  'text/comma-separated-values',
  'text/tab-separated-values',
  'text/vcard',
  'text/x-vcard',
  'text/directory',
  // Shown as formatted text by the clients that know them, as plain text by the others.
  'text/enriched',
  'text/richtext',
  // Word processors write the text of an RTF file as it is; rtfText (scan.ts) reads the rest.
  'application/rtf',
]);

/** Attachments scanned by file name whatever their declared type (application/octet-stream, vnd.ms-excel ...). */
const TEXT_EXTENSIONS = ['.csv', '.txt', '.vcf', '.vcard', '.tsv', '.rtf'];

export interface TextPart {
  /** MIME part number, IMAP style: "1" for a single-part message, "2.1" for nested parts. */
  part: string;
  contentType: string;
  fileName?: string;
  /** Decoded text (at most maxPartBytes of the decoded content). */
  text: string;
  html: boolean;
  /** RTF (text/rtf, application/rtf, a .rtf file): its control words are read away as well. */
  rtf?: true;
  /** text/enriched or text/richtext: its commands are read away as well (enriched-text.ts). */
  enriched?: EnrichedKind;
  /** The text is a file name every reader shows in the message's attachment list (a part of the
   * message's own, not of a forwarded one): the name of the field naming it (content-disposition,
   * content-type), which analyse.ts reads it as. */
  shownName?: string;
  /** text/plain; format=flowed; delsp=yes (RFC 3676): readers that know it join its flowed lines
   * without their last space, those that do not show the lines as written; both are read. */
  delSp?: true;
  /** Inside a forwarded message (message/rfc822): all of it is quoted thread. */
  forwarded: boolean;
  /** The part was longer than maxPartBytes; only its beginning was scanned. */
  truncated: boolean;
  /**
   * The multipart/alternative this part is one rendering of (that multipart's part number): a
   * reader sees one of them, whichever the client prefers, so each is scanned and their addresses
   * count as one part's.
   */
  alternative?: string;
}

/** Formats whose content the attachment scan reads; the others are only identified. */
const READ_FORMATS = new Set<AttachmentFormat>(['ics', 'xlsx', 'ods', 'docx', 'pptx', 'odt', 'odp', 'zip', 'tnef', 'gzip', 'tar', 'outlook', 'text', 'legacy-office']);

/** Bytes decoded of an attachment that is only identified (pdf, legacy office, archives, unknown). */
const SNIFF_BYTES = 4096;

function isZipSignature(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 3 && b[3] === 4;
}

/** TNEF (winmail.dat) sent under another name or type: read whole, like a zip found so. */
function isTnefSignature(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x78 && b[1] === 0x9f && b[2] === 0x3e && b[3] === 0x22;
}

/** A fullwidth or small commercial at (U+FF20, U+FE6B) in UTF-8, UTF-16 (either order) or as the
 * part's East Asian charset writes it (Shift_JIS 0x81 0x97, GBK 0xA3 0xC0 ...): text written with
 * one holds addresses a reader sees (findAddresses reads it in its NFKC form). */
function writesCompatAt(b: Buffer, charset: string | undefined): boolean {
  return bytesHoldCompatAtIn(b, charset) || UTF16_COMPAT_ATS.some((at) => b.includes(at)) || (charset === undefined && undeclaredCjkCharsets(b).length > 0);
}
const UTF16_COMPAT_ATS = [Buffer.from('\uFF20', 'utf16le'), Buffer.from('\uFE6B', 'utf16le'), Buffer.from([0xff, 0x20]), Buffer.from([0xfe, 0x6b])];

/** The fields of a forwarded message's header its reader is shown as people: the recipient and
 * author fields, their Resent- forms (a resent message shows both), Mail-Followup-To and Mail-Reply-To. */
const FORWARDED_SHOWN_FIELDS: ReadonlySet<string> = new Set(['from', 'sender', 'to', 'cc', 'bcc', 'apparently-to', 'reply-to', 'resent-from', 'resent-sender', 'resent-to', 'resent-cc', 'resent-bcc', 'mail-followup-to', 'mail-reply-to']);

/** Text starting with a header field: a name of printable characters but ":" and white space, then ":". */
const STARTS_WITH_FIELD = /^[!-9;-~]+[ \t]*:/;

/** The armour line of an OpenPGP encrypted message (RFC 4880 6.2). */
export const PGP_ARMOUR = Buffer.from('-----BEGIN PGP MESSAGE-----');

/** Bytes that read as text: no NUL and no control character but tab, line ends, form feed and
 * escape (git and file(1) call a file with a NUL binary; random binary data holds control bytes
 * within its first KBs). */
export function readsAsText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  // UTF-16 (a list exported as "Unicode text", with or without its byte order mark): its text.
  const utf16 = b.includes(0) ? utf16Order(b) : undefined;
  if (utf16 !== undefined) return readsAsText(Buffer.from(decodeUtf16(b.subarray(0, 4096), utf16).replace(/[^\0-\x7f]/g, ' '), 'latin1'));
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c && c !== 0x1b) return false;
  }
  return true;
}

/** An unknown part whose first bytes show a container the scan reads. */
function isReadContainer(b: Uint8Array): boolean {
  return isZipSignature(b) || isTnefSignature(b) || looksLikeGzip(b) || looksLikeTar(b) || looksLikeOutlookMsg(b);
}

/** A part the attachment scan opens: calendars, workbooks, documents, archives (decoded bytes). */
export interface BinaryPart {
  part: string;
  contentType: string;
  fileName?: string;
  format: AttachmentFormat;
  /** Decoded content, at most MAX_ATTACHMENT_BYTES (the first SNIFF_BYTES of a format that is only identified). */
  bytes: Buffer;
  /** The charset parameter (calendars are text). */
  charset?: string;
  /** Longer than MAX_ATTACHMENT_BYTES: not opened, reported as not scanned. */
  truncated: boolean;
  forwarded: boolean;
}

interface ParsedContentType {
  type: string;
  /** Raw (latin1) values, except RFC 2231 ones, which are decoded text. */
  params: Map<string, string>;
  /** Names of the parameters given in RFC 2231 form (already decoded). */
  extended: Set<string>;
  /**
   * Other values readers take for a parameter whose RFC 2231 form mailguard reads (`params`): the
   * plain one written beside it (Python's email package takes it first) and its continuations up
   * to a missing number (name*0, name*2: Python and Thunderbird stop there). Absent when they agree.
   */
  otherReadings?: Map<string, string[]>;
}

/**
 * Splits a header value at `;` outside quotes into the value and its parameters (RFC 2045, 2231),
 * dropping comments as Python's email package and mailparser do (`boundary="B" (comment)`,
 * `; (c) boundary=B`). A "(" counts as a comment only where a token may start (after a space, a
 * quote, "=" or ";"), so an unquoted `name=report(1).csv` keeps its name. A quote left open runs
 * to the end of the value, as both readers take it.
 */
function splitParams(value: string): string[] {
  // Most values have no quoted string and no comment: split them directly.
  if (value.indexOf('"') === -1 && value.indexOf('(') === -1) return value.split(';');
  const pieces: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted && c === '\\' && i + 1 < value.length) {
      cur += value[++i];
      continue;
    }
    if (!quoted && c === '(' && (i === 0 || /[\s"=;]/.test(value[i - 1]!))) {
      i = commentEnd(value, i);
      cur += ' ';
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      pieces.push(cur);
      cur = '';
    } else cur += c;
  }
  pieces.push(cur);
  return pieces;
}

/** The index of the ")" that closes the comment opened at `start` (nested, with quoted-pairs), or the last index. */
function commentEnd(value: string, start: number): number {
  let depth = 0;
  for (let i = start; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return value.length - 1;
}

export function parseHeaderParams(value: string): ParsedContentType {
  const pieces = splitParams(value);
  // RFC 2045 keeps RFC 822's lexical tokens: white space may stand around the "/" ("multipart
  // /mixed", "text / plain"), and mailparser reads such a type as the one it names.
  const type = (pieces.shift() ?? '').replace(/\([^)]*\)/g, '').replace(/\s*\/\s*/, '/').trim().toLowerCase();
  const params = new Map<string, string>();
  const extended = new Set<string>();
  // RFC 2231 continuations: name*0, name*1* ...; collected per name, then joined in order.
  const continued = new Map<string, Array<{ index: number; value: string; encoded: boolean }>>();
  let otherReadings: Map<string, string[]> | undefined;
  const addReading = (name: string, other: string | undefined, read: string | undefined) => {
    if (other === undefined || other === read) return;
    otherReadings ??= new Map();
    const known = otherReadings.get(name) ?? [];
    if (!known.includes(other)) otherReadings.set(name, [...known, other]);
  };
  for (const piece of pieces) {
    const eq = piece.indexOf('=');
    if (eq === -1) continue;
    let name = piece.slice(0, eq).trim().toLowerCase();
    const written = piece.slice(eq + 1).trim();
    let val = written;
    if (val.startsWith('"')) val = val.endsWith('"') && val.length >= 2 ? val.slice(1, -1) : val.slice(1);
    const m = /^([^*]+)\*(\d+)?(\*)?$/.exec(name);
    if (m) {
      name = m[1]!;
      const list = continued.get(name) ?? [];
      list.push({ index: m[2] === undefined ? 0 : Number(m[2]), value: val, encoded: m[3] === '*' || m[2] === undefined });
      continued.set(name, list);
    } else if (!params.has(name)) {
      params.set(name, val);
      // More after the first word or quoted string (`boundary=A B`, `"A"B`, `A"B"`): Python's
      // email package reads that word or quoted string alone, as Thunderbird reads a quoted one.
      const first = /^"([^"]*)"|^[^\s"]+/.exec(written);
      if (first !== null && first[0] !== written) addReading(name, first[1] ?? first[0], val);
    }
  }
  for (const [name, list] of continued) {
    list.sort((a, b) => a.index - b.index);
    const joined = joinContinuations(list);
    const gap = list.findIndex((p, i) => p.index !== i);
    // The plain value (and its other readings) and the continuations up to a gap, beside the whole.
    const plain = params.get(name);
    const others = [plain, ...(otherReadings?.get(name) ?? []), gap > 0 ? joinContinuations(list.slice(0, gap)) : undefined];
    otherReadings?.delete(name);
    for (const other of others) addReading(name, other, joined);
    params.set(name, joined);
    extended.add(name);
  }
  const parsed: ParsedContentType = { type, params, extended };
  if (otherReadings !== undefined && otherReadings.size > 0) parsed.otherReadings = otherReadings;
  return parsed;
}

/** An RFC 2231 parameter's sections (in order) joined and decoded in the first one's charset. */
function joinContinuations(list: ReadonlyArray<{ value: string; encoded: boolean }>): string {
  let charset = 'utf-8';
  const bytes: number[] = [];
  list.forEach((p, i) => {
    let v = p.value;
    if (p.encoded && i === 0) {
      const q = /^([^']*)'[^']*'(.*)$/.exec(v);
      if (q) {
        charset = q[1] || 'utf-8';
        v = q[2]!;
      }
    }
    if (p.encoded) {
      for (let k = 0; k < v.length; k++) {
        if (v[k] === '%' && /^[0-9a-fA-F]{2}$/.test(v.slice(k + 1, k + 3))) {
          bytes.push(parseInt(v.slice(k + 1, k + 3), 16));
          k += 2;
        } else bytes.push(v.charCodeAt(k) & 0xff);
      }
    } else {
      for (let k = 0; k < v.length; k++) bytes.push(v.charCodeAt(k) & 0xff);
    }
  });
  return decodeBytes(Uint8Array.from(bytes), charset);
}

/** iconv-lite (loaded on first use): the charsets TextDecoder lacks (UTF-7, UTF-32, EBCDIC ...). */
let iconvLite: typeof import('iconv-lite') | undefined;
const iconv = (): typeof import('iconv-lite') => (iconvLite ??= require('iconv-lite') as typeof import('iconv-lite'));

type Decode = (bytes: Uint8Array) => string;
const decoders = new Map<string, Decode | null>();
/** The labels of `decoders` that TextDecoder decodes (the others are iconv-lite's). */
const nativeLabels = new Set<string>();

/** A decoder for a charset label: TextDecoder's, else iconv-lite's, else null (unknown). */
function decoderFor(label: string): Decode | null {
  let decode = decoders.get(label);
  if (decode !== undefined) return decode;
  try {
    const d = new TextDecoder(label === 'us-ascii' || label === 'ascii' ? 'utf-8' : label);
    decode = (bytes) => d.decode(bytes);
    nativeLabels.add(label);
  } catch {
    decode = iconv().encodingExists(label) ? (bytes) => iconv().decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), label) : null;
  }
  decoders.set(label, decode);
  return decode;
}

/** Labels mail software writes that neither TextDecoder nor iconv-lite knows, for charsets they
 * decode under another name: Windows code page names (1200 is UTF-16LE, 65001 UTF-8, Microsoft's
 * 50220-50222 ISO-2022-JP) and the ISO-2022-JP extensions, whose JIS X 0208 (the fullwidth at
 * included) is ISO-2022-JP's. Left to the latin1 fallback, UTF-16 text lost every address and an
 * ISO-2022-JP-2 one its fullwidth ats. */
const CHARSET_ALIASES: Readonly<Record<string, string>> = {
  cp1200: 'utf-16le',
  'windows-1200': 'utf-16le',
  cp1201: 'utf-16be',
  'windows-1201': 'utf-16be',
  cp12000: 'utf-32le',
  cp12001: 'utf-32be',
  cp65000: 'utf-7',
  'x-utf-7': 'utf-7',
  cp65001: 'utf-8',
  'windows-65001': 'utf-8',
  'iso-2022-jp-1': 'iso-2022-jp',
  'iso-2022-jp-2': 'iso-2022-jp',
  'iso-2022-jp-3': 'iso-2022-jp',
  'iso-2022-jp-ext': 'iso-2022-jp',
  csiso2022jp2: 'iso-2022-jp',
  cp50220: 'iso-2022-jp',
  cp50221: 'iso-2022-jp',
  cp50222: 'iso-2022-jp',
};

/** Decodes bytes in a declared charset; unknown charsets fall back to latin1 (addresses are ASCII). */
export function decodeBytes(bytes: Uint8Array, charset: string | undefined): string {
  let label = (charset ?? 'utf-8').trim().toLowerCase();
  label = CHARSET_ALIASES[label] ?? label;
  // A byte order mark says what the text is, whatever the label (as readers decide): UTF-16 in
  // big-endian order was read as little-endian, its addresses lost. (UTF-32's marks are read by
  // iconv-lite's UTF-32 decoder.)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) label = 'utf-16be';
  else if (bytes[0] === 0xff && bytes[1] === 0xfe && !(bytes[2] === 0 && bytes[3] === 0)) label = 'utf-16le';
  else if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) label = 'utf-8';
  const decode = decoderFor(label);
  let text = decode === null ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : decode(bytes);
  // UTF-16 without a byte order mark (a CSV exported by .NET or iconv), whatever the label says:
  // read as UTF-8 or latin1 it has a NUL between its letters and shows no address, so it is also
  // read as UTF-16 in the order its zero bytes show, as an editor or Excel opens it.
  // (utf16Order looks for a zero byte in its first 4 KB itself: no scan of the whole part first.)
  const unmarked = utf16Order(bytes);
  if (unmarked !== undefined && !unmarked.bom && label !== `utf-16${unmarked.order}`) text += `\n${decodeUtf16(bytes, unmarked)}`;
  // Declared nothing, read as UTF-8 and not UTF-8 (or ISO-2022-JP's escapes): also read in the
  // East Asian charsets whose fullwidth at it holds, as a reader in that locale shows it
  // (undeclaredCjkCharsets). The readings are joined: findAddresses keeps each address once.
  if (charset !== undefined || label !== 'utf-8' || !(text.includes('\ufffd') || text.includes('\x1b'))) return text;
  const also = undeclaredCjkCharsets(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  let joined = text;
  for (const other of also) {
    const d = decoderFor(other);
    if (d !== null) joined += `\n${d(bytes)}`;
  }
  return joined;
}

let decodeWords: ((s: string) => string) | undefined;

/** An RFC 2047 encoded word as readers find one: any label up to the "?" (Thunderbird's jsmime
 * splits on `=\?[^?]*\?[BQbq]\?[^?]*\?=`, Python's email package the same), B or Q, the text. */
const ENCODED_WORD = /=\?([^?]*)\?([bq])\?([^?]*)\?=/gi;

/** Two such words with only white space between them: readers drop it and join their text. */
const WORDS_APART = /(=\?([^?]*)\?[bq]\?[^?]*\?=)[ \t\r\n]+(?==\?([^?]*)\?[bq]\?[^?]*\?=)/gi;

/** The labels libmime's decodeWords finds words with (its pattern is `[\w_\-*]+`): it decodes those. */
const LIBMIME_LABEL = /^[\w\-*]+$/;

/**
 * Encoded words libmime leaves undecoded, decoded here: in a charset TextDecoder lacks, with
 * iconv-lite (libmime leaves UTF-7 words, `=?utf-7?q?a+AEA-x.test?=`, as they are, which Python and
 * older Outlook show as "a@x.test"); and words whose label libmime's pattern does not take, which
 * Thunderbird and Python decode all the same: white space around it (TextDecoder trims a label),
 * WHATWG labels with "." or ":" (`ansi_x3.4-1968`, `iso_8859-1:1987` are windows-1252), none or an
 * unknown one (Python shows its ASCII). Such a word decoded as latin1 when its label is unknown: its
 * ASCII (an address) is what every reader that decodes it shows.
 */
function decodeOtherCharsetWords(text: string): string {
  return text
    .replace(WORDS_APART, (pair, left: string, leftLabel: string, rightLabel: string) => (LIBMIME_LABEL.test(leftLabel) && LIBMIME_LABEL.test(rightLabel) ? pair : left))
    .replace(ENCODED_WORD, (word, charset: string, enc: string, payload: string) => {
      // An RFC 2231 language after "*" is dropped, as Thunderbird and Python drop it.
      const label = charset.split('*')[0]!.trim().toLowerCase();
      const bytes = () => (enc.toLowerCase() === 'b' ? Buffer.from(payload, 'base64') : decodeQuotedPrintable(Buffer.from(payload.replace(/_/g, ' '), 'latin1')));
      if (LIBMIME_LABEL.test(charset)) {
        if (label === 'utf-8' || label === 'us-ascii' || label.startsWith('iso-8859-')) return word;
        const decode = decoderFor(label);
        // TextDecoder's charsets are libmime's to decode; iconv-lite's only are decoded here.
        return decode === null || nativeLabels.has(label) ? word : decode(bytes());
      }
      const decode = decoderFor(CHARSET_ALIASES[label] ?? label);
      return decode === null ? bytes().toString('latin1') : decode(bytes());
    });
}

/** A header value as text: raw UTF-8 bytes read as UTF-8, RFC 2047 encoded words decoded (libmime, loaded on first use). */
export function decodeHeaderText(latin1: string): string {
  let text = latin1;
  if (/[\x80-\xff]/.test(text)) text = Buffer.from(text, 'latin1').toString('utf8');
  if (text.includes('=?')) {
    if (onlyUtf8Words(text)) return decodeUtf8Words(text);
    text = decodeOtherCharsetWords(text);
    if (!decodeWords) {
      const libmime = require('libmime') as { decodeWords(s: string): string };
      decodeWords = (s) => libmime.decodeWords(s); // a method: it needs its object
    }
    try {
      text = decodeWords(text);
    } catch {
      // Keep the raw text: a name that cannot be decoded is still a name.
    }
  }
  return text;
}

function fieldValue(header: HeaderBlock, key: string): string | undefined {
  const f = header.fields.find((x) => x.key === key);
  return f ? unfold(f.rawValue, header.lineEnding).trim() : undefined;
}

const LF = 0x0a;
const CR = 0x0d;

/** Where a line of a MIME body ends: `cr-lf` at a CR, an LF or both (mailguard's own reading, as
 * Python's email package and the SMTP relay's client read a line break), `lf` at an LF only (as
 * mailparser and readers behind an MTA that keeps a bare CR read it: the CR is a byte of its line). */
type LineBreaks = 'cr-lf' | 'lf';

/**
 * Splits a multipart body at its boundary lines. Preamble and epilogue are dropped. A close
 * delimiter before any part ends nothing: mailparser passes over it and shows the parts after it
 * (`--B--` then `--B` and a part), where Python's email package finds no part at all; the parts
 * are read, as the reader that shows them reads them. `lineBreaks`: where a boundary line may start
 * and end; `cr-lf` (a CR, an LF or both) as Python's email package and the SMTP relay's client
 * read a line break, `lf` as readers that break lines at LF only read it (mailparser: a bare CR is
 * a byte of its line there).
 */
export function splitMultipart(body: Buffer, boundary: string, lineBreaks: LineBreaks = 'cr-lf'): Buffer[] {
  const lfOnly = lineBreaks === 'lf';
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Buffer[] = [];
  let pos = 0;
  let partStart = -1;
  for (;;) {
    const i = body.indexOf(delim, pos);
    if (i === -1) break;
    pos = i + 1;
    // LF only: a line starts after an LF, one lone CR in front of the delimiter included (mailsplit
    // reads `\n\r--B` as a boundary line), and a run of CRs may stand before its LF.
    const lineStart = lfOnly && body[i - 1] === CR && (i === 1 || body[i - 2] === LF) ? i - 1 : i;
    if (lineStart > 0 && body[lineStart - 1] !== LF && (lfOnly || body[lineStart - 1] !== CR)) continue;
    let j = i + delim.length;
    const close = body[j] === 0x2d && body[j + 1] === 0x2d;
    if (close) j += 2;
    while (body[j] === 0x20 || body[j] === 0x09) j++;
    if (j < body.length && body[j] !== LF && body[j] !== CR) continue; // a longer boundary that shares the prefix
    if (lfOnly) {
      while (body[j] === CR && body[j + 1] === CR) j++;
      if (body[j] === CR && j + 1 < body.length && body[j + 1] !== LF) continue;
    }
    if (close && partStart < 0) continue;
    if (partStart >= 0) {
      let end = lineStart;
      if (end > partStart && body[end - 1] === LF) end--;
      if (end > partStart && body[end - 1] === CR) end--;
      parts.push(body.subarray(partStart, end));
      if (parts.length >= MAX_MIME_PARTS) return parts;
    }
    if (close) return parts;
    if (body[j] === CR) j++;
    if (body[j] === LF) j++;
    partStart = j;
    pos = j;
  }
  // No closing delimiter (truncated or sloppy mail): the last part runs to the end.
  if (partStart >= 0 && partStart < body.length) parts.push(body.subarray(partStart));
  return parts;
}

/** Whether `bytes` hold a CR that no LF follows. */
function hasBareCr(bytes: Buffer): boolean {
  for (let i = bytes.indexOf(CR); i !== -1; i = bytes.indexOf(CR, i + 1)) if (bytes[i + 1] !== LF) return true;
  return false;
}

/** Bytes of a header read the LF-only way: a real part header is a few hundred bytes; past this
 * (a crafted header with no blank line) the copy stops, and what follows is read as body. */
const MAX_LF_HEADER_COPY_BYTES = 1024 * 1024;

/**
 * The header block of a part or message as a reader that breaks lines at LF only reads it
 * (mailparser's mailsplit): a line ends at an LF (a CR before it goes with it), a bare CR is a
 * byte of its line, which that reader's field parsers take as white space (`text/calendar;
 * method=REQUEST\r\rX: y` is a calendar there, where readHeaderBlock ends the header at the CRs),
 * and CRs and white space at a line's start do not fold it: they are trimmed from the name of the
 * field the line starts. Read by readHeaderBlock from a copy of the header lines with each such
 * CR a space and a line's leading run moved after its colon, so every offset is kept.
 */
function readHeaderLfOnly(bytes: Buffer): HeaderBlock {
  let copy: Buffer | undefined;
  let pos = 0;
  while (pos < bytes.length && pos < MAX_LF_HEADER_COPY_BYTES) {
    const lf = bytes.indexOf(LF, pos);
    const end = lf === -1 ? bytes.length : lf;
    const contentEnd = end > pos && bytes[end - 1] === CR && lf !== -1 ? end - 1 : end;
    if (contentEnd === pos) break; // the blank line
    const cr = bytes.indexOf(CR, pos);
    if (cr !== -1 && cr < contentEnd) {
      copy ??= Buffer.from(bytes.subarray(0, Math.min(bytes.length, MAX_LF_HEADER_COPY_BYTES)));
      let lead = pos;
      if (copy[pos] === CR) while (lead < contentEnd && (copy[lead] === CR || copy[lead] === 0x20 || copy[lead] === 0x09)) lead++;
      const colon = copy.indexOf(0x3a, lead);
      if (lead > pos && colon !== -1 && colon < contentEnd) {
        // `\r Cc: x` is the field Cc to that reader: `Cc:` then the leading bytes as spaces.
        copy.copyWithin(pos, lead, colon + 1);
        copy.fill(0x20, pos + colon + 1 - lead, colon + 1);
      }
      for (let i = copy.indexOf(CR, pos); i !== -1 && i < contentEnd; i = copy.indexOf(CR, i + 1)) copy[i] = 0x20;
    }
    if (lf === -1) break;
    pos = lf + 1;
  }
  return readHeaderBlock(copy ?? bytes);
}

const HEX = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);

/**
 * Quoted-printable to bytes (RFC 2045 6.7); malformed escapes are kept as they are. A soft line
 * break may have white space between its "=" and the line end (rule 3: a transport may pad lines,
 * and decoders drop trailing white space): Thunderbird and mailparser join such lines, so
 * `p1@org=  ` then `1.example` shows one address. A bare CR ends a soft line break's line too.
 */
export function decodeQuotedPrintable(input: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    let a = input[i + 1];
    let eol = i + 1;
    if (a === 0x20 || a === 0x09) {
      while (input[eol] === 0x20 || input[eol] === 0x09) eol++;
      if (input[eol] === LF || input[eol] === CR) a = input[eol];
      else eol = i + 1;
    }
    if (a === LF) {
      i = eol;
      continue;
    }
    if (a === CR) {
      // CRLF, or a bare CR, which the SMTP relay's client sends as CRLF and the sendmail path hands
      // over as LF: every reader of the mail so delivered joins the lines (mailparser included).
      i = input[eol + 1] === LF ? eol + 1 : eol;
      continue;
    }
    const h = a === undefined ? -1 : HEX(a);
    const l = input[i + 2] === undefined ? -1 : HEX(input[i + 2]!);
    if (h >= 0 && l >= 0) {
      out[o++] = h * 16 + l;
      i += 2;
    } else out[o++] = c;
  }
  return out.subarray(0, o);
}

/** Decodes at most `limit` bytes of a part's content. */
/**
 * Base64 as mail readers decode it: padding in the middle ends a piece, not the whole content.
 * Node's decoder stops at the first "=", so text after a padded first line was never scanned;
 * mailparser and Thunderbird decode on, and show it.
 */
function decodeBase64(text: string): Buffer {
  const eq = text.indexOf('=');
  if (eq === -1 || !/[A-Za-z0-9+/]/.test(text.slice(eq))) return Buffer.from(text, 'base64');
  return Buffer.concat(text.split(/=+/).map((piece) => Buffer.from(piece, 'base64')));
}

/** The encoding token of a Content-Transfer-Encoding value (`base64 (comment)`, ` Base64;`). */
export function transferEncoding(value: string | undefined): string {
  return /^[\s]*([^\s(;]*)/.exec(value ?? '')![1]!.toLowerCase() || '7bit';
}

function decodeContent(raw: Buffer, encoding: string, limit: number): { bytes: Buffer; truncated: boolean } {
  if (encoding === 'base64') {
    // 4 base64 characters make 3 bytes; line breaks add a little, so read a bit more than needed.
    const take = Math.min(raw.length, Math.ceil((limit * 4) / 3) + Math.ceil(limit / 38) + 4);
    const bytes = decodeBase64(raw.subarray(0, take).toString('latin1'));
    return { bytes: bytes.subarray(0, limit), truncated: take < raw.length || bytes.length > limit };
  }
  if (encoding === 'quoted-printable') {
    const take = Math.min(raw.length, limit * 3);
    const bytes = decodeQuotedPrintable(raw.subarray(0, take));
    return { bytes: bytes.subarray(0, limit), truncated: take < raw.length || bytes.length > limit };
  }
  if (UUENCODINGS.has(encoding)) {
    // 45 bytes per line of 61 characters and a line break; the begin line and a little more.
    const take = Math.min(raw.length, Math.ceil(limit * 1.4) + 1024);
    const text = raw.toString('latin1', 0, take);
    const begin = findEncodedBlocks(text, 1)[0];
    const { bytes, truncated } = uudecode(text, begin?.kind === 'uuencode' ? begin.start : 0, limit);
    return { bytes, truncated };
  }
  return { bytes: raw.subarray(0, limit), truncated: raw.length > limit };
}

const BEGIN = Buffer.from('begin ', 'latin1');

/** Whether a line starts a uuencoded or yEnc file (`begin 644 name`, `=ybegin ... name=`): one
 * search for "begin " (most parts have none), then a look at what precedes each. */
function opensEncodedFile(head: Buffer): boolean {
  for (let i = head.indexOf(BEGIN); i !== -1; i = head.indexOf(BEGIN, i + 1)) {
    const at = i >= 2 && head[i - 2] === 0x3d && head[i - 1] === 0x79 ? i - 2 : i; // "=ybegin "
    if (at === 0 || head[at - 1] === LF || head[at - 1] === CR) return true;
  }
  return false;
}

/**
 * Whether a plain-text message (what mayCarryAttachment calls text only: one text/plain part, or
 * no Content-Type) writes a file into its text as uuencode or yEnc (`begin 644 list.csv`), which
 * Outlook and Thunderbird show as an attachment and the scan reads as one (addEncodedBlocks):
 * its text decoded as the scan decodes it, then one search for a `begin ` line.
 */
export function writesEncodedFile(message: Uint8Array, header: HeaderBlock = readHeaderBlock(message)): boolean {
  if (!header.hasBlankLine) return false;
  const { type, params } = parseHeaderParams(fieldValue(header, 'content-type') ?? 'text/plain');
  if (type !== 'text/plain') return false;
  const encoding = transferEncoding(fieldValue(header, 'content-transfer-encoding'));
  if (UUENCODINGS.has(encoding)) return false;
  const raw = Buffer.from(message.buffer, message.byteOffset + header.bodyStart, message.byteLength - header.bodyStart);
  const bytes = encoding === 'base64' || encoding === 'quoted-printable' ? decodeContent(raw, encoding, raw.length).bytes : raw;
  const charset = params.get('charset');
  // "begin " is those bytes in every charset that writes "@" as 0x40 but UTF-16 and UTF-32.
  if (writesAtAs0x40(charset) && !/^utf-?(?:16|32)/i.test(charset ?? '') && bytes[0] !== 0xfe && bytes[0] !== 0xff) return opensEncodedFile(bytes);
  return findEncodedBlocks(decodeBytes(bytes, charset), 1).length > 0;
}

/** Content-Transfer-Encoding names of uuencode (not in RFC 2045; sent by older clients and scripts). */
const UUENCODINGS = new Set(['x-uuencode', 'uuencode', 'x-uue', 'uue']);

const OCTET_STREAM = 'application/octet-stream';

/**
 * Files written inside a text part as uuencode blocks (`begin 644 list.csv` ... `end`), which
 * Outlook and Thunderbird show as attachments: each is decoded and scanned as an attachment of
 * its name's kind. yEnc blocks are reported as not scanned. A cheap indexOf when there are none.
 */
function addEncodedBlocks(text: string, part: string, forwarded: boolean, state: WalkState): void {
  for (const block of findEncodedBlocks(text, MAX_MIME_PARTS)) {
    if (++state.visited > MAX_MIME_PARTS) {
      if (state.visited === MAX_MIME_PARTS + 1) state.skipped.push({ part, contentType: OCTET_STREAM, fileName: block.name, reason: 'too-many-parts', forwarded });
      return;
    }
    if (block.kind === 'yenc') {
      state.skipped.push({ part, contentType: OCTET_STREAM, fileName: block.name, reason: 'unsupported-format', detail: 'yenc', forwarded });
      continue;
    }
    // Named like a zip member: no declared type, and a picture's name says it is one.
    const format = isTextLike(OCTET_STREAM, block.name) ? 'text' : memberFormat(block.name);
    if (format === undefined) continue;
    const { bytes, truncated } = uudecode(text, block.start, MAX_ATTACHMENT_BYTES);
    state.binary.push({ part, contentType: OCTET_STREAM, fileName: block.name, format, bytes, truncated, forwarded });
  }
}

function isTextLike(type: string, fileName: string | undefined): boolean {
  if (TEXT_TYPES.has(type)) return true;
  // RFC 2046 4.1.4: a text subtype a reader does not know is shown as text/plain (text/x-sql,
  // text/rtf, text/rfc822-headers, text/x-comma-separated-values ...): it is scanned as text,
  // unless its name or type is one the attachment scan reads (text/calendar, text/xml, a.xlsx).
  if (type.startsWith('text/') && type !== 'text/html') return attachmentFormat(type, fileName) === undefined;
  if (fileName === undefined) return false;
  const lower = savedName(fileName);
  return TEXT_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Charsets in which "@" is always the byte 0x40 (ASCII and its supersets, UTF-16, UTF-32, the
 * ISO 2022 and EUC families, whose ASCII is ASCII): the only ones where a part without that byte
 * can be taken as holding no address. Not UTF-7 ("+AEA-"), not EBCDIC (0x7C), nor any other. */
const AT_IS_0X40 = /^(?:us-?ascii|ascii|ansi_x3\.4-1968|utf-?8|utf-?(?:16|32)(?:le|be)?|iso[-_]?8859-\d{1,2}|latin-?\d{1,2}|l\d|(?:windows|cp|x-cp)-?12[05]\d|cp-?(?:437|850|852|866)|ibm-?(?:437|850|852|866)|koi8-?[ru]|gb2312|gbk|gb18030|x-gbk|big5(?:-hkscs)?|euc-(?:jp|kr|cn)|shift[-_]jis|sjis|x-sjis|windows-31j|cp932|ms932|iso-2022-(?:jp|kr|cn)(?:-\d)?|ks_c_5601-1987|tis-620|windows-874|macintosh|x-mac-roman|utf-?8-?bom)$/;

function writesAtAs0x40(charset: string | undefined): boolean {
  return charset === undefined || charset === 'utf-8' || charset === 'us-ascii' || AT_IS_0X40.test(charset.trim().toLowerCase());
}

function skippedPart(part: string, entity: Entity, reason: SkippedPart['reason'], forwarded: boolean, detail?: string): SkippedPart {
  const s: SkippedPart = { part, contentType: entity.type.type, reason, forwarded };
  if (entity.fileName !== undefined) s.fileName = entity.fileName;
  if (detail !== undefined) s.detail = detail;
  return s;
}

function isRtf(type: string, fileName: string | undefined): boolean {
  return type === 'text/rtf' || type === 'application/rtf' || (fileName !== undefined && savedName(fileName).endsWith('.rtf'));
}

/** A part the walk did not read, or read only the beginning of (past MAX_MIME_PARTS or
 * MAX_MIME_DEPTH, a multipart without a boundary, past maxPartBytes or the message's text
 * budget): reported as not scanned, never taken as clean. */
export interface SkippedPart {
  part: string;
  contentType: string;
  fileName?: string;
  forwarded?: boolean;
  reason: 'too-many-parts' | 'too-deep' | 'unreadable' | 'partly-read' | 'text-limit' | 'encrypted' | 'unsupported-format';
  /** partly-read: how much was read. */
  detail?: string;
}

interface WalkState {
  parts: TextPart[];
  binary: BinaryPart[];
  skipped: SkippedPart[];
  visited: number;
  maxPartBytes: number;
  /** Decoded text bytes still allowed for this message (in this reading). */
  budget: number;
  /** How the walk now reads line breaks (part headers, boundary lines). */
  lineBreaks: LineBreaks;
  /** The other reading's parts visited and text budget, swapped in while it walks (readLfOnlyToo). */
  other: { visited: number; budget: number };
  /** Some of the message was read both ways: findParts drops what the second reading repeats. */
  readTwice: boolean;
}

interface Entity {
  header: HeaderBlock;
  body: Buffer;
  type: ParsedContentType;
  fileName: string | undefined;
  /** Other names readers show: the Content-Type name where the Content-Disposition filename
   * (fileName) differs from it, and other readings of either (ParsedContentType.otherReadings). */
  otherNames?: string[];
}

function readEntity(bytes: Buffer, defaultType: string, lineBreaks: LineBreaks, header?: HeaderBlock): Entity {
  const h = lineBreaks === 'lf' ? readHeaderLfOnly(bytes) : (header ?? readHeaderBlock(bytes));
  const ctValue = fieldValue(h, 'content-type');
  const type = ctValue ? parseHeaderParams(ctValue) : { type: defaultType, params: new Map<string, string>(), extended: new Set<string>() };
  if (!type.type.includes('/')) type.type = defaultType;
  const { fileName, otherNames } = shownNames(type, fieldValue(h, 'content-disposition'));
  const entity: Entity = { header: h, body: bytes.subarray(h.bodyStart), type, fileName };
  if (otherNames.length > 0) entity.otherNames = otherNames;
  return entity;
}

/** A part's names as readers are shown them (encoded words and RFC 2231 decoded): the one the scan
 * reads the part by, and the others. Shared by the walk and the header's promise of a body
 * (bodyWorthScanning), so what is read and what is scanned are decided on the same names. */
function shownNames(type: ParsedContentType, dispValue: string | undefined): { fileName: string | undefined; otherNames: string[] } {
  const disp = dispValue ? parseHeaderParams(dispValue) : undefined;
  const filename = disp === undefined ? undefined : shownParam(disp, 'filename');
  const name = shownParam(type, 'name');
  const fileName = filename ?? name;
  // Readers prefer one name or the other (Python and Thunderbird the filename, others the name),
  // and read a plain one beside its RFC 2231 form differently (otherReadings): all are shown somewhere.
  const others = [name, ...(disp?.otherReadings?.get('filename') ?? []).map((v) => decodeHeaderText(v)), ...(type.otherReadings?.get('name') ?? []).map((v) => decodeHeaderText(v))];
  return { fileName, otherNames: [...new Set(others.filter((n): n is string => n !== undefined && n !== fileName))] };
}

/** The names every reader shows for the file a header block's entity is (its attachment bar), as
 * text: none for a header without a name or filename parameter, nor for text not sent as an
 * attachment (readers show that text itself, and mailparser no attachment: its name is not shown). */
export function shownFileNames(header: HeaderBlock): string[] {
  const ctValue = fieldValue(header, 'content-type');
  const dispValue = fieldValue(header, 'content-disposition');
  if (!(ctValue?.toLowerCase().includes('name') || dispValue?.toLowerCase().includes('name'))) return [];
  const type = ctValue ? parseHeaderParams(ctValue) : { type: 'text/plain', params: new Map<string, string>(), extended: new Set<string>() };
  if ((type.type.startsWith('text/') || !type.type.includes('/')) && (dispValue === undefined || parseHeaderParams(dispValue).type !== 'attachment')) return [];
  const { fileName, otherNames } = shownNames(type, dispValue);
  return fileName === undefined ? otherNames : [fileName, ...otherNames];
}

/** The field that names a header block's file (Content-Disposition, else Content-Type), for reports. */
export function fileNameField(header: HeaderBlock): { key: string; line: number } | undefined {
  const f = header.fields.find((g) => (g.key === 'content-disposition' || g.key === 'content-type') && g.rawValue.toLowerCase().includes('name'));
  return f === undefined ? undefined : { key: f.key, line: f.line };
}

/** A name parameter as a reader shows it: RFC 2231 values are decoded already, others may hold encoded words. */
function shownParam(p: ParsedContentType, key: string): string | undefined {
  const raw = p.params.get(key);
  return raw === undefined || p.extended.has(key) ? raw : decodeHeaderText(raw);
}

/**
 * An attachment's names, as text every reader is shown beside the message (the attachment bar,
 * the file saved), whatever the part holds: a list written there (`p1@org1.example, p2@...pdf`,
 * as a quoted value, RFC 2231 continuations or an encoded word) is scanned as a part's text is.
 */
function addShownNames(entity: Entity, part: string, contentType: string, forwarded: boolean, state: WalkState, topLevel: boolean): void {
  let listed: string[] | undefined;
  for (const name of [entity.fileName, ...(entity.otherNames ?? [])]) {
    // (Most names hold no "@": no part for them.)
    if (name === undefined || !(name.includes('@') || COMPAT_AT.test(name))) continue;
    const out: TextPart = { part, contentType, fileName: name, text: name, html: false, forwarded, truncated: false };
    // The name of one of the message's own files, in its attachment list: shown as a header field
    // is (the top level's is read with the header, other-fields.ts; a forwarded message's is quoted
    // text, as its header is). Only names shownFileNames lists: not text shown inline by name.
    if (!topLevel && !forwarded && (listed ??= shownFileNames(entity.header)).includes(name)) {
      const field = fileNameField(entity.header);
      if (field !== undefined) out.shownName = field.key;
    }
    state.parts.push(out);
  }
  // A part's Content-Description, free text readers show beside the attachment (mutt's and
  // Alpine's attachment lists; other-fields.ts reads the message's own as a shown header field,
  // hence not the top level's here). Decoded as shown: an encoded word may hold the list.
  if (topLevel) return;
  const described = fieldValue(entity.header, 'content-description');
  if (described === undefined || !(described.includes('@') || described.includes('=?') || COMPAT_AT.test(described))) return;
  const text = decodeHeaderText(described);
  if (!(text.includes('@') || COMPAT_AT.test(text))) return;
  const out: TextPart = { part, contentType, text, html: false, forwarded, truncated: false };
  if (entity.fileName !== undefined) out.fileName = entity.fileName;
  state.parts.push(out);
}

function walk(entity: Entity, part: string, depth: number, forwarded: boolean, state: WalkState, alternative?: string): void {
  const { type, body } = entity;
  const partName = part === '' ? '1' : part;
  if (++state.visited > MAX_MIME_PARTS) {
    // Once: the parts past the limit are one gap in the scan.
    if (state.visited === MAX_MIME_PARTS + 1) state.skipped.push({ part: partName, contentType: type.type, reason: 'too-many-parts' });
    return;
  }
  if (type.type === 'multipart/encrypted') {
    // RFC 1847: a control part and the encrypted data (PGP/MIME); the reader sees what it decrypts to.
    state.skipped.push({ part: partName, contentType: type.type, reason: 'encrypted', detail: type.params.get('protocol') ?? 'multipart/encrypted', forwarded });
    return;
  }
  if (type.type.startsWith('multipart/')) {
    // White space cannot end a boundary (RFC 2046 5.1.1): readers drop it, as mailparser and
    // Python's email package split `boundary="B "` at "--B", and show the parts.
    const boundary = type.params.get('boundary')?.replace(/[ \t]+$/, '');
    if (!boundary || depth >= MAX_MIME_DEPTH) {
      state.skipped.push({ part: partName, contentType: type.type, reason: boundary ? 'too-deep' : 'unreadable' });
      return;
    }
    const childDefault = type.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    // Every alternative is scanned: an HTML client shows the HTML, whatever the plain text says
    // (a list only in the HTML part was missed when the plain one was read alone).
    const group = type.type === 'multipart/alternative' ? (part === '' ? '0' : part) : alternative;
    const walkPieces = (pieces: Buffer[]) =>
      pieces.forEach((piece, i) => {
        const child = readEntity(piece, childDefault, state.lineBreaks);
        const childPart = part === '' ? String(i + 1) : `${part}.${i + 1}`;
        walk(child, childPart, depth + 1, forwarded, state, group);
        walkFromLineNotAField(child, piece, childPart, depth, forwarded, state, group);
      });
    // A boundary another reader takes (a plain one beside boundary*, continuations up to a gap:
    // otherReadings): the body as that reader splits it is read too.
    for (const other of type.otherReadings?.get('boundary') ?? []) {
      const b = other.replace(/[ \t]+$/, '');
      if (b !== '' && b !== boundary) walkPieces(splitMultipart(body, b, state.lineBreaks));
    }
    const pieces = splitMultipart(body, boundary, state.lineBreaks);
    // A boundary that never starts a line (indented, in another case) leaves the body unsplit: a
    // reader that cannot split it shows the body as text (Python's email package does), so it is
    // read as text, and reported as not split unless it is an empty multipart ("--B--" alone).
    if (pieces.length === 0 && /[^\s]/.test(body.toString('latin1', 0, Math.min(body.length, 65536)))) {
      if (body.indexOf(`--${boundary}--`) === -1) state.skipped.push({ part: partName, contentType: type.type, reason: 'unreadable', detail: 'no part found at its boundary' });
      walk({ ...entity, type: { type: 'text/plain', params: new Map(), extended: new Set() } }, part, depth + 1, forwarded, state, alternative);
      return;
    }
    walkPieces(pieces);
    return;
  }
  addShownNames(entity, partName, type.type, forwarded, state, part === '');
  walkLeaf(entity, partName, depth, forwarded, state, alternative);
  // A part named twice (filename=photo.png, name=list.csv): readers choose one name or the other
  // (shownNames) and save and open the file under it, so it is read as each name says.
  const reading = readingByName(type.type, entity.fileName);
  const done = [reading];
  for (const other of entity.otherNames ?? []) {
    const r = readingByName(type.type, other);
    if (done.includes(r)) continue;
    done.push(r);
    walkLeaf({ ...entity, fileName: other }, partName, depth, forwarded, state, alternative);
  }
}

/** How walkLeaf reads a part of this type by this name (a key: equal when it reads it alike). */
function readingByName(type: string, fileName: string | undefined): string {
  const saved = fileName === undefined ? '' : savedName(fileName);
  return [saved.endsWith('.eml'), namesHtml(fileName), isTextLike(type, fileName), isRtf(type, fileName), attachmentFormat(type, fileName) ?? ''].join();
}

/** A part that is not a multipart: a forwarded message, text, or an attachment, read as its type and `entity.fileName` say. */
function walkLeaf(entity: Entity, partName: string, depth: number, forwarded: boolean, state: WalkState, alternative: string | undefined): void {
  const { type, body } = entity;
  const cte = fieldValue(entity.header, 'content-transfer-encoding');
  const encoding = transferEncoding(cte);
  // A saved message attached under another type (an .eml sent as application/octet-stream or
  // text/plain): mail programs open it as a message, so it is read as a forwarded one.
  const isMessage = FORWARDED_MESSAGE_TYPES.has(type.type) || (entity.fileName !== undefined && savedName(entity.fileName).endsWith('.eml'));
  if (isMessage && depth >= MAX_MIME_DEPTH) {
    state.skipped.push({ part: partName, contentType: type.type, reason: 'too-deep' });
    return;
  }
  if (isMessage) {
    const decoded = decodeContent(body, encoding, MAX_FORWARDED_MESSAGE_BYTES).bytes;
    walkForwarded(entity, decoded, partName, depth, state);
    // Decoded (base64, quoted-printable, uuencode), a bare CR the body as written cannot show:
    // the forwarded message is read the LF-only way too (findParts does so for what it shows).
    if ((encoding === 'base64' || encoding === 'quoted-printable' || UUENCODINGS.has(encoding)) && hasBareCr(decoded)) readLfOnlyToo(state, () => walkForwarded(entity, decoded, partName, depth, state));
    // RFC 2046 allows only 7bit, 8bit and binary on message/rfc822 and message/global: Python's
    // email package parses the body as the message whatever the field says (base64, uuencode),
    // where other readers decode it. Both messages are read, when the body as written starts with
    // a header field (base64 and uuencode lines hold no colon: a message encoded so is read once).
    if (type.type.startsWith('message/') && (encoding === 'base64' || UUENCODINGS.has(encoding)) && STARTS_WITH_FIELD.test(body.toString('latin1', 0, 1000))) {
      walkForwarded(entity, body.subarray(0, MAX_FORWARDED_MESSAGE_BYTES), partName, depth, state);
    }
    return;
  }
  // A text part named as HTML is opened in a browser, which shows it as HTML (an attachment of
  // another type named so is read as HTML by the attachment scan, attachments/index.ts).
  const html = type.type === 'text/html' || (type.type.startsWith('text/') && namesHtml(entity.fileName));
  if (!html && !isTextLike(type.type, entity.fileName)) {
    const format = attachmentFormat(type.type, entity.fileName);
    if (format === undefined) return;
    // Formats that are only reported (pdf, xls, rar, unknown) need their first bytes, to tell what
    // they really are; an unknown file or an archive that turns out to be a zip, TNEF, gzip, tar or
    // an OLE file (an Outlook item sent without its name) is decoded whole after all.
    let decoded = decodeContent(body, encoding, READ_FORMATS.has(format) ? MAX_ATTACHMENT_BYTES : SNIFF_BYTES);
    const sniffed = (format === 'unknown' || format === 'archive') && isReadContainer(decoded.bytes);
    // A file of unknown type whose bytes are text (a list sent as application/octet-stream, with
    // no name or "data.bin"): the reader's editor shows it as text, so it is read as text.
    // (Not an ASCII-armoured PGP message, which is text only in its letters: it is encrypted.)
    const armoured = !sniffed && format === 'unknown' && decoded.bytes.includes(PGP_ARMOUR);
    const textual = !sniffed && !armoured && format === 'unknown' && readsAsText(decoded.bytes);
    if (sniffed || textual) decoded = decodeContent(body, encoding, MAX_ATTACHMENT_BYTES);
    const { bytes, truncated } = decoded;
    const out: BinaryPart = { part: partName, contentType: type.type, format: textual ? 'text' : armoured ? 'pgp' : format, bytes, truncated: truncated && (READ_FORMATS.has(format) || sniffed || textual), forwarded };
    if (entity.fileName !== undefined) out.fileName = entity.fileName;
    const charset = type.params.get('charset');
    if (charset !== undefined) out.charset = charset;
    state.binary.push(out);
    return;
  }
  // Unencoded text without an "@" byte holds no address, in a charset that writes "@" as that
  // byte (UTF-16 and UTF-32 do too): skip decoding it. HTML can write the "@" as a character
  // reference (&#64;, &commat;), a vCard as quoted-printable (=40), RTF as \'40 or \u64; UTF-7
  // as +AEA-, EBCDIC as 0x7C, so other charsets are always decoded. A fullwidth at is looked for
  // as the part's charset writes it.
  const rtf = !html && isRtf(type.type, entity.fileName);
  const charset = type.params.get('charset');
  // Charsets other readers take (a plain one beside charset*): the text is decoded in each too.
  const otherCharsets = type.otherReadings?.get('charset') ?? [];
  const head = body.subarray(0, state.maxPartBytes);
  // What a limit leaves unread is reported (ATTACHMENT_NOT_SCANNED), never taken as clean.
  const unread = (reason: SkippedPart['reason'], detail?: string): void => {
    state.skipped.push(skippedPart(partName, entity, reason, forwarded, detail));
  };
  if (
    encoding !== 'base64' &&
    encoding !== 'quoted-printable' &&
    head.indexOf(0x40) === -1 &&
    !(html && head.indexOf(0x26) !== -1) &&
    head.indexOf('=40') === -1 &&
    head.indexOf('%40') === -1 &&
    !writesCompatAt(head, charset) &&
    !(rtf && head.indexOf(0x5c) !== -1) &&
    writesAtAs0x40(charset) &&
    otherCharsets.length === 0 &&
    !UUENCODINGS.has(encoding) &&
    !opensEncodedFile(head)
  ) {
    if (head.length < body.length) unread('partly-read', `the first ${head.length} bytes, without an address`);
    return;
  }
  if (state.budget <= 0) {
    unread('text-limit');
    return;
  }
  const limit = Math.min(state.maxPartBytes, state.budget);
  const { bytes, truncated } = decodeContent(body, encoding, limit);
  state.budget -= bytes.length;
  if (truncated) unread('partly-read', `the first ${bytes.length} bytes`);
  let text = decodeBytes(bytes, charset);
  for (const other of otherCharsets) text += `\n${decodeBytes(bytes, other)}`;
  // A Content-Transfer-Encoding with more than its name ("base64 x", "Base64;", "base64 (c)"):
  // Python's email package decodes only the name alone and shows the rest as written, mailparser
  // decodes some: the text as written is read too.
  if (cte !== undefined && (encoding === 'base64' || encoding === 'quoted-printable' || UUENCODINGS.has(encoding)) && cte.toLowerCase() !== encoding) text += `\n${decodeBytes(body.subarray(0, limit), charset)}`;
  const out: TextPart = { part: partName, contentType: type.type, text, html, forwarded, truncated };
  if (rtf) out.rtf = true;
  const enriched = enrichedKind(type.type);
  if (enriched !== undefined) out.enriched = enriched;
  if (type.type === 'text/plain' && type.params.get('format')?.toLowerCase() === 'flowed' && type.params.get('delsp')?.toLowerCase() === 'yes') out.delSp = true;
  if (entity.fileName !== undefined) out.fileName = entity.fileName;
  else if (alternative !== undefined) out.alternative = alternative;
  state.parts.push(out);
  // Bare-CR line ends (which the SMTP relay's client delivers as CRLF, and readers then decode):
  // the encoded lines are found as LF lines; LF lines are read as they were.
  if (!html && !UUENCODINGS.has(encoding)) addEncodedBlocks(text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text, partName, forwarded, state);
}

/** A forwarded message (its bytes decoded as the part says, or as written): its shown header fields, then its parts. */
function walkForwarded(entity: Entity, bytes: Buffer, partName: string, depth: number, state: WalkState): void {
  const type = entity.type;
  const inner = readEntity(bytes, 'text/plain', state.lineBreaks);
  // The forwarded message's own header shows its recipients to everyone who reads the forward,
  // and its other fields as the outer header's do: every client shows its Subject, and a list in
  // X-Recipients or Comments is shown to whoever opens it (otherFieldLists: not trace fields nor
  // identifiers, the same reading as for the message itself).
  const lines = inner.header.fields.filter((f) => FORWARDED_SHOWN_FIELDS.has(f.key)).map((f) => `${f.name}: ${decodeHeaderText(unfold(f.rawValue, inner.header.lineEnding))}`);
  for (const listed of otherFieldLists(inner.header).lists) lines.push(`${listed.key}: ${listed.addresses.join(', ')}`);
  if (lines.length > 0) {
    const text = lines.join('\n');
    const headerPart: TextPart = { part: partName, contentType: type.type, text, html: false, forwarded: true, truncated: false };
    if (entity.fileName !== undefined) headerPart.fileName = entity.fileName;
    state.parts.push(headerPart);
  }
  walk(inner, partName, depth + 1, true, state);
  walkFromLineNotAField(inner, bytes, partName, depth, true, state);
}

/**
 * A message, part or forwarded message whose header has a line that is not a field before its
 * blank line (no colon, or a name no field has: `Dear all, the list: ...`, or no header at all),
 * or a field written with white space before its colon (`Content-Type : image/png`, which Python's
 * header line pattern does not read as a field either): Python's email package ends the header
 * there and shows the rest as the text; mail programs read on to the blank line. The second
 * reading is scanned too (the first was walked by the caller).
 */
function walkFromLineNotAField(entity: Entity, bytes: Buffer, part: string, depth: number, forwarded: boolean, state: WalkState, alternative?: string): void {
  let from: number | undefined;
  for (const p of entity.header.problems) {
    if ((p.kind === 'line-without-colon' || p.kind === 'bad-field-name') && p.offset !== undefined && (from === undefined || p.offset < from)) from = p.offset;
  }
  const spaced = entity.header.fields.find((f) => f.spaceBeforeColon);
  if (spaced !== undefined && (from === undefined || spaced.start < from)) from = spaced.start;
  if (from === undefined) return;
  // Only the fields before that line are the header to Python: a Content-Transfer-Encoding after it is text.
  const start = from;
  const header = { ...entity.header, fields: entity.header.fields.filter((f) => f.start < start) };
  walk({ header, body: bytes.subarray(from), type: { type: 'text/plain', params: new Map(), extended: new Set() }, fileName: undefined }, part, depth + 1, forwarded, state, alternative);
}

/** The text parts of a whole message worth scanning for addresses, and the attachments to open, in MIME order. */
export function findParts(message: Uint8Array, maxPartBytes: number, header?: HeaderBlock): { text: TextPart[]; binary: BinaryPart[]; skipped: SkippedPart[] } {
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const budget = Math.max(MAX_MESSAGE_TEXT_BYTES, maxPartBytes);
  const state: WalkState = { parts: [], binary: [], skipped: [], visited: 0, maxPartBytes, budget, lineBreaks: 'cr-lf', other: { visited: 0, budget }, readTwice: false };
  const walkRoot = () => {
    const root = readEntity(bytes, 'text/plain', state.lineBreaks, header);
    walk(root, '', 0, false, state);
    walkFromLineNotAField(root, bytes, '', 0, false, state);
  };
  walkRoot();
  // A bare CR is a line break to this walk (and to Python's email package, and to the SMTP relay's
  // client, which sends it as CRLF), but a byte of its line to readers that break lines at LF only
  // (mailparser) and to an MTA that keeps it (Postfix: the milter, a sendmail binary, mail at rest):
  // a boundary or a part header beside one is another structure to them (a close delimiter after
  // it hid an invitation; `text/calendar; method=REQUEST\r\rX: y` ended the part's header here,
  // so the calendar was not one). The message is read their way too, and what both show counts.
  const bodyStart = header?.bodyStart ?? locateBodyStart(bytes);
  if (bodyStart !== -1 && hasBareCr(bytes.subarray(bodyStart))) readLfOnlyToo(state, walkRoot);
  if (!state.readTwice) return { text: state.parts, binary: state.binary, skipped: state.skipped };
  return { text: withoutRepeats(state.parts, textKey), binary: withoutRepeats(state.binary, binaryKey, (a, b) => a.bytes.equals(b.bytes)), skipped: withoutRepeats(state.skipped, skippedKey) };
}

/** Walks `read` with line breaks at LF only, on that reading's own part count and text budget. */
function readLfOnlyToo(state: WalkState, read: () => void): void {
  if (state.lineBreaks === 'lf') return;
  const swap = () => {
    [state.visited, state.other.visited] = [state.other.visited, state.visited];
    [state.budget, state.other.budget] = [state.other.budget, state.budget];
  };
  swap();
  state.lineBreaks = 'lf';
  state.readTwice = true;
  try {
    read();
  } finally {
    state.lineBreaks = 'cr-lf';
    swap();
  }
}

/** What two readings of one message both found, kept once: the same text, attachment or gap,
 * whatever part number each reading gave it, so a finding is not reported twice. Items with the
 * same key are compared by `same` as well (an attachment's bytes). */
function withoutRepeats<T>(items: T[], key: (item: T) => string, same: (a: T, b: T) => boolean = () => true): T[] {
  const kept = new Map<string, T[]>();
  return items.filter((item) => {
    const k = key(item);
    const earlier = kept.get(k);
    if (earlier?.some((e) => same(e, item))) return false;
    if (earlier) earlier.push(item);
    else kept.set(k, [item]);
    return true;
  });
}
const textKey = (p: TextPart): string => JSON.stringify([p.contentType, p.fileName, p.html, p.rtf, p.delSp, p.forwarded, p.truncated, p.alternative === undefined, p.text]);
const binaryKey = (b: BinaryPart): string => JSON.stringify([b.contentType, b.fileName, b.format, b.charset, b.truncated, b.forwarded, b.bytes.length]);
const skippedKey = (s: SkippedPart): string => JSON.stringify([s.part, s.contentType, s.fileName, s.forwarded, s.reason, s.detail]);

/** Types whose body a mail program shows as a forwarded message, its header with it: message/news
 * too, which Thunderbird renders as it renders message/rfc822 (libmime's MimeMessage class
 * implements both). Any other message/* part is read as RFC 2046 (5.2.4) says an unknown one is
 * to be read, as application/octet-stream (attachment-kind.ts): never passed over unread. */
const FORWARDED_MESSAGE_TYPES: ReadonlySet<string> = new Set(['message/rfc822', 'message/global', 'message/news']);

/** The text parts of a whole message worth scanning for addresses, in MIME order. */
export function findTextParts(message: Uint8Array, maxPartBytes: number, header?: HeaderBlock): TextPart[] {
  return findParts(message, maxPartBytes, header).text;
}

/**
 * Whether a message's header promises a body worth reading for the scan: text, multipart, a
 * forwarded message, or an attachment named like a text file. Lets readers skip the rest.
 */
export function bodyWorthScanning(header: HeaderBlock): boolean {
  if (!header.hasBlankLine) return false;
  const ctValue = fieldValue(header, 'content-type');
  if (!ctValue) return true;
  const parsed = parseHeaderParams(ctValue);
  const type = parsed.type;
  if (type.startsWith('multipart/') || type.startsWith('message/') || type.startsWith('text/') || TEXT_TYPES.has(type) || !type.includes('/')) return true;
  // The names the scan reads the part by (an encoded word decoded: list.csv on an image/png), and
  // a name that holds an address, which the scan reads as text (addShownNames).
  const { fileName, otherNames } = shownNames(parsed, fieldValue(header, 'content-disposition'));
  if ([fileName, ...otherNames].some((n) => n !== undefined && (n.includes('@') || COMPAT_AT.test(n)))) return true;
  // Every name: the walk reads the part as each of them says (walk, readingByName).
  return [fileName, ...otherNames].some((n) => isTextLike(type, n) || attachmentFormat(type, n) !== undefined);
}

/**
 * Whether a message may carry an attachment or an invitation (anything but one plain or HTML text
 * part): what the audit scans when a list in the text alone would not be an incident, so the
 * ordinary single-part message never pays for the scan.
 */
export function mayCarryAttachment(header: HeaderBlock): boolean {
  if (!header.hasBlankLine) return false;
  const ctValue = fieldValue(header, 'content-type');
  if (!ctValue) return false;
  const { type, params } = parseHeaderParams(ctValue);
  if (type !== 'text/plain' && type !== 'text/html') return true;
  const dispValue = fieldValue(header, 'content-disposition');
  return (dispValue ? parseHeaderParams(dispValue).params.get('filename') : undefined) !== undefined || params.get('name') !== undefined;
}
