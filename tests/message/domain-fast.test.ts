// Two answers about written domains found without ICU (issue 18, bench scenario 11), held here to
// what ICU says: certainlyRefused (the parser asks it once a field's problem kinds no longer
// matter) and fullwidthAsciiDomain (findAddresses maps fullwidth look-alikes with it).

import fc from 'fast-check';
import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { certainlyRefused, fullwidthAsciiDomain, normaliseDomain, plainAsciiName } from '../../src/message/domain.js';
import { parseAddressList } from '../../src/message/address-list.js';
import { MAX_PROBLEMS_PER_FIELD } from '../../src/limits.js';

/** Every character the refusal rule names, each in a domain of its own. */
const MAPPED_RANGES: Array<[number, number]> = [
  [0xff01, 0xff5e],
  [0xc0, 0xde],
  [0xad, 0xad],
  [0x391, 0x3a9],
  [0x400, 0x42f],
  [0x2160, 0x217f],
  [0xfb00, 0xfb06],
];

const piece = fc.oneof(
  fc.stringMatching(/^[a-z0-9-]{1,5}$/),
  fc.constantFrom('.', '0x', '0X', 'ｘ', 'ｂ', 'Ｂ', '１', '．', '。', '｡', '－', '＿', 'Ü', 'ü', 'ß', 'Ω', 'ω', 'Я', 'я', 'р', 'а', 'ﬁ', 'Ⅸ', '\u00ad', '\u200d', 'xn--', '日本', 'ｘｎ--', 'é', 'e\u0301', 'K', '_', '!'),
);
const written = fc.array(piece, { minLength: 1, maxLength: 8 }).map((ps) => ps.join(''));

describe('certainlyRefused', () => {
  it('says true only of domains normaliseDomain refuses (generated look-alikes, real IDNs, mixed scripts)', () => {
    fc.assert(
      fc.property(written, (d) => {
        if (certainlyRefused(d)) expect(normaliseDomain(d).ok).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  });

  it('says true of every character of its list, which normaliseDomain refuses', () => {
    for (const [from, to] of MAPPED_RANGES) {
      for (let c = from; c <= to; c++) {
        if (c === 0xd7 || c === 0x3a2) continue;
        const d = `a${String.fromCharCode(c)}b.example`;
        expect(certainlyRefused(d), d).toBe(true);
        expect(normaliseDomain(d).ok, d).toBe(false);
      }
    }
  });

  it.each(['bücher.de', 'münchen.example', 'παράδειγμα.example', 'пример.рф', '日本.jp', 'xn--bcher-kva.de', 'plain.example'])('leaves %s to the full check', (d) => {
    expect(certainlyRefused(d)).toBe(false);
  });

  it('leaves the first problems of a field their kinds, and refuses the same mailboxes past them', () => {
    const n = MAX_PROBLEMS_PER_FIELD + 30;
    const kinds = ['ｂ', 'BÜCHER', 'раypal', 'ﬁn'];
    const list = Array.from({ length: n }, (_, k) => `u${k}@${kinds[k % kinds.length]}${k}.example`).concat(['ok@fine.example']).join(', ');
    const parsed = parseAddressList(Buffer.from(list, 'utf8').toString('latin1'));
    expect(parsed.mailboxes.map((m) => m.address)).toEqual(['ok@fine.example']);
    expect(parsed.problems).toHaveLength(MAX_PROBLEMS_PER_FIELD);
    expect(parsed.problems.slice(0, 4).map((p) => p.kind)).toEqual(['idn-mismatch', 'idn-mismatch', 'mixed-script-domain', 'idn-mismatch']);
  });
});

describe('fullwidthAsciiDomain', () => {
  it('maps as domainToASCII does wherever it answers', () => {
    fc.assert(
      fc.property(written, (d) => {
        const mapped = fullwidthAsciiDomain(d);
        if (mapped !== undefined) expect(mapped).toBe(domainToASCII(d));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ['ｂａｎｋ.com', 'bank.com'],
    ['ＢＡＮＫ１．ＣＯＭ', 'bank1.com'],
    ['ｂ1z。com', 'b1z.com'],
    ['ｂ-x｡example', 'b-x.example'],
  ])('%s -> %s', (d, ascii) => {
    expect(fullwidthAsciiDomain(d)).toBe(ascii);
    expect(domainToASCII(d)).toBe(ascii);
  });

  it.each(['plain.com', 'bücher.de', 'ｘｎ--bcher-kva.de', 'ｂ..com', 'ｂ.１２３', '－ｂ.com', 'ｂ！.com', 'ｂ.0x１', '０ｘ０１', 'ｂ.0X'])('leaves %s to ICU', (d) => {
    expect(fullwidthAsciiDomain(d)).toBeUndefined();
  });
});

describe('plainAsciiName', () => {
  const asciiDomain = fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,8}$/), fc.constantFrom('xn--bcher-kva', 'XN--', '123', 'a'.repeat(63), 'a'.repeat(64), '0x1')), { minLength: 1, maxLength: 5 }).map((ls) => ls.join('.'));
  it('answers normaliseDomain(d).ascii wherever it answers, and answers every plain ASCII name', () => {
    fc.assert(
      fc.property(fc.oneof(asciiDomain, asciiDomain.map((d) => `${d}.`), written), (d) => {
        const plain = plainAsciiName(d);
        const norm = normaliseDomain(d);
        if (plain !== undefined) expect(norm).toEqual({ ok: true, ascii: plain, unicode: plain });
        else if (norm.ok) expect(norm.ascii.split('.').some((l) => l.startsWith('xn--'))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
