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

/**
 * Collects a message from chunks. Stops reading at a lone dot (the rest of the input is left
 * unread, as sendmail does). Throws EINPUT past `maxBytes`.
 */
export async function readSendmailMessage(chunks: AsyncIterable<Uint8Array>, options: ReadSendmailOptions): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_SENDMAIL_MESSAGE_BYTES;
  const parts: Buffer[] = [];
  let total = 0;
  // Absolute offset of the current line, and its first bytes (enough to tell "." and ".\r").
  let lineStart = 0;
  let head: number[] = [];
  for await (const chunk of chunks) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!options.ignoreDots) {
      let pos = 0;
      for (;;) {
        const nl = buf.indexOf(LF, pos);
        const end = nl === -1 ? buf.length : nl;
        for (let k = pos; k < end && head.length < 3; k++) head.push(buf[k]!);
        if (nl === -1) break;
        if (isLoneDot(head, total + nl - lineStart)) {
          parts.push(buf);
          return Buffer.concat(parts).subarray(0, lineStart);
        }
        head = [];
        lineStart = total + nl + 1;
        pos = nl + 1;
      }
    }
    parts.push(buf);
    total += buf.length;
    if (total > maxBytes) {
      throw new MailguardError('EINPUT', `the message is larger than ${maxBytes} bytes.`, { hint: 'Send large files another way, or as a link.' });
    }
  }
  const all = Buffer.concat(parts, total);
  // End of input: a final "." without a line break also ends the message.
  if (!options.ignoreDots && isLoneDot(head, total - lineStart)) return all.subarray(0, lineStart);
  return all;
}
