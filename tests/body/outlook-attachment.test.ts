// An Outlook item (.msg) attached to a message (src/body/attachments/outlook-msg.ts): Outlook
// opens it as a message, so its recipients, its text and its own attachments are read.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/index.js';
import { argsOf, checkAttachments, notScanned } from '../helpers/attachment-findings.js';
import { addresses, buildXlsx, buildZip } from '../helpers/office-files.js';
import { outlookMsg, type OutlookMessage } from '../helpers/outlook-msg.js';

const listed = (fs: Finding[]) =>
  argsOf(fs, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.messageText === true ? 'message text' : (a.entry ?? a.sheet), a.sheet, a.externalAddresses]);

const item = (extra: Partial<OutlookMessage>): Buffer => outlookMsg({ subject: 'Applicants', senderName: 'Boss', senderSmtp: 'boss@corp.example', recipients: [{ smtp: 'hr@corp.example', type: 'to' }], ...extra });
const recipients = (list: string[], type: 'to' | 'cc' | 'bcc') => list.map((smtp) => ({ smtp, type }));

describe('an Outlook item attached', () => {
  it.each([
    ['application/vnd.ms-outlook', 'Fwd applicants.msg'],
    ['application/octet-stream', 'Fwd applicants.msg'],
    ['application/octet-stream', undefined],
  ])('as %s named %s: the recipients its header shows are read', (contentType, fileName) => {
    const bytes = item({ recipients: [...recipients(addresses(6, 'to'), 'to'), ...recipients(addresses(6, 'cc', 6, 6), 'cc')] });
    const r = checkAttachments([{ contentType, fileName, bytes }]);
    expect(listed(r.findings)).toEqual([['message text', undefined, 12]]);
    expect(notScanned(r.findings)).toEqual([]);
  });

  it('its plain and HTML text are read, and a short list in it is not counted', () => {
    const plain = checkAttachments([{ contentType: 'application/vnd.ms-outlook', fileName: 'a.msg', bytes: item({ body: `Hello all,\r\n${addresses(11, 'plain').join('\r\n')}` }) }]);
    expect(listed(plain.findings)).toEqual([['message text', undefined, 11]]);
    const html = checkAttachments([{ contentType: 'application/vnd.ms-outlook', fileName: 'a.msg', bytes: item({ html: `<table>${addresses(14, 'html').map((a) => `<tr><td>${a}</td></tr>`).join('')}</table>` }) }]);
    expect(listed(html.findings)).toEqual([['message text', undefined, 14]]);
    const short = checkAttachments([{ contentType: 'application/vnd.ms-outlook', fileName: 'a.msg', bytes: item({ body: addresses(3, 'few').join(', ') }) }]);
    expect(short.findings).toEqual([]);
  });

  it("its own attachments are read like a zip's members; an archive inside it is not opened", () => {
    const csv = ['email', ...addresses(30, 'csv')].join('\n');
    const book = buildXlsx([{ name: 'Hidden', state: 'hidden', rows: addresses(15, 'sheet').map((a) => [a]) }]);
    const bytes = item({
      attachments: [
        { name: 'members.csv', data: Buffer.from(csv) },
        { name: 'book.xlsx', data: book },
        { name: 'logo.png', data: Buffer.from('PNG') },
        { name: 'more.zip', data: buildZip({ 'x.csv': csv }) },
      ],
    });
    const r = checkAttachments([{ contentType: 'application/vnd.ms-outlook', fileName: 'thread.msg', bytes }]);
    expect(listed(r.findings)).toEqual([
      ['members.csv', undefined, 30],
      ['book.xlsx', 'Hidden', 15],
    ]);
    expect(argsOf(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT')[1]).toMatchObject({ entry: 'book.xlsx', fileName: 'thread.msg' });
    expect(notScanned(r.findings)).toEqual([['more.zip', 'nested-archive']]);
  });

  it('an item inside a zip is not opened and is reported; a legacy Office file is still reported as not read', () => {
    const inZip = checkAttachments([{ contentType: 'application/zip', fileName: 'mail.zip', bytes: buildZip({ 'Fwd.msg': item({ recipients: recipients(addresses(12), 'to') }) }) }]);
    expect(notScanned(inZip.findings)).toEqual([['Fwd.msg', 'nested-archive']]);
    const legacy = checkAttachments([{ contentType: 'application/vnd.ms-excel', fileName: 'old.xls', bytes: Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(1000)]) }]);
    expect(argsOf(legacy.findings, 'ATTACHMENT_NOT_SCANNED').map((a) => a.reason)).toEqual(['unsupported-format']);
  });
});
