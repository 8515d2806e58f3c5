// Calendar invitations for the bare-CR tests: an invitation whose attendees every invitee is
// shown, and what a reader that breaks lines at LF only (mailparser) shows of it.
import { simpleParser } from 'mailparser';

/** `n` ATTENDEE lines, each at its own organisation unless `domain` says otherwise. */
export const attendees = (n: number, domain = (i: number) => `org${i}.test`): string =>
  Array.from({ length: n }, (_, k) => `ATTENDEE;CN=P${k};RSVP=TRUE:mailto:p${k}@${domain(k)}\n`).join('');

/** A REQUEST calendar, seven external attendees by default. */
export const ICS = (list = attendees(7)): string =>
  `BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:1@corp.example\nDTSTART:20261210T100000Z\nSUMMARY:Meet\nORGANIZER:mailto:s@corp.example\n${list}END:VEVENT\nEND:VCALENDAR\n`;

/** The header of a message from s@corp.example to x@corp.example whose body is a multipart with boundary B. */
export const multipartHeader = (type = 'multipart/mixed'): string => `From: s@corp.example\nTo: x@corp.example\nSubject: meeting\nMIME-Version: 1.0\nContent-Type: ${type}; boundary="B"\n\n`;

/** The invitation in the second part; `cut` stands between the first part's text and a close
 * delimiter (a bare CR makes that a line of its own for mailguard; a space keeps it text for all). */
export const closedEarly = (type: string, cut: string, list = attendees(7)): string =>
  `${multipartHeader(type)}--B\nContent-Type: text/plain\n\nYou are invited.${cut}--B--\r\n--B\nContent-Type: text/calendar; method=REQUEST\n\n${ICS(list)}--B--\n`;

export const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

/** The attendees mailparser shows in the message's calendar parts: the external ones (at orgN.test), or those at `domain`. */
export async function attendeesMailparserShows(message: string | Buffer, domain = /org\d+\.test/): Promise<number> {
  const parsed = await simpleParser(typeof message === 'string' ? Buffer.from(message, 'latin1') : message);
  const line = new RegExp(`^ATTENDEE.*@${domain.source}`, 'gm');
  return parsed.attachments.filter((a) => /calendar/i.test(a.contentType)).reduce((n, a) => n + (a.content.toString('utf8').match(line)?.length ?? 0), 0);
}
