// Adapter (I/O) for the body scan: given an input item read header-only, returns the whole
// message when its header says there is a body worth scanning, else undefined. Only messages
// with text to scan pay for reading past the header.

import { statSync } from 'node:fs';
import { closeAsync, openAsync, readAsync } from './fs-async.js';
import type { InputItem, InputMessage } from './inputs.js';
import { readHeaderBlock, type HeaderBlock } from '../message/header-block.js';
import { bodyWorthScanning } from '../body/mime.js';

/** Bytes of one message read for the body scan. Attachments are opened whole (a workbook's
 * directory is at its end), and providers refuse messages past 25-35 MB (base64 included), so
 * every sendable message is read whole. */
export const MAX_SCANNED_MESSAGE_BYTES = 48 * 1024 * 1024;

/** Of a message larger than MAX_SCANNED_MESSAGE_BYTES (no provider sends it), only this much is
 * read: the text body and text attachments come first in real mail, and ten addresses of a list
 * show within its first KBs (a 100-MB message costs 1 MiB, not 100). What is past it (the rest of
 * a cut part, later parts) is one ATTACHMENT_NOT_SCANNED for the message (`bodyNotRead`), never clean. */
export const OVERSIZED_MESSAGE_PREFIX_BYTES = 1024 * 1024;

/** Which headers promise a body the caller scans: check scans any text worth it; audit only
 * messages that may carry an attachment (src/cli/actions/audit.ts). */
export type WantsBody = (header: HeaderBlock) => boolean;

export async function readWholeForScan(item: InputMessage, wants: WantsBody = bodyWorthScanning): Promise<Uint8Array | undefined> {
  if (item.complete) return item.bytes;
  if (item.path === undefined || item.format !== 'eml') return undefined;
  if (!wants(readHeaderBlock(item.bytes))) return undefined;
  let size: number;
  try {
    // Synchronous on purpose: a stat costs ~3 µs, a promise-based open/stat/close ~50 µs of CPU,
    // and most messages are already whole (the header read takes a 64-KiB chunk).
    size = statSync(item.path).size;
  } catch (err) {
    // Gone since the header was read: the header check still stands, and the body is reported
    // as not scanned, never taken as clean.
    return bodyUnread(item, err);
  }
  if (size === item.bytes.length) return item.bytes;
  let fd: number;
  try {
    fd = await openAsync(item.path, 'r');
  } catch (err) {
    return bodyUnread(item, err);
  }
  try {
    const length = size > MAX_SCANNED_MESSAGE_BYTES ? OVERSIZED_MESSAGE_PREFIX_BYTES : size;
    // What is past the prefix (later parts, the rest of a cut one) is reported, never clean.
    if (length < size) item.bodyNotRead = { reason: 'too-large', detail: `${size} bytes, over ${MAX_SCANNED_MESSAGE_BYTES}: only the first ${length} were scanned` };
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const bytesRead = await readAsync(fd, buf, done, length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } catch (err) {
    return bodyUnread(item, err);
  } finally {
    await closeAsync(fd).catch(() => undefined);
  }
}

/** A body that could not be read again after the header (the file removed, replaced or failing):
 * `bodyNotRead` says so, so the check reports it (ATTACHMENT_NOT_SCANNED) on the header it has. */
function bodyUnread(item: InputMessage, err: unknown): undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  item.bodyNotRead = { reason: 'unreadable', detail: `the file could not be read again after its header${code ? ` (${code})` : ''}; its body was not scanned` };
  return undefined;
}

/** Reads ahead this many messages for the body scan, so the checks never wait on one file at a time. */
export const BODY_READ_AHEAD = 16;

/**
 * Pairs each input item with its whole message (when the body scan wants it), reading up to
 * BODY_READ_AHEAD files at once while keeping input order. `scan` false: a plain pass-through.
 * Whole messages already in memory (mbox bodies, IMAP) wait in the window too: past
 * MAX_SCANNED_MESSAGE_BYTES of them it is drained first, so it holds about one message's limit.
 */
export async function* withWholeMessages(items: AsyncIterable<InputItem> | Iterable<InputItem>, scan: boolean, wants?: WantsBody): AsyncGenerator<{ item: InputItem; whole: Uint8Array | undefined }> {
  if (!scan) {
    for await (const item of items) yield { item, whole: undefined };
    return;
  }
  const window: Array<{ loaded: Promise<{ item: InputItem; whole: Uint8Array | undefined }>; held: number }> = [];
  let held = 0;
  // Never rejects: a file that cannot be read again is checked on its header alone.
  const load = async (item: InputItem) => ({ item, whole: 'failure' in item ? undefined : await readWholeForScan(item, wants).catch(() => undefined) });
  const next = async () => {
    const entry = window.shift()!;
    held -= entry.held;
    return entry.loaded;
  };
  for await (const item of items) {
    const size = 'failure' in item || !item.complete ? 0 : item.bytes.length;
    window.push({ loaded: load(item), held: size });
    held += size;
    while (window.length >= BODY_READ_AHEAD || (window.length > 1 && held > MAX_SCANNED_MESSAGE_BYTES)) yield await next();
  }
  while (window.length > 0) yield await next();
}
