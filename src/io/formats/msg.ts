// Outlook .msg files (OLE compound files, signature D0 CF 11 E0 A1 B1 1A E1): read with
// @kenjiuno/msgreader, loaded only when such a file is met. A message that went through a mail
// server keeps its transport header (PR_TRANSPORT_MESSAGE_HEADERS), which is checked as it is when
// it names every To and Cc recipient of the recipient table; a draft or a sent item without one,
// or one whose table shows more, is checked as the header its recipient table and sender make.
// Its text, HTML and attachments follow as MIME parts (outlookAsMime), so the body scan reads
// them; send and fix refuse the item (they would send or write that rendering, not the item).
// Other OLE files (Word, Excel) are not mail.

import { isMailItem, looksLikeOutlookMsg, msgHeader } from '../../message/outlook-header.js';
import { readOutlookContent } from '../../body/attachments/outlook-msg.js';
import { failure, wholeOrFailure, type InputFormatDefinition, type InputItem } from './types.js';

type OutlookContent = ReturnType<typeof readOutlookContent>;

/** What an OLE file that holds no mail message is, for the "not mail" count, or its content. */
function outlookKind(bytes: Buffer): OutlookContent | { notMail: string } {
  let content: OutlookContent;
  try {
    content = readOutlookContent(bytes);
  } catch {
    return { notMail: 'OLE compound file that is not an Outlook message' };
  }
  const fields = content.fields;
  if (fields.dataType !== 'msg' || fields.error) return { notMail: 'OLE compound file (not an Outlook message)' };
  return isMailItem(fields, 'IPM.Note') ? content : { notMail: `Outlook item that is not a message (${fields.messageClass})` };
}

/** Fields of a transport header that describe the original MIME body, which the item no longer has. */
const BODY_FIELDS = /^(?:content-[a-z-]*|mime-version)[ \t]*:/i;

/** A parameter value in RFC 2231 form (`filename*=utf-8''...`): any name, quotes and line breaks included. */
const rfc2231 = (name: string) => `utf-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
const base64Lines = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/.{76}(?=.)/g, '$&\r\n');

/**
 * The item as the MIME message Outlook sends for it: its header (without the transport header's
 * own MIME fields), then its text, HTML and attachments as parts, so the body scan reads what a
 * reader will see (a .msg draft with a list in its text or attachment is not checked on its header
 * alone). An item inside the item is a part of unknown content: reported as not scanned.
 */
export function outlookAsMime(header: Buffer, content: Omit<OutlookContent, 'fields'>): Buffer {
  const fields = header.toString('utf8').replace(/(\r\n)+$/, '').split(/\r\n(?![ \t])/).filter((f) => f !== '' && !BODY_FIELDS.test(f));
  // Every part is base64, whose alphabet has no "_": no line of a part can be this boundary.
  const boundary = '=_mailguard_msg_part';
  const parts: string[] = [];
  if (content.text !== '' || content.html === undefined) parts.push(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(Buffer.from(content.text, 'utf8'))}`);
  if (content.html !== undefined) parts.push(`Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(Buffer.from(content.html, 'utf8'))}`);
  for (const a of content.attachments) {
    const name = rfc2231(a.name);
    parts.push(
      `Content-Type: application/octet-stream; name*=${name}\r\nContent-Disposition: attachment; filename*=${name}\r\nContent-Transfer-Encoding: base64\r\n\r\n${a.bytes === undefined ? '' : base64Lines(a.bytes)}`,
    );
  }
  const head = [...fields, 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`, 'utf8');
}

export const msg: InputFormatDefinition = {
  name: 'msg',
  description: 'Outlook .msg files (OLE), read with @kenjiuno/msgreader',
  sniff: (head) => looksLikeOutlookMsg(head),
  async *read(src): AsyncGenerator<InputItem> {
    const bytes = await wholeOrFailure(src);
    if ('failure' in bytes) {
      yield bytes;
      return;
    }
    const kind = outlookKind(bytes);
    if ('notMail' in kind) {
      yield failure(src.source, 'not-mail', `an ${kind.notMail}, not a mail message`);
      return;
    }
    const { fields, ...content } = kind;
    const item = { source: src.source, bytes: outlookAsMime(msgHeader(fields), content), complete: true, format: 'msg' as const, lineOffset: 0 };
    yield src.file === undefined ? item : { ...item, path: src.file };
  },
};
