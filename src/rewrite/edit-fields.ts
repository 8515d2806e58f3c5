// Byte-exact header edits: remove, replace or insert whole fields by their byte offsets, keeping
// every other byte (body, other fields, line ends) exactly as it was.

import type { HeaderBlock } from '../message/header-block.js';

export interface FieldEdit {
  /** Index into header.fields of the field to remove or replace. */
  fieldIndex: number;
  /** Replacement bytes for the whole field, line end included; undefined removes the field. */
  replacement?: Uint8Array;
}

/** The line ending this header block uses, for fields written anew. */
export function headerNewline(header: HeaderBlock): string {
  return header.lineEnding === 'lf' ? '\n' : header.lineEnding === 'cr' ? '\r' : '\r\n';
}

/**
 * Applies edits to `bytes`. `insert` fields (complete, with line end) go where the first removed
 * or replaced field stood, or at the end of the header block.
 */
export function editFields(bytes: Uint8Array, header: HeaderBlock, edits: FieldEdit[], insert: Uint8Array[] = []): Uint8Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sorted = [...edits].sort((a, b) => a.fieldIndex - b.fieldIndex);
  const parts: Uint8Array[] = [];
  let pos = 0;
  let inserted = insert.length === 0;
  for (const edit of sorted) {
    const field = header.fields[edit.fieldIndex];
    if (!field) continue;
    parts.push(buf.subarray(pos, field.start));
    if (!inserted) {
      parts.push(...insert);
      inserted = true;
    }
    if (edit.replacement) parts.push(edit.replacement);
    pos = field.end;
  }
  if (!inserted) {
    // End of the header block: before the blank line, or at the end when there is none.
    const at = header.hasBlankLine ? header.headerEnd : header.bodyStart;
    parts.push(buf.subarray(pos, at));
    // A header that ended without a line break needs one before a new field.
    const last = at > 0 ? buf[at - 1] : 0x0a;
    if (at > header.fieldsStart && last !== 0x0a && last !== 0x0d) parts.push(Buffer.from(headerNewline(header), 'latin1'));
    parts.push(...insert);
    pos = at;
  }
  parts.push(buf.subarray(pos));
  return Buffer.concat(parts);
}
