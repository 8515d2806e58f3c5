// INTERNAL_DOMAIN_INFERRED: inference from the sender never makes many visible recipients internal
// without saying so (an ISP or relay domain no provider list knows looks like a company's own).
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';
import { stricterPolicy } from '../../src/policy/profiles.js';

const list = (domain: string, n: number, local = 'kunde') => Array.from({ length: n }, (_, i) => `${local}${i + 1}@${domain}`).join(', ');
const msg = (header: string) => Buffer.from(`${header}\r\nSubject: s\r\n\r\nbody\r\n`);
const check = (header: string, policy: Partial<Policy> | Policy = {}) => checkMessage(msg(header), policy, { source: 't' });
const note = (r: ReturnType<typeof check>) => r.findings.find((f) => f.code === 'INTERNAL_DOMAIN_INFERRED');

describe('INTERNAL_DOMAIN_INFERRED', () => {
  // [case, header, policy, verdict, [domains, count, field] of the note, or undefined for none]
  const ROWS: Array<[string, string, Partial<Policy> | Policy, string, [string[], number, string] | undefined]> = [
    ['an ISP domain no list knows, 30 customers', `From: kari@isp-no.example\r\nTo: ${list('isp-no.example', 30)}`, {}, 'pass', [['isp-no.example'], 30, 'from']],
    ['a company to its 30 colleagues: still a pass, with the note', `From: alice@acme.example\r\nTo: ${list('acme.example', 30, 'colleague')}`, {}, 'pass', [['acme.example'], 30, 'from']],
    ['exactly the address threshold, across To and Cc', `From: a@shop.example\r\nTo: ${list('shop.example', 6)}\r\nCc: ${list('shop.example', 4, 'cc')}`, {}, 'pass', [['shop.example'], 10, 'from']],
    ['a sender at a subdomain: both inferred domains count', `From: desk@mail.relay.example\r\nTo: ${list('relay.example', 5)}, ${list('mail.relay.example', 5, 'm')}`, {}, 'pass', [['relay.example', 'mail.relay.example'], 10, 'from']],
    ['the same address twice counts once', `From: a@shop.example\r\nTo: ${list('shop.example', 9)}, kunde1@shop.example`, {}, 'pass', undefined],
    ['nine, under the threshold', `From: a@shop.example\r\nTo: ${list('shop.example', 9)}`, {}, 'pass', undefined],
    ['a lower threshold in force', `From: a@shop.example\r\nTo: ${list('shop.example', 4)}`, { warnAddressesAt: 4 }, 'pass', [['shop.example'], 4, 'from']],
    ['sensitive: two at the sender\'s domain', `From: clinic@gp.example\r\nTo: ${list('gp.example', 2, 'patient')}`, { sensitive: true }, 'pass', [['gp.example'], 2, 'from']],
    ['resent: inferred from Resent-From', `Resent-From: r@isp-se.example\r\nResent-To: ${list('isp-se.example', 12)}\r\nFrom: x@y.example\r\nTo: z@y.example`, {}, 'pass', [['isp-se.example'], 12, 'resent-from']],
    ['internal domain configured: nothing is inferred', `From: alice@acme.example\r\nTo: ${list('acme.example', 30)}`, { internalDomains: ['acme.example'] }, 'pass', undefined],
    ['the sender\'s domain is trusted: internal by configuration', `From: alice@acme.example\r\nTo: ${list('acme.example', 30)}`, { trustedDomains: ['acme.example'] }, 'pass', undefined],
    ['a consumer provider: nothing inferred, the list is exposed', `From: a@gmail.com\r\nTo: ${list('gmail.com', 12)}`, {}, 'block', undefined],
    ['raised to an error by policy: blocks', `From: kari@isp-no.example\r\nTo: ${list('isp-no.example', 30)}`, { rules: { INTERNAL_DOMAIN_INFERRED: 'error' } }, 'block', [['isp-no.example'], 30, 'from']],
  ];
  it.each(ROWS)('%s', (_, header, policy, verdict, expected) => {
    const r = check(header, policy);
    expect(r.verdict).toBe(verdict);
    const f = note(r);
    expect(f && f.code === 'INTERNAL_DOMAIN_INFERRED' ? [f.args.domains, f.args.sameDomainAddresses, f.args.field] : undefined).toEqual(expected);
    if (f) expect(f.severity).toBe(policy.rules?.INTERNAL_DOMAIN_INFERRED ?? 'info');
  });

  it('a merged profile that makes them external still notes them, beside the exposure', () => {
    const header = `From: kari@isp-no.example\r\nTo: ${list('isp-no.example', 30)}`;
    const merged = stricterPolicy(createPolicy({}), createPolicy({ internalDomains: ['corp.example'] }));
    const r = check(header, merged);
    expect(r.findings.map((f) => f.code).sort()).toEqual(['EXPOSED_RECIPIENTS', 'INTERNAL_DOMAIN_INFERRED']);
    expect(r.verdict).toBe('block');
  });
});
