// A plain-text message (one text/plain part, or no Content-Type) can write a file into its text as
// uuencode (`begin 644 list.csv`), which Outlook, Thunderbird and check show as an attachment. The
// audit chose the messages to scan by their header alone, and such a header promises no
// attachment: check warned of the list, the audit passed it. Now each is read and scanned when its
// text writes such a file, in a folder of .eml files, an mbox and a Maildir alike.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ENCODED_FILE_MESSAGES } from '../helpers/encoded-file-messages.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-audit-encoded-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example'];
const folder = path.join(tmp, 'Sent');
const mbox = path.join(tmp, 'Sent.mbox');
const maildir = path.join(tmp, 'Maildir');

beforeAll(() => {
  mkdirSync(folder);
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, d), { recursive: true });
  ENCODED_FILE_MESSAGES.forEach(([name, bytes], i) => {
    writeFileSync(path.join(folder, `${name}.eml`), bytes);
    writeFileSync(path.join(maildir, 'cur', `17000000${i}.M${i}.host:2,S`), bytes);
  });
  writeFileSync(mbox, ENCODED_FILE_MESSAGES.map(([, bytes]) => `From anna@corp.example Fri Dec  4 12:00:00 2026\n${bytes.toString('latin1').replace(/\r\n/g, '\n')}\n`).join(''), 'latin1');
});

const subjects = (outcome: string) => ENCODED_FILE_MESSAGES.flatMap(([, bytes, o]) => (o === outcome ? [/^Subject: (.*)$/m.exec(bytes.toString('latin1'))![1]!.trim()] : []));

describe('a file written into a plain text (uuencode, yEnc)', () => {
  it('check: the uuencoded lists are attachment lists, the yEnc file is not scanned', async () => {
    const r = await runCli(['check', folder, ...POLICY, '--format', 'json']);
    const doc = JSON.parse(r.stdout);
    const bySource = new Map<string, string[]>(doc.results.map((m: any) => [path.basename(m.source, '.eml'), m.findings.map((f: any) => f.code)]));
    for (const [name, , outcome] of ENCODED_FILE_MESSAGES) {
      const codes = bySource.get(name)!;
      expect(codes.includes('ADDRESS_LIST_IN_ATTACHMENT'), name).toBe(outcome === 'attachment');
      expect(codes.includes('ATTACHMENT_NOT_SCANNED'), name).toBe(outcome === 'not-scanned');
    }
  });

  it.each([
    ['a folder of .eml files', folder],
    ['an mbox', mbox],
    ['a Maildir', maildir],
  ])('audit of %s: an attachment incident each, as check finds; the yEnc file not scanned', async (_, input) => {
    const r = await runCli(['audit', input, ...POLICY, '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.incidents.map((i: any) => i.subject).sort()).toEqual(subjects('attachment').sort());
    for (const i of doc.incidents) expect(i.kinds, i.subject).toEqual(['attachment']);
    expect(doc.incidents.map((i: any) => i.exposures[0].externalAddresses)).toEqual(subjects('attachment').map(() => 12));
    expect(doc.summary).toMatchObject({ messages: ENCODED_FILE_MESSAGES.length, notScanned: subjects('not-scanned').length });
    expect(doc.summary.notScannedMessages[0].parts).toEqual([expect.objectContaining({ fileName: 'list.csv', reason: 'unsupported-format' })]);
  });

  it('--no-body-scan: headers only, as before', async () => {
    const r = await runCli(['audit', folder, ...POLICY, '--format', 'json', '--no-body-scan']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ incidents: 0, notScanned: 0 });
  });
});
