// mailguard audit over an mbox built from fixtures/audit-*.eml with known incidents: the counts
// in JSON, CSV and HTML agree with each other and with the fixtures.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { AUDIT_FIXTURES, mboxOf, parseCsv } from './helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-audit-'));
const mbox = path.join(tmp, 'Sent.mbox');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => writeFileSync(mbox, mboxOf(AUDIT_FIXTURES)));

const POLICY = ['--internal-domain', 'corp.example'];

// What the fixtures hold, by construction (see fixtures/audit-*.eml):
// [fixture, month, external addresses exposed, organisations, recipients (visible + Bcc), severity]
const INCIDENTS: Array<[string, string, number, number, number, string]> = [
  ['audit-2025-12-old-list.eml', '2025-12', 4, 4, 4, 'warning'],
  ['audit-2026-01-newsletter-to.eml', '2026-01', 8, 8, 8, 'error'],
  ['audit-2026-03-cc-warn.eml', '2026-03', 3, 3, 6, 'warning'],
  ['audit-2026-06-formula-subject.eml', '2026-06', 5, 5, 5, 'error'],
];
// Distinct across incidents: a1@alpha, b1@beta and c1@gamma are exposed more than once.
const DISTINCT_EXPOSED = 16;
const DISTINCT_PARTIES = 15;

function indexOfFixture(name: string): number {
  return AUDIT_FIXTURES.indexOf(name) + 1;
}

describe('mailguard audit: JSON, CSV and HTML agree', () => {
  let doc: any;
  let csv: string[][];
  let html: string;

  beforeAll(async () => {
    const r = await runCli(['audit', mbox, ...POLICY, '--format', 'json', '--csv', path.join(tmp, 'i.csv'), '--html', path.join(tmp, 'a.html')]);
    expect(r.stderr).toBe(''); // no progress when stderr is not a terminal
    expect(r.code).toBe(1); // incidents found
    doc = JSON.parse(r.stdout);
    csv = parseCsv(readFileSync(path.join(tmp, 'i.csv'), 'utf8'));
    html = readFileSync(path.join(tmp, 'a.html'), 'utf8');
  });

  it('JSON: the contract fields and the fixtures\' numbers', () => {
    expect(doc.version).toBe(1);
    expect(doc.summary).toMatchObject({ messages: AUDIT_FIXTURES.length, incidents: INCIDENTS.length, exposedAddresses: DISTINCT_EXPOSED, exposedParties: DISTINCT_PARTIES, unreadable: 0 });
    expect(doc.incidents.map((i: any) => [i.source, i.date.slice(0, 7), i.exposedExternal, i.parties, i.recipients, i.severity])).toEqual(
      INCIDENTS.map(([f, month, ext, parties, rcpt, sev]) => [`${mbox}#${indexOfFixture(f)}`, month, ext, parties, rcpt, sev]),
    );
    for (const i of doc.incidents) expect(Object.keys(i)).toEqual(expect.arrayContaining(['source', 'date', 'subject', 'sender', 'exposedExternal', 'parties', 'recipients']));
    expect(doc.incidents[1].subject).toBe('Neujahrsgrüße'); // RFC 2047 decoded
    expect(doc.incidents[0].date).toBe('2025-12-20T15:00:00.000Z'); // +0100 read as such
    expect(doc.summary.months).toEqual(INCIDENTS.map(([, month, ext]) => ({ month, incidents: 1, exposedAddresses: ext })));
    expect(doc.summary.repeatSenders).toEqual([{ sender: 'sales@corp.example', incidents: 3, exposedAddresses: 4 + 8 + 5 }]);
    expect(doc.summary.worst.map((k: number) => doc.incidents[k].exposedExternal)).toEqual([8, 5, 4, 3]);
  });

  it('CSV: one row per incident with the same numbers, quoted, formula cells neutralised', () => {
    const [head, ...rows] = csv;
    expect(head).toEqual(['source', 'date', 'subject', 'sender', 'exposedExternal', 'parties', 'recipients', 'severity', 'fields', 'examples', 'id', 'kinds', 'exposures']);
    expect(rows).toHaveLength(doc.summary.incidents);
    expect(rows.map((r) => [r[0], Number(r[4]), Number(r[5]), Number(r[6])])).toEqual(doc.incidents.map((i: any) => [i.source, i.exposedExternal, i.parties, i.recipients]));
    expect(rows.map((r) => r[10])).toEqual(doc.incidents.map((i: any) => i.id));
    const formula = rows.find((r) => r[0]!.endsWith(`#${indexOfFixture('audit-2026-06-formula-subject.eml')}`))!;
    expect(formula[2]).toBe(`'=HYPERLINK("http://evil.test","click"), "quoted" offer`);
    expect(readFileSync(path.join(tmp, 'i.csv'), 'utf8')).toContain('"\'=HYPERLINK(""http://evil.test"",""click""), ""quoted"" offer"');
  });

  it('HTML: the same totals, one row per incident, one bar per month with incidents, addresses masked', () => {
    const stat = (label: string) => Number(new RegExp(`data-stat="${label}"><b>(\\d+)</b>`).exec(html)![1]);
    expect(stat('incidents')).toBe(doc.summary.incidents);
    expect(stat('messages')).toBe(doc.summary.messages);
    expect(stat('distinct exposed addresses')).toBe(doc.summary.exposedAddresses);
    const allTable = html.slice(html.indexOf('<table id="incidents">'));
    expect(allTable.match(/<tr class="incident /g)).toHaveLength(doc.summary.incidents);
    const bars = [...html.matchAll(/<rect class="bar" data-month="([\d-]+)" data-incidents="(\d+)"/g)].map((m) => [m[1], Number(m[2])]);
    expect(bars).toEqual(doc.summary.months.map((m: any) => [m.month, m.incidents]));
    expect(html).toContain('s***@corp.example');
    expect(html).not.toContain('sales@corp.example');
    expect(html).not.toMatch(/<script|https?:\/\/(?!evil\.test)|<link|@import|url\(/i);
    expect(html).toContain('&quot;quoted&quot;'); // subjects are escaped
  });
});

describe('mailguard audit: options and inputs', () => {
  it('--since/--until keep only the range; the other messages are counted as out of range', async () => {
    const r = await runCli(['audit', mbox, ...POLICY, '--format', 'json', '--since', '2026-01-01', '--until', '2026-03']);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ messages: 4, incidents: 2, outOfRange: 3, exposedAddresses: 11 });
    expect(doc.summary.months.map((m: any) => m.month)).toEqual(['2026-01', '2026-03']);
  });

  it('a message whose Date is not a date with its zone is audited in any range, counted as undated', async () => {
    // Each read by Date.parse as a date outside 2026 (a zone-less one in the machine's zone).
    const dates = ['Sent from my iPhone 5', '1', 'Mon, 2 Nov 0000 10:00:00 +0000', 'Thu, 1 Jan 2026 05:00:00', 'Tue, 31 Nov 2025 10:00:00 +0000', 'Nov 2025'];
    const dir = path.join(tmp, 'bad-dates');
    mkdirSync(dir);
    const list = readFileSync(path.join(FIXTURES, 'audit-2026-01-newsletter-to.eml'), 'utf8');
    dates.forEach((d, i) => writeFileSync(path.join(dir, `${i}.eml`), list.replace(/^Date:.*$/m, `Date: ${d}`).replace(/^Subject:.*$/m, `Subject: bad date ${i}`)));
    const r = await runCli(['audit', dir, ...POLICY, '--since', '2026-01-01', '--until', '2026-12', '--format', 'json'], { env: { ...process.env, TZ: 'Asia/Tokyo' } });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ messages: dates.length, incidents: dates.length, outOfRange: 0, undated: dates.length });
    expect(doc.incidents.map((i: any) => i.date)).toEqual(dates.map(() => null));
  });

  it('reads a Maildir and a directory of .eml files like the mbox', async () => {
    const maildir = path.join(tmp, 'Maildir');
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, d), { recursive: true });
    AUDIT_FIXTURES.forEach((f, i) => cpSync(path.join(FIXTURES, f), path.join(maildir, 'cur', `17000000${i}.M${i}.host:2,S`)));
    const fromMaildir = JSON.parse((await runCli(['audit', maildir, ...POLICY, '--format', 'json'])).stdout);
    const fromMbox = JSON.parse((await runCli(['audit', mbox, ...POLICY, '--format', 'json'])).stdout);
    expect({ ...fromMaildir.summary, worst: undefined }).toEqual({ ...fromMbox.summary, worst: undefined });
  });

  it('human output names totals, months and repeat senders; exit 0 without incidents', async () => {
    const r = await runCli(['audit', mbox, ...POLICY]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('4 incidents between 2025-12-20 and 2026-06-02: 16 distinct external addresses of 15 organisations exposed.');
    expect(r.stdout).toMatch(/2026-01 +#+ 1/);
    expect(r.stdout).toContain('sales@corp.example: 3 incidents, 17 addresses exposed');
    const clean = await runCli(['audit', path.join(FIXTURES, 'audit-2026-01-internal.eml'), ...POLICY]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('No message exposed external recipients.');
  });

  it('--no-redact shows addresses in the HTML; --redact masks them in JSON', async () => {
    const page = path.join(tmp, 'clear.html');
    await runCli(['audit', mbox, ...POLICY, '--html', page, '--no-redact', '--format', 'json']);
    expect(readFileSync(page, 'utf8')).toContain('sales@corp.example');
    const masked = JSON.parse((await runCli(['audit', mbox, ...POLICY, '--format', 'json', '--redact'])).stdout);
    expect(masked.incidents[0].sender).toBe('s***@corp.example');
    expect(masked.incidents[0].examples.every((a: string) => a.includes('***@'))).toBe(true);
  });

  it('the audit config section sets redaction and refuses unknown keys', async () => {
    const cfg = path.join(tmp, 'audit-config.json');
    writeFileSync(cfg, JSON.stringify({ internalDomains: ['corp.example'], audit: { redact: true } }));
    const masked = JSON.parse((await runCli(['audit', mbox, '--config', cfg, '--format', 'json'])).stdout);
    expect(masked.incidents[0].sender).toBe('s***@corp.example');
    writeFileSync(cfg, JSON.stringify({ audit: { redcat: true } }));
    const bad = await runCli(['audit', mbox, '--config', cfg]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown key "audit.redcat"');
  });

  it('exit 2 with a clear message for a bad date, a missing input, an unwritable export', async () => {
    const bad = await runCli(['audit', mbox, '--since', 'last tuesday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since takes a date such as 2026-11-02');
    const missing = await runCli(['audit', path.join(tmp, 'nope.mbox'), '--format', 'json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).summary.unreadable).toBe(1);
    // The human report names the input once, and says the audit is incomplete.
    const human = await runCli(['audit', mbox, path.join(tmp, 'nope.mbox'), ...POLICY]);
    expect(human.code).toBe(2);
    expect(human.stdout.split('\n').filter((l) => l.includes('could not be read: '))).toEqual([`1 input could not be read: ${path.join(tmp, 'nope.mbox')}`]);
    const unwritable = await runCli(['audit', mbox, '--csv', path.join(tmp, 'no-dir', 'x.csv')]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain('cannot write the CSV export');
  });
});

// With EXPOSED_RECIPIENTS off (a configuration written for check, one profile, --rule) the audit
// reported "No message exposed external recipients" (exit 0) of a folder of exposed lists.
describe('mailguard audit with EXPOSED_RECIPIENTS off', () => {
  const config = (name: string, value: unknown) => {
    const file = path.join(tmp, name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };
  it.each<[string, () => string[], RegExp]>([
    ['in the configuration', () => ['--config', config('off.json', { internalDomains: ['corp.example'], rules: { EXPOSED_RECIPIENTS: 'off' } })], /the configuration \(top level, .*off\.json\) turns that rule off/],
    ['in one profile', () => ['--config', config('off-profile.json', { internalDomains: ['corp.example'], profiles: [{ name: 'press', match: { from: ['press@corp.example'] }, rules: { EXPOSED_RECIPIENTS: 'off' } }] })], /\(profile "press", .*off-profile\.json\) turns that rule off/],
    ['by --rule', () => [...POLICY, '--rule', 'EXPOSED_RECIPIENTS=off'], /--rule EXPOSED_RECIPIENTS=off turns that rule off/],
  ])('%s: refused (exit 2), saying where and how to audit anyway', async (_, args, message) => {
    const r = await runCli(['audit', mbox, ...args(), '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('--rule EXPOSED_RECIPIENTS=warning audits a configuration that turns it off', async () => {
    const r = await runCli(['audit', mbox, '--config', config('off2.json', { internalDomains: ['corp.example'], rules: { EXPOSED_RECIPIENTS: 'off' } }), '--rule', 'EXPOSED_RECIPIENTS=warning', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).summary.incidents).toBe(INCIDENTS.length);
  });
});
