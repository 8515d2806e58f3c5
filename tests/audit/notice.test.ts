// The notice builder: templates that show a list are refused whatever the policy; every copy
// shows exactly its person, in batches larger than one split.
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { buildNotices, checkNoticeTemplate, NOTICE_SPLIT_BATCH } from '../../src/audit/notice.js';

const loose = createPolicy({ internalDomains: ['corp.example'], warnAt: 1000, blockAt: 1000, rules: { EXPOSED_RECIPIENTS: 'off' } });
const strict = createPolicy({ internalDomains: ['corp.example'] });
const enc = (s: string) => Buffer.from(s, 'utf8');
const T = ['From: DPO <dpo@corp.example>', 'Subject: Sorry', 'Reply-To: dpo@corp.example', 'Date: Tue, 03 Feb 2026 10:00:00 +0000', '', 'We are sorry. Contact dpo@corp.example.', ''];
const people = ['a@x.test', 'b@y.test', 'c@gmail.com'];

describe('checkNoticeTemplate', () => {
  it('accepts a template without recipients (one contact address in the body)', () => {
    expect(() => checkNoticeTemplate(enc(T.join('\r\n')), people)).not.toThrow();
    expect(() => checkNoticeTemplate(enc(T.join('\n')), people)).not.toThrow();
  });
  it.each([
    ['To', T.join('\r\n').replace('Subject:', 'To: someone@else.test\r\nSubject:'), /names recipients \(to\)/],
    ['an empty-looking group with a member', T.join('\r\n').replace('Subject:', 'To: undisclosed:z@q.test;\r\nSubject:'), /names recipients/],
    ['Cc internal', T.join('\r\n').replace('Subject:', 'Cc: me@corp.example\r\nSubject:'), /names recipients \(cc\)/],
    ['Bcc', T.join('\r\n').replace('Subject:', 'Bcc: me@corp.example\r\nSubject:'), /names recipients \(bcc\)/],
    ['Resent-To', T.join('\r\n').replace('Subject:', 'Resent-To: x@y.test\r\nSubject:'), /names recipients \(resent-to\)/],
    ['Reply-To list', T.join('\r\n').replace('Reply-To: dpo@corp.example', 'Reply-To: dpo@corp.example, x@corp.example'), /reply-to lists 2/],
    ['body list', `${T.join('\r\n')}cc: p@a.test; q@b.test\r\n`, /shows 3 addresses in its text/],
    ['a person in the subject', T.join('\r\n').replace('Subject: Sorry', 'Subject: Sorry A@X.test'), /address of a person/],
    ['a person in a base64 body', ['From: d@corp.example', 'Subject: s', 'MIME-Version: 1.0', 'Content-Type: text/plain', 'Content-Transfer-Encoding: base64', '', Buffer.from('Hello c@gmail.com').toString('base64'), ''].join('\r\n'), /address of a person/],
    ['a person in an encoded Subject', T.join('\r\n').replace('Subject: Sorry', 'Subject: =?UTF-8?Q?Sorry_b=40y=2Etest?='), /address of a person/],
    ['a list in an X- field', T.join('\r\n').replace('Subject: Sorry', 'Subject: Sorry\r\nX-List: p@a.test, q@b.test'), /shows 3 addresses in its text/],
    ['no blank line', 'From: d@corp.example\r\nSubject: s', /header can be read safely/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => checkNoticeTemplate(enc(text), people)).toThrow(message);
  });
});

describe('buildNotices', () => {
  it(`gives each of ${NOTICE_SPLIT_BATCH * 2 + 7} people one copy showing only them, under any policy`, () => {
    const many = Array.from({ length: NOTICE_SPLIT_BATCH * 2 + 7 }, (_, i) => `p${i}@org${i % 50}.test`);
    for (const policy of [loose, strict]) {
      const notices = buildNotices(enc(T.join('\r\n')), many, policy, { date: new Date('2026-02-04T00:00:00Z') });
      expect(notices.map((n) => n.person)).toEqual(many);
      const ids = new Set<string>();
      for (const n of notices.filter((_, i) => i % 37 === 0)) {
        const r = checkMessage(n.bytes, strict);
        expect(r.recipients.visible.map((v) => v.address)).toEqual([n.person]);
        expect(r.recipients.blind).toEqual([]);
        const text = Buffer.from(n.bytes).toString('latin1');
        expect(text).toContain('We are sorry.');
        expect(text.match(/@org\d+\.test/g)).toHaveLength(1);
        ids.add(/^Message-ID: (.*)$/m.exec(text)![1]!);
      }
      expect(ids.size).toBe(notices.filter((_, i) => i % 37 === 0).length);
    }
  });
  it('adds a Date field when the template has none, keeps the one it has', () => {
    const noDate = T.filter((l) => !l.startsWith('Date:')).join('\n');
    const [n] = buildNotices(enc(noDate), ['a@x.test'], strict, { date: new Date('2026-02-04T05:06:07Z') });
    expect(Buffer.from(n!.bytes).toString()).toContain('Date: Wed, 04 Feb 2026 05:06:07 +0000\n');
    const [m] = buildNotices(enc(T.join('\r\n')), ['a@x.test'], strict, { date: new Date('2026-02-04T05:06:07Z') });
    expect(Buffer.from(m!.bytes).toString().match(/^Date:/gm)).toHaveLength(1);
  });
});
