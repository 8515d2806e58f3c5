// Content a campaign message reads from files (`{ "path": ... }` in text, html, watchHtml, amp,
// icalEvent, raw, attachments and alternatives). A campaign file can come from a pull request,
// so it must not make `send` mail out a secret of the machine (`/etc/shadow`, `../.env`, a CI
// token through a symlink) nor read a device that never ends (`/dev/zero`): only regular files
// under the content root (the campaign file's folder, or --content-root), symlinks resolved,
// within a size per file and per message. `check` applies the same rules, so the CI gate
// refuses what `send` would refuse. Files are read here, once, and handed to nodemailer as
// bytes with its file and URL access switched off: what was checked is what is sent.

import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { MailguardError } from '../errors.js';
import { MAX_CAMPAIGN_CONTENT_FILE_BYTES, MAX_CAMPAIGN_MESSAGE_CONTENT_BYTES } from '../limits.js';

/** Message keys whose value may be content from a file. */
const CONTENT_KEYS = ['text', 'html', 'watchHtml', 'amp', 'icalEvent', 'raw'] as const;
/** Message keys holding a list of content entries. */
const CONTENT_LISTS = ['attachments', 'alternatives'] as const;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

export interface ContentOptions {
  /** The folder content files must lie under. */
  root: string;
  /**
   * Only the header will be built (check): files are opened and measured, not read, except the
   * raw message, whose header is the message's. The same files are refused as when sending.
   */
  headersOnly: boolean;
}

function refuse(where: string, why: string): MailguardError {
  return new MailguardError('EINPUT', `${where}: ${why}`, {
    hint: 'Campaign content comes from regular files under the campaign file\'s folder (or --content-root DIR), within the size limits in SECURITY.md.',
  });
}

/** Reads (or, headersOnly, measures) one content file under the root. */
async function readContentFile(given: string, where: string, root: string, realRoot: string, budget: { left: number }, measureOnly: boolean): Promise<Buffer> {
  const resolved = path.resolve(root, given);
  let real: string;
  try {
    real = await realpath(resolved);
  } catch (err) {
    throw refuse(where, `"${given}" cannot be read (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}).`);
  }
  const rel = path.relative(realRoot, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw refuse(where, `"${given}" is outside the content folder ${root}.`);
  let handle;
  try {
    // O_NONBLOCK: a FIFO must not block the open; it is refused below as not a regular file.
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    throw refuse(where, `"${given}" cannot be read (${(err as Error).message}).`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw refuse(where, `"${given}" is not a regular file.`);
    if (st.size > MAX_CAMPAIGN_CONTENT_FILE_BYTES) throw refuse(where, `"${given}" is larger than ${MAX_CAMPAIGN_CONTENT_FILE_BYTES / 1024 / 1024} MiB, the most mailguard reads of one content file.`);
    if (st.size > budget.left) throw refuse(where, `the message's content files together are larger than ${MAX_CAMPAIGN_MESSAGE_CONTENT_BYTES / 1024 / 1024} MiB.`);
    if (measureOnly) {
      budget.left -= st.size;
      return Buffer.alloc(0);
    }
    // Read at most one byte past the limit: a file that grows (or lies about its size) stops there.
    const cap = Math.min(MAX_CAMPAIGN_CONTENT_FILE_BYTES, budget.left) + 1;
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, cap - size));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      size += bytesRead;
      if (size >= cap) throw refuse(where, `"${given}" grew past the size limit while it was read.`);
    }
    budget.left -= size;
    return Buffer.concat(chunks);
  } finally {
    await handle.close();
  }
}

const isDataUri = (s: string) => /^data:/i.test(s);

/**
 * Returns a copy of the message object in which every file content is bytes (or, headersOnly,
 * an empty placeholder of the same kind) and no URL is left. Throws EINPUT naming the JSON path
 * of the first entry that breaks a rule.
 */
export async function resolveCampaignContent(mail: Obj, jsonPath: string, options: ContentOptions): Promise<Obj> {
  const out: Obj = { ...mail };
  const realRoot = await realpath(options.root).catch(() => path.resolve(options.root));
  const budget = { left: MAX_CAMPAIGN_MESSAGE_CONTENT_BYTES };
  const at = (key: string) => (jsonPath === '$' ? key : `${jsonPath}.${key}`);
  const file = (given: string, where: string, keepBytes: boolean) => readContentFile(given, where, options.root, realRoot, budget, options.headersOnly && !keepBytes);

  /** One content value: a string, or an object with content/path/href/raw. */
  const entry = async (value: unknown, where: string, isRaw: boolean): Promise<unknown> => {
    if (!isObject(value)) return value;
    const copy: Obj = { ...value };
    if (typeof copy.href === 'string') throw refuse(where, 'content from a URL ("href") is not fetched; save it to a file under the content folder.');
    if (isObject(copy.content) || isObject(copy.raw)) {
      // `{ content: { path } }`, `{ raw: { path } }`: nodemailer reads these too.
      if (isObject(copy.content)) copy.content = await entry(copy.content, `${where}.content`, isRaw);
      if (isObject(copy.raw)) copy.raw = await entry(copy.raw, `${where}.raw`, true);
    }
    if (typeof copy.path === 'string' && !isDataUri(copy.path)) {
      const given = copy.path;
      const bytes = await file(given, `${where}.path`, isRaw);
      delete copy.path;
      // nodemailer names an attachment after its path; keep that name now that it is bytes.
      if (copy.filename === undefined) copy.filename = path.basename(given);
      copy.content = bytes;
    } else if (copy.path !== undefined && typeof copy.path !== 'string') {
      throw refuse(where, '"path" must be a string.');
    }
    return copy;
  };

  for (const key of CONTENT_KEYS) {
    if (out[key] === undefined) continue;
    out[key] = await entry(out[key], at(key), key === 'raw');
    // `raw: { content: bytes }` is what nodemailer streams; give it the bytes directly.
    if (key === 'raw' && isObject(out.raw) && out.raw.content !== undefined && Object.keys(out.raw).every((k) => k === 'content' || k === 'filename')) out.raw = out.raw.content;
  }
  for (const key of CONTENT_LISTS) {
    const list = out[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) continue;
    const copies: unknown[] = [];
    for (let n = 0; n < list.length; n++) copies.push(await entry(list[n], `${at(key)}[${n}]`, false));
    out[key] = copies;
  }
  // Defence in depth: nodemailer itself may open no file and fetch no URL for this message.
  out.disableFileAccess = true;
  out.disableUrlAccess = true;
  return out;
}
