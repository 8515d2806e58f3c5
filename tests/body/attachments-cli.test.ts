// The attachment scan through the built CLI: exit codes and JSON findings for messages with a
// workbook, an invitation, an encrypted file; every output format names the codes; fix refuses;
// and a plain draft loads none of the attachment readers' libraries.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runCli, runProcess, BIN } from '../helpers/cli.js';
import { addresses, buildEncryptedOoxml, buildIcs, buildMessage, buildXlsx } from '../helpers/office-files.js';
import { buildTnef } from '../helpers/tnef.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-attach-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const rows = (list: string[]) => list.map((a, i) => [`Name ${i + 1}`, a]);

function write(name: string, bytes: Buffer): string {
  const file = path.join(tmp, name);
  writeFileSync(file, bytes);
  return file;
}

const hiddenSheet = write(
  'hidden-sheet.eml',
  buildMessage([{ fileName: 'figures.xlsx', contentType: XLSX, bytes: buildXlsx([{ name: 'Summary', rows: rows(addresses(20, 'v')) }, { name: 'Applicants', state: 'hidden', rows: rows(addresses(5000, 'a', 900)) }]) }]),
);
const invite40 = write('invite-40.eml', buildMessage([{ fileName: 'invite.ics', contentType: 'text/calendar; method=REQUEST', bytes: buildIcs('anna@corp.example', addresses(40, 'guest')) }]));
const invite3 = write('invite-3.eml', buildMessage([{ fileName: 'invite.ics', contentType: 'text/calendar; method=REQUEST', bytes: buildIcs('anna@corp.example', ['a@corp.example', 'b@corp.example', 'c@corp.example']) }]));
const encrypted = write('encrypted.eml', buildMessage([{ fileName: 'secret.xlsx', contentType: XLSX, bytes: buildEncryptedOoxml() }]));
const exposedAndInvite = write(
  'exposed-invite.eml',
  buildMessage([{ fileName: 'invite.ics', contentType: 'text/calendar', bytes: buildIcs('anna@corp.example', addresses(6, 'g')) }], { to: addresses(6, 'g').join(', ') }),
);

describe('check', () => {
  it.each([
    [hiddenSheet, 1, 'block', [['ADDRESS_LIST_IN_ATTACHMENT', 'warning'], ['ADDRESS_LIST_IN_ATTACHMENT', 'error']]],
    [invite40, 1, 'block', [['EXPOSED_ATTENDEES', 'error']]],
    [invite3, 0, 'pass', []],
    [encrypted, 0, 'pass', [['ATTACHMENT_NOT_SCANNED', 'info']]],
  ])('%s -> exit %i, %s', async (file, code, verdict, codes) => {
    const r = await runCli(['check', file, ...POLICY, '--format', 'json']);
    expect(r.code).toBe(code);
    const result = JSON.parse(r.stdout).results[0];
    expect([result.verdict, result.findings.map((f: any) => [f.code, f.severity])]).toEqual([verdict, codes]);
  });

  it('a customer list inside winmail.dat (TNEF): a warning (exit 0), blocking with --sensitive (exit 1); the report names both files', async () => {
    const csv = ['email,name', ...addresses(30, 'customer').map((a, i) => `${a},C${i}`)].join('\r\n');
    const file = write('winmail-list.eml', buildMessage([{ fileName: 'winmail.dat', contentType: 'application/ms-tnef', bytes: buildTnef([{ title: 'CUSTOM~1.CSV', longName: 'customers.csv', data: csv }]) }]));
    const warn = await runCli(['check', file, ...POLICY, '--format', 'json']);
    const result = JSON.parse(warn.stdout).results[0];
    expect([warn.code, result.verdict, result.findings.map((f: any) => [f.code, f.severity, f.args.fileName, f.args.entry, f.args.externalAddresses])]).toEqual([0, 'warn', [['ADDRESS_LIST_IN_ATTACHMENT', 'warning', 'winmail.dat', 'customers.csv', 30]]]);
    const block = await runCli(['check', file, ...POLICY, '--sensitive']);
    expect(block.code).toBe(1);
    expect(block.stdout).toContain('30 external addresses from 30 organisations of the attachment "winmail.dat" (member "customers.csv")');
  });

  it('the JSON finding names the sheet, the hidden flag, the counts and masked examples; the human report says it in words', async () => {
    const r = await runCli(['check', hiddenSheet, ...POLICY, '--format', 'json', '--redact']);
    const f = JSON.parse(r.stdout).results[0].findings[1];
    expect(f.args).toMatchObject({ sheet: 'Applicants', hidden: ['hidden-sheet'], externalAddresses: 5000, hiddenAddresses: 5000, parties: 900, fileName: 'figures.xlsx', format: 'xlsx' });
    expect(f.message).toContain("5,000 external addresses from 900 organisations in sheet 'Applicants' (hidden sheet)");
    expect(JSON.stringify(f)).not.toContain('a1@org1.test');
    const human = await runCli(['check', hiddenSheet, ...POLICY]);
    expect(human.stdout).toContain("in sheet 'Applicants' (hidden sheet)");
    expect(human.stdout).toContain('and 4997 more');
    expect(human.stdout).toContain('fix: the address list is inside the attachment "figures.xlsx"');
  });

  it('--sensitive blocks an invitation to two organisations; --rule makes not scanned block; --no-body-scan reads none of it', async () => {
    const two = write('invite-2.eml', buildMessage([{ fileName: 'i.ics', contentType: 'text/calendar', bytes: buildIcs('anna@corp.example', ['p1@clinic-a.test', 'p2@clinic-b.test']) }]));
    expect((await runCli(['check', two, ...POLICY])).code).toBe(0);
    expect((await runCli(['check', two, ...POLICY, '--sensitive'])).code).toBe(1);
    expect((await runCli(['check', encrypted, ...POLICY, '--rule', 'ATTACHMENT_NOT_SCANNED=error'])).code).toBe(1);
    const off = await runCli(['check', hiddenSheet, invite40, ...POLICY, '--no-body-scan', '--format', 'json']);
    expect([off.code, JSON.parse(off.stdout).results.flatMap((x: any) => x.findings)]).toEqual([0, []]);
  });

  it.each([
    ['sarif', ['ADDRESS_LIST_IN_ATTACHMENT', 'EXPOSED_ATTENDEES', 'ATTACHMENT_NOT_SCANNED']],
    ['github', ['ADDRESS_LIST_IN_ATTACHMENT', 'EXPOSED_ATTENDEES', 'ATTACHMENT_NOT_SCANNED']],
    ['junit', ['ADDRESS_LIST_IN_ATTACHMENT', 'EXPOSED_ATTENDEES', 'ATTACHMENT_NOT_SCANNED']],
  ])('--format %s shows the attachment findings', async (format, codes) => {
    const r = await runCli(['check', hiddenSheet, invite40, encrypted, ...POLICY, '--format', format], { cwd: tmp });
    expect(r.code).toBe(1);
    for (const c of codes) expect(r.stdout).toContain(c);
    if (format === 'sarif') {
      const sarif = JSON.parse(r.stdout);
      const ids = sarif.runs[0].results.map((x: any) => x.ruleId);
      expect(ids).toEqual(['ADDRESS_LIST_IN_ATTACHMENT', 'ADDRESS_LIST_IN_ATTACHMENT', 'EXPOSED_ATTENDEES', 'ATTACHMENT_NOT_SCANNED']);
      const prints = sarif.runs[0].results.map((x: any) => Object.values(x.partialFingerprints)[0]);
      expect(new Set(prints).size).toBe(prints.length);
    }
  });

  it('explain describes the three codes', async () => {
    for (const code of ['ADDRESS_LIST_IN_ATTACHMENT', 'EXPOSED_ATTENDEES', 'ATTACHMENT_NOT_SCANNED']) {
      const r = await runCli(['explain', code]);
      expect([code, r.code]).toEqual([code, 0]);
      expect(r.stdout).toContain(code);
      expect(r.stdout).toContain('How to fix it');
    }
  });
});

describe('fix', () => {
  it('refuses a message whose list travels in an attachment or invitation, with the reason (exit 2)', async () => {
    for (const [file, reason] of [
      [hiddenSheet, 'inside the attachment "figures.xlsx"'],
      [exposedAndInvite, 'calendar invitation lists its attendees'],
    ] as const) {
      const r = await runCli(['fix', file, ...POLICY, '--dry-run', '--format', 'json']);
      expect([path.basename(file), r.code]).toEqual([path.basename(file), 2]);
      const doc = JSON.parse(r.stdout);
      expect(doc.results[0]).toMatchObject({ action: 'refused' });
      expect(doc.results[0].reason).toContain(reason);
    }
  });

  it('still rewrites an exposed header when the attachment holds no list', async () => {
    const file = write('exposed-only.eml', buildMessage([{ fileName: 'i.ics', contentType: 'text/calendar', bytes: buildIcs('anna@corp.example', ['a@corp.example']) }], { to: addresses(6, 'x').join(', ') }));
    const r = await runCli(['fix', file, ...POLICY, '--dry-run', '--format', 'json']);
    expect([r.code, JSON.parse(r.stdout).results[0].action]).toEqual([0, 'rewritten']);
  });
});

describe('modules loaded', () => {
  const PRELOAD = path.join(ROOT, 'tests/helpers/module-list-preload.mjs');
  async function loaded(args: string[]): Promise<{ cjs: string[]; builtins: string[] }> {
    const out = path.join(tmp, `modules-${Math.random().toString(36).slice(2)}.json`);
    await runProcess(process.execPath, ['--import', PRELOAD, BIN, ...args], { env: { ...process.env, NO_COLOR: '1', MAILGUARD_MODULE_LIST_FILE: out } });
    return JSON.parse(readFileSync(out, 'utf8'));
  }
  const libs = (m: { cjs: string[]; builtins: string[] }) => ({
    htmlparser2: m.cjs.some((f) => f.includes(`${path.sep}htmlparser2${path.sep}`)),
    ical: m.cjs.some((f) => f.includes(`${path.sep}ical.js${path.sep}`)),
    zlib: m.builtins.includes('zlib'),
  });

  it('check on a plain draft (body scan on) loads no attachment reader library; a workbook or invitation loads only what it needs', async () => {
    expect(libs(await loaded(['check', path.join(FIXTURES, 'body-pasted-list.eml'), ...POLICY]))).toEqual({ htmlparser2: false, ical: false, zlib: false });
    // Office XML (no comments or CDATA) goes through the built-in reader: htmlparser2 stays unloaded.
    expect(libs(await loaded(['check', hiddenSheet, ...POLICY]))).toEqual({ htmlparser2: false, ical: false, zlib: true });
    expect(libs(await loaded(['check', invite40, ...POLICY]))).toMatchObject({ htmlparser2: false, ical: true });
  });
});
