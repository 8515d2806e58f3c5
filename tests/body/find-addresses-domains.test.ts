// findAddresses reads a written domain as IDNA (UTS 46) maps it, the way readers' mail clients look
// names up. Issue 18 made it cheaper (one ICU call per domain, not three; a bounded domain map; new
// addresses reported through `added` instead of a second set): these hold it to the rule it had.

import fc from 'fast-check';
import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addressesInHeaderText, findAddresses } from '../../src/body/addresses.js';
import { normaliseDomain } from '../../src/message/domain.js';

/** How findAddresses read a written domain before issue 18 (its acceptDomain then): a non-ASCII
 * domain as normaliseDomain's A-label form when it accepts it, else IDNA's mapping (without
 * invisible joiners when that fails); then split into labels and checked. */
function referenceAccept(written: string): string | undefined {
  let domain = written;
  if (/[^\x00-\x7f]/.test(domain)) {
    const n = normaliseDomain(domain);
    const ascii = n.ok ? n.ascii : domainToASCII(domain) || domainToASCII(domain.replace(/[\u200b-\u200d\u2060\ufeff]/g, ''));
    if (ascii === '') return undefined;
    domain = ascii;
  } else domain = domain.toLowerCase();
  const labels = domain.split('.');
  if (labels.length < 2) return undefined;
  for (const l of labels) if (l.length === 0 || l.length > 63 || l.startsWith('-') || l.endsWith('-')) return undefined;
  const tld = labels[labels.length - 1]!;
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld) || ['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'tif', 'tiff', 'heic'].includes(tld)) return undefined;
  return domain;
}

/** The domain part of what findAddresses finds in `a@<domain>`, or undefined when it finds nothing. */
function foundDomain(domain: string): string | undefined {
  const [found] = findAddresses(`a@${domain}`);
  return found?.slice(2);
}

const label = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,8}$/),
  fc.constantFrom('bücher', 'münchen', 'ＢＡＮＫ', 'ｂ', '１２', 'ﬁnance', 'Ⅸ', 'ÉCOLE', 'straße', 'παράδειγμα', 'раypal', '日本', 'a\u0301', 'pay\u200dpal', 'x\u00adn', 'ｘｎ--bcher-kva', 'xn--bcher-kva'),
);
// Label rules: hyphens at the ends, the 63-character bound, empty labels.
const ruleLabel = fc.constantFrom('-a', 'a-', 'a-b', 'x'.repeat(63), 'x'.repeat(64), 'ｘ'.repeat(63), '', '0');
const domain = fc.oneof(
  fc.tuple(fc.array(fc.oneof(label, ruleLabel), { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'de', 'рф', 'ｃｏｍ', 'co.uk', 'png', 'c0m', 'xn--p1ai')).map(([ls, tld]) => [...ls, tld].join('.')),
  fc.constantFrom('localhost', 'ｌｏｃａｌｈｏｓｔ', 'com', 'a..b.com', 'ｂ.ｐｎｇ', 'ＡＢ'),
);

describe('findAddresses reads written domains as IDNA maps them', () => {
  it('matches the earlier reading on generated domains (ASCII look-alikes, real IDNs, mixed)', () => {
    fc.assert(
      fc.property(domain, (d) => {
        expect(foundDomain(d)).toBe(referenceAccept(d));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['fullwidth letters', 'ｂａｎｋ.com', 'bank.com'],
    ['fullwidth capitals and digits', 'ＢＡＮＫ１.com', 'bank1.com'],
    ['a ligature', 'ﬁnance.com', 'finance.com'],
    ['upper-case beyond ASCII', 'BÜCHER.de', 'xn--bcher-kva.de'],
    ['an accepted IDN', 'bücher.de', 'xn--bcher-kva.de'],
    ['a zero-width joiner outside the scripts using it', 'pay\u200dpal.com', 'paypal.com'],
  ])('%s: %s reads as %s', (_, written, ascii) => {
    expect(foundDomain(written)).toBe(ascii);
  });

  it('reads every one of many distinct domains, past the domain map it keeps', () => {
    const written = Array.from({ length: 10_000 }, (_, k) => `u${k}@ｄ${k.toString(36)}.com`);
    const found = findAddresses(written.join(', '));
    expect(found.size).toBe(10_000);
    expect(found.has(`u9999@d${(9999).toString(36)}.com`)).toBe(true);
    // A shared map stays bounded, and answers the same with it as without it.
    const domains = new Map<string, string | undefined>();
    const again = findAddresses(written.join(', '), new Set(), domains);
    expect([...again]).toEqual([...found]);
    expect(domains.size).toBeLessThanOrEqual(4_096);
  });
});

describe('addresses added to a set the caller keeps', () => {
  it('pushes exactly the addresses the set did not hold, once each, in order', () => {
    const known = new Set(['b@x.test']);
    const added: string[] = [];
    addressesInHeaderText('a@x.test, b@x.test, A@x.test, c@ｘ.test, "d\\@y.test"', known, added);
    expect(added).toEqual(['a@x.test', 'c@x.test', 'd@y.test']);
    expect([...known]).toEqual(['b@x.test', 'a@x.test', 'c@x.test', 'd@y.test']);
  });

  it('finds the same addresses with or without a set given', () => {
    const texts = ['=?utf-8?q?a=40x.test?= <b@y.test>', 'c@ｚ.test, c@ｚ.test', 'd\u200b@e.test', '(e\\@f.test)', 'ｆ＠ｇ.test'];
    for (const text of texts) {
      const added: string[] = [];
      const into = addressesInHeaderText(text, new Set(), added);
      expect(added).toEqual([...addressesInHeaderText(text)]);
      expect([...into]).toEqual(added);
    }
  });
});
