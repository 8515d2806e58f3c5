// Red team: an incident ID names one exposure. The ID hashed Message-ID, Date, From, To and Cc
// only, so two resendings of one message to different customers (different Resent-To, the same
// original header) had one ID: `audit --incident ID` listed the people of the first copy and
// counted the second as another copy of it, so the people the second exposed were never listed
// for notification. Now the Resent-* and Apparently-To fields are hashed when present.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-redteam-audit3-id-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const POLICY = ['--internal-domain', 'corp.example'];
const six = (org: string) => Array.from({ length: 6 }, (_, i) => `p${i}@${org}${i}.example`).join(', ');
const BASE = ['From: sales@corp.example', 'Date: Mon, 2 Nov 2026 10:00:00 +0000', 'Subject: s', 'Message-ID: <same@corp.example>'];
const message = (fields: string[]) => [...fields, ...BASE, '', 'body', ''].join('\n');
const resent = (to: string, date = 'Tue, 3 Nov 2026 10:00:00 +0000', id = '<r@corp.example>') => ['Resent-From: sales@corp.example', `Resent-Date: ${date}`, `Resent-Message-ID: ${id}`, `Resent-To: ${to}`];

// Two copies exposing different people under one original header.
const PAIRS: Array<[string, string, string]> = [
  ['two resendings to different customers', message([...resent(six('alpha')), 'To: boss@corp.example']), message([...resent(six('beta'), 'Wed, 4 Nov 2026 10:00:00 +0000', '<r2@corp.example>'), 'To: boss@corp.example'])],
  ['the same resent header but Resent-Cc', message([...resent('boss@corp.example'), `Resent-Cc: ${six('alpha')}`, 'To: boss@corp.example']), message([...resent('boss@corp.example'), `Resent-Cc: ${six('beta')}`, 'To: boss@corp.example'])],
  ['the original exposure and its resending to others', message([`To: ${six('alpha')}`]), message([...resent(six('beta')), `To: ${six('alpha')}`])],
  ['Apparently-To naming different customers', message(['To: boss@corp.example', `Apparently-To: ${six('alpha')}`]), message(['To: boss@corp.example', `Apparently-To: ${six('beta')}`])],
];

let n = 0;
function folder(...messages: string[]): string {
  const dir = path.join(tmp, `d${n++}`);
  mkdirSync(dir);
  messages.forEach((m, k) => writeFileSync(path.join(dir, `${k}.eml`), m));
  return dir;
}
async function incidents(dir: string) {
  const r = await runCli(['audit', dir, ...POLICY, '--format', 'json']);
  return JSON.parse(r.stdout).incidents as Array<{ id: string; source: string }>;
}

describe('red team: one incident ID per exposure', () => {
  for (const [name, a, b] of PAIRS) {
    it(`${name}: two IDs, and --incident of the second lists its own people`, async () => {
      const dir = folder(a, b);
      const found = await incidents(dir);
      expect(found).toHaveLength(2);
      expect(new Set(found.map((i) => i.id)).size).toBe(2);
      const second = found.find((i) => i.source.endsWith('1.eml'))!;
      const r = await runCli(['audit', dir, ...POLICY, '--incident', second.id, '--no-redact', '--format', 'json']);
      const detail = JSON.parse(r.stdout).incident;
      expect(detail.source).toMatch(/1\.eml$/);
      expect(detail.exposed.map((p: { address: string }) => p.address)).toEqual(expect.arrayContaining(['p0@beta0.example']));
    });
  }
  it('control: the same resent copy twice is one incident ID (another copy)', async () => {
    const m = message([...resent(six('alpha')), 'To: boss@corp.example']);
    const found = await incidents(folder(m, m.replace(/\n/g, '\r\n')));
    expect(new Set(found.map((i) => i.id)).size).toBe(1);
  });
  it('control: a message without resent fields keeps its ID whatever else it has', async () => {
    const plain = message([`To: ${six('alpha')}`]);
    const [a] = await incidents(folder(plain));
    const [b] = await incidents(folder(plain.replace('Subject: s', 'Subject: s\nX-Other: 1')));
    expect(a!.id).toBe(b!.id);
  });
});
