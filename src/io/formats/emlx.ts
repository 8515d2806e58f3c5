// Apple Mail's message files (`.emlx`, `.partial.emlx`): a line with the message's length in
// bytes, the message, then an XML property list of Mail's flags. Recognised by that first line
// followed by a header field; read as the message alone (the count decides where it ends).

import { looksLikeMessage } from './eml.js';
import { failure, wholeOrFailure, headText, type InputFormatDefinition, type InputMessage } from './types.js';

/** The byte count line: digits, maybe blanks, then the line end. */
const COUNT_LINE = /^(\d{1,12})[ \t]*\r?\n/;

export function looksLikeEmlx(head: Uint8Array): boolean {
  const m = COUNT_LINE.exec(headText(head, 32));
  return m !== null && looksLikeMessage(head.subarray(m[0].length));
}

/** What Mail writes after the counted message: its XML property list (or nothing, maybe after
 * white space). */
const PROPERTY_LIST = /^(?:<\?xml|<!DOCTYPE plist|<plist)/i;

function followedByPropertyList(rest: Uint8Array): boolean {
  let i = 0;
  while (i < rest.length && (rest[i] === 0x20 || rest[i] === 0x09 || rest[i] === 0x0d || rest[i] === 0x0a)) i++;
  return i === rest.length || PROPERTY_LIST.test(headText(rest.subarray(i), 32));
}

export const emlx: InputFormatDefinition = {
  name: 'emlx',
  description: "Apple Mail's message files (.emlx): the message after its byte count line",
  sniff: (head) => looksLikeEmlx(head),
  async *read(src) {
    const bytes = await wholeOrFailure(src);
    if ('failure' in bytes) {
      yield bytes;
      return;
    }
    const m = COUNT_LINE.exec(headText(bytes, 32));
    const start = m ? m[0].length : 0;
    const count = m ? Number(m[1]) : NaN;
    // A count past the end means the file was cut: what the message holds cannot be known.
    if (!m || start + count > bytes.byteLength) {
      yield failure(src.source, 'unreadable', `an Apple Mail .emlx file whose byte count (${m ? m[1] : 'missing'}) runs past its end (${bytes.byteLength - start} bytes): the file is cut`);
      return;
    }
    // A count short of the message: Mail's property list follows the counted bytes, so anything
    // else there (a To line, the rest of the header) is the message the count cut, whose list
    // the counted bytes leave out. The count is wrong; which reading Mail shows cannot be known.
    if (!followedByPropertyList(bytes.subarray(start + count))) {
      yield failure(
        src.source,
        'unreadable',
        `an Apple Mail .emlx file whose byte count (${m[1]}) ends the message before text that is not its property list: the count is wrong, so the message was not read`,
      );
      return;
    }
    const msg: InputMessage = { source: src.source, bytes: bytes.subarray(start, start + count), complete: true, format: 'emlx', lineOffset: 1 };
    if (src.file !== undefined) msg.path = src.file;
    yield msg;
  },
};
