// How an error reads on stderr, for every command and the drop-in sendmail alike. stderr ends in
// cron mail, CI logs and journald, which others may read, and an error's text quotes what it was
// handling: an option's value, a relay's "550 5.1.1 <jane@x.example>: unknown", a library's own
// message. Every address in it is masked here, once, whatever raised it. The hint is mailguard's
// own advice (its example addresses, user@example.org, are kept readable) and quotes no input.

import { MailguardError } from '../errors.js';
import { maskText } from './redact.js';

export interface ErrorTextOptions {
  /** The program name each line starts with (`mailguard`, `mailguard-sendmail`). */
  name: string;
  /** Before the message of a known error (`message not delivered: `); an internal error has none. */
  prefix?: string;
  /** Applied to the message and the hint before masking (the CLI's `npx mailguard` suggestions). */
  adapt?: (text: string) => string;
}

/** The lines stderr gets for `err`, each ending in a line break, addresses masked. */
export function formatErrorText(err: unknown, { name, prefix = '', adapt = (t) => t }: ErrorTextOptions): string {
  if (err instanceof MailguardError) return `${name}: ${prefix}${maskText(adapt(err.message))}\n${err.hint ? `  ${adapt(err.hint)}\n` : ''}`;
  const e = err as Error | undefined;
  return `${name}: internal error: ${maskText(e?.stack ?? String(err))}\n  This is a bug; please report it with the command you ran.\n`;
}

/** Other text for stderr that quotes input (why a file could not be read, a worker's failure): addresses masked. */
export function formatStderrNote(text: string): string {
  return maskText(text);
}
