// JSON campaigns (the message objects a send script hands to nodemailer): each message is
// compiled by nodemailer's own composer, its content files read under the rules of
// campaign-content.ts, and checked as the bytes and envelope nodemailer would send. Recognised by
// a JSON object or array; in a directory walk only when it names message keys (a package.json
// is not a campaign).

import { createRequire } from 'node:module';
import path from 'node:path';
import { MailguardError } from '../../errors.js';
import { HEADER_READ_CHUNK_BYTES } from '../../limits.js';
import { decodeUtf16, utf16Order } from '../../message/utf16.js';
import { errnoDetail, failure, headText, type InputFormatDefinition, type InputItem, type InputMessage, type ReadSource } from './types.js';

/** Keys that make a JSON document a campaign when a directory walk finds it. */
const MESSAGE_KEYS = new Set(['to', 'cc', 'bcc', 'from', 'messages', 'raw', 'envelope', 'headers']);
const CAMPAIGN_KEYS = /"(?:to|cc|bcc|from|messages|raw|envelope|headers)"\s*:/;
/** A \u escape anywhere (a key `"\u0074o"` is "to"): only parsing tells. A plain search: a pattern
 * matching the whole escaped key backtracked over long escaped strings (0.9 s for 60 KB). */
const ESCAPED_KEY = /\\u[0-9a-fA-F]{4}/;

/** Message keys written as JSON5 and JavaScript write them (bare or in single quotes), or quoted
 * after a comment's text: a document that may be a campaign, which its reader then parses. */
const LOOSE_CAMPAIGN_KEYS = /(?:^|[\s{,])['"]?(?:to|cc|bcc|from|messages|raw|envelope|headers)['"]?[ \t]*:/m;

/**
 * Whether the first bytes leave open that a JSON document names message keys although none is in
 * them as JSON writes keys: a document longer than the head (a long html value first), a key with
 * a \u escape, or a key written as JSON5 writes it. Its reader then parses it and decides (see
 * namesMessageKeys); what does not parse is reported, not skipped.
 */
function keysUnseen(head: Uint8Array): boolean {
  const text = sniffedText(head);
  return !CAMPAIGN_KEYS.test(text) && (head.length >= HEADER_READ_CHUNK_BYTES || ESCAPED_KEY.test(text) || LOOSE_CAMPAIGN_KEYS.test(text));
}

/** A JSON file's text: UTF-16 when it is UTF-16 (a byte order mark, or the zero bytes of UTF-16
 * without one), else UTF-8. */
export function campaignText(bytes: Uint8Array): string {
  const order = utf16Order(bytes);
  return order ? decodeUtf16(bytes, order) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** The first bytes as text for sniffing: decoded when UTF-16, else latin1 (a few KB at most). */
function sniffedText(head: Uint8Array): string {
  const order = utf16Order(head);
  return order ? decodeUtf16(head.subarray(0, HEADER_READ_CHUNK_BYTES), order) : headText(head, HEADER_READ_CHUNK_BYTES);
}

/** Where the JSON value of `text` starts: after a byte order mark, white space, and the comments
 * of JSON with comments (`// ...`, `/* ... *\/`). -1 when a comment is never closed. */
function jsonValueStart(text: string): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : text.startsWith('\xef\xbb\xbf') ? 3 : 0;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) {
      const end = text.indexOf('\n', i + 2);
      if (end === -1) return -1;
      i = end + 1;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) return -1;
      i = end + 2;
    } else return i;
  }
}

export function looksLikeCampaign(head: Uint8Array, strict: boolean): boolean {
  const order = utf16Order(head);
  if (order === undefined) {
    // The first byte that is not white space (after a byte order mark) opens an object or array,
    // or a comment. Read on the bytes: this runs for every file of a walk.
    let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
    if (head[i] !== 0x7b && head[i] !== 0x5b && !(head[i] === 0x2f && (head[i + 1] === 0x2f || head[i + 1] === 0x2a))) return false;
  }
  // A campaign in UTF-16 is one as well (skipped as a binary file, its list went unchecked), and
  // so is one behind comments (JSONC, as people write campaign files; skipped as text).
  const text = sniffedText(head);
  const start = jsonValueStart(text);
  // A comment never closed in the first bytes: only the reader can tell, and it reports what it cannot read.
  if (start === -1) return !strict || CAMPAIGN_KEYS.test(text) || LOOSE_CAMPAIGN_KEYS.test(text) || head.length >= HEADER_READ_CHUNK_BYTES;
  const c = text[start];
  if (c !== '{' && c !== '[') return false;
  return !strict || CAMPAIGN_KEYS.test(text) || keysUnseen(head);
}

/** Whether a parsed JSON document names a message key: at its top, in an array's objects, or in `messages`. */
function namesMessageKeys(value: unknown): boolean {
  const objects = Array.isArray(value) ? value : [value];
  return objects.some((o) => typeof o === 'object' && o !== null && !Array.isArray(o) && Object.keys(o).some((k) => MESSAGE_KEYS.has(k)));
}

// node:crypto is loaded when a campaign message needs a Message-ID, not by every `mailguard check`
// that links this format into its bundle (about 13M instructions of a one-message check's cold
// start in callgrind, bench scenario 5; `node -e 0` is about 90M without extra CA certificates).
const require = createRequire(import.meta.url);
const createHash = (algorithm: string) => (require('node:crypto') as typeof import('node:crypto')).createHash(algorithm);

/**
 * Without a messageId one is derived from the message object, so a rerun builds the same
 * Message-ID (the journal's identity for campaigns is the object).
 */
function withMessageId(mail: Record<string, unknown>, identityBytes: Uint8Array): Record<string, unknown> {
  if (mail.messageId !== undefined) return mail;
  const from = JSON.stringify(mail.from ?? '');
  const domain = /@([A-Za-z0-9.-]+)/.exec(from)?.[1] ?? 'mailguard.invalid';
  return { ...mail, messageId: `<${createHash('sha256').update(identityBytes).digest('hex').slice(0, 32)}@${domain}>` };
}

/**
 * The model's fields whose reading decides who receives the message or who is shown as its
 * recipient: a problem there is AMBIGUOUS_RECIPIENT, an error in every command and mode, so the
 * model stands in for the message and is never sent. A problem in From or Sender is left to the
 * check of what nodemailer writes (the model, which the check may pass, must not be sent).
 */
const MODEL_RECIPIENT_FIELDS = new Set(['to', 'cc', 'reply-to']);

/** Whether a recipient field of the strict header model cannot be read unambiguously. */
function hasUnclearAddress(
  header: Uint8Array,
  readHeaderBlock: typeof import('../../message/header-block.js').readHeaderBlock,
  unfold: typeof import('../../message/header-block.js').unfold,
  parseAddressList: typeof import('../../message/address-list.js').parseAddressList,
): boolean {
  // Read unfolded, as the check reads it: the model writes one address per line, and a fold is
  // not a problem (read folded, every list of two or more entries looked unclear, and the model,
  // without `headers`, subject or body, was checked and sent instead of nodemailer's message).
  const block = readHeaderBlock(header);
  return block.fields.some((field) => MODEL_RECIPIENT_FIELDS.has(field.key) && parseAddressList(unfold(field.rawValue, block.lineEnding)).problems.length > 0);
}

async function* readCampaign(src: ReadSource): AsyncGenerator<InputItem> {
  const { CampaignFileError, MAX_CAMPAIGN_FILE_BYTES, parseCampaign, parseJsonWithOffsets } = await import('../campaign.js');
  const { resolveCampaignContent } = await import('../campaign-content.js');
  const { composeLikeNodemailer } = await import('../compose.js');
  const { readHeaderBlock, unfold } = await import('../../message/header-block.js');
  const { parseAddressList } = await import('../../message/address-list.js');
  let bytes: Buffer;
  try {
    if (src.file !== undefined) {
      const { stat, readFile } = await import('node:fs/promises');
      if ((await stat(src.file)).size > MAX_CAMPAIGN_FILE_BYTES) {
        yield failure(src.source, 'bad-campaign', `larger than ${MAX_CAMPAIGN_FILE_BYTES / 1024 / 1024} MiB; split the campaign into several files`);
        return;
      }
      bytes = src.complete ? src.head : await readFile(src.file);
    } else {
      bytes = src.complete ? src.head : await src.whole();
    }
  } catch (err) {
    yield failure(src.source, 'unreadable', errnoDetail(err));
    return;
  }
  const text = campaignText(bytes);
  if (keysUnseen(src.head)) {
    // Recognised before its keys were seen: a document that names none is not a campaign (a walk
    // counts it as not mail; named, it is reported).
    let value: unknown;
    try {
      // Read as the campaign is read (comments and trailing commas allowed): a document that does
      // not parse is left to parseCampaign, which reports where.
      value = parseJsonWithOffsets(text).value;
    } catch {
      value = undefined;
    }
    if (value !== undefined && !namesMessageKeys(value)) {
      yield failure(src.source, 'not-mail', 'a JSON document that is not a campaign (it names no message keys), not a mail message');
      return;
    }
  }
  let messages;
  try {
    messages = parseCampaign(text, src.source);
  } catch (err) {
    if (!(err instanceof CampaignFileError)) throw err;
    yield failure(src.source, 'bad-campaign', err.detail);
    return;
  }
  const root = src.options.contentRoot ?? (src.file !== undefined ? path.dirname(path.resolve(src.file)) : process.cwd());
  // A caller that reads bodies (check and audit with the body scan on) gets the whole message.
  const headersOnly = src.options.headersOnly && !src.options.bodies;
  const fail = (source: string, detail: string): InputItem => (src.file === undefined ? failure(source, 'bad-campaign', detail) : { ...failure(source, 'bad-campaign', detail), path: src.file });
  for (const m of messages) {
    if (m.problem !== undefined) {
      yield fail(m.source, m.problem);
      continue;
    }
    // nodemailer repairs addresses it cannot read (an unclosed quote, a missing separator); such
    // an address is refused here, read strictly, before nodemailer's reading of it is checked.
    const identityBytes = Buffer.from(JSON.stringify(m.mail), 'utf8');
    if (hasUnclearAddress(m.header, readHeaderBlock, unfold, parseAddressList)) {
      // Checked as the strict model, whose AMBIGUOUS_RECIPIENT blocks in check and send alike.
      const model: InputMessage = {
        source: m.source,
        bytes: m.header,
        complete: true,
        format: 'json',
        lineOffset: 0,
        campaign: { jsonPath: m.jsonPath, origins: m.fields, messageLine: m.line, mail: m.mail, identityBytes, modelOrigins: m.origins },
      };
      if (m.envelope) model.envelope = m.envelope;
      if (src.file !== undefined) model.path = src.file;
      yield model;
      continue;
    }
    let composed;
    try {
      const mail = await resolveCampaignContent(withMessageId(m.mail, identityBytes), m.jsonPath, { root, headersOnly });
      composed = await composeLikeNodemailer(mail, { headersOnly, apparentlyTo: true });
    } catch (err) {
      if (!(err instanceof MailguardError)) throw err;
      yield fail(m.source, err.message);
      continue;
    }
    const msg: InputMessage = {
      source: m.source,
      bytes: composed.bytes,
      complete: composed.complete,
      format: 'json',
      lineOffset: 0,
      campaign: { jsonPath: m.jsonPath, origins: m.fields, messageLine: m.line, mail: m.mail, identityBytes },
    };
    // nodemailer's envelope: `envelope`, else every recipient of the To, Cc, Bcc (and, as
    // mailguard send reads a header, Apparently-To) fields it writes.
    if (composed.envelope.rcptTo.length > 0) msg.envelope = composed.envelope;
    if (src.file !== undefined) msg.path = src.file;
    yield msg;
  }
}

export const campaign: InputFormatDefinition = {
  name: 'json',
  description: 'JSON campaigns: nodemailer message objects, compiled as nodemailer sends them',
  sniff: looksLikeCampaign,
  read: readCampaign,
};
