// Apparently-To is a visible recipient field (src/message/parse-message.ts): the Bcc rewrite moves
// its external addresses out (the field goes when nobody is left in it), and the split gives each
// of them a copy of their own, as both do for To and Cc. Each row: the fields, then what the Bcc
// rewrite leaves in To and Apparently-To, and who moved from which field.
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, headerRecipients, readHeaderBlock, rewriteToBcc, splitMessage } from '../../src/index.js';
import { decideDelivery } from '../../src/decide/index.js';
import { bodyOf } from './invariants.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const ext = (i: number) => `c${i}@org${i}.example`;
const five = [0, 1, 2, 3, 4].map(ext);
const msg = (fields: string) => Buffer.from(`From: Sender <sender@corp.example>\r\n${fields}\r\nSubject: s\r\nMessage-ID: <m1@corp.example>\r\n\r\nHello.\r\n`, 'latin1');
const fieldsOf = (b: Uint8Array, key: string): string[] => {
  const h = readHeaderBlock(b);
  return h.fields.filter((f) => f.key === key).map((f) => Buffer.from(b).toString('latin1', f.start, f.end).replace(/\r\n$/, ''));
};

type Row = [name: string, fields: string, to: string[], apparentlyTo: string[], moved: string[]];

const ROWS: Row[] = [
  ['Apparently-To alone: To gets the placeholder', `Apparently-To: ${five.join(', ')}`, ['To: undisclosed-recipients:;'], [], five.map((a) => `apparently-to:${a}`)],
  ['one Apparently-To per recipient (sendmail): all go', five.map((a) => `Apparently-To: ${a}`).join('\r\n'), ['To: undisclosed-recipients:;'], [], five.map((a) => `apparently-to:${a}`)],
  ['To internal, Apparently-To external', `To: staff@corp.example\r\nApparently-To: ${five.join(', ')}`, ['To: staff@corp.example'], [], five.map((a) => `apparently-to:${a}`)],
  ['internal ones stay in Apparently-To', `To: ${ext(0)}, ${ext(1)}\r\nAPPARENTLY-TO: boss@corp.example, ${ext(2)}, ${ext(3)}, ${ext(4)}`, ['To: undisclosed-recipients:;'], ['APPARENTLY-TO: boss@corp.example'], [...five.slice(0, 2).map((a) => `to:${a}`), ...five.slice(2).map((a) => `apparently-to:${a}`)]],
  ['folded, with a group', `To: staff@corp.example\r\nApparently-To: Customers: ${five.join(',\r\n  ')};`, ['To: staff@corp.example'], [], five.map((a) => `apparently-to:${a}`)],
];

describe('the Bcc rewrite moves Apparently-To', () => {
  it.each(ROWS)('%s', (_name, fields, to, apparentlyTo, moved) => {
    const input = msg(fields);
    expect(checkMessage(input, policy).findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
    const { bytes, plan } = rewriteToBcc(input, policy);
    expect(fieldsOf(bytes, 'to')).toEqual(to);
    expect(fieldsOf(bytes, 'apparently-to')).toEqual(apparentlyTo);
    expect(plan.moved.map((m) => `${m.from}:${m.address}`)).toEqual(moved);
    const after = checkMessage(bytes, policy);
    expect(after.findings.map((f) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
    expect(after.recipients.visible.filter((r) => !r.internal)).toEqual([]);
    // Nobody gained or lost the message; the body is untouched.
    expect(headerRecipients(bytes).sort()).toEqual(headerRecipients(input).sort());
    expect(bodyOf(bytes).equals(bodyOf(input))).toBe(true);
  });
});

describe('the split gives each Apparently-To recipient a copy of their own', () => {
  it.each(ROWS)('%s', (_name, fields) => {
    const input = msg(fields);
    const { messages } = splitMessage(input, policy, { messageIdDomain: 'split.example' });
    const everyone = new Set<string>();
    for (const copy of messages) {
      const r = checkMessage(copy.bytes, policy);
      expect(r.findings.map((f) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
      const shownExternal = new Set(r.recipients.visible.filter((v) => !v.internal).map((v) => v.address));
      expect(shownExternal.size).toBeLessThanOrEqual(1);
      // The copy shows exactly its envelope.
      expect([...new Set(r.recipients.visible.map((v) => v.address))].sort()).toEqual([...copy.recipients].sort());
      for (const a of copy.recipients) everyone.add(a);
      expect(bodyOf(copy.bytes).equals(bodyOf(input))).toBe(true);
      // Read as bytes, not through the model: no copy carries a second external address anywhere.
      expect(five.filter((a) => Buffer.from(copy.bytes).toString('latin1').includes(a)).length).toBeLessThanOrEqual(1);
    }
    expect([...everyone].sort()).toEqual(headerRecipients(input).sort());
    for (const a of five) expect(everyone.has(a)).toBe(true);
  });
});

describe('the decision rewrites an Apparently-To list (send, proxy, sendmail, plugin)', () => {
  it.each([
    ['bcc', 'rewrite'],
    ['split', 'split'],
    ['block', 'block'],
  ] as const)('onViolation %s: %s', (mode, action) => {
    const input = msg(`To: staff@corp.example\r\nApparently-To: ${five.join(', ')}`);
    const d = decideDelivery(input, policy, { onViolation: mode });
    expect(d.action).toBe(action);
    if (action === 'block') return;
    const sent = [...d.transactions()];
    for (const t of sent) expect(checkMessage(t.bytes, policy).findings.map((f) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
    expect(new Set(sent.flatMap((t) => t.envelope.rcptTo))).toEqual(new Set(['staff@corp.example', ...five]));
  });
});
