// Plain-text messages (one text/plain part, or no Content-Type) that write a file into their text
// as uuencode or yEnc, which Outlook and Thunderbird show as an attachment, and plain ones that
// do not: for the audit's tests over files, mbox, Maildir and IMAP.
import { uuencode } from './uuencode.js';

const LIST = Array.from({ length: 12 }, (_, i) => `Person ${i + 1},p${i + 1}@org${i + 1}.example`).join('\n');
const VCARDS = Array.from({ length: 12 }, (_, i) => `BEGIN:VCARD\nVERSION:3.0\nFN:Person ${i + 1}\nEMAIL:p${i + 1}@org${i + 1}.example\nEND:VCARD`).join('\n');

function head(n: number, fields: string): string {
  return `From: anna@corp.example\nTo: bob@partner.example\nSubject: plain ${n}\nDate: Fri, 4 Dec 2026 12:00:00 +0000\nMessage-ID: <plain${n}@corp.example>\n${fields}`;
}

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
const uu = (text: string, name: string) => uuencode(Buffer.from(`${text}\n`), name);
const body = (file: string) => `Hello Bob,\n\nthe list is below.\n\n${file}\nAnna\n`;

/** [name, bytes, what check and audit find: the file as an attachment, not scanned (yEnc), or nothing]. */
export const ENCODED_FILE_MESSAGES: Array<[string, Buffer, 'attachment' | 'not-scanned' | 'clean']> = [
  ['a-no-content-type', Buffer.from(`${head(1, '')}\n${body(uu(LIST, 'list.csv'))}`), 'attachment'],
  ['b-text-plain-crlf', Buffer.from(crlf(`${head(2, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n')}\n${body(uu(LIST, 'list.csv'))}`)), 'attachment'],
  ['c-base64', Buffer.from(`${head(3, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n')}\n${Buffer.from(body(uu(LIST, 'list.csv'))).toString('base64').replace(/.{76}/g, '$&\n')}\n`), 'attachment'],
  ['d-quoted-printable', Buffer.from(`${head(4, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n')}\n${body(uu(LIST, 'list.csv').replace(/=/g, '=3D'))}`), 'attachment'],
  ['e-utf-16', Buffer.from(`${head(5, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-16le\nContent-Transfer-Encoding: base64\n')}\n${Buffer.from(body(uu(LIST, 'list.csv')), 'utf16le').toString('base64').replace(/.{76}/g, '$&\n')}\n`), 'attachment'],
  ['f-vcards', Buffer.from(`${head(6, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n')}\n${body(uu(VCARDS, 'contacts.vcf'))}`), 'attachment'],
  ['g-yenc', Buffer.from(`${head(7, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n')}\n${body('=ybegin line=128 size=400 name=list.csv\nAAAA\n=yend size=400\n')}`), 'not-scanned'],
  ['h-begin-in-a-line', Buffer.from(`${head(8, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n')}\n${body(`Let us begin 644 tasks\n${LIST.replace(/@/g, ' at ')}`)}`), 'clean'],
  ['i-plain', Buffer.from(`${head(9, '')}\nHello Bob, see you tomorrow.\n`), 'clean'],
];
