// The note about files a directory walk or glob found that are not mail, for the commands whose
// reports do not carry the list (send, fix): on stderr, so machine formats on stdout stay as they
// are. check and audit name them in every report format instead.

import type { NotMailFile } from '../io/inputs.js';
import { formatStderrNote } from '../report/error-text.js';

/** Files named in the note; the rest are counted. */
export const MAX_SKIPPED_NAMED = 3;

// Control characters escaped: a file name must not forge lines on the terminal.
// eslint-disable-next-line no-control-regex
const printableName = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** The note, or undefined when nothing was passed over. */
export function skippedNote(skipped: readonly NotMailFile[]): string | undefined {
  if (skipped.length === 0) return undefined;
  const shown = skipped.slice(0, MAX_SKIPPED_NAMED).map((s) => `${printableName(s.path)} (${s.kind})`);
  const more = skipped.length > shown.length ? `, and ${skipped.length - shown.length} more` : '';
  const files = skipped.length === 1 ? '1 file' : `${skipped.length} files`;
  // A file is often named for the person it came from or went to (jane.doe@customer.example.pdf).
  return formatStderrNote(`mailguard: ${files} found ${skipped.length === 1 ? 'is' : 'are'} not mail and ${skipped.length === 1 ? 'was' : 'were'} not read: ${shown.join(', ')}${more}.\n`);
}

export function writeSkippedNote(skipped: readonly NotMailFile[]): void {
  const note = skippedNote(skipped);
  if (note !== undefined) process.stderr.write(note);
}
