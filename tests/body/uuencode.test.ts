// uudecode and findEncodedBlocks: the decoder against an encoder written here (the classic
// algorithm, "`" for zero), on the forms mail transports leave (CRLF, stripped trailing spaces).
import { describe, expect, it } from 'vitest';
import { findEncodedBlocks, uudecode } from '../../src/body/uuencode.js';
import { uuencode } from '../helpers/uuencode.js';

const DATA = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));

describe('uudecode', () => {
  it.each([
    ['LF', uuencode(DATA, 'a.bin')],
    ['CRLF', uuencode(DATA, 'a.bin', '\r\n')],
    ['spaces for zero, trailing ones stripped (as transports do)', uuencode(DATA, 'a.bin', '\n', ' ').replace(/ +$/gm, '')],
  ])('%s', (_name, text) => {
    const block = findEncodedBlocks(text, 10)[0]!;
    expect(block).toMatchObject({ kind: 'uuencode', name: 'a.bin' });
    expect(uudecode(text, block.start, 1 << 20)).toEqual({ bytes: DATA, truncated: false });
  });

  it('stops at the limit and says so, and stops at "end" without a zero-length line', () => {
    const text = uuencode(DATA, 'a.bin');
    expect(uudecode(text, findEncodedBlocks(text, 1)[0]!.start, 100)).toEqual({ bytes: DATA.subarray(0, 100), truncated: true });
    const noZeroLine = text.replace('`\nend', 'end');
    expect(uudecode(noZeroLine, findEncodedBlocks(noZeroLine, 1)[0]!.start, 1 << 20).bytes).toEqual(DATA);
  });

  it('never writes more than a line can hold, whatever its length character says', () => {
    const { bytes } = uudecode('M\nM\nM\n`\nend\n', 0, 1 << 20);
    expect(bytes.length).toBeLessThanOrEqual(9);
  });
});

describe('findEncodedBlocks', () => {
  it('finds uuencode and yEnc files with their names, in order, at most max', () => {
    const text = `Hi\nbegin 0644 first list.csv \r\nM\n\`\nend\n=ybegin line=128 size=3 name=second.csv\nabc\n=yend\nbegin 644 third.txt\n`;
    expect(findEncodedBlocks(text, 10).map((b) => [b.kind, b.name])).toEqual([
      ['uuencode', 'first list.csv'],
      ['yenc', 'second.csv'],
      ['uuencode', 'third.txt'],
    ]);
    expect(findEncodedBlocks(text, 1)).toHaveLength(1);
  });

  it('ignores "begin" that opens no file, and stays linear on long lines', () => {
    expect(findEncodedBlocks('We begin 644 meetings at nine.\nbegin here\n begin 644 x', 10)).toEqual([]);
    const t = Date.now();
    findEncodedBlocks(`begin 644 ${' '.repeat(500_000)}x${' \t'.repeat(250_000)}\n=ybegin ${'x'.repeat(500_000)}`, 10);
    expect(Date.now() - t).toBeLessThan(1000);
  });
});

describe('begin lines a crafted message makes long', () => {
  // The begin-line pattern once matched the name too and backtracked over every "name=" of a line
  // ending in a form feed: 210 KB took 42 s. Now a 2 MB line is one pass (the test's own timeout
  // is the guard, not a measurement).
  it.each([
    ['yEnc', `=ybegin ${'name=a '.repeat(300_000)}\f`],
    ['uuencode', `begin 644 ${'a '.repeat(1_000_000)}\f`],
    ['many begin lines', 'begin 644 x\n'.repeat(200_000)],
  ])('%s', (_name, line) => {
    const blocks = findEncodedBlocks(`${line}\n`, 64);
    expect(blocks.length).toBeLessThanOrEqual(64);
  }, 10_000);
});
