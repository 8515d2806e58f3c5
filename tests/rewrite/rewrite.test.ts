import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, headerRecipients, MailguardError, readHeaderBlock, rewriteToBcc, splitMessage, stripBcc } from '../../src/index.js';
import { FIXTURES } from '../helpers/cli.js';
import { bodyOf, expectBccInvariants, expectSplitInvariants, mailparserView } from './invariants.js';

const fixture = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));
const policy = createPolicy({});
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const field = (b: Uint8Array, key: string): string | undefined => {
  const h = readHeaderBlock(b);
  const f = h.fields.find((x) => x.key === key);
  return f ? Buffer.from(b).toString('latin1', f.start, f.end) : undefined;
};

function expectRewriteError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MailguardError);
  expect((caught as MailguardError).code).toBe('EREWRITE');
  expect((caught as MailguardError).message).toMatch(pattern);
}

// Fixtures whose exposure both strategies must fix, with the invariants of issue 3.
const CASES = [
  'fix-mixed-crlf.eml',
  'fix-hostile-names.eml',
  'fix-groups.eml',
  'fix-cc-only.eml',
  'customer-list-to.eml',
  'customer-list-cc.eml',
  'group-three-parties.eml',
  'check/cr-only.eml',
  'check/bom-and-from-line.eml',
  'check/mbox-from-line.eml',
  'check/duplicate-to-fields.eml',
  'check/encoded-display-names.eml',
  'check/utf8-headers.eml',
  'check/ip-literals.eml',
  'check/folded-crlf.eml',
];

describe.each(CASES)('%s', (name) => {
  const input = fixture(name);

  it('bcc: invariants hold', async () => {
    expect(checkMessage(input, policy).findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
    const { bytes, plan } = rewriteToBcc(input, policy);
    expect(plan.strategy).toBe('bcc');
    expect(plan.moved.length).toBeGreaterThan(0);
    await expectBccInvariants(input, bytes, policy);
  });

  it('split: invariants hold', async () => {
    const { messages, plan } = splitMessage(input, policy, { messageIdDomain: 'split.example' });
    expect(plan.messages).toBe(messages.length);
    await expectSplitInvariants(input, messages, policy);
  });
});

describe('rewriteToBcc', () => {
  it('moves external To/Cc recipients to Bcc, keeps internal ones, CRLF and every other byte', () => {
    const input = fixture('fix-mixed-crlf.eml');
    const { bytes, plan } = rewriteToBcc(input, policy);
    expect(field(bytes, 'to')).toBe('To: Alice Internal <alice@corp.example>\r\n');
    expect(field(bytes, 'cc')).toBe('Cc: Bob <bob@corp.example>\r\n');
    // The existing Bcc keeps its address and gains the moved ones, folded with CRLF.
    expect(field(bytes, 'bcc')).toBe(
      'Bcc: audit@corp.example, Customer One <one@customer-one.test>,\r\n "Two, Customer" <two@customer-two.test>, three@customer-three.test,\r\n =?ISO-8859-1?Q?J=F6rg?= <joerg@customer-four.test>, five@customer-five.test\r\n',
    );
    expect(plan.moved.map((m) => `${m.from}:${m.address}`)).toEqual([
      'to:one@customer-one.test',
      'to:two@customer-two.test',
      'cc:three@customer-three.test',
      'cc:joerg@customer-four.test',
      'cc:five@customer-five.test',
    ]);
    expect(plan.keptVisible).toEqual(['alice@corp.example', 'bob@corp.example']);
    expect(plan.toPlaceholder).toBeUndefined();
    expect(text(bytes)).not.toMatch(/[^\r]\n/);
    // The body line "Bcc: ..." is body text and stays so.
    expect(bodyOf(bytes).toString()).toContain('Bcc: this line is body text');
  });

  it('moves a mailbox written in two cases once, and does not add one the Bcc already holds in another case', () => {
    const outsiders = Array.from({ length: 5 }, (_, i) => `p${i}@org${i}.test`);
    for (const bcc of ['', 'Bcc: P1@org1.test\r\n']) {
      const input = Buffer.from(`From: me@corp.example\r\nTo: Ann@ann.test, ${outsiders.join(', ')}\r\nCc: ann@ann.test, ANN@ann.test\r\n${bcc}Subject: x\r\n\r\nhi\r\n`);
      const { bytes, plan } = rewriteToBcc(input, policy);
      const listed = checkMessage(bytes, policy).recipients.blind.map((r) => r.address.toLowerCase());
      // Each person once in Bcc: a server that reads local parts without case would deliver twice.
      expect(listed.filter((a) => a === 'ann@ann.test')).toHaveLength(1);
      expect(listed.filter((a) => a === 'p1@org1.test')).toHaveLength(1);
      expect(new Set(listed).size).toBe(listed.length);
      expect(plan.moved.map((m) => m.address.toLowerCase()).filter((a) => a === 'ann@ann.test')).toHaveLength(1);
    }
  });

  it('reports a DKIM signature that covers a rewritten field, and removes it only when asked', () => {
    const input = fixture('fix-mixed-crlf.eml');
    const kept = rewriteToBcc(input, policy);
    expect(kept.plan.dkimBroken).toBe(true);
    expect(kept.plan.dkimDomains).toEqual(['corp.example']);
    expect(kept.plan.dkimRemoved).toBe(0);
    expect(field(kept.bytes, 'dkim-signature')).toBe(field(input, 'dkim-signature'));
    const removed = rewriteToBcc(input, policy, { removeDkim: true });
    expect(removed.plan.dkimRemoved).toBe(1);
    expect(field(removed.bytes, 'dkim-signature')).toBeUndefined();
    expect(field(removed.bytes, 'return-path')).toBe(field(input, 'return-path'));
  });

  it('does not report DKIM when h= names none of the rewritten fields', () => {
    const input = Buffer.from('DKIM-Signature: v=1; d=corp.example; h=from:subject; b=x\nFrom: a@corp.example\nTo: a@one.test, b@two.test, c@three.test\n\nx\n');
    expect(rewriteToBcc(input, policy).plan.dkimBroken).toBe(false);
    const oversigned = Buffer.from('DKIM-Signature: v=1; d=corp.example; h=from:subject:bcc; b=x\nFrom: a@corp.example\nTo: a@one.test, b@two.test, c@three.test\n\nx\n');
    expect(rewriteToBcc(oversigned, policy).plan.dkimBroken).toBe(true);
  });

  it('puts undisclosed-recipients, the sender or a given address in an empty To', () => {
    const input = fixture('customer-list-to.eml');
    expect(field(rewriteToBcc(input, policy).bytes, 'to')).toMatch(/^To: undisclosed-recipients:;\r?\n$/);
    const sender = rewriteToBcc(input, policy, { to: 'sender' });
    expect(field(sender.bytes, 'to')).toMatch(/^To: Sales <sales@corp.example>\r?\n$/);
    expect(sender.plan.toPlaceholder).toBe('sender');
    expect(sender.plan.addedRecipients).toEqual(['sales@corp.example']);
    const list = rewriteToBcc(input, policy, { to: 'List <Offers@Corp.Example>' });
    expect(field(list.bytes, 'to')).toMatch(/^To: Offers@corp.example\r?\n$/);
    expectRewriteError(() => rewriteToBcc(input, policy, { to: 'a@b, c@d' }), /not one valid address/);
  });

  it('adds a To field when the exposure was only in Cc', () => {
    const { bytes } = rewriteToBcc(fixture('fix-cc-only.eml'), policy);
    expect(text(bytes)).toBe(
      'From: news@corp.example\nTo: undisclosed-recipients:;\nBcc: a@one.test, b@two.test, c@three.test, d@four.test, e@five.test\nSubject: only Cc\n\nno To field at all\n',
    );
  });

  it('keeps group names when their members move, and moves internal ones too with allToBcc', () => {
    const input = fixture('fix-groups.eml');
    const { bytes } = rewriteToBcc(input, policy);
    expect(field(bytes, 'to')).toBe('To: Patients:;, Doctor <doc@clinic.example>\n');
    expect(field(bytes, 'cc')).toBe(field(input, 'cc'));
    const all = rewriteToBcc(input, policy, { allToBcc: true });
    expect(field(all.bytes, 'to')).toBe('To: undisclosed-recipients:;\n');
    expect(field(all.bytes, 'cc')).toBeUndefined();
    expect(checkMessage(all.bytes, policy).recipients.visible).toEqual([]);
    expect(headerRecipients(all.bytes).sort()).toEqual(headerRecipients(input).sort());
  });

  it('never re-emits decoded display names: encoded CR/LF, @ and , stay encoded', async () => {
    const input = fixture('fix-hostile-names.eml');
    const { bytes } = rewriteToBcc(input, policy);
    const out = text(bytes);
    expect(out).toContain('=?UTF-8?B?RXZpbA0KQmNjOiBhdHRhY2tlckBldmlsLnRlc3Q=?= <a@one.test>');
    expect(out).not.toMatch(/^\s*(Bcc|To):.*(attacker|victim)/im);
    expect(out.match(/^Bcc:/gim)).toHaveLength(1);
    const mp = await mailparserView(bytes);
    expect([...mp.bcc].sort()).toEqual(['a@one.test', 'b@two.test', 'c@three.test', 'd@four.test', 'e@five.test', 'f@six.test']);
    // The relaying path: strip the Bcc, build the envelope from the draft's header.
    const relayed = stripBcc(bytes);
    expect(text(relayed)).not.toMatch(/^Bcc:/im);
    expect(headerRecipients(bytes).sort()).toEqual(['a@one.test', 'b@two.test', 'c@three.test', 'd@four.test', 'e@five.test', 'f@six.test']);
  });

  it('refuses sensitive lists, ambiguous and malformed messages, resent messages', () => {
    expectRewriteError(() => rewriteToBcc(fixture('customer-list-to.eml'), createPolicy({ sensitive: true })), /sensitive/);
    expectRewriteError(() => rewriteToBcc(fixture('fix-ambiguous.eml'), policy), /^AMBIGUOUS_RECIPIENT.*unbalanced-quote/);
    // Turning the rule off does not make a guess safe to rewrite.
    expectRewriteError(() => rewriteToBcc(fixture('fix-ambiguous.eml'), createPolicy({ rules: { AMBIGUOUS_RECIPIENT: 'off' } })), /^AMBIGUOUS_RECIPIENT/);
    expectRewriteError(() => rewriteToBcc(fixture('check/malformed-line-without-colon.eml'), policy), /^MALFORMED_HEADER/);
    expectRewriteError(() => rewriteToBcc(fixture('check/resent-to-list.eml'), policy), /resent/);
    expectRewriteError(() => rewriteToBcc(Buffer.alloc(0), policy), /not a message/);
  });

  it('leaves a message with nothing external in To/Cc byte-identical', () => {
    const input = fixture('clean-internal.eml');
    const { bytes, plan } = rewriteToBcc(input, policy);
    expect(Buffer.from(bytes).equals(input)).toBe(true);
    expect(plan.moved).toEqual([]);
  });
});

describe('splitMessage', () => {
  it('writes one copy per external recipient, one for the internal ones, one per Bcc-only recipient', () => {
    const input = fixture('fix-mixed-crlf.eml');
    const { messages, plan } = splitMessage(input, policy, { messageIdDomain: 'corp.example' });
    expect(messages.map((m) => m.recipients)).toEqual([
      ['one@customer-one.test'],
      ['two@customer-two.test'],
      ['three@customer-three.test'],
      ['joerg@customer-four.test'],
      ['five@customer-five.test'],
      ['alice@corp.example', 'bob@corp.example'],
      ['audit@corp.example'],
    ]);
    expect(plan.messages).toBe(7);
    expect(plan.dkimBroken).toBe(true);
    const first = messages[0]!.bytes;
    expect(field(first, 'to')).toBe('To: Customer One <one@customer-one.test>\r\n');
    expect(field(first, 'cc')).toBeUndefined();
    expect(field(first, 'bcc')).toBeUndefined();
    expect(field(first, 'message-id')).toMatch(/^Message-ID: <[0-9a-f]{32}@corp\.example>\r\n$/);
    expect(field(first, 'references')).toBe(field(input, 'references'));
    expect(field(first, 'in-reply-to')).toBe(field(input, 'in-reply-to'));
    const internal = messages[5]!.bytes;
    expect(field(internal, 'to')).toBe('To: Alice Internal <alice@corp.example>\r\n');
    expect(field(internal, 'cc')).toBe('Cc: Bob <bob@corp.example>\r\n');
    expect(field(messages[6]!.bytes, 'to')).toBe('To: audit@corp.example\r\n');
  });

  it('is allowed for sensitive lists and removes broken DKIM signatures when asked', () => {
    const { messages, plan } = splitMessage(fixture('fix-mixed-crlf.eml'), createPolicy({ sensitive: true }), { removeDkim: true });
    expect(plan.dkimRemoved).toBe(1);
    for (const m of messages) expect(field(m.bytes, 'dkim-signature')).toBeUndefined();
  });

  it('inserts a Message-ID when the input has none, using the sender domain', () => {
    const { messages } = splitMessage(fixture('fix-cc-only.eml'), policy);
    expect(messages).toHaveLength(5);
    expect(text(messages[0]!.bytes)).toMatch(/^From: news@corp\.example\nTo: a@one\.test\nMessage-ID: <[0-9a-f]{32}@corp\.example>\nSubject: only Cc\n\nno To field at all\n$/);
  });

  // One mailbox written in two cases is one recipient (envelope and header addresses are compared
  // without case): two copies would reach that person twice, each as a message of its own.
  it.each<[string, string, string[][]]>([
    ['local part in two cases in To', 'To: C1@one.test, c2@two.test, "x" <c1@one.test>', [['C1@one.test'], ['c2@two.test']]],
    ['To and Cc', 'To: c1@one.test, c2@two.test\r\nCc: C2@TWO.test, Boss@corp.example, boss@corp.example', [['c1@one.test'], ['c2@two.test'], ['Boss@corp.example']]],
    ['Apparently-To and To', 'To: c1@one.test\r\nApparently-To: C1@one.test\r\nApparently-To: c2@two.test', [['c1@one.test'], ['c2@two.test']]],
    ['Bcc and Cc', 'To: c1@one.test\r\nCc: c2@two.test\r\nBcc: C2@two.test, Audit@corp.example, audit@CORP.example', [['c1@one.test'], ['c2@two.test'], ['Audit@corp.example']]],
  ])('writes one copy per mailbox, whatever case it is written in: %s', (_name, fields, copies) => {
    const input = Buffer.from(`From: news@corp.example\r\n${fields}\r\nSubject: s\r\n\r\nHello\r\n`, 'latin1');
    const { messages } = splitMessage(input, createPolicy({ internalDomains: ['corp.example'] }), { messageIdDomain: 'corp.example' });
    expect(messages.map((m) => m.recipients)).toEqual(copies);
  });

  it('refuses ambiguous and malformed messages', () => {
    expectRewriteError(() => splitMessage(fixture('fix-ambiguous.eml'), policy), /^AMBIGUOUS_RECIPIENT/);
    expectRewriteError(() => splitMessage(fixture('check/no-blank-line.eml'), policy), /^MALFORMED_HEADER/);
    expectRewriteError(() => splitMessage(fixture('customer-list-to.eml'), policy, { messageIdDomain: 'bad domain' }), /Message-ID domain/);
  });
});

describe('long mailboxes', () => {
  it('re-folds a mailbox whose folded display name was longer than a line, without changing it', () => {
    const words = Array.from({ length: 150 }, (_, i) => `Word${i}`);
    const name = words.join('\r\n ');
    const to = [`"${name}" <long@one.test>`, 'b@two.test', 'c@three.test', 'd@four.test', 'e@five.test'].join(', ');
    const input = Buffer.from(`From: s@corp.example\r\nTo: ${to}\r\nSubject: x\r\n\r\nbody\r\n`);
    const { bytes } = rewriteToBcc(input, policy);
    const lines = text(bytes).split('\r\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(998);
    const bcc = checkMessage(bytes, policy).recipients.blind.map((r) => r.address);
    expect(bcc).toEqual(['long@one.test', 'b@two.test', 'c@three.test', 'd@four.test', 'e@five.test']);
    // Unfolded, the display name is exactly the original one.
    expect(text(bytes).replace(/\r\n(?=[ \t])/g, '')).toContain(`"${words.join(' ')}" <long@one.test>`);
  });
});
