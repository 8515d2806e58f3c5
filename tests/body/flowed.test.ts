import { describe, expect, it } from 'vitest';
import { unflowDelSp } from '../../src/body/flowed.js';

describe('unflowDelSp: format=flowed; delsp=yes as a reader joins it', () => {
  it.each<[string, string, string]>([
    ['a line ending in a space goes on without it', 'p1@ \r\norg1.example\r\n', 'p1@org1.example\n'],
    ['several lines of one paragraph', 'p1@o \r\nrg1.exa \r\nmple, p2@org2.example', 'p1@org1.example, p2@org2.example'],
    ['a line without a trailing space ends the paragraph', 'p1@org1.example\r\np2@org2.example', 'p1@org1.example\np2@org2.example'],
    ['quoted lines join at their own depth, stuffing removed', '> p1@ \r\n> org1.example\r\n>> x \r\n> y', '> p1@org1.example\n>> x\n> y'],
    ['a space-stuffed line loses its first space', ' From p1@ \r\n org1.example', 'From p1@org1.example'],
    ['the signature separator does not flow', '-- \r\nsig', '-- \nsig'],
    ['a flowed last line is kept', 'p1@ ', 'p1@'],
  ])('%s', (_name, text, joined) => {
    expect(unflowDelSp(text)).toBe(joined);
  });
});
