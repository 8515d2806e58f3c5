// A part whose Content-Disposition filename and Content-Type name disagree. Readers choose
// differently (Python's email package and Thunderbird the filename, others the name), and save and
// open the file under the name they chose: a workbook named list.xlsx in one field and photo.png
// in the other opens in Excel for some readers. The scan read the part only as the filename said,
// so a list in a file whose other name is .csv, .xlsx, .html, .ics or .eml passed unread. Each
// name a reader may open the file by is now a reading of the part.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { addresses, buildIcs, buildXlsx } from '../helpers/office-files.js';

const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } });
const LIST = addresses(20);
const csv = `email,name\r\n${LIST.map((a, i) => `${a},P${i}`).join('\r\n')}\r\n`;
const html = `<html><body><table>${LIST.map((a) => `<tr><td>${a.replace('@', '&#64;')}</td></tr>`).join('')}</table></body></html>`;
const xlsx = buildXlsx([{ name: 'S', rows: LIST.map((a) => [a]) }]);
const ics = buildIcs('anna@corp.example', LIST);
const eml = `From: x@corp.example\r\nTo: ${LIST.join(', ')}\r\nSubject: old\r\n\r\nHello.\r\n`;

/** A message whose attachment has these Content-Type and Content-Disposition values. */
function message(contentType: string, disposition: string, bytes: Uint8Array | string): Buffer {
  const b64 = Buffer.from(bytes).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    'From: Anna <anna@corp.example>\r\nTo: bob@corp.example\r\nSubject: Photos\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n' +
      `--B\r\nContent-Type: text/plain\r\n\r\nThe photo.\r\n--B\r\nContent-Type: ${contentType}\r\nContent-Disposition: ${disposition}\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--B--\r\n`,
  );
}
const codes = (contentType: string, disposition: string, bytes: Uint8Array | string) => checkMessage(message(contentType, disposition, bytes), policy).findings.map((f) => f.code);
const FOUND = ['ADDRESS_LIST_IN_ATTACHMENT', 'ADDRESS_LIST_IN_BODY', 'EXPOSED_ATTENDEES', 'EXPOSED_RECIPIENTS'];
const found = (c: string[]) => c.some((x) => FOUND.includes(x));

describe('the part is read as each of its names says', () => {
  it.each([
    ['image/png name=list.csv, filename=photo.png', 'image/png; name="list.csv"', 'attachment; filename="photo.png"', csv],
    ['image/jpeg name=list.xlsx, filename=photo.jpg', 'image/jpeg; name="list.xlsx"', 'attachment; filename="photo.jpg"', xlsx],
    ['audio/mpeg name=list.csv.gz, filename=song.mp3', 'audio/mpeg; name="list.csv.gz"', 'attachment; filename="song.mp3"', gzipSync(Buffer.from(csv))],
    ['text/plain name=list.html, filename=list.txt (entities a browser decodes)', 'text/plain; name="list.html"', 'attachment; filename="list.txt"', html],
    ['the reverse: text/plain name=list.txt, filename=list.html', 'text/plain; name="list.txt"', 'attachment; filename="list.html"', html],
    ['image/png name=invite.ics, filename=photo.png', 'image/png; name="invite.ics"', 'attachment; filename="photo.png"', ics],
    ['image/gif name=old.eml, filename=photo.gif', 'image/gif; name="old.eml"', 'attachment; filename="photo.gif"', eml],
    ['application/pdf name=list.csv, filename=report.pdf', 'application/pdf; name="list.csv"', 'attachment; filename="report.pdf"', csv],
    ['an RFC 2231 filename beside a plain name', "image/png; name=\"list.csv\"", "attachment; filename*=utf-8''photo.png", csv],
  ] as Array<[string, string, string, Uint8Array | string]>)('%s: the list is found', (_name, contentType, disposition, bytes) => {
    expect(found(codes(contentType, disposition, bytes))).toBe(true);
  });
});

it('a message sent as one such file (no multipart) is read so too', () => {
  const b64 = Buffer.from(csv).toString('base64').replace(/.{76}/g, '$&\r\n');
  const text = `From: Anna <anna@corp.example>\r\nTo: bob@corp.example\r\nSubject: Photo\r\nMIME-Version: 1.0\r\nContent-Type: image/png; name="list.csv"\r\nContent-Disposition: attachment; filename="photo.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`;
  expect(found(checkMessage(Buffer.from(text), policy).findings.map((f) => f.code))).toBe(true);
});

describe('controls', () => {
  it('a photo named twice as a photo passes', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expect(codes('image/png; name="a.png"', 'attachment; filename="photo.png"', png)).toEqual([]);
  });

  it('a real picture whose other name is .csv is read as text: its bytes show no list', () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(200, 7)]);
    expect(codes('image/png; name="list.csv"', 'attachment; filename="photo.png"', png).filter((c) => c !== 'ATTACHMENT_NOT_SCANNED')).toEqual([]);
  });

  it('a list named the same in both fields is found once, as before', () => {
    expect(codes('text/csv; name="list.csv"', 'attachment; filename="list.csv"', csv)).toEqual(['ADDRESS_LIST_IN_BODY']);
    expect(codes('application/octet-stream; name="list.xlsx"', 'attachment; filename="list.xlsx"', xlsx)).toEqual(['ADDRESS_LIST_IN_ATTACHMENT']);
  });

  it('a workbook with two names is reported once per reading at most, not per name', () => {
    const c = codes('application/octet-stream; name="list (1).xlsx"', 'attachment; filename="list.xlsx"', xlsx);
    expect(c.filter((x) => x === 'ADDRESS_LIST_IN_ATTACHMENT')).toHaveLength(1);
  });
});
