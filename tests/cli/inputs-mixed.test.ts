// `mailguard check DIR` and `mailguard audit DIR` over a folder as people have them: .eml and
// .txt drafts, a Thunderbird `Sent` mbox without extension (and its .msf index), a Maildir with
// only cur/, an Apple Mail `Sent.mbox/mbox` bundle, an Outlook .msg, and files that are not mail
// (an image, a PDF, notes). Every message is read (recognised by content, not name), and every
// report format, of check and of audit, counts and names the files that are not mail. The built
// CLI is spawned as a user runs it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { outlookMsg } from '../helpers/outlook-msg.js';
import { addresses, buildXlsx } from '../helpers/office-files.js';

const POLICY = ['--internal-domain', 'corp.example'];
let dir: string;
let tmp: string;

/** Six customers of six organisations in To: blocks at the default thresholds. */
const customers = (tag: string) => Array.from({ length: 6 }, (_, n) => `${tag}${n}@customer${n}.test`);
const exposed = (tag: string, eol = '\r\n') => [`From: Sales <sales@corp.example>`, `To: ${customers(tag).join(', ')}`, `Subject: ${tag}`, `Date: Mon, 2 Nov 2026 10:00:00 +0000`, '', 'Prices.', ''].join(eol);
const clean = (tag: string, eol = '\r\n') => [`From: Dev <dev@corp.example>`, `To: team@corp.example`, `Subject: ${tag}`, `Date: Tue, 3 Nov 2026 10:00:00 +0000`, '', 'Hello.', ''].join(eol);
const mbox = (...messages: string[]) => messages.map((m) => `From sales@corp.example Mon Nov  2 10:00:00 2026\n${m.replace(/\r\n/g, '\n')}\n`).join('');

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');

/** The messages and where they are; the sources check reports for them. */
const EXPECTED_SOURCES = [
  'Maildir/cur/1767000000.M1P1.host:2,S',
  'Sent',
  'Sent.mbox/mbox',
  'drafts/offer.eml',
  'drafts/reply.txt',
  'drafts/untitled',
  'outlook/offer.msg',
];
const NOT_MAIL = ['drafts/notes.md', 'drafts/photo.png', 'outlook/report.pdf'];

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-mixed-'));
  dir = path.join(tmp, 'mail');
  const put = (rel: string, data: string | Buffer) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  };
  put('drafts/offer.eml', exposed('eml'));
  put('drafts/reply.txt', clean('txt', '\n'));
  put('drafts/untitled', exposed('noext', '\n'));
  put('drafts/photo.png', PNG);
  put('drafts/notes.md', '# Notes\n\nCall the customers on Monday.\n');
  put('drafts/.DS_Store', Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]));
  // Thunderbird: the Sent folder is an mbox without extension, beside its Mork index.
  put('Sent', mbox(clean('tb1'), exposed('tb2')));
  put('Sent.msf', '// <!-- <mdb:mork:z v="1.4"/> -->\n< <(a=c)> // (f=iso-8859-1)\n');
  // A Maildir holding only cur/ (and Dovecot's index files).
  put('Maildir/cur/1767000000.M1P1.host:2,S', exposed('maildir'));
  put('Maildir/dovecot-uidlist', '3 V1767000000 N2\n1 1767000000.M1P1.host:2,S\n');
  // Apple Mail's exported mailbox: a bundle with the mbox inside.
  put('Sent.mbox/mbox', mbox(exposed('apple1'), clean('apple2')));
  put('Sent.mbox/Info.plist', '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n');
  put(
    'outlook/offer.msg',
    outlookMsg({ subject: 'Outlook offer', senderName: 'Sales', senderSmtp: 'sales@corp.example', recipients: customers('msg').map((smtp) => ({ smtp, type: 'to' as const })) }),
  );
  put('outlook/report.pdf', PDF);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** check's JSON for the folder: the same messages and not-mail files, whatever the spelling of the input. */
function expectEveryMessage(doc: { summary: Record<string, number>; results: Array<{ source: string; verdict: string }>; notRead: Array<{ path: string; kind: string }> }, base: string) {
  const files = [...new Set(doc.results.map((r) => path.relative(base, r.source.replace(/#\d+$/, ''))))].sort();
  expect(files).toEqual(EXPECTED_SOURCES);
  // Two messages in each mbox: 9 in all.
  expect(doc.summary.checked).toBe(9);
  expect(doc.summary.error).toBe(0);
  const blocked = doc.results.filter((r) => r.verdict === 'block').map((r) => path.relative(base, r.source)).sort();
  expect(blocked).toEqual(['Maildir/cur/1767000000.M1P1.host:2,S', 'Sent#2', 'Sent.mbox/mbox#1', 'drafts/offer.eml', 'drafts/untitled', 'outlook/offer.msg']);
  expect(doc.summary.notRead).toBe(3);
  expect(doc.notRead.map((f) => path.relative(base, f.path)).sort()).toEqual(NOT_MAIL);
  expect(doc.notRead.find((f) => f.path.endsWith('photo.png'))!.kind).toBe('PNG image');
  expect(doc.notRead.find((f) => f.path.endsWith('report.pdf'))!.kind).toBe('PDF document');
}

describe('check DIR reads every message and counts what is not mail', () => {
  it('JSON: 9 messages from 7 files, 6 blocked, 3 files not mail named with what they are', async () => {
    const r = await runCli(['check', dir, '--format', 'json', ...POLICY]);
    expect(r.code).toBe(1);
    expectEveryMessage(JSON.parse(r.stdout), dir);
    expect(r.stderr).toBe('');
  });

  it.each([
    ['a directory glob', (d: string) => `${d}/*`],
    ['a recursive glob', (d: string) => `${d}/**/*`],
    ['a recursive glob of files only', (d: string) => `${d}/**`],
  ])('the same with %s (mailguard expands it)', async (_name, spell) => {
    const r = await runCli(['check', spell(dir), '--format', 'json', ...POLICY]);
    expectEveryMessage(JSON.parse(r.stdout), dir);
  });

  it('human: the summary says how many files were not read, and names them', async () => {
    const r = await runCli(['check', dir, ...POLICY]);
    expect(r.stdout).toContain('9 messages checked: 3 pass, 0 warn, 6 block, 0 error; 3 files not read (not mail)');
    for (const f of NOT_MAIL) expect(r.stdout).toContain(path.join(dir, f));
    expect(r.stdout).toContain('(PNG image)');
  });

  it('a clean folder says it found nothing exposed and how many files it did not read, exit 0', async () => {
    const clean = path.join(tmp, 'clean');
    mkdirSync(clean, { recursive: true });
    writeFileSync(path.join(clean, 'a.txt'), readFileSync(path.join(dir, 'drafts/reply.txt')));
    writeFileSync(path.join(clean, 'scan.png'), PNG);
    const human = await runCli(['check', clean, ...POLICY]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('1 message checked: 1 pass, 0 warn, 0 block, 0 error; 1 file not read (not mail)');
    const audit = await runCli(['audit', clean, ...POLICY]);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('No message exposed external recipients.');
    expect(audit.stdout).toContain('1 file found is not mail and was not read');
  });

  it('SARIF: one notification per file not read, and the count', async () => {
    const r = await runCli(['check', dir, '--format', 'sarif', ...POLICY], { cwd: tmp });
    const run = JSON.parse(r.stdout).runs[0];
    expect(run.properties.notRead).toBe(3);
    const uris = run.invocations[0].toolExecutionNotifications.map((n: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) => n.locations[0]!.physicalLocation.artifactLocation.uri).sort();
    expect(uris).toEqual(NOT_MAIL.map((f) => `mail/${f}`));
    expect(new Set(run.results.map((x: { ruleId: string }) => x.ruleId))).toContain('EXPOSED_RECIPIENTS');
  });

  it('GitHub: a notice per file not read, and the count in the last line', async () => {
    const r = await runCli(['check', dir, '--format', 'github', ...POLICY], { cwd: tmp });
    const notices = r.stdout.split('\n').filter((l) => l.startsWith('::notice '));
    expect(notices).toHaveLength(3);
    expect(notices.join('\n')).toContain('file=mail/drafts/photo.png');
    expect(r.stdout.trim().split('\n').at(-1)).toContain('9 messages checked: 3 pass, 0 warn, 6 block, 0 error; 3 files not read (not mail)');
  });

  it('JUnit: files not read are skipped test cases', async () => {
    const r = await runCli(['check', dir, '--format', 'junit', ...POLICY], { cwd: tmp });
    expect(r.stdout).toMatch(/<testsuites name="mailguard" tests="12" failures="6" errors="0" skipped="3">/);
    expect((r.stdout.match(/<skipped message="not read: /g) ?? []).length).toBe(3);
    expect(r.stdout).toContain('name="mail/outlook/report.pdf"');
  });
});

describe('audit DIR: the same messages, and the files not read in every output', () => {
  it('human, JSON, CSV and the HTML page', async () => {
    const csv = path.join(tmp, 'audit.csv');
    const html = path.join(tmp, 'audit.html');
    const r = await runCli(['audit', dir, '--format', 'json', '--csv', csv, '--html', html, ...POLICY]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.messages).toBe(9);
    expect(doc.summary.incidents).toBe(6);
    expect(doc.summary.unreadable).toBe(0);
    expect(doc.summary.notRead).toBe(3);
    expect(doc.summary.notReadFiles.map((f: { path: string }) => path.relative(dir, f.path)).sort()).toEqual(NOT_MAIL);
    const rows = readFileSync(csv, 'utf8').split('\r\n').filter((l) => l.includes(',not-read,'));
    expect(rows).toHaveLength(3);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('3 files found are not mail and were not read');
    expect(page).toContain('photo.png (PNG image)');
    const human = await runCli(['audit', dir, ...POLICY]);
    expect(human.stdout).toContain('3 files found are not mail and were not read');
  });
});

describe('files named on the command line', () => {
  it('an image named explicitly is an error naming what it is, not a pass and not "not RFC 5322"', async () => {
    const r = await runCli(['check', path.join(dir, 'drafts/photo.png'), '--format', 'json', ...POLICY]);
    expect(r.code).toBe(2);
    const f = JSON.parse(r.stdout).results[0].findings[0];
    expect(f.code).toBe('UNREADABLE_MESSAGE');
    expect(f.message).toContain('PNG image');
  });

  it('an Outlook .msg named explicitly is read: its recipient table is checked', async () => {
    const r = await runCli(['check', path.join(dir, 'outlook/offer.msg'), '--format', 'json', ...POLICY]);
    const result = JSON.parse(r.stdout).results[0];
    expect(result.verdict).toBe('block');
    expect(result.recipients.externalAddresses).toBe(6);
  });

  it('an Outlook .msg with a transport header is checked by that header; a Cc and a Bcc are told apart', async () => {
    const file = path.join(tmp, 'received.msg');
    writeFileSync(
      file,
      outlookMsg({
        subject: 'x',
        recipients: [{ smtp: 'one@corp.example', type: 'to' }],
        transportHeaders: `From: a@corp.example\r\nTo: one@corp.example\r\nCc: ${customers('th').join(', ')}\r\nSubject: x\r\n`,
      }),
    );
    const fromHeaders = JSON.parse((await runCli(['check', file, '--format', 'json', ...POLICY])).stdout).results[0];
    expect(fromHeaders.verdict).toBe('block');
    expect(new Set(fromHeaders.recipients.visible.map((v: { field: string }) => v.field))).toEqual(new Set(['to', 'cc']));
    const bccOnly = path.join(tmp, 'bcc.msg');
    writeFileSync(bccOnly, outlookMsg({ subject: 'x', senderSmtp: 'a@corp.example', recipients: [{ smtp: 'me@corp.example', type: 'to' }, ...customers('b').map((smtp) => ({ smtp, type: 'bcc' as const }))] }));
    const hidden = JSON.parse((await runCli(['check', bccOnly, '--format', 'json', ...POLICY])).stdout).results[0];
    expect(hidden.verdict).not.toBe('block');
    expect(hidden.recipients.bcc).toHaveLength(6);
  });

  it.each([
    ['names only one of them', (_list: string[]) => ''],
    ['names the others in Received lines', (list: string[]) => list.map((a) => `Received: from x by y for <${a}>; Mon, 1 Jun 2026 10:00:00 +0000\r\n`).join('')],
    ['names the others in a Bcc field', (list: string[]) => `Bcc: ${list.join(', ')}\r\n`],
    ['names the others in an X- field', (list: string[]) => `X-Original-Recipients: ${list.join(', ')}\r\n`],
    ['names the others in the Subject', (list: string[]) => `X-Note: see ${list.join(' ')}\r\n`],
  ])('an Outlook .msg whose transport header %s is checked by the table (what Outlook shows and resends to)', async (name, extra) => {
    const file = path.join(tmp, `stale-${name.replace(/\W+/g, '-')}.msg`);
    const list = customers(`st${name.length}`);
    writeFileSync(file, outlookMsg({ subject: 'x', recipients: list.map((smtp) => ({ smtp, type: 'to' as const })), transportHeaders: `${extra(list)}From: a@corp.example\r\nTo: ${list[0]}\r\nSubject: x\r\n` }));
    const result = JSON.parse((await runCli(['check', file, '--format', 'json', ...POLICY])).stdout).results[0];
    expect(result.verdict).toBe('block');
    expect(result.recipients.externalAddresses).toBe(6);
  });

  it('an Outlook .msg whose transport header shows every recipient of its table (in To and Cc, any case) is read by the header', async () => {
    const file = path.join(tmp, 'whole-header.msg');
    const list = customers('wh');
    // The table has all six as To; only the header puts three in Cc, so the fields say which was read.
    writeFileSync(file, outlookMsg({ subject: 'x', recipients: list.map((smtp) => ({ smtp, type: 'to' as const })), transportHeaders: `From: a@corp.example\r\nTo: ${list.slice(0, 3).join(', ')}\r\nCc: ${list.slice(3).map((a) => a.toUpperCase()).join(',\r\n ')}\r\nSubject: header wins\r\nX-Marker: from-the-header\r\n` }));
    const result = JSON.parse((await runCli(['check', file, '--format', 'json', ...POLICY])).stdout).results[0];
    expect(result.verdict).toBe('block');
    expect(result.recipients.visible.map((r: { field: string }) => r.field).sort()).toEqual(['cc', 'cc', 'cc', 'to', 'to', 'to']);
  });

  it('an Outlook .msg whose transport header shows the others in Apparently-To (a visible field) is read by the header', async () => {
    const file = path.join(tmp, 'apparently-to.msg');
    const list = customers('ap');
    writeFileSync(file, outlookMsg({ subject: 'x', recipients: list.map((smtp) => ({ smtp, type: 'to' as const })), transportHeaders: `From: a@corp.example\r\nTo: ${list[0]}\r\nApparently-To: ${list.slice(1).join(', ')}\r\nSubject: x\r\n` }));
    const result = JSON.parse((await runCli(['check', file, '--format', 'json', ...POLICY])).stdout).results[0];
    expect(result.verdict).toBe('block');
    expect(result.recipients.visible.map((r: { field: string }) => r.field).sort()).toEqual(['apparently-to', 'apparently-to', 'apparently-to', 'apparently-to', 'apparently-to', 'to']);
  });

  it('an Outlook .msg whose table holds an Exchange-only name (no SMTP address) keeps its transport header', async () => {
    const file = path.join(tmp, 'exchange.msg');
    writeFileSync(file, outlookMsg({ subject: 'x', recipients: [{ smtp: '/O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=BOB', type: 'to' }, { smtp: 'ann@corp.example', type: 'cc' }], transportHeaders: 'From: a@corp.example\r\nTo: Bob <bob@corp.example>\r\nCc: ann@corp.example\r\nSubject: x\r\n' }));
    const result = JSON.parse((await runCli(['check', file, '--format', 'json', ...POLICY])).stdout).results[0];
    expect(result.verdict).toBe('pass');
    expect(result.recipients.visible.map((v: { address: string }) => v.address)).toEqual(['bob@corp.example', 'ann@corp.example']);
  });

  it('an Outlook .msg with recipient types other than To, Cc, Bcc (0, a resend\'s 0x10000001) reads them as To, next to other inputs', async () => {
    const file = path.join(tmp, 'types.msg');
    const list = customers('ty');
    writeFileSync(file, outlookMsg({ subject: 'x', senderSmtp: 'a@corp.example', recipients: list.map((smtp, i) => ({ smtp, type: i % 2 === 0 ? 0 : 0x10000001 })) }));
    const other = path.join(tmp, 'types-other.eml');
    writeFileSync(other, 'From: a@corp.example\r\nTo: b@corp.example\r\nSubject: x\r\n\r\nhi\r\n');
    const r = await runCli(['check', file, other, '--format', 'json', ...POLICY]);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { verdict: string }) => x.verdict)).toEqual(['block', 'pass']);
    expect(doc.results[0].recipients.externalAddresses).toBe(list.length);
  });

  it('an Outlook .msg draft is checked whole: a list in its text, HTML or attachment is found; --no-body-scan reads only its header', async () => {
    const book = buildXlsx([{ name: 'Hidden', state: 'hidden', rows: addresses(40).map((a) => [a]) }]);
    const one = [{ smtp: 'hr@corp.example', type: 'to' as const }];
    // A transport header with its own MIME fields (a received item): they describe a body the item no longer has.
    const mimeHeader = 'From: a@corp.example\r\nTo: hr@corp.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="old"\r\nContent-Transfer-Encoding: 7bit\r\n';
    const cases: Array<[string, Parameters<typeof outlookMsg>[0], string, string[]]> = [
      ['text', { subject: 'x', senderSmtp: 'a@corp.example', recipients: one, body: `Applicants:\r\n${addresses(15, 'app').join('\r\n')}` }, 'warn', ['ADDRESS_LIST_IN_BODY']],
      ['html', { subject: 'x', senderSmtp: 'a@corp.example', recipients: one, transportHeaders: mimeHeader, html: `<ul>${addresses(12, 'h').map((a) => `<li>${a}</li>`).join('')}</ul>` }, 'warn', ['ADDRESS_LIST_IN_BODY']],
      ['attachment', { subject: 'x', senderSmtp: 'a@corp.example', recipients: one, body: 'See attached.', attachments: [{ name: 'applicants "final".xlsx', data: book }] }, 'block', ['ADDRESS_LIST_IN_ATTACHMENT']],
    ];
    for (const [name, item, verdict, codes] of cases) {
      const file = path.join(tmp, `draft-${name}.msg`);
      writeFileSync(file, outlookMsg(item));
      const result = JSON.parse((await runCli(['check', file, '--format', 'json', ...POLICY])).stdout).results[0];
      expect([name, result.verdict, result.findings.map((f: { code: string }) => f.code)]).toEqual([name, verdict, codes]);
      const headerOnly = JSON.parse((await runCli(['check', file, '--no-body-scan', '--format', 'json', ...POLICY])).stdout).results[0];
      expect([name, headerOnly.verdict]).toEqual([name, 'pass']);
    }
    // What is read is a rendering of the item: send and fix refuse it rather than send or write that.
    const item = path.join(tmp, 'draft-text.msg');
    const sent = await runCli(['send', item, '--smtp', 'smtp://127.0.0.1:9', ...POLICY]);
    expect([sent.code, sent.stdout]).toEqual([2, expect.stringContaining('an Outlook .msg is checked here, not composed for sending')]);
    const fixed = await runCli(['fix', item, '-o', path.join(tmp, 'fixed-msg'), ...POLICY]);
    expect([fixed.code, fixed.stdout + fixed.stderr]).toEqual([2, expect.stringContaining('an Outlook .msg is checked, not rewritten')]);
  });

  it('--input forces a format for every input: a PNG read as a message is an error, not "not read"', async () => {
    const r = await runCli(['check', path.join(dir, 'drafts'), '--input', 'eml', '--format', 'json', ...POLICY]);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.notRead).toBe(0);
    expect(doc.summary.error).toBeGreaterThan(0);
  });
});
