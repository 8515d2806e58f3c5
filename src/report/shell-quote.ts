// Quoting for the commands mailguard prints for the user to run (check's fix hint, init's next
// step): each word comes out as a POSIX shell reads it back, so a printed command can be pasted.

import { printable } from './printable.js';

/** One word for a POSIX shell: as it is when it needs no quoting, else in single quotes ($'...' for control characters). */
export function shellQuote(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) return `$'${printable(s.replace(/[\\']/g, '\\$&'))}'`;
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
