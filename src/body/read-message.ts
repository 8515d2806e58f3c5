// Adapter (I/O) for the body scan: given an input item read header-only, returns the whole
// message when its header says there is a body worth scanning, else undefined. Only messages
// with text to scan pay for reading past the header.

import { open } from 'node:fs/promises';
import type { InputMessage } from '../io/inputs.js';
import { readHeaderBlock } from '../message/header-block.js';
import { bodyWorthScanning } from './mime.js';

/** Bytes of one message read for the body scan. Text parts come first in real mail; a larger
 * message (attachments) is scanned in its first 32 MiB, which holds the body and any CSV. */
export const MAX_SCANNED_MESSAGE_BYTES = 32 * 1024 * 1024;

export async function readWholeForScan(item: InputMessage): Promise<Uint8Array | undefined> {
  if (item.complete) return item.bytes;
  if (item.path === undefined || item.format !== 'eml') return undefined;
  if (!bodyWorthScanning(readHeaderBlock(item.bytes))) return undefined;
  let fh;
  try {
    fh = await open(item.path, 'r');
  } catch {
    return undefined; // gone since the header was read: the header check still stands
  }
  try {
    const size = (await fh.stat()).size;
    // The header read takes a 64-KiB chunk, so a small file is usually already whole.
    if (size === item.bytes.length) return item.bytes;
    const length = Math.min(size, MAX_SCANNED_MESSAGE_BYTES);
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } finally {
    await fh.close();
  }
}
