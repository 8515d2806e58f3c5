// decodeShortUtf8 decodes the non-ASCII domains and local parts of a header without a Buffer and
// a TextDecoder call each (issue 18, bench scenario 11). Held here to TextDecoder with fatal: on
// random bytes, on valid text of every UTF-8 length, and on each malformed form by name.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeShortUtf8, decodeUtf8Bytes } from '../../src/message/address-list.js';

const strict = new TextDecoder('utf-8', { fatal: true });

function reference(latin1: string): string | undefined {
  try {
    return strict.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return undefined;
  }
}

const latin1Of = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('decodeShortUtf8', () => {
  it('decodes or refuses exactly as TextDecoder (fatal) on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(decodeShortUtf8(latin1Of(bytes))).toBe(reference(latin1Of(bytes)));
      }),
      { numRuns: 20_000 },
    );
  });

  it('decodes valid text of one- to four-byte characters, cut anywhere, as TextDecoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.nat(), (text, cut) => {
        const bytes = Buffer.from(text, 'utf8');
        const whole = bytes.toString('latin1');
        expect(decodeShortUtf8(whole)).toBe(reference(whole));
        const part = whole.slice(0, cut % (whole.length + 1));
        expect(decodeShortUtf8(part)).toBe(reference(part));
      }),
      { numRuns: 10_000 },
    );
  });

  it.each([
    ['a stray continuation byte', [0x61, 0x80]],
    ['an overlong two-byte form', [0xc0, 0xaf]],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf]],
    ['an overlong four-byte form', [0xf0, 0x80, 0x80, 0xaf]],
    ['a surrogate', [0xed, 0xa0, 0x80]],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a lead byte F5', [0xf5, 0x80, 0x80, 0x80]],
    ['a cut-off sequence', [0x62, 0xc3]],
    ['a lead byte where a continuation belongs', [0xe2, 0xc3, 0xbc]],
  ])('refuses %s', (_, bytes) => {
    expect(decodeShortUtf8(latin1Of(Uint8Array.from(bytes)))).toBeUndefined();
    expect(reference(latin1Of(Uint8Array.from(bytes)))).toBeUndefined();
  });

  it.each([
    ['ü', 'bücher'],
    ['a three-byte character', 'ｂ1.com'],
    ['a four-byte character', 'a\u{1F600}b'],
    ['the last code point', '\u{10FFFF}'],
  ])('decodes %s', (_, text) => {
    expect(decodeShortUtf8(Buffer.from(text, 'utf8').toString('latin1'))).toBe(text);
  });

  it('decodeUtf8Bytes gives the same answer on both sides of the short-string bound', () => {
    for (const n of [255, 256, 257, 1000]) {
      const text = `${'ü'.repeat(n)}`;
      const latin1 = Buffer.from(text, 'utf8').toString('latin1');
      expect(decodeUtf8Bytes(latin1)).toBe(text);
      expect(decodeUtf8Bytes(`${latin1.slice(0, -1)}`)).toBeUndefined();
    }
  });
});
