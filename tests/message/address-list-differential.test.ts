// Differential check: the address parser and the domain normalisation in src/ against the copy
// in tests/message/reference/ (the code as it stood before the speed work of issue 18). Speed
// changes must not change a single result: every mailbox, group, problem (kind, excerpt, order),
// and the truncated flag, on the fixtures, on every header field of the real-mail corpus beside
// the project, on the big generated headers of the bench, and on generated token soups.
//
// DIFF_RUNS=500000 npx vitest run tests/message/address-list-differential.test.ts explores more.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddressList } from '../../src/message/address-list.js';
import { normaliseDomain } from '../../src/message/domain.js';
import { readHeaderBlock, unfold } from '../../src/message/header-block.js';
import { makeManyRecipients } from '../../bench/generate.js';
import { CORPUS_DIR } from '../corpus/corpus-files.js';
import { ROOT } from '../helpers/cli.js';
import { parseAddressList as referenceParse } from './reference/address-list.js';
import { normaliseDomain as referenceNormaliseDomain } from './reference/domain.js';
import { distinctDomainsField, idnField, invalidIdnField, toFieldOf } from './big-headers.js';

const RUNS = Number(process.env.DIFF_RUNS ?? 20_000);

/** Both parsers' results on one field value (a latin1 string of bytes), with and without a cap. */
function expectSame(value: string, maxMailboxes = Infinity): void {
  const { comments, ...ours } = parseAddressList(value, Infinity, maxMailboxes);
  const theirs = referenceParse(value, Infinity, maxMailboxes);
  // toEqual would accept a missing flag for `undefined`; compare the serialised shapes.
  expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
  // `comments` came after the reference copy (addresses written in comments are shown): each one
  // a parenthesised piece of the value that may hold an address (an "@", an encoded word, or 8-bit
  // text, where a fullwidth or small commercial at may stand).
  for (const c of comments ?? []) {
    expect(c.startsWith('(') && value.includes(c) && (c.includes('@') || c.includes('=?') || /[\x80-\xff]/.test(c))).toBe(true);
  }
}

function fieldValuesOf(bytes: Buffer): string[] {
  const header = readHeaderBlock(bytes);
  return header.fields.map((f) => unfold(f.rawValue, header.lineEnding));
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile() && e.name !== 'SOURCES.md') out.push(p);
  }
  return out.sort();
}

describe('address parser: src/ gives exactly the results of the reference copy', () => {
  it('every header field of every fixture (address fields and all others)', () => {
    let fields = 0;
    for (const file of filesUnder(path.join(ROOT, 'fixtures'))) {
      for (const value of fieldValuesOf(readFileSync(file))) {
        expectSame(value);
        expectSame(value, 1);
        fields++;
      }
    }
    expect(fields).toBeGreaterThan(300);
  });

  it.skipIf(!existsSync(CORPUS_DIR))('every header field of every file in the real-mail corpus', () => {
    let fields = 0;
    for (const file of filesUnder(CORPUS_DIR)) {
      for (const value of fieldValuesOf(readFileSync(file))) {
        expectSame(value);
        fields++;
      }
    }
    expect(fields).toBeGreaterThan(20_000);
  });

  it.each([
    ['100,000 recipients (bench scenario 4)', () => toFieldOf(makeManyRecipients(100_000, 7))],
    ['50,000 addresses at distinct domains', () => distinctDomainsField(50_000)],
    ['20,000 IDN addresses, each at its own domain', () => idnField(20_000)],
    ['invalid IDN domains', () => invalidIdnField(20_000)],
  ])('%s, whole and capped', (_name, make) => {
    const value = make();
    expectSame(value);
    expectSame(value, 1_000);
    // Twice: the second run meets the domain caches full.
    expectSame(value);
  });

  // Pieces that reach every branch: specials, quoting, comments, literals, groups, encoded words,
  // controls and Unicode line breaks (as UTF-8 bytes), IDN valid and not, deviation characters,
  // mixed scripts, fullwidth letters, upper-case non-ASCII, A-labels good and bad.
  const piece = fc.constantFrom(
    'a', 'b', 'x.y', 'corp', 'example', '.', '..', '@', ',', ';', ':', '<', '>', '"', '"q w"', '"a@b"', '"a\\"b"', '"é"',
    '(c)', '(', ')', '((a)(b))', ' ', '\t', '\\', '[', ']', '[1.2.3.4]', '[010.0.0.1]', '[IPv6:2001:db8::1]', '[ipv6:zz]',
    '=?utf-8?q?a?=', 'g:', 'undisclosed-recipients:;', '%', '!', '\r\n', '\x00', '\x7f', '\u0085', '\u2028',
    'bücher', 'müller.de', 'xn--bcher-kva', 'xn--0', 'xn--', 'straße', 'ς', '\u200d', 'раypal', 'παράδειγμα', '日本語',
    'ｅxample', 'ÉCOLE', 'K', '\u00ad', '127', '0.1', 'a-', '-a', '_', 'a'.repeat(64), 'é'.repeat(40), 'com.', 'co.uk', 'рф',
    'a@b.example', 'ü@ü.de', '<a@corp.example>', 'Name <n@corp.example>', 'x@ｂ.com', 'y@xn--bcher-kva.example',
  );
  const soup = fc.array(piece, { minLength: 1, maxLength: 24 }).map((ps) => Buffer.from(ps.join(''), 'utf8').toString('latin1'));
  const bytes = fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('latin1'));
  const label = fc.oneof(
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/),
    fc.constantFrom('bücher', 'xn--bcher-kva', 'münchen', 'παράδειγμα', '日本', 'рф', 'ｂ', 'straße', 'Ü', 'a\u0301', 'xn--zz', 'x'.repeat(70)),
    // Written beyond ASCII, mapped to plain ASCII (no second ICU call since issue 18), or to an A-label.
    fc.constantFrom('ＢＡＮＫ', '１２３', 'ﬁnance', 'Ⅸ', 'ｘｎ--bcher-kva', 'xn\u00ad--bcher-kva', 'pay\u200bpal', 'ＢÜＣＨＥＲ', 'ａ\uff0eb'),
  );
  const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
  const listOf = fc
    .array(fc.tuple(fc.constantFrom('', 'N ', '"N, M" ', '=?utf-8?q?x?= '), fc.stringMatching(/^[a-z.]{1,6}$/), domain, fc.boolean()), { minLength: 1, maxLength: 8 })
    .map((boxes) => Buffer.from(boxes.map(([n, l, d, angle]) => (angle ? `${n}<${l}@${d}>` : `${l}@${d}`)).join(', '), 'utf8').toString('latin1'));

  it(`${RUNS} generated inputs: token soups, random bytes and mostly-valid lists`, () => {
    fc.assert(
      fc.property(fc.oneof(soup, bytes, listOf), fc.constantFrom(Infinity, 1, 2), (value, cap) => {
        expectSame(value, cap);
      }),
      { numRuns: RUNS },
    );
  });

  // ASCII edge cases: case, A-label prefixes, digits, hyphens and underscores at the ends, the
  // 63-byte label and 253-byte domain limits.
  const asciiLabel = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_-]{0,6}$/),
    fc.constantFrom('XN--', 'xn--bcher-kva', 'Xn--BCHER-KVA', 'xn--0', '123', '0', 'a'.repeat(63), 'a'.repeat(64), 'b'.repeat(62), '-', '_', 'a!b', 'a b'),
  );
  const asciiDomain = fc.array(asciiLabel, { minLength: 1, maxLength: 6 }).map((ls) => ls.join('.'));
  const longDomain = fc.tuple(fc.integer({ min: 248, max: 258 }), fc.constantFrom('.com', '.123', '.xn--p1ai', '')).map(([n, tld]) => `${'a.'.repeat(n)}b`.slice(0, n - tld.length) + tld);

  it(`normaliseDomain on ${RUNS} generated domains`, () => {
    fc.assert(
      fc.property(fc.oneof(domain, domain.map((d) => `${d}.`), asciiDomain, asciiDomain.map((d) => `${d}.`), longDomain, fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 12 })), (d) => {
        expect(normaliseDomain(d)).toEqual(referenceNormaliseDomain(d));
      }),
      { numRuns: RUNS },
    );
  });
});
