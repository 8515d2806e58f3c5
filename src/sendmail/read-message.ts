// Reads the message a program pipes into sendmail: until end of input, or, unless -i / -oi,
// until a line holding a single ".". Like Postfix's sendmail, the lone dot is not kept and no
// other line is changed (no dot-unstuffing, no line-ending conversion).

import { MailguardError } from '../errors.js';

/** The largest message accepted on stdin. Postfix's default message_size_limit is 10 MB and
 * large providers stop at 25-50 MB; 64 MiB bounds memory while refusing nothing real. */
export const MAX_SENDMAIL_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface ReadSendmailOptions {
  /** -i / -oi: a lone "." line is data, not the end. */
  ignoreDots: boolean;
  maxBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

/** Whether a line of `length` bytes starting with `head` is a lone "." (a trailing CR allowed). */
function isLoneDot(head: readonly number[], length: number): boolean {
  return (length === 1 && head[0] === DOT) || (length === 2 && head[0] === DOT && head[1] === CR);
}

/** How reading up to a lone dot ended: at the dot (`rest`: the bytes after its line, unread), or at end of input. */
export interface LoneDotRead {
  bytes: Buffer;
  ended: 'dot' | 'eof';
  /** With 'dot': what followed the dot's line in the same chunk (SMTP's next commands). */
  rest?: Buffer;
}

/**
 * Collects bytes from chunks up to a line holding a single "." (a trailing CR allowed), which is
 * not kept; the lines before it are returned unchanged. Throws MessageTooLargeError past `maxBytes`. The drop-in's
 * stdin and its -bs DATA (src/sendmail/smtp-stdio.ts) both end a message this way.
 */
export async function readUntilLoneDot(chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<LoneDotRead> {
  const parts: Buffer[] = [];
  let total = 0;
  // Absolute offset of the current line, and its first bytes (enough to tell "." and ".\r").
  let lineStart = 0;
  let head: number[] = [];
  for await (const chunk of chunks) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(LF, pos);
      const end = nl === -1 ? buf.length : nl;
      for (let k = pos; k < end && head.length < 3; k++) head.push(buf[k]!);
      if (nl === -1) break;
      if (isLoneDot(head, total + nl - lineStart)) {
        parts.push(buf.subarray(0, nl + 1));
        return { bytes: Buffer.concat(parts).subarray(0, lineStart), ended: 'dot', rest: buf.subarray(nl + 1) };
      }
      head = [];
      lineStart = total + nl + 1;
      pos = nl + 1;
    }
    parts.push(buf);
    total += buf.length;
    if (total > maxBytes) tooLarge(maxBytes);
  }
  const all = Buffer.concat(parts, total);
  // End of input: a final "." without a line break is a lone dot too; the caller decides what it means.
  return isLoneDot(head, total - lineStart) ? { bytes: all.subarray(0, lineStart), ended: 'dot' } : { bytes: all, ended: 'eof' };
}

/** The message is past the size limit (EINPUT); -bs answers it with 552, other errors are not this. */
export class MessageTooLargeError extends MailguardError {
  constructor(readonly maxBytes: number) {
    super('EINPUT', `the message is larger than ${maxBytes} bytes.`, { hint: 'Send large files another way, or as a link.' });
  }
}

function tooLarge(maxBytes: number): never {
  throw new MessageTooLargeError(maxBytes);
}

/**
 * Collects a message from chunks. Stops reading at a lone dot (the rest of the input is left
 * unread, as sendmail does), unless -i. Throws EINPUT past `maxBytes`.
 */
export async function readSendmailMessage(chunks: AsyncIterable<Uint8Array>, options: ReadSendmailOptions): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_SENDMAIL_MESSAGE_BYTES;
  if (!options.ignoreDots) return (await readUntilLoneDot(chunks, maxBytes)).bytes;
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    total += chunk.byteLength;
    if (total > maxBytes) tooLarge(maxBytes);
  }
  return Buffer.concat(parts, total);
}
