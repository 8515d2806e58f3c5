// The header block of an Outlook .msg item (its transport header, or one built from its recipient
// table and sender): shared by the .msg input format (src/io/formats/msg.ts) and the attachment
// scan of a .msg attached to a message (src/body/attachments/outlook-msg.ts).

import { parseMessage, VISIBLE_FIELDS } from './parse-message.js';

const CFB_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** An OLE compound file, as .msg items are (and legacy Word and Excel files). */
export function looksLikeOutlookMsg(head: Uint8Array): boolean {
  return head.length >= 8 && CFB_SIGNATURE.every((b, i) => head[i] === b);
}

export interface MsgRecipient {
  name?: string;
  email?: string;
  smtpAddress?: string;
  /** 'to', 'cc', 'bcc'; msgreader gives other types (MAPI_ORIG 0, a resend's 0x10000001) as numbers. */
  recipType?: 'to' | 'cc' | 'bcc' | number;
}

/** A recipient's field: anything but Cc and Bcc is read as To (shown: fail closed). */
const fieldOf = (r: MsgRecipient): 'to' | 'cc' | 'bcc' => (r.recipType === 'cc' || r.recipType === 'bcc' ? r.recipType : 'to');
const addressOf = (r: MsgRecipient): string | undefined => r.smtpAddress || r.email || undefined;
/**
 * A row that names no address (no SMTP address, no PR_EMAIL_ADDRESS, or an empty one): a name
 * Outlook has not resolved, which it resolves when the item is sent, and shows meanwhile. Written
 * with its display name as its address, so the check reads the address it is (`a1@alpha.example`)
 * or fails closed on a name (`<Ann Smith>`); such rows were left out, and an item whose Cc rows
 * were unresolved addresses passed with the colleague in To alone.
 */
const writtenAddressOf = (r: MsgRecipient): string | undefined => addressOf(r) ?? (r.name?.trim() || undefined);

export interface MsgFields {
  dataType: null | 'msg' | 'attachment' | 'recipient';
  error?: string;
  messageClass?: string;
  headers?: string;
  subject?: string;
  senderName?: string;
  senderEmail?: string;
  senderSmtpAddress?: string;
  clientSubmitTime?: string;
  recipients?: MsgRecipient[];
  /** PR_DISPLAY_TO and PR_DISPLAY_CC: the lists Outlook shows in the item, display names joined with ";". */
  displayTo?: string;
  displayCc?: string;
}

/** No line break can come from a property: each value stays inside its own field. */
const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029]+/g, ' ');

function mailbox(name: string | undefined, address: string): string {
  const n = name ? oneLine(name).trim() : '';
  const a = oneLine(address).trim();
  return n && n !== a ? `"${n.replace(/[\\"]/g, (c) => `\\${c}`)}" <${a}>` : `<${a}>`;
}

/**
 * The header block of a .msg: its transport header, or one built from its properties. The
 * transport header is used only when it names every To and Cc recipient of the recipient table:
 * Outlook shows (and sends a resend to) the table, so a stale or crafted transport header that
 * leaves a listed recipient out is not what readers see.
 */
/**
 * Whether the transport header's To and Cc fields (or Apparently-To, or the Resent-* ones) name every one of the
 * table's To and Cc addresses. Read as fields, not searched as text: an address in a Received
 * line, a Bcc field or an X- field is not shown to anyone.
 */
function shownByHeader(transport: string, shown: readonly string[]): boolean {
  const text = `${transport.replace(/\r?\n/g, '\r\n').replace(/(\r\n)*$/, '')}\r\n\r\n`;
  const parsed = parseMessage(Buffer.from(text, 'utf8'));
  const named = new Set(parsed.addresses.filter((a) => VISIBLE.has(a.field)).map((a) => a.mailbox.address.toLowerCase()));
  return shown.every((a) => named.has(oneLine(a).trim().toLowerCase()));
}

/** The fields readers show as recipients: parse-message.ts's list, the one every rule uses. */
const VISIBLE = new Set<string>(VISIBLE_FIELDS);

/** A display list's entry or a row's name or address, compared without case or extra blanks. */
const comparable = (s: string) => oneLine(s).trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * The entries of PR_DISPLAY_TO and PR_DISPLAY_CC that no To or Cc row of the recipient table names
 * (by display name or address), as unresolved rows of that field. Outlook shows those lists in the
 * item; an item whose lists named people and whose table was empty (or named a colleague alone)
 * was read as the header its table makes, and passed. Read as unresolved rows, an address is
 * checked as the address it is and a name fails closed, as an unresolved row's name does.
 */
function displayedOnly(fields: MsgFields, rows: readonly MsgRecipient[]): MsgRecipient[] {
  const names = rows.flatMap((r) => [r.name, r.smtpAddress, r.email]).filter((n): n is string => n !== undefined && n.trim() !== '');
  const known = new Set(names.map(comparable));
  const out: MsgRecipient[] = [];
  for (const [list, recipType] of [[fields.displayTo, 'to'], [fields.displayCc, 'cc']] as const) {
    // A row's name holding the separator is taken out whole before the list is split at it.
    let rest = list ?? '';
    for (const n of names) if (n.includes(';')) rest = rest.split(n).join(';');
    for (const entry of rest.split(';')) if (comparable(entry) !== '' && !known.has(comparable(entry))) out.push({ name: oneLine(entry).trim(), recipType });
  }
  return out;
}

export function msgHeader(fields: MsgFields): Buffer {
  const transport = fields.headers?.replace(/^\s+/, '');
  const tableRows = fields.recipients ?? [];
  const recipients = [...tableRows, ...displayedOnly(fields, tableRows.filter((r) => fieldOf(r) !== 'bcc'))];
  // Only SMTP addresses are compared: an Exchange-only entry (an X.500 name) is not written in a
  // transport header, and the header it came with is the better reading then. A shown row that
  // names no address at all (an entry only a display list names, too) is not what that header
  // shows: the table is read.
  const shownRows = recipients.filter((r) => fieldOf(r) !== 'bcc');
  const shown = shownRows.map(addressOf).filter((a): a is string => a !== undefined && a.includes('@'));
  if (transport && shownRows.every((r) => addressOf(r) !== undefined) && shownByHeader(transport, shown)) {
    const text = transport.replace(/\r?\n/g, '\r\n').replace(/(\r\n)*$/, '');
    return Buffer.from(`${text}\r\n\r\n`, 'utf8');
  }
  const lines: string[] = [];
  const sender = fields.senderSmtpAddress ?? fields.senderEmail;
  if (sender) lines.push(`From: ${mailbox(fields.senderName, sender)}`);
  const byType: Record<'to' | 'cc' | 'bcc', string[]> = { to: [], cc: [], bcc: [] };
  for (const r of recipients) {
    // An Exchange-only address (no SMTP address stored) is written as it is: the check fails
    // closed on it rather than guessing where it goes; an unresolved name as its display name.
    const address = writtenAddressOf(r);
    if (address) byType[fieldOf(r)].push(mailbox(r.name, address));
  }
  if (byType.to.length > 0) lines.push(`To: ${byType.to.join(',\r\n ')}`);
  if (byType.cc.length > 0) lines.push(`Cc: ${byType.cc.join(',\r\n ')}`);
  if (byType.bcc.length > 0) lines.push(`Bcc: ${byType.bcc.join(',\r\n ')}`);
  if (fields.subject !== undefined) lines.push(`Subject: ${oneLine(fields.subject)}`);
  if (fields.clientSubmitTime) lines.push(`Date: ${oneLine(fields.clientSubmitTime)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
}

/** The message classes of mail items: a note, a meeting request or reply, a post. */
const MAIL_CLASS = /^IPM\.(Note|Schedule\.Meeting|Post)/i;

/**
 * Whether an Outlook item is a mail item: a mail class, or recipients, or a transport header.
 * `assumed` is the class taken when the item names none (the .msg input assumes a note, so an
 * unnamed one is checked; an attached OLE file without a class is a legacy Office file).
 */
export function isMailItem(fields: MsgFields, assumed?: string): boolean {
  const klass = fields.messageClass ?? assumed;
  return (klass !== undefined && MAIL_CLASS.test(klass)) || (fields.recipients?.length ?? 0) > 0 || !!fields.headers;
}
