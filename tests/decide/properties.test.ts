// Invariants of what the decision hands to the relay (sendmail's envelopes, -t or not), over generated recipient lists:
// nothing delivered still violates the policy, no delivered header carries Bcc, and the copies
// together reach exactly the envelope recipients (nobody lost, nobody added).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createPolicy } from '../../src/policy/policy.js';
import { parseSendmailArgs } from '../../src/sendmail/args.js';
import { decideDelivery } from '../../src/decide/index.js';
import { prepareSendmailMessage } from '../../src/sendmail/envelope.js';

const policy = createPolicy({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 3 });
const local = fc.constantFrom('ann', 'bob', 'cy', 'dee', 'eve', 'finn');
const externalDomain = fc.constantFrom('a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'gmail.com');
const external = fc.tuple(local, externalDomain).map(([l, d]) => `${l}@${d}`);
const internal = local.map((l) => `${l}@corp.example`);
const address = fc.oneof({ weight: 3, arbitrary: external }, { weight: 1, arbitrary: internal });

const scenario = fc.record({
  to: fc.array(address, { minLength: 1, maxLength: 8 }),
  cc: fc.array(address, { maxLength: 4 }),
  bcc: fc.array(address, { maxLength: 3 }),
  extra: fc.array(address, { maxLength: 2 }),
  extract: fc.boolean(),
  crlf: fc.boolean(),
});

describe('decideDelivery invariants', () => {
  it.each(['block', 'bcc', 'split', 'warn'] as const)('onViolation %s', (onViolation) => {
    fc.assert(
      fc.property(scenario, (s) => {
        const nl = s.crlf ? '\r\n' : '\n';
        const lines = ['From: sender@corp.example', `To: ${s.to.join(', ')}`];
        if (s.cc.length) lines.push(`Cc: ${s.cc.join(', ')}`);
        if (s.bcc.length) lines.push(`Bcc: ${s.bcc.join(', ')}`);
        lines.push('Subject: t', '', 'body', '.', 'end', '');
        const argv = s.extract ? ['-t', '-i', ...s.extra] : ['-i', ...s.to, ...s.extra];
        const prepared = prepareSendmailMessage(Buffer.from(lines.join(nl)), parseSendmailArgs(argv), { now: new Date(0), messageIdLocal: 'x' });
        const d = decideDelivery(prepared.bytes, policy, { onViolation, envelope: prepared.envelope });
        const deliveries = [...d.transactions()];
        const sends = d.action === 'send' || d.action === 'rewrite' || d.action === 'split';
        const wanted = new Set(prepared.envelope.rcptTo);
        // Every generated address is unambiguous, so a rewrite never has a reason to refuse.
        if (onViolation !== 'block') expect(sends).toBe(true);
        if (!sends) {
          expect(deliveries).toEqual([]);
          expect(d.result.verdict === 'block' || d.result.verdict === 'error').toBe(true);
          return;
        }
        const reached = new Set<string>();
        for (const x of deliveries) {
          const header = Buffer.from(x.bytes).toString('latin1').split(/\r?\n\r?\n/)[0]!;
          expect(header).not.toMatch(/^bcc:/im);
          for (const r of x.envelope.rcptTo) reached.add(r);
          expect(x.envelope.mailFrom).toBe('sender@corp.example');
          if (!d.warnedOnly) expect(checkMessage(x.bytes, policy, { envelope: x.envelope }).verdict).not.toBe('block');
        }
        expect([...reached].sort()).toEqual([...wanted].sort());
        if (d.rewrite?.strategy === 'split') expect(deliveries.reduce((n, x) => n + x.envelope.rcptTo.length, 0)).toBe(wanted.size);
      }),
      { numRuns: 150 },
    );
  });
});
