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
  /** Envelope recipients: every address of to, cc and bcc (nodemailer sends Bcc in the envelope only). */
  envelope: Envelope;
  /** Why this message cannot be checked (it names no recipient at all), if so. */
  problem?: string;
}

// --- A JSON parser that remembers where each value starts ----------------------------------------

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

interface Parsed {
  value: unknown;
  /** JSON path -> offset where its value starts. */
  offsets: Map<string, number>;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function memberPath(parent: string, key: string): string {
  const safe = IDENTIFIER.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (parent === '$') return safe.startsWith('[') ? `$${safe}` : safe;
  return safe.startsWith('[') ? `${parent}${safe}` : `${parent}.${safe}`;
}

function elementPath(parent: string, index: number): string {
  return parent === '$' ? `[${index}]` : `${parent}[${index}]`;
}

function describeChar(text: string, i: number): string {
  if (i >= text.length) return 'the end of the file';
  const c = text[i]!;
  return /[\x21-\x7e]/.test(c) ? `"${c}"` : `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Parses JSON like JSON.parse, recording each value's offset by JSON path. */
export function parseJsonWithOffsets(text: string): Parsed {
  const offsets = new Map<string, number>();
  let i = 0;
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const expect = (what: string): never => {
    throw new JsonSyntaxError(`expected ${what}, found ${describeChar(text, i)}`, i);
  };
  const parseString = (): string => {
    const start = i;
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
  const parseValue = (path: string, depth: number): unknown => {
    if (depth > MAX_CAMPAIGN_JSON_DEPTH) throw new JsonSyntaxError(`nested deeper than ${MAX_CAMPAIGN_JSON_DEPTH} levels`, i);
    ws();
    offsets.set(path, i);
    const c = text[i];
    if (c === '{') {
      i++;
      // No prototype: a "__proto__" key is data, not an object's prototype.
      const obj = Object.create(null) as Record<string, unknown>;
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') expect('a property name in double quotes');
        const key = parseString();
        ws();
        if (text[i] !== ':') expect('":" after a property name');
        i++;
        obj[key] = parseValue(memberPath(path, key), depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        expect('"," or "}" after a property value');
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(elementPath(path, arr.length), depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        expect('"," or "]" after an array element');
      }
    }
    if (c === '"') return parseString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (literal) {
      i += literal[0].length;
      return JSON.parse(literal[0]) as unknown;
    }
    return expect('a value (object, array, string, number, true, false or null)');
  };
  // A UTF-8 byte order mark is not JSON, but editors write it; skip it like most tools do.
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const value = parseValue('$', 0);
  ws();
  if (i < text.length) expect('the end of the file after the top-level value');
  return { value, offsets };
}

// --- Campaign shape ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

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
  ) {
    super(message);
  }
}

/**
 * One address entry as header text. Strings are address lists as nodemailer reads them; objects
 * give a name and one address. An object address that is not a plain addr-spec is written as a
 * quoted string without a domain, which the strict parser reports (AMBIGUOUS_RECIPIENT) instead of
 * reading it as several recipients.
 */
function entryText(entry: unknown, path: string): string {
  if (typeof entry === 'string') return oneLine(entry);
  if (isObject(entry)) {
    const address = entry.address;
    const name = entry.name;
    if (typeof address !== 'string') throw new CampaignError('an address object needs an "address" string', path);
    if (name !== undefined && name !== null && typeof name !== 'string') throw new CampaignError('"name" must be a string', path);
    const addr = PLAIN_ADDRESS.test(address) ? `<${address}>` : `<${quoted(address)}>`;
    return typeof name === 'string' && name !== '' ? `${quoted(name)} ${addr}` : addr;
  }
  throw new CampaignError('an address must be a string, { "name", "address" }, or an array of them', path);
}

interface Entry {
  text: string;
  path: string;
}

/** Flattens a field's value (string, object, or nested arrays of them) into entries with paths. */
function entriesOf(value: unknown, path: string, out: Entry[] = []): Entry[] {
  if (value === undefined || value === null || value === false || value === '') return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => entriesOf(v, `${path}[${i}]`, out));
    return out;
  }
  out.push({ text: entryText(value, path), path });
  return out;
}

interface Located {
  parsed: Parsed;
  /** 1-based line of an offset. */
  lineAt: (offset: number) => number;
}

function lineOf(loc: Located, path: string, fallback: string): number {
  return loc.lineAt(loc.parsed.offsets.get(path) ?? loc.parsed.offsets.get(fallback) ?? 0);
}

/** Line lookup by offset: line starts indexed once, then a binary search per lookup. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x0a) starts.push(i + 1);
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

function buildMessage(loc: Located, file: string, mail: Obj, messagePath: string, sourceSuffix: string, fieldOwner: (key: string) => string): CampaignMessage {
  const lines: string[] = [];
  const origins: HeaderLineOrigin[] = [];
  for (const { key, name } of HEADER_FIELDS) {
    const fieldPath = memberPath(fieldOwner(key), key);
    const entries = entriesOf(mail[key], fieldPath);
    entries.forEach((e, n) => {
      const last = n === entries.length - 1;
      lines.push(`${n === 0 ? `${name}:` : ''} ${e.text}${last ? '' : ','}`);
      origins.push({ line: lineOf(loc, e.path, fieldPath), path: fieldPath });
    });
  }
  if (lines.length === 0) {
    // Bcc only and no sender: the header nodemailer writes shows nobody; give the core that.
    lines.push('To: undisclosed-recipients:;');
    origins.push({ line: lineOf(loc, messagePath, '$'), path: messagePath });
  }
  const header = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  const rcptTo: string[] = [];
  for (const key of ['to', 'cc', 'bcc']) {
    for (const e of entriesOf(mail[key], memberPath(fieldOwner(key), key))) {
      for (const m of parseAddressList(e.text).mailboxes) rcptTo.push(m.address);
    }
  }
  const fromEntries = entriesOf(mail.from, 'from');
  const mailFrom = fromEntries.length > 0 ? (parseAddressList(fromEntries[0]!.text).mailboxes[0]?.address ?? '') : '';
  const named = ['to', 'cc', 'bcc'].some((key) => entriesOf(mail[key], key).length > 0);
  return {
    ...(named ? {} : { problem: `${messagePath}: no recipients (to, cc or bcc)` }),
    source: `${file}#${sourceSuffix}`,
    jsonPath: messagePath,
    line: lineOf(loc, messagePath, '$'),
    mail,
    header,
    origins,
    envelope: { mailFrom, rcptTo },
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
  const loc: Located = { parsed, lineAt: lineIndex(text) };
  const root = parsed.value;
  const out: CampaignMessage[] = [];
  try {
    const message = (value: unknown, path: string, suffix: string, defaults: Obj | undefined) => {
      if (!isObject(value)) throw new CampaignError('a message must be an object', path);
      const mail: Obj = { ...(defaults ?? {}), ...value };
      const owner = (key: string) => (Object.prototype.hasOwnProperty.call(value, key) || !defaults ? path : 'defaults');
      out.push(buildMessage(loc, file, mail, path, suffix, owner));
    };
    if (Array.isArray(root)) {
      root.forEach((m, i) => message(m, `[${i}]`, `[${i}]`, undefined));
    } else if (isObject(root) && Object.prototype.hasOwnProperty.call(root, 'messages')) {
      const defaults = root.defaults;
      if (defaults !== undefined && !isObject(defaults)) throw new CampaignError('"defaults" must be an object', 'defaults');
      const messages = root.messages;
      if (!Array.isArray(messages)) throw new CampaignError('"messages" must be an array of message objects', 'messages');
      messages.forEach((m, i) => message(m, `messages[${i}]`, `messages[${i}]`, defaults as Obj | undefined));
    } else if (isObject(root)) {
      message(root, '$', 'message', undefined);
    } else {
      throw new CampaignError('the file must hold a message object, an array of them, or { "defaults", "messages" }', '$');
    }
  } catch (err) {
    if (!(err instanceof CampaignError)) throw err;
    const line = lineOf(loc, err.path, '$');
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
    recipients: { ...result.recipients, visible: result.recipients.visible.map(view), blind: result.recipients.blind.map(view), reply: result.recipients.reply.map(view) },
  };
}
