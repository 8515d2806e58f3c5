// mailguard audit over IMAP against a real Dovecot on 127.0.0.1: finds the same incidents (with the
// same IDs) as a file audit of the same messages, changes no flag, reads several folders, survives
// a connection cut mid-FETCH (or reports the folder as not fully read), reports an unreadable
// folder or refused login as exit 2 in every format, and never prints the password.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_FIXTURES, mboxOf, parseCsv } from '../audit/helpers.js';
import { BIN, FIXTURES, runCli, runProcess, type RunResult } from '../helpers/cli.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import { startDovecot, type DovecotInstance, type MaildirMessage } from '../helpers/dovecot.js';

const PASSWORD = 'Pa55-w0rd;with spaces&"quotes"';
const WRONG = 'not-the-Pa55w0rd-9f3k';
const POLICY = ['--internal-domain', 'corp.example'];
// Flags spread over the fixtures: none, seen, flagged+seen, answered, draft, deleted (a Sent folder has them all).
const FLAGS = ['', 'S', 'FS', 'RS', 'D', '', 'ST'];
const BIG_CLEAN = 150;

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-imap-'));
let dovecot: DovecotInstance;
let url: (folder: string, port?: number) => string;
const env = { MAILGUARD_IMAP_PASSWORD: PASSWORD };

function cleanMessage(n: number): string {
  return [
    'From: Ann <ann@corp.example>',
    `To: partner${n}@partner${n % 7}.test`,
    'Cc: team@corp.example',
    `Subject: Clean message ${n}`,
    `Date: Mon, ${String((n % 27) + 1).padStart(2, '0')} Feb 2026 10:00:00 +0000`,
    `Message-ID: <clean-${n}@corp.example>`,
    `X-Padding: ${'x'.repeat(200)}`,
    '',
    `Body ${n}.`,
    '',
  ].join('\r\n');
}

/** Everything a run printed must be free of the secrets. */
function expectNoSecret(r: RunResult, ...secrets: string[]): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(s).toString('base64'));
  }
}

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }] });
  url = (folder, port = dovecot.port) => `imap://alice@127.0.0.1:${port}/${folder}`;
  await dovecot.addMessages(
    'alice',
    'Sent',
    AUDIT_FIXTURES.map((f, i) => ({ flags: FLAGS[i % FLAGS.length]!, bytes: readFileSync(path.join(FIXTURES, f)) })),
  );
  await dovecot.addMessages('alice', 'Archive', [
    { flags: 'S', bytes: cleanMessage(1) },
    { flags: '', bytes: readFileSync(path.join(FIXTURES, 'audit-2026-03-cc-warn.eml')) },
  ]);
  const big: MaildirMessage[] = Array.from({ length: BIG_CLEAN }, (_, i) => ({ flags: i % 2 ? 'S' : '', bytes: cleanMessage(i + 10) }));
  big.splice(40, 0, { flags: 'F', bytes: readFileSync(path.join(FIXTURES, 'audit-2026-01-newsletter-to.eml')) });
  big.splice(120, 0, { flags: '', bytes: readFileSync(path.join(FIXTURES, 'audit-2026-06-formula-subject.eml')) });
  await dovecot.addMessages('alice', 'Big', big);
  writeFileSync(path.join(tmp, 'Sent.mbox'), mboxOf(AUDIT_FIXTURES));
  // A folder with undated and badly dated messages, also written as .eml files, for --since/--until.
  const undated = readFileSync(path.join(FIXTURES, 'audit-2026-06-formula-subject.eml'), 'utf8').replace(/^Date:.*\r?\n/m, '');
  const badDate = readFileSync(path.join(FIXTURES, 'audit-2026-03-cc-warn.eml'), 'utf8').replace(/^Date:.*$/m, 'Date: someday');
  // Dates Date.parse read as dates before 2026 (the zone-less one in the run's time zone, TZ below).
  const guessed = ['Sent from my iPhone 5', 'Thu, 1 Jan 2026 05:00:00', 'Tue, 31 Nov 2025 10:00:00 +0000'].map((d) => readFileSync(path.join(FIXTURES, 'audit-2026-01-newsletter-to.eml'), 'utf8').replace(/^Date:.*$/m, `Date: ${d}`).replace(/^Subject:.*$/m, `Subject: guessed ${d}`));
  const ranged = [...AUDIT_FIXTURES.map((f) => readFileSync(path.join(FIXTURES, f), 'utf8')), undated, badDate, ...guessed, cleanMessage(3)];
  await dovecot.addMessages('alice', 'Ranged', ranged.map((bytes) => ({ flags: 'S', bytes })));
  mkdirSync(path.join(tmp, 'ranged'));
  ranged.forEach((text, i) => writeFileSync(path.join(tmp, 'ranged', `${String(i).padStart(2, '0')}.eml`), text));
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('mailguard audit imap://', () => {
  it('finds the incidents a file audit finds, with the same IDs, and changes no flag', async () => {
    const before = await dovecot.fileNames('alice', 'Sent');
    expect(before.some((f) => f.endsWith(':2,FS'))).toBe(true);
    const r = await runCli(['audit', url('Sent'), ...POLICY, '--format', 'json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code, r.stderr).toBe(1);
    const imap = JSON.parse(r.stdout);
    const files = JSON.parse((await runCli(['audit', path.join(tmp, 'Sent.mbox'), ...POLICY, '--format', 'json'])).stdout);
    expect(imap.summary.messages).toBe(AUDIT_FIXTURES.length);
    expect(imap.summary.incidents).toBe(4);
    for (const key of ['incidents', 'exposedAddresses', 'exposedParties', 'messages', 'months', 'repeatSenders']) expect(imap.summary[key]).toEqual(files.summary[key]);
    const ids = (doc: any) => doc.incidents.map((i: any) => i.id).sort();
    expect(ids(imap)).toEqual(ids(files));
    expect(ids(imap).every((id: string) => /^[0-9a-f]{16}$/.test(id))).toBe(true);
    expect(imap.incidents[0].source).toMatch(new RegExp(`^imap://alice@127\\.0\\.0\\.1:${dovecot.port}/Sent;UID=\\d+$`));
    // Every message keeps its flags: the Maildir names (which carry them) are unchanged.
    expect(await dovecot.fileNames('alice', 'Sent')).toEqual(before);
    expectNoSecret(r, PASSWORD);
  });

  it('reads several folders at once, and the \\Sent folder when none is named; --since/--until apply', async () => {
    const r = await runCli(['audit', url('Sent'), url('Archive'), ...POLICY, '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.messages).toBe(AUDIT_FIXTURES.length + 2);
    expect(doc.summary.incidents).toBe(5);
    expect(doc.incidents.filter((i: any) => i.source.includes('/Archive;UID=')).length).toBe(1);
    // The same message in both folders: one ID, the detail names the other copy.
    const copy = doc.incidents.find((i: any) => i.source.includes('/Archive;UID='));
    expect(doc.incidents.filter((i: any) => i.id === copy.id)).toHaveLength(2);
    const detail = JSON.parse((await runCli(['audit', url('Sent'), url('Archive'), ...POLICY, '--incident', copy.id, '--format', 'json'], { env })).stdout);
    expect(detail.incident.source).toMatch(/\/Sent;UID=/);
    expect(detail.incident.otherSources).toEqual([copy.source]);
    const noFolder = JSON.parse((await runCli(['audit', `imap://alice@127.0.0.1:${dovecot.port}/`, ...POLICY, '--format', 'json'], { env })).stdout);
    expect(noFolder.summary.messages).toBe(AUDIT_FIXTURES.length);
    const ranged = JSON.parse((await runCli(['audit', url('Sent'), ...POLICY, '--since', '2026-01', '--until', '2026-03', '--format', 'json'], { env })).stdout);
    expect(ranged.incidents.map((i: any) => i.date.slice(0, 7)).sort()).toEqual(['2026-01', '2026-03']);
    expect(ranged.summary.outOfRange).toBeGreaterThan(0);
  });

  it('--since/--until over IMAP (Date fields first, whole headers only in range) count as a file audit does', async () => {
    const before = await dovecot.fileNames('alice', 'Ranged');
    for (const range of [['--since', '2026-01', '--until', '2026-03'], ['--since', '2026-03-10'], ['--until', '2025-12-31'], ['--since', '2030-01']]) {
      const imap = await runCli(['audit', url('Ranged'), ...POLICY, ...range, '--format', 'json'], { env: { ...env, TZ: 'Asia/Tokyo' } });
      const files = await runCli(['audit', path.join(tmp, 'ranged'), ...POLICY, ...range, '--format', 'json'], { env: { TZ: 'Asia/Tokyo' } });
      expect(imap.code, `${range.join(' ')}: ${imap.stderr}`).toBe(files.code);
      const a = JSON.parse(imap.stdout);
      const b = JSON.parse(files.stdout);
      expect(a.summary.undated, range.join(' ')).toBe(5);
      // Undated messages are audited whatever the range: the three list messages with a guessed date too.
      expect(a.incidents.filter((i: any) => i.subject.startsWith('guessed ')).length, range.join(' ')).toBe(3);
      for (const key of ['messages', 'incidents', 'exposedAddresses', 'outOfRange', 'undated', 'months', 'firstIncident', 'lastIncident']) expect(a.summary[key], `${range.join(' ')}: ${key}`).toEqual(b.summary[key]);
      expect(a.incidents.map((i: any) => i.id).sort()).toEqual(b.incidents.map((i: any) => i.id).sort());
    }
    expect(await dovecot.fileNames('alice', 'Ranged')).toEqual(before);
  });

  it('takes the password from --password-file, and refuses one in the URL without printing it', async () => {
    const file = path.join(tmp, 'pw');
    writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const ok = await runCli(['audit', url('Sent'), ...POLICY, '--password-file', file, '--format', 'json'], { env: { MAILGUARD_IMAP_PASSWORD: undefined } });
    expect(ok.code, ok.stderr).toBe(1);
    expect(JSON.parse(ok.stdout).summary.incidents).toBe(4);
    const inUrl = await runCli(['audit', `imap://alice:${encodeURIComponent(WRONG)}@127.0.0.1:${dovecot.port}/Sent`], { env });
    expect(inUrl.code, inUrl.stderr).toBe(2);
    expect(inUrl.stderr).toMatch(/must not contain a password/);
    expect(inUrl.stderr).toMatch(/MAILGUARD_IMAP_PASSWORD/);
    expectNoSecret(inUrl, WRONG, PASSWORD);
    const none = await runCli(['audit', url('Sent')], { env: { MAILGUARD_IMAP_PASSWORD: undefined } });
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toMatch(/no IMAP password for alice/);
  });

  it('a refused login is exit 2 in every format, says so, and prints no password', async () => {
    const wrongEnv = { MAILGUARD_IMAP_PASSWORD: WRONG };
    const json = await runCli(['audit', url('Sent'), url('Archive'), ...POLICY, '--format', 'json', '--csv', path.join(tmp, 'x.csv'), '--html', path.join(tmp, 'x.html')], { env: wrongEnv });
    expect(json.code, json.stderr).toBe(2);
    const doc = JSON.parse(json.stdout);
    expect(doc.summary.unreadable).toBe(2);
    expect(doc.summary.unreadableReasons[0]).toMatch(/refused the login/);
    expect(json.stderr).toMatch(/audit is incomplete/);
    expect(readFileSync(path.join(tmp, 'x.html'), 'utf8')).toMatch(/audit is incomplete/);
    const human = await runCli(['audit', url('Sent'), ...POLICY], { env: wrongEnv });
    expect(human.code, human.stderr).toBe(2);
    expect(human.stdout).not.toMatch(/No message exposed/);
    expect(human.stdout).toMatch(/incomplete/);
    expect(human.stdout).toMatch(/refused the login/);
    for (const r of [json, human]) expectNoSecret(r, WRONG, PASSWORD);
    expect(readFileSync(path.join(tmp, 'x.html'), 'utf8')).not.toContain(WRONG);
  });

  it('a folder that does not exist is an error, not "no exposure"; the others are still read', async () => {
    const r = await runCli(['audit', url('Nope'), url('Archive'), ...POLICY, '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.unreadableSources).toEqual([url('Nope')]);
    expect(doc.summary.unreadableReasons[0]).toMatch(/folder cannot be opened/);
    expect(doc.summary.messages).toBe(2);
    const human = await runCli(['audit', url('Nope'), ...POLICY], { env });
    expect(human.code, human.stderr).toBe(2);
    expect(human.stdout).toMatch(/incomplete/);
    expect(human.stdout).not.toMatch(/No message exposed/);
    const csv = await runCli(['audit', url('Nope'), ...POLICY, '--format', 'csv'], { env });
    expect(csv.code, csv.stderr).toBe(2);
    expect(csv.stderr).toMatch(/could not be read/);
  });

  it('a connection cut in the middle of a FETCH is reopened and the folder read once, completely', async () => {
    const before = await dovecot.fileNames('alice', 'Big');
    const proxy = await startCuttingProxy({ targetPort: dovecot.port, after: /UID FETCH/i, cutAfterBytes: 20_000, connections: 'first' });
    try {
      const r = await runCli(['audit', url('Big', proxy.port), ...POLICY, '--format', 'json'], { env });
      expect(proxy.cut).toBe(1);
      expect(proxy.accepted).toBeGreaterThanOrEqual(2);
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout);
      // Every message once: none lost, none counted twice.
      expect(doc.summary.messages).toBe(BIG_CLEAN + 2);
      expect(doc.summary.incidents).toBe(2);
      expect(doc.summary.unreadable).toBe(0);
      expectNoSecret(r, PASSWORD);
    } finally {
      await proxy.close();
    }
    expect(await dovecot.fileNames('alice', 'Big')).toEqual(before);
  });

  it('every connection cut after some progress: each reopened, the folder read completely', async () => {
    const proxy = await startCuttingProxy({ targetPort: dovecot.port, after: /UID FETCH/i, cutAfterBytes: 15_000, connections: 'all' });
    try {
      const r = await runCli(['audit', url('Big', proxy.port), ...POLICY, '--format', 'json'], { env, timeoutMs: 60_000 });
      expect(proxy.cut).toBeGreaterThanOrEqual(4);
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.summary.messages).toBe(BIG_CLEAN + 2);
      expect(doc.summary.incidents).toBe(2);
      expect(doc.summary.unreadable).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('connections cut before any message arrives leave the folder reported as not fully read (exit 2)', async () => {
    const proxy = await startCuttingProxy({ targetPort: dovecot.port, after: /UID FETCH/i, cutAfterBytes: 0, connections: 'all' });
    try {
      const r = await runCli(['audit', url('Big', proxy.port), ...POLICY, '--format', 'json'], { env, timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(2);
      const doc = JSON.parse(r.stdout);
      expect(doc.summary.unreadableSources).toEqual([url('Big', proxy.port)]);
      expect(doc.summary.unreadableReasons[0]).toMatch(/not read completely/);
      expect(doc.summary.unreadableReasons[0]).toMatch(new RegExp(`read 0 of ${BIG_CLEAN + 2} messages, the connection was lost 4 times`));
      expect(doc.summary.messages).toBe(0);
      expectNoSecret(r, PASSWORD);
      const human = await runCli(['audit', url('Big', proxy.port), ...POLICY], { env, timeoutMs: 30_000 });
      expect(human.code, human.stderr).toBe(2);
      expect(human.stdout).toMatch(/not read completely/);
    } finally {
      await proxy.close();
    }
  });

  it('file audits and check never load imapflow; an IMAP audit does', async () => {
    // A resolve hook that fails the run if anything imports imapflow.
    const hook = path.join(tmp, 'forbid-imapflow.mjs');
    writeFileSync(hook, "export async function resolve(s, c, next) { if (s === 'imapflow') throw new Error('imapflow was loaded'); return next(s, c); }\n");
    const preload = path.join(tmp, 'preload.mjs');
    writeFileSync(preload, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
    const withHook = (args: string[]) => runProcess(process.execPath, ['--import', pathToFileURL(preload).href, BIN, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' } });
    const files = await withHook(['audit', path.join(tmp, 'Sent.mbox'), ...POLICY, '--format', 'json']);
    expect(files.code, files.stderr).toBe(1);
    expect(files.stderr).toBe('');
    const check = await withHook(['check', path.join(FIXTURES, 'audit-2026-03-cc-warn.eml')]);
    expect(check.stderr).not.toMatch(/imapflow/);
    expect([0, 1]).toContain(check.code);
    const imap = await withHook(['audit', url('Sent'), ...POLICY]);
    expect(imap.code, imap.stderr).toBe(2);
    expect(imap.stderr).toMatch(/imapflow was loaded/);
  });

  it('--incident ID shows the same people over IMAP as from files; masked unless --no-redact', async () => {
    const files = JSON.parse((await runCli(['audit', path.join(tmp, 'Sent.mbox'), ...POLICY, '--format', 'json'])).stdout);
    const worst = files.incidents.find((i: any) => i.exposedExternal === 8);
    const fromFiles = await runCli(['audit', path.join(tmp, 'Sent.mbox'), ...POLICY, '--incident', worst.id, '--no-redact', '--format', 'csv']);
    const fromImap = await runCli(['audit', url('Sent'), ...POLICY, '--incident', worst.id, '--no-redact', '--format', 'csv'], { env });
    expect(fromImap.code, fromImap.stderr).toBe(1);
    const rows = parseCsv(fromImap.stdout);
    expect(rows[0]).toEqual(['incident', 'address', 'name', 'field', 'organisation', 'internal', 'location']);
    expect(rows.length - 1).toBe(8);
    expect(rows.slice(1).map((r) => r[1]).sort()).toEqual(parseCsv(fromFiles.stdout).slice(1).map((r) => r[1]).sort());
    expect(rows.slice(1).every((r) => r[0] === worst.id)).toBe(true);
    const masked = await runCli(['audit', url('Sent'), ...POLICY, '--incident', worst.id, '--format', 'json'], { env });
    const doc = JSON.parse(masked.stdout);
    expect(doc.redacted).toBe(true);
    expect(doc.incident.exposed.every((p: any) => p.address.includes('***@'))).toBe(true);
    const breach = await runCli(['audit', url('Sent'), ...POLICY, '--incident', worst.id, '--breach-report', 'json', '--found', '2026-02-01'], { env });
    expect(breach.code, breach.stderr).toBe(1);
    expect(JSON.parse(breach.stdout)).toMatchObject({ incident: worst.id, peopleExposed: 8, internalExposed: 0, recipients: 8, sentAt: worst.date, foundAt: '2026-02-01T00:00:00.000Z' });
    const md = await runCli(['audit', url('Sent'), ...POLICY, '--incident', worst.id, '--breach-report', 'md'], { env });
    expect(md.stdout).toMatch(/\| People affected \| 8 external \|/);
    expect(md.stdout).not.toMatch(/a1@alpha\.test/);
    const unknown = await runCli(['audit', url('Sent'), ...POLICY, '--incident', '0123456789abcdef'], { env });
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(/no incident 0123456789abcdef/);
  });
});
