// The pure parts of the audit: aggregation, dates, CSV cells.
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { createAudit, monthRange } from '../../src/audit/aggregate.js';
import { csvCell } from '../../src/audit/csv.js';
import { parseFromLineDate, parseMailDate, parseRangeDate, readAuditMeta } from '../../src/audit/meta.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
const msg = (to: string, date: string, from = 'sales@corp.example') => Buffer.from(`From: ${from}\nTo: ${to}\nSubject: s\nDate: ${date}\n\nbody\n`);
const five = Array.from({ length: 5 }, (_, i) => `x${i}@o${i}.test`).join(', ');

describe('createAudit', () => {
  it('keeps incidents only, counts distinct exposed addresses, months, repeat senders and the worst first', () => {
    const audit = createAudit();
    const add = (bytes: Buffer, source: string) => audit.add(checkMessage(bytes, policy, { source }), readAuditMeta(bytes));
    add(msg(five, 'Mon, 2 Nov 2026 10:00:00 +0000'), 'a');
    add(msg('one@o1.test', 'Tue, 3 Nov 2026 10:00:00 +0000'), 'b');
    add(msg(`${five}, y@p.test, z@q.test`, 'Wed, 1 Jan 2025 10:00:00 +0000'), 'c');
    add(msg(five, 'not a date', 'hr@corp.example'), 'd');
    const { summary, incidents } = audit.finish();
    expect(incidents.map((i) => [i.source, i.exposedExternal, i.date?.slice(0, 10) ?? null])).toEqual([
      ['a', 5, '2026-11-02'],
      ['c', 7, '2025-01-01'],
      ['d', 5, null],
    ]);
    expect(summary).toMatchObject({ messages: 4, incidents: 3, exposedAddresses: 7, exposedParties: 7, undated: 1, undatedIncidents: 1, firstIncident: '2025-01-01T10:00:00.000Z' });
    expect(summary.months).toEqual([
      { month: '2025-01', incidents: 1, exposedAddresses: 7 },
      { month: '2026-11', incidents: 1, exposedAddresses: 5 },
    ]);
    expect(summary.repeatSenders).toEqual([{ sender: 'sales@corp.example', incidents: 2, exposedAddresses: 12 }]);
    expect(summary.worst).toEqual([1, 0, 2]);
  });

  // The summary's distinct addresses and organisations are everyone the findings counted: a list
  // in Reply-To, in display names or in another header field too (they were 0: To/Cc alone).
  it.each([
    ['Reply-To', (l: string) => `From: sales@corp.example\nTo: boss@corp.example\nReply-To: ${l}\n`],
    ['Mail-Followup-To', (l: string) => `From: sales@corp.example\nTo: boss@corp.example\nMail-Followup-To: ${l}\n`],
    ['X-Recipients', (l: string) => `From: sales@corp.example\nTo: boss@corp.example\nX-Recipients: ${l}\n`],
    ['a display name', (l: string) => `From: sales@corp.example\nTo: "${l}" <boss@corp.example>\n`],
    ['several authors', (l: string) => `From: ${l}\nSender: sales@corp.example\nTo: boss@corp.example\n`],
  ])('counts the addresses of a list in %s in the totals', (_, head) => {
    const audit = createAudit();
    const bytes = Buffer.from(`${head(five)}Subject: s\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nbody\n`);
    const result = checkMessage(bytes, policy, { source: 'a' });
    expect(result.findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
    audit.add(result, readAuditMeta(bytes));
    const { summary, incidents } = audit.finish();
    expect(incidents.map((i) => i.exposedExternal)).toEqual([5]);
    expect(summary).toMatchObject({ incidents: 1, exposedAddresses: 5, exposedParties: 5 });
    expect(summary.months).toEqual([{ month: '2026-11', incidents: 1, exposedAddresses: 5 }]);
  });

  // A sent message whose To the parser cannot read whole (Outlook's semicolons, spaces, an unclosed
  // quote) showed every address in it: an incident. The audit reported no incident for them.
  it.each([
    ['semicolons', five.split(', ').join('; ')],
    ['spaces', five.split(', ').join(' ')],
    ['an unclosed quote', `"Jane <${five}`],
  ])('a To with %s between its addresses is an incident', (_, to) => {
    const audit = createAudit();
    const bytes = msg(to, 'Mon, 2 Nov 2026 10:00:00 +0000');
    audit.add(checkMessage(bytes, policy, { source: 'Sent#1' }), readAuditMeta(bytes));
    const { summary, incidents } = audit.finish();
    expect(incidents.map((i) => [i.source, i.exposedExternal, i.parties, i.fields])).toEqual([['Sent#1', 5, 5, ['to']]]);
    expect(summary).toMatchObject({ incidents: 1, exposedAddresses: 5, exposedParties: 5 });
  });

  it('leaves out messages outside the range, and keeps undated ones (they may be in it)', () => {
    const audit = createAudit({ since: parseRangeDate('2026-11', '--since') });
    expect(audit.inRange(new Date('2026-10-31T23:59:59Z'))).toBe(false);
    expect(audit.inRange(new Date('2026-11-01T00:00:00Z'))).toBe(true);
    expect(audit.inRange(undefined)).toBe(true);
    audit.add(undefined, { date: new Date('2026-01-01T00:00:00Z') });
    audit.add(undefined, {});
    expect(audit.finish().summary).toMatchObject({ messages: 0, outOfRange: 1, undated: 1 });
  });

  it.each([
    ['--since', { since: parseRangeDate('2026-11', '--since') }],
    ['--until', { until: parseRangeDate('2025-01', '--until') }],
    ['both', { since: parseRangeDate('2026-01', '--since'), until: parseRangeDate('2026-02', '--until') }],
  ])('an undated message showing a list is an incident of a ranged audit (%s), counted as undated', (_, range) => {
    const audit = createAudit(range);
    const bytes = Buffer.from(`From: Me <me@corp.example>\r\nTo: ${Array.from({ length: 6 }, (_x, i) => `p${i}@org${i}.test`).join(', ')}\r\nSubject: s\r\n\r\nHi\r\n`);
    audit.add(checkMessage(bytes, policy, { source: 'Sent#9' }), readAuditMeta(bytes));
    const { summary, incidents } = audit.finish();
    expect(incidents.map((i) => [i.source, i.exposedExternal, i.date ?? null])).toEqual([['Sent#9', 6, null]]);
    expect(summary).toMatchObject({ messages: 1, incidents: 1, undated: 1, undatedIncidents: 1, outOfRange: 0 });
  });
});

describe('dates', () => {
  it.each([
    ['2026-11-02', '--since', '2026-11-02T00:00:00.000Z'],
    ['2026-11-02', '--until', '2026-11-02T23:59:59.999Z'],
    ['2026-02', '--until', '2026-02-28T23:59:59.999Z'],
    ['2026-12', '--since', '2026-12-01T00:00:00.000Z'],
    ['2026-11-02T10:00:00+02:00', '--since', '2026-11-02T08:00:00.000Z'],
  ] as const)('%s as %s', (value, flag, iso) => {
    expect(parseRangeDate(value, flag).toISOString()).toBe(iso);
  });

  it('refuses what is not a date', () => {
    for (const v of ['2026-13', '2026-02-30', 'yesterday', '02.11.2026']) expect(() => parseRangeDate(v, '--since')).toThrow(/--since takes a date/);
  });

  it('reads RFC 5322 dates with comments and zones, and the mbox From_ line as a fallback', () => {
    expect(parseMailDate('Mon, 2 Nov 2026 10:00:00 +0100 (CET)')?.toISOString()).toBe('2026-11-02T09:00:00.000Z');
    expect(parseMailDate('garbage')).toBeUndefined();
    expect(parseFromLineDate('From sales@corp.example Mon Nov  2 10:00:00 2026')?.toISOString()).toBe('2026-11-02T10:00:00.000Z');
    expect(parseFromLineDate('From sales@corp.example Fri Jan 30 23:59 2026')?.toISOString()).toBe('2026-01-30T23:59:00.000Z');
    // No such day or time, no such month: undated (audited in any range), never rolled into another month.
    for (const line of ['From x Mon Nov 31 10:00:00 2026', 'From x Sun Feb 29 10:00:00 2026', 'From x Mon Nov  2 24:00:00 2026', 'From x Mon Foo  2 10:00:00 2026', 'From x Mon Nov  2 10:61:00 2026']) {
      expect([line, parseFromLineDate(line)]).toEqual([line, undefined]);
    }
    expect(readAuditMeta(Buffer.from('Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\n\n'), 'From x Tue Nov  3 08:00:00 2026')).toEqual({ date: new Date('2026-11-03T08:00:00Z'), subject: 'Grüße' });
  });

  // Date.parse guesses a date from anything ending in a number; such a guess put a message outside
  // a --since range, unaudited. What is not a date with its zone is undated (audited in any range).
  it.each([
    ['Sent from my iPhone 5', undefined],
    ['1', undefined],
    ['2026', undefined],
    ['Nov 2026', undefined],
    ['Mon, 2 Nov 0000 10:00:00 +0000', undefined],
    ['Mon, 31 Nov 2026 10:00:00 +0000', undefined],
    ['Mon, 30 Feb 2026 10:00:00 +0000', undefined],
    ['Mon, 2 Nov 2026 24:00:00 +0000', undefined],
    ['Mon, 2 Nov 2026 10:00:00', undefined],
    ['Mon, 2 Nov 2026 10:00:00 CEST', undefined],
    ['Mon, 2 Nov 2026 10:00:00 +02', undefined],
    ['Mon, 2 Nov 2026 10:00:00 +0000 foo 1999', undefined],
    ['2026-11-02T10:00:00', undefined],
    ['Mon, 2 Nov 2026 10:00:00 +0000', '2026-11-02T10:00:00.000Z'],
    ['2 Nov 2026 10:00 -0500 (EST)', '2026-11-02T15:00:00.000Z'],
    ['Mon, 02 Nov 2026 23:30:00 +1400', '2026-11-02T09:30:00.000Z'],
    ['Mon, 2 Nov 2026 23:30:00 -1200', '2026-11-03T11:30:00.000Z'],
    ['Mon,2 Nov 2026 10:00:00 GMT', '2026-11-02T10:00:00.000Z'],
    ['Tue, 3 Nov 26 08:00:00 PDT', '2026-11-03T15:00:00.000Z'],
    ['3 Nov 126 08:00:00 +0000', '2026-11-03T08:00:00.000Z'],
    ['Mon, 2 Nov 2026 10:00:00 Z', '2026-11-02T10:00:00.000Z'],
    ['Mon, 2 Nov 2026 10:00:00 A', '2026-11-02T10:00:00.000Z'],
    ['Mon, 2 November 2026 9:05:60 -0800 PST', '2026-11-02T17:05:59.000Z'],
    ['Wed Sep 30 19:56:38 2026 +1000', '2026-09-30T09:56:38.000Z'],
    ['2026-11-02 10:00:00 +0200', '2026-11-02T08:00:00.000Z'],
    ['2026-11-02T10:00:00Z', '2026-11-02T10:00:00.000Z'],
  ] as const)('parseMailDate(%j) is %s', (value, iso) => {
    expect(parseMailDate(value)?.toISOString()).toBe(iso);
  });

  it('lists every month of a span', () => {
    expect(monthRange('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
  });
});

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=1+2', "'=1+2"],
    ['+33 1', "'+33 1"],
    ['-x', "'-x"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['=HYPERLINK("u","c")', `"'=HYPERLINK(""u"",""c"")"`],
    ['line\nbreak', '"line\nbreak"'],
  ])('%s', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('leaves numbers and empty cells alone', () => {
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(null)).toBe('');
  });
});

describe('hostile subjects and file names', () => {
  it('strips control characters from decoded subjects and escapes them in source names', async () => {
    const { formatAuditHuman } = await import('../../src/audit/human.js');
    const bytes = Buffer.from(`From: s@corp.example\nTo: ${five}\nSubject: =?UTF-8?Q?ok=1B[2K=0ANO_INCIDENT=E2=80=AEtxt?=\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\n`);
    const meta = readAuditMeta(bytes);
    expect(meta.subject).toBe('ok [2K NO INCIDENT txt'); // ESC, LF and the right-to-left override became spaces
    const audit = createAudit();
    audit.add(checkMessage(bytes, policy, { source: 'evil\n\u001b[32mname.eml' }), meta);
    const text = formatAuditHuman(audit.finish(), { redact: false, color: false });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain('evil\\x0a\\x1b[32mname.eml');
  });
});
