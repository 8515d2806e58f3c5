// A bare CR (a CR no LF follows) inside a MIME part's header: mailguard's reader ends the line, and
// two of them the part's header, where readers that break lines at LF only (mailparser) and an MTA
// that keeps the byte (Postfix: the milter path, a sendmail binary; check and audit of stored mail)
// take it as a byte of its line. `Content-Type: text/calendar; method=REQUEST\r\rX: y` was a
// calendar whose header ended at the CRs here, so the calendar failed to parse and was reported
// only as ATTACHMENT_NOT_SCANNED (info): the message passed while mailparser shows the invitation
// with all its external attendees. Where a MIME body holds a bare CR it is now read both ways
// (part headers and boundary lines alike), and what either reading shows counts, once.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { decideDelivery } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';
import { attendees, attendeesMailparserShows, crlf, ICS } from '../helpers/invitation.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const ENVELOPE = { mailFrom: 's@corp.example', rcptTo: ['x@corp.example'] };

const LIST = `${Array.from({ length: 12 }, (_, k) => `p${k}@org${k}.test`).join(', ')}\n`;
const HEADER = (type = 'multipart/mixed; boundary="B"') => `From: s@corp.example\nTo: x@corp.example\nSubject: meeting\nMIME-Version: 1.0\nContent-Type: ${type}\n\n`;
/** A message whose second part has `partHeader` and `content`. */
const withPart = (partHeader: string, content: string) => `${HEADER()}--B\nContent-Type: text/plain\n\nYou are invited.\n--B\n${partHeader}\n\n${content}--B--\n`;
const CALENDAR = 'Content-Type: text/calendar; method=REQUEST';

/** What mailparser (lines broken at LF only) shows: external attendees in calendar parts, external addresses in its text. */
async function mailparserShows(message: string): Promise<{ attendees: number; textAddresses: number }> {
  const parsed = await simpleParser(Buffer.from(message, 'latin1'));
  return { attendees: await attendeesMailparserShows(message), textAddresses: (parsed.text ?? '').match(/p\d+@org\d+\.test/g)?.length ?? 0 };
}

const check = (message: string) => checkMessage(Buffer.from(message, 'latin1'), policy);
const codes = (message: string) => check(message).findings.map((f) => f.code);
const decided = (message: string) => decideDelivery(Buffer.from(message, 'latin1'), policy, { onViolation: 'block', envelope: ENVELOPE }).action;

describe('an invitation whose part header holds a bare CR is read as LF-only readers read it', () => {
  it.each([
    ['two bare CRs after the Content-Type (LF message)', withPart(`${CALENDAR}\r\rX: y`, ICS())],
    ['two bare CRs after the Content-Type (CRLF message)', crlf(withPart(`${CALENDAR}\r\rX: y`, ICS()))],
    ['a field before the Content-Type, two bare CRs after it', withPart(`Content-Disposition: inline\nContent-Type: text/calendar;\r\r method=REQUEST`, ICS())],
    ['a bare CR at the start of the Content-Type line', withPart(`X-A: b\n\r${CALENDAR}`, ICS())],
    ['bare CRs and a space at the start of the Content-Type line', withPart(`X-A: b\n\r\r ${CALENDAR}`, ICS())],
    ['the only part of the multipart', `${HEADER()}--B\n${CALENDAR}\r\rX: y\n\n${ICS()}--B--\n`],
    ['a nested multipart/alternative whose own header holds them', `${HEADER()}--B\nContent-Type: multipart/alternative; boundary="C"\r\rX: y\n\n--C\nContent-Type: text/plain\n\nhi\n--C\n${CALENDAR}\r\rX: y\n\n${ICS()}--C--\n--B--\n`],
    ['the calendar in base64, its encoding after the bare CRs', withPart(`${CALENDAR}\r\rX: y\nContent-Transfer-Encoding: base64`, `${Buffer.from(ICS()).toString('base64')}\n`)],
  ])('%s: the attendees a reader sees are found, and block', async (_name, message) => {
    expect((await mailparserShows(message)).attendees).toBe(7);
    expect(codes(message)).toContain('EXPOSED_ATTENDEES');
    expect(decided(message)).toBe('block');
  });

  it('an invitation inside a forwarded message, its part header with bare CRs, blocks', () => {
    const inner = `From: a@corp.example\nTo: x@corp.example\nSubject: fw\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="I"\n\n--I\n${CALENDAR}\r\rX: y\n\n${ICS()}--I--\n`;
    expect(codes(withPart('Content-Type: message/rfc822', inner))).toContain('EXPOSED_ATTENDEES');
    // Encoded (as Python's email package and mailguard decode it), the bare CR shows only once decoded.
    expect(codes(withPart('Content-Type: message/rfc822\nContent-Transfer-Encoding: base64', `${Buffer.from(inner).toString('base64')}\n`))).toContain('EXPOSED_ATTENDEES');
  });
});

describe('a list whose part header holds a bare CR is read as LF-only readers read it', () => {
  it.each([
    ['the Content-Type after two bare CRs: a base64 text/plain to mailparser', withPart('X-A: b\r\rContent-Type: text/csv\nContent-Transfer-Encoding: base64', `${Buffer.from(LIST).toString('base64')}\n`)],
    ['text/plain in base64, its encoding after the bare CRs', withPart('Content-Type: text/plain; charset=utf-8\r\rX: y\nContent-Transfer-Encoding: base64', `${Buffer.from(LIST).toString('base64')}\n`)],
  ])('%s: the list is found', async (_name, message) => {
    expect((await mailparserShows(message)).textAddresses).toBe(12);
    expect(codes(message)).toContain('ADDRESS_LIST_IN_BODY');
    expect(check(message).verdict).not.toBe('pass');
  });
});

describe('controls', () => {
  it('an invitation to colleagues with the same bare CRs passes', () => {
    const internal = withPart(`${CALENDAR}\r\rX: y`, ICS(attendees(7, () => 'corp.example')));
    expect(check(internal).verdict).toBe('pass');
    expect(decided(internal)).toBe('send');
  });

  it('an invitation without a bare CR is read as before: the same findings, once', () => {
    const plain = withPart(CALENDAR, ICS());
    expect(check(plain).findings.map((f) => f.code)).toEqual(['EXPOSED_ATTENDEES']);
    expect(check(crlf(plain)).findings).toEqual(check(plain).findings);
  });

  it('a finding both readings make is reported once', () => {
    // A bare CR in text makes the second reading; the invitation and the list read the same in both.
    const message = `${HEADER()}--B\nContent-Type: text/plain\n\nprogress 10%\rprogress 100%\n${LIST}--B\n${CALENDAR}\n\n${ICS()}--B--\n`;
    expect(codes(message).sort()).toEqual(['ADDRESS_LIST_IN_BODY', 'EXPOSED_ATTENDEES']);
  });

  it('a list in text with bare-CR line ends is found once', () => {
    const message = withPart('Content-Type: text/csv; name=list.csv', `name,mail\r${LIST.replace(/, /g, '\r')}`);
    expect(codes(message)).toEqual(['ADDRESS_LIST_IN_BODY']);
  });

  it('a newsletter with one To and a bare CR in its HTML passes', () => {
    const message = crlf(`${HEADER('multipart/alternative; boundary="B"')}--B\nContent-Type: text/plain; charset=utf-8\n\nNews of the week\rcontact: news@corp.example\n--B\nContent-Type: text/html; charset=utf-8\n\n<p>News\r of the week</p>\n--B--\n`);
    expect(check(message).verdict).toBe('pass');
    expect(check(message).findings).toEqual([]);
  });
});
