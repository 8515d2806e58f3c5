// planDelivery: what is relayed, to whom, for each on-violation mode. Pure, so a table.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/policy/policy.js';
import { planDelivery } from '../../src/relay/plan.js';
import type { OnViolation } from '../../src/policy/config.js';
import { FIXTURES } from '../helpers/cli.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];
const EVERYONE = [...EXTERNAL, 'audit@corp.example', 'boss@corp.example'].sort();

describe('planDelivery', () => {
  it.each<[string, OnViolation, string, number, string[]]>([
    // fixture, mode, outcome, transactions, all envelope recipients
    ['send-clean.eml', 'block', 'send', 1, ['ann@alpha.test', 'audit@corp.example', 'boss@corp.example']],
    ['send-exposed.eml', 'block', 'block', 0, []],
    ['send-exposed.eml', 'warn', 'send', 1, EVERYONE],
    ['send-exposed.eml', 'bcc', 'send', 1, EVERYONE],
    ['send-exposed.eml', 'split', 'send', 7, EVERYONE],
    ['fix-ambiguous.eml', 'bcc', 'refuse', 0, []],
    ['fix-ambiguous.eml', 'block', 'block', 0, []],
  ])('%s with %s: %s, %i transaction(s)', (name, mode, outcome, count, recipients) => {
    const plan = planDelivery(fixture(name), policy, { onViolation: mode });
    expect(plan.outcome).toBe(outcome);
    expect(plan.transactions).toHaveLength(count);
    expect(plan.transactions.flatMap((t) => t.envelope.rcptTo).sort()).toEqual(recipients);
    for (const t of plan.transactions) expect(text(t.bytes)).not.toMatch(/^bcc:/im);
  });

  it('names the blocking findings', () => {
    const plan = planDelivery(fixture('send-exposed.eml'), policy, { onViolation: 'block' });
    expect(plan.blocking.map((f) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
  });

  it('changes nothing but the Bcc field of a message it passes', () => {
    const bytes = fixture('send-clean.eml');
    const [t] = planDelivery(bytes, policy, { onViolation: 'block' }).transactions;
    expect(text(t!.bytes)).toBe(text(bytes).replace('Bcc: audit@corp.example\n', ''));
    expect(t!.envelope.mailFrom).toBe('sales@corp.example');
  });

  it('takes a given envelope over the header, and --from over both', () => {
    const envelope = { mailFrom: 'bounces@corp.example', rcptTo: ['ann@alpha.test', 'hidden@corp.example'] };
    const plan = planDelivery(fixture('send-clean.eml'), policy, { onViolation: 'block', envelope });
    expect(plan.transactions[0]!.envelope).toEqual(envelope);
    const from = planDelivery(fixture('send-clean.eml'), policy, { onViolation: 'block', envelope, mailFrom: 'x@corp.example' });
    expect(from.transactions[0]!.envelope.mailFrom).toBe('x@corp.example');
  });

  it('split with an envelope: copies only for envelope recipients, and the hidden ones get a Bcc-safe copy', () => {
    const envelope = { mailFrom: 'sales@corp.example', rcptTo: ['ann@alpha.test', 'ben@beta.test', 'secret@corp.example'] };
    const plan = planDelivery(fixture('send-exposed.eml'), policy, { onViolation: 'split', envelope });
    expect(plan.transactions.map((t) => t.envelope.rcptTo)).toEqual([['ann@alpha.test'], ['ben@beta.test'], ['secret@corp.example']]);
    const hiddenCopy = text(plan.transactions[2]!.bytes);
    for (const a of EXTERNAL) expect(hiddenCopy).not.toContain(a);
  });

  it('resending: Resent-To/Cc/Bcc make the envelope and Resent-From the sender', () => {
    const bytes = new TextEncoder().encode(
      'Resent-From: desk@corp.example\nResent-To: ann@alpha.test\nResent-Bcc: log@corp.example\nFrom: sales@corp.example\nTo: old@beta.test\nSubject: again\n\nbody\n',
    );
    const [t] = planDelivery(bytes, policy, { onViolation: 'block' }).transactions;
    expect(t!.envelope).toEqual({ mailFrom: 'desk@corp.example', rcptTo: ['ann@alpha.test', 'log@corp.example'] });
    expect(text(t!.bytes)).not.toContain('Resent-Bcc');
  });

  it('refuses a message with no sender, saying to give --from', () => {
    const plan = planDelivery(new TextEncoder().encode('To: ann@alpha.test\nSubject: x\n\nhi\n'), policy, { onViolation: 'block' });
    expect(plan.outcome).toBe('refuse');
    expect(plan.hint).toContain('--from');
  });

  it('refuses a message without recipients and input that is not a message', () => {
    expect(planDelivery(new TextEncoder().encode('From: a@corp.example\nSubject: x\n\nhi\n'), policy, { onViolation: 'block' }).outcome).toBe('refuse');
    expect(planDelivery(new TextEncoder().encode(''), policy, { onViolation: 'warn' }).outcome).toBe('refuse');
  });
});
