// DUPLICATE_RECIPIENT_FIELD: To, Cc and Bcc are allowed once (RFC 5322), so a second one is a
// warning; Apparently-To is written once per recipient by sendmail, so several are one list, read
// together everywhere (exposure, envelope, rewrite) and not a warning. Each row: the header fields
// (From is corp.example's, the internal domain), the DUPLICATE_RECIPIENT_FIELD fields reported, and
// the visible recipients.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { headerRecipients } from '../../src/message/header-recipients.js';
import { createPolicy } from '../../src/policy/policy.js';
import { rewriteToBcc } from '../../src/rewrite/bcc.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'] });
const msg = (fields: string) => Buffer.from(`From: Sender <sender@corp.example>\r\n${fields}\r\nSubject: s\r\n\r\nHello.\r\n`);
const duplicates = (fields: string) =>
  checkMessage(msg(fields), POLICY).findings.flatMap((f) => (f.code === 'DUPLICATE_RECIPIENT_FIELD' ? [`${f.args.field}x${f.args.count}`] : []));
const visible = (fields: string) => checkMessage(msg(fields), POLICY).recipients.visible.map((v) => `${v.field}:${v.address}`);

describe('DUPLICATE_RECIPIENT_FIELD', () => {
  it.each([
    ['two To fields', 'To: a@x.example\r\nTo: b@y.example', ['tox2'], ['to:a@x.example', 'to:b@y.example']],
    ['three Cc fields', 'To: s@corp.example\r\nCc: a@x.example\r\nCc: b@y.example\r\nCc: c@z.example', ['ccx3'], ['to:s@corp.example', 'cc:a@x.example', 'cc:b@y.example', 'cc:c@z.example']],
    ['two Bcc fields', 'To: s@corp.example\r\nBcc: a@x.example\r\nBcc: b@y.example', ['bccx2'], ['to:s@corp.example']],
    ['one Apparently-To per recipient, as sendmail writes them', 'Apparently-To: a@x.example\r\nApparently-To: b@y.example\r\nApparently-To: c@z.example', [], ['apparently-to:a@x.example', 'apparently-to:b@y.example', 'apparently-to:c@z.example']],
    ['Apparently-To fields beside one To', 'To: s@corp.example\r\nApparently-To: a@x.example\r\nApparently-To: b@y.example', [], ['to:s@corp.example', 'apparently-to:a@x.example', 'apparently-to:b@y.example']],
    ['Apparently-To fields, one of them a list', 'Apparently-To: a@x.example, b@y.example\r\nApparently-To: c@z.example', [], ['apparently-to:a@x.example', 'apparently-to:b@y.example', 'apparently-to:c@z.example']],
    ['field names in any case', 'apparently-to: a@x.example\r\nAPPARENTLY-TO: b@y.example', [], ['apparently-to:a@x.example', 'apparently-to:b@y.example']],
    ['two To fields and several Apparently-To', 'To: s@corp.example\r\nTo: t@corp.example\r\nApparently-To: a@x.example\r\nApparently-To: b@y.example', ['tox2'], ['to:s@corp.example', 'to:t@corp.example', 'apparently-to:a@x.example', 'apparently-to:b@y.example']],
  ])('%s', (_name, fields, reported, shown) => {
    expect(duplicates(fields)).toEqual(reported);
    expect(visible(fields)).toEqual(shown);
  });

  it('several Apparently-To fields are read together: all count toward exposure, all are in the envelope, the rewrite moves them all', () => {
    const fields = ['a@a-org.example', 'b@b-org.example', 'c@c-org.example', 'd@d-org.example', 'e@e-org.example'].map((a) => `Apparently-To: ${a}`).join('\r\n');
    const r = checkMessage(msg(fields), POLICY);
    expect(r.verdict).toBe('block');
    expect(r.findings.map((f) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
    expect(headerRecipients(msg(fields))).toHaveLength(5);
    const fixed = Buffer.from(rewriteToBcc(msg(fields), POLICY).bytes).toString('latin1').replace(/\r\n[ \t]/g, ' ');
    expect(fixed).not.toMatch(/^Apparently-To:/im);
    expect(fixed).toMatch(/^Bcc: a@a-org\.example, b@b-org\.example, c@c-org\.example, d@d-org\.example, e@e-org\.example\r$/m);
  });
});
