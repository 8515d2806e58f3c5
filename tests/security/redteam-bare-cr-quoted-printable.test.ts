// A quoted-printable soft line break written with a bare CR (`=` then a CR no LF follows): the
// body reader joined lines only at `=` before an LF or CRLF, so `p1@org1.=\rtest` read as no
// address and a list of twelve external addresses written so passed (check PASS, send). The SMTP
// relay's client (nodemailer's data stream) sends each bare CR as CRLF, and the sendmail path hands
// it over as LF: every reader of the delivered mail (mailparser here) sees a soft line break there
// and shows every address. A bare CR after "=" now ends a soft line break's line too.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });

const list = (split: (k: number) => string, n = 12) => Array.from({ length: n }, (_, k) => split(k)).join(', ');
const atDot = (k: number) => `p${k}@org${k}.=\rtest`;
const atAt = (k: number) => `p${k}@=\rorg${k}.test`;
const HEADER = (type: string) => `From: s@corp.example\nTo: x@corp.example\nSubject: list\nMIME-Version: 1.0\nContent-Type: ${type}\nContent-Transfer-Encoding: quoted-printable\n\n`;
const single = (type: string, text: string) => `${HEADER(type)}${text}\n`;
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

/** The external addresses mailparser shows in the text, the HTML or an attachment of the message
 * as the relay delivers it (each bare CR a CRLF, as nodemailer's SMTP data stream writes it). */
async function mailparserShows(message: string): Promise<number> {
  const p = await simpleParser(Buffer.from(message.replace(/\r(?!\n)/g, '\r\n'), 'latin1'));
  const all = [p.text ?? '', typeof p.html === 'string' ? p.html : '', ...p.attachments.map((a) => a.content.toString('utf8'))].join('\n');
  return new Set(all.match(/p\d+@org\d+\.test/g) ?? []).size;
}
const check = (message: string) => checkMessage(Buffer.from(message, 'latin1'), policy);
const codes = (message: string) => check(message).findings.map((f) => f.code);

describe('a soft line break with a bare CR joins its lines', () => {
  it.each([
    ['text/plain, broken before the top-level domain', single('text/plain; charset=utf-8', list(atDot))],
    ['text/plain, broken after the at', single('text/plain; charset=utf-8', list(atAt))],
    ['text/plain in a CRLF message', crlf(single('text/plain; charset=utf-8', list(atDot)))],
    ['text/plain, white space between the = and the CR', single('text/plain', list((k) => `p${k}@org${k}.=  \rtest`))],
    ['text/html', single('text/html; charset=utf-8', `<p>${list(atAt)}</p>`)],
  ])('%s: the list is found', async (_name, message) => {
    expect(await mailparserShows(message)).toBe(12);
    expect(codes(message)).toContain('ADDRESS_LIST_IN_BODY');
    expect(check(message).verdict).toBe('warn');
  });

  it('a CSV attachment in quoted-printable: the list is found', async () => {
    const message = `From: s@corp.example\nTo: x@corp.example\nSubject: list\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nsee the file\n--B\nContent-Type: text/csv; name=list.csv\nContent-Transfer-Encoding: quoted-printable\n\n${list(atDot).replace(/, /g, '\n')}\n--B--\n`;
    expect(await mailparserShows(message)).toBe(12);
    expect(codes(message)).toContain('ADDRESS_LIST_IN_BODY');
  });

  it('a vCard written with quoted-printable values inside its text: the addresses are found', () => {
    const cards = Array.from({ length: 12 }, (_, k) => `BEGIN:VCARD\nVERSION:2.1\nEMAIL;ENCODING=QUOTED-PRINTABLE:p${k}=\r=40org${k}.test\nEND:VCARD\n`).join('');
    const message = `From: s@corp.example\nTo: x@corp.example\nSubject: cards\nMIME-Version: 1.0\nContent-Type: text/vcard; name=team.vcf\n\n${cards}`;
    expect(codes(message)).toContain('ADDRESS_LIST_IN_BODY');
  });
});

describe('controls', () => {
  it('the same list to colleagues passes', () => {
    expect(check(single('text/plain', list((k) => `p${k}@corp.=\rexample`))).verdict).toBe('pass');
  });

  it('quoted-printable text without a bare CR reads as before', () => {
    const message = single('text/plain; charset=utf-8', 'Caf=C3=A9 at 10, room =3D 4.=\nSee you.');
    expect(check(message).findings).toEqual([]);
    expect(check(single('text/plain', list((k) => `p${k}@org${k}.=\ntest`))).findings.map((f) => f.code)).toEqual(['ADDRESS_LIST_IN_BODY']);
  });

  it('prose with a bare CR after an "=" passes', () => {
    expect(check(single('text/plain', 'total =\r 12 items\nthanks')).verdict).toBe('pass');
  });
});
