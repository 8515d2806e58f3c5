// Removes Bcc and Resent-Bcc fields before a message is relayed: a blind recipient must never be
// shown to the others. The envelope (not the header) carries them.

import { envelopeLineAt, readHeaderBlock, type HeaderBlock } from '../message/header-block.js';
import { editFields } from './edit-fields.js';

const BLIND = new Set(['bcc', 'resent-bcc']);

/** The message without its Bcc / Resent-Bcc fields; every other byte unchanged. */
export function stripBcc(bytes: Uint8Array, header: HeaderBlock = readHeaderBlock(bytes)): Uint8Array {
  const edits = header.fields.flatMap((f, fieldIndex) => (BLIND.has(f.key) ? [{ fieldIndex }] : []));
  if (edits.length === 0) return bytes;
  return editFields(bytes, header, edits);
}

/**
 * What a file or pipe may carry before the message that is not part of it: a UTF-8 byte order
 * mark (a draft saved by Notepad) and a leading mbox `From ` envelope line. Relayed, they would
 * start the SMTP DATA with a line that is not a header field (or a From field named "\ufeffFrom"),
 * and receivers read the header as body. Postfix's cleanup drops the `From ` line too.
 * Returns the message bytes and how many lines were dropped (to keep line numbers file-relative).
 */
export function stripLeadingEnvelope(bytes: Uint8Array): { bytes: Uint8Array; lines: number } {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  let lines = 0;
  // "From " (not "From:", nor "From :", a field): an mbox envelope line, up to and including its line end.
  if (envelopeLineAt(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), start)) {
    let i = start;
    while (i < bytes.length && bytes[i] !== 0x0a && bytes[i] !== 0x0d) i++;
    if (bytes[i] === 0x0d) i++;
    if (bytes[i] === 0x0a) i++;
    start = i;
    lines = 1;
  }
  return start === 0 ? { bytes, lines: 0 } : { bytes: bytes.subarray(start), lines };
}
