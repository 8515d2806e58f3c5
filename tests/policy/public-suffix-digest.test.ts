// The build-time digest of the public suffix list (src/policy/public-suffix-digest.ts) against
// tldts, the library of record: the same registrable domain for every rule of the list (and the
// names just under and above it) and for random domains, and the committed digest is what the
// generator makes from the installed tldts.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { buildDigest, renderDigestModule } from '../../scripts/generate-suffix-digest.mjs';
import { entryFlags, publicSuffixFromDigest, registrableOf } from '../../src/policy/public-suffix.js';
import { SUFFIX_DIGEST } from '../../src/policy/public-suffix-digest.js';
import { createRandom } from '../../bench/generate.js';

const require = createRequire(import.meta.url);
const { getDomain } = require('tldts') as { getDomain: (d: string, o: { allowPrivateDomains: boolean }) => string | null };
const tldts = (d: string) => getDomain(d, { allowPrivateDomains: true });

/** Every rule of tldts's trie as a domain (`*` labels and exceptions included). */
function allRules(): string[] {
  const { nodeFlags, edgeStart, edgeLength, edgeChild, labelText, rulesRoot, exceptionsRoot } = require('tldts/dist/cjs/src/data/trie.js');
  const offsets: number[] = [];
  for (let e = 0, o = 0; e < edgeLength.length; e++) {
    offsets.push(o);
    o += edgeLength[e];
  }
  const out: string[] = [];
  const walk = (node: number, suffix: string) => {
    for (let e = edgeStart[node]; e < edgeStart[node + 1]; e++) {
      const name = suffix ? `${labelText.slice(offsets[e], offsets[e] + edgeLength[e])}.${suffix}` : labelText.slice(offsets[e], offsets[e] + edgeLength[e]);
      if (nodeFlags[edgeChild[e]] & 3) out.push(name);
      walk(edgeChild[e], name);
    }
  };
  walk(rulesRoot, '');
  walk(exceptionsRoot, '');
  return out;
}

describe('public suffix digest', () => {
  // A line is searched as text until TABLE_AFTER_LOOKUPS lookups under its top-level label, then
  // made a Map; the tests below mostly reach the Map, so the text search is held to it here.
  it('searched as text, every line answers as its Map would, for every entry and for names near them', () => {
    let checked = 0;
    for (const line of SUFFIX_DIGEST.split('\n')) {
      if (line === '') continue;
      const text = `,${line.slice(line.indexOf(':') + 1)}`;
      const map = new Map<string, number>();
      for (const entry of text.slice(1).split(',')) {
        const wild = entry.endsWith('*');
        map.set(entry.slice(1, wild ? -1 : undefined), (entry[0] === '+' ? 1 : 0) | (wild ? 2 : 0));
      }
      for (const key of map.keys()) {
        const near = [key, `${key}x`, key.slice(1), key.slice(0, -1), `x.${key}`, `${key}.x`, `${key}*`, `+${key}`, `,${key}`];
        for (const k of near) {
          if ((k.includes(',') || k.includes('*')) && !map.has(k)) {
            expect(entryFlags(text, k)).toBeUndefined();
            continue;
          }
          if (entryFlags(text, k) !== map.get(k)) expect.fail(`${line.slice(0, line.indexOf(':'))} ${JSON.stringify(k)}: text ${entryFlags(text, k)}, map ${map.get(k)}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50_000);
  });

  it('is what the generator makes from the installed tldts', () => {
    const committed = readFileSync(new URL('../../src/policy/public-suffix-digest.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderDigestModule(buildDigest()));
  });

  it('agrees with tldts on every rule, the names under it and the name above it', () => {
    const rules = allRules();
    expect(rules.length).toBeGreaterThan(9000);
    let decided = 0;
    for (const rule of rules) {
      const base = rule.replace(/\*/g, 'w1');
      for (const d of [base, `acme.${base}`, `mail.acme.${base}`, `x-y.w_z.acme.${base}`, base.slice(base.indexOf('.') + 1)]) {
        if (registrableOf(d) !== tldts(d)) expect.fail(`${d}: digest ${registrableOf(d)}, tldts ${tldts(d)}`);
        if (publicSuffixFromDigest(d) !== undefined) decided++;
      }
    }
    // Most of them are answered by the digest itself, not by its fallback to tldts.
    expect(decided).toBeGreaterThan(rules.length * 3);
  });

  it.each([
    ['corp-bench.com', 'corp-bench.com'],
    ['mail.corp-bench.com', 'corp-bench.com'],
    ['hotmail.co.uk', 'hotmail.co.uk'],
    ['a.b.hotmail.co.uk', 'hotmail.co.uk'],
    ['co.uk', null],
    ['acme.github.io', 'acme.github.io'],
    ['x.acme.github.io', 'acme.github.io'],
    ['com', null],
    ['unknown-tld-xyz', null],
    ['a.b.unknown-tld-xyz', 'b.unknown-tld-xyz'],
    ['a.b.xn--p1ai', 'b.xn--p1ai'],
  ])('decides %s without tldts: %s', (domain, expected) => {
    expect(publicSuffixFromDigest(domain)).not.toBeUndefined();
    expect(registrableOf(domain)).toBe(expected);
    expect(tldts(domain)).toBe(expected);
  });

  it('agrees with tldts on 50,000 random domains', () => {
    const rand = createRandom(18);
    const rules = allRules();
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const chars = 'abcz09-_.A\u00e9';
    const odd = () => Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick([...chars])).join('');
    const label = () => pick(['acme', 'mail', 'w1', 'xn--p1ai', '0x1f', '123', 'a-b', '_dm', '-a', 'a-', '', 'A', odd(), odd(), 'x'.repeat(64)]);
    let decided = 0;
    for (let i = 0; i < 50_000; i++) {
      const labels = Array.from({ length: Math.floor(rand() * 4) }, label);
      const tail = rand() < 0.8 ? pick(rules).replace(/\*/g, pick(['w1', 'acme'])) : label();
      const d = [...labels, tail].join('.') + (rand() < 0.02 ? '.' : '');
      if (registrableOf(d) !== tldts(d)) expect.fail(`${JSON.stringify(d)}: digest ${registrableOf(d)}, tldts ${tldts(d)}`);
      if (publicSuffixFromDigest(d) !== undefined) decided++;
    }
    expect(decided).toBeGreaterThan(10_000);
  });
});
