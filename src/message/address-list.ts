// A strict RFC 5322 address-list parser that reports ambiguity instead of repairing it.
//
// Why not nodemailer's addressparser: it is built to accept anything and guess (a missing
// separator, an unclosed quote or bracket all become "some address"), and those guesses are
// exactly where mail software disagrees about who receives a message. A guard must refuse to
// guess, so this parser keeps to the grammar and names every deviation it meets.

import { MAX_COMMENT_DEPTH, MAX_GROUP_DEPTH, MAX_LOCAL_PART_BYTES, MAX_PROBLEMS_PER_FIELD } from '../limits.js';
import { certainlyRefused, normaliseAddressLiteral, normaliseDomain, plainAsciiName, type DomainProblem } from './domain.js';

export type AddressProblemKind =
  | 'unbalanced-quote'
  | 'unbalanced-comment'
  | 'unbalanced-angle'
  | 'unbalanced-bracket'
  | 'comment-too-deep'
  | 'missing-separator'
  | 'encoded-word-in-address'
  | 'control-character'
  | 'multiple-at'
  | 'route-syntax'
  | 'missing-domain'
  | 'missing-local-part'
  | 'invalid-local-part'
  | 'invalid-domain'
  | 'idn-mismatch'
  | 'mixed-script-domain'
  | 'invalid-utf8'
  | 'nested-group'
  | 'unterminated-group'
  | 'comment-in-address'
  | 'routed-local-part'
  | 'invalid-character';

export interface AddressProblem {
  kind: AddressProblemKind;
  /** A short excerpt of the offending text (never more than one address). */
  excerpt: string;
}

export interface Mailbox {
  /** The normalised addr-spec: local part as written (minimal quoting), `@`, A-label domain. */
  address: string;
  local: string;
  /** The domain in lower-case A-label form without a trailing dot, or a `[literal]`. */
  domain: string;
  /** The display name as written (raw, undecoded, may hold RFC 2047 encoded words). */
  rawName: string;
  /** The group this mailbox was listed in, if any (raw group name). */
  group?: string;
  /** The mailbox exactly as it stood in the unfolded field value. */
  source: string;
}

export interface AddressList {
  mailboxes: Mailbox[];
  /** The parse passed its deadline and stopped: the mailboxes are incomplete (see MAX_PARSE_MS). */
  timedOut?: boolean;
  /** The parse stopped after `maxMailboxes` mailboxes: the rest of the field was not read. */
  truncated?: boolean;
  /** Groups seen (their raw names), including empty ones like `undisclosed-recipients:;`. */
  groups: string[];
  /**
   * Comments as written (with their parentheses) that may hold an address (mayWriteAddress).
   * Readers show comments (nodemailer's addressparser and Python's getaddresses turn
   * `me@corp.example (a@x.test, b@y.test)` into a display name), so what they hold is shown.
   */
  comments?: string[];
  problems: AddressProblem[];
}

// Tokens live in parallel typed arrays (kind, start, end), not objects: a 5-MB field holds about
// a million tokens, and as objects they outlived the young generation and cost most of the
// parse in garbage collection (bench scenario 4). A token's text is always `s.slice(start, end)`
// (a space token stands for one space), so no string is cut until a result needs it.
const T_ATOM = 1;
const T_QUOTED = 2;
const T_LITERAL = 3;
const T_SPACE = 4;
const T_COMMENT = 5;
// A special's kind is its own character code.
const T_LT = 0x3c;
const T_GT = 0x3e;
const T_COMMA = 0x2c;
const T_COLON = 0x3a;
const T_SEMI = 0x3b;
const T_AT = 0x40;
const T_DOT = 0x2e;

/** The token arrays are reused from call to call (parsing is synchronous); past this many
 * tokens they are dropped after the call rather than kept for the life of the process. */
const TOKEN_SCRATCH_KEEP = 65_536;
/** Room for the tokens of a usual To or Cc field without growing (doubles when needed). */
const TOKEN_SCRATCH_INITIAL = 256;
let tokKind = new Uint8Array(TOKEN_SCRATCH_INITIAL);
let tokStart = new Int32Array(TOKEN_SCRATCH_INITIAL);
let tokEnd = new Int32Array(TOKEN_SCRATCH_INITIAL);

/** A field has about one token per three bytes; sizing for that up front spares most copying. */
const TOKEN_BYTES_ESTIMATE = 3;

function growTokens(size = tokKind.length * 2): void {
  const kind = new Uint8Array(size);
  kind.set(tokKind);
  const start = new Int32Array(size);
  start.set(tokStart);
  const end = new Int32Array(size);
  end.set(tokEnd);
  tokKind = kind;
  tokStart = start;
  tokEnd = end;
}

function releaseTokens(): void {
  if (tokKind.length <= TOKEN_SCRATCH_KEEP) return;
  tokKind = new Uint8Array(TOKEN_SCRATCH_INITIAL);
  tokStart = new Int32Array(TOKEN_SCRATCH_INITIAL);
  tokEnd = new Int32Array(TOKEN_SCRATCH_INITIAL);
}

const ATEXT_EXTRA = "!#$%&'*+-/=?^_`{|}~";
const IS_ATEXT = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c >= 0x80) IS_ATEXT[c] = 1;
  else if (ATEXT_EXTRA.includes(ch)) IS_ATEXT[c] = 1;
}
/** IS_ATEXT without the two lead bytes of a Unicode line break (0xc2, 0xe2): a character of
 * this class continues an atom with no further look. */
const IS_PLAIN_ATEXT = IS_ATEXT.map((v, c) => (c === 0xc2 || c === 0xe2 ? 0 : v));
const EXCERPT_CHARS = 80;

/** Characters an excerpt shows escaped: C0 and C1 controls (ESC and CSI drive terminals), DEL,
 * the Unicode line and paragraph separators. */
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;

/** A short, printable excerpt of raw field bytes (a latin1 string): UTF-8 decoded where it is
 * valid (U+FFFD where not), every control character escaped, so a report or an SMTP reply that
 * quotes it can be neither split nor used to drive a terminal. */
function excerpt(text: string): string {
  // Cut first: the rest of an 8 MB field is never shown, so it is never scanned either.
  const raw = text.length > EXCERPT_CHARS * 4 ? text.slice(0, EXCERPT_CHARS * 4) : text;
  const s = Buffer.from(raw, 'latin1').toString('utf8');
  const clean = s.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
  return clean.length > EXCERPT_CHARS ? `${clean.slice(0, EXCERPT_CHARS)}…` : clean;
}

/**
 * The UTF-8 length of a Unicode line break or C1 control starting at `i` (NEL and the other
 * U+0080-U+009F, LINE and PARAGRAPH SEPARATOR), else 0. Python's str.splitlines(), Java and
 * JavaScript treat these as line ends: a recipient field holding one is split by some software.
 */
function unicodeBreakAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0xc2) {
    const d = s.charCodeAt(i + 1);
    return d >= 0x80 && d <= 0x9f ? 2 : 0;
  }
  if (c === 0xe2 && s.charCodeAt(i + 1) === 0x80) {
    const d = s.charCodeAt(i + 2);
    return d === 0xa8 || d === 0xa9 ? 3 : 0;
  }
  return 0;
}

/** Tokenizes the whole field into the token arrays (problems in field order, as before any
 * parsing); returns the number of tokens. */
function tokenize(s: string, problems: AddressProblem[]): number {
  let count = 0;
  if (s.length / TOKEN_BYTES_ESTIMATE > tokKind.length) growTokens(Math.ceil(s.length / TOKEN_BYTES_ESTIMATE));
  // The arrays in locals, each token written in place (no pushing closure), and atoms, two
  // tokens in three, tried first, with the table that needs no further look: the other classes
  // are all outside it, so the order of the tests changes no token (bench scenario 1).
  let kinds = tokKind;
  let starts = tokStart;
  let ends = tokEnd;
  const plain = IS_PLAIN_ATEXT;
  const n = s.length;
  let i = 0;
  let reportedControl = false;
  while (i < n) {
    // Each pass writes at most one token: room for it first.
    if (count === kinds.length) {
      growTokens();
      kinds = tokKind;
      starts = tokStart;
      ends = tokEnd;
    }
    const c = s.charCodeAt(i);
    const start = i;
    if (c < 256 && plain[c] === 1) {
      i++;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d < 256 && plain[d] === 1) i++;
        else if ((d === 0xc2 || d === 0xe2) && unicodeBreakAt(s, i) === 0) i++;
        else break;
      }
      kinds[count] = T_ATOM;
      starts[count] = start;
      ends[count++] = i;
      continue;
    }
    if (c === 0x20 || c === 0x09) {
      while (i < n && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
      kinds[count] = T_SPACE;
      starts[count] = start;
      ends[count++] = i;
      continue;
    }
    const unicodeBreak = c === 0xc2 || c === 0xe2 ? unicodeBreakAt(s, i) : 0;
    if (c < 0x20 || c === 0x7f || unicodeBreak > 0) {
      // NUL, bare CR or LF left after unfolding, other control bytes and Unicode line breaks:
      // parsers truncate or split at these in different places.
      if (!reportedControl && problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'control-character', excerpt: excerpt(s.slice(Math.max(0, i - 20), i + 20)) });
      reportedControl = true;
      i += unicodeBreak || 1;
      kinds[count] = T_SPACE;
      starts[count] = start;
      ends[count++] = i;
      continue;
    }
    if (c === 0x22 /* " */) {
      i++;
      let closed = false;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          i += 2;
          continue;
        }
        if (d === 0x22) {
          closed = true;
          i++;
          break;
        }
        if ((d < 0x20 && d !== 0x09) || d === 0x7f || ((d === 0xc2 || d === 0xe2) && unicodeBreakAt(s, i) > 0)) {
          if (!reportedControl && problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'control-character', excerpt: excerpt(s.slice(start, i + 20)) });
          reportedControl = true;
        }
        i++;
      }
      if (!closed) {
        if (problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'unbalanced-quote', excerpt: excerpt(s.slice(start)) });
        i = n;
      }
      kinds[count] = T_QUOTED;
      starts[count] = start;
      ends[count++] = Math.min(i, n);
      continue;
    }
    if (c === 0x28 /* ( */) {
      let depth = 0;
      let tooDeep = false;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 0x5c) {
          i += 2;
          continue;
        }
        if (d === 0x28) {
          depth++;
          if (depth > MAX_COMMENT_DEPTH) tooDeep = true;
        } else if (d === 0x29) {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        } else if ((d < 0x20 && d !== 0x09) || d === 0x7f || ((d === 0xc2 || d === 0xe2) && unicodeBreakAt(s, i) > 0)) {
          if (!reportedControl && problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'control-character', excerpt: excerpt(s.slice(start, i + 20)) });
          reportedControl = true;
        }
        i++;
      }
      if (tooDeep && problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'comment-too-deep', excerpt: excerpt(s.slice(start, start + 40)) });
      if (depth > 0) {
        if (problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'unbalanced-comment', excerpt: excerpt(s.slice(start)) });
        i = n;
      }
      kinds[count] = T_COMMENT;
      starts[count] = start;
      ends[count++] = Math.min(i, n);
      continue;
    }
    if (c === 0x29 /* ) */) {
      if (problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'unbalanced-comment', excerpt: excerpt(s.slice(Math.max(0, i - 40), i + 1)) });
      i++;
      continue;
    }
    if (c === 0x5b /* [ */) {
      i++;
      let closed = false;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 0x5c) {
          i += 2;
          continue;
        }
        if (d === 0x5b) break;
        if (d === 0x5d) {
          closed = true;
          i++;
          break;
        }
        i++;
      }
      if (!closed) {
        if (problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'unbalanced-bracket', excerpt: excerpt(s.slice(start, start + 60)) });
        i = Math.max(i, start + 1);
      }
      kinds[count] = T_LITERAL;
      starts[count] = start;
      ends[count++] = i;
      continue;
    }
    if (c === 0x5d /* ] */ || c === 0x5c /* \ */) {
      if (problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: c === 0x5d ? 'unbalanced-bracket' : 'invalid-character', excerpt: excerpt(s.slice(Math.max(0, i - 40), i + 1)) });
      i++;
      continue;
    }
    if (c === 0x3c || c === 0x3e || c === 0x2c || c === 0x3a || c === 0x3b || c === 0x40 || c === 0x2e) {
      i++;
      kinds[count] = c;
      starts[count] = start;
      ends[count++] = i;
      continue;
    }
    if (c < 256 && IS_ATEXT[c]) {
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d < 256 && IS_ATEXT[d] && !((d === 0xc2 || d === 0xe2) && unicodeBreakAt(s, i) > 0)) i++;
        else break;
      }
      kinds[count] = T_ATOM;
      starts[count] = start;
      ends[count++] = i;
      continue;
    }
    // Anything else (a latin1 char > 0xff cannot occur; kept for completeness).
    if (problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'invalid-character', excerpt: excerpt(s.slice(Math.max(0, i - 20), i + 20)) });
    i++;
  }
  return count;
}

const ENCODED_WORD = /=\?[^?\s]*\?[bBqQ]\?[^?\s]*\?=/;
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\x80-\uffff]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\x80-\uffff]+)*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** A local part with these is routed on by some MTAs (see parseAddrSpec). */
const ROUTED_LOCAL = /[%!@]/;

/** The text of token `k` (a space token stands for one space). */
function textOf(s: string, k: number): string {
  return tokKind[k] === T_SPACE ? ' ' : s.slice(tokStart[k]!, tokEnd[k]!);
}

/** The text of tokens `lo` to `hi` (exclusive): one flat slice when they are contiguous (the
 * usual case), so the regular expressions and Map lookups below do not each flatten a
 * concatenated string. */
function tokenText(s: string, lo: number, hi: number): string {
  if (hi <= lo) return '';
  for (let k = lo + 1; k < hi; k++) {
    if (tokStart[k] !== tokEnd[k - 1]) {
      let text = '';
      for (let m = lo; m < hi; m++) text += textOf(s, m);
      return text;
    }
  }
  return s.slice(tokStart[lo]!, tokEnd[hi - 1]!);
}

/** Written domain (raw dot-atom text) -> its normalised form or the problem. Domains repeat
 * across the messages of a folder or campaign, and normalising one (UTF-8, IDNA, scripts) costs
 * more than parsing the rest of its address (bench scenario 1). The check is pure, so caching
 * it changes nothing but speed. */
const domainCache = new Map<string, WrittenDomain>();
/** Bounds the cache: a header with 100,000 distinct domains must not keep them all. 4,096 was
 * too few for one list of 5,000 organisations: the cache emptied every 4,096 new domains and
 * most lookups missed (bench scenario 4). */
const DOMAIN_CACHE_ENTRIES = 16_384;

/** Lookups the cache answered since it was last emptied. */
let domainCacheHits = 0;
/** Domains the current field put in the cache. */
let domainsCachedThisField = 0;
/** Set when this field alone filled the cache and few lookups hit it: the rest of the field is not
 * cached (each entry is a copied key and a table insertion that nothing reads: the bench's header
 * of 200,000 distinct domains emptied and refilled the cache twelve times). Cleared per field. */
let domainCacheClosed = false;
/** Hits per filling below which a field's new domains are not worth caching. A folder's messages
 * reuse their domains many times over; a list of distinct domains has next to none. */
const DOMAIN_CACHE_MIN_HITS = DOMAIN_CACHE_ENTRIES / 4;

/** `kindNeeded`: false once the field has MAX_PROBLEMS_PER_FIELD problems, when a refusal is
 * not recorded and only whether the domain is refused matters. */
function normaliseWrittenDomain(rawDomain: string, kindNeeded = true): WrittenDomain {
  let hit = domainCache.get(rawDomain);
  if (hit) {
    domainCacheHits++;
    return hit;
  }
  if (rawDomain.includes('=?') && ENCODED_WORD.test(rawDomain)) {
    hit = { ok: false, problem: 'encoded-word-in-address' };
  } else {
    const decoded = decodeUtf8Bytes(rawDomain);
    if (decoded === undefined) {
      hit = { ok: false, problem: 'invalid-utf8' };
    } else if (!kindNeeded && certainlyRefused(decoded)) {
      // Refused whatever the kind (not remembered: the kind stands for a first problem elsewhere).
      return REFUSED['idn-mismatch'];
    } else {
      // A plain ASCII name (the usual case) without normaliseDomain's result object.
      let ascii = plainAsciiName(decoded);
      let refused: DomainProblem | undefined;
      if (ascii === undefined) {
        const norm = normaliseDomain(decoded);
        if (norm.ok) ascii = norm.ascii;
        else refused = norm.problem;
      }
      if (ascii !== undefined) {
        const asWritten = ascii === rawDomain;
        if (!cacheOpen()) return { ok: true, ascii, asWritten };
        // Written as normalised (the usual case): key and value are one copy.
        const key = copyString(rawDomain);
        hit = { ok: true, ascii: asWritten ? key : copyString(ascii), asWritten };
        return remember(key, hit);
      }
      hit = REFUSED[refused!];
    }
  }
  return cacheOpen() ? remember(copyString(rawDomain), hit) : hit;
}

/** Whether a new domain goes into the cache; empties a full cache unless this field filled it in vain. */
function cacheOpen(): boolean {
  if (domainCacheClosed) return false;
  if (domainCache.size < DOMAIN_CACHE_ENTRIES) return true;
  if (domainsCachedThisField >= DOMAIN_CACHE_ENTRIES && domainCacheHits < DOMAIN_CACHE_MIN_HITS) {
    domainCacheClosed = true;
    return false;
  }
  domainCache.clear();
  domainCacheHits = 0;
  return true;
}

/** `asWritten`: the normalised form is the written text itself (lower-case ASCII, no trailing
 * dot). Kept with the cache entry, so a hit needs no string comparison with its key. */
type WrittenDomain = { ok: true; ascii: string; asWritten: boolean } | { ok: false; problem: AddressProblemKind };

/** The cache's value for a refused domain: one shared object per problem. */
const REFUSED: Record<'invalid-domain' | 'idn-mismatch' | 'mixed-script-domain', WrittenDomain> = {
  'invalid-domain': { ok: false, problem: 'invalid-domain' },
  'idn-mismatch': { ok: false, problem: 'idn-mismatch' },
  'mixed-script-domain': { ok: false, problem: 'mixed-script-domain' },
};

function remember(key: string, hit: WrittenDomain): WrittenDomain {
  domainsCachedThisField++;
  domainCache.set(key, hit);
  return hit;
}

/** A copy that shares no memory with `s`. What the cache keeps outlives the message: a slice of
 * a field would keep the whole field (up to MAX_FIELD_BYTES) alive with it. Slicing a
 * concatenation flattens it into a new string first, so the result's only parent is that new
 * string: about a fifth of the cost of a round trip through a Buffer (bench scenario 8). */
function copyString(s: string): string {
  return ` ${s}`.slice(1);
}

/** Decodes a latin1 string (one char per byte) as UTF-8; undefined if it is not valid UTF-8. */
export function decodeUtf8Bytes(latin1: string): string | undefined {
  let ascii = true;
  for (let i = 0; i < latin1.length; i++) {
    if (latin1.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return latin1;
  if (latin1.length <= SHORT_UTF8_BYTES) return decodeShortUtf8(latin1);
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return undefined;
  }
}

/** Up to this many bytes (a domain, a local part) are decoded here rather than by TextDecoder. */
const SHORT_UTF8_BYTES = 256;

/**
 * Strict UTF-8 decoding of a short latin1 string (one char per byte), as TextDecoder with fatal:
 * undefined for a stray continuation byte, an overlong form, a surrogate, a code point past
 * U+10FFFF or a cut-off sequence. Written here because every non-ASCII domain and local part of
 * a header is decoded: a Buffer and a TextDecoder call each cost more than the decoding itself
 * (bench scenario 11: 250,000 IDN domains); differential test against TextDecoder in
 * tests/message/utf8-short.test.ts. Runs of ASCII are copied as slices, so a domain of one
 * non-ASCII letter makes a string or two, not an array of its characters.
 */
export function decodeShortUtf8(latin1: string): string | undefined {
  let out = '';
  let run = 0;
  for (let i = 0; i < latin1.length; ) {
    const b0 = latin1.charCodeAt(i);
    if (b0 < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes that follow, the lead byte's bits, the smallest code point of that length.
    const need = b0 >= 0xc2 && b0 <= 0xdf ? 1 : b0 >= 0xe0 && b0 <= 0xef ? 2 : b0 >= 0xf0 && b0 <= 0xf4 ? 3 : 0;
    if (need === 0 || i + need >= latin1.length) return undefined;
    let cp = b0 & (0x7f >> (need + 1));
    const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
    for (let k = 1; k <= need; k++) {
      const b = latin1.charCodeAt(i + k);
      if ((b & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    if (i > run) out += latin1.slice(run, i);
    out += cp > 0xffff ? String.fromCharCode(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)) : String.fromCharCode(cp);
    i += need + 1;
    run = i;
  }
  return run < latin1.length ? out + latin1.slice(run) : out;
}

/** Canonical local part of one quoted-string token: quoted-pairs undone; quotes only where the
 * text is not a dot-atom. */
function canonicalQuotedLocal(quoted: string): string {
  const inner = quoted.slice(1, -1).replace(/\\(.)/g, '$1');
  if (DOT_ATOM.test(inner)) return inner;
  return `"${inner.replace(/(["\\])/g, '\\$1')}"`;
}

function isCfws(kind: number): boolean {
  return kind === T_SPACE || kind === T_COMMENT;
}

/** A valid addr-spec: the canonical local part, the normalised domain, and `local@domain`. */
interface AddrSpec {
  local: string;
  domain: string;
  address: string;
}

/** Tokens read between two looks at the clock: a few microseconds of parsing, so the deadline
 * stops any field, including one whose addresses are all refused (none is ever accepted). */
const CLOCK_EVERY_TOKENS = 2_048;

/** Reads the tokens of one field (in the token arrays, `count` of them) by index. */
class Parser {
  private i = 0;
  /** The token index at which the clock is read next. */
  private nextClock = CLOCK_EVERY_TOKENS;
  readonly mailboxes: Mailbox[] = [];
  readonly groups: string[] = [];

  timedOut = false;
  truncated = false;

  constructor(
    private readonly s: string,
    private readonly count: number,
    readonly problems: AddressProblem[],
    /** process.uptime() in ms past which parsing stops (Infinity: no deadline); not performance.now(), whose global loads perf_hooks (~3.5M instructions of a cold start). */
    private readonly deadline = Infinity,
    /** Mailboxes after which parsing stops (the caller's remaining address budget). */
    private readonly maxMailboxes = Infinity,
  ) {}

  /** The kind of token `k`, or 0 past the end. */
  private kindAt(k: number): number {
    return k < this.count ? tokKind[k]! : 0;
  }

  private skipCfws(): void {
    while (this.i < this.count && isCfws(tokKind[this.i]!)) this.i++;
  }

  private problem(kind: AddressProblemKind, from: number, to: number): void {
    // One problem already blocks; past the cap, a flood of them only costs time and report space.
    if (this.problems.length >= MAX_PROBLEMS_PER_FIELD) return;
    this.problems.push({ kind, excerpt: excerpt(this.s.slice(from, to)) });
  }

  /** Whether the deadline has passed, read once per CLOCK_EVERY_TOKENS tokens; past it the
   * rest of the field is not read. */
  private pastDeadline(): boolean {
    if (this.i < this.nextClock) return false;
    this.nextClock = this.i + CLOCK_EVERY_TOKENS;
    if (process.uptime() * 1000 <= this.deadline) return false;
    this.timedOut = true;
    this.i = this.count;
    return true;
  }

  /** Skips to the next top-level separator after an error, so one bad address does not hide the rest. */
  private recover(inGroup: boolean): void {
    while (this.i < this.count) {
      const k = tokKind[this.i]!;
      if (k === T_COMMA || (inGroup && k === T_SEMI)) return;
      this.i++;
    }
  }

  parseList(): void {
    while (this.i < this.count) {
      if (this.pastDeadline()) break;
      this.skipCfws();
      if (this.i >= this.count) break;
      if (tokKind[this.i] === T_COMMA) {
        this.i++;
        continue;
      }
      this.parseAddress(undefined);
      this.skipCfws();
      if (this.i >= this.count) break;
      if (tokKind[this.i] === T_COMMA) {
        this.i++;
        continue;
      }
      // Something follows an address without a comma between them.
      const after = tokStart[this.i]!;
      this.problem('missing-separator', after, Math.min(this.s.length, after + 60));
      this.recover(false);
    }
  }

  /** address = mailbox / group. Stops before the separator that ends it. */
  private parseAddress(group: string | undefined): void {
    const phraseStart = this.i;
    // Read the phrase (display name, or the local part of a bare addr-spec).
    let words = 0;
    while (this.i < this.count) {
      const k = tokKind[this.i]!;
      if (k === T_ATOM || k === T_QUOTED) words++;
      else if (k !== T_SPACE && k !== T_COMMENT && k !== T_DOT) break;
      this.i++;
    }
    const phraseEnd = this.i;
    const stop = this.i < this.count ? this.i : -1;
    const stopKind = this.kindAt(this.i);
    const startOffset = phraseEnd > phraseStart ? tokStart[phraseStart]! : stop >= 0 ? tokStart[stop]! : this.s.length;

    if (stopKind === T_LT) {
      this.parseAngleAddr(phraseStart, phraseEnd, group, startOffset);
      return;
    }
    if (stopKind === T_COLON) {
      if ((group === undefined ? 0 : 1) >= MAX_GROUP_DEPTH) {
        this.problem('nested-group', startOffset, tokEnd[stop]!);
        this.i++;
        this.recover(true);
        return;
      }
      this.i++;
      const name = this.rawPhrase(phraseStart, phraseEnd);
      this.groups.push(name);
      this.parseGroupMembers(name, startOffset);
      return;
    }
    if (stopKind === T_AT) {
      this.parseBareAddrSpec(phraseStart, group, startOffset);
      return;
    }
    if (words > 0) {
      // A word with no @ and no group colon: the MTA would guess a domain.
      this.problem('missing-domain', startOffset, tokEnd[phraseEnd - 1]!);
      return;
    }
    if (stop >= 0 && stopKind !== T_COMMA && !(group !== undefined && stopKind === T_SEMI)) {
      // A stray special such as '>' or '@' with nothing sensible before it.
      const at = tokStart[stop]!;
      this.problem(stopKind === T_GT ? 'unbalanced-angle' : 'invalid-character', at, Math.min(this.s.length, at + 60));
      this.i++;
      this.recover(group !== undefined);
    }
  }

  /** The phrase of tokens `lo` to `hi` as written, from its first word to its last. */
  private rawPhrase(lo: number, hi: number): string {
    let first = lo;
    while (first < hi && isCfws(tokKind[first]!)) first++;
    if (first === hi) return '';
    let last = hi - 1;
    while (isCfws(tokKind[last]!)) last--;
    return this.s.slice(tokStart[first]!, tokEnd[last]!);
  }

  private parseGroupMembers(name: string, startOffset: number): void {
    let members = 0;
    while (this.i < this.count) {
      if (this.pastDeadline()) break;
      this.skipCfws();
      if (this.i >= this.count) break;
      const k = tokKind[this.i]!;
      if (k === T_SEMI) {
        this.i++;
        return;
      }
      if (k === T_COMMA) {
        this.i++;
        continue;
      }
      const before = this.mailboxes.length;
      this.parseAddress(name);
      members += this.mailboxes.length - before;
      this.skipCfws();
      if (this.i >= this.count) break;
      const after = tokKind[this.i]!;
      if (after === T_COMMA) {
        this.i++;
        continue;
      }
      if (after === T_SEMI) continue;
      const at = tokStart[this.i]!;
      this.problem('missing-separator', at, Math.min(this.s.length, at + 60));
      this.recover(true);
    }
    // Reached the end without ';'. `undisclosed-recipients:` alone is harmless; a group with
    // members and no end leaves parsers to disagree about what follows belongs to it.
    if (members > 0 && !this.timedOut && !this.truncated) this.problem('unterminated-group', startOffset, Math.min(this.s.length, startOffset + 60));
  }

  private parseAngleAddr(phraseLo: number, phraseHi: number, group: string | undefined, startOffset: number): void {
    const open = tokStart[this.i]!;
    this.i++;
    this.skipCfws();
    if (this.kindAt(this.i) === T_AT) {
      // obs-route: <@relay.example:user@host>. Some software routes through the relay.
      this.problem('route-syntax', open, Math.min(this.s.length, open + 60));
      this.recoverAngle();
      return;
    }
    const specStart = this.i;
    while (this.i < this.count && tokKind[this.i] !== T_GT) {
      const k = tokKind[this.i]!;
      if (k === T_LT) {
        this.problem('unbalanced-angle', open, Math.min(this.s.length, tokEnd[this.i]! + 40));
        this.recover(group !== undefined);
        return;
      }
      if (k === T_COMMA || k === T_SEMI || k === T_COLON) {
        // A separator inside <...>: "<a@b, c@d>" or a route; parsers split it differently.
        this.problem(k === T_COLON ? 'route-syntax' : 'unbalanced-angle', open, Math.min(this.s.length, tokEnd[this.i]! + 40));
        this.recoverAngle();
        return;
      }
      this.i++;
    }
    if (this.i >= this.count) {
      this.problem('unbalanced-angle', open, this.s.length);
      return;
    }
    const specEnd = this.i;
    const closeEnd = tokEnd[this.i]!;
    this.i++; // '>'
    const spec = this.parseAddrSpec(specStart, specEnd, open, closeEnd);
    if (!spec) return;
    // A display name must be a phrase: words only. An '@' or a stray '.' is handled by the caller.
    this.pushMailbox(spec, this.rawPhrase(phraseLo, phraseHi), group, startOffset, closeEnd);
  }

  private recoverAngle(): void {
    while (this.i < this.count && tokKind[this.i] !== T_GT) this.i++;
    if (this.i < this.count) this.i++;
  }

  /** The addr-spec's tokens are always one run: the phrase from `specLo`, then what follows. */
  private parseBareAddrSpec(specLo: number, group: string | undefined, startOffset: number): void {
    // local-part is the phrase; then '@' and the domain up to a separator.
    let specHi = this.i;
    while (this.i < this.count) {
      const k = tokKind[this.i]!;
      if (k === T_COMMA || k === T_SEMI || k === T_LT || k === T_GT || k === T_COLON) break;
      if (k === T_SPACE || k === T_COMMENT) {
        // White space ends a bare addr-spec unless only CFWS follows up to a separator.
        let j = this.i;
        while (j < this.count && isCfws(tokKind[j]!)) j++;
        const next = this.kindAt(j);
        if (next === 0 || next === T_COMMA || next === T_SEMI) {
          this.i = j;
          break;
        }
        const lastKind = specHi > specLo ? tokKind[specHi - 1]! : 0;
        if (next === T_DOT || next === T_AT || lastKind === T_DOT || lastKind === T_AT) {
          // CFWS around '.' or '@' (obsolete syntax): keep it in the spec, parseAddrSpec refuses it.
          this.i = j;
          specHi = j;
          continue;
        }
        this.i = j;
        break;
      }
      this.i++;
      specHi = this.i;
    }
    const endOffset = specHi > specLo ? tokEnd[specHi - 1]! : startOffset;
    const next = this.kindAt(this.i);
    if (next === T_LT) {
      // "a@b.example <c@d.example>": is a@b the name or the address? Mail software disagrees.
      this.problem('missing-separator', startOffset, Math.min(this.s.length, tokEnd[this.i]! + 40));
      this.recover(group !== undefined);
      return;
    }
    if (next === T_GT || next === T_COLON) {
      this.problem(next === T_GT ? 'unbalanced-angle' : 'route-syntax', startOffset, Math.min(this.s.length, tokEnd[this.i]! + 40));
      this.i++;
      this.recover(group !== undefined);
      return;
    }
    const spec = this.parseAddrSpec(specLo, specHi, startOffset, endOffset);
    if (!spec) return;
    this.pushMailbox(spec, '', group, startOffset, endOffset);
  }

  private pushMailbox(spec: AddrSpec, rawName: string, group: string | undefined, from: number, to: number): void {
    const mailbox: Mailbox = {
      address: spec.address,
      local: spec.local,
      domain: spec.domain,
      rawName,
      source: this.s.slice(from, to).trim(),
    };
    if (group !== undefined) mailbox.group = group;
    this.mailboxes.push(mailbox);
    if (this.mailboxes.length >= this.maxMailboxes) {
      // Past the message's address limit nothing more is read: the caller fails closed.
      this.truncated = true;
      this.i = this.count;
    }
  }

  /** Validates `local@domain` from tokens `lo` to `hi`; reports and returns undefined when it is not one. */
  private parseAddrSpec(lo: number, hi: number, from: number, to: number): AddrSpec | undefined {
    const s = this.s;
    let a = lo;
    let b = hi;
    while (a < b && isCfws(tokKind[a]!)) a++;
    while (b > a && isCfws(tokKind[b - 1]!)) b--;
    let at = -1;
    let ats = 0;
    let spaces = 0;
    let comments = 0;
    let localCfws = false;
    for (let k = a; k < b; k++) {
      const kind = tokKind[k]!;
      if (kind === T_AT) {
        if (at === -1) at = k;
        ats++;
      } else if (kind === T_SPACE || kind === T_COMMENT) {
        if (kind === T_SPACE) spaces++;
        else comments++;
        if (at === -1) localCfws = true;
      }
    }
    if (at === -1) {
      this.problem('missing-domain', from, to);
      return undefined;
    }
    if (ats > 1) {
      this.problem('multiple-at', from, to);
      return undefined;
    }
    // CFWS inside the addr-spec (obsolete syntax, "a . b @ c") is read differently by parsers.
    if (spaces + comments > 0) {
      this.problem(comments > 0 ? 'comment-in-address' : localCfws ? 'invalid-local-part' : 'invalid-domain', from, to);
      return undefined;
    }
    if (at === a) {
      this.problem('missing-local-part', from, to);
      return undefined;
    }
    // Local part: dot-atom or one quoted-string.
    const localIsQuoted = at - a === 1 && tokKind[a] === T_QUOTED;
    const quoted = localIsQuoted ? s.slice(tokStart[a]!, tokEnd[a]!) : '';
    if (localIsQuoted && quoted === '""') {
      // ""@host: an empty mailbox name, which MTAs reject, drop or route to a default mailbox.
      this.problem('missing-local-part', from, to);
      return undefined;
    }
    if (!localIsQuoted) {
      // Atoms and dots only. Empty words ("s..palmer", ".a", "a.") break the dot-atom rule, but
      // every parser and MTA reads those same bytes as the same mailbox, so they are accepted.
      let valid = true;
      let atoms = 0;
      for (let k = a; k < at; k++) {
        const kind = tokKind[k]!;
        if (kind === T_ATOM) atoms++;
        else if (kind !== T_DOT) {
          valid = false;
          break;
        }
      }
      if (!valid || atoms === 0) {
        this.problem('invalid-local-part', from, to);
        return undefined;
      }
    }
    const rawLocal = tokenText(s, a, at);
    // One look at each character of an unquoted local part answers what includes('=?'), the
    // UTF-8 decoding, Buffer.byteLength and ROUTED_LOCAL would each ask of it: for the usual plain
    // ASCII one, the same answers without four calls (bench scenario 1).
    let plainAscii = !localIsQuoted;
    let encodedOpen = false;
    let routed = false;
    for (let k = 0; plainAscii && k < rawLocal.length; k++) {
      const c = rawLocal.charCodeAt(k);
      if (c > 0x7f) plainAscii = false;
      else if (c === 0x3d /* = */ && rawLocal.charCodeAt(k + 1) === 0x3f /* ? */) encodedOpen = true;
      else if (c === 0x25 /* % */ || c === 0x21 /* ! */ || c === 0x40 /* @ */) routed = true;
    }
    if (plainAscii ? encodedOpen && ENCODED_WORD.test(rawLocal) : rawLocal.includes('=?') && ENCODED_WORD.test(rawLocal)) {
      this.problem('encoded-word-in-address', from, to);
      return undefined;
    }
    const localDecoded = plainAscii ? rawLocal : decodeUtf8Bytes(localIsQuoted ? canonicalQuotedLocal(quoted) : rawLocal);
    if (localDecoded === undefined) {
      this.problem('invalid-utf8', from, to);
      return undefined;
    }
    if ((plainAscii ? localDecoded.length : Buffer.byteLength(localDecoded)) > MAX_LOCAL_PART_BYTES) {
      this.problem('invalid-local-part', from, to);
      return undefined;
    }
    // user%host@corp and host!user@corp (Postfix's allow_percent_hack and swap_bangpath, both on
    // by default) and "user@host"@corp (resolve_dequoted_address) are delivered on to `host` by
    // some MTAs: the written domain is not where the message ends up.
    if (plainAscii ? routed : ROUTED_LOCAL.test(localIsQuoted ? quoted.slice(1, -1) : rawLocal)) {
      this.problem('routed-local-part', from, to);
      return undefined;
    }
    // Domain: dot-atom or a domain literal.
    const d = at + 1;
    if (d === b) {
      this.problem('missing-domain', from, to);
      return undefined;
    }
    let domain: string;
    if (b - d === 1 && tokKind[d] === T_LITERAL) {
      const literal = normaliseAddressLiteral(s.slice(tokStart[d]!, tokEnd[d]!));
      if (!literal.ok) {
        this.problem(literal.problem, from, to);
        return undefined;
      }
      domain = literal.ascii;
    } else {
      let expectWord = true;
      for (let k = d; k < b; k++) {
        const kind = tokKind[k]!;
        const isLastDot = k === b - 1 && kind === T_DOT && !expectWord;
        const ok = expectWord ? kind === T_ATOM : kind === T_DOT;
        if (!ok && !isLastDot) {
          this.problem('invalid-domain', from, to);
          return undefined;
        }
        expectWord = !expectWord;
      }
      const rawDomain = tokenText(s, d, b);
      const norm = normaliseWrittenDomain(rawDomain, this.problems.length < MAX_PROBLEMS_PER_FIELD);
      if (!norm.ok) {
        this.problem(norm.problem, from, to);
        return undefined;
      }
      domain = norm.ascii;
      // Written exactly as normalised (the usual case): the address is one slice of the field,
      // not a concatenation that every later Map lookup would flatten again.
      const first = tokStart[a]!;
      const last = tokEnd[b - 1]!;
      if (localDecoded === rawLocal && norm.asWritten && last - first === rawLocal.length + 1 + rawDomain.length) {
        return { local: localDecoded, domain, address: s.slice(first, last) };
      }
    }
    return { local: localDecoded, domain, address: `${localDecoded}@${domain}` };
  }
}

/** Whether raw text of a field (bytes as latin1: a comment, a group name) may show an address as
 * readers decode it: an "@", an encoded word, or 8-bit text, where a fullwidth or small commercial
 * at (U+FF20, U+FE6B) may stand in UTF-8 or as an East Asian charset writes it (Shift_JIS 0x81
 * 0x97 ...). What it holds is read by addressesInHeaderText. */
export function mayWriteAddress(text: string): boolean {
  return text.includes('@') || text.includes('=?') || /[\x80-\xff]/.test(text);
}

/** Parses an unfolded address-list field value (a latin1 string of the raw bytes). */
export function parseAddressList(value: string, deadline = Infinity, maxMailboxes = Infinity): AddressList {
  const problems: AddressProblem[] = [];
  const count = tokenize(value, problems);
  domainsCachedThisField = 0;
  domainCacheClosed = false;
  const parser = new Parser(value, count, problems, deadline, maxMailboxes);
  let comments: string[] | undefined;
  try {
    parser.parseList();
    // Every comment of the field, wherever it stands (before or after a mailbox, in a group), from
    // the tokens: the mailboxes' `source` leaves out the comments around them. Only a field that
    // has a "(" at all is looked through.
    if (value.includes('(')) {
      for (let k = 0; k < count; k++) {
        if (tokKind[k] !== T_COMMENT) continue;
        const text = value.slice(tokStart[k], tokEnd[k]);
        if (mayWriteAddress(text)) (comments ??= []).push(text);
      }
    }
  } finally {
    releaseTokens();
  }
  const list: AddressList = { mailboxes: parser.mailboxes, groups: parser.groups, problems };
  if (comments) list.comments = comments;
  if (parser.timedOut) list.timedOut = true;
  if (parser.truncated) list.truncated = true;
  return list;
}

/**
 * Parses an address as a user typed it (a flag, an envelope address, a nodemailer field) with the
 * same strict parser; returns the normalised address, or undefined unless it is exactly one mailbox.
 */
export function normaliseAddress(text: string): string | undefined {
  // The parser reads bytes (as latin1 chars); a JS string is UTF-16, so encode it first.
  const list = parseAddressList(Buffer.from(text, 'utf8').toString('latin1'));
  if (list.problems.length > 0 || list.mailboxes.length !== 1 || list.groups.length > 0) return undefined;
  return list.mailboxes[0]!.address;
}
