// Incident IDs, incident detail and the breach report: pure functions over a message's header.
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { breachReport, describeIncident, formatBreachMarkdown, formatIncidentHuman, incidentId, redactDetail } from '../../src/audit/incident.js';
import { readAuditMeta } from '../../src/audit/meta.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const enc = (s: string) => Buffer.from(s, 'utf8');

const BASE = [
  'From: Sales <sales@corp.example>',
  'To: "Doe, Jane" <jane@alpha.test>, bob@beta.test,',
  ' =?UTF-8?Q?J=C3=BCrgen?= <j@gamma.test>',
  'Cc: ann@gmail.com, max@gmail.com, boss@corp.example',
  'Bcc: hidden@delta.test',
  'Subject: Prices',
  'Date: Tue, 03 Feb 2026 10:00:00 +0000',
  'Message-ID: <p1@corp.example>',
  '',
  'body',
  '',
];

describe('incidentId', () => {
  const id = incidentId(enc(BASE.join('\r\n')));
  it('is 16 hex digits and the same for LF, CRLF, other folding and other fields', () => {
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(incidentId(enc(BASE.join('\n')))).toBe(id);
    const refolded = BASE.join('\r\n').replace('bob@beta.test,\r\n =?UTF', 'bob@beta.test, =?UTF');
    expect(incidentId(enc(refolded))).toBe(id);
    expect(incidentId(enc(BASE.join('\r\n').replace('Subject: Prices', 'Subject: Other\r\nX-Mailer: y')))).toBe(id);
    expect(incidentId(enc(BASE.join('\r\n').replace('body', 'another body')))).toBe(id);
  });
  it.each([
    ['Message-ID', '<p1@corp.example>', '<p2@corp.example>'],
    ['Date', '10:00:00', '10:00:01'],
    ['From', 'sales@corp.example>', 'sales2@corp.example>'],
    ['To', 'bob@beta.test', 'rob@beta.test'],
    ['Cc', 'max@gmail.com', 'mux@gmail.com'],
  ])('changes with %s', (_field, from, to) => {
    expect(incidentId(enc(BASE.join('\r\n').replace(from, to)))).not.toBe(id);
  });
  it('tells apart messages without Message-ID by their other fields', () => {
    const noId = BASE.filter((l) => !l.startsWith('Message-ID'));
    const a = incidentId(enc(noId.join('\r\n')));
    expect(a).not.toBe(id);
    expect(incidentId(enc(noId.join('\r\n').replace('Feb 2026', 'Mar 2026')))).not.toBe(a);
  });
});

describe('describeIncident and breachReport', () => {
  const bytes = enc(BASE.join('\r\n'));
  const result = checkMessage(bytes, policy, { source: 'Sent#1' });
  const d = describeIncident(incidentId(bytes), bytes, result, readAuditMeta(bytes));

  it('lists everyone shown, with decoded names, fields, organisations and internal flags', () => {
    expect(d.exposed.map((p) => [p.address, p.name, p.field, p.internal])).toEqual([
      ['jane@alpha.test', 'Doe, Jane', 'to', false],
      ['bob@beta.test', '', 'to', false],
      ['j@gamma.test', 'Jürgen', 'to', false],
      ['ann@gmail.com', '', 'cc', false],
      ['max@gmail.com', '', 'cc', false],
      ['boss@corp.example', '', 'cc', true],
    ]);
    expect(d.recipients).toBe(7);
    expect(d.messageId).toBe('<p1@corp.example>');
    expect(d.date).toBe('2026-02-03T10:00:00.000Z');
    expect(d.namesShown).toBe(true);
  });

  it('redacts addresses and names', () => {
    const r = redactDetail(d);
    expect(r.exposed.map((p) => p.address)).toEqual(['j***@alpha.test', 'b***@beta.test', 'j***@gamma.test', 'a***@gmail.com', 'm***@gmail.com', 'b***@corp.example']);
    expect(r.exposed[0]!.name).toBe('D***');
    expect(JSON.stringify(r)).not.toMatch(/jane@|Jane|Jürgen|ann@|max@/);
  });

  it('counts people and organisations, private addresses grouped by provider, no individual named', () => {
    const b = breachReport(d, new Date('2026-03-01T00:00:00Z'));
    expect(b.peopleExposed).toBe(5);
    expect(b.internalExposed).toBe(1);
    expect(b.recipients).toBe(7);
    expect(b.organisations).toEqual([
      { name: 'gmail.com', people: 2, private: true },
      { name: 'alpha.test', people: 1, private: false },
      { name: 'beta.test', people: 1, private: false },
      { name: 'gamma.test', people: 1, private: false },
    ]);
    expect(b.sentAt).toBe('2026-02-03T10:00:00.000Z');
    expect(b.foundAt).toBe('2026-03-01T00:00:00.000Z');
    expect(b.dataExposed).toContain('names shown with them');
    const md = formatBreachMarkdown(b);
    expect(md).toContain('| People affected | 5 external (and 1 internal) |');
    expect(md).toContain('| private addresses at gmail.com | 2 |');
    expect(md).not.toMatch(/jane@|ann@|Jürgen/);
  });

  it('masks addresses in the sender, the subject and the Message-ID of the breach report and the redacted detail', () => {
    const leaky = enc(BASE.join('\r\n').replace('Subject: Prices', 'Subject: list for frank.q@zeta.test').replace('<p1@corp.example>', '<m1.zed.private@alpha.test>'));
    const r = checkMessage(leaky, policy, { source: 'x' });
    const detail = describeIncident(incidentId(leaky), leaky, r, readAuditMeta(leaky));
    const b = breachReport(detail, new Date());
    expect(b.subject).toBe('list for f***@zeta.test');
    expect(b.messageId).toBe('<m***@alpha.test>');
    expect(formatBreachMarkdown(b)).not.toMatch(/frank\.q@|m1\.zed/);
    expect(JSON.stringify(b)).not.toMatch(/frank\.q@|m1\.zed/);
    const red = redactDetail(detail);
    expect([red.subject, red.messageId]).toEqual(['list for f***@zeta.test', '<m***@alpha.test>']);
  });

  it('escapes Markdown in subjects so a subject cannot forge table rows or links', () => {
    const evil = enc(BASE.join('\r\n').replace('Subject: Prices', 'Subject: a | b [x](http://evil.test)'));
    const r = checkMessage(evil, policy, { source: 'x' });
    const md = formatBreachMarkdown(breachReport(describeIncident(incidentId(evil), evil, r, readAuditMeta(evil)), new Date()));
    expect(md).toContain('a \\| b \\[x\\]\\(http://evil.test\\)');
  });
});

// A list in a field that is not a recipient field (src/message/other-fields.ts) is what the incident
// exposed: its people are listed with the field, and counted, not the To alone.
describe('an incident of a list outside To/Cc', () => {
  it.each([
    ['X-Recipients', 'x-recipients'],
    ['Comments', 'comments'],
    ['Apparently-To', 'apparently-to'],
    // The reply fields count toward EXPOSED_RECIPIENTS: their people are the incident's too (they
    // were missing from the list to notify).
    ['Reply-To', 'reply-to'],
    ['Mail-Followup-To', 'mail-followup-to'],
    ['Mail-Reply-To', 'mail-reply-to'],
  ])('%s: everyone in it, with the field, and the counts of the finding', (name, field) => {
    const list = ['a@alpha.test', 'b@beta.test', 'c@gamma.test', 'd@delta.test', 'e@epsilon.test', 'f@zeta.test'];
    const bytes = enc(['From: Sales <sales@corp.example>', 'To: boss@corp.example', `${name}: ${list.join(', ')}`, 'Subject: s', 'Date: Tue, 03 Feb 2026 10:00:00 +0000', 'Message-ID: <o1@corp.example>', '', 'body', ''].join('\r\n'));
    const result = checkMessage(bytes, policy, { source: 'Sent#2' });
    const d = describeIncident(incidentId(bytes), bytes, result, readAuditMeta(bytes));
    expect(d.exposed.filter((p) => !p.internal).map((p) => [p.address, p.field])).toEqual(list.map((a) => [a, field]));
    expect(d.exposedExternal).toBe(6);
    expect(d.parties).toBe(6);
    const text = formatIncidentHuman(d, true);
    expect(text).toContain('exposed   6 external addresses of 6 organisations');
    expect(text).toContain(`a***@alpha.test  ${field}  alpha.test`);
  });
});

describe('an incident of a list in Reply-To', () => {
  it('lists each person with the name shown, and the breach report names the field', () => {
    const bytes = enc(['From: Sales <sales@corp.example>', 'To: boss@corp.example', 'Reply-To: "Doe, Jane" <jane@alpha.test>, bob@beta.test, c@gamma.test,', ' d@delta.test, e@epsilon.test', 'Subject: s', 'Date: Tue, 03 Feb 2026 10:00:00 +0000', 'Message-ID: <r1@corp.example>', '', 'body', ''].join('\r\n'));
    const result = checkMessage(bytes, policy, { source: 'Sent#3' });
    const d = describeIncident(incidentId(bytes), bytes, result, readAuditMeta(bytes));
    expect(d.exposed.map((p) => [p.address, p.name, p.field, p.internal])).toEqual([
      ['boss@corp.example', '', 'to', true],
      ['jane@alpha.test', 'Doe, Jane', 'reply-to', false],
      ['bob@beta.test', '', 'reply-to', false],
      ['c@gamma.test', '', 'reply-to', false],
      ['d@delta.test', '', 'reply-to', false],
      ['e@epsilon.test', '', 'reply-to', false],
    ]);
    const b = breachReport(d, new Date('2026-03-01T00:00:00Z'));
    expect(b.peopleExposed).toBe(5);
    expect(b.fields).toEqual(['to', 'reply-to']);
    expect(formatBreachMarkdown(b)).toContain('(in To, Reply-To)');
  });
});
