// Bytes -> the recipient-relevant view of a message: every address field, parsed strictly.
// Reads only the header block; the body is never decoded.

import { MAX_ADDRESSES_PER_MESSAGE, MAX_PARSE_MS, MAX_PROBLEMS_PER_FIELD } from '../limits.js';
import { mayWriteAddress, parseAddressList, type AddressProblem, type Mailbox } from './address-list.js';
import { readHeaderBlock, unfoldField, type HeaderBlock, type HeaderField } from './header-block.js';

/**
 * Fields whose addresses are shown to every recipient and count as exposure. Apparently-To is
 * written by some MTAs (sendmail for a message with no To/Cc, one field per recipient) and by old
 * clients, and readers show it like To: a list written there is shown to every recipient.
 */
export const VISIBLE_FIELDS = ['to', 'cc', 'apparently-to', 'resent-to', 'resent-cc'] as const;
/** Fields that name blind recipients; present in a message they leak those recipients. */
export const BLIND_FIELDS = ['bcc', 'resent-bcc'] as const;
/** Other fields that show addresses to every recipient without sending to them. */
/** Where replies go, shown by mail clients (Mail-Reply-To: mutt's and others' Reply-To for a list). */
export const REPLY_FIELDS = ['reply-to', 'mail-followup-to', 'mail-reply-to'] as const;
export const SENDER_FIELDS = ['from', 'sender', 'resent-from', 'resent-sender'] as const;

export type VisibleField = (typeof VISIBLE_FIELDS)[number];
export type BlindField = (typeof BLIND_FIELDS)[number];
export type ReplyField = (typeof REPLY_FIELDS)[number];
export type AddressField = VisibleField | BlindField | ReplyField | (typeof SENDER_FIELDS)[number];

const ADDRESS_FIELDS: ReadonlySet<string> = new Set<string>([...VISIBLE_FIELDS, ...BLIND_FIELDS, ...REPLY_FIELDS, ...SENDER_FIELDS]);

/** Whether `key` (a lower-case field name) is one of the address fields read as mailboxes here;
 * a list in any other field is read by src/message/other-fields.ts. */
export function isAddressField(key: string): boolean {
  return ADDRESS_FIELDS.has(key);
}

export interface AddressEntry {
  mailbox: Mailbox;
  field: AddressField;
  /** Index of the field in `header.fields`. */
  fieldIndex: number;
  line: number;
}

export interface FieldAddressProblem extends AddressProblem {
  field: AddressField;
  line: number;
}

export interface ParsedMessage {
  header: HeaderBlock;
  /** Every mailbox in every address field, in header order. */
  addresses: AddressEntry[];
  /** Address-syntax problems, by field. */
  addressProblems: FieldAddressProblem[];
  /** Address fields written with white space before the colon ("To : ..."). */
  spacedFieldNames: Array<{ field: AddressField; line: number }>;
  /** Group names as written (raw), by field: a group name is shown to every reader. */
  groupNames: Array<{ field: AddressField; line: number; name: string }>;
  /** Comments that may hold an address (see AddressList.comments), by field: shown to every reader. */
  comments: Array<{ field: AddressField; line: number; text: string }>;
  /** How many fields of each address kind the message has (To twice counts 2). */
  fieldCounts: Partial<Record<AddressField, number>>;
  /** More addresses than MAX_ADDRESSES_PER_MESSAGE: the rest were not read. */
  truncated: boolean;
  /** Reading the address fields took longer than MAX_PARSE_MS: the rest were not read. */
  timedOut?: boolean;
  /** Every group name as written (raw), by the index of its field in `header.fields` (empty
   * groups included, `undisclosed-recipients:;`); only fields that have a group. With `addresses`
   * it is each field's parseField reading, which a rewrite builds its fields from (fieldLists). */
  fieldGroups?: Map<number, string[]>;
}

/** Author and sender fields RFC 5322 (3.6) allows once: several of them name several authors or
 * senders, whichever a reader shows (the first, the last, or every line, as Python's
 * getaddresses(msg.get_all('From')) and "all headers" views do). Resent-From and Resent-Sender
 * come once per resending, so each of their fields stands alone. */
const ONCE_ONLY_AUTHOR_FIELDS: ReadonlySet<string> = new Set(['from', 'sender']);

/**
 * The mailboxes of each author or sender field, in header order: one list for all From fields and
 * one for all Sender fields (a later field's address that an earlier one named adds nothing: a line
 * written twice names no one new), one per Resent-From or Resent-Sender field.
 */
export function authorLists(parsed: ParsedMessage): AuthorList[] {
  let found = authorListsOf.get(parsed);
  if (found === undefined) authorListsOf.set(parsed, (found = readAuthorLists(parsed)));
  return found;
}

type AuthorList = { field: AddressField; entries: AddressEntry[] };
/** Read once per message: inference, the shown addresses and the malformed-header rule all ask. */
const authorListsOf = new WeakMap<ParsedMessage, AuthorList[]>();

function readAuthorLists(parsed: ParsedMessage): AuthorList[] {
  const lists = new Map<string | number, { field: AddressField; entries: AddressEntry[]; fieldIndex: number; earlier: Set<string>; current: string[] }>();
  // Indexed, as the per-address passes of analyse.ts (a for-of step allocates in V8's first tiers).
  const { addresses } = parsed;
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i]!;
    if (!SENDER_FIELDS.includes(a.field as (typeof SENDER_FIELDS)[number])) continue;
    const key = ONCE_ONLY_AUTHOR_FIELDS.has(a.field) ? a.field : a.fieldIndex;
    let list = lists.get(key);
    if (!list) lists.set(key, (list = { field: a.field, entries: [], fieldIndex: a.fieldIndex, earlier: new Set(), current: [] }));
    if (a.fieldIndex !== list.fieldIndex) {
      // A new field of a once-only name: the field before it is among the earlier ones now
      // (each address is added once, so 10,000 From fields stay linear).
      for (const address of list.current) list.earlier.add(address);
      list.current = [];
      list.fieldIndex = a.fieldIndex;
    }
    if (list.earlier.has(a.mailbox.address)) continue;
    list.entries.push(a);
    list.current.push(a.mailbox.address);
  }
  return [...lists.values()].map(({ field, entries }) => ({ field, entries }));
}

/** Parses one address field's value. */
export function parseField(field: HeaderField, header: HeaderBlock, deadline = Infinity, maxMailboxes = Infinity) {
  return parseAddressList(unfoldField(field, header.lineEnding), deadline, maxMailboxes);
}

/** `header`: `readHeaderBlock(bytes)`, when the caller has it. */
export function parseMessage(bytes: Uint8Array, header: HeaderBlock = readHeaderBlock(bytes)): ParsedMessage {
  const addresses: AddressEntry[] = [];
  const addressProblems: FieldAddressProblem[] = [];
  const spacedFieldNames: ParsedMessage['spacedFieldNames'] = [];
  const fieldCounts: ParsedMessage['fieldCounts'] = {};
  const groupNames: ParsedMessage['groupNames'] = [];
  const comments: ParsedMessage['comments'] = [];
  const problemCounts: Partial<Record<AddressField, number>> = {};
  let fieldGroups: Map<number, string[]> | undefined;
  let truncated = false;
  let timedOut = false;
  const deadline = process.uptime() * 1000 + MAX_PARSE_MS; // the parser's clock (address-list.ts)

  header.fields.forEach((f, fieldIndex) => {
    if (!ADDRESS_FIELDS.has(f.key)) return;
    const field = f.key as AddressField;
    fieldCounts[field] = (fieldCounts[field] ?? 0) + 1;
    if (f.spaceBeforeColon) spacedFieldNames.push({ field, line: f.line });
    if (truncated) return;
    // One more than the budget left, so going past the limit is seen, and no more is parsed.
    const list = parseField(f, header, deadline, MAX_ADDRESSES_PER_MESSAGE - addresses.length + 1);
    // Past the deadline the remaining addresses are unread: treated as truncated everywhere
    // (rules, envelopes), so nothing is built from a partial list.
    if (list.timedOut || process.uptime() * 1000 > deadline) truncated = timedOut = true;
    for (const p of list.problems) {
      // Counted per field kind, so a flood in From cannot crowd a To problem out of the report.
      const kept = (problemCounts[field] ?? 0) + 1;
      if (kept > MAX_PROBLEMS_PER_FIELD) break;
      problemCounts[field] = kept;
      addressProblems.push({ ...p, field, line: f.line });
    }
    if (list.groups.length > 0) (fieldGroups ??= new Map()).set(fieldIndex, list.groups);
    for (const name of list.groups) if (mayWriteAddress(name)) groupNames.push({ field, line: f.line, name });
    if (list.comments) for (const text of list.comments) comments.push({ field, line: f.line, text });
    const { mailboxes } = list;
    for (let i = 0; i < mailboxes.length; i++) {
      if (addresses.length >= MAX_ADDRESSES_PER_MESSAGE) {
        truncated = true;
        break;
      }
      addresses.push({ mailbox: mailboxes[i]!, field, fieldIndex, line: f.line });
    }
  });
  const parsed: ParsedMessage = { header, addresses, addressProblems, spacedFieldNames, groupNames, comments, fieldCounts, truncated };
  if (timedOut) parsed.timedOut = true;
  if (fieldGroups !== undefined) parsed.fieldGroups = fieldGroups;
  return parsed;
}

/**
 * The mailboxes and group names of each address field the message parsed in full, by field
 * index: what parseField gives for each of those fields, without parsing them again (a rewrite of
 * a 200,000-recipient To parsed it three times: the check, prepareRewrite, each field). Undefined
 * when the parse stopped early (`truncated`): a field's reading may then be partial.
 */
export function fieldLists(parsed: ParsedMessage): Map<number, { mailboxes: Mailbox[]; groups: string[] }> | undefined {
  if (parsed.truncated) return undefined;
  const lists = new Map<number, { mailboxes: Mailbox[]; groups: string[] }>();
  const { addresses } = parsed;
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i]!;
    let list = lists.get(a.fieldIndex);
    if (list === undefined) lists.set(a.fieldIndex, (list = { mailboxes: [], groups: parsed.fieldGroups?.get(a.fieldIndex) ?? [] }));
    list.mailboxes.push(a.mailbox);
  }
  if (parsed.fieldGroups !== undefined) for (const [index, groups] of parsed.fieldGroups) if (!lists.has(index)) lists.set(index, { mailboxes: [], groups });
  return lists;
}
