// createPolicy: what it refuses as an internal or trusted domain (fail closed) and what it keeps.
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/policy/policy.js';

describe('internal and trusted domains that would count unrelated people as internal are refused', () => {
  const REFUSED: Array<[string, RegExp]> = [
    ['gmail.com', /consumer mail provider/],
    ['Outlook.com.', /consumer mail provider/],
    ['mail.yahoo.com', /consumer mail provider/],
    ['btinternet.com', /consumer mail provider/],
    ['web.de', /consumer mail provider/],
    ['mozmail.com', /consumer mail provider/],
    // The big services' country domains, and ISPs' customer mail.
    ['outlook.de', /consumer mail provider/],
    ['yahoo.com.br', /consumer mail provider/],
    ['aol.fr', /consumer mail provider/],
    ['yandex.kz', /consumer mail provider/],
    ['vodafonemail.de', /consumer mail provider/],
    ['onmicrosoft.com', /hosting domain/],
    ['mail.onmicrosoft.com', /hosting domain/],
    ['onmicrosoft.us', /hosting domain/],
    ['partner.onmschina.cn', /hosting domain/],
    ['sharepoint.com', /hosting domain/],
    ['com', /public suffix/],
  ];
  it.each(REFUSED)('%s', (domain, why) => {
    for (const key of ['internalDomains', 'trustedDomains'] as const) {
      expect(() => createPolicy({ [key]: [domain] })).toThrow(why);
      expect(() => createPolicy({ [key]: ['corp.example', domain] })).toThrow(new RegExp(key));
    }
  });

  it('says what to do instead: no single addresses, the organisation\'s own domain or tenant', () => {
    const hint = (p: Parameters<typeof createPolicy>[0]) => {
      try {
        createPolicy(p);
      } catch (e) {
        return (e as { hint?: string }).hint ?? '';
      }
      return '';
    };
    expect(hint({ internalDomains: ['gmail.com'] })).toMatch(/never single addresses.*own domain/);
    expect(hint({ trustedDomains: ['onmicrosoft.com'] })).toMatch(/acme\.onmicrosoft\.com/);
  });

  it('refuses a domain that is both internal (or trusted) and one of consumerDomains', () => {
    expect(() => createPolicy({ internalDomains: ['isp.example'], consumerDomains: ['isp.example'] })).toThrow(/also one of consumerDomains/);
    expect(() => createPolicy({ trustedDomains: ['mail.isp.example'], consumerDomains: ['isp.example'] })).toThrow(/also one of consumerDomains/);
  });

  it.each([['corp.example'], ['acme.onmicrosoft.com'], ['acme.mail.onmicrosoft.com'], ['acme.partner.onmschina.cn'], ['zendesk.com'], ['example.com'], ['google.com']])('keeps %s', (domain) => {
    expect(createPolicy({ internalDomains: [domain], trustedDomains: [domain] }).internalDomains).toEqual([domain]);
  });
});

// A wildcard public list at a mail provider or a public suffix made every address there a list:
// one Gmail user in To turned a Cc of customers into a public post (PUBLIC_LIST_POST, info).
describe('public lists that would make unrelated people lists are refused', () => {
  it.each([
    ['*@gmail.com', /mail provider/],
    ['*@Outlook.com.', /mail provider/],
    ['*@mail.yahoo.com', /mail provider/],
    ['*@mozmail.com', /mail provider/],
    ['*@onmicrosoft.com', /hosting domain/],
    ['*@co.uk', /public suffix/],
    ['*@github.io', /public suffix/],
  ])('%s', (pattern, why) => {
    expect(() => createPolicy({ publicLists: [pattern] })).toThrow(why);
    expect(() => createPolicy({ publicLists: ['*@vger.kernel.org', pattern] })).toThrow(/publicLists/);
  });

  it('refuses a wildcard at one of consumerDomains', () => {
    expect(() => createPolicy({ publicLists: ['*@mail.isp.example'], consumerDomains: ['isp.example'] })).toThrow(/at one of consumerDomains/);
  });

  it.each([['*@vger.kernel.org'], ['*@googlegroups.com'], ['*@lists.corp.example'], ['team@gmail.com'], ['list@co.uk']])('keeps %s', (pattern) => {
    expect(createPolicy({ publicLists: [pattern] }).publicLists).toEqual([pattern]);
  });
});
