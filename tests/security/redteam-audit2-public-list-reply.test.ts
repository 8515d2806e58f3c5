// Red team: a post to a configured public list (publicLists, --public-list) is a public post, not
// an exposed list: check's EXPOSED_RECIPIENTS becomes PUBLIC_LIST_POST (info). It does not excuse
// a Reply-To or Mail-Followup-To that shows external addresses of several organisations to every
// reader: check warns EXPOSED_REPLY_ADDRESSES. The audit counted only EXPOSED_RECIPIENTS, so the
// same bytes (a post to the list with six customers in Reply-To) were "No message exposed external
// recipients", exit 0, and with a List-Id they were list traffic. The audit counts the header
// exposure check flags: EXPOSED_RECIPIENTS, or EXPOSED_REPLY_ADDRESSES where the public post stood
// in for it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-redteam-audit2-reply-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example', '--public-list', 'dev@lists.example.org'];
const customers = (n: number, at = (i: number) => `cust${i}.example`) => Array.from({ length: n }, (_, i) => `c${i}@${at(i)}`).join(', ');

let n = 0;
function eml(fields: string): string {
  const file = path.join(tmp, `m${n++}.eml`);
  writeFileSync(file, `From: me@corp.example\n${fields}\nSubject: s\nDate: Mon, 2 Nov 2026 10:00:00 +0000\nMessage-ID: <m${n}@corp.example>\n\nbody\n`);
  return file;
}

async function compare(file: string) {
  const check = await runCli(['check', file, ...POLICY, '--format', 'json']);
  const findings = (JSON.parse(check.stdout).results?.[0] ?? JSON.parse(check.stdout)).findings.map((f: { code: string }) => f.code);
  const audit = await runCli(['audit', file, ...POLICY, '--format', 'json']);
  const doc = JSON.parse(audit.stdout);
  return { check: check.code, findings, audit: audit.code, summary: doc.summary, incidents: doc.incidents };
}

const EXPOSED: Array<[string, string, number]> = [
  ['six customers in Reply-To of a post to the list', `To: dev@lists.example.org\nReply-To: ${customers(6)}`, 6],
  ['six customers in Mail-Followup-To', `To: dev@lists.example.org\nMail-Followup-To: ${customers(6)}`, 6],
  ['the list in Cc, customers in Reply-To', `To: me@corp.example\nCc: dev@lists.example.org\nReply-To: ${customers(4)}`, 4],
  ['Reply-To and Mail-Followup-To, three customers each', `To: dev@lists.example.org\nReply-To: ${customers(3)}\nMail-Followup-To: ${customers(3, (i) => `other${i}.example`)}`, 6],
  ['with the list\'s own List-Id (the list\'s copy)', `To: dev@lists.example.org\nReply-To: ${customers(6)}\nList-Id: <dev.lists.example.org>`, 6],
];

describe('red team: audit, Reply-To beside a public-list post', () => {
  it.each(EXPOSED)('%s: check warns, the audit has an incident', async (_name, fields, exposed) => {
    const r = await compare(eml(fields));
    // check warns (exit 0, as for any warning), naming the reply field.
    expect(r.check).toBe(0);
    expect(r.findings).toContain('EXPOSED_REPLY_ADDRESSES');
    expect([r.audit, r.summary.incidents, r.summary.listTraffic]).toEqual([1, 1, 0]);
    expect(r.incidents[0]).toMatchObject({ exposedExternal: exposed, kinds: ['recipients'], severity: 'warning' });
    expect(r.summary.exposedAddresses).toBe(exposed);
  });

  it('the incident names the people of the reply field', async () => {
    const file = eml(`To: dev@lists.example.org\nReply-To: ${customers(6)}`);
    const first = await compare(file);
    const detail = await runCli(['audit', file, ...POLICY, '--incident', first.incidents[0].id, '--no-redact', '--format', 'json']);
    const people = JSON.parse(detail.stdout).incident.exposed.filter((p: { internal: boolean; field: string }) => !p.internal && p.field === 'reply-to');
    expect(people).toHaveLength(6);
  });

  it.each<[string, string]>([
    ['a post to the list with customers in Cc (the public post, as check passes it)', `To: dev@lists.example.org\nCc: ${customers(6)}`],
    ['a post to the list with its Reply-To the list', 'To: dev@lists.example.org\nReply-To: dev@lists.example.org'],
    ['a post to the list with two people in Reply-To', `To: dev@lists.example.org\nReply-To: ${customers(2)}`],
    ['a list copy with the list in Reply-To', 'To: dev@lists.example.org\nReply-To: dev@lists.example.org\nList-Id: <dev.lists.example.org>'],
  ])('control, %s: no incident', async (_name, fields) => {
    const r = await compare(eml(fields));
    expect(r.check).toBe(0);
    expect(r.findings).not.toContain('EXPOSED_REPLY_ADDRESSES');
    expect([r.audit, r.summary.incidents]).toEqual([0, 0]);
  });
});
