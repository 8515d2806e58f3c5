// A bare CR is a line break to mailguard's MIME reader (and to Python's email package, and to the
// SMTP relay's client, which sends it as CRLF), but a byte of its line to readers that break lines
// at LF only (mailparser) and to an MTA that keeps it (Postfix delivers it as it came, so through
// the milter or a sendmail binary it reaches those readers). A boundary line beside a bare CR was
// read one way only: a close delimiter after one ended the multipart for the check, and the
// invitation after it, showing seven external attendees to every invitee, was a clean message
// (pass, send). The parts as an LF-only reader splits them are read too now.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { decideDelivery } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';
import { attendees, attendeesMailparserShows, closedEarly, crlf, multipartHeader } from '../helpers/invitation.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const ENVELOPE = { mailFrom: 's@corp.example', rcptTo: ['x@corp.example'] };

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
    const internal = closedEarly('multipart/mixed', '\r', attendees(7, () => 'corp.example'));
    expect(check(internal).verdict).toBe('pass');
  });

  it('a bare CR in text away from any boundary changes nothing: the same findings as without it', () => {
    const withCr = `${multipartHeader()}--B\nContent-Type: text/plain\n\nprogress 10%\rprogress 100%\n--B\nContent-Type: text/plain\n\nsecond\n--B--\n`;
    expect(check(withCr).verdict).toBe('pass');
    expect(check(withCr).findings).toEqual(check(withCr.replace('\r', '\n')).findings);
  });

  it('a message whose close delimiter sits at the end of a bare-CR line still reads as one split', () => {
    const message = `${multipartHeader()}--B\nContent-Type: text/plain\n\nhello\n--B--\r`;
    expect(check(message).verdict).toBe('pass');
  });
});
