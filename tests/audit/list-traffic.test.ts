// Mailing-list traffic (List-Id or List-Post) in an audit: counted apart, never an incident.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-audit-lists-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CC = 'a@one.example, b@two.example, c@three.example, d@four.example, e@five.example, f@six.example';
const msg = (n: number, extra: string) =>
  `From me@corp.example Mon Nov  2 10:00:00 2026\nFrom: me@corp.example\nTo: list@lists.example.org\nCc: ${CC}\nSubject: m${n}\nDate: Mon, 2 Nov 2026 10:00:0${n} +0000\n${extra}\nbody\n\n`;

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
    expect(human.stdout).toContain('2 messages of mailing-list traffic (List-Id or List-Post) counted apart');
  });

  it('only list traffic: no incident, exit 0', async () => {
    const mbox = path.join(tmp, 'only.mbox');
    writeFileSync(mbox, msg(1, 'List-Id: <dev.lists.example.org>\n'));
    const r = await runCli(['audit', mbox, '--internal-domain', 'corp.example', '--format', 'json']);
    expect([r.code, JSON.parse(r.stdout).summary.incidents]).toEqual([0, 0]);
  });
});
