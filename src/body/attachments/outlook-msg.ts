// An Outlook item (.msg, an OLE compound file) attached to a message: Outlook opens it as a
// message, showing its From, To and Cc, its text and its own attachments. Read with
// @kenjiuno/msgreader (the .msg input format's reader), required on first use so a message
// without one never loads it; its parsing is synchronous, as the check is.

import { createRequire } from 'node:module';
import { isMailItem, msgHeader, type MsgFields } from '../../message/outlook-header.js';

const require = createRequire(import.meta.url);

interface ItemFields extends MsgFields {
  body?: string;
  bodyHtml?: string;
  html?: Uint8Array;
  attachments?: Array<{ fileName?: string; fileNameShort?: string; innerMsgContent?: true; attachmentHidden?: boolean }>;
}

interface Reader {
  parserConfig?: { includeRawProps?: boolean };
  getFileData(): ItemFields & { rawProps?: Array<{ propertyTag?: string; value?: unknown }> };
  getAttachment(attach: number): { fileName: string; content: Uint8Array };
}

export interface OutlookItem {
  /** The header Outlook shows: the transport header, or one made of the recipient table. */
  header: string;
  /** Its plain text body, and its HTML body (as markup) when it has one. */
  text: string;
  html?: string;
  /** Its attachments: bytes, or `embedded` for an item inside the item (not opened). */
  attachments: Array<{ name: string; bytes?: Uint8Array; embedded?: true }>;
}

/** What an Outlook file holds, whatever its class: its properties, text, HTML and attachments. Throws when the OLE file cannot be read as an Outlook item. */
export function readOutlookContent(bytes: Uint8Array): { fields: MsgFields } & Omit<OutlookItem, 'header'> {
  const mod = require('@kenjiuno/msgreader') as { default?: new (data: DataView) => Reader };
  const MsgReader = (mod.default ?? mod) as new (data: DataView) => Reader;
  // A copy with an ArrayBuffer of its own: the reader reads the DataView's whole buffer.
  const own = Uint8Array.from(bytes);
  const reader = new MsgReader(new DataView(own.buffer));
  // Every property, for the display lists msgreader does not name (PR_DISPLAY_TO, PR_DISPLAY_CC).
  reader.parserConfig = { includeRawProps: true };
  const { rawProps, ...fields } = reader.getFileData();
  for (const p of rawProps ?? []) {
    const tag = p.propertyTag?.slice(0, 4);
    if (typeof p.value !== 'string') continue;
    if (tag === '0e04') fields.displayTo = p.value;
    else if (tag === '0e03') fields.displayCc = p.value;
  }
  const content: { fields: MsgFields } & Omit<OutlookItem, 'header'> = { fields, text: fields.body ?? '', attachments: [] };
  const html = fields.bodyHtml ?? (fields.html ? Buffer.from(fields.html).toString('utf8') : undefined);
  if (html !== undefined) content.html = html;
  for (const [i, a] of (fields.attachments ?? []).entries()) {
    const name = a.fileName ?? a.fileNameShort ?? `attachment ${i + 1} (no name)`;
    if (a.innerMsgContent) content.attachments.push({ name, embedded: true });
    else content.attachments.push({ name, bytes: reader.getAttachment(i).content });
  }
  return content;
}

/** The item, or undefined when the OLE file is not an Outlook mail item (a Word or Excel file). */
export function readOutlookItem(bytes: Uint8Array): OutlookItem | undefined {
  const { fields, ...content } = readOutlookContent(bytes);
  if (fields.dataType !== 'msg' || fields.error) return undefined;
  // An OLE file with no mail class, recipients or transport header (a legacy Word or Excel file)
  // is not an item, and is reported as before.
  if (!isMailItem(fields)) return undefined;
  return { header: msgHeader(fields).toString('utf8'), ...content };
}
