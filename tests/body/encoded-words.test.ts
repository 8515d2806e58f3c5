// The UTF-8 fast path for encoded words (src/body/encoded-words.ts) against libmime's decodeWords,
// which it replaces for text whose every "=?" opens a UTF-8 word: same output on fixed cases and
// on generated text (valid and broken words, joins, padding inside base64, stray "=?" and "?=").

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeUtf8Words, onlyUtf8Words } from '../../src/body/encoded-words.js';
import { decodeHeaderText } from '../../src/body/mime.js';
import { createRandom } from '../../bench/generate.js';

const require = createRequire(import.meta.url);
const libmime = require('libmime') as { decodeWords(s: string): string };


const CASES = [
  '=?UTF-8?Q?Sven_Eriksen?= <sven@x.test>',
  '=?utf-8?B?w6TDtsO8?= =?utf-8?B?w58=?=',
  '=?UTF-8?Q?a?= =?UTF-8?B?w6Q=?= b',
  '=?UTF-8?Q?c0=40a.test=2C_c1=40b.test?=',
  '=?utf-8?b?YWxpY2VAYS50ZXN0?=',
  '=?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?=',
  '=?utf-8?B?4oI=?==?utf-8?B?rA==?=',
  '=?UTF-8?Q?broken=4?= x',
  '=?UTF-8?X?unknown?=',
  'plain =? not a word ?= text',
  '=?utf-8?q?=  41?=',
  '=?UTF-8?B?w6Q=w6Q=?=',
];

describe('UTF-8 encoded words without libmime', () => {
  it.each(CASES)('%s decodes as libmime does', (text) => {
    if (onlyUtf8Words(text)) expect(decodeUtf8Words(text)).toBe(libmime.decodeWords(text));
    expect(decodeHeaderText(text)).toBe(libmime.decodeWords(text));
  });

  it('takes only text whose every =? opens a UTF-8 word', () => {
    expect(onlyUtf8Words('=?UTF-8?Q?a?= =?utf-8?B?YQ==?=')).toBe(true);
    expect(onlyUtf8Words('=?iso-8859-1?Q?a?=')).toBe(false);
    expect(onlyUtf8Words('=?UTF-8?Q?a?= =?us-ascii?Q?b?=')).toBe(false);
    expect(onlyUtf8Words('=?UTF-8*en?Q?a?=')).toBe(false);
    expect(onlyUtf8Words('x =? y')).toBe(true);
    expect(onlyUtf8Words('x =?a?q? y')).toBe(false);
    expect(onlyUtf8Words('=?UTF-8?B?YQ==?= x')).toBe(true);
    expect(onlyUtf8Words('no words')).toBe(true);
  });

  it('agrees with libmime on 20,000 generated texts', () => {
    const rand = createRandom(20261204);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const charsets = ['UTF-8', 'utf-8', 'Utf-8', 'uTF-8'];
    const utf8 = ['ä', 'ß', '€', '𝄞', 'é', 'a', 'b', '@', ',', ' ', '_', '?', '=', '\u0100', 'x.test'];
    const word = (): string => {
      const text = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(utf8)).join('');
      const bytes = Buffer.from(text);
      const cut = rand() < 0.2 ? bytes.subarray(0, Math.max(0, bytes.length - 1)) : bytes;
      if (rand() < 0.5) {
        let b64 = cut.toString('base64');
        if (rand() < 0.2) b64 = b64.replace(/=+$/, '');
        if (rand() < 0.1) b64 += '=' + Buffer.from('xy').toString('base64');
        return `=?${pick(charsets)}?${pick(['B', 'b'])}?${b64}?=`;
      }
      let q = '';
      for (const b of cut) q += b === 0x20 ? pick(['_', '=20']) : b > 0x7e || b === 0x3d || b === 0x3f || b === 0x5f ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
      if (rand() < 0.1) q += '=4';
      if (rand() < 0.05) q = q.replace('=', '= ');
      return `=?${pick(charsets)}?${pick(['Q', 'q'])}?${q}?=`;
    };
    const filler = ['', ' ', '  ', '\t', ' x ', 'name', ' <a@b.test>', ', ', '"', '?=', '=', '?', 'é'];
    let compared = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      const parts = 1 + Math.floor(rand() * 5);
      for (let i = 0; i < parts; i++) text += (rand() < 0.7 ? word() : '') + pick(filler);
      if (!onlyUtf8Words(text)) continue;
      compared++;
      expect(decodeUtf8Words(text), text).toBe(libmime.decodeWords(text));
    }
    expect(compared).toBeGreaterThan(15_000);
  });
});
