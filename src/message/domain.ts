// Domain normalisation: the exact ASCII (A-label) form that would go into RCPT TO, and a refusal
// wherever the written form and that A-label could be read as different domains.

import { createRequire } from 'node:module';
import { domainToASCII, domainToUnicode } from 'node:url';
import { MAX_DOMAIN_BYTES, MAX_DOMAIN_LABEL_BYTES } from '../limits.js';

export type DomainProblem = 'invalid-domain' | 'idn-mismatch' | 'mixed-script-domain';

export type DomainResult = { ok: true; ascii: string; unicode: string } | { ok: false; problem: DomainProblem };

// node:net is loaded only when an IPv6 literal is met: importing it cost about 4 ms of every
// start of the CLI (bench scenario 5), for a syntax that real mail hardly uses.
const require = createRequire(import.meta.url);
const isIPv6 = (s: string): boolean => (require('node:net') as typeof import('node:net')).isIPv6(s);

/** A top-level label of digits only: `a@127.0.0.1` is read as an IP address by some MTAs, a name by others. */
const NUMERIC_LABEL = /^[0-9]+$/;

/**
 * IDNA deviation characters (UTS 46 section 6): sharp s, final sigma, ZWJ and ZWNJ. IDNA 2003 and
 * transitional processing (Python's "idna" codec, older libidn) map them away (straße -> strasse),
 * IDNA 2008 keeps them (xn--strae-oqa): the same bytes reach two different domains.
 */
const DEVIATION_CHARACTERS = /[\u00df\u03c2\u200c\u200d]/;

const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** A dotted quad without leading zeros: `[010.0.0.1]` is octal 8.0.0.1 to some resolvers. */
const IPV4_LITERAL = new RegExp(`^\\[${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}\\]$`);

/**
 * Normalises an address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`). Anything else (leading
 * zeros, RFC 5321 general literals, free text) is refused: software reads those differently.
 */
export function normaliseAddressLiteral(written: string): DomainResult {
  if (IPV4_LITERAL.test(written)) return { ok: true, ascii: written, unicode: written };
  const v6 = /^\[ipv6:([0-9a-f:.]+)\]$/i.exec(written);
  if (v6 && isIPv6(v6[1]!)) {
    const literal = `[IPv6:${v6[1]!.toLowerCase()}]`;
    return { ok: true, ascii: literal, unicode: literal };
  }
  return { ok: false, problem: 'invalid-domain' };
}

/** Lower-cases ASCII letters only: a Unicode case mapping (the Kelvin sign to "k") is itself a mapping difference. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

// Scripts that may share one label (Unicode TS 39 "highly restrictive"): a single script, or
// Latin with the CJK combinations that real Japanese, Chinese and Korean names use. The Unicode
// property expressions are compiled on first use: about 4 ms of every start of the CLI (bench
// scenario 5), for the few messages with an international domain.
const SCRIPT_NAMES = ['Latin', 'Cyrillic', 'Greek', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Arabic', 'Hebrew', 'Armenian', 'Georgian', 'Thai', 'Devanagari', 'Cherokee'];
let scriptTests: Array<[string, RegExp]> | undefined;
let otherScript: RegExp | undefined;
const ALLOWED_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

function scriptsOf(label: string): Set<string> | undefined {
  const found = new Set<string>();
  for (const ch of label) {
    if (ch.charCodeAt(0) < 0x80) {
      if (/[a-z]/i.test(ch)) found.add('Latin');
      continue;
    }
    const script = scriptOf(ch);
    if (script !== null) found.add(script);
  }
  return found;
}

/** Character -> its script as scriptsOf counts it (null: Common or Inherited). Up to fifteen
 * Unicode property tests per character, for every label of every IDN address: remembered
 * (bench scenario 8). */
const scriptCache = new Map<string, string | null>();
/** Bounds the cache (the characters of a few scripts; a header cannot grow it without limit). */
const SCRIPT_CACHE_ENTRIES = 8_192;

function scriptOf(ch: string): string | null {
  let script = scriptCache.get(ch);
  if (script !== undefined) return script;
  scriptTests ??= SCRIPT_NAMES.map((name): [string, RegExp] => [name, new RegExp(`\\p{Script=${name}}`, 'u')]);
  // From a string: a literal's Unicode properties are looked up when V8 parses the file (cold start).
  otherScript ??= new RegExp('[^\\p{Script=Common}\\p{Script=Inherited}]', 'u');
  const hit = scriptTests.find(([, re]) => re.test(ch));
  script = hit ? hit[0] : otherScript.test(ch) ? `other:${ch}` : null;
  if (scriptCache.size >= SCRIPT_CACHE_ENTRIES) scriptCache.clear();
  scriptCache.set(ch, script);
  return script;
}

/** Whether a label mixes scripts in a way used for look-alike domains. */
export function isMixedScript(label: string): boolean {
  const scripts = scriptsOf(label);
  if (!scripts || scripts.size <= 1) return false;
  return !ALLOWED_MIXES.some((allowed) => [...scripts].every((s) => allowed.has(s)));
}

const NOT_ASCII = 0;
const ASCII_INVALID = 1;
/** Valid ASCII labels, none of them an A-label. */
const ASCII_NAME = 2;
/** Valid ASCII labels, at least one of them an A-label (xn--). */
const ASCII_WITH_A_LABEL = 3;

/**
 * One pass over a domain (without its trailing dot): whether it is ASCII, and if so whether its
 * labels are valid: 1 to 63 of [A-Za-z0-9_-] each, no hyphen first or last, the last label not
 * all digits, 253 characters in all. The same rules as splitting on dots and testing each label
 * against `^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$` after lower-casing, without the copies and
 * regular expressions: every address of a header goes through here (bench scenario 8).
 */
function asciiShape(d: string): number {
  let valid = d.length <= MAX_DOMAIN_BYTES;
  let aLabel = false;
  let start = 0;
  let digitsOnly = true;
  for (let i = 0; i <= d.length; i++) {
    const c = i < d.length ? d.charCodeAt(i) : 0x2e;
    if (c > 0x7f) return NOT_ASCII;
    if (c === 0x2e) {
      const len = i - start;
      if (len === 0 || len > MAX_DOMAIN_LABEL_BYTES || d.charCodeAt(start) === 0x2d || d.charCodeAt(i - 1) === 0x2d) valid = false;
      else if (len >= 4 && (d.charCodeAt(start) | 0x20) === 0x78 && (d.charCodeAt(start + 1) | 0x20) === 0x6e && d.charCodeAt(start + 2) === 0x2d && d.charCodeAt(start + 3) === 0x2d) aLabel = true;
      if (i === d.length && digitsOnly && len > 0) valid = false;
      start = i + 1;
      digitsOnly = true;
      continue;
    }
    const isDigit = c >= 0x30 && c <= 0x39;
    if (!isDigit) digitsOnly = false;
    if (!(isDigit || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x2d)) valid = false;
  }
  if (!valid) return ASCII_INVALID;
  return aLabel ? ASCII_WITH_A_LABEL : ASCII_NAME;
}

/**
 * Whether `c` (a UTF-16 unit) is one that IDNA (UTS 46) maps to something else, so never stands
 * in a normalised domain: fullwidth ASCII forms, upper-case Latin-1, Greek and Cyrillic letters,
 * the soft hyphen, Roman numerals and Latin ligatures. A short list of certain cases, not the table.
 */
function isMappedByIdna(c: number): boolean {
  return (
    (c >= 0xff01 && c <= 0xff5e) ||
    (c >= 0xc0 && c <= 0xde && c !== 0xd7) ||
    c === 0xad ||
    (c >= 0x391 && c <= 0x3a9 && c !== 0x3a2) ||
    (c >= 0x400 && c <= 0x42f) ||
    (c >= 0x2160 && c <= 0x217f) ||
    (c >= 0xfb00 && c <= 0xfb06)
  );
}

/**
 * Whether normaliseDomain certainly refuses `written` (with some problem), found without ICU: it
 * holds a character IDNA maps (isMappedByIdna: its Unicode form differs from what was written),
 * or a label mixing scripts (refused as such, or earlier for another reason). False says nothing.
 * The parser asks when the problem's kind no longer matters (past MAX_PROBLEMS_PER_FIELD): a
 * header of 250,000 look-alike domains cost two ICU calls each (bench scenario 11).
 */
export function certainlyRefused(written: string): boolean {
  let start = 0;
  let mixedScriptPossible = false;
  for (let i = 0; i < written.length; i++) {
    const c = written.charCodeAt(i);
    if (c < 0x80) continue;
    if (isMappedByIdna(c)) return true;
    mixedScriptPossible = true;
  }
  if (!mixedScriptPossible) return false;
  for (let i = 0; i <= written.length; i++) {
    if (i < written.length && written.charCodeAt(i) !== 0x2e) continue;
    if (isMixedScript(written.slice(start, i))) return true;
    start = i + 1;
  }
  return false;
}

/**
 * The IDNA (UTS 46) ASCII form of a domain written in ASCII letters, digits, hyphens and dots and
 * their fullwidth forms (and ideographic or halfwidth full stops), when it is a plain name (no
 * A-label); undefined otherwise. The same as url.domainToASCII there (tests/message/domain-fast.test.ts
 * holds it to it), without the ICU call: fullwidth look-alikes are the common refused domain.
 */
export function fullwidthAsciiDomain(written: string): string | undefined {
  let mapped = '';
  let run = 0;
  let wide = false;
  for (let i = 0; i < written.length; i++) {
    const c = written.charCodeAt(i);
    if (c < 0x80) continue;
    let ascii: number;
    if ((c >= 0xff10 && c <= 0xff19) || (c >= 0xff41 && c <= 0xff5a)) ascii = c - 0xfee0;
    else if (c >= 0xff21 && c <= 0xff3a) ascii = c - 0xfee0 + 0x20;
    else if (c === 0xff0e || c === 0x3002 || c === 0xff61) ascii = 0x2e;
    else return undefined;
    mapped += written.slice(run, i) + String.fromCharCode(ascii);
    run = i + 1;
    wide = true;
  }
  if (!wide) return undefined;
  mapped = (mapped + written.slice(run)).toLowerCase();
  // A last label 0x... is a number to the URL host parser behind domainToASCII (an IPv4 address).
  if (/(?:^|\.)0x[0-9a-f]*$/.test(mapped)) return undefined;
  return asciiShape(mapped) === ASCII_NAME ? mapped : undefined;
}

/** normaliseDomain(written).ascii when `written` is a valid plain ASCII name (no A-label), found
 * without a result object; undefined for every other domain (normaliseDomain answers those). */
export function plainAsciiName(written: string): string | undefined {
  const d = written.endsWith('.') ? written.slice(0, -1) : written;
  return d.length > 0 && asciiShape(d) === ASCII_NAME ? d.toLowerCase() : undefined;
}

/**
 * Normalises a domain as written in a header (UTF-8 decoded). Accepts ASCII domains, valid
 * A-labels and Unicode domains already in their normalised form; refuses everything that UTS 46
 * would map to something else (fullwidth letters, soft hyphens, the Kelvin sign, upper-case
 * non-ASCII), and labels that mix scripts.
 */
export function normaliseDomain(written: string): DomainResult {
  let d = written;
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.length === 0 || d.length > MAX_DOMAIN_BYTES * 4) return { ok: false, problem: 'invalid-domain' };
  const shape = asciiShape(d);
  if (shape !== NOT_ASCII) {
    if (shape === ASCII_INVALID) return { ok: false, problem: 'invalid-domain' };
    const lower = d.toLowerCase();
    if (shape === ASCII_NAME) return { ok: true, ascii: lower, unicode: lower };
    // An A-label must decode, and re-encode to itself, and its Unicode form must pass the same tests.
    const unicode = domainToUnicode(lower);
    if (!unicode || domainToASCII(unicode) !== lower) return { ok: false, problem: 'idn-mismatch' };
    for (const label of unicode.split('.')) if (isMixedScript(label)) return { ok: false, problem: 'mixed-script-domain' };
    return { ok: true, ascii: lower, unicode };
  }
  if (DEVIATION_CHARACTERS.test(d)) return { ok: false, problem: 'idn-mismatch' };
  const ascii = domainToASCII(d);
  if (!ascii || ascii.length > MAX_DOMAIN_BYTES) return { ok: false, problem: 'invalid-domain' };
  // Written with characters beyond ASCII, yet mapped to plain ASCII (fullwidth letters, a soft
  // hyphen, the Kelvin sign: a look-alike of an ASCII domain): its Unicode form is that ASCII,
  // never what was written. Known without the second ICU call (bench scenario 11).
  if (!ascii.includes('xn--')) return { ok: false, problem: 'idn-mismatch' };
  const canonical = domainToUnicode(ascii);
  if (canonical !== asciiLower(d)) return { ok: false, problem: 'idn-mismatch' };
  for (const label of canonical.split('.')) {
    if (label.length === 0) return { ok: false, problem: 'invalid-domain' };
    if (isMixedScript(label)) return { ok: false, problem: 'mixed-script-domain' };
  }
  const asciiLabels = ascii.split('.');
  for (const label of asciiLabels) {
    if (label.length === 0 || label.length > MAX_DOMAIN_LABEL_BYTES) return { ok: false, problem: 'invalid-domain' };
  }
  if (NUMERIC_LABEL.test(asciiLabels[asciiLabels.length - 1]!)) return { ok: false, problem: 'invalid-domain' };
  return { ok: true, ascii, unicode: canonical };
}
