// Security cases for domains: IDN forms, Unicode mapping differences, look-alikes, case and
// trailing dots, label boundaries and IP literals. Each case is named for what it defends against.
import { describe, expect, it } from 'vitest';
import { normaliseDomain } from '../../src/message/domain.js';
import { createPolicy } from '../../src/policy/policy.js';
import { check, message, problems, visible } from './support.js';

const to = (addr: string, internalDomains = ['corp.example']) =>
  check(message(['From: me@corp.example', `To: ${addr}`]), createPolicy({ internalDomains }));

const internalFlags = (r: ReturnType<typeof check>) => r.recipients.visible.map((v) => v.internal);

describe('IDN: the A-label and U-label of one domain are one domain', () => {
  it('internal domain configured as U-label covers the A-label in mail', () => {
    const r = to('x@xn--bcher-kva.example', ['bücher.example']);
    expect(visible(r)).toEqual(['to:x@xn--bcher-kva.example']);
    expect(internalFlags(r)).toEqual([true]);
  });

  it('internal domain configured as A-label covers the U-label in mail', () => {
    const r = to('x@bücher.example, y@mail.bücher.example', ['xn--bcher-kva.example']);
    expect(visible(r)).toEqual(['to:x@xn--bcher-kva.example', 'to:y@mail.xn--bcher-kva.example']);
    expect(internalFlags(r)).toEqual([true, true]);
  });

  it('U-label and A-label of one address are merged as one recipient, one party', () => {
    const r = to('x@bücher.example, x@xn--bcher-kva.example, x@XN--BCHER-KVA.EXAMPLE.');
    expect(new Set(r.recipients.visible.map((v) => v.address))).toEqual(new Set(['x@xn--bcher-kva.example']));
    expect(r.recipients.externalAddresses).toBe(1);
  });

  it('an A-label that does not round-trip (xn--zz) is ambiguous, not a new domain', () => {
    expect(problems(to('x@xn--zz.example'))).toEqual(['AMBIGUOUS_RECIPIENT:idn-mismatch']);
  });

  it.each([
    ['soft hyphen (U+00AD, dropped by UTS 46: corp\u00ad.example -> corp.example)', 'x@corp\u00ad.example'],
    ['fullwidth letters (ｃｏｒｐ -> corp)', 'x@ｃｏｒｐ.example'],
    ['fullwidth full stop (corp．example)', 'x@corp\uff0eexample'],
    ['ideographic full stop (corp。example)', 'x@corp\u3002example'],
    ['Kelvin sign (U+212A, lower-cases to k)', 'x@\u212aorp.example'],
    ['upper-case non-ASCII (BÜCHER, mapped by UTS 46 only)', 'x@BÜCHER.example'],
    ['sharp s (IDNA 2003 maps straße to strasse, IDNA 2008 keeps it)', 'x@straße.example'],
    ['final sigma (IDNA 2003 maps ς to σ)', 'x@σος.example'],
    ['zero width joiner', 'x@co\u200drp.example'],
    ['zero width non-joiner', 'x@co\u200crp.example'],
    ['combining mark that composes differently (u + U+0308 vs ü)', 'x@bu\u0308cher.example'],
  ])('mapping difference: %s is ambiguous', (_name, addr) => {
    const r = to(addr);
    expect(r.verdict).toBe('block');
    expect(visible(r)).toEqual([]);
    expect(r.findings.every((f) => f.code === 'AMBIGUOUS_RECIPIENT')).toBe(true);
  });

  it('the A-label of a deviation character is exact bytes for DNS: accepted as that domain', () => {
    const r = to('x@xn--strae-oqa.example', ['strasse.example']);
    expect(visible(r)).toEqual(['to:x@xn--strae-oqa.example']);
    expect(internalFlags(r)).toEqual([false]);
  });

  it('mixed-script look-alike (Cyrillic о in corp) is ambiguous, in U-label and in A-label form', () => {
    expect(problems(to('x@c\u043erp.example'))).toEqual(['AMBIGUOUS_RECIPIENT:mixed-script-domain']);
    const alabel = normaliseDomain('c\u043erp.example');
    expect(alabel.ok).toBe(false);
    expect(problems(to('x@xn--crp-tdd.example'))).toEqual(['AMBIGUOUS_RECIPIENT:mixed-script-domain']);
  });

  it('a whole-script look-alike (all Cyrillic сорр) is a different, external domain: never internal', () => {
    const r = to('x@\u0441\u043e\u0440\u0440.example', ['corp.example']);
    expect(internalFlags(r)).toEqual([false]);
    expect(r.recipients.visible[0]!.address).toMatch(/^x@xn--/);
  });

  it('Latin with Han and Kana (real Japanese names) is not treated as a look-alike', () => {
    const r = to('x@日本語テストabc.example');
    expect(r.verdict).toBe('pass');
    expect(r.recipients.visible).toHaveLength(1);
  });
});

describe('case, trailing dots and label boundaries', () => {
  it('upper-case and one trailing dot are the same internal domain', () => {
    const r = to('a@CORP.EXAMPLE, b@Corp.Example., c@MAIL.corp.example.');
    expect(visible(r)).toEqual(['to:a@corp.example', 'to:b@corp.example', 'to:c@mail.corp.example']);
    expect(internalFlags(r)).toEqual([true, true, true]);
  });

  it('the local part keeps its case: A@ and a@ are distinct addresses (the receiving server decides)', () => {
    const r = to('Alice@one.example, alice@one.example');
    expect(r.recipients.externalAddresses).toBe(2);
  });

  it.each(['x@corp.example..', 'x@.corp.example', 'x@corp..example', 'x@-corp.example', 'x@corp-.example'])('%s is not a domain: ambiguous', (addr) => {
    expect(problems(to(addr))).toEqual(['AMBIGUOUS_RECIPIENT:invalid-domain']);
  });

  it.each([
    ['evilcorp.example', 'a suffix that is not a label'],
    ['corp.example.attacker.example', 'the internal domain as a prefix'],
    ['corp.example-attacker.example', 'a hyphenated prefix'],
    ['corpexample', 'the dot removed'],
    ['xn--corp-xxx.example', 'an A-label that starts like it'],
  ])('%s (%s) is external', (domain) => {
    const r = check(message(['From: me@corp.example', `To: x@${domain}`]));
    expect(r.recipients.visible.every((v) => !v.internal)).toBe(true);
  });

  it('a subdomain on a label boundary is internal', () => {
    expect(internalFlags(to('x@mail.corp.example, y@a.b.corp.example'))).toEqual([true, true]);
  });
});

describe('IP literals', () => {
  it('IPv4 and IPv6 literals are addresses; never internal; each literal its own party', () => {
    const r = to('a@[192.0.2.1], b@[192.0.2.2], c@[IPv6:2001:db8::1]');
    expect(visible(r)).toEqual(['to:a@[192.0.2.1]', 'to:b@[192.0.2.2]', 'to:c@[IPv6:2001:db8::1]']);
    expect(internalFlags(r)).toEqual([false, false, false]);
    expect(r.recipients.externalParties).toBe(3);
  });

  it('the IPv6 tag and hex digits are case-normalised: one address', () => {
    const r = to('a@[ipv6:2001:DB8::1], a@[IPv6:2001:db8::1]');
    expect(new Set(r.recipients.visible.map((v) => v.address))).toEqual(new Set(['a@[IPv6:2001:db8::1]']));
  });

  it.each([
    ['[010.0.0.1]', 'leading zeros (octal to some resolvers)'],
    ['[256.1.1.1]', 'an octet out of range'],
    ['[127.1]', 'a short form'],
    ['[IPv6:1::2::3]', 'an invalid IPv6 address'],
    ['[x-tag:whatever]', 'an RFC 5321 general literal'],
    ['[corp.example]', 'a domain name in brackets'],
  ])('literal %s (%s) is ambiguous', (literal) => {
    expect(problems(to(`a@${literal}`))).toEqual(['AMBIGUOUS_RECIPIENT:invalid-domain']);
  });

  it('a dotted quad without brackets (an IP to some MTAs, a name to others) is ambiguous', () => {
    expect(problems(to('a@127.0.0.1'))).toEqual(['AMBIGUOUS_RECIPIENT:invalid-domain']);
    expect(problems(to('a@corp.123'))).toEqual(['AMBIGUOUS_RECIPIENT:invalid-domain']);
  });
});
