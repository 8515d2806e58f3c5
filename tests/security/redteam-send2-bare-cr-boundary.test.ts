// A bare CR is a line break to mailguard's MIME reader (and to Python's email package, and to the
// SMTP relay's client, which sends it as CRLF), but a byte of its line to readers that break lines
// at LF only (mailparser) and to an MTA that keeps it (Postfix delivers it as it came, so through
// the milter or a sendmail binary it reaches those readers). A boundary line beside a bare CR was
// read one way only: a close delimiter after one ended the multipart for the check, and the
// invitation after it, showing seven external attendees to every invitee, was a clean message
// (pass, send). The parts as an LF-only reader splits them are read too now.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { decideDelivery } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const ENVELOPE = { mailFrom: 's@corp.example', rcptTo: ['x@corp.example'] };

const attendees = (from: number, to: number, domain = (i: number) => `org${i}.test`) =>
  Array.from({ length: to - from }, (_, k) => `ATTENDEE;CN=P${from + k};RSVP=TRUE:mailto:p${from + k}@${domain(from + k)}\n`).join('');
const ICS = (list: string) => `BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:1@corp.example\nDTSTART:20261210T100000Z\nSUMMARY:Meet\nORGANIZER:mailto:s@corp.example\n${list}END:VEVENT\nEND:VCALENDAR\n`;
const HEADER = (type: string) => `From: s@corp.example\nTo: x@corp.example\nSubject: meeting\nMIME-Version: 1.0\nContent-Type: ${type}; boundary="B"\n\n`;

/** The invitation in the second part; `cut` stands between the first part's text and a close delimiter. */
const closedEarly = (type: string, cut: string, list = attendees(0, 7)) =>
  `${HEADER(type)}--B\nContent-Type: text/plain\n\nYou are invited.${cut}--B--\r\n--B\nContent-Type: text/calendar; method=REQUEST\n\n${ICS(list)}--B--\n`;
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

/** The external attendees a reader that breaks lines at LF only is shown (mailparser). */
async function attendeesMailparserShows(message: string): Promise<number> {
  const parsed = await simpleParser(Buffer.from(message, 'latin1'));
  return parsed.attachments.filter((a) => /calendar/i.test(a.contentType)).reduce((n, a) => n + (a.content.toString('utf8').match(/^ATTENDEE.*@org\d+\.test/gm)?.length ?? 0), 0);
}

const check = (message: string) => checkMessage(Buffer.from(message, 'latin1'), policy);
const codes = (message: string) => check(message).findings.map((f) => f.code);

describe('a boundary beside a bare CR is read as both kinds of reader read it', () => {
  it.each([
    ['LF message, multipart/mixed: a close delimiter after a bare CR', closedEarly('multipart/mixed', '\r')],
    ['CRLF message, multipart/mixed: a close delimiter after a bare CR', crlf(closedEarly('multipart/mixed', '\r'))],
    ['Outlook-style multipart/alternative: a close delimiter after a bare CR', closedEarly('multipart/alternative', '\r')],
    ['two bare CRs before the close delimiter', closedEarly('multipart/mixed', '\r\r')],
  ])('%s: the invitation a reader sees is found, and blocks', async (_name, message) => {
    // The differential: an LF-only reader shows the invitation with its seven external attendees.
    expect(await attendeesMailparserShows(message)).toBe(7);
    expect(codes(message)).toContain('EXPOSED_ATTENDEES');
    const d = decideDelivery(Buffer.from(message, 'latin1'), policy, { onViolation: 'block', envelope: ENVELOPE });
    expect(d.action).toBe('block');
  });
});

describe('controls', () => {
  it('the same invitation without the trick is blocked, as before', () => {
    expect(codes(closedEarly('multipart/mixed', ' '))).toContain('EXPOSED_ATTENDEES');
  });

  it('an invitation to colleagues with a bare CR beside the boundary passes', () => {
    const internal = closedEarly('multipart/mixed', '\r', attendees(0, 7, () => 'corp.example'));
    expect(check(internal).verdict).toBe('pass');
  });

  it('a bare CR in text away from any boundary changes nothing: the same findings as without it', () => {
    const withCr = `${HEADER('multipart/mixed')}--B\nContent-Type: text/plain\n\nprogress 10%\rprogress 100%\n--B\nContent-Type: text/plain\n\nsecond\n--B--\n`;
    expect(check(withCr).verdict).toBe('pass');
    expect(check(withCr).findings).toEqual(check(withCr.replace('\r', '\n')).findings);
  });

  it('a message whose close delimiter sits at the end of a bare-CR line still reads as one split', () => {
    const message = `${HEADER('multipart/mixed')}--B\nContent-Type: text/plain\n\nhello\n--B--\r`;
    expect(check(message).verdict).toBe('pass');
  });
});
