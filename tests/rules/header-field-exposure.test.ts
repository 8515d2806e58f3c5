// Recipient lists in header fields besides To and Cc count toward EXPOSED_RECIPIENTS ("check the
// bytes that will be sent"): Apparently-To is a visible recipient field like To. Each row: the
// header fields (From is corp.example's, the internal domain), the verdict, the finding codes and
// the fields EXPOSED_RECIPIENTS names.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { headerRecipients } from '../../src/message/header-recipients.js';
import { createPolicy } from '../../src/policy/policy.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'] });

/** `n` external addresses, each at its own organisation (`tag` keeps lists apart). */
const externals = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`);
const list = (n: number, tag = 'p') => externals(n, tag).join(', ');
const internals = (n: number) => Array.from({ length: n }, (_, i) => `staff${i}@corp.example`).join(', ');
const msg = (fields: string, nl = '\r\n') => Buffer.from(`From: Sender <sender@corp.example>${nl}${fields.replace(/\r\n/g, nl)}${nl}Subject: s${nl}${nl}Hello.${nl}`, 'utf8');
const check = (fields: string) => checkMessage(msg(fields), POLICY, { source: 't' });
const exposureFields = (r: ReturnType<typeof check>): string[] => {
  const f = r.findings.find((x) => x.code === 'EXPOSED_RECIPIENTS');
  return f && f.code === 'EXPOSED_RECIPIENTS' ? f.args.fields : [];
};

type Row = [name: string, fields: string, verdict: string, codes: string[], exposedIn: string[]];

describe('Apparently-To counts like To', () => {
  const ROWS: Row[] = [
    ['three organisations warn', `To: staff@corp.example\r\nApparently-To: ${list(3)}`, 'warn', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['five organisations block', `To: staff@corp.example\r\nApparently-To: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['without any To field', `Apparently-To: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['one field per recipient, as sendmail writes it', externals(5).map((a) => `Apparently-To: ${a}`).join('\r\n'), 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['field name in upper case', `TO: staff@corp.example\r\nAPPARENTLY-TO: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['field name in odd case', `apparently-TO: ${list(5)}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['folded over several lines', `Apparently-To: ${externals(5).join(',\r\n  ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['group syntax', `To: staff@corp.example\r\nApparently-To: Customers: ${list(5)};`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['display names, encoded too', `Apparently-To: =?UTF-8?Q?Chlo=C3=A9?= <${externals(1)[0]}>, "Bob B" <${externals(2)[1]}>, ${externals(5).slice(2).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['parties across To and Apparently-To add up', `To: ${list(2, 'a')}\r\nApparently-To: ${list(3, 'b')}`, 'block', ['EXPOSED_RECIPIENTS'], ['to', 'apparently-to']],
    ['the same address in To and Apparently-To counts once', `To: ${list(2)}\r\nApparently-To: ${list(2)}`, 'pass', [], []],
    ['25 addresses of one organisation block by count', `Apparently-To: ${Array.from({ length: 25 }, (_, i) => `c${i}@one-org.example`).join(', ')}`, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['mixed: internal ones do not count', `Apparently-To: ${internals(10)}, ${list(2)}`, 'pass', [], []],
    ['only internal', `Apparently-To: ${internals(30)}`, 'pass', [], []],
    ['one external', `To: staff@corp.example\r\nApparently-To: ${list(1)}`, 'pass', [], []],
    ['an ambiguous Apparently-To is refused like To', `To: staff@corp.example\r\nApparently-To: a@x.example b@y.example`, 'block', ['AMBIGUOUS_RECIPIENT'], []],
    ['white space before the colon is ambiguous', `To: staff@corp.example\r\nApparently-To : ${list(1)}`, 'block', ['AMBIGUOUS_RECIPIENT'], []],
  ];
  it.each(ROWS)('%s', (_name, fields, verdict, codes, exposedIn) => {
    const r = check(fields);
    expect(r.verdict).toBe(verdict);
    expect(r.findings.map((f) => f.code)).toEqual(codes);
    expect(exposureFields(r)).toEqual(exposedIn);
  });

  it('its addresses are visible recipients, classified like To', () => {
    const r = check(`To: staff@corp.example\r\nApparently-To: ${externals(1)[0]}, boss@corp.example`);
    expect(r.recipients.visible.map((v) => `${v.field}:${v.address}:${v.internal ? 'internal' : 'external'}`)).toEqual([
      'to:staff@corp.example:internal',
      'apparently-to:p0@p0-org.example:external',
      'apparently-to:boss@corp.example:internal',
    ]);
  });

  it('LF line ends read the same', () => {
    const r = checkMessage(msg(`Apparently-To: ${externals(5).join(',\r\n ')}`, '\n'), POLICY);
    expect(r.verdict).toBe('block');
    expect(exposureFields(r)).toEqual(['apparently-to']);
  });
});

describe('headerRecipients (send, sendmail -t, the plugin) takes Apparently-To', () => {
  it.each([
    ['with To', `To: staff@corp.example\r\nApparently-To: a@x.example, b@y.example\r\nBcc: c@z.example`, ['staff@corp.example', 'a@x.example', 'b@y.example', 'c@z.example']],
    ['alone, one field each', 'Apparently-To: a@x.example\r\nApparently-To: b@y.example', ['a@x.example', 'b@y.example']],
    ['not when resent: the Resent-* fields decide', 'Resent-To: r@x.example\r\nApparently-To: a@x.example', ['r@x.example']],
  ])('%s', (_name, fields, expected) => {
    expect(headerRecipients(msg(fields))).toEqual(expected);
  });

  it('an ambiguous Apparently-To builds no envelope', () => {
    expect(() => headerRecipients(msg('To: a@x.example\r\nApparently-To: "open <b@y.example>'))).toThrow(/apparently-to/);
  });
});
