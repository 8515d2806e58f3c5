// The registry of input formats: each says how it is recognised by content and how it is read.
// `--input` of check, audit and send takes these names; adding a format is one file here plus
// its test. Names of files are never used to decide a format (a Thunderbird `Sent` mbox has no
// extension, a `.txt` draft is a message); a file a directory walk finds that no format
// recognises is counted and named as not mail.

import { campaign } from './campaign.js';
import { eml } from './eml.js';
import { emlx } from './emlx.js';
import { mbox } from './mbox.js';
import { msg } from './msg.js';
import { transcript } from './transcript.js';
import type { InputFormat, InputFormatDefinition } from './types.js';
import { headText } from './types.js';

/** In the order they are tried: the most specific signature first, the plain message last. */
export const INPUT_FORMATS: readonly InputFormatDefinition[] = [msg, transcript, campaign, mbox, emlx, eml];

export { INPUT_FORMAT_NAMES } from './names.js';

export function formatByName(name: InputFormat): InputFormatDefinition {
  return INPUT_FORMATS.find((f) => f.name === name)!;
}

/**
 * The format of an input from its first bytes, or undefined when nothing recognises it. With
 * `strict` (a file a walk or glob found) a JSON document must name message keys to count.
 */
export function sniffFormat(head: Uint8Array, strict: boolean): InputFormatDefinition | undefined {
  return INPUT_FORMATS.find((f) => f.sniff(head, strict));
}

/** File signatures of common files that are not mail, to name what was not read. */
const SIGNATURES: Array<[RegExp, string]> = [
  [/^\x89PNG\r\n\x1a\n/, 'PNG image'],
  [/^\xff\xd8\xff/, 'JPEG image'],
  [/^GIF8[79]a/, 'GIF image'],
  [/^RIFF....WEBP/s, 'WebP image'],
  [/^(?:II\*\x00|MM\x00\*)/, 'TIFF image'],
  [/^BM/, 'BMP image'],
  [/^%PDF-/, 'PDF document'],
  [/^PK\x03\x04/, 'ZIP archive (or an Office document)'],
  [/^\x1f\x8b/, 'gzip archive (decompress it and pipe it in: zcat FILE | mailguard check -)'],
  [/^BZh/, 'bzip2 archive'],
  [/^\xfd7zXZ\x00/, 'xz archive'],
  [/^7z\xbc\xaf\x27\x1c/, '7-Zip archive'],
  [/^\x7fELF/, 'program (ELF)'],
  [/^SQLite format 3\x00/, 'SQLite database'],
  [/^(?:\x00\x00\x00.ftyp|ID3|OggS|fLaC)/s, 'audio or video file'],
  [/^<\?xml/, 'XML document'],
  [/^\s*<(?:!doctype html|html)/i, 'HTML page'],
  [/^\s*[{[]/, 'JSON document that is not a campaign'],
];

/** What a file that is not mail is, in a few words. */
export function describeNotMail(head: Uint8Array): string {
  if (head.length === 0) return 'empty file';
  const text = headText(head, 512);
  for (const [re, kind] of SIGNATURES) if (re.test(text)) return kind;
  // NUL bytes, or many control characters: binary; else text that does not start with a header field.
  let control = 0;
  const n = Math.min(head.length, 512);
  for (let i = 0; i < n; i++) {
    const c = head[i]!;
    if (c === 0) return 'binary file';
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) control++;
  }
  return control > n / 32 ? 'binary file' : 'text that is not a message (no header field at the start)';
}

export type { InputFormat, InputFormatDefinition } from './types.js';
