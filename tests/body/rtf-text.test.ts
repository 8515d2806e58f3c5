// rtfText: the text of an RTF document as far as the address scan needs it.
import { describe, expect, it } from 'vitest';
import { rtfText } from '../../src/body/rtf-text.js';

describe('rtfText', () => {
  it.each([
    ['{\\rtf1\\ansi a@x.test\\par b@y.test}', 'a@x.test\nb@y.test'],
    ["a\\'40x.test", 'a@x.test'],
    ['a\\u64?x.test', 'a@x.test'],
    ['a{\\b @}x{\\i .}test', 'a@x.test'],
    ['a@x.te\r\nst', 'a@x.test'],
    ['\\{not a group\\} \\\\ x', 'not a group  x'],
    ['caf\\u-4064?', `caf${String.fromCharCode(65536 - 4064)}`],
    // Double-byte code pages: two escaped bytes are one character (Japanese Word's "＠" is \'81\'97).
    ["{\\rtf1\\ansi\\ansicpg932 a\\'81\\'97x.test}", 'a\uFF20x.test'],
    ["{\\rtf1\\ansi\\ansicpg936 a\\'a3\\'c0x.test}", 'a\uFF20x.test'],
    ["{\\rtf1\\ansi\\ansicpg950 a\\'a2\\'49x.test}", 'a\uFF20x.test'],
    ["{\\rtf1\\ansi\\ansicpg949 a\\'a3\\'c0x.test}", 'a\uFF20x.test'],
    // \ucN: the N fallback characters after each \uN are skipped (Word writes \uc2 in such documents).
    ["{\\rtf1\\ansi\\ansicpg932\\uc2 a\\u-224\\'81\\'97x.test}", 'a\uFF20x.test'],
    ['\\uc0 a\\u64 x.test', 'a@x.test'],
    ["\\uc1 a\\u64\\'3fx.test", 'a@x.test'],
  ])('%j', (rtf, text) => {
    expect(rtfText(rtf)).toBe(text);
  });

  it('reads a long run of escaped bytes (no stack overflow)', () => {
    expect(rtfText("\\'41".repeat(1_000_000))).toHaveLength(1_000_000);
  });

  it('stays linear on a long run of backslashes and braces', () => {
    const t = Date.now();
    rtfText('\\'.repeat(1_000_000) + '{'.repeat(1_000_000));
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
