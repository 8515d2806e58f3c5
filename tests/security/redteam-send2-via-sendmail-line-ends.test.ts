// The drop-in sendmail with "viaSendmail" handed the real sendmail the decided bytes as they were,
// bare CRs included. mailguard reads a bare CR as a line break (as the SMTP relay's client does,
// which turns it into CRLF); a reader that breaks lines at LF only (mailparser, and any MTA or
// client that keeps the CR as a byte of the line) does not. A bare CR before a MIME boundary
// therefore ended the multipart for mailguard and not for that reader: an invitation that shows
// seven external attendees to every invitee, in the part after it, was delivered (status 0)
// while every other path blocks it. What the real sendmail is handed now has the line breaks
// mailguard read, written as LF (sendmail's own convention): one reading for every reader.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { runSendmail, scratchDir, writeRecordingSendmail } from '../sendmail/run-sendmail.js';
import { attendees, attendeesMailparserShows, closedEarly, crlf } from '../helpers/invitation.js';

const POLICY = { internalDomains: ['corp.example'] };

let scratch: { dir: string; cleanup: () => Promise<void> } | undefined;
afterEach(async () => {
  await scratch?.cleanup();
  scratch = undefined;
});

/** A scratch directory whose system configuration delivers through a recording sendmail. */
async function viaRecordingSendmail(): Promise<{ dir: string; message: string }> {
  scratch = await scratchDir(POLICY);
  const fake = await writeRecordingSendmail(scratch.dir);
  await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, sendmail: { viaSendmail: fake.path } }));
  return { dir: scratch.dir, message: fake.message };
}

const CRLF_REPORT = 'From: s@corp.example\r\nTo: a@x1.test, b@corp.example\r\nSubject: report\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <r1@corp.example>\r\n\r\nline 1\r\n.\r\nline 3\r\n';
const PROGRESS_LOG = 'From: s@corp.example\nTo: a@x1.test\nSubject: log\nDate: Mon, 7 Dec 2026 10:00:00 +0000\nMessage-ID: <r2@corp.example>\n\nprogress 10%\rprogress 100%\n';

/** SMTP on stdin (-bs): one transaction carrying `message`. */
function bsSession(message: string): string {
  const data = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  return `EHLO app.corp.example\r\nMAIL FROM:<s@corp.example>\r\nRCPT TO:<x@corp.example>\r\nDATA\r\n${data}.\r\nQUIT\r\n`;
}

describe('viaSendmail: the real sendmail is handed the line breaks mailguard read', () => {
  // Each hides the invitation from mailguard with a bare CR before a boundary line.
  it.each([
    ['LF message, multipart/mixed, a bare CR before the closing boundary', closedEarly('multipart/mixed', '\r')],
    ['CRLF message, multipart/mixed, a bare CR before the closing boundary', crlf(closedEarly('multipart/mixed', '\r'))],
    ['an Outlook-style multipart/alternative invitation, a bare CR before the closing boundary', closedEarly('multipart/alternative', '\r')],
    ['two bare CRs before the closing boundary', closedEarly('multipart/mixed', '\r\r')],
  ])('%s: not delivered with the list, or delivered so that no reader sees it', async (_name, message) => {
    const via = await viaRecordingSendmail();
    const r = await runSendmail(['-t', '-i'], { input: message, cwd: via.dir });
    if (r.code === 0) {
      const handed = await readFile(via.message);
      expect(await attendeesMailparserShows(handed)).toBe(0);
      expect(handed.includes(0x0d)).toBe(false);
    } else {
      expect(r.code).toBe(65);
      await expect(readFile(via.message)).rejects.toThrow();
    }
  });

  it('-bs: a transaction whose data hides the invitation behind a bare CR is handed over the same way', async () => {
    const via = await viaRecordingSendmail();
    const r = await runSendmail(['-bs'], { input: bsSession(closedEarly('multipart/mixed', '\r')), cwd: via.dir });
    const reply = /^(\d{3}) .*$/m.exec(r.stdout.split('354 ')[1] ?? '')?.[1];
    if (reply === '250') {
      const handed = await readFile(via.message);
      expect(await attendeesMailparserShows(handed)).toBe(0);
      expect(handed.includes(0x0d)).toBe(false);
    } else {
      expect(reply).toBe('554');
      await expect(readFile(via.message)).rejects.toThrow();
    }
  });
});

describe('controls: mail without the trick keeps its verdict and its content', () => {
  it('the same invitation without the bare CR is blocked (65) and nothing is handed over', async () => {
    const via = await viaRecordingSendmail();
    const r = await runSendmail(['-t', '-i'], { input: closedEarly('multipart/mixed', ' '), cwd: via.dir });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('EXPOSED_ATTENDEES');
    await expect(readFile(via.message)).rejects.toThrow();
  });

  it('an invitation to two colleagues is delivered, its calendar part whole', async () => {
    const via = await viaRecordingSendmail();
    const internal = closedEarly('multipart/mixed', ' ', attendees(7, () => 'corp.example'));
    const r = await runSendmail(['-t', '-i'], { input: crlf(internal), cwd: via.dir });
    expect(r.code).toBe(0);
    const handed = await readFile(via.message);
    expect(await attendeesMailparserShows(handed, /corp\.example/)).toBe(7);
  });

  it('a CRLF message is delivered with its fields and lines as written', async () => {
    const via = await viaRecordingSendmail();
    const r = await runSendmail(['-t', '-i'], { input: CRLF_REPORT, cwd: via.dir });
    expect(r.code).toBe(0);
    const handed = await simpleParser(await readFile(via.message));
    expect(handed.subject).toBe('report');
    expect(handed.messageId).toBe('<r1@corp.example>');
    expect(handed.text).toBe('line 1\n.\nline 3\n');
  });

  it('a bare CR in plain text is delivered', async () => {
    const via = await viaRecordingSendmail();
    const r = await runSendmail(['-t', '-i'], { input: PROGRESS_LOG, cwd: via.dir });
    expect(r.code).toBe(0);
    expect((await simpleParser(await readFile(via.message))).subject).toBe('log');
  });
});

describe('the rule: every line break mailguard read is one LF in what the real sendmail is handed', () => {
  it('CRLF line ends become LF, field for field and line for line', async () => {
    const via = await viaRecordingSendmail();
    expect((await runSendmail(['-t', '-i'], { input: CRLF_REPORT, cwd: via.dir })).code).toBe(0);
    expect(await readFile(via.message, 'latin1')).toBe(CRLF_REPORT.replace(/\r\n/g, '\n'));
  });

  it('a bare CR becomes the line break mailguard and the SMTP relay read there', async () => {
    const via = await viaRecordingSendmail();
    expect((await runSendmail(['-t', '-i'], { input: PROGRESS_LOG, cwd: via.dir })).code).toBe(0);
    expect(await readFile(via.message, 'latin1')).toBe(PROGRESS_LOG.replace('\r', '\n'));
  });
});
