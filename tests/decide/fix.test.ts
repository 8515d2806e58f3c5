// decideFix / fixOutlook: what mailguard fix does with a message, as data. One row per shape: the
// outcome and the refusal's code (and the fields left, or the rewrite's refusal kind).
import { describe, expect, it } from 'vitest';
import { decideFix, fixOutlook, type FixOutlook } from '../../src/decide/fix.js';
import { createPolicy } from '../../src/policy/policy.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const sensitive = createPolicy({ internalDomains: ['corp.example'], sensitive: true });
const orgs = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`).join(', ');
const oneOrg = (n: number) => Array.from({ length: n }, (_, i) => `m${i}@one-org.example`).join(', ');
const message = (fields: string) => new Uint8Array(Buffer.from(`${fields}\r\nSubject: s\r\n\r\nHello.\r\n`, 'latin1'));

describe('fixOutlook', () => {
  it.each<[string, string, ReturnType<typeof createPolicy>, FixOutlook]>([
    ['To list', `From: s@corp.example\r\nTo: ${orgs(6)}`, policy, { strategy: 'bcc', outcome: 'rewrite' }],
    ['sensitive To list', `From: s@corp.example\r\nTo: ${orgs(2)}`, sensitive, { strategy: 'split', outcome: 'rewrite' }],
    ['ambiguous', `From: s@corp.example\r\nTo: "x <a@a.example>, ${orgs(6)}`, policy, { strategy: 'bcc', outcome: 'refuse', refusal: { code: 'cannot-cure', codes: ['AMBIGUOUS_RECIPIENT', 'EXPOSED_RECIPIENTS'] } }],
    ['X-Recipients', `From: s@corp.example\r\nTo: staff@corp.example\r\nX-Recipients: ${orgs(6)}`, policy, { strategy: 'bcc', outcome: 'refuse', refusal: { code: 'still-exposed', fields: ['x-recipients'], codes: ['EXPOSED_RECIPIENTS'] } }],
    ['Reply-To by addresses', `From: s@corp.example\r\nReply-To: ${oneOrg(25)}\r\nTo: ${orgs(5)}`, policy, { strategy: 'bcc', outcome: 'refuse', refusal: { code: 'still-exposed', fields: ['reply-to'], codes: ['EXPOSED_RECIPIENTS'] } }],
    ['split copy with a Reply-To left', `From: s@corp.example\r\nReply-To: ${orgs(2, 'r')}\r\nTo: ${orgs(2)}`, sensitive, { strategy: 'split', outcome: 'refuse', refusal: { code: 'still-exposed', fields: ['reply-to'], codes: ['EXPOSED_RECIPIENTS'] } }],
    // A warning-level list only in fields no rewrite moves: the rewrite would hide nobody.
    ['warning-level list only in Keywords', `From: s@corp.example\r\nTo: staff@corp.example\r\nKeywords: ${orgs(3)}`, policy, { strategy: 'bcc', outcome: 'refuse', refusal: { code: 'exposure-unchanged', fields: ['keywords'] } }],
    ['warning-level list only in Comments', `From: s@corp.example\r\nTo: staff@corp.example\r\nComments: ${orgs(3)}`, policy, { strategy: 'bcc', outcome: 'refuse', refusal: { code: 'exposure-unchanged', fields: ['comments'] } }],
    ['warning-level list only in X-Recipients', `From: s@corp.example\r\nTo: staff@corp.example\r\nX-Recipients: ${orgs(3)}`, policy, { strategy: 'bcc', outcome: 'refuse', refusal: { code: 'exposure-unchanged', fields: ['x-recipients'] } }],
    ['warning-level list only in Reply-To', `From: s@corp.example\r\nReply-To: ${orgs(3)}\r\nTo: staff@corp.example`, policy, { strategy: 'bcc', outcome: 'refuse', refusal: { code: 'exposure-unchanged', fields: ['reply-to'] } }],
    // The To recipient is in Keywords too: moving it to Bcc leaves every address in view.
    ['To recipient also listed in Keywords', `From: s@corp.example\r\nTo: p0@p0-org.example\r\nKeywords: ${orgs(3)}`, policy, { strategy: 'bcc', outcome: 'refuse', refusal: { code: 'exposure-unchanged', fields: ['keywords'] } }],
    // bcc helps partly: To is cleaned, the Keywords list stays and is named.
    ['To list and a Keywords list', `From: s@corp.example\r\nTo: ${orgs(2, 't')}\r\nKeywords: ${orgs(3)}`, policy, { strategy: 'bcc', outcome: 'rewrite', left: ['keywords'] }],
  ])('%s', (_name, fields, p, expected) => {
    expect(fixOutlook(message(fields), p)).toEqual(expected);
  });

  it('a resent message: the rewrite refuses it, and says which refusal', () => {
    const out = fixOutlook(message(`Resent-From: f@corp.example\r\nResent-To: ${orgs(6)}\r\nFrom: o@corp.example\r\nTo: t@corp.example`), policy);
    expect(out).toMatchObject({ outcome: 'refuse', refusal: { code: 'rewrite-refused', refusal: 'resent' } });
  });

  it('a warning-level resent list is left as written, with the reason', () => {
    const out = fixOutlook(message(`Resent-From: f@corp.example\r\nResent-To: ${orgs(3)}\r\nFrom: o@corp.example\r\nTo: t@corp.example`), policy);
    expect(out).toMatchObject({ outcome: 'untouched', refusal: { code: 'rewrite-refused', refusal: 'resent' } });
  });

  it('a split that helps partly names what stays', () => {
    const d = decideFix(message(`From: s@corp.example\r\nTo: ${orgs(2, 't')}\r\nKeywords: ${orgs(3)}`), policy, { strategy: 'split' });
    expect(d).toMatchObject({ outcome: 'rewrite', left: ['keywords'] });
    expect(decideFix(message(`From: s@corp.example\r\nTo: staff@corp.example\r\nKeywords: ${orgs(3)}`), policy, { strategy: 'split' })).toMatchObject({ outcome: 'refuse', refusal: { code: 'exposure-unchanged', fields: ['keywords'] } });
  });

  it('decideFix hands fix the decision it carries out', () => {
    const d = decideFix(message(`From: s@corp.example\r\nTo: ${orgs(6)}`), policy, { strategy: 'split' });
    expect(d.outcome).toBe('rewrite');
    expect(d.decision.action).toBe('split');
    expect(d.decision.transactionCount).toBe(6);
  });
});
