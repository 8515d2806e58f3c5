// The consumer provider lists searched as text (src/policy/classify.ts, listedByText: a one-message
// check reads the list files instead of loading them as modules) against the lists' own arrays.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { listedByText } from '../../src/policy/classify.js';
import { createRandom } from '../../bench/generate.js';

const require = createRequire(import.meta.url);
const all = require('email-providers/all.json') as string[];
const free = (require('free-email-domains-typescript') as { freeEmailDomains: string[] }).freeEmailDomains;
const listed = new Set([...all, ...free]);

describe('consumer provider lists searched as text', () => {
  it('find every entry of both lists', () => {
    expect(all.length).toBeGreaterThan(8000);
    expect(free.length).toBeGreaterThan(4000);
    // Entries of other characters (müllemail.com in Unicode, ywoe@mailed.ro) are left to the Set.
    const missed = [...listed].filter((d) => listedByText(d) === false);
    expect(missed).toEqual([]);
    const leftToSet = [...listed].filter((d) => listedByText(d) === undefined);
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
    expect(listedByText(domain)).toBe(expected);
    expect(listed.has(domain)).toBe(expected);
  });

  it.each(['use strict', '__esModule', '', 'a"b.com', 'GMAIL.COM'])('%j is left to the lists themselves (not a plain name)', (domain) => {
    expect(listedByText(domain)).toBeUndefined();
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
      const byText = listedByText(d);
      if (byText !== undefined && byText !== listed.has(d)) expect.fail(`${d}: text ${byText}, lists ${listed.has(d)}`);
    }
  });
});
