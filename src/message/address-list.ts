// A strict RFC 5322 address-list parser that reports ambiguity instead of repairing it.
//
// Why not nodemailer's addressparser: it is built to accept anything and guess (a missing
// separator, an unclosed quote or bracket all become "some address"), and those guesses are
// exactly where mail software disagrees about who receives a message. A guard must refuse to
// guess, so this parser keeps to the grammar and names every deviation it meets.

import { MAX_COMMENT_DEPTH, MAX_GROUP_DEPTH, MAX_LOCAL_PART_BYTES, MAX_PROBLEMS_PER_FIELD } from '../limits.js';
import { normaliseAddressLiteral, normaliseDomain } from './domain.js';

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
  problems: AddressProblem[];
}

type TokenType = 'atom' | 'quoted' | 'literal' | 'special' | 'space' | 'comment';

interface Token {
  type: TokenType;
  /** For special: the character; otherwise the raw text. */
  text: string;
  start: number;
  end: number;
}

const ATEXT_EXTRA = "!#$%&'*+-/=?^_`{|}~";
const IS_ATEXT = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c >= 0x80) IS_ATEXT[c] = 1;
  else if (ATEXT_EXTRA.includes(ch)) IS_ATEXT[c] = 1;
}
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

function tokenize(s: string, problems: AddressProblem[]): Token[] {
  const tokens: Token[] = [];
  const n = s.length;
  let i = 0;
  let reportedControl = false;
  while (i < n) {
    const c = s.charCodeAt(i);
    const start = i;
    if (c === 0x20 || c === 0x09) {
      while (i < n && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
      tokens.push({ type: 'space', text: ' ', start, end: i });
      continue;
    }
    const unicodeBreak = c === 0xc2 || c === 0xe2 ? unicodeBreakAt(s, i) : 0;
    if (c < 0x20 || c === 0x7f || unicodeBreak > 0) {
      // NUL, bare CR or LF left after unfolding, other control bytes and Unicode line breaks:
      // parsers truncate or split at these in different places.
      if (!reportedControl && problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'control-character', excerpt: excerpt(s.slice(Math.max(0, i - 20), i + 20)) });
      reportedControl = true;
      i += unicodeBreak || 1;
      tokens.push({ type: 'space', text: ' ', start, end: i });
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
      tokens.push({ type: 'quoted', text: s.slice(start, Math.min(i, n)), start, end: Math.min(i, n) });
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
      tokens.push({ type: 'comment', text: s.slice(start, Math.min(i, n)), start, end: Math.min(i, n) });
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
      tokens.push({ type: 'literal', text: s.slice(start, i), start, end: i });
      continue;
    }
    if (c === 0x5d /* ] */ || c === 0x5c /* \ */) {
      if (problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: c === 0x5d ? 'unbalanced-bracket' : 'invalid-character', excerpt: excerpt(s.slice(Math.max(0, i - 40), i + 1)) });
      i++;
      continue;
    }
    if (c === 0x3c || c === 0x3e || c === 0x2c || c === 0x3a || c === 0x3b || c === 0x40 || c === 0x2e) {
      i++;
      tokens.push({ type: 'special', text: s[start]!, start, end: i });
      continue;
    }
    if (c < 256 && IS_ATEXT[c]) {
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d < 256 && IS_ATEXT[d] && !((d === 0xc2 || d === 0xe2) && unicodeBreakAt(s, i) > 0)) i++;
        else break;
      }
      tokens.push({ type: 'atom', text: s.slice(start, i), start, end: i });
      continue;
    }
    // Anything else (a latin1 char > 0xff cannot occur; kept for completeness).
    if (problems.length < MAX_PROBLEMS_PER_FIELD) problems.push({ kind: 'invalid-character', excerpt: excerpt(s.slice(Math.max(0, i - 20), i + 20)) });
    i++;
  }
  return tokens;
}

const ENCODED_WORD = /=\?[^?\s]*\?[bBqQ]\?[^?\s]*\?=/;
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\x80-\uffff]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\x80-\uffff]+)*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of consecutive tokens: one flat slice when they are contiguous (the usual case),
 * so the regular expressions and Map lookups below do not each flatten a concatenated string. */
function tokenText(s: string, tokens: Token[]): string {
  if (tokens.length === 0) return '';
  for (let k = 1; k < tokens.length; k++) {
    if (tokens[k]!.start !== tokens[k - 1]!.end) return tokens.map((t) => t.text).join('');
  }
  return s.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end);
}

/** Written domain (raw dot-atom text) -> its normalised form or the problem. Domains repeat
 * across the messages of a folder or campaign, and normalising one (UTF-8, IDNA, scripts) costs
 * more than parsing the rest of its address (bench scenario 1). The check is pure, so caching
 * it changes nothing but speed. */
const domainCache = new Map<string, { ok: true; ascii: string } | { ok: false; problem: AddressProblemKind }>();
/** Bounds the cache: a header with 100,000 distinct domains must not keep them all. */
const DOMAIN_CACHE_ENTRIES = 4096;

function normaliseWrittenDomain(rawDomain: string): { ok: true; ascii: string } | { ok: false; problem: AddressProblemKind } {
  let hit = domainCache.get(rawDomain);
  if (hit) return hit;
  if (rawDomain.includes('=?') && ENCODED_WORD.test(rawDomain)) {
    hit = { ok: false, problem: 'encoded-word-in-address' };
  } else {
    const decoded = decodeUtf8Bytes(rawDomain);
    if (decoded === undefined) {
      hit = { ok: false, problem: 'invalid-utf8' };
    } else {
      const norm = normaliseDomain(decoded);
      hit = norm.ok ? { ok: true, ascii: norm.ascii } : { ok: false, problem: norm.problem };
    }
  }
  if (domainCache.size >= DOMAIN_CACHE_ENTRIES) domainCache.clear();
  domainCache.set(rawDomain, hit);
  return hit;
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
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return undefined;
  }
}

/** Canonical local part: quoted-pairs undone; quotes only where the text is not a dot-atom. */
function canonicalLocal(parts: Token[]): string {
  if (parts.length === 1 && parts[0]!.type === 'quoted') {
    const inner = parts[0]!.text.slice(1, -1).replace(/\\(.)/g, '$1');
    if (DOT_ATOM.test(inner)) return inner;
    return `"${inner.replace(/(["\\])/g, '\\$1')}"`;
  }
  return parts.map((t) => t.text).join('');
}

class Parser {
  private i = 0;
  readonly mailboxes: Mailbox[] = [];
  readonly groups: string[] = [];

  timedOut = false;
  truncated = false;

  constructor(
    private readonly s: string,
    private readonly tokens: Token[],
    readonly problems: AddressProblem[],
    /** performance.now() past which parsing stops (Infinity: no deadline). */
    private readonly deadline = Infinity,
    /** Mailboxes after which parsing stops (the caller's remaining address budget). */
    private readonly maxMailboxes = Infinity,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private skipCfws(): void {
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i]!;
      if (t.type === 'space' || t.type === 'comment') this.i++;
      else break;
    }
  }

  private problem(kind: AddressProblemKind, from: number, to: number): void {
    // One problem already blocks; past the cap, a flood of them only costs time and report space.
    if (this.problems.length >= MAX_PROBLEMS_PER_FIELD) return;
    this.problems.push({ kind, excerpt: excerpt(this.s.slice(from, to)) });
  }

  private isSpecial(t: Token | undefined, ch: string): boolean {
    return t !== undefined && t.type === 'special' && t.text === ch;
  }

  /** Skips to the next top-level separator after an error, so one bad address does not hide the rest. */
  private recover(inGroup: boolean): void {
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i]!;
      if (this.isSpecial(t, ',') || (inGroup && this.isSpecial(t, ';'))) return;
      this.i++;
    }
  }

  parseList(): void {
    while (this.i < this.tokens.length) {
      this.skipCfws();
      const t = this.peek();
      if (!t) break;
      if (this.isSpecial(t, ',')) {
        this.i++;
        continue;
      }
      this.parseAddress(undefined);
      this.skipCfws();
      const after = this.peek();
      if (!after) break;
      if (this.isSpecial(after, ',')) {
        this.i++;
        continue;
      }
      // Something follows an address without a comma between them.
      this.problem('missing-separator', after.start, Math.min(this.s.length, after.start + 60));
      this.recover(false);
    }
  }

  /** address = mailbox / group. Stops before the separator that ends it. */
  private parseAddress(group: string | undefined): void {
    const phraseStart = this.i;
    // Read the phrase (display name, or the local part of a bare addr-spec).
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i]!;
      if (t.type === 'atom' || t.type === 'quoted' || t.type === 'space' || t.type === 'comment' || this.isSpecial(t, '.')) {
        this.i++;
        continue;
      }
      break;
    }
    const phrase = this.tokens.slice(phraseStart, this.i);
    const stop = this.peek();
    const startOffset = phrase[0]?.start ?? stop?.start ?? this.s.length;

    if (stop && this.isSpecial(stop, '<')) {
      this.parseAngleAddr(phrase, group, startOffset);
      return;
    }
    if (stop && this.isSpecial(stop, ':')) {
      if ((group === undefined ? 0 : 1) >= MAX_GROUP_DEPTH) {
        this.problem('nested-group', startOffset, stop.end);
        this.i++;
        this.recover(true);
        return;
      }
      this.i++;
      const name = this.rawPhrase(phrase);
      this.groups.push(name);
      this.parseGroupMembers(name, startOffset);
      return;
    }
    if (stop && this.isSpecial(stop, '@')) {
      this.parseBareAddrSpec(phrase, group, startOffset);
      return;
    }
    const words = phrase.filter((t) => t.type === 'atom' || t.type === 'quoted');
    if (words.length > 0) {
      // A word with no @ and no group colon: the MTA would guess a domain.
      const end = phrase[phrase.length - 1]!.end;
      this.problem('missing-domain', startOffset, end);
      return;
    }
    if (stop && !this.isSpecial(stop, ',') && !(group !== undefined && this.isSpecial(stop, ';'))) {
      // A stray special such as '>' or '@' with nothing sensible before it.
      this.problem(this.isSpecial(stop, '>') ? 'unbalanced-angle' : 'invalid-character', stop.start, Math.min(this.s.length, stop.start + 60));
      this.i++;
      this.recover(group !== undefined);
    }
  }

  private rawPhrase(phrase: Token[]): string {
    const words = phrase.filter((t) => t.type !== 'space' && t.type !== 'comment');
    if (words.length === 0) return '';
    return this.s.slice(words[0]!.start, words[words.length - 1]!.end);
  }

  private parseGroupMembers(name: string, startOffset: number): void {
    let members = 0;
    while (this.i < this.tokens.length) {
      this.skipCfws();
      const t = this.peek();
      if (!t) break;
      if (this.isSpecial(t, ';')) {
        this.i++;
        return;
      }
      if (this.isSpecial(t, ',')) {
        this.i++;
        continue;
      }
      const before = this.mailboxes.length;
      this.parseAddress(name);
      members += this.mailboxes.length - before;
      this.skipCfws();
      const after = this.peek();
      if (!after) break;
      if (this.isSpecial(after, ',')) {
        this.i++;
        continue;
      }
      if (this.isSpecial(after, ';')) continue;
      this.problem('missing-separator', after.start, Math.min(this.s.length, after.start + 60));
      this.recover(true);
    }
    // Reached the end without ';'. `undisclosed-recipients:` alone is harmless; a group with
    // members and no end leaves parsers to disagree about what follows belongs to it.
    if (members > 0 && !this.timedOut && !this.truncated) this.problem('unterminated-group', startOffset, Math.min(this.s.length, startOffset + 60));
  }

  private parseAngleAddr(phrase: Token[], group: string | undefined, startOffset: number): void {
    const open = this.tokens[this.i]!;
    this.i++;
    this.skipCfws();
    if (this.isSpecial(this.peek(), '@')) {
      // obs-route: <@relay.example:user@host>. Some software routes through the relay.
      this.problem('route-syntax', open.start, Math.min(this.s.length, open.start + 60));
      this.recoverAngle();
      return;
    }
    const specStart = this.i;
    while (this.i < this.tokens.length && !this.isSpecial(this.tokens[this.i], '>')) {
      const t = this.tokens[this.i]!;
      if (this.isSpecial(t, '<')) {
        this.problem('unbalanced-angle', open.start, Math.min(this.s.length, t.end + 40));
        this.recover(group !== undefined);
        return;
      }
      if (this.isSpecial(t, ',') || this.isSpecial(t, ';') || this.isSpecial(t, ':')) {
        // A separator inside <...>: "<a@b, c@d>" or a route; parsers split it differently.
        this.problem(this.isSpecial(t, ':') ? 'route-syntax' : 'unbalanced-angle', open.start, Math.min(this.s.length, t.end + 40));
        this.recoverAngle();
        return;
      }
      this.i++;
    }
    const close = this.peek();
    if (!close) {
      this.problem('unbalanced-angle', open.start, this.s.length);
      return;
    }
    const inner = this.tokens.slice(specStart, this.i);
    this.i++; // '>'
    const spec = this.parseAddrSpec(inner, open.start, close.end);
    if (!spec) return;
    // A display name must be a phrase: words only. An '@' or a stray '.' is handled by the caller.
    this.pushMailbox(spec, this.rawPhrase(phrase), group, startOffset, close.end);
  }

  private recoverAngle(): void {
    while (this.i < this.tokens.length && !this.isSpecial(this.tokens[this.i], '>')) this.i++;
    if (this.i < this.tokens.length) this.i++;
  }

  private parseBareAddrSpec(phrase: Token[], group: string | undefined, startOffset: number): void {
    // local-part is the phrase; then '@' and the domain up to a separator.
    const specTokens = [...phrase];
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i]!;
      if (this.isSpecial(t, ',') || this.isSpecial(t, ';') || this.isSpecial(t, '<') || this.isSpecial(t, '>') || this.isSpecial(t, ':')) break;
      if (t.type === 'space' || t.type === 'comment') {
        // White space ends a bare addr-spec unless only CFWS follows up to a separator.
        let j = this.i;
        while (j < this.tokens.length && (this.tokens[j]!.type === 'space' || this.tokens[j]!.type === 'comment')) j++;
        const next = this.tokens[j];
        if (!next || this.isSpecial(next, ',') || this.isSpecial(next, ';')) {
          this.i = j;
          break;
        }
        if (this.isSpecial(next, '.') || this.isSpecial(next, '@') || (specTokens.length > 0 && this.isSpecial(specTokens[specTokens.length - 1], '.')) || (specTokens.length > 0 && this.isSpecial(specTokens[specTokens.length - 1], '@'))) {
          // CFWS around '.' or '@' (obsolete syntax): keep it in the spec, parseAddrSpec refuses it.
          specTokens.push(...this.tokens.slice(this.i, j));
          this.i = j;
          continue;
        }
        this.i = j;
        break;
      }
      specTokens.push(t);
      this.i++;
    }
    const last = specTokens[specTokens.length - 1];
    const endOffset = last ? last.end : startOffset;
    const next = this.peek();
    if (next && this.isSpecial(next, '<')) {
      // "a@b.example <c@d.example>": is a@b the name or the address? Mail software disagrees.
      this.problem('missing-separator', startOffset, Math.min(this.s.length, next.end + 40));
      this.recover(group !== undefined);
      return;
    }
    if (next && (this.isSpecial(next, '>') || this.isSpecial(next, ':'))) {
      this.problem(this.isSpecial(next, '>') ? 'unbalanced-angle' : 'route-syntax', startOffset, Math.min(this.s.length, next.end + 40));
      this.i++;
      this.recover(group !== undefined);
      return;
    }
    const spec = this.parseAddrSpec(specTokens, startOffset, endOffset);
    if (!spec) return;
    this.pushMailbox(spec, '', group, startOffset, endOffset);
  }

  private pushMailbox(spec: { local: string; domain: string }, rawName: string, group: string | undefined, from: number, to: number): void {
    const mailbox: Mailbox = {
      address: `${spec.local}@${spec.domain}`,
      local: spec.local,
      domain: spec.domain,
      rawName,
      source: this.s.slice(from, to).trim(),
    };
    if (group !== undefined) mailbox.group = group;
    this.mailboxes.push(mailbox);
    // The clock is read every 1,024 mailboxes only: cheap, and enough to stop a runaway header.
    if ((this.mailboxes.length & 1023) === 0 && performance.now() > this.deadline) {
      this.timedOut = true;
      this.i = this.tokens.length;
    }
    if (this.mailboxes.length >= this.maxMailboxes) {
      // Past the message's address limit nothing more is read: the caller fails closed.
      this.truncated = true;
      this.i = this.tokens.length;
    }
  }

  /** Validates `local@domain` from its tokens; reports and returns undefined when it is not one. */
  private parseAddrSpec(tokens: Token[], from: number, to: number): { local: string; domain: string } | undefined {
    const hasCfws = (ts: Token[]) => ts.some((t) => t.type === 'space' || t.type === 'comment');
    let a = 0;
    let b = tokens.length;
    while (a < b && (tokens[a]!.type === 'space' || tokens[a]!.type === 'comment')) a++;
    while (b > a && (tokens[b - 1]!.type === 'space' || tokens[b - 1]!.type === 'comment')) b--;
    const whole = tokens.slice(a, b);
    const at = whole.findIndex((t) => this.isSpecial(t, '@'));
    if (at === -1) {
      this.problem('missing-domain', from, to);
      return undefined;
    }
    if (whole.some((t, k) => k > at && this.isSpecial(t, '@'))) {
      this.problem('multiple-at', from, to);
      return undefined;
    }
    const l = { inner: whole.slice(0, at) };
    const d = { inner: whole.slice(at + 1) };
    // CFWS inside the addr-spec (obsolete syntax, "a . b @ c") is read differently by parsers.
    if (hasCfws(whole)) {
      this.problem(whole.some((t) => t.type === 'comment') ? 'comment-in-address' : hasCfws(l.inner) ? 'invalid-local-part' : 'invalid-domain', from, to);
      return undefined;
    }
    if (l.inner.length === 0) {
      this.problem('missing-local-part', from, to);
      return undefined;
    }
    // Local part: dot-atom or one quoted-string.
    const localIsQuoted = l.inner.length === 1 && l.inner[0]!.type === 'quoted';
    if (localIsQuoted && l.inner[0]!.text === '""') {
      // ""@host: an empty mailbox name, which MTAs reject, drop or route to a default mailbox.
      this.problem('missing-local-part', from, to);
      return undefined;
    }
    if (!localIsQuoted) {
      // Atoms and dots only. Empty words ("s..palmer", ".a", "a.") break the dot-atom rule, but
      // every parser and MTA reads those same bytes as the same mailbox, so they are accepted.
      const valid = l.inner.every((t) => t.type === 'atom' || this.isSpecial(t, '.')) && l.inner.some((t) => t.type === 'atom');
      if (!valid) {
        this.problem('invalid-local-part', from, to);
        return undefined;
      }
    }
    const rawLocal = tokenText(this.s, l.inner);
    if (rawLocal.includes('=?') && ENCODED_WORD.test(rawLocal)) {
      this.problem('encoded-word-in-address', from, to);
      return undefined;
    }
    const localDecoded = decodeUtf8Bytes(localIsQuoted ? canonicalLocal(l.inner) : rawLocal);
    if (localDecoded === undefined) {
      this.problem('invalid-utf8', from, to);
      return undefined;
    }
    if (Buffer.byteLength(localDecoded) > MAX_LOCAL_PART_BYTES) {
      this.problem('invalid-local-part', from, to);
      return undefined;
    }
    // user%host@corp and host!user@corp (Postfix's allow_percent_hack and swap_bangpath, both on
    // by default) and "user@host"@corp (resolve_dequoted_address) are delivered on to `host` by
    // some MTAs: the written domain is not where the message ends up.
    if (/[%!@]/.test(localIsQuoted ? l.inner[0]!.text.slice(1, -1) : rawLocal)) {
      this.problem('routed-local-part', from, to);
      return undefined;
    }
    // Domain: dot-atom or a domain literal.
    if (d.inner.length === 0) {
      this.problem('missing-domain', from, to);
      return undefined;
    }
    let domain: string;
    if (d.inner.length === 1 && d.inner[0]!.type === 'literal') {
      const literal = normaliseAddressLiteral(d.inner[0]!.text);
      if (!literal.ok) {
        this.problem(literal.problem, from, to);
        return undefined;
      }
      domain = literal.ascii;
    } else {
      let expectWord = true;
      for (let k = 0; k < d.inner.length; k++) {
        const t = d.inner[k]!;
        const isLastDot = k === d.inner.length - 1 && this.isSpecial(t, '.') && !expectWord;
        const ok = expectWord ? t.type === 'atom' : this.isSpecial(t, '.');
        if (!ok && !isLastDot) {
          this.problem('invalid-domain', from, to);
          return undefined;
        }
        expectWord = !expectWord;
      }
      const norm = normaliseWrittenDomain(tokenText(this.s, d.inner));
      if (!norm.ok) {
        this.problem(norm.problem, from, to);
        return undefined;
      }
      domain = norm.ascii;
    }
    return { local: localDecoded, domain };
  }
}

/** Parses an unfolded address-list field value (a latin1 string of the raw bytes). */
export function parseAddressList(value: string, deadline = Infinity, maxMailboxes = Infinity): AddressList {
  const problems: AddressProblem[] = [];
  const tokens = tokenize(value, problems);
  const parser = new Parser(value, tokens, problems, deadline, maxMailboxes);
  parser.parseList();
  const list: AddressList = { mailboxes: parser.mailboxes, groups: parser.groups, problems };
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
