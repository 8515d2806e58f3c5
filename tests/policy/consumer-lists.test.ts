// The consumer provider lists' digest (src/policy/consumer-digest.ts, searched by bisection in
// src/policy/classify.ts, listedInDigest: a one-message check neither loads the lists as modules nor
// scans them) against the lists' own arrays, and the committed digest against its generator.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { inSortedLines, listedInDigest } from '../../src/policy/classify.js';
// @ts-expect-error: a plain ES module script without types
import { buildConsumerDigest, renderConsumerDigestModule } from '../../scripts/generate-consumer-digest.mjs';
import { createRandom } from '../../bench/generate.js';

const require = createRequire(import.meta.url);
const all = require('email-providers/all.json') as string[];
const free = (require('free-email-domains-typescript') as { freeEmailDomains: string[] }).freeEmailDomains;
const listed = new Set([...all, ...free]);

describe('consumer provider lists searched in their digest', () => {
  it('the committed digest is what the generator makes of the installed lists', () => {
    const committed = readFileSync(new URL('../../src/policy/consumer-digest.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderConsumerDigestModule(buildConsumerDigest()));
  });

  it('find every entry of both lists', () => {
    expect(all.length).toBeGreaterThan(8000);
    expect(free.length).toBeGreaterThan(4000);
    // Entries of other characters (müllemail.com in Unicode, ywoe@mailed.ro) are left to the Set.
    const missed = [...listed].filter((d) => listedInDigest(d) === false);
    expect(missed).toEqual([]);
    const leftToSet = [...listed].filter((d) => listedInDigest(d) === undefined);
    expect(leftToSet.length).toBeLessThan(10);
  });

  it.each([
    ['gmail.com', true],
    ['outlook.com', true],
    ['hotmail.co.uk', true],
    ['mail.com', true],
    ['ail.com', false],
    ['corp-bench.com', false],
    ['__esmodule', false],
  ])('%s: %s, as the lists say', (domain, expected) => {
    expect(listedInDigest(domain)).toBe(expected);
    expect(listed.has(domain)).toBe(expected);
  });

  it.each(['use strict', '__esModule', '', 'a"b.com', 'GMAIL.COM'])('%j is left to the lists themselves (not a plain name)', (domain) => {
    expect(listedInDigest(domain)).toBeUndefined();
  });

  it('agree with the lists on 20,000 names made from their entries (prefixes, suffixes, joins)', () => {
    const rand = createRandom(13);
    const entries = [...listed];
    const pick = () => entries[Math.floor(rand() * entries.length)]!;
    for (let i = 0; i < 20_000; i++) {
      const a = pick();
      const b = pick();
      const k = Math.floor(rand() * 5);
      const d = k === 0 ? a.slice(1) : k === 1 ? a.slice(0, -1) : k === 2 ? `x.${a}` : k === 3 ? `${a.split('.')[0]}.${b.split('.').slice(1).join('.')}` : a;
      const inDigest = listedInDigest(d);
      if (inDigest !== undefined && inDigest !== listed.has(d)) expect.fail(`${d}: digest ${inDigest}, lists ${listed.has(d)}`);
    }
  });
});

describe('bisection over sorted lines', () => {
  const lines = (names: string[]) => (names.length === 0 ? '\n' : `\n${[...names].sort().join('\n')}\n`);

  it('finds every entry, and nothing between, before or after them, for every list length up to 40', () => {
    for (let n = 0; n <= 40; n++) {
      const names = Array.from({ length: n }, (_, i) => `d${String(i * 2 + 10).padStart(3, '0')}.example`);
      const text = lines(names);
      for (const name of names) expect(inSortedLines(text, name)).toBe(true);
      for (let i = 0; i <= n; i++) expect(inSortedLines(text, `d${String(i * 2 + 9).padStart(3, '0')}.example`)).toBe(false);
      for (const other of ['', 'a', 'd', 'z', 'd010', 'd010.exampl', 'd010.examplex', '\n']) if (!names.includes(other)) expect(inSortedLines(text, other)).toBe(false);
    }
  });

  it('entries of different lengths, one a prefix of the next', () => {
    const names = ['a', 'ab', 'abc', 'abd', 'b', 'b-c', 'b.c', 'b_c', 'bc'];
    const text = lines(names);
    for (const name of names) expect(inSortedLines(text, name)).toBe(true);
    for (const name of ['aa', 'abcd', 'ac', 'b-', 'b.', 'c', '0']) expect(inSortedLines(text, name)).toBe(false);
  });
});
