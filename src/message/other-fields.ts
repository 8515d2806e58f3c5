// Address lists in header fields that are not recipient fields ("check the bytes that will be
// sent"): an X-Recipients, Comments, Keywords or Subject field that lists addresses shows them to
// every reader (clients show the Subject, Comments and Keywords; "all headers" or the source shows
// the rest), and no rewrite to Bcc moves them. Every field but the address fields parse-message.ts
// reads and the ones NOT_SHOWN_LISTS names is read here. The usual header has no such field with
// an "@" or an encoded word that may hold one, so the cost is a Set lookup and a search per field.

import { addressesInHeaderText, bytesHoldCompatAt, charsetCompatAts, COMPAT_AT, holdsCompatAt, rawHeaderCjkText } from '../body/addresses.js';
import { decodeHeaderText, fileNameField, shownFileNames } from '../body/mime.js';
import { MAX_ADDRESSES_PER_MESSAGE, MAX_PARSE_MS } from '../limits.js';
import { parseAddressList } from './address-list.js';
import { unfold, type HeaderBlock } from './header-block.js';
import { isAddressField } from './parse-message.js';

/** A field that reads as an address list shows a list from this many distinct addresses: one is a
 * contact (Disposition-Notification-To, X-Sender), two people shown to each other are a list. */
const MIN_LISTED_ADDRESSES = 2;

/** Free text (a field that does not read as an address list) shows a list from this many distinct
 * addresses: a note naming a contact or two ("forwarded by a@x for b@y") is ordinary text; three in
 * one header field are shown to every reader whatever their shape, and the shapes a pasted list
 * takes are endless (`[a] / [b] / [c]`, `'a', 'b'`, `1. a 2. b`, `mailto:a | mailto:b`, `a and b
 * and c`). (It was 10, as the body scan's minAddresses; a body is long text, a header field is not.) */
export const MIN_FREE_TEXT_ADDRESSES = 3;

/**
 * Fields, by lower-case name, whose addresses are not a list shown to the message's readers.
 * An unknown field is read: a list a sender wrote in it is shown to whoever looks.
 */
const NOT_SHOWN_LISTS: ReadonlySet<string> = new Set([
  // Trace written by MTAs on the way or at delivery (RFC 5321 4.4; Received's "for <a@b>"), naming
  // the envelope of the copy they came with. Readers do not show them, and a sender does not write
  // them: Postfix's X-Original-To and Delivered-To, Exim's Envelope-To and X-Failed-Recipients (in
  // a bounce to the one sender who wrote those recipients), forwarders' X-Forwarded-To/-For.
  'received',
  'return-path',
  'delivered-to',
  'x-original-to',
  'x-delivered-to',
  'envelope-to',
  'x-envelope-to',
  'x-forwarded-to',
  'x-forwarded-for',
  'x-failed-recipients',
  'x-gm-original-to',
  // Loop markers list managers and MTAs add on each pass (X-Loop, Mailman's X-BeenThere), and the
  // previous Return-Path list software keeps: the list's own addresses, once per hop.
  'x-loop',
  'x-beenthere',
  'old-return-path',
  // Verdicts of receiving servers: "smtp.mailfrom=a@b header.i=@c", the checked identities.
  'received-spf',
  'authentication-results',
  // Spam filters' verdicts: rspamd's symbols quote the envelope and list addresses
  // ("FORWARDED(0.00)[list@host]"), SpamAssassin's report quotes the message.
  'x-spamd-result',
  'x-spam-report',
  // Signatures: i= and a copy of signed fields (z=) hold the signer's and the message's own identities.
  'dkim-signature',
  'domainkey-signature',
  // Identifiers: msg-id syntax `<left@right>` looks like an address and names a message (RFC 5322 3.6.4).
  'message-id',
  'resent-message-id',
  'in-reply-to',
  'references',
  'content-id',
  // The mailing list's own addresses and URIs (RFC 2369, 2919, 8058), not its members. Only these:
  // an unknown List-Members is read like any other field.
  'list-id',
  'list-help',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'list-subscribe',
  'list-post',
  'list-owner',
  'list-archive',
  // MIME structure: parameters and locations. The one parameter readers show, the name of a
  // message sent as one file, is read on its own (shownFileNames, in otherFieldLists). (Not
  // Content-Description: free text some clients show beside the attachment.)
  'content-type',
  'content-disposition',
  'content-transfer-encoding',
  'content-location',
  'content-base',
]);

/** The same kinds written under other names: X-Received, ARC-Authentication-Results and
 * X-Original-Authentication-Results, X-Google-DKIM-Signature, ARC-Seal and ARC-Message-Signature
 * (signatures and verdicts), X-Original-Message-ID. */
function notShownList(key: string): boolean {
  return (
    NOT_SHOWN_LISTS.has(key) ||
    key.endsWith('-received') ||
    key.endsWith('authentication-results') ||
    key.endsWith('dkim-signature') ||
    key.startsWith('arc-') ||
    key.endsWith('-message-id')
  );
}

/** Identifier fields that name several messages (`<id@host>` each, no names): a list of those is
 * their kind, not people. */
const MESSAGE_ID_LISTS: ReadonlySet<string> = new Set(['references', 'in-reply-to']);

/**
 * Whether a field notShownList skips by its name shows a list of people all the same. The name is
 * the sender's to choose, and the patterns take any name: `ARC-Recipients`, `X-Team-Received`,
 * `X-Original-To` or `Delivered-To` holding `a@x, b@y, c@z` show that list in every reader's
 * all-headers view and source, and passed unread. What those names stand for is never a clean
 * address list: a trace, a verdict or a signature is text with an address inside (`by mx for
 * <a@b>;`, `smtp.mailfrom=a@b`, `i=@b`), the strict parser refuses it; an identifier or an
 * envelope address is one. So a value the strict parser reads whole (as written, or as decoded) as
 * two or more distinct mailboxes is a list, read as any other field is; but References' and
 * In-Reply-To's msg-ids (angle brackets only, no names: MESSAGE_ID_LISTS) and X-Failed-Recipients
 * (a bounce names the recipients that failed to the one sender who wrote them).
 */
function listDespiteName(key: string, text: string): boolean {
  if (key === 'x-failed-recipients') return false;
  const deadline = process.uptime() * 1000 + MAX_PARSE_MS;
  const readsWhole = (value: string): boolean => {
    const l = parseAddressList(value, deadline, MAX_ADDRESSES_PER_MESSAGE);
    if (l.timedOut || l.problems.length > 0) return false;
    if (new Set(l.mailboxes.map((m) => m.address.toLowerCase())).size < MIN_LISTED_ADDRESSES) return false;
    return !(MESSAGE_ID_LISTS.has(key) && l.mailboxes.every((m) => m.rawName === '' && m.group === undefined && m.source.trim().startsWith('<')));
  };
  if (readsWhole(text)) return true;
  if (!/[\x80-\xff]|=\?/.test(text)) return false;
  return readsWhole(Buffer.from(decodeHeaderText(text), 'utf8').toString('latin1'));
}

export interface OtherFieldList {
  /** The field's lower-case name. */
  key: string;
  /** 1-based line of the field in the message. */
  line: number;
  /** The distinct addresses it shows, lower-cased, A-label domains. */
  addresses: string[];
}

/** What otherFieldLists found: the lists, and where it stopped when a field or the fields together
 * held more distinct addresses than it was allowed to read. */
export interface OtherFieldLists {
  lists: readonly OtherFieldList[];
  /** The field (lower-case name, line) where reading passed the limit: the lists are incomplete. */
  over?: { field: string; line: number };
}

const NONE: OtherFieldLists = { lists: [] };

/** Sets of addresses read from a value that holds more than the reader's limit: what was read
 * before it stopped (counted all the same, so an over-long list still shows as a list). */
const overSets = new WeakSet<Set<string>>();

function overLimit(found: Set<string>): Set<string> {
  overSets.add(found);
  return found;
}

function isOver(found: Set<string> | undefined): boolean {
  return found !== undefined && overSets.has(found);
}

/** An RFC 2047 encoded word: charset, encoding, payload. The payload may hold white space, which
 * RFC 2047 forbids and libmime (mailparser) and Thunderbird decode through all the same:
 * `=?utf-8?Q?p0=40x.example, p1=40y.example?=` shows a list. So may the charset, or it may be
 * empty: Thunderbird and Python take any label up to the "?" (decodeHeaderText). */
const ENCODED_WORD = /=\?([^?]*)\?([bBqQ])\?([^?]*)\?=/g;

/** Encoded words one after another, white space between them: decoders join their payloads. */
const ENCODED_WORD_RUN = /=\?[^?]*\?[bBqQ]\?[^?]*\?=(?:[ \t\r\n]*=\?[^?]*\?[bBqQ]\?[^?]*\?=)*/g;

/** Charsets (an RFC 2231 language dropped) that write "@" as the byte 0x40 and every byte 0x40 as
 * part of some character: in them an "@" shows only where that byte is, or where a fullwidth or
 * small at is (the East Asian ones have them: charsetCompatAts). */
const AT_IS_0X40 = /^(?:utf-8|us-ascii|ascii|iso-8859-\d{1,2}|windows-125\d|cp125\d|koi8-[ru]|gb2312|gbk|gb18030|big5|euc-jp|euc-kr|shift_jis|iso-2022-jp)$/;

/** Base64 `payload` decoded as libmime (libbase64) and mailguard's own decoder do: the runs
 * between padding characters one after another. */
function base64Bytes(payload: string): Buffer {
  return Buffer.concat(payload.split('=').map((segment) => Buffer.from(segment, 'base64')));
}

/** Q `payload` as bytes: "_" a space, "=XX" the byte XX. */
function qBytes(payload: string): Buffer {
  return Buffer.from(payload.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))), 'latin1');
}

/** The byte 0x40, or a fullwidth or small commercial at in UTF-8 or as one of `ats` (the bytes the
 * words' East Asian charset writes it as): they read as "@" too. */
function bytesHoldAt(b: Buffer, ats: readonly Buffer[]): boolean {
  return b.includes(0x40) || bytesHoldCompatAt(b) || ats.some((at) => b.includes(at));
}

/**
 * Whether an encoded word in `raw` may decode to an "@". Decided without decoding, so a common
 * ISO-8859-1 Subject never loads the charset library: a word in a charset that may write "@" other
 * than as 0x40 (UTF-7's `+AEA-`, EBCDIC's 0x7C, an unknown one) may; so may a word whose bytes hold
 * 0x40 (`=40`, a literal "@", base64 of one) or a fullwidth or small at (in UTF-8, or as its East
 * Asian charset writes it: Shift_JIS 0x81 0x97, ISO-2022-JP "!w" ...), alone or joined with the
 * words next to it, as libmime and mailguard's decoder join adjacent words before decoding: an "@"
 * whose base64 (`YTB` `AYQ`) or `=40` (`=4` `0`) is split between two words shows once they are joined.
 */
function wordMayHoldAt(raw: string): boolean {
  for (const [run] of raw.matchAll(ENCODED_WORD_RUN)) {
    let b = '';
    let q = '';
    let ats: readonly Buffer[] = [];
    for (const [, charset, encoding, payload] of run.matchAll(ENCODED_WORD)) {
      const label = charset!.toLowerCase().replace(/\*.*$/, '').trim();
      if (!AT_IS_0X40.test(label)) return true;
      const own = charsetCompatAts(label);
      if (own.length > 0 && !ats.includes(own[0]!)) ats = [...ats, ...own];
      if (encoding === 'b' || encoding === 'B') {
        if (bytesHoldAt(base64Bytes(payload!), own)) return true;
        b += payload;
      } else {
        if (payload!.includes('@') || bytesHoldAt(qBytes(payload!), own)) return true;
        q += payload;
      }
    }
    if (bytesHoldAt(base64Bytes(b), ats) || bytesHoldAt(qBytes(q), ats)) return true;
  }
  return false;
}

/** The prefilter: two "@" as written (or one beside a fullwidth or small commercial at in UTF-8),
 * or an encoded word that may decode to one. */
function mayHoldList(raw: string): boolean {
  const at = raw.indexOf('@');
  if (at !== -1 && raw.indexOf('@', at + 1) !== -1) return true;
  if (holdsCompatAt(raw)) return true;
  return raw.includes('=?') && wordMayHoldAt(raw);
}

/** One token of an address sequence (see addressSequence): separators, a comment, a quoted
 * string, an angle address, or a word. Each alternative starts with its own characters, so the
 * sticky match never backtracks across tokens: linear in the field's length. */
const SEQUENCE_TOKEN = /[\s,;]+|\((?:[^()\\]|\\.)*\)|"(?:[^"\\]|\\.)*"|<[^<>\s]*>|[^\s,;<>"()]+/y;

/**
 * Whether `shown` (a field's value as a reader sees it) is nothing but addresses one after another
 * with or without separators: `<a@x> <b@y>`, `a@x b@y`, `a@x; b@y`, `Ann <a@x> Bob <b@y>`. Such a
 * value is a list as surely as one with commas, though the strict parser stops at the first missing
 * comma. An angle address may follow words or quoted strings (its display name); a bare address
 * may follow only separators, another address or a label ending in ":" ("Re:"), so prose naming
 * people ("forwarded by a@x for b@y") stays free text. Msg-id lists (`<id@host> <id@host>`) read
 * the same way: a field is known to hold identifiers by its name (NOT_SHOWN_LISTS), never by its
 * value, which a sender chooses. Quoted strings and comments show their text, so a list inside
 * them (`"a@x, b@y"`, `(a@x b@y)`) is read as one too.
 */
function addressSequence(shown: string): boolean {
  return readsAsSequence(shown) || (/["()]/.test(shown) && readsAsSequence(shown.replace(/["()]/g, ' ')));
}

function readsAsSequence(shown: string): boolean {
  let items = 0;
  let name = false;
  SEQUENCE_TOKEN.lastIndex = 0;
  while (SEQUENCE_TOKEN.lastIndex < shown.length) {
    const at = SEQUENCE_TOKEN.lastIndex;
    const m = SEQUENCE_TOKEN.exec(shown);
    if (m === null) return false; // an unbalanced quote, comment or angle bracket
    const token = m[0];
    const first = shown[at]!;
    if (first === '(' || /[\s,;]/.test(first)) continue;
    if (first === '"') name = true;
    else if (first === '<') {
      if (!token.includes('@')) return false;
      items++;
      name = false;
    } else if (!token.includes('@')) name = !token.endsWith(':'); // "Re:", "Invited:" label a list
    else if (name) return false;
    else items++;
  }
  return items >= MIN_LISTED_ADDRESSES && !name;
}

/**
 * The distinct addresses of `value` (raw bytes as latin1) if the strict parser reads it as an
 * address list, with those written in its display names, group names and comments. A group left
 * open is a list too: "Re: a@x.example, b@y.example" in a Subject, or "Invitation: ..." shows its
 * members as surely as a closed one. So is a list with elements the parser refuses ("TBD", "etc",
 * an unclosed quote, `a . b@x`) once it reads MIN_LISTED_ADDRESSES mailboxes around them: every
 * address written in the value counts then, those in the refused elements too, as readers show them.
 */
function readAsList(value: string, deadline: number, limit: number): Set<string> | undefined {
  const list = parseAddressList(value, deadline, Math.min(MAX_ADDRESSES_PER_MESSAGE, limit + 1));
  if (list.truncated) return overLimit(new Set(list.mailboxes.map((m) => m.address.toLowerCase())));
  if (list.timedOut || list.mailboxes.length === 0) return undefined;
  if (list.problems.some((p) => p.kind !== 'unterminated-group')) {
    if (list.mailboxes.length < MIN_LISTED_ADDRESSES) return undefined;
    const found = addressesInHeaderText(value, new Set(), undefined, limit);
    for (const m of list.mailboxes) found.add(m.address.toLowerCase());
    return found.size > limit ? overLimit(found) : found;
  }
  const found = new Set<string>();
  const addWritten = (text: string) => {
    if (text.includes('@') || text.includes('=?')) addressesInHeaderText(text, found, undefined, limit);
  };
  for (const m of list.mailboxes) {
    found.add(m.address.toLowerCase());
    addWritten(m.rawName);
    if (found.size > limit) return overLimit(found);
  }
  for (const g of list.groups) addWritten(g);
  for (const c of list.comments ?? []) addWritten(c);
  return found.size > limit ? overLimit(found) : found;
}

/** The distinct addresses one field (its unfolded value, latin1) shows, if it shows a list: read as
 * an address list (group syntax, display names and comments included), or found in free text. */
function readField(text: string, deadline: number, limit: number): Set<string> | undefined {
  // As a reader shows it: encoded words and UTF-8 decoded.
  const decodedText = /[\x80-\xff]|=\?/.test(text) ? decodeHeaderText(text) : text;
  // Unencoded East Asian bytes are also read as a reader in that locale shows them.
  const cjk = rawHeaderCjkText(text);
  const shown = cjk === undefined ? decodedText : `${decodedText} ${cjk}`;
  // A fullwidth or small commercial at reads as "@": the field is read in its compatibility form.
  // (Without ISO-2022-JP's escapes, read already: the form read again would read them again.)
  if (COMPAT_AT.test(shown)) return readField(Buffer.from(shown.normalize('NFKC').replace(/\x1b/g, ''), 'utf8').toString('latin1'), deadline, limit);
  const first = shown.indexOf('@');
  if (first === -1 || shown.indexOf('@', first + 1) === -1) return undefined;
  // The field as written; as decoded (an encoded word can hold a whole list); with Outlook's
  // semicolons between the addresses instead of commas; addresses one after another without them.
  const decoded = shown === text ? undefined : Buffer.from(shown, 'utf8').toString('latin1');
  const asList =
    readAsList(text, deadline, limit) ??
    (decoded !== undefined ? readAsList(decoded, deadline, limit) : undefined) ??
    (shown.includes(';') ? readAsList((decoded ?? text).replace(/;/g, ','), deadline, limit) : undefined) ??
    (addressSequence(shown) ? addressesInHeaderText(text, new Set(), undefined, limit) : undefined);
  if (asList !== undefined && (isOver(asList) || asList.size > limit)) return overLimit(asList);
  if (asList) return asList.size >= MIN_LISTED_ADDRESSES ? asList : undefined;
  const inText = addressesInHeaderText(text, new Set(), undefined, limit);
  if (inText.size > limit) return overLimit(inText);
  return inText.size >= MIN_FREE_TEXT_ADDRESSES ? inText : undefined;
}

/** The addresses one file name of a part (as shown: decoded) shows as a list, read as the message's
 * own file name is (otherFieldLists): 2 that read as a list, or 3 in free text. */
export function fileNameList(name: string, limit = MAX_ADDRESSES_PER_MESSAGE): Set<string> | undefined {
  return readField(Buffer.from(name, 'utf8').toString('latin1'), process.uptime() * 1000 + MAX_PARSE_MS, limit);
}

/** A lone letter ending a name after "-" or "_" (`x-team-a`): it numbers an entry as a number does. */
const LETTERED = /[-_][a-z]$/;

/** The name fields are read together under: numbers (`x-recipient-1`) and a lone last letter
 * (`x-team-a`, `x-team-b`) left out, as both number the entries of one list. */
function listName(key: string): string {
  const numbered = /\d/.test(key) ? key.replace(/\d+/g, '#') : key;
  return LETTERED.test(numbered) ? `${numbered.slice(0, -1)}#` : numbered;
}

/** The key the message's file names are read under (no field name: a field may not hold a space). */
const FILE_NAME = 'file name';

/**
 * The address lists in `header`'s fields that are neither address fields (To, Cc, From ...,
 * read by parse-message.ts) nor fields whose addresses are not shown as a list (NOT_SHOWN_LISTS).
 * Fields of one name are also read together, as one list: written one field per recipient (as
 * sendmail writes Apparently-To), `X-Recipient: a@x.example` ten times is a list of ten. Names
 * that differ only in their numbers, or in a lone last letter, are one name (listName):
 * `X-Recipient-1`, `X-Recipient-2` ... or `X-Team-A`, `X-Team-B` ... number the entries of one list.
 */
export function otherFieldLists(header: HeaderBlock, limit = MAX_ADDRESSES_PER_MESSAGE): OtherFieldLists {
  /** The fields that may show an address, by name (numbers left out): the first one's name and
   * line, and each unfolded value with whether it may hold a list on its own. */
  let byName: Map<string, { key: string; line: number; values: Array<{ text: string; list: boolean }> }> | undefined;
  for (const f of header.fields) {
    const raw = f.rawValue;
    const at = raw.includes('@') || holdsCompatAt(raw);
    if (isAddressField(f.key) || (!at && !raw.includes('=?'))) continue;
    const list = mayHoldList(raw);
    if (!list && !at) continue;
    const named = notShownList(f.key);
    if (named && !list) continue;
    const text = unfold(raw, header.lineEnding);
    if (named && !listDespiteName(f.key, text)) continue;
    byName ??= new Map();
    const name = listName(f.key);
    const same = byName.get(name);
    if (same === undefined) byName.set(name, { key: f.key, line: f.line, values: [{ text, list }] });
    else same.values.push({ text, list });
  }
  // The name of the message's own file (a message sent as one attachment): every reader shows it in
  // its attachment bar, as it shows the Subject. Read as a field of its own, decoded as shown (RFC
  // 2231 and encoded words); Content-Type and Content-Disposition are otherwise parameters only.
  for (const name of shownFileNames(header)) {
    if (!(name.includes('@') || COMPAT_AT.test(name))) continue;
    const field = fileNameField(header)!;
    const text = Buffer.from(name, 'utf8').toString('latin1');
    byName ??= new Map();
    const same = byName.get(FILE_NAME);
    if (same === undefined) byName.set(FILE_NAME, { key: field.key, line: field.line, values: [{ text, list: true }] });
    else same.values.push({ text, list: true });
  }
  if (byName === undefined) return NONE;
  const out: OtherFieldList[] = [];
  const deadline = process.uptime() * 1000 + MAX_PARSE_MS; // the parser's clock (address-list.ts)
  // Distinct addresses the fields may still show, all names together (each read stops past it).
  let left = limit;
  for (const { key, line, values } of byName.values()) {
    // Each field on its own (one with a single "@" is a contact, not a list), and all of one name
    // together: a second field of free text must not hide the list the first one holds.
    const reads: Array<Set<string> | undefined> = [];
    for (const v of values) if (v.list) reads.push(readField(v.text, deadline, left));
    if (values.length > 1 && !reads.some(isOver)) reads.push(readField(values.map((v) => v.text).join(', '), deadline, left));
    const addresses = new Set<string>();
    for (const r of reads) if (r !== undefined) for (const a of r) addresses.add(a);
    if (reads.some(isOver) || addresses.size > left) {
      // What was read before the limit is shown all the same (an audit counts it as an exposure).
      out.push({ key, line, addresses: [...addresses] });
      return { lists: out, over: { field: key, line } };
    }
    left -= addresses.size;
    if (addresses.size > 0) out.push({ key, line, addresses: [...addresses] });
  }
  return { lists: out };
}
