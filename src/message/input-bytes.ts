// A message handed to the library by a JavaScript caller, as the bytes the rest of the code reads.
// The pipeline itself passes Uint8Arrays; this is for the public entry points (src/index.ts and
// checkMessage), so a string, an ArrayBuffer or a view is read as the message it holds, and
// anything else is a usage error naming what to give instead of a TypeError from deep inside.

import { MailguardError } from '../errors.js';

/** What the library's message-taking functions accept. */
export type MessageInput = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/**
 * The message's bytes as the caller gave them: a Uint8Array (a Buffer) as it is, its text as
 * UTF-8, an ArrayBuffer or any view (DataView, another typed array) as the bytes it covers. A
 * stream or null is a usage error, not a TypeError from inside the parser nor a view's 16-bit
 * elements read as bytes (an unreadable message, verdict error). `name` is the function called.
 */
export function messageBytes(input: unknown, name: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const what = input === null ? 'null' : typeof (input as { pipe?: unknown } | undefined)?.pipe === 'function' ? 'a stream' : Array.isArray(input) ? 'an array' : typeof input;
  throw new MailguardError('EUSAGE', `${name} takes the message as a Buffer, a Uint8Array or a string (got ${what}).`, {
    hint: what === 'a stream' ? 'Read the stream into a Buffer first (Buffer.concat of its chunks).' : undefined,
  });
}
