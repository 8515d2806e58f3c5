// unfold() finds folds with indexOf instead of a regular expression (issue 18, bench scenario 1):
// held here to the expression it replaced, on strings made of the characters folding is about.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readHeaderBlock, unfold, unfoldField, type LineEnding } from '../../src/message/header-block.js';

function byRegex(value: string, lineEnding: LineEnding): string {
  if (lineEnding === 'cr') return value.replace(/\r(?=[ \t])/g, '');
  return value.replace(/\r?\n(?=[ \t])/g, '');
}

const piece = fc.constantFrom('\r', '\n', ' ', '\t', 'a', '\r\n', '\n ', '\r\n\t', 'To: b@c.example');

describe('unfold', () => {
  it.each([
    ['a,\n b', 'lf', 'a, b'],
    ['a,\r\n\tb', 'crlf', 'a,\tb'],
    ['a\r\r\n b', 'crlf', 'a\r b'],
    ['a\n\n b', 'lf', 'a\n b'],
    ['a\nb', 'lf', 'a\nb'],
    ['\n a', 'lf', ' a'],
    ['a\r b', 'cr', 'a b'],
  ] as const)('%j (%s) -> %j', (value, lineEnding, want) => {
    expect(unfold(value, lineEnding)).toBe(want);
  });

  it('removes exactly what /\\r?\\n(?=[ \\t])/g removes', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), fc.constantFrom<LineEnding>('lf', 'crlf', 'mixed', 'none', 'cr'), (pieces, lineEnding) => {
        const value = pieces.join('');
        expect(unfold(value, lineEnding)).toBe(byRegex(value, lineEnding));
      }),
      { numRuns: 5_000 },
    );
  });

  it('long values (unfolded on a byte copy) too: exactly what the expression removes', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 16 }), fc.constantFrom<LineEnding>('lf', 'crlf', 'mixed', 'none'), fc.constantFrom('', '\r', '\n', ' '), (pieces, lineEnding, edge) => {
        // Past 64 KiB, ending and starting with the characters folding is about.
        let value = edge;
        while (value.length < 64 * 1024) value += pieces.join('') + 'x'.repeat(997);
        value += pieces.join('') + edge;
        expect(unfold(value, lineEnding)).toBe(byRegex(value, lineEnding));
      }),
      { numRuns: 300 },
    );
    const to = Array.from({ length: 20_000 }, (_, k) => `u${k}@d${k}.example`).join(',\r\n ');
    expect(unfold(to, 'crlf')).toBe(to.replace(/\r\n /g, ' '));
    const latin1 = `\xe9\xff${'a'.repeat(70_000)}\n\t\xfc\r\n b\r\n`;
    expect(unfold(latin1, 'crlf')).toBe(byRegex(latin1, 'crlf'));
  });

  it('unfoldField gives unfold of the field, small or large, read once per large field', () => {
    const to = Array.from({ length: 6_000 }, (_, k) => `u${k}@d${k}.example`).join(',\r\n ');
    const header = readHeaderBlock(Buffer.from(`To: ${to}\r\nCc: a@b.example,\r\n c@d.example\r\n\r\nbody\r\n`, 'latin1'));
    for (const f of header.fields) {
      const value = unfoldField(f, header.lineEnding);
      expect(value).toBe(unfold(f.rawValue, header.lineEnding));
      expect(value.includes('\n')).toBe(false);
    }
    const big = header.fields.find((f) => f.key === 'to')!;
    expect(big.rawValue.length).toBeGreaterThan(64 * 1024);
    expect(unfoldField(big, header.lineEnding)).toBe(unfoldField(big, header.lineEnding));
  });
});
