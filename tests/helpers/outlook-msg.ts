// Writes Outlook .msg files (OLE compound files in the MS-OXMSG layout) for tests, with
// @kenjiuno/msgreader's own CFB writer: subject, sender and a recipient table (To, Cc, Bcc), and
// optionally the transport header a message that went through a server keeps.
import { burn } from '@kenjiuno/msgreader/lib/Burner.js';

const ROOT = 5;
const DIRECTORY = 1;
const DOCUMENT = 2;

interface Entry {
  name: string;
  type: number;
  length: number;
  children?: number[];
  binaryProvider?: () => ArrayLike<number>;
}

export interface OutlookMessage {
  subject: string;
  senderName?: string;
  senderSmtp?: string;
  /**
   * A number is written as PR_RECIPIENT_TYPE as it is (0 MAPI_ORIG, 0x10000001 a resend's To).
   * Without `smtp` a row has no PR_SMTP_ADDRESS; `email` and `addrType` then write
   * PR_EMAIL_ADDRESS and PR_ADDRTYPE (an unresolved name has neither, an Exchange entry EX).
   */
  recipients: Array<{ name?: string; smtp?: string; email?: string; addrType?: string; type: 'to' | 'cc' | 'bcc' | number }>;
  /** PR_DISPLAY_TO and PR_DISPLAY_CC: the lists Outlook shows, display names joined with "; ". */
  displayTo?: string;
  displayCc?: string;
  /** PR_TRANSPORT_MESSAGE_HEADERS: the header a received or sent message keeps. */
  transportHeaders?: string;
  /** PR_MESSAGE_CLASS (default IPM.Note). */
  messageClass?: string;
  /** PR_BODY, the plain text body. */
  body?: string;
  /** PR_HTML, the HTML body (binary, UTF-8 here). */
  html?: string;
  /** Attachments by value: PR_ATTACH_LONG_FILENAME and PR_ATTACH_DATA_BIN. */
  attachments?: Array<{ name: string; data: Uint8Array }>;
}

const utf16 = (s: string) => Buffer.from(s, 'utf16le');
/** A string property stream (PT_UNICODE, type 001F). */
const stringStream = (id: string, value: string): [string, Buffer] => [`__substg1.0_${id}001F`, utf16(value)];

export function outlookMsg(m: OutlookMessage): Buffer {
  const entries: Entry[] = [{ name: 'Root Entry', type: ROOT, length: 0, children: [] }];
  const addDoc = (parent: number, name: string, bytes: Buffer) => {
    entries[parent]!.children!.push(entries.length);
    // A copy with an ArrayBuffer of its own: small Buffers share a pool the writer would read whole.
    const own = Uint8Array.from(bytes);
    entries.push({ name, type: DOCUMENT, length: own.length, binaryProvider: () => own });
  };
  const docs: Array<[string, Buffer]> = [stringStream('001A', m.messageClass ?? 'IPM.Note'), stringStream('0037', m.subject)];
  if (m.senderName) docs.push(stringStream('0C1A', m.senderName));
  if (m.senderSmtp) docs.push(stringStream('5D01', m.senderSmtp), stringStream('0C1F', m.senderSmtp));
  if (m.transportHeaders) docs.push(stringStream('007D', m.transportHeaders));
  if (m.displayTo !== undefined) docs.push(stringStream('0E04', m.displayTo));
  if (m.displayCc !== undefined) docs.push(stringStream('0E03', m.displayCc));
  if (m.body !== undefined) docs.push(stringStream('1000', m.body));
  if (m.html !== undefined) docs.push(['__substg1.0_10130102', Buffer.from(m.html, 'utf8')]);
  for (const [name, bytes] of docs) addDoc(0, name, bytes);
  // Top-level property stream: a 32-byte header (next recipient and attachment ids, counts).
  const top = Buffer.alloc(32);
  top.writeUInt32LE(m.recipients.length, 8);
  top.writeUInt32LE(m.recipients.length, 16);
  top.writeUInt32LE(m.attachments?.length ?? 0, 12);
  top.writeUInt32LE(m.attachments?.length ?? 0, 20);
  addDoc(0, '__properties_version1.0', top);
  (m.attachments ?? []).forEach((a, n) => {
    const dir = entries.length;
    entries[0]!.children!.push(dir);
    entries.push({ name: `__attach_version1.0_#${n.toString(16).toUpperCase().padStart(8, '0')}`, type: DIRECTORY, length: 0, children: [] });
    addDoc(dir, ...stringStream('3707', a.name));
    addDoc(dir, ...stringStream('3704', a.name.slice(0, 12)));
    addDoc(dir, '__substg1.0_37010102', Buffer.from(a.data));
    // Attachment property stream: an 8-byte header, then PR_ATTACH_METHOD (0x37050003) = 1, by value.
    const props = Buffer.alloc(8 + 16);
    props.writeUInt32LE(0x37050003, 8);
    props.writeUInt32LE(6, 12);
    props.writeUInt32LE(1, 16);
    addDoc(dir, '__properties_version1.0', props);
  });
  m.recipients.forEach((r, n) => {
    const dir = entries.length;
    entries[0]!.children!.push(dir);
    entries.push({ name: `__recip_version1.0_#${n.toString(16).toUpperCase().padStart(8, '0')}`, type: DIRECTORY, length: 0, children: [] });
    const name = r.name ?? r.smtp;
    const email = r.email ?? r.smtp;
    const addrType = r.addrType ?? (r.smtp === undefined ? undefined : 'SMTP');
    if (name !== undefined) addDoc(dir, ...stringStream('3001', name));
    if (r.smtp !== undefined) addDoc(dir, ...stringStream('39FE', r.smtp));
    if (email !== undefined) addDoc(dir, ...stringStream('3003', email));
    if (addrType !== undefined) addDoc(dir, ...stringStream('3002', addrType));
    // Recipient property stream: an 8-byte header, then PR_RECIPIENT_TYPE (0x0C150003) = 1, 2, 3.
    const props = Buffer.alloc(8 + 16);
    props.writeUInt32LE(0x0c150003, 8);
    props.writeUInt32LE(6, 12);
    props.writeUInt32LE(typeof r.type === 'number' ? r.type : r.type === 'to' ? 1 : r.type === 'cc' ? 2 : 3, 16);
    addDoc(dir, '__properties_version1.0', props);
  });
  return Buffer.from(burn(entries as Parameters<typeof burn>[0]));
}
