// Red team: the date --since/--until compares is when the Sent copy was sent. The audit read the
// first Date field only: a message resent to customers (Resent-To, which check reads and blocks)
// in the range, whose original Date was years before, and a message with two Date fields, the
// second in the range, were counted "out of range" and never checked: exit 0, no incident. Now
// the date is the newest of Date and each Resent-Date, and a message whose dates cannot be read
// for certain (two different Date fields, an unreadable Resent-Date) is undated: audited whatever
// the range. Files (.eml directory, mbox, Maildir) and IMAP (a real Dovecot) alike.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotInstance } from '../helpers/dovecot.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-redteam-audit3-date-'));
const PASSWORD = 'audit3-date-Pa55';
const POLICY = ['--internal-domain', 'corp.example'];
const RANGE = ['--since', '2026-01', '--until', '2026-12'];
const six = Array.from({ length: 6 }, (_, i) => `p${i}@org${i}.example`).join(', ');
const OLD = 'Mon, 2 Nov 2020 10:00:00 +0000';
const NEW = 'Mon, 2 Nov 2026 10:00:00 +0000';

const message = (id: string, fields: string[]) => [...fields, 'From: sales@corp.example', 'Subject: s', `Message-ID: <${id}@corp.example>`, '', 'body', ''].join('\r\n');
const resent = (id: string, resentDate: string, date = OLD) => message(id, ['Resent-From: sales@corp.example', `Resent-Date: ${resentDate}`, `Resent-To: ${six}`, 'To: boss@corp.example', `Date: ${date}`]);

// Each exposes six organisations (check blocks it) and was sent, or may have been sent, in 2026.
const EXPOSED: Array<[string, string, 'dated' | 'undated']> = [
  ['resent to customers in the range, original Date 2020', resent('r1', NEW), 'dated'],
  ['resent twice, the last time in the range', message('r2', ['Resent-From: sales@corp.example', `Resent-Date: ${NEW}`, `Resent-To: ${six}`, 'Resent-From: sales@corp.example', 'Resent-Date: Tue, 3 Nov 2020 10:00:00 +0000', 'Resent-To: boss@corp.example', 'To: boss@corp.example', `Date: ${OLD}`]), 'dated'],
  ['resent with an unreadable Resent-Date', resent('r3', 'yesterday'), 'undated'],
  ['two Date fields, the second in the range', message('d1', [`To: ${six}`, `Date: ${OLD}`, `Date: ${NEW}`]), 'undated'],
  ['two Date fields, the first in the range', message('d2', [`To: ${six}`, `Date: ${NEW}`, `Date: ${OLD}`]), 'undated'],
  ['two Date fields, one unreadable', message('d3', [`To: ${six}`, `Date: ${OLD}`, 'Date: soon']), 'undated'],
];

// Legitimate: out of range stays out of range, in range stays dated.
const CONTROLS: Array<[string, string, number, number]> = [
  // [name, message, outOfRange, undated]
  ['one Date in 2020, exposed: out of range', message('c1', [`To: ${six}`, `Date: ${OLD}`]), 1, 0],
  ['the same Date written twice: one date, out of range', message('c2', [`To: ${six}`, `Date: ${OLD}`, `Date: ${OLD}`]), 1, 0],
  ['resent in 2020, sent in 2019: out of range', resent('c3', OLD, 'Sat, 2 Nov 2019 10:00:00 +0000'), 1, 0],
  ['one Date in the range, to a colleague: dated and clean', message('c4', ['To: boss@corp.example', `Date: ${NEW}`]), 0, 0],
];

let n = 0;
function eml(bytes: string): string {
  const dir = path.join(tmp, `e${n++}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'm.eml'), bytes);
  return dir;
}
function mbox(bytes: string): string {
  const file = path.join(tmp, `m${n++}.mbox`);
  // Stored when sent (2026): an mbox message whose dates cannot be read for certain takes its From line's.
  writeFileSync(file, `From sales@corp.example Mon Nov  2 10:00:00 2026\n${bytes.replace(/\r\n/g, '\n')}\n`);
  return file;
}
function maildir(bytes: string): string {
  const dir = path.join(tmp, `md${n++}`);
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(path.join(dir, 'cur', '1700000000.1.host:2,S'), bytes);
  return dir;
}

async function audit(input: string, env?: NodeJS.ProcessEnv) {
  const r = await runCli(['audit', input, ...POLICY, ...RANGE, '--format', 'json'], env ? { env } : undefined);
  const s = JSON.parse(r.stdout).summary;
  return { code: r.code, incidents: s.incidents as number, outOfRange: s.outOfRange as number, undated: s.undated as number };
}

let dovecot: DovecotInstance;
beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }] });
  for (const [k, [, bytes]] of EXPOSED.entries()) await dovecot.addMessages('alice', `Exposed${k}`, [{ flags: 'S', bytes }]);
  for (const [k, [, bytes]] of CONTROLS.entries()) await dovecot.addMessages('alice', `Control${k}`, [{ flags: 'S', bytes }]);
}, 60_000);
afterAll(async () => {
  await dovecot?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const READERS: Array<[string, (bytes: string, k: number, kind: 'Exposed' | 'Control') => string]> = [
  ['.eml directory', (b) => eml(b)],
  ['mbox', (b) => mbox(b)],
  ['Maildir', (b) => maildir(b)],
  ['IMAP', (_b, k, kind) => `imap://alice@127.0.0.1:${dovecot.port}/${kind}${k}`],
];

describe('red team: audit --since/--until reads when the Sent copy was sent', () => {
  for (const [reader, input] of READERS) {
    const env = reader === 'IMAP' ? { ...process.env, MAILGUARD_IMAP_PASSWORD: PASSWORD } : undefined;
    EXPOSED.forEach(([name, bytes, dated], k) => {
      it(`${reader}: ${name}: an incident, ${dated}`, async () => {
        const check = await runCli(['check', eml(bytes) + '/m.eml', ...POLICY]);
        expect(check.code).toBe(1);
        expect(await audit(input(bytes, k, 'Exposed'), env)).toEqual({ code: 1, incidents: 1, outOfRange: 0, undated: dated === 'undated' && reader !== 'mbox' ? 1 : 0 });
      });
    });
    CONTROLS.forEach(([name, bytes, outOfRange, undated], k) => {
      it(`${reader}: control: ${name}`, async () => {
        expect(await audit(input(bytes, k, 'Control'), env)).toEqual({ code: 0, incidents: 0, outOfRange, undated });
      });
    });
  }
});
