// Outlook .msg files (OLE compound files, signature D0 CF 11 E0 A1 B1 1A E1): read with
// @kenjiuno/msgreader, loaded only when such a file is met. A message that went through a mail
// server keeps its transport header (PR_TRANSPORT_MESSAGE_HEADERS), which is checked as it is when
// it names every To and Cc recipient of the recipient table; a draft or a sent item without one,
// or one whose table shows more, is checked as the header its recipient table and sender make.
// Other OLE files (Word, Excel) are not mail.

import { looksLikeOutlookMsg, msgHeader, type MsgFields } from '../../message/outlook-header.js';
import { failure, wholeOrFailure, type InputFormatDefinition, type InputItem } from './types.js';

async function readOutlookFields(bytes: Buffer): Promise<MsgFields> {
  const mod = (await import('@kenjiuno/msgreader')) as unknown as { default: unknown };
  // A CommonJS module: its default export is on `default` (and again on `default.default`).
  const MsgReader = ((mod.default as { default?: unknown }).default ?? mod.default) as new (data: ArrayBuffer | DataView) => { getFileData(): MsgFields };
  // A copy with an ArrayBuffer of its own: headers of small files share slabs (inputs.ts).
  const own = Uint8Array.from(bytes);
  return new MsgReader(new DataView(own.buffer)).getFileData();
}

/** What an OLE file that holds no mail message is, for the "not mail" count, or undefined for a message. */
export async function outlookKind(bytes: Buffer): Promise<{ fields: MsgFields } | { notMail: string }> {
  let fields: MsgFields;
  try {
    fields = await readOutlookFields(bytes);
  } catch {
    return { notMail: 'OLE compound file that is not an Outlook message' };
  }
  if (fields.dataType !== 'msg' || fields.error) return { notMail: 'OLE compound file (not an Outlook message)' };
  const klass = fields.messageClass ?? 'IPM.Note';
  const isMail = /^IPM\.(Note|Schedule\.Meeting|Post)/i.test(klass) || (fields.recipients?.length ?? 0) > 0 || !!fields.headers;
  return isMail ? { fields } : { notMail: `Outlook item that is not a message (${klass})` };
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
    const kind = await outlookKind(bytes);
    if ('notMail' in kind) {
      yield failure(src.source, 'not-mail', `an ${kind.notMail}, not a mail message`);
      return;
    }
    const header = msgHeader(kind.fields);
    const item = { source: src.source, bytes: header, complete: false, format: 'msg' as const, lineOffset: 0 };
    yield src.file === undefined ? item : { ...item, path: src.file };
  },
};
