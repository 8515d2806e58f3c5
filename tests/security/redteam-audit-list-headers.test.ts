// Red team: list headers (List-Id, List-Post) made a Sent-folder copy "list traffic" whenever the
// list was among its recipients, whatever else its To/Cc showed: a newsletter to the list address
// with 30 customers in Cc was "No message exposed external recipients", exit 0, where check blocks
// it. A list's header excuses only the list's own addresses; the other visible external
// recipients are measured as check measures them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-redteam-audit-lists-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const customers = (n: number, domain?: (i: number) => string) => Array.from({ length: n }, (_, i) => `c${i}@${domain ? domain(i) : `cust${i}.example`}`).join(', ');
const CUSTOMERS = customers(30);
const POLICY = ['--internal-domain', 'corp.example'];

function message(fields: string): string {
  return `From: me@corp.example\n${fields}\nSubject: s\nDate: Mon, 2 Nov 2026 10:00:00 +0000\nMessage-ID: <${Math.random().toString(36).slice(2)}@corp.example>\n\nbody\n`;
}

let n = 0;
function write(kind: 'mbox' | 'maildir' | 'eml-dir', text: string): string {
  const base = path.join(tmp, `m${n++}`);
  if (kind === 'mbox') {
    writeFileSync(`${base}.mbox`, `From me@corp.example Mon Nov  2 10:00:00 2026\n${text}\n`);
    return `${base}.mbox`;
  }
  if (kind === 'maildir') {
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(path.join(base, d), { recursive: true });
    writeFileSync(path.join(base, 'cur', '1700000000.M1P1.host:2,S'), text);
    return base;
  }
  mkdirSync(base, { recursive: true });
  writeFileSync(path.join(base, 'sent.eml'), text);
  return base;
}

async function audit(input: string) {
  const r = await runCli(['audit', input, ...POLICY, '--format', 'json']);
  const doc = JSON.parse(r.stdout);
  return { code: r.code, incidents: doc.summary.incidents as number, listTraffic: doc.summary.listTraffic as number };
}

// Exposures whatever the List-* fields say: individuals visible beside the list address.
const EXPOSED: Array<[string, string]> = [
  ['List-Id, newsletter in To, 30 customers in Cc', `To: newsletter@corp.example\nCc: ${CUSTOMERS}\nList-Id: <newsletter.corp.example>`],
  ['List-Id of an external list in To, customers in Cc', `To: dev@lists.example.org\nCc: ${customers(6)}\nList-Id: Dev <dev.lists.example.org>`],
  ['List-Post naming the list in To, customers in Cc', `To: dev@lists.example.org\nCc: ${customers(6)}\nList-Post: <mailto:dev@lists.example.org>`],
  ['the list in Cc, customers in To', `To: ${customers(6)}\nCc: dev@lists.example.org\nList-Id: <dev.lists.example.org>\nList-Post: <mailto:dev@lists.example.org>`],
  ['an address at the list host in To, customers in Cc', `To: announce@lists.example.org\nCc: ${customers(6)}\nList-Id: <dev.lists.example.org>`],
  ['12 people at one organisation beside the list', `To: dev@lists.example.org\nCc: ${customers(12, () => 'bigcust.example')}\nList-Id: <dev.lists.example.org>`],
  ['customers in Reply-To beside the list', `To: dev@lists.example.org\nReply-To: ${customers(6)}\nList-Id: <dev.lists.example.org>`],
  ['List-Id whose host is a mail provider: its users are people, not the list', `To: ${customers(6, () => 'gmail.com')}\nList-Id: <customers.gmail.com>`],
  ['List-Post at a mail provider, the list in To and its users in Cc', `To: club@gmail.com\nCc: ${customers(6, () => 'gmail.com')}\nList-Id: <club.gmail.com>\nList-Post: <mailto:club@gmail.com>`],
  ['30 people at the List-Id host, one of them in To', `To: ${customers(30, () => 'bigcust.example')}\nList-Id: <news.bigcust.example>`],
  ['customers in Cc and the list in Mail-Followup-To, the list in To', `To: dev@lists.example.org\nCc: ${customers(6)}\nMail-Followup-To: dev@lists.example.org\nList-Id: <dev.lists.example.org>`],
  ['List-Id, no list address visible at all', `To: ${customers(6)}\nList-Id: <newsletter.corp.example>`],
  ['List-Unsubscribe only', `To: newsletter@corp.example\nCc: ${customers(6)}\nList-Unsubscribe: <mailto:unsubscribe@corp.example>`],
  ['Precedence: bulk', `To: newsletter@corp.example\nCc: ${customers(6)}\nPrecedence: bulk`],
  ['Precedence: list, Mailing-List, X-Mailing-List, X-BeenThere', `To: newsletter@corp.example\nCc: ${customers(6)}\nPrecedence: list\nMailing-List: list newsletter@corp.example\nX-Mailing-List: newsletter@corp.example\nX-BeenThere: newsletter@corp.example`],
];

// List traffic as lists work: the list, and at most a couple of people it does not expose.
const LIST_TRAFFIC: Array<[string, string]> = [
  ['a newsletter to the list address only', `To: newsletter@lists.example.org\nList-Id: <newsletter.lists.example.org>`],
  ['a reply to the list, one person in Cc', `To: dev@lists.example.org\nCc: alice@one.example\nList-Post: <mailto:dev@lists.example.org>`],
  ['a reply to the list, two people in Cc', `To: dev@lists.example.org\nCc: alice@one.example, bob@two.example\nList-Id: <dev.lists.example.org>\nMail-Followup-To: dev@lists.example.org`],
  ['the list in Cc of a reply to one person', `To: alice@one.example\nCc: dev@lists.example.org\nList-Id: <dev.lists.example.org>`],
  ['a cross-post to three lists at the List-Id host, one person in Cc', `To: dev@lists.example.org, users@lists.example.org\nCc: announce@lists.example.org, alice@one.example\nList-Id: <dev.lists.example.org>`],
  ['a Google group, one person in Cc', `To: team@googlegroups.com\nCc: alice@one.example\nList-Id: <team.googlegroups.com>`],
];

describe('red team: audit, list headers excuse only the list', () => {
  it.each(EXPOSED)('%s: an incident, and check agrees', async (_name, fields) => {
    const input = write('mbox', message(fields));
    expect(await audit(input)).toEqual({ code: 1, incidents: 1, listTraffic: 0 });
    // check finds the same exposure (a warning for 12 people at one organisation, else a block).
    const check = await runCli(['check', input, ...POLICY, '--format', 'json']);
    const result = JSON.parse(check.stdout).results[0];
    expect(result.findings.map((f: { code: string }) => f.code)).toContain('EXPOSED_RECIPIENTS');
    expect(result.verdict).not.toBe('pass');
  });

  it.each(['maildir', 'eml-dir'] as const)('the newsletter with 30 customers in Cc, in a %s: an incident', async (kind) => {
    const input = write(kind, message(EXPOSED[0]![1]));
    expect(await audit(input)).toEqual({ code: 1, incidents: 1, listTraffic: 0 });
  });

  it.each(LIST_TRAFFIC)('control, %s: list traffic, no incident', async (_name, fields) => {
    expect(await audit(write('mbox', message(fields)))).toEqual({ code: 0, incidents: 0, listTraffic: 1 });
  });

  it('control: a newsletter with one customer in To and no list headers is no incident', async () => {
    expect(await audit(write('maildir', message('To: c0@cust0.example\nList-Unsubscribe: <mailto:u@corp.example>')))).toEqual({ code: 0, incidents: 0, listTraffic: 0 });
  });

  it('control: a list discussion with six people in Cc is an incident as in check, and list traffic once the list is a configured public list', async () => {
    const input = write('mbox', message(`To: linux-kernel@vger.kernel.org\nCc: ${customers(6)}\nList-Id: <linux-kernel.vger.kernel.org>`));
    expect(await audit(input)).toEqual({ code: 1, incidents: 1, listTraffic: 0 });
    const r = await runCli(['audit', input, ...POLICY, '--public-list', '*@vger.kernel.org', '--format', 'json']);
    const s = JSON.parse(r.stdout).summary;
    expect([r.code, s.incidents, s.listTraffic]).toEqual([0, 0, 1]);
    expect((await runCli(['check', input, ...POLICY, '--public-list', '*@vger.kernel.org'])).code).toBe(0);
  });

  it('control: the list and two people at other organisations: counted as list traffic that shows many addresses', async () => {
    const input = write('mbox', message('To: dev@lists.example.org\nCc: alice@one.example, bob@two.example\nList-Id: <dev.lists.example.org>'));
    const r = await runCli(['audit', input, ...POLICY, '--format', 'json']);
    const s = JSON.parse(r.stdout).summary;
    expect([r.code, s.incidents, s.listTraffic, s.listTrafficExposing]).toEqual([0, 0, 1, 1]);
  });
});
