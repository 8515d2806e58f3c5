// A calendar whose lines end in a bare CR (a CR no LF follows): ical.js, which the attachment scan
// parses invitations with, breaks lines at LF only, so a calendar written with CR line ends failed
// to parse (ATTACHMENT_NOT_SCANNED, info: the message passed), and attendees joined by a bare CR
// read as one. The SMTP relay's client delivers each bare CR as CRLF, and readers that break lines
// at a CR read it so: the invitation every invitee sees showed all its external attendees. A
// calendar with a bare CR is now read both ways, and what either reading shows counts, once.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { decideDelivery } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';
import { attendees, ICS, multipartHeader } from '../helpers/invitation.js';

const require = createRequire(import.meta.url);
const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const ENVELOPE = { mailFrom: 's@corp.example', rcptTo: ['x@corp.example'] };

const HEADER = multipartHeader();
const invitation = (ics: string, partHeader = 'Content-Type: text/calendar; method=REQUEST') => `${HEADER}--B\nContent-Type: text/plain\n\nYou are invited.\n--B\n${partHeader}\n\n${ics}\n--B--\n`;
const crLines = (ics: string) => ics.replace(/\n/g, '\r');

/** External attendees of the calendar as the relay delivers it (every bare CR a CRLF), read by ical.js. */
function attendeesDelivered(ics: string): number {
  const ical = require('ical.js') as { parse(t: string): unknown; Component: new (j: unknown) => { getFirstSubcomponent(n: string): { getAllProperties(n: string): unknown[] } } };
  const root = new ical.Component(ical.parse(ics.replace(/\r(?!\n)/g, '\r\n')));
  return root.getFirstSubcomponent('vevent').getAllProperties('attendee').length;
}

const check = (message: string) => checkMessage(Buffer.from(message, 'latin1'), policy);
const codes = (message: string) => check(message).findings.map((f) => f.code);
const decided = (message: string) => decideDelivery(Buffer.from(message, 'latin1'), policy, { onViolation: 'block', envelope: ENVELOPE }).action;

describe('a calendar with bare-CR line ends is read as the relay delivers it', () => {
  it.each([
    ['every line ends in a bare CR (classic Mac OS)', crLines(ICS())],
    ['the attendees joined by bare CRs', ICS(attendees(7).replace(/\n/g, '\r'))],
    ['CR line ends, sent as an .ics file', crLines(ICS()), 'Content-Type: application/octet-stream; name=invite.ics\nContent-Disposition: attachment; filename=invite.ics'],
    ['CR line ends in base64', Buffer.from(crLines(ICS())).toString('base64'), 'Content-Type: text/calendar; method=REQUEST\nContent-Transfer-Encoding: base64'],
  ])('%s: the attendees are found, and block', (_name, ics, partHeader?: string) => {
    const raw = partHeader?.includes('base64') ? Buffer.from(ics, 'base64').toString('latin1') : ics;
    expect(attendeesDelivered(raw)).toBe(7);
    const message = invitation(ics, partHeader);
    expect(codes(message)).toContain('EXPOSED_ATTENDEES');
    expect(decided(message)).toBe('block');
  });
});

describe('controls', () => {
  it('a CR-line invitation to colleagues passes', () => {
    expect(check(invitation(crLines(ICS(attendees(7, () => 'corp.example'))))).verdict).toBe('pass');
  });

  it('an invitation whose description holds a bare CR is reported once', () => {
    const ics = ICS().replace('SUMMARY:Meet\n', 'SUMMARY:Meet\nDESCRIPTION:agenda\r1. budget\n');
    expect(codes(invitation(ics))).toEqual(['EXPOSED_ATTENDEES']);
  });

  it('an invitation without a bare CR reads as before', () => {
    const plain = invitation(ICS());
    expect(codes(plain)).toEqual(['EXPOSED_ATTENDEES']);
    expect(check(plain.replace(/\n/g, '\r\n')).findings).toEqual(check(plain).findings);
  });

  it('a calendar that does not parse either way is still reported as not scanned', () => {
    const broken = invitation('BEGIN:VCALENDAR\rATTENDEE;CN="unclosed:mailto:a@org1.test\r');
    expect(check(broken).findings.map((f) => f.code)).toContain('ATTACHMENT_NOT_SCANNED');
  });
});
