import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/policy/policy.js';
import { parseSendmailArgs } from '../../src/sendmail/args.js';
import { decideSendmail } from '../../src/sendmail/decide.js';
import { prepareSendmailMessage } from '../../src/sendmail/envelope.js';

const policy = createPolicy({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 3 });
const EXPOSED = 'From: me@corp.example\nTo: a@x1.test, b@x2.test, c@x3.test, boss@corp.example\nBcc: h@hid.test\nSubject: s\nMessage-ID: <m@corp.example>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n';
const prepared = (message: string, argv: string[]) => prepareSendmailMessage(Buffer.from(message), parseSendmailArgs(argv), { now: new Date(0), messageIdLocal: 'id' });
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

describe('decideSendmail', () => {
  it('delivers a clean message unchanged', () => {
    const p = prepared('From: me@corp.example\nTo: a@x1.test\nSubject: s\n\nb\n', ['-t']);
    const d = decideSendmail(p, policy, 'block');
    expect(d.action).toBe('deliver');
    expect(d.deliveries).toEqual([{ bytes: p.bytes, envelope: p.envelope }]);
  });

  it('blocks an exposed list (onViolation block), delivering nothing', () => {
    const d = decideSendmail(prepared(EXPOSED, ['-t']), policy, 'block');
    expect(d.action).toBe('block');
    expect(d.deliveries).toEqual([]);
    expect(d.result.findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
  });

  it('bcc: one message, externals hidden, same envelope', () => {
    const p = prepared(EXPOSED, ['-t']);
    const d = decideSendmail(p, policy, 'bcc');
    expect(d.action).toBe('deliver');
    expect(d.deliveries).toHaveLength(1);
    const out = text(d.deliveries[0]!.bytes);
    expect(out).toMatch(/^To: boss@corp.example$/m);
    expect(out).not.toMatch(/x1\.test|x2\.test|x3\.test|hid\.test|^Bcc:/im);
    expect(d.deliveries[0]!.envelope.rcptTo.sort()).toEqual(['a@x1.test', 'b@x2.test', 'boss@corp.example', 'c@x3.test', 'h@hid.test']);
    expect(d.rewrite?.strategy).toBe('bcc');
  });

  it('split: each recipient, hidden ones included, gets a copy showing only what they may see', () => {
    const d = decideSendmail(prepared(EXPOSED, ['-t']), policy, 'split');
    expect(d.action).toBe('deliver');
    const byRcpt = new Map(d.deliveries.map((x) => [x.envelope.rcptTo.join(','), text(x.bytes)]));
    expect([...byRcpt.keys()].sort()).toEqual(['a@x1.test', 'b@x2.test', 'boss@corp.example', 'c@x3.test', 'h@hid.test']);
    expect(byRcpt.get('a@x1.test')).toMatch(/^To: a@x1.test$/m);
    expect(byRcpt.get('a@x1.test')).not.toMatch(/x2\.test|hid\.test/);
    expect(byRcpt.get('h@hid.test')).toMatch(/^To: h@hid.test$/m);
    for (const body of byRcpt.values()) expect(body).not.toMatch(/^Bcc:/im);
  });

  it('split without -t: the envelope decides who gets a copy', () => {
    const d = decideSendmail(prepared(EXPOSED, ['a@x1.test', 'b@x2.test', 'c@x3.test', 'extra@v.test']), policy, 'split');
    expect(d.deliveries.map((x) => x.envelope.rcptTo.join(',')).sort()).toEqual(['a@x1.test', 'b@x2.test', 'c@x3.test', 'extra@v.test']);
  });

  it('bcc is refused for a sensitive list: blocked, with the reason', () => {
    const d = decideSendmail(prepared(EXPOSED, ['-t']), createPolicy({ internalDomains: ['corp.example'], sensitive: true }), 'bcc');
    expect(d.action).toBe('block');
    expect(d.refused).toMatch(/sensitive/);
  });

  it('an ambiguous recipient is never rewritten', () => {
    const p = prepared('From: me@corp.example\nTo: a@x1.test, b@x2.test, c@x3.test, "d@x4.test\nSubject: s\n\nb\n', ['a@x1.test']);
    for (const action of ['bcc', 'split'] as const) {
      const d = decideSendmail(p, policy, action);
      expect(d.action).toBe('block');
      expect(d.refused).toMatch(/AMBIGUOUS_RECIPIENT/);
    }
  });

  it('warn: delivers the message as it is and says so', () => {
    const p = prepared(EXPOSED, ['-t']);
    const d = decideSendmail(p, policy, 'warn');
    expect(d.action).toBe('deliver');
    expect(d.warnedOnly).toBe(true);
    expect(d.deliveries[0]!.bytes).toBe(p.bytes);
  });

  it('not a message: unreadable', () => {
    const p = prepared('\n\n', ['-f', 'me@corp.example', 'a@x1.test']);
    expect(decideSendmail(p, policy, 'bcc').action).toBe('unreadable');
  });
});
