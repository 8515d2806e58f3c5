// Removes Bcc and Resent-Bcc fields before a message is relayed: a blind recipient must never be
// shown to the others. The envelope (not the header) carries them.

import { readHeaderBlock, type HeaderBlock } from '../message/header-block.js';
import { editFields } from './edit-fields.js';

const BLIND = new Set(['bcc', 'resent-bcc']);

/** The message without its Bcc / Resent-Bcc fields; every other byte unchanged. */
export function stripBcc(bytes: Uint8Array, header: HeaderBlock = readHeaderBlock(bytes)): Uint8Array {
  const edits = header.fields.flatMap((f, fieldIndex) => (BLIND.has(f.key) ? [{ fieldIndex }] : []));
  if (edits.length === 0) return bytes;
  return editFields(bytes, header, edits);
}
