// One RFC 5322 message per file (.eml drafts, .txt drafts, a Maildir's message files): recognised
// by a first line that is a header field. Read as its header block, or whole when asked.

import { failure, errnoDetail, type InputFormatDefinition, type InputMessage } from './types.js';

/** A file named as a mailbox: `Sent.mbox`, `archive.mbx`, Apple Mail's `Sent.mbox/mbox`. */
export function namedLikeMailbox(file: string | undefined): boolean {
  return file !== undefined && /(?:\.mbox|\.mbx|(?:^|[\\/])mbox)$/i.test(file);
}

/** Whether the input starts like a message: (a byte order mark, then) a header field's name (a
 * letter or digit, then printable characters other than the colon), maybe blanks, then a colon. Read on the bytes: this
 * runs once per file of every walk. */
export function looksLikeMessage(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  // Field names in real mail start with a letter or digit; JSON (`{"to":`) does not.
  const c = head[i];
  if (c === undefined || !((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return false;
  const nameStart = i;
  while (i < head.length && head[i]! >= 0x21 && head[i]! <= 0x7e && head[i] !== 0x3a) i++;
  if (i === nameStart) return false;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09)) i++;
  return head[i] === 0x3a;
}

/**
 * Whether a file a walk found is a message behind bytes that keep it from starting like one:
 * blank or white-space lines, NUL bytes, a byte order mark, `>` quoting, or UTF-16 text. Such a
 * file named on the command line is read as a message (and fails closed on that start); found by
 * a walk it must be read too, not counted as "not mail" while its list goes unchecked.
 */
export function looksLikeMessageAfterNoise(head: Uint8Array): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    // UTF-16: its ASCII letters with the zero bytes between them removed.
    const n = Math.min(head.length, 512);
    const ascii: number[] = [];
    for (let i = head[0] === 0xff ? 2 : 3; i < n; i += 2) ascii.push(head[i]!);
    const text = Uint8Array.from(ascii);
    return looksLikeMessage(text) || startsWithFromLine(text);
  }
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const limit = Math.min(head.length, 4096);
  while (i < limit && (head[i] === 0x00 || head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0d || head[i] === 0x0a)) i++;
  while (i < limit && head[i] === 0x3e) i++;
  const rest = head.subarray(i);
  return i > 0 && (looksLikeMessage(rest) || startsWithFromLine(rest));
}

/** An mbox `From ` line at the start (a mailbox behind noise, or in UTF-16). */
function startsWithFromLine(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && Buffer.from(bytes.buffer, bytes.byteOffset, 5).toString('latin1') === 'From ';
}

export const eml: InputFormatDefinition = {
  name: 'eml',
  description: 'one message per file (.eml, .txt drafts, Maildir files)',
  sniff: (head) => looksLikeMessage(head),
  async *read(src) {
    let bytes = src.head;
    let complete = src.complete;
    if (!complete && !src.options.headersOnly) {
      try {
        bytes = await src.whole();
        complete = true;
      } catch (err) {
        yield failure(src.source, 'unreadable', errnoDetail(err));
        return;
      }
    }
    const msg: InputMessage = { source: src.source, bytes, complete, format: 'eml', lineOffset: 0 };
    if (src.file !== undefined) msg.path = src.file;
    yield msg;
  },
};
