// decideDelivery: the one decision. Pure, so tables: what is delivered, to whom, for each mode.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertOnViolation, decideDelivery, type DeliveryDecision, type OnViolation, type Transaction } from '../../src/decide/index.js';
import { ADAPTER_MODES } from '../../src/decide/modes.js';
import { MailguardError } from '../../src/errors.js';
import { createPolicy } from '../../src/policy/policy.js';
import { parseSendmailArgs } from '../../src/sendmail/args.js';
import { prepareSendmailMessage } from '../../src/sendmail/envelope.js';
import { FIXTURES } from '../helpers/cli.js';
import { buildXlsx } from '../helpers/office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const bytesOf = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const all = (d: DeliveryDecision): Transaction[] => [...d.transactions()];
const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];
const EVERYONE = [...EXTERNAL, 'audit@corp.example', 'boss@corp.example'].sort();

describe('decideDelivery', () => {
  it.each<[string, OnViolation, string, number, string[]]>([
    // fixture, mode, action, transactions, all envelope recipients
    ['send-clean.eml', 'block', 'send', 1, ['ann@alpha.test', 'audit@corp.example', 'boss@corp.example']],
    ['send-exposed.eml', 'block', 'block', 0, []],
    ['send-exposed.eml', 'hold', 'hold', 0, []],
    ['send-exposed.eml', 'warn', 'send', 1, EVERYONE],
    ['send-exposed.eml', 'bcc', 'rewrite', 1, EVERYONE],
    ['send-exposed.eml', 'split', 'split', 7, EVERYONE],
    ['fix-ambiguous.eml', 'bcc', 'block', 0, []],
    ['fix-ambiguous.eml', 'block', 'block', 0, []],
  ])('%s with %s: %s, %i transaction(s)', (name, mode, action, count, recipients) => {
    const d = decideDelivery(fixture(name), policy, { onViolation: mode });
    expect(d.action).toBe(action);
    expect(d.transactionCount).toBe(count);
    const txs = all(d);
    expect(txs).toHaveLength(count);
    expect(txs.flatMap((t) => t.envelope.rcptTo).sort()).toEqual(recipients);
    expect(d.envelopes).toEqual(txs.map((t) => t.envelope));
    for (const t of txs) expect(text(t.bytes)).not.toMatch(/^bcc:/im);
  });

  it('names the blocking findings', () => {
    const d = decideDelivery(fixture('send-exposed.eml'), policy, { onViolation: 'block' });
    expect(d.blocking.map((f) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
    expect(d.reason).toEqual({ code: 'policy' });
  });

  it('changes nothing but the Bcc field of a message it passes', () => {
    const bytes = fixture('send-clean.eml');
    const [t] = all(decideDelivery(bytes, policy, { onViolation: 'block' }));
    expect(text(t!.bytes)).toBe(text(bytes).replace('Bcc: audit@corp.example\n', ''));
    expect(t!.envelope.mailFrom).toBe('sales@corp.example');
  });

  it('takes a given envelope over the header, and mailFrom over both', () => {
    const envelope = { mailFrom: 'bounces@corp.example', rcptTo: ['ann@alpha.test', 'hidden@corp.example'] };
    expect(all(decideDelivery(fixture('send-clean.eml'), policy, { onViolation: 'block', envelope }))[0]!.envelope).toEqual(envelope);
    const from = decideDelivery(fixture('send-clean.eml'), policy, { onViolation: 'block', envelope, mailFrom: 'x@corp.example' });
    expect(all(from)[0]!.envelope.mailFrom).toBe('x@corp.example');
  });

  it('split with an envelope: copies only for envelope recipients; hidden ones get a copy showing nobody', () => {
    const envelope = { mailFrom: 'sales@corp.example', rcptTo: ['ann@alpha.test', 'ben@beta.test', 'secret@corp.example'] };
    const txs = all(decideDelivery(fixture('send-exposed.eml'), policy, { onViolation: 'split', envelope }));
    expect(txs.map((t) => t.envelope.rcptTo)).toEqual([['ann@alpha.test'], ['ben@beta.test'], ['secret@corp.example']]);
    const hiddenCopy = text(txs[2]!.bytes);
    for (const a of EXTERNAL) expect(hiddenCopy).not.toContain(a);
  });

  it.each([
    ['upper-case local part and domain', 'ANN@Alpha.Test'],
    ['a trailing dot on the domain', 'ann@alpha.test.'],
    ['surrounding spaces', ' ann@alpha.test '],
  ])('split matches envelope addresses in normal form (%s) and sends them as the client wrote them', (_, written) => {
    const envelope = { mailFrom: 'sales@corp.example', rcptTo: [written] };
    const txs = all(decideDelivery(fixture('send-exposed.eml'), policy, { onViolation: 'split', envelope }));
    expect(txs).toHaveLength(1);
    expect(txs[0]!.envelope.rcptTo).toEqual([written]);
    expect(text(txs[0]!.bytes)).toMatch(/^To: .*ann@alpha\.test/im);
  });

  it('resending: Resent-To/Cc/Bcc make the envelope and Resent-From the sender', () => {
    const bytes = bytesOf('Resent-From: desk@corp.example\nResent-To: ann@alpha.test\nResent-Bcc: log@corp.example\nFrom: sales@corp.example\nTo: old@beta.test\nSubject: again\n\nbody\n');
    const [t] = all(decideDelivery(bytes, policy, { onViolation: 'block' }));
    expect(t!.envelope).toEqual({ mailFrom: 'desk@corp.example', rcptTo: ['ann@alpha.test', 'log@corp.example'] });
    expect(text(t!.bytes)).not.toContain('Resent-Bcc');
  });

  it('refuses a message with no sender (saying what to give), no recipients, or that is not a message', () => {
    const noSender = decideDelivery(bytesOf('To: ann@alpha.test\nSubject: x\n\nhi\n'), policy, { onViolation: 'block' });
    expect(noSender.action).toBe('refuse');
    expect(noSender.reason?.code).toBe('no-sender');
    expect(noSender.reason?.hint).toContain('--from');
    expect(decideDelivery(bytesOf('From: a@corp.example\nSubject: x\n\nhi\n'), policy, { onViolation: 'block' }).reason?.code).toBe('no-recipients');
    for (const mode of ['warn', 'bcc', 'split', 'block'] as const) {
      const d = decideDelivery(bytesOf(''), policy, { onViolation: mode });
      expect(d.action).toBe('refuse');
      expect(d.reason?.code).toBe('unreadable');
      expect(all(d)).toEqual([]);
    }
  });

  it('warn: a violation goes out as written, and the decision says what it was sent despite', () => {
    const d = decideDelivery(fixture('send-exposed.eml'), policy, { onViolation: 'warn' });
    expect(d.action).toBe('send');
    expect(d.warnedOnly).toBe(true);
    expect(d.blocking.map((f) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
  });

  it.each<[string, string]>([
    ['an encoded word holding the whole To', `From: me@corp.example\r\nTo: =?utf-8?b?${Buffer.from(EXTERNAL.join(', ')).toString('base64')}?=\r\nSubject: s\r\n\r\nhi\r\n`],
    ['a line without a colon between To and a Cc holding a list', `From: me@corp.example\r\nTo: boss@corp.example\r\n.\r\nCc: ${EXTERNAL.join(', ')}\r\n\r\nhi\r\n`],
    ['source routes', `From: me@corp.example\r\nTo: <@relay.test:ann@alpha.test>, <@relay.test:ben@beta.test>\r\nSubject: s\r\n\r\nhi\r\n`],
  ])('warn does not send a header it cannot read for certain (%s): blocked, as in every mode', (_name, message) => {
    const d = decideDelivery(bytesOf(message), createPolicy({ internalDomains: ['corp.example'], rules: { AMBIGUOUS_RECIPIENT: 'error', MALFORMED_HEADER: 'error' } }), { onViolation: 'warn' });
    expect(d.action).toBe('block');
    expect(d.transactionCount).toBe(0);
    expect(d.blocking.map((f) => f.code).some((c) => c === 'AMBIGUOUS_RECIPIENT' || c === 'MALFORMED_HEADER')).toBe(true);
  });

  it('warn level (under blockAt) is rewritten by bcc and split too, and passes as written with block', () => {
    const msg = bytesOf('From: me@corp.example\nTo: a@x1.test, b@x2.test, c@x3.test\nSubject: s\n\nb\n');
    expect(decideDelivery(msg, policy, { onViolation: 'block' }).verdict).toBe('warn');
    expect(decideDelivery(msg, policy, { onViolation: 'block' }).action).toBe('send');
    expect(decideDelivery(msg, policy, { onViolation: 'bcc' }).action).toBe('rewrite');
    expect(decideDelivery(msg, policy, { onViolation: 'split' }).action).toBe('split');
  });

  it('a sensitive list is never fixed with Bcc: refused with the reason, and split still works', () => {
    const sensitive = createPolicy({ internalDomains: ['corp.example'], sensitive: true });
    const d = decideDelivery(fixture('send-exposed.eml'), sensitive, { onViolation: 'bcc' });
    expect(d.action).toBe('refuse');
    expect(d.reason?.code).toBe('rewrite-refused');
    expect(d.reason?.detail).toMatch(/sensitive/);
    expect(decideDelivery(fixture('send-exposed.eml'), sensitive, { onViolation: 'split' }).action).toBe('split');
    expect(() => assertOnViolation('bcc', sensitive, { name: 'x', modes: ADAPTER_MODES.send })).toThrow(MailguardError);
  });

  it.each([
    ['Reply-To', 'Reply-To: r1@a1.test, r2@a2.test, r3@a3.test, r4@a4.test, r5@a5.test\n'],
    ['Mail-Followup-To', 'Mail-Followup-To: r1@a1.test, r2@a2.test, r3@a3.test, r4@a4.test, r5@a5.test\n'],
  ])('a rewrite that leaves a list visible in %s is not sent when the policy blocks it', (_, field) => {
    const strict = createPolicy({ internalDomains: ['corp.example'], rules: { EXPOSED_REPLY_ADDRESSES: 'error' } });
    const msg = bytesOf(`From: me@corp.example\n${field}To: a@x1.test, b@x2.test, c@x3.test, d@x4.test, e@x5.test\nSubject: s\n\nb\n`);
    for (const mode of ['bcc', 'split'] as const) {
      const d = decideDelivery(msg, strict, { onViolation: mode });
      expect(d.action, mode).toBe('block');
      expect(all(d)).toEqual([]);
    }
  });

  it('any other blocking finding is not rewritten away', () => {
    const msg = bytesOf('From: me@corp.example\nTo: a@x1.test, b@x2.test, c@x3.test, d@x4.test, e@x5.test\nTo: f@x6.test\nSubject: s\n\nb\n');
    const strict = createPolicy({ internalDomains: ['corp.example'], rules: { DUPLICATE_RECIPIENT_FIELD: 'error' } });
    for (const mode of ['bcc', 'split'] as const) expect(decideDelivery(msg, strict, { onViolation: mode }).action).toBe('block');
  });

  it('a split makes its copies only when iterated, one at a time', () => {
    const d = decideDelivery(fixture('send-exposed.eml'), policy, { onViolation: 'split' });
    const iterator = d.transactions()[Symbol.iterator]();
    const first = iterator.next().value as Transaction;
    const second = iterator.next().value as Transaction;
    expect(first.bytes).not.toBe(second.bytes);
    expect(d.envelopes[0]).toEqual(first.envelope);
  });

  it('draft output keeps the Bcc field a mail client needs and needs no envelope sender', () => {
    const d = decideDelivery(bytesOf('To: a@x1.test, b@x2.test, c@x3.test, d@x4.test, e@x5.test\nSubject: s\n\nb\n'), policy, { onViolation: 'bcc', output: 'draft' });
    expect(d.action).toBe('rewrite');
    expect(text(all(d)[0]!.bytes)).toMatch(/^Bcc: a@x1\.test/m);
  });
});

describe('decideDelivery for sendmail (the envelope comes from the command line or -t)', () => {
  const strict = createPolicy({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 3 });
  const EXPOSED = 'From: me@corp.example\nTo: a@x1.test, b@x2.test, c@x3.test, boss@corp.example\nBcc: h@hid.test\nSubject: s\nMessage-ID: <m@corp.example>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n';
  const prepared = (message: string, argv: string[]) => prepareSendmailMessage(Buffer.from(message), parseSendmailArgs(argv), { now: new Date(0), messageIdLocal: 'id' });
  const decide = (message: string, argv: string[], mode: OnViolation, p = strict) => {
    const m = prepared(message, argv);
    return decideDelivery(m.bytes, p, { onViolation: mode, envelope: m.envelope });
  };

  it('bcc: one message, externals hidden, the same envelope', () => {
    const d = decide(EXPOSED, ['-t'], 'bcc');
    expect(d.action).toBe('rewrite');
    const [t] = all(d);
    expect(text(t!.bytes)).toMatch(/^To: boss@corp.example$/m);
    expect(text(t!.bytes)).not.toMatch(/x1\.test|x2\.test|x3\.test|hid\.test|^Bcc:/im);
    expect([...t!.envelope.rcptTo].sort()).toEqual(['a@x1.test', 'b@x2.test', 'boss@corp.example', 'c@x3.test', 'h@hid.test']);
  });

  it('split: everyone, the blind recipient included, gets a copy showing only what they may see', () => {
    const txs = all(decide(EXPOSED, ['-t'], 'split'));
    const byRcpt = new Map(txs.map((x) => [x.envelope.rcptTo.join(','), text(x.bytes)]));
    expect([...byRcpt.keys()].sort()).toEqual(['a@x1.test', 'b@x2.test', 'boss@corp.example', 'c@x3.test', 'h@hid.test']);
    expect(byRcpt.get('a@x1.test')).toMatch(/^To: a@x1.test$/m);
    expect(byRcpt.get('a@x1.test')).not.toMatch(/x2\.test|hid\.test/);
    expect(byRcpt.get('h@hid.test')).not.toMatch(/x1\.test|x2\.test|x3\.test/);
    for (const body of byRcpt.values()) expect(body).not.toMatch(/^Bcc:/im);
  });

  it('split without -t: the envelope decides who gets a copy; an envelope-only one gets a copy showing nobody', () => {
    const txs = all(decide(EXPOSED, ['a@x1.test', 'b@x2.test', 'c@x3.test', 'extra@v.test'], 'split'));
    expect(txs.map((x) => x.envelope.rcptTo.join(',')).sort()).toEqual(['a@x1.test', 'b@x2.test', 'c@x3.test', 'extra@v.test']);
    const extra = txs.find((x) => x.envelope.rcptTo[0] === 'extra@v.test')!;
    expect(text(extra.bytes)).not.toMatch(/x1\.test|x2\.test|x3\.test/);
  });

  it('an ambiguous recipient is never rewritten', () => {
    for (const mode of ['bcc', 'split'] as const) {
      const d = decide('From: me@corp.example\nTo: a@x1.test, b@x2.test, c@x3.test, "d@x4.test\nSubject: s\n\nb\n', ['a@x1.test'], mode);
      expect(d.action).toBe('block');
      expect(d.blocking.map((f) => f.code)).toContain('AMBIGUOUS_RECIPIENT');
    }
  });
});

describe('assertOnViolation', () => {
  it.each(Object.entries(ADAPTER_MODES))('%s refuses at start-up the modes it cannot carry out', (name, modes) => {
    for (const mode of ['block', 'warn', 'bcc', 'split', 'hold'] as const) {
      const check = () => assertOnViolation(mode, { sensitive: false }, { name, modes });
      if ((modes as readonly string[]).includes(mode)) expect(check).not.toThrow();
      else expect(check).toThrow(/cannot do onViolation/);
    }
  });
});

describe('a list that travels in an attachment or invitation (no header rewrite cures it)', () => {
  const ics = (n: number) =>
    ['BEGIN:VCALENDAR', 'VERSION:2.0', 'METHOD:REQUEST', 'BEGIN:VEVENT', 'UID:1@corp.example', 'DTSTART:20261201T100000Z', 'SUMMARY:x', 'ORGANIZER:mailto:me@corp.example', ...Array.from({ length: n }, (_, i) => `ATTENDEE:mailto:a${i}@org${i}.test`), 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  const invite = (to: string, n: number) =>
    bytesOf(`From: me@corp.example\r\nTo: ${to}\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n${ics(n)}\r\n--B--\r\n`);
  const scanning = createPolicy({ internalDomains: ['corp.example'], bodyScan: { enabled: true, minAddresses: 10, maxPartBytes: 1024 * 1024 } as never });

  it.each(['bcc', 'split'] as const)('%s: a blocking invitation is refused, whatever the header shows', (mode) => {
    for (const to of ['a@x1.test, b@x2.test, c@x3.test, d@x4.test, e@x5.test', 'colleague@corp.example']) {
      const d = decideDelivery(invite(to, 8), scanning, { onViolation: mode });
      expect(d.action, to).toBe('refuse');
      expect(d.reason?.code).toBe('list-in-attachment');
      expect(d.reason?.finding?.code).toBe('EXPOSED_ATTENDEES');
      expect(all(d)).toEqual([]);
    }
  });

  it.each(['bcc', 'split'] as const)('%s: a warn-level invitation goes as written (as with block), and the decision says why it was not rewritten', (mode) => {
    const d = decideDelivery(invite('colleague@corp.example', 3), scanning, { onViolation: mode });
    expect(d.action).toBe('send');
    expect(d.reason?.code).toBe('list-in-attachment');
  });

  // A warn-level list in the header is still rewritten away when a warn-level list also travels in
  // an invitation or a spreadsheet: the rewrite cannot clean the attachment, and the decision says
  // so, but the header it can clean is cleaned (it was sent as written, the header list shown).
  const THREE = 'a@x1.test, b@x2.test, c@x3.test';
  const sheet = (to: string) => {
    const xlsx = Buffer.from(buildXlsx([{ name: 'People', rows: Array.from({ length: 12 }, (_, i) => [`p${i}@org${i}.test`]) }])).toString('base64');
    return bytesOf(`From: me@corp.example\r\nTo: ${to}\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name=people.xlsx\r\nContent-Transfer-Encoding: base64\r\n\r\n${xlsx}\r\n--B--\r\n`);
  };
  it.each([
    ['a warn-level invitation', invite(THREE, 3), 'EXPOSED_ATTENDEES'],
    ['a spreadsheet listing twelve people', sheet(THREE), 'ADDRESS_LIST_IN_ATTACHMENT'],
    ['a warn-level invitation, the list in Cc', invite(`colleague@corp.example\r\nCc: ${THREE}`, 3), 'EXPOSED_ATTENDEES'],
  ])('%s beside a warn-level header list: bcc and split still rewrite the header, and say what they left', (_, bytes, code) => {
    const bcc = decideDelivery(bytes, scanning, { onViolation: 'bcc' });
    expect(bcc.verdict).toBe('warn');
    expect(bcc.action).toBe('rewrite');
    expect(bcc.reason).toMatchObject({ code: 'list-in-attachment', finding: { code } });
    const [t] = all(bcc);
    const header = Buffer.from(t!.bytes).toString('latin1').split('\r\n\r\n')[0]!;
    expect(header).not.toMatch(/x[123]\.test/);
    expect([...t!.envelope.rcptTo].sort()).toEqual(expect.arrayContaining(['a@x1.test', 'b@x2.test', 'c@x3.test']));
    const split = decideDelivery(bytes, scanning, { onViolation: 'split' });
    expect(split.action).toBe('split');
    expect(split.reason?.code).toBe('list-in-attachment');
    for (const c of all(split)) {
      const shown = Buffer.from(c.bytes).toString('latin1').split('\r\n\r\n')[0]!.match(/x[123]\.test/g) ?? [];
      expect(shown.length).toBeLessThanOrEqual(1);
    }
    // fix cannot clean the attachment: it still refuses such a draft (src/cli/actions/fix.ts).
    expect(decideDelivery(bytes, scanning, { onViolation: 'bcc', output: 'draft' }).reason?.code).toBe('list-in-attachment');
  });

  it('block and warn are unchanged: block stops the blocking invitation, warn sends it', () => {
    expect(decideDelivery(invite('colleague@corp.example', 8), scanning, { onViolation: 'block' }).action).toBe('block');
    expect(decideDelivery(invite('colleague@corp.example', 8), scanning, { onViolation: 'warn' }).warnedOnly).toBe(true);
  });
});

// The nodemailer plugin hands the decision the address options as written beside the bytes
// nodemailer composed from them: nodemailer repairs an unclosed quote or a missing separator,
// so its bytes can read clean where the caller wrote something two programs read differently.
describe('writtenAs: the recipient fields as the caller wrote them', () => {
  const composed = bytesOf('From: sales@corp.example\r\nTo: ann@alpha.test, ben@beta.test\r\nSubject: s\r\n\r\nhi\r\n');
  it.each<[string, string]>([
    ['an unclosed quote', 'To: "unclosed <ann@alpha.test>, ben@beta.test\r\n'],
    ['a control character', 'To: ann@alpha.test,\u0000 ben@beta.test\r\n'],
    ['a routing character in a local part', 'To: alpha.test!ann@corp.example, ben@beta.test\r\n'],
  ])('%s: blocked in every mode, on the findings of what was written', (_, field) => {
    const writtenAs = bytesOf(`From: sales@corp.example\r\n${field}\r\n`);
    for (const mode of ['block', 'warn', 'bcc', 'hold'] as const) {
      const d = decideDelivery(composed, policy, { onViolation: mode, writtenAs });
      expect(d.action).toBe('block');
      expect(d.transactionCount).toBe(0);
      expect(d.blocking.map((f) => f.code)).toContain('AMBIGUOUS_RECIPIENT');
    }
  });

  it('what was written reads as the bytes do: no effect', () => {
    const writtenAs = bytesOf('From: sales@corp.example\r\nTo: ann@alpha.test, ben@beta.test\r\n\r\n');
    expect(decideDelivery(composed, policy, { onViolation: 'block', writtenAs }).action).toBe('send');
  });
});
