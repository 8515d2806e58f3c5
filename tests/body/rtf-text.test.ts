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
  ])('%j', (rtf, text) => {
    expect(rtfText(rtf)).toBe(text);
  });

  it('stays linear on a long run of backslashes and braces', () => {
    const t = Date.now();
    rtfText('\\'.repeat(1_000_000) + '{'.repeat(1_000_000));
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
