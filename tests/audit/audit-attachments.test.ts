// mailguard audit reads attachments as check does (issue 17): a hidden sheet of addresses and an
// invitation to many external attendees are incidents of their kind in JSON, human, CSV and HTML;
// an invitation to colleagues and a plain message are not; an encrypted workbook is reported as
// not scanned, never as clean. Fixtures are built by tests/helpers/office-files.ts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { addresses, buildEncryptedOoxml, buildIcs, buildMessage, buildXlsx } from '../helpers/office-files.js';
import { parseCsv } from './helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-audit-attach-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const rows = (list: string[]) => list.map((a, i) => [`Name ${i + 1}`, a]);

/** buildMessage with its own Message-ID and subject, so every message is an incident of its own. */
function message(n: number, subject: string, ...args: Parameters<typeof buildMessage>): Buffer {
  return Buffer.from(buildMessage(...args).toString('latin1').replace('<t1@corp.example>', `<t${n}@corp.example>`).replace('Subject: Figures', `Subject: ${subject}`), 'latin1');
}

// [file, subject, message, kinds of its incident (undefined: none)]
const MESSAGES: Array<[string, string, Buffer, string[] | undefined]> = [
  ['a-hidden-sheet.eml', 'Hidden sheet', message(1, 'Hidden sheet', [{ fileName: 'figures.xlsx', contentType: XLSX, bytes: buildXlsx([{ name: 'Summary', rows: rows(['x@corp.example']) }, { name: 'Applicants', state: 'hidden', rows: rows(addresses(300, 'a', 90)) }]) }]), ['attachment']],
  ['b-invite-40.eml', 'Invite 40', message(2, 'Invite 40', [{ fileName: 'invite.ics', contentType: 'text/calendar; method=REQUEST', bytes: buildIcs('anna@corp.example', addresses(40, 'guest')) }]), ['invitation']],
  ['c-invite-3.eml', 'Invite 3', message(3, 'Invite 3', [{ fileName: 'invite.ics', contentType: 'text/calendar; method=REQUEST', bytes: buildIcs('anna@corp.example', ['a@corp.example', 'b@corp.example', 'c@corp.example']) }]), undefined],
  ['d-clean.eml', 'Clean', message(4, 'Clean', [], { body: 'Hello Bob, see you tomorrow.' }), undefined],
  ['e-encrypted.eml', 'Encrypted', message(5, 'Encrypted', [{ fileName: 'secret.xlsx', contentType: XLSX, bytes: buildEncryptedOoxml() }]), undefined],
];

const folder = path.join(tmp, 'Sent');
const mbox = path.join(tmp, 'Sent.mbox');
beforeAll(() => {
  mkdirSync(folder);
  for (const [name, , bytes] of MESSAGES) writeFileSync(path.join(folder, name), bytes);
  writeFileSync(mbox, MESSAGES.map(([, , bytes]) => `From anna@corp.example Fri Dec  4 12:00:00 2026\n${bytes.toString('latin1').replace(/\r\n/g, '\n')}\n`).join(''), 'latin1');
});

describe.each([
  ['a folder of .eml files', () => folder, (k: number) => path.join(folder, MESSAGES[k]![0])],
  ['an mbox', () => mbox, (k: number) => `${mbox}#${k + 1}`],
])('audit of %s', (_, input, sourceOf) => {
  let doc: any;
  let human: string;
  let csv: string[][];
  let html: string;
  beforeAll(async () => {
    const csvFile = path.join(tmp, `${path.basename(input())}.csv`);
    const htmlFile = path.join(tmp, `${path.basename(input())}.html`);
    const json = await runCli(['audit', input(), ...POLICY, '--format', 'json', '--no-redact', '--csv', csvFile, '--html', htmlFile]);
    expect(json.code).toBe(1);
    doc = JSON.parse(json.stdout);
    csv = parseCsv(readFileSync(csvFile, 'utf8'));
    html = readFileSync(htmlFile, 'utf8');
    const h = await runCli(['audit', input(), ...POLICY, '--no-color']);
    expect(h.code).toBe(1);
    human = h.stdout;
  });

  it('JSON: the incidents and their kinds, the hidden sheet and the invitation described', () => {
    const expected = MESSAGES.map(([, , , kinds], k) => [sourceOf(k), kinds]).filter(([, kinds]) => kinds !== undefined);
    expect(doc.incidents.map((i: any) => [i.source, i.kinds])).toEqual(expected);
    expect(doc.summary).toMatchObject({ messages: 5, incidents: 2, attachmentIncidents: 2, listedAddresses: 340, notScanned: 1, exposedAddresses: 0 });
    const [sheet, invite] = doc.incidents;
    expect(sheet.exposures[0].examples[0]).toBe('a1@org1.test');
    expect(sheet.exposures).toEqual([
      expect.objectContaining({ kind: 'attachment', fileName: 'figures.xlsx', sheet: 'Applicants', format: 'xlsx', externalAddresses: 300, hiddenAddresses: 300, hidden: ['hidden-sheet'], parties: 90, severity: 'error' }),
    ]);
    expect(sheet).toMatchObject({ exposedExternal: 300, severity: 'error', fields: [] });
    expect(invite.exposures).toEqual([expect.objectContaining({ kind: 'invitation', fileName: 'invite.ics', method: 'REQUEST', externalAddresses: 40, parties: 40, severity: 'error' })]);
    // Not scanned is listed, never counted clean.
    expect(doc.summary.notScannedMessages).toEqual([{ source: sourceOf(4), parts: [expect.objectContaining({ fileName: 'secret.xlsx', reason: 'encrypted' })] }]);
  });

  it('human: each list says where it is; the encrypted workbook is named as not scanned', () => {
    expect(human).toContain("attachment: attachment 'figures.xlsx', sheet 'Applicants' (hidden sheet): 300 external addresses (300 hidden) of 90 organisations");
    expect(human).toContain("invitation: invitation 'invite.ics' REQUEST: 40 external attendees of 40 organisations");
    expect(human).toMatch(/1 message with attachments that could not be scanned \(not known to be clean\):\n +\S*e-encrypted\.eml(#5)?: attachment 'secret\.xlsx': encrypted|Sent\.mbox#5: attachment 'secret\.xlsx': encrypted/);
    expect(human).not.toContain('Invite 3');
    expect(human).not.toContain('"Clean"');
    // Examples, as the header's (masked with --redact, as JSON shows).
    expect(human).toContain('e.g. a1@org1.test, a2@org2.test, a3@org3.test');
  });

  it('CSV: kinds and exposures columns; a not-scanned row', () => {
    const [head, ...body] = csv;
    const col = (name: string) => head!.indexOf(name);
    expect(col('kinds')).toBe(11);
    const incidents = body.filter((r) => r[col('severity')] !== 'not-scanned');
    expect(incidents.map((r) => [r[col('kinds')], r[col('exposedExternal')]])).toEqual([['attachment', '300'], ['invitation', '40']]);
    expect(incidents[0]![col('exposures')]).toContain("sheet 'Applicants' (hidden sheet)");
    const notScanned = body.filter((r) => r[col('severity')] === 'not-scanned');
    expect(notScanned.map((r) => [r[0], r[2]])).toEqual([[sourceOf(4), "not scanned: attachment 'secret.xlsx': encrypted (xlsx)"]]);
  });

  it('HTML: an "exposed in" cell per incident row, and the not-scanned list', () => {
    const rowsHtml = html.match(/<table id="incidents">.*?<\/table>/s)![0];
    expect(rowsHtml.match(/data-kinds="([^"]*)"/g)).toEqual(['data-kinds="attachment"', 'data-kinds="invitation"']);
    expect(rowsHtml).toContain('sheet &#39;Applicants&#39; (hidden sheet)');
    expect(html).toMatch(/<ul class="not-scanned"><li>[^<]*: attachment &#39;secret.xlsx&#39;: encrypted/);
  });
});

describe('audit --incident of an attachment incident', () => {
  it('lists the people of the hidden sheet (for notify) and a breach report that says where they were', async () => {
    const ids = JSON.parse((await runCli(['audit', folder, ...POLICY, '--format', 'json'])).stdout).incidents.map((i: any) => i.id);
    const detail = await runCli(['audit', folder, ...POLICY, '--incident', ids[0], '--no-redact', '--format', 'json']);
    expect(detail.code).toBe(1);
    const d = JSON.parse(detail.stdout).incident;
    expect(d.kinds).toEqual(['attachment']);
    expect(d.exposed).toHaveLength(300);
    expect(d.exposed[0]).toEqual({ address: 'a1@org1.test', name: '', field: 'attachment', organisation: 'org1.test', internal: false, location: "attachment 'figures.xlsx', sheet 'Applicants'" });
    const md = await runCli(['audit', folder, ...POLICY, '--incident', ids[0], '--breach-report', 'md']);
    expect(md.stdout).toContain('# Personal data breach: address list exposed');
    expect(md.stdout).toContain('| People affected | 300 external |');
    expect(md.stdout).toMatch(/An email carried a list of addresses: attachment 'figures\.xlsx', sheet 'Applicants' \\\(hidden sheet\\\)/);
  });
});

describe('--no-body-scan', () => {
  it('audits headers only, as before: no attachment incident', async () => {
    const r = await runCli(['audit', folder, ...POLICY, '--format', 'json', '--no-body-scan']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ incidents: 0, notScanned: 0 });
  });
});

describe('--redact', () => {
  it('masks the lists\' examples and addresses in file names', async () => {
    const doc = JSON.parse((await runCli(['audit', folder, ...POLICY, '--format', 'json', '--redact'])).stdout);
    expect(doc.incidents[0].exposures[0].examples[0]).toBe('a***@org1.test');
  });
});
