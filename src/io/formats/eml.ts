// One RFC 5322 message per file (.eml drafts, .txt drafts, a Maildir's message files): recognised
// by a first line that is a header field. Read as its header block, or whole when asked.

import { failure, errnoDetail, headText, type InputFormatDefinition } from './types.js';

/** A header field's first line: a name of printable characters (no colon), maybe blanks, a colon. */
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/** Whether the input starts like a message: (a byte order mark, then) a header field. */
export function looksLikeMessage(head: Uint8Array): boolean {
  let text = headText(head, 1000);
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  return FIELD_LINE.test(text);
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
    const msg = { source: src.source, bytes, complete, format: 'eml' as const, lineOffset: 0 };
    yield src.file === undefined ? msg : { ...msg, path: src.file };
  },
};
