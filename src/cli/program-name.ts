// How the user started mailguard, so the commands it suggests ("fix: mailguard fix draft.eml",
// "Next: mailguard check <paths>", usage lines) can be typed again as they are printed.

import path from 'node:path';

const COMMANDS = ['check', 'fix', 'init', 'explain', 'send', 'sendmail', 'proxy', 'audit', 'completion'];
/** "mailguard <command>" in a sentence, not already prefixed (npx mailguard) or part of a path or word. */
const SUGGESTION = new RegExp(`(?<![\\w/.@-]|npx )mailguard(?= (?:${COMMANDS.join('|')})\\b)`, 'g');

/**
 * The command that starts mailguard the way this process was started:
 * - `npx mailguard` when it runs from a node_modules/.bin link: npx, an npm script, or
 *   `npm exec`. The project's own install is not on the user's PATH, npx finds it.
 * - `mailguard` otherwise: a global install or `npm link` (a link on PATH), or the bin file itself.
 */
export function invocationName(argv: readonly string[] = process.argv): string {
  const script = argv[1] ?? '';
  if (path.basename(path.dirname(script)) === '.bin' && path.basename(path.dirname(path.dirname(script))) === 'node_modules') return 'npx mailguard';
  return 'mailguard';
}

let current = 'mailguard';

/** The name set by the CLI entry for this run ("mailguard" until then). */
export function programName(): string {
  return current;
}

export function setProgramName(name: string): void {
  current = name;
}

/** Rewrites each suggested "mailguard <command>" in `text` to the way mailguard was started. */
export function adaptSuggestions(text: string, name: string = current): string {
  return name === 'mailguard' ? text : text.replace(SUGGESTION, name);
}
