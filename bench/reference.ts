// The reference implementation for scenario 1: the same decision as mailguard's default policy
// (internal = the sender's registrable domain and its own domain, exactly, unless it is a public
// suffix or a consumer provider; external To/Cc recipients counted by party, warn at 3, block at
// 5, and by address, warn at 10, block at 25), written the straightforward way on mailparser's
// simpleParser. (The drafts it is compared on have no reply fields or addresses in names.)

import { createRequire } from 'node:module';
import type { AddressObject, EmailAddress } from 'mailparser';

const require = createRequire(import.meta.url);

export type ReferenceVerdict = 'pass' | 'warn' | 'block' | 'error';

type SimpleParser = (input: Buffer) => Promise<{ from?: AddressObject; to?: AddressObject | AddressObject[]; cc?: AddressObject | AddressObject[] }>;

export interface Reference {
  decide(bytes: Buffer): Promise<ReferenceVerdict>;
}

export async function loadReference(): Promise<Reference> {
  const { simpleParser } = (await import('mailparser')) as unknown as { simpleParser: SimpleParser };
  const { getDomain } = require('tldts') as { getDomain: (d: string, o?: { allowPrivateDomains?: boolean }) => string | null };
  const reserved = new Set(['example.com', 'example.net', 'example.org']);
  const consumer = new Set(
    [...(require('email-providers/all.json') as string[]), ...(require('free-email-domains-typescript') as { freeEmailDomains: string[] }).freeEmailDomains].filter((d) => !reserved.has(d)),
  );
  const registrable = (domain: string) => getDomain(domain, { allowPrivateDomains: true }) ?? domain;
  const isConsumer = (domain: string) => consumer.has(domain) || consumer.has(registrable(domain));

  const flatten = (list: EmailAddress[], out: string[]) => {
    for (const a of list) {
      if (a.group) flatten(a.group, out);
      else if (a.address) out.push(a.address.toLowerCase());
    }
  };
  const addresses = (field: AddressObject | AddressObject[] | undefined): string[] => {
    const out: string[] = [];
    for (const obj of field === undefined ? [] : Array.isArray(field) ? field : [field]) flatten(obj.value, out);
    return out;
  };

  return {
    async decide(bytes) {
      const mail = await simpleParser(bytes);
      const sender = addresses(mail.from)[0];
      const senderDomain = sender?.slice(sender.lastIndexOf('@') + 1);
      const inferable = senderDomain && getDomain(senderDomain, { allowPrivateDomains: true }) !== null && !isConsumer(senderDomain);
      const internal = new Set(inferable ? [registrable(senderDomain), senderDomain] : []);
      const parties = new Set<string>();
      const external = new Set<string>();
      for (const address of [...addresses(mail.to), ...addresses(mail.cc)]) {
        const domain = address.slice(address.lastIndexOf('@') + 1);
        if (internal.has(domain)) continue;
        external.add(address);
        parties.add(isConsumer(domain) ? address : registrable(domain));
      }
      if (parties.size >= 5 || external.size >= 25) return 'block';
      if (parties.size >= 3 || external.size >= 10) return 'warn';
      return 'pass';
    },
  };
}
