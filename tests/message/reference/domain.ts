// The address parser as it stood before the speed work of issue 18 (commit 68bb915), kept
// unchanged for the differential test (address-list-differential.test.ts). Do not edit.
// Domain normalisation: the exact ASCII (A-label) form that would go into RCPT TO, and a refusal
// wherever the written form and that A-label could be read as different domains.

import { createRequire } from 'node:module';
import { domainToASCII, domainToUnicode } from 'node:url';
import { MAX_DOMAIN_BYTES, MAX_DOMAIN_LABEL_BYTES } from '../../../src/limits.js';

export type DomainResult =
  | { ok: true; ascii: string; unicode: string }
  | { ok: false; problem: 'invalid-domain' | 'idn-mismatch' | 'mixed-script-domain' };

const ASCII_LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

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
// Latin with the CJK combinations that real Japanese, Chinese and Korean names use.
const SCRIPT_TESTS: Array<[string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Bopomofo', /\p{Script=Bopomofo}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
];
const ALLOWED_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];
const OTHER_SCRIPT = /[^\p{Script=Common}\p{Script=Inherited}]/u;

function scriptsOf(label: string): Set<string> | undefined {
  const found = new Set<string>();
  for (const ch of label) {
    if (ch.charCodeAt(0) < 0x80) {
      if (/[a-z]/i.test(ch)) found.add('Latin');
      continue;
    }
    const hit = SCRIPT_TESTS.find(([, re]) => re.test(ch));
    if (hit) found.add(hit[0]);
    else if (OTHER_SCRIPT.test(ch)) found.add(`other:${ch}`);
  }
  return found;
}

/** Whether a label mixes scripts in a way used for look-alike domains. */
export function isMixedScript(label: string): boolean {
  const scripts = scriptsOf(label);
  if (!scripts || scripts.size <= 1) return false;
  return !ALLOWED_MIXES.some((allowed) => [...scripts].every((s) => allowed.has(s)));
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
  const isAscii = !/[^\x00-\x7f]/.test(d);
  if (isAscii) {
    const lower = d.toLowerCase();
    if (lower.length > MAX_DOMAIN_BYTES) return { ok: false, problem: 'invalid-domain' };
    const labels = lower.split('.');
    let hasALabel = false;
    if (NUMERIC_LABEL.test(labels[labels.length - 1]!)) return { ok: false, problem: 'invalid-domain' };
    for (const label of labels) {
      if (label.length === 0 || label.length > MAX_DOMAIN_LABEL_BYTES) return { ok: false, problem: 'invalid-domain' };
      if (!ASCII_LABEL.test(label)) return { ok: false, problem: 'invalid-domain' };
      if (label.startsWith('xn--')) hasALabel = true;
    }
    if (!hasALabel) return { ok: true, ascii: lower, unicode: lower };
    // An A-label must decode, and re-encode to itself, and its Unicode form must pass the same tests.
    const unicode = domainToUnicode(lower);
    if (!unicode || domainToASCII(unicode) !== lower) return { ok: false, problem: 'idn-mismatch' };
    for (const label of unicode.split('.')) if (isMixedScript(label)) return { ok: false, problem: 'mixed-script-domain' };
    return { ok: true, ascii: lower, unicode };
  }
  if (DEVIATION_CHARACTERS.test(d)) return { ok: false, problem: 'idn-mismatch' };
  const ascii = domainToASCII(d);
  if (!ascii || ascii.length > MAX_DOMAIN_BYTES) return { ok: false, problem: 'invalid-domain' };
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
