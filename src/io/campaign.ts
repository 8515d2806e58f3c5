// JSON campaign files: the message objects a send script hands to nodemailer. A file holds one
// message object, an array of them, or `{ defaults, messages }` (defaults merged into each
// message, as nodemailer merges transport defaults). Each message becomes a header block the core
// checks, built here so that nothing in the JSON can inject a header field, plus a map from each
// header line back to the JSON line and path it came from, so findings point into the JSON
// (`campaign.json` line 14, `messages[3].cc`). Pure: text in, data out.

import { MailguardError } from '../errors.js';
import type { Finding } from '../findings.js';
import { parseAddressList } from '../message/address-list.js';
import type { Envelope } from '../message/envelope.js';
import type { MessageResult, RecipientView } from '../result.js';

/** Nesting depth of a campaign file. Message objects are shallow (attachments, headers: 3-4 levels);
 * the bound keeps the recursive parser's stack small whatever the file holds. */
export const MAX_CAMPAIGN_JSON_DEPTH = 64;

/** Bytes of one campaign file read into memory: 100,000 messages of 1 KB fit with room to spare. */
export const MAX_CAMPAIGN_FILE_BYTES = 256 * 1024 * 1024;

/** Where a header line of a campaign message came from. */
export interface HeaderLineOrigin {
  /** 1-based line in the JSON file. */
  line: number;
  /** JSON path of the address field: `messages[3].cc`, `defaults.from`. */
  path: string;
}

export interface CampaignMessage {
  /** `campaign.json#messages[3]`, `campaign.json#[3]`, `campaign.json#message`. */
  source: string;
  /** JSON path of the message object (`messages[3]`, `[3]`, `$` for a single message). */
  jsonPath: string;
  /** 1-based JSON line where the message object starts. */
  line: number;
  /** The message object with the defaults merged in, as nodemailer would receive it. */
  mail: Record<string, unknown>;
  /** A header block (From, Sender, To, Cc, Reply-To) with one address per line, CRLF line ends. */
  header: Uint8Array;
  /** `origins[n - 1]` is where header line n came from. */
  origins: HeaderLineOrigin[];
  /** With bcc: every address of to, cc and bcc (nodemailer sends Bcc in the envelope only). */
  envelope?: Envelope;
  /** Why this message cannot be checked (it names no recipient at all), if so. */
  problem?: string;
  /**
   * Where each header field nodemailer writes comes from, by lower-case field name (`to`,
   * `reply-to`, a name from `headers`); `*` for every field of a `raw` message.
   */
  fields: Map<string, HeaderLineOrigin>;
}

// --- A JSON parser that remembers where each value starts ----------------------------------------
// JSON.parse keeps no positions, and its error messages differ between Node versions. This parser
// gives findings their JSON line and syntax errors a line and column. Measured on a 9 MB file of
// 100,000 messages (2 cores, loaded): 350-750 ms against JSON.parse's 45-80 ms, while checking
// those messages takes about 2.5 s, so the position keeping is not the bottleneck.

/** A campaign file that cannot be read; `detail` is the message without the file name. */
export class CampaignFileError extends MailguardError {
  constructor(
    file: string,
    readonly detail: string,
    hint: string,
  ) {
    super('EINPUT', `${file}: ${detail}`, { hint });
  }
}

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Line and column (1-based, columns in UTF-16 code units) of an offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Where values start: for each object or array, the offset of each member's value. Kept per
 * container rather than per path string, so a 100,000-message file builds no path strings. */
export interface Parsed {
  value: unknown;
  /** Offset of the top-level value. */
  start: number;
  members: WeakMap<object, Map<string, number> | number[]>;
}

/** The offset where `container[key]` starts, if it was recorded. */
function memberOffset(parsed: Parsed, container: unknown, key: string | number): number | undefined {
  if (typeof container !== 'object' || container === null) return undefined;
  const m = parsed.members.get(container);
  if (m === undefined) return undefined;
  if (Array.isArray(m)) return typeof key === 'number' ? m[key] : undefined;
  return typeof key === 'string' ? m.get(key) : undefined;
}

/** The offset of the value at a path of keys and indexes from the top. */
export function offsetAt(parsed: Parsed, path: ReadonlyArray<string | number>): number | undefined {
  let container: unknown = parsed.value;
  let offset: number | undefined = parsed.start;
  for (const key of path) {
    offset = memberOffset(parsed, container, key);
    if (offset === undefined) return undefined;
    container = (container as Record<string | number, unknown>)[key];
  }
  return offset;
}

function describeChar(text: string, i: number): string {
  if (i >= text.length) return 'the end of the file';
  const c = text[i]!;
  return /[\x21-\x7e]/.test(c) ? `"${c}"` : `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NEEDS_DECODING = /[\\\u0000-\u001f]/;

/**
 * Parses JSON like JSON.parse, recording where each member's value starts. Comments and trailing
 * commas (JSON with comments, as editors and people write campaign files) are read as white space;
 * anything else that is not JSON (JSON5's bare keys and single quotes) is a syntax error.
 */
export function parseJsonWithOffsets(text: string): Parsed {
  const members: Parsed['members'] = new WeakMap();
  let i = 0;
  // White space, and the comments of JSON with comments (JSONC: tsconfig.json, VS Code's
  // settings), which people write in the campaign files their send scripts read.
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) {
        const end = text.indexOf('\n', i + 2);
        i = end === -1 ? text.length : end + 1;
      } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
        const end = text.indexOf('*/', i + 2);
        if (end === -1) throw new JsonSyntaxError('a /* comment that is never closed', i);
        i = end + 2;
      } else return;
    }
  };
  const expect = (what: string): never => {
    throw new JsonSyntaxError(`expected ${what}, found ${describeChar(text, i)}`, i);
  };
  const parseString = (): string => {
    const start = i;
    // Fast path: no escapes and no control characters before the next quote.
    const close = text.indexOf('"', i + 1);
    if (close !== -1) {
      const body = text.slice(i + 1, close);
      if (!NEEDS_DECODING.test(body)) {
        i = close + 1;
        return body;
      }
    }
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) throw new JsonSyntaxError('unterminated string', start);
      if (c === 0x22) break;
      if (c === 0x5c) i++;
      else if (c < 0x20) throw new JsonSyntaxError('a control character (such as a line break) inside a string; write it as \\n', i);
      i++;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      throw new JsonSyntaxError('an invalid escape sequence in a string', start);
    }
  };
  const parseValue = (depth: number): unknown => {
    if (depth > MAX_CAMPAIGN_JSON_DEPTH) throw new JsonSyntaxError(`nested deeper than ${MAX_CAMPAIGN_JSON_DEPTH} levels`, i);
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      i++;
      const obj: Record<string, unknown> = {};
      const starts = new Map<string, number>();
      members.set(obj, starts);
      ws();
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        // A trailing comma (JSONC, JavaScript) closes the object as well.
        if (text.charCodeAt(i) === 0x7d) {
          i++;
          return obj;
        }
        if (text.charCodeAt(i) !== 0x22) expect('a property name in double quotes');
        const keyStart = i;
        const key = parseString();
        ws();
        if (text.charCodeAt(i) !== 0x3a) expect('":" after a property name');
        // A key written twice: JSON.parse (and a nodemailer send script) takes the last value,
        // other readers the first or refuse the file, so `{"to": "me@corp", "to": [list]}` has
        // no one reading. Refused, never read one way while the file is sent another.
        if (starts.has(key)) throw new JsonSyntaxError(`the key ${JSON.stringify(key)} is written twice in one object (JSON readers differ on which value counts: JSON.parse takes the last, others the first); keep one`, keyStart);
        i++;
        ws();
        starts.set(key, i);
        const member = parseValue(depth + 1);
        // A "__proto__" key is data, as with JSON.parse, never the object's prototype.
        if (key === '__proto__') Object.defineProperty(obj, key, { value: member, enumerable: true, writable: true, configurable: true });
        else obj[key] = member;
        ws();
        const next = text.charCodeAt(i);
        if (next === 0x2c) {
          i++;
          continue;
        }
        if (next === 0x7d) {
          i++;
          return obj;
        }
        expect('"," or "}" after a property value');
      }
    }
    if (c === 0x5b) {
      i++;
      const arr: unknown[] = [];
      const starts: number[] = [];
      members.set(arr, starts);
      ws();
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        return arr;
      }
      for (;;) {
        ws();
        if (text.charCodeAt(i) === 0x5d) {
          i++;
          return arr;
        }
        starts.push(i);
        arr.push(parseValue(depth + 1));
        ws();
        const next = text.charCodeAt(i);
        if (next === 0x2c) {
          i++;
          continue;
        }
        if (next === 0x5d) {
          i++;
          return arr;
        }
        expect('"," or "]" after an array element');
      }
    }
    if (c === 0x22) return parseString();
    LITERAL.lastIndex = i;
    const literal = LITERAL.exec(text);
    if (literal) {
      i = LITERAL.lastIndex;
      const word = literal[0];
      return word === 'true' ? true : word === 'false' ? false : word === 'null' ? null : Number(word);
    }
    return expect('a value (object, array, string, number, true, false or null)');
  };
  // A UTF-8 byte order mark is not JSON, but editors write it; skip it like most tools do.
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  ws();
  const start = i;
  const value = parseValue(0);
  ws();
  if (i < text.length) expect('the end of the file after the top-level value');
  return { value, start, members };
}

// --- Campaign shape ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** nodemailer message keys that hold addresses shown in the header, in header order. */
const HEADER_FIELDS: Array<{ key: string; name: string }> = [
  { key: 'from', name: 'From' },
  { key: 'sender', name: 'Sender' },
  { key: 'to', name: 'To' },
  { key: 'cc', name: 'Cc' },
  { key: 'replyTo', name: 'Reply-To' },
];

/** A plain addr-spec: nothing that could close the angle brackets or start another address. */
const PLAIN_ADDRESS = /^[^\s<>(),;:"\\[\]@]+@[^\s<>(),;:"\\[\]@]+$/;

/** nodemailer turns line breaks in header values into spaces; so do we, and no line can start a field. */
function oneLine(s: string): string {
  return s.replace(/\r\n|\r|\n/g, ' ');
}

function quoted(s: string): string {
  return `"${oneLine(s).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

class CampaignError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly offset: number | undefined,
  ) {
    super(message);
  }
}

/** One address entry as header text, and where its value starts in the JSON. */
interface Entry {
  text: string;
  offset: number | undefined;
}

/**
 * One address entry as header text. Strings are address lists as nodemailer reads them; objects
 * give a name and one address. An object address that is not a plain addr-spec is written as a
 * quoted string without a domain, which the strict parser reports (AMBIGUOUS_RECIPIENT) instead of
 * reading it as several recipients.
 */
function entryText(entry: unknown, path: () => string, offset: number | undefined): string {
  if (typeof entry === 'string') return oneLine(entry);
  if (isObject(entry)) {
    const address = entry.address;
    const name = entry.name;
    if (typeof address !== 'string') throw new CampaignError('an address object needs an "address" string', path(), offset);
    if (name !== undefined && name !== null && typeof name !== 'string') throw new CampaignError('"name" must be a string', path(), offset);
    const addr = PLAIN_ADDRESS.test(address) ? `<${address}>` : `<${quoted(address)}>`;
    return typeof name === 'string' && name !== '' ? `${quoted(name)} ${addr}` : addr;
  }
  throw new CampaignError('an address must be a string, { "name", "address" }, or an array of them', path(), offset);
}

/** Flattens `container[key]` (string, object, or nested arrays of them) into entries. */
function entriesOf(parsed: Parsed, container: unknown, key: string | number, path: () => string, out: Entry[] = []): Entry[] {
  const value = (container as Record<string | number, unknown>)[key];
  if (value === undefined || value === null || value === false || value === '') return out;
  if (Array.isArray(value)) {
    for (let n = 0; n < value.length; n++) entriesOf(parsed, value, n, () => `${path()}[${n}]`, out);
    return out;
  }
  const offset = memberOffset(parsed, container, key);
  out.push({ text: entryText(value, path, offset), offset });
  return out;
}

/** Line lookup by offset: line starts indexed once, then a binary search per lookup. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

interface MessageSite {
  parsed: Parsed;
  lineAt: (offset: number) => number;
  file: string;
  /** The message object as written, and the defaults object when there is one. */
  own: Obj;
  defaults: Obj | undefined;
  path: string;
  suffix: string;
  offset: number;
}

/** Header field names (lower case) of the nodemailer keys that write them. */
const KEY_FIELDS: Record<string, string> = { from: 'from', sender: 'sender', to: 'to', cc: 'cc', bcc: 'bcc', replyTo: 'reply-to', subject: 'subject', inReplyTo: 'in-reply-to', references: 'references', messageId: 'message-id', date: 'date' };

/** Where each header field of the message nodemailer builds comes from in the JSON. */
function fieldOrigins(site: MessageSite, messageLine: number): Map<string, HeaderLineOrigin> {
  const { parsed, own, defaults, path } = site;
  const out = new Map<string, HeaderLineOrigin>();
  const owner = (key: string) => (has(own, key) || !defaults || !has(defaults, key) ? own : defaults);
  const keyPath = (container: Obj, key: string) => (container === own ? (path === '$' ? key : `${path}.${key}`) : `defaults.${key}`);
  const lineOf = (container: unknown, key: string | number) => {
    // A list points at its first element, as the header field's first line is its first address.
    const value = (container as Record<string | number, unknown>)[key];
    const offset = Array.isArray(value) && value.length > 0 ? memberOffset(parsed, value, 0) : memberOffset(parsed, container, key);
    return offset === undefined ? messageLine : site.lineAt(offset);
  };
  for (const [key, field] of Object.entries(KEY_FIELDS)) {
    const o = owner(key);
    if (has(o, key)) out.set(field, { line: lineOf(o, key), path: keyPath(o, key) });
  }
  // `headers` from the message and the defaults (nodemailer merges them field by field).
  for (const o of [defaults, own]) {
    if (!o || !has(o, 'headers')) continue;
    const headers = o.headers;
    const base = keyPath(o, 'headers');
    if (Array.isArray(headers)) {
      headers.forEach((h, n) => {
        if (isObject(h) && typeof h.key === 'string') out.set(h.key.toLowerCase(), { line: lineOf(headers, n), path: `${base}[${n}]` });
      });
    } else if (isObject(headers)) {
      for (const name of Object.keys(headers)) out.set(name.toLowerCase(), { line: lineOf(headers, name), path: `${base}.${JSON.stringify(name)}` });
    }
  }
  const rawOwner = owner('raw');
  if (has(rawOwner, 'raw')) out.set('*', { line: lineOf(rawOwner, 'raw'), path: keyPath(rawOwner, 'raw') });
  return out;
}

/** nodemailer's keys that name recipients or the bytes sent, by their letters alone (lower case,
 * without `-`, `_` and white space): a key spelt so but written otherwise (`CC`, `Bcc`, `reply_to`, `"to "`) is not one. */
const ADDRESS_KEYS = new Map(['to', 'cc', 'bcc', 'from', 'sender', 'replyTo', 'envelope', 'headers', 'raw'].map((k) => [k.toLowerCase(), k]));

/**
 * Refuses a key that is a recipient key of nodemailer's in another case or spelling (`"CC"`,
 * `"Bcc"`, `"reply-to"`): nodemailer's keys are case-sensitive, so it leaves the field out, while a
 * sender that reads keys loosely shows it (a list in `"CC"` passed as if nobody were copied).
 */
function refuseLookalikeKeys(container: Obj, where: string, parsed: Parsed): void {
  for (const key of Object.keys(container)) {
    const meant = ADDRESS_KEYS.get(key.toLowerCase().replace(/[-_\s]/g, ''));
    if (meant === undefined || meant === key) continue;
    throw new CampaignError(
      `${JSON.stringify(key)} is not a nodemailer key (keys are case-sensitive: ${JSON.stringify(meant)}): nodemailer leaves it out, other senders may not; write ${JSON.stringify(meant)}, or remove it`,
      where === '$' ? key : `${where}.${key}`,
      memberOffset(parsed, container, key),
    );
  }
}

/**
 * Refuses what a campaign file's layout leaves out: a recipient key (in any spelling) at the top of
 * a `{ "defaults", "messages" }` file, beside them, and `defaults` inside a message object. mailguard
 * and nodemailer read neither, so `{"messages": [...], "to": [list]}` and `{"to": me, "defaults":
 * {"cc": [list]}}` passed with the list unread, while a send script that hands the file to sendMail
 * as one message, or merges a message's own defaults, sends it.
 */
function refuseOutsideKeys(container: Obj, where: string, parsed: Parsed, layout: 'campaign' | 'message'): void {
  for (const key of Object.keys(container)) {
    const recipientKey = layout === 'campaign' && ADDRESS_KEYS.has(key.toLowerCase().replace(/[-_\s]/g, ''));
    if (!recipientKey && !(layout === 'message' && key === 'defaults')) continue;
    const why =
      layout === 'campaign'
        ? `${JSON.stringify(key)} beside "messages" belongs to no message: mailguard and nodemailer leave it out, a sender that reads the file as one message does not; move it into "defaults" or into each message`
        : '"defaults" inside a message object is not a nodemailer key: mailguard and nodemailer leave it out, a sender that merges it does not; give defaults beside "messages" ({ "defaults": {...}, "messages": [...] })';
    throw new CampaignError(why, where === '$' ? key : `${where}.${key}`, memberOffset(parsed, container, key));
  }
}

function buildMessage(site: MessageSite): CampaignMessage {
  const { parsed, own, defaults, path } = site;
  refuseLookalikeKeys(own, path, parsed);
  refuseOutsideKeys(own, path, parsed, 'message');
  if (defaults) refuseLookalikeKeys(defaults, 'defaults', parsed);
  const mail: Obj = { ...(defaults ?? {}), ...own };
  const entries = new Map<string, { fieldPath: string; list: Entry[] }>();
  for (const key of ['from', 'sender', 'to', 'cc', 'replyTo', 'bcc']) {
    const owner = has(own, key) || !defaults ? own : defaults;
    // The keys are identifiers, so the path needs no quoting.
    const fieldPath = owner === own ? (path === '$' ? key : `${path}.${key}`) : `defaults.${key}`;
    entries.set(key, { fieldPath, list: entriesOf(parsed, owner, key, () => fieldPath) });
  }
  const messageLine = site.lineAt(site.offset);
  const lines: string[] = [];
  const origins: HeaderLineOrigin[] = [];
  for (const { key, name } of HEADER_FIELDS) {
    const { fieldPath, list } = entries.get(key)!;
    for (let n = 0; n < list.length; n++) {
      const e = list[n]!;
      lines.push(`${n === 0 ? `${name}:` : ''} ${e.text}${n === list.length - 1 ? '' : ','}`);
      origins.push({ line: e.offset === undefined ? messageLine : site.lineAt(e.offset), path: fieldPath });
    }
  }
  if (lines.length === 0) {
    // Bcc only and no sender: the header nodemailer writes shows nobody; give the core that.
    lines.push('To: undisclosed-recipients:;');
    origins.push({ line: messageLine, path });
  }
  const header = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  const message: CampaignMessage = { source: `${site.file}#${site.suffix}`, jsonPath: path, line: messageLine, mail, header, origins, fields: fieldOrigins(site, messageLine) };
  const bcc = entries.get('bcc')!.list;
  if (bcc.length > 0) {
    // The envelope only adds something when there are blind recipients: the visible ones are in the header.
    const rcptTo: string[] = [];
    for (const key of ['to', 'cc', 'bcc']) for (const e of entries.get(key)!.list) for (const m of parseAddressList(e.text).mailboxes) rcptTo.push(m.address);
    const from = entries.get('from')!.list[0];
    message.envelope = { mailFrom: from ? (parseAddressList(from.text).mailboxes[0]?.address ?? '') : '', rcptTo };
  }
  // nodemailer also delivers to `envelope` and sends `raw` as it is, with the recipients it names.
  if (bcc.length + entries.get('to')!.list.length + entries.get('cc')!.list.length === 0 && mail.envelope === undefined && mail.raw === undefined && !hasAddressHeaders(mail.headers)) {
    message.problem = `${path}: no recipients (to, cc, bcc, envelope, or headers)`;
  }
  return message;
}

function hasAddressHeaders(headers: unknown): boolean {
  const names = Array.isArray(headers) ? headers.map((h) => (isObject(h) && typeof h.key === 'string' ? h.key : '')) : isObject(headers) ? Object.keys(headers) : [];
  return names.some((n) => /^(to|cc|bcc|apparently-to)$/i.test(n.trim()));
}

/** The field name whose lines cover 1-based line `line` of a header block, lower case. */
function fieldAtLine(bytes: Uint8Array, line: number): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let name: string | undefined;
  let n = 0;
  let start = 0;
  while (start <= text.length && n < line) {
    const end = text.indexOf('\n', start);
    const current = text.slice(start, end === -1 ? text.length : end).replace(/\r$/, '');
    n++;
    if (current === '') return undefined;
    if (current[0] !== ' ' && current[0] !== '\t') name = /^([^:\s]+)\s*:/.exec(current)?.[1]?.toLowerCase();
    if (end === -1) break;
    start = end + 1;
  }
  return n === line ? name : undefined;
}

/**
 * Points a result checked from the message nodemailer builds back into the JSON: each finding and
 * recipient line becomes the JSON line of the key that wrote its field (`messages[3].cc`,
 * `messages[3].headers.Cc`, `messages[3].raw`); findings of a field nothing in the JSON wrote
 * point at the message object.
 */
export function relocateComposedToCampaign(result: MessageResult, bytes: Uint8Array, fields: ReadonlyMap<string, HeaderLineOrigin>, messagePath: string, messageLine: number): MessageResult {
  const origin = (line: number | undefined): HeaderLineOrigin | undefined => {
    if (line === undefined || line < 1) return undefined;
    const name = fieldAtLine(bytes, line);
    return (name !== undefined ? fields.get(name) : undefined) ?? fields.get('*');
  };
  const findings = result.findings.map((f): Finding => {
    const moved = { ...f } as Finding;
    const o = origin(f.line);
    if (o) {
      moved.line = o.line;
      moved.jsonPath = o.path;
    } else {
      if (f.line !== undefined) moved.line = messageLine;
      if (f.code !== 'UNREADABLE_MESSAGE') moved.jsonPath = messagePath;
    }
    return moved;
  });
  const view = (r: RecipientView): RecipientView => ({ ...r, line: origin(r.line)?.line ?? messageLine });
  return {
    ...result,
    findings,
    recipients: { ...result.recipients, visible: result.recipients.visible.map(view), blind: result.recipients.blind.map(view), reply: result.recipients.reply.map(view) },
  };
}

/**
 * Reads a campaign file's text. Throws CampaignFileError (EINPUT) with the line and column of a
 * syntax error, or the JSON path of a value of the wrong shape.
 */
export function parseCampaign(text: string, file: string): CampaignMessage[] {
  let parsed: Parsed;
  try {
    parsed = parseJsonWithOffsets(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    const { line, column } = lineColumn(text, err.offset);
    throw new CampaignFileError(file, `invalid JSON at line ${line}, column ${column}: ${err.message}`, 'A campaign file is a nodemailer message object, an array of them, or { "defaults": {...}, "messages": [...] }.');
  }
  const lineAt = lineIndex(text);
  const root = parsed.value;
  const out: CampaignMessage[] = [];
  try {
    const message = (container: unknown, key: string | number | undefined, path: string, suffix: string, defaults: Obj | undefined) => {
      const value = key === undefined ? container : (container as Record<string | number, unknown>)[key];
      const offset = key === undefined ? parsed.start : (memberOffset(parsed, container, key) ?? parsed.start);
      if (!isObject(value)) throw new CampaignError('a message must be an object', path, offset);
      out.push(buildMessage({ parsed, lineAt, file, own: value, defaults, path, suffix, offset }));
    };
    if (Array.isArray(root)) {
      for (let n = 0; n < root.length; n++) message(root, n, `[${n}]`, `[${n}]`, undefined);
    } else if (isObject(root) && has(root, 'messages')) {
      refuseOutsideKeys(root, '$', parsed, 'campaign');
      const defaults = root.defaults;
      if (defaults !== undefined && !isObject(defaults)) throw new CampaignError('"defaults" must be an object', 'defaults', memberOffset(parsed, root, 'defaults'));
      const messages = root.messages;
      if (!Array.isArray(messages)) throw new CampaignError('"messages" must be an array of message objects', 'messages', memberOffset(parsed, root, 'messages'));
      for (let n = 0; n < messages.length; n++) message(messages, n, `messages[${n}]`, `messages[${n}]`, defaults as Obj | undefined);
    } else if (isObject(root)) {
      message(root, undefined, '$', 'message', undefined);
    } else {
      throw new CampaignError('the file must hold a message object, an array of them, or { "defaults", "messages" }', '$', parsed.start);
    }
  } catch (err) {
    if (!(err instanceof CampaignError)) throw err;
    const line = lineAt(err.offset ?? parsed.start);
    throw new CampaignFileError(file, `${err.path} (line ${line}): ${err.message}`, 'Addresses are strings ("a@x.example, B <b@y.example>"), { "name": ..., "address": ... } objects, or arrays of them.');
  }
  return out;
}

/**
 * Points a result checked from a campaign's header block back into the JSON: finding and
 * recipient lines become JSON lines, and each finding gets the JSON path of its field.
 */
export function relocateToCampaign(result: MessageResult, origins: readonly HeaderLineOrigin[], messagePath: string): MessageResult {
  const origin = (line: number | undefined) => (line !== undefined && line >= 1 ? origins[line - 1] : undefined);
  const findings = result.findings.map((f): Finding => {
    const o = origin(f.line);
    const moved = { ...f } as Finding;
    if (o) {
      moved.line = o.line;
      moved.jsonPath = o.path;
    } else {
      delete moved.line;
      if (f.code !== 'UNREADABLE_MESSAGE') moved.jsonPath = messagePath;
    }
    return moved;
  });
  const view = (r: RecipientView): RecipientView => ({ ...r, line: origin(r.line)?.line ?? r.line });
  return {
    ...result,
    findings,
    recipients: { ...result.recipients, visible: result.recipients.visible.map(view), blind: result.recipients.blind.map(view), reply: result.recipients.reply.map(view), shown: result.recipients.shown.map(view) },
  };
}
