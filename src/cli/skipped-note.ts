// The note about files a directory walk passed over: on stderr, so machine formats on stdout
// stay as they are, and a drafts folder of .txt files does not pass as "0 blocked" unremarked.

import { MESSAGE_EXTENSIONS } from '../io/inputs.js';

/** Skipped files named in the note; the rest are counted. */
export const MAX_SKIPPED_NAMED = 3;

/** The note, or undefined when nothing was skipped. */
export function skippedNote(skipped: readonly string[]): string | undefined {
  if (skipped.length === 0) return undefined;
  // Control characters escaped: a file name must not forge lines on the terminal.
  // eslint-disable-next-line no-control-regex
  const shown = skipped.slice(0, MAX_SKIPPED_NAMED).map((s) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  const more = skipped.length > shown.length ? `, and ${skipped.length - shown.length} more` : '';
  const exts = [...MESSAGE_EXTENSIONS].join('/');
  const files = skipped.length === 1 ? '1 file' : `${skipped.length} files`;
  return (
    `mailguard: ${files} in the directories read ${skipped.length === 1 ? 'was' : 'were'} skipped (not ${exts}): ${shown.join(', ')}${more}.\n` +
    `  To read them, name them or quote a glob (mailguard expands it), e.g. 'drafts/**/*.txt'.\n`
  );
}

export function writeSkippedNote(skipped: readonly string[]): void {
  const note = skippedNote(skipped);
  if (note !== undefined) process.stderr.write(note);
}
