// Red team, internal vs external: a shared mail domain nested inside a configured domain. A
// configured internal or trusted domain covers its subdomains, and booking.com, bell.ca or
// github.com are their companies' own domains; but guest.booking.com (guests' relay addresses),
// txt.bell.ca (customers' phones), users.noreply.github.com (users) and one of the policy's own
// consumerDomains (patients.hospital.example) hold addresses that each belong to a different
// person. They were counted as colleagues: thirty guests in To passed with internalDomains
// booking.com, while the same message with nothing configured was blocked. What may not be
// configured as internal (a shared mail domain, refused by createPolicy) is not internal below a
// configured domain either.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';
import { runCli } from '../helpers/cli.js';

const people = (domain: string, n = 30) => Array.from({ length: n }, (_, i) => `p${i}@${domain}`);

function check(from: string, to: string[], policy: Partial<Policy>) {
  const bytes = Buffer.from([`From: ${from}`, `To: ${to.join(', ')}`, 'Subject: notice', '', 'Hello.', ''].join('\r\n'));
  return checkMessage(bytes, createPolicy(policy));
}

const exposure = (r: ReturnType<typeof check>) => r.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS')?.severity;

describe('a shared mail domain inside a configured domain is external, each address a party', () => {
  const cases: Array<[string, string, string, Partial<Policy>]> = [
    ['guests relayed by the company that configured its own domain', 'cs@booking.com', 'guest.booking.com', { internalDomains: ['booking.com'] }],
    ['an SMS gateway under a carrier\'s own domain', 'noc@bell.ca', 'txt.bell.ca', { internalDomains: ['bell.ca'] }],
    ['per-person no-reply identities under a trusted partner', 'me@corp.example', 'users.noreply.github.com', { internalDomains: ['corp.example'], trustedDomains: ['github.com'] }],
    ['a domain below the listed relay', 'cs@booking.com', 'eu.guest.booking.com', { internalDomains: ['booking.com'] }],
    ['one of the policy\'s consumerDomains inside its internal domain', 'me@hospital.example', 'patients.hospital.example', { internalDomains: ['hospital.example'], consumerDomains: ['patients.hospital.example'] }],
    ['one of consumerDomains inside a trusted domain', 'me@corp.example', 'clients.isp.example', { internalDomains: ['corp.example'], trustedDomains: ['isp.example'], consumerDomains: ['clients.isp.example'] }],
  ];
  for (const [name, from, domain, policy] of cases) {
    it(`${name} (${domain})`, () => {
      const r = check(from, people(domain), policy);
      expect(r.recipients.visible.every((v) => !v.internal)).toBe(true);
      expect(exposure(r)).toBe('error');
      expect(r.verdict).toBe('block');
    });
  }

  it('with inference (nothing configured), a relay under the sender\'s own domain was already external: unchanged', () => {
    expect(check('cs@booking.com', people('guest.booking.com'), {}).verdict).toBe('block');
  });

  it('two patients at a consumer domain inside the internal domain block a sensitive message', () => {
    const r = check('me@hospital.example', people('patients.hospital.example', 2), { internalDomains: ['hospital.example'], consumerDomains: ['patients.hospital.example'], sensitive: true });
    expect(r.verdict).toBe('block');
  });

  it('the CLI blocks the guests with --internal-domain booking.com (exit 1)', async () => {
    const input = [`From: cs@booking.com`, `To: ${people('guest.booking.com').join(', ')}`, 'Subject: notice', '', 'Hello.', ''].join('\r\n');
    const r = await runCli(['check', '-', '--internal-domain', 'booking.com', '--format', 'json'], { input });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).results[0].verdict).toBe('block');
  });
});

describe('controls: the company itself and its other subdomains stay internal', () => {
  it('thirty colleagues at booking.com and its other subdomains pass', () => {
    const r = check('cs@booking.com', [...people('booking.com', 15), ...people('mail.booking.com', 15)], { internalDomains: ['booking.com'] });
    expect(r.recipients.visible.every((v) => v.internal)).toBe(true);
    expect(r.verdict).toBe('pass');
  });

  it('staff at the hospital and its wards pass beside a consumer domain of its own', () => {
    const r = check('me@hospital.example', [...people('hospital.example', 15), ...people('ward.hospital.example', 15)], { internalDomains: ['hospital.example'], consumerDomains: ['patients.hospital.example'] });
    expect(r.verdict).toBe('pass');
  });

  it('one guest in To with a colleague is an ordinary reply', () => {
    const r = check('cs@booking.com', ['p1@guest.booking.com', 'agent@booking.com'], { internalDomains: ['booking.com'] });
    expect(r.verdict).toBe('pass');
  });

  it('a domain that only ends like a relay is still under the internal domain (label boundaries)', () => {
    const r = check('cs@booking.com', people('myguest.booking.com'), { internalDomains: ['booking.com'] });
    expect(r.verdict).toBe('pass');
  });
});
