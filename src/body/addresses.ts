// Finds email addresses in free text (bodies, CSV, vCards). Linear: it looks for each "@" and
// expands left and right within bounds, so a megabyte without an address costs one indexOf pass
// (a single regular expression backtracks quadratically on long runs of word characters).

import { domainToASCII } from 'node:url';
import { decodeBytes, decodeHeaderText } from './mime.js';
import { fullwidthAsciiDomain } from '../message/domain.js';
import { INVISIBLE } from './html-text.js';
import { MAX_DOMAIN_BYTES, MAX_LOCAL_PART_BYTES } from '../limits.js';

const ASCII_LOCAL = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~.-") ASCII_LOCAL[c.charCodeAt(0)] = 1;
const ASCII_DOMAIN = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-') ASCII_DOMAIN[c.charCodeAt(0)] = 1;

// Built on first use from a string: V8 checks a regular expression literal's syntax when it
// parses the file, and looking up Unicode properties is the costly part of that (with the
// script test in src/message/domain.ts, ~5M instructions of every cold start, bench scenario 5).
let letterOrDigit: RegExp | undefined;

function isLetterOrDigit(ch: string): boolean {
  letterOrDigit ??= new RegExp('[\\p{L}\\p{N}]', 'u');
  return letterOrDigit.test(ch);
}

function isLocalCharAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 ? ASCII_LOCAL[c] === 1 : isLatinAlphanumeric(c) || isLetterOrDigit(text[i]!);
}

/** ' . = ` : punctuation that wraps an address rather than starts it. */
function isWrappingPunctuation(c: number): boolean {
  return c === 0x2e || c === 0x27 || c === 0x3d || c === 0x60;
}

/** A full stop IDNA maps to "." (ideographic, fullwidth, halfwidth), or one whose compatibility
 * form (NFKC) is "." (one dot leader U+2024, small full stop U+FE52), which IDNA refuses: a reader
 * sees `a@alpha\u2024example` as an address all the same, as the fullwidth and small ats. */
function isWideDot(c: number): boolean {
  return c === 0x3002 || c === 0xff0e || c === 0xff61 || c === 0x2024 || c === 0xfe52;
}

/** The dots IDNA refuses that read as "." (isWideDot). */
const COMPAT_DOTS = /[\u2024\ufe52]/g;

/** A full stop or hyphen (ASCII, or a wide dot) that ends a sentence after an address, not the address. */
function isTrailingDot(c: number): boolean {
  return c === 0x2e || c === 0x2d || isWideDot(c);
}

/** Characters of a written domain that IDNA (UTS 46) maps to nothing, or that continue a label
 * though they are not letters: combining marks (a decomposed ü, the vowel signs of Devanagari or
 * Thai), the soft hyphen and zero-width joiners. A reader sees the domain across them. */
let domainMark: RegExp | undefined;

/** Whether `c` (a UTF-16 unit) is an ASCII or fullwidth letter or digit. */
function isLatinAlphanumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || (c >= 0xff10 && c <= 0xff19) || (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a);
}

/** Whether the character at `i` continues a domain. A wide dot (an ideographic, fullwidth or
 * halfwidth full stop, which IDNA maps to ".", a one dot leader or small full stop) does when a
 * Latin letter or digit follows it (org0．test); before other text it ends a sentence. */
function isDomainCharAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return ASCII_DOMAIN[c] === 1;
  if (isWideDot(c)) return isLatinAlphanumeric(text.charCodeAt(i + 1));
  // Fullwidth letters and digits (letters to \p{L}, digits to \p{N}) without a one-character string and a regular expression.
  if (isLatinAlphanumeric(c)) return true;
  const ch = text[i]!;
  domainMark ??= new RegExp('[\\p{M}\\u00ad\\u200b-\\u200d\\u2060\\ufeff]', 'u');
  return isLetterOrDigit(ch) || domainMark.test(ch);
}

// Image names written with a density suffix (logo@2x.png) look like addresses; no such TLD exists.
const FILE_SUFFIXES = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'tif', 'tiff', 'heic']);

const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

function acceptDomain(written: string): string | undefined {
  let domain = written;
  if (/[^\x00-\x7f]/.test(domain)) {
    // A one dot leader or small full stop reads as ".", though IDNA refuses it (isWideDot).
    domain = domain.replace(COMPAT_DOTS, '.');
    // A domain the strict reading refuses as a recipient (upper-case or fullwidth letters, a
    // fullwidth dot, a soft hyphen, a decomposed letter, scripts mixed: AMBIGUOUS_RECIPIENT in To)
    // is still an address to whoever reads the text: counted as IDNA (UTS 46, as browsers and mail
    // clients look names up) maps it. Dropping it let a display name or X-Recipients field listing
    // u0@BÜCHER0.example, u1@ｏｒｇ1.example ... pass. A zero-width joiner IDNA refuses outside
    // the scripts that use it is invisible: the domain is read without it.
    // (No normaliseDomain first: where it accepts a domain (no trailing dot, as here), its ascii
    // is this same domainToASCII; it cost two more ICU calls per domain, bench scenario 11.)
    // Fullwidth look-alikes (the common refused domain) are mapped without ICU, to the same result.
    const ascii = fullwidthAsciiDomain(domain) ?? (domainToASCII(domain) || domainToASCII(domain.replace(/[\u200b-\u200d\u2060\ufeff]/g, '')));
    if (ascii === '') return undefined;
    domain = ascii;
  } else domain = domain.toLowerCase();
  // Labels 1 to 63 long, no hyphen first or last, at least two of them: one pass, no split (each
  // "@" of a 250,000-address header comes here, bench scenario 11).
  let start = 0;
  let dots = 0;
  for (let i = 0; i <= domain.length; i++) {
    if (i < domain.length && domain.charCodeAt(i) !== 0x2e) continue;
    const length = i - start;
    if (length === 0 || length > 63 || domain.charCodeAt(start) === 0x2d || domain.charCodeAt(i - 1) === 0x2d) return undefined;
    if (i < domain.length) {
      dots++;
      start = i + 1;
    }
  }
  if (dots === 0) return undefined;
  const tld = domain.slice(start);
  if (!TLD.test(tld) || FILE_SUFFIXES.has(tld)) return undefined;
  return domain;
}

/** One of INVISIBLE (that one is global: its lastIndex would carry from test to test). */
const INVISIBLE_CHAR = new RegExp(INVISIBLE.source);

/** A fullwidth or small commercial at (U+FF20, U+FE6B): they read as "@" (findAddresses reads
 * text holding one in its NFKC form). */
export const COMPAT_AT = /[\uFF20\uFE6B]/;

/** Whether text may show an address: an "@", or a fullwidth or small commercial at. */
export function textMayShowAt(text: string): boolean {
  return text.includes('@') || COMPAT_AT.test(text);
}
const FULLWIDTH_AT_UTF8 = Buffer.from('\uFF20', 'utf8');
const SMALL_AT_UTF8 = Buffer.from('\uFE6B', 'utf8');
const FULLWIDTH_AT_LATIN1 = FULLWIDTH_AT_UTF8.toString('latin1');
const SMALL_AT_LATIN1 = SMALL_AT_UTF8.toString('latin1');

/** Whether raw header text (bytes as latin1) holds a fullwidth or small commercial at in UTF-8
 * (one search for their lead byte first, as header text rarely has it), or as an East Asian
 * charset writes it unencoded (rawHeaderCjkText). */
export function holdsCompatAt(raw: string): boolean {
  return (raw.includes('\xEF') && (raw.includes(FULLWIDTH_AT_LATIN1) || raw.includes(SMALL_AT_LATIN1))) || CJK_AT_LATIN1.test(raw) || (raw.includes('\x1b') && JIS_AT_LATIN1.test(raw));
}

/**
 * Raw 8-bit header text (bytes as latin1) that is not UTF-8 and holds a fullwidth or small at as an
 * East Asian charset writes it, read in those charsets (Thunderbird and Outlook read such bytes in
 * the fallback charset of a Japanese, Chinese or Korean locale): `Subject: 名簿 p1＠x.test, ...` in
 * Shift_JIS shows a list there, and none read as UTF-8. Undefined for any other text.
 */
export function rawHeaderCjkText(latin1: string): string | undefined {
  // ISO-2022-JP is 7-bit, so never "not UTF-8": Thunderbird takes text holding ESC for it
  // (Is7bitNonAsciiString) when that is the fallback charset, as it is in the Japanese locale.
  const jis = latin1.includes('\x1b') && JIS_AT_LATIN1.test(latin1);
  const eightBit = CJK_AT_LATIN1.test(latin1);
  if (!jis && !eightBit) return undefined;
  const bytes = Buffer.from(latin1, 'latin1');
  const notUtf8 = eightBit && bytes.toString('utf8').includes('\ufffd');
  const readings = undeclaredCjkCharsets(bytes)
    .filter((charset) => notUtf8 || (jis && charset === 'iso-2022-jp'))
    .map((charset) => decodeBytes(bytes, charset));
  return readings.length === 0 ? undefined : readings.join(' ');
}

/** The same in bytes, in UTF-8. */
export function bytesHoldCompatAt(b: Buffer): boolean {
  return b.includes(FULLWIDTH_AT_UTF8) || b.includes(SMALL_AT_UTF8);
}

/**
 * The East Asian charsets, with the bytes each writes a fullwidth (U+FF20) and a small (U+FE6B)
 * commercial at as where it has them. "@" is 0x40 in all of them, but these two are not: a
 * Japanese list written `p1＠org.example` in Shift_JIS holds no 0x40 and no UTF-8. `labels` are the
 * names a declared charset goes by; `name` is the one text declaring no charset is decoded with
 * (undeclaredCjkCharsets). ISO-2022-JP writes the at as "!w" after ESC $ B (JIS X 0208), 7-bit:
 * undeclared text is only taken for it with that escape beside the at.
 */
const CJK_CHARSETS: ReadonlyArray<{ name: string; labels: RegExp; ats: readonly Buffer[]; escape?: Buffer }> = [
  { name: 'shift_jis', labels: /^(?:shift[-_]?jis|s?jis|x-sjis|ms_kanji|csshiftjis|windows-31j|(?:x-)?cp-?932|ms932)$/, ats: [Buffer.from([0x81, 0x97])] },
  { name: 'euc-jp', labels: /^(?:(?:x-)?euc-?jp|cseucpkdfmtjapanese)$/, ats: [Buffer.from([0xa1, 0xf7])] },
  { name: 'iso-2022-jp', labels: /^(?:iso-?2022-?jp(?:-\d|-ext)?|csiso2022jp2?|cp5022[012])$/, ats: [Buffer.from('!w', 'latin1')], escape: Buffer.from([0x1b, 0x24, 0x42]) },
  { name: 'big5', labels: /^(?:big-?5(?:-hkscs)?|x-x-big5|cn-big5|csbig5|cp-?950|windows-950)$/, ats: [Buffer.from([0xa2, 0x49]), Buffer.from([0xa2, 0x4e])] },
  { name: 'gb18030', labels: /^(?:gb2312|gbk|gb18030|x-gbk|cp-?936|windows-936|euc-?cn|x-euc-cn|chinese|csgb2312|iso-ir-58)$/, ats: [Buffer.from([0xa3, 0xc0]), Buffer.from([0xa9, 0x88])] },
  { name: 'euc-kr', labels: /^(?:euc-?kr|cseuckr|ks_c_5601-19(?:87|89)|ksc_?5601|cp-?949|windows-949|uhc|korean|csksc56011987|iso-ir-149)$/, ats: [Buffer.from([0xa3, 0xc0])] },
];

/** Any 8-bit at of CJK_CHARSETS in raw header text (bytes as latin1): one search. */
const CJK_AT_LATIN1 = new RegExp(
  CJK_CHARSETS.filter((c) => c.escape === undefined)
    .flatMap((c) => c.ats.map((at) => [...at].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')))
    .join('|'),
);

/** ISO-2022-JP's fullwidth at: "!w" in JIS X 0208 text, after ESC $ B (or ESC $ @, its 1978 form) and before the next escape. */
const JIS_AT_LATIN1 = /\x1b\$[@B][^\x1b]*?!w/;

const NO_COMPAT_ATS: readonly Buffer[] = [];

/** The bytes `charset` writes a fullwidth or small commercial at as, when that is not UTF-8 (an
 * East Asian double-byte charset); none for the others (single-byte charsets have no such at). */
export function charsetCompatAts(charset: string | undefined): readonly Buffer[] {
  if (charset === undefined) return NO_COMPAT_ATS;
  const label = charset.trim().toLowerCase();
  return CJK_CHARSETS.find((c) => c.labels.test(label))?.ats ?? NO_COMPAT_ATS;
}

/**
 * The East Asian charsets text that declares no charset (a CSV attachment without a charset
 * parameter, a member of a zip or tar) may be written in, by the fullwidth or small ats it holds as
 * they write them; empty for nearly all text (a byte search per pattern). Such text is read as
 * UTF-8, but Excel on a Japanese, Chinese or Korean Windows opens it in the system's code page, so
 * `p1＠org.example` in Shift_JIS showed a list there and nothing here.
 */
export function undeclaredCjkCharsets(b: Buffer): string[] {
  return CJK_CHARSETS.filter((c) => c.ats.some((at) => b.includes(at)) && (c.escape === undefined || b.includes(c.escape))).map((c) => c.name);
}

/** Whether bytes in `charset` hold a fullwidth or small commercial at, in UTF-8 or as that charset writes it. */
export function bytesHoldCompatAtIn(b: Buffer, charset: string | undefined): boolean {
  return bytesHoldCompatAt(b) || charsetCompatAts(charset).some((at) => b.includes(at));
}

/** Written domains a `domains` map keeps. Lists repeat their domains, and the first few thousand
 * distinct ones cover them; a header of 250,000 distinct domains spent a sixth of its check
 * inserting entries nothing read again (bench scenario 11). */
const DOMAINS_KEPT = 4_096;

/**
 * Distinct addresses in `text`, lower-cased with A-label domains (`local@domain`). Quoting,
 * angle brackets, `mailto:` and CSV or vCard punctuation around them are ignored. Each address
 * `into` did not hold yet is also pushed onto `added`, when given: a caller that keeps one set of
 * every address it has seen learns the new ones without a second set. Reading stops once `into`
 * holds more than `limit` addresses (a caller's share of MAX_ADDRESSES_PER_MESSAGE): a caller
 * that finds `into.size > limit` knows the text holds more than it reads, and reading the rest of
 * a field of 600,000 addresses cost seconds for an answer that was already "too many".
 */
export function findAddresses(text: string, into: Set<string> = new Set(), domains: Map<string, string | undefined> = new Map(), added?: string[], limit = Infinity): Set<string> {
  // An address written with a fullwidth or small commercial at (U+FF20, U+FE6B; fullwidth letters
  // around it) reads as an address to anyone: the text is read again in its compatibility form
  // (NFKC), where they are "@" and ASCII. Only such text pays for the normalisation.
  if (COMPAT_AT.test(text)) {
    findAddresses(text.normalize('NFKC'), into, domains, added, limit);
    if (into.size > limit) return into;
  }
  // Lists repeat their domains; normalising each once keeps IDN-heavy text cheap. A caller that
  // scans many small texts (the cells of a workbook) passes one map for all of them.
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > 0 && at - start <= MAX_LOCAL_PART_BYTES && isLocalCharAt(text, start - 1)) start--;
    let end = at + 1;
    while (end < text.length && end - at <= MAX_DOMAIN_BYTES + 1 && isDomainCharAt(text, end)) end++;
    // Punctuation that wraps an address rather than belongs to it: 'x@y', .x@y, =x@y (stray QP);
    // and sentence punctuation after it. (Loops, not regular expressions: every "@" of a
    // 250,000-address header comes through here, bench scenario 11.)
    let from = start;
    while (from < at && isWrappingPunctuation(text.charCodeAt(from))) from++;
    let to = end;
    while (to > at + 1 && isTrailingDot(text.charCodeAt(to - 1))) to--;
    const local = text.slice(from, at);
    const domainText = text.slice(at + 1, to);
    const tooLong = at - start > MAX_LOCAL_PART_BYTES || end - at > MAX_DOMAIN_BYTES + 1;
    if (!tooLong && local.length > 0 && !local.endsWith('.') && !local.includes('..') && domainText.length > 0) {
      let domain = domains.get(domainText);
      if (domain === undefined && !domains.has(domainText)) {
        domain = acceptDomain(domainText);
        if (domains.size < DOMAINS_KEPT) domains.set(domainText, domain);
      }
      if (domain !== undefined) {
        const lower = local.toLowerCase();
        // Written as found (lower case, an ASCII domain): one slice of the text, not a
        // concatenation that the set's hashing would flatten into a copy (bench scenario 11).
        const address = lower === local && domain === domainText ? text.slice(from, to) : `${lower}@${domain}`;
        const before = into.size;
        into.add(address);
        if (into.size !== before) {
          if (added !== undefined) added.push(address);
          // Past the caller's bound: it knows by the size, and the rest of the text is not read.
          if (into.size > limit) return into;
        }
      }
    }
    at = text.indexOf('@', at + 1);
  }
  return into;
}

/**
 * Addresses written in header text (a display name, a comment, a group name, an unstructured
 * field), decoded as a reader sees it: encoded words and 8-bit UTF-8 decoded, quoted pairs read
 * without their backslashes. Found addresses go into `found`; those it did not hold yet are
 * pushed onto `added` too, when given, and reading stops once `found` holds more than `limit`
 * (as findAddresses does).
 */
export function addressesInHeaderText(text: string, found: Set<string> = new Set(), added?: string[], limit = Infinity): Set<string> {
  const decoded = /[\x80-\xff]|=\?/.test(text) ? decodeHeaderText(text) : text;
  const domains = new Map<string, string | undefined>();
  findAddresses(decoded, found, domains, added, limit);
  if (found.size > limit) return found;
  // Invisible characters (a zero-width space or soft hyphen before the "@") are shown as nothing:
  // the text is read without them too, as the body scan reads a text.
  if (decoded !== text && INVISIBLE_CHAR.test(decoded)) findAddresses(decoded.replace(INVISIBLE, ''), found, domains, added, limit);
  if (found.size > limit) return found;
  // Unencoded East Asian bytes (Shift_JIS ...) read as that locale's reader shows them, too.
  const cjk = rawHeaderCjkText(text);
  if (cjk !== undefined) findAddresses(cjk, found, domains, added, limit);
  if (found.size > limit) return found;
  // Quoted pairs (`"a\@x.test"`, `(b\.y.test)`) are shown without their backslashes: read the text
  // that way too (as written as well, in case a backslash stands inside an encoded word).
  if (text.includes('\\')) {
    // Once: the text without its quoted pairs (a lone backslash at the end stays, and is not read again).
    const unescaped = text.replace(/\\([\s\S])/g, '$1');
    if (unescaped !== text) findAddresses(/[\x80-\xff]|=\?/.test(unescaped) ? decodeHeaderText(unescaped) : unescaped, found, domains, added, limit);
  }
  return found;
}
