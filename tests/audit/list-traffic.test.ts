// Mailing-list traffic (List-Id or List-Post) in an audit: counted apart, never an incident.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-audit-lists-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CC = 'a@one.example, b@two.example, c@three.example, d@four.example, e@five.example, f@six.example';
// A list's copy shows the list and a couple of people: the list with them spans 3 organisations
// (check warns), without it 2 (no exposure). Customers beside a list: tests/security/redteam-audit-list-headers.test.ts.
const FEW = 'a@one.example, b@two.example';
const msg = (n: number, extra: string) =>
  `From me@corp.example Mon Nov  2 10:00:00 2026\nFrom: me@corp.example\nTo: list@lists.example.org\nCc: ${extra === '' ? CC : FEW}\nSubject: m${n}\nDate: Mon, 2 Nov 2026 10:00:0${n} +0000\n${extra}\nbody\n\n`;

describe('mailguard audit: list traffic', () => {
  it.each([
    ['List-Id', 'List-Id: Dev list <dev.lists.example.org>\n'],
    ['List-Post', 'List-Post: <mailto:list@lists.example.org>\n'],
    ['both, lower-case', 'list-id: <dev.lists.example.org>\nlist-post: NO\n'],
  ])('%s: counted apart, the ordinary mailing still an incident', async (_name, headers) => {
    const mbox = path.join(tmp, `${_name}.mbox`);
    writeFileSync(mbox, msg(1, headers) + msg(2, '') + msg(3, headers));
    const r = await runCli(['audit', mbox, '--internal-domain', 'corp.example', '--format', 'json']);
    const doc = JSON.parse(r.stdout);
    expect([r.code, doc.summary.messages, doc.summary.incidents, doc.summary.listTraffic, doc.summary.listTrafficExposing]).toEqual([1, 3, 1, 2, 2]);
    expect(doc.incidents.map((i: { subject: string }) => i.subject)).toEqual(['m2']);
    const human = await runCli(['audit', mbox, '--internal-domain', 'corp.example']);
    expect(human.stdout).toContain('2 messages of mailing-list traffic (List-Id or List-Post) counted apart, not as incidents (check flags 2 of them only because it counts the list as one more organisation).');
  });

  // List-Id or List-Post alone was taken for a list's copy: a bulk mailer's List-ID above a To of
  // customers (Mailchimp writes one) was never an incident. The list must show itself among the
  // recipients: its posting address, its List-Id read as an address, or an address at its host.
  it.each<[string, string, string, boolean]>([
    ['a bulk mailer\'s List-ID, customers in To', `To: ${CC}`, 'List-ID: Newsletter <4f2a.list-id.mcsv.net>\n', false],
    ['List-Post of a list that is not a recipient', `To: ${CC}`, 'List-Post: <mailto:dev@lists.example.org>\n', false],
    ['List-Id and List-Post of another list', `To: ${CC}`, 'List-Id: <dev.lists.example.org>\nList-Post: <mailto:dev@lists.example.org>\n', false],
    ['the list in Cc, its List-Post', `To: ${FEW}\nCc: dev@lists.example.org`, 'List-Post: <mailto:dev@lists.example.org>\n', true],
    ['a Google group in To, its List-Id', `To: team@googlegroups.com\nCc: ${FEW}`, 'List-Id: <team.googlegroups.com>\n', true],
    ['an address at the list-id host', `To: dev-announce@lists.example.org\nCc: ${FEW}`, 'List-Id: Dev <dev.lists.example.org>\n', true],
    ['List-Post in upper case and folded', `To: DEV@Lists.Example.Org\nCc: ${FEW}`, 'LIST-POST:\n <MAILTO:dev@lists.example.org>\n', true],
  ])('%s', async (name, recipients, headers, listTraffic) => {
    const mbox = path.join(tmp, `${name.replace(/\W+/g, '-')}.mbox`);
    writeFileSync(mbox, `From me@corp.example Mon Nov  2 10:00:00 2026\nFrom: me@corp.example\n${recipients}\nSubject: s\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n${headers}\nbody\n\n`);
    const r = await runCli(['audit', mbox, '--internal-domain', 'corp.example', '--format', 'json']);
    const doc = JSON.parse(r.stdout);
    expect([r.code, doc.summary.incidents, doc.summary.listTraffic]).toEqual(listTraffic ? [0, 0, 1] : [1, 1, 0]);
  });

  it('only list traffic: no incident, exit 0', async () => {
    const mbox = path.join(tmp, 'only.mbox');
    writeFileSync(mbox, msg(1, 'List-Id: <dev.lists.example.org>\n'));
    const r = await runCli(['audit', mbox, '--internal-domain', 'corp.example', '--format', 'json']);
    expect([r.code, JSON.parse(r.stdout).summary.incidents]).toEqual([0, 0]);
  });
});
