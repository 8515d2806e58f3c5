// findForeignLineBreak reads small header blocks in one pass and large ones with memchr searches
// (src/message/header-block.ts): both must give the same first foreign line break, on any bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findForeignLineBreak, readHeaderBlock, scanForeignLineBreak, searchForeignLineBreak } from '../../src/message/header-block.js';

// Bytes around the ones that matter: line ends, folds, the C0 breaks and the UTF-8 of U+0085,
// U+2028 and U+2029 (whole and cut), more often than chance gives them.
const PIECES = [[0x0d], [0x0a], [0x0d, 0x0a], [0x20], [0x09], [0x0b], [0x0c], [0x1c], [0x1d], [0x1e], [0x1f], [0xc2, 0x85], [0xc2], [0x85], [0xe2, 0x80, 0xa8], [0xe2, 0x80, 0xa9], [0xe2, 0x80], [0xe2, 0x80, 0xaa], [0x61], [0x3a]];
const bytes = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 })), { maxLength: 60 }).map((parts) => Buffer.from(parts.flat()));

describe('the first foreign line break in a header block', () => {
  it('one pass and memchr searches agree on any bytes, any region, CR-only or not', () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), fc.boolean(), (buf, a, b, crOnly) => {
        const start = buf.length === 0 ? 0 : a % (buf.length + 1);
        const end = start + (b % (buf.length - start + 1));
        expect(scanForeignLineBreak(buf, start, end, crOnly)).toEqual(searchForeignLineBreak(buf, start, end, crOnly));
      }),
      { numRuns: 30_000 },
    );
  });

  it.each([
    ['a bare CR', 'To: a@x.test\rBcc: b@y.test\r\n', false, { offset: 12, detail: 'CR' }],
    ['a folded CR is no break', 'To: a@x.test\r b@y.test\r\n', false, undefined],
    ['an LF in a CR-only header', 'To: a@x.test\nBcc: b@y.test\r', true, { offset: 12, detail: 'LF' }],
    ['a vertical tab', 'To: a@x.test\vBcc: b@y.test\r\n', false, { offset: 12, detail: 'VT' }],
    ['U+2028', 'To: a@x.test\u2028Bcc: b@y.test\r\n', false, { offset: 12, detail: 'U+2028' }],
    ['U+0085 before a real line end is no break', 'To: a@x.test\u0085\r\n', false, undefined],
  ])('%s', (_name, text, crOnly, expected) => {
    const buf = Buffer.from(text, text.includes('\u2028') || text.includes('\u0085') ? 'utf8' : 'latin1');
    expect(scanForeignLineBreak(buf, 0, buf.length, crOnly)).toEqual(expected);
    expect(searchForeignLineBreak(buf, 0, buf.length, crOnly)).toEqual(expected);
  });

  it('large or LF header blocks take the search, small CRLF ones the scan, with the same finding either way', () => {
    const big = Buffer.from(`X-Pad: ${'a'.repeat(40_000)}\r\nTo: a@x.test\vBcc: b@y.test\r\n\r\n`, 'latin1');
    const offset = big.indexOf(0x0b);
    expect(findForeignLineBreak(big, 0, big.length, false, true)).toEqual({ offset, detail: 'VT' });
    const small = Buffer.from('To: a@x.test\vBcc: b@y.test\r\n', 'latin1');
    for (const crlf of [true, false]) expect(findForeignLineBreak(small, 0, small.length, false, crlf)).toEqual({ offset: 12, detail: 'VT' });
    const problem = readHeaderBlock(big).problems.find((p) => p.kind === 'foreign-line-break');
    expect(problem).toMatchObject({ detail: 'VT', line: 2 });
  });
});
