// One RFC 5322 message per file (.eml drafts, .txt drafts, a Maildir's message files): recognised
// by a first line that is a header field. Read as its header block, or whole when asked.

import { decodeUtf16, utf16Order, type Utf16Order } from '../../message/utf16.js';
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
 * blank or white-space lines, NUL bytes, a byte order mark, `>` quoting, or UTF-16 text (with or
 * without a byte order mark). Such a
 * file named on the command line is read as a message (and fails closed on that start); found by
 * a walk it must be read too, not counted as "not mail" while its list goes unchecked.
 */
export function looksLikeMessageAfterNoise(head: Uint8Array): boolean {
  const utf16 = utf16Order(head);
  if (utf16 !== undefined) {
    // UTF-16, with a byte order mark or without one: its text, as latin1 bytes.
    const text = Buffer.from(decodeUtf16(head.subarray(0, 512), utf16), 'latin1');
    return looksLikeMessage(text) || startsWithFromLine(text);
  }
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const limit = head.length;
  while (i < limit && (head[i] === 0x00 || head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0d || head[i] === 0x0a)) i++;
  while (i < limit && head[i] === 0x3e) i++;
  const rest = head.subarray(i);
  return i > 0 && (looksLikeMessage(rest) || startsWithFromLine(rest));
}

/** Bytes of a file a walk found that are searched for a recipient field or key (see
 * showsRecipients); a text file is searched further for a field line (showsRecipientField). */
const RECIPIENT_SEARCH_BYTES = 4096;

/** A recipient field as a header writes it, at the start of a line (maybe quoted or indented),
 * naming an address on its line or on a folded line after it: `To: a@x.example, ...`,
 * `> Cc: ...`, `Resent-To: ...`, `To:` then ` a@x.example,` (a fold right after the colon, maybe
 * quoted: `> ` then the blank). Read at the field's first line only, a list folded after the
 * colon made a draft behind a line of text count as not mail. */
const RECIPIENT_FIELD_LINE = /^[ \t>]*(?:to|cc|bcc|resent-to|resent-cc|resent-bcc|apparently-to)[ \t]*:[^\n@]*(?:\n(?:>[ >]*)?[ \t][^\n@]*)*@/im;

/** A recipient key as JSON or JavaScript writes a campaign's (`"to": [`, `'cc': "`, `bcc: '`),
 * its value a string, list or object. */
const RECIPIENT_KEY = /(?:["'](?:to|cc|bcc)["']|(?:^|[\s{,])(?:to|cc|bcc))[ \t]*:[ \t\r\n]*[[{"'`]/im;

/**
 * Whether a file a walk found that no format recognises still shows recipients as mail does: a
 * recipient field line naming an address (a draft behind a line of text, a digest, a message
 * quoted), or a campaign's recipient key with an address near it (a campaign behind a prefix, a
 * variable holding one, several on one line each). Such a file is read as a message, as it is
 * when named, so what cannot be read is reported instead of counted as not mail while its list
 * goes unchecked.
 */
export function showsRecipients(head: Uint8Array): boolean {
  const utf16 = utf16Order(head);
  const bytes = head.subarray(0, utf16 ? RECIPIENT_SEARCH_BYTES * 2 : RECIPIENT_SEARCH_BYTES);
  const text = utf16 ? decodeUtf16(bytes, utf16) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!text.includes('@')) return false;
  if (RECIPIENT_FIELD_LINE.test(text)) return true;
  const key = RECIPIENT_KEY.exec(text);
  return key !== null && text.indexOf('@', key.index) !== -1;
}

/**
 * Whether bytes of a text file (its head, or a window of it further on: `utf16` then without its
 * byte order mark) hold a recipient field line naming an address (RECIPIENT_FIELD_LINE). A text
 * file is searched for one to its end (inputs.ts), not in its first 4 KiB only: a draft behind a
 * longer pasted log or banner was counted as not mail while its list went unchecked.
 */
export function showsRecipientField(bytes: Uint8Array, utf16: Utf16Order | undefined): boolean {
  const text = utf16 ? decodeUtf16(bytes, utf16) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return text.includes('@') && RECIPIENT_FIELD_LINE.test(text);
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
