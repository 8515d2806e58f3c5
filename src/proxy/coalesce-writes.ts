// Writes that belong together leave the proxy in one segment (one syscall, one wake-up of the
// peer) instead of one each. smtp-server writes one reply per command with its own
// socket.write, so a pipelined MAIL, RCPT x3, DATA got five writes (five segments the client
// woke up for), and nodemailer writes a message and its final dot separately. Both are batched
// here with socket.cork()/uncork(), the net.Socket API made for it; neither library's code is
// changed, and nothing is held past the tick it was written in, so no reply is delayed.

import type { Writable } from 'node:stream';

/** Holds what is written to `socket` for the rest of this tick, then writes it at once. */
export function corkForTick(socket: Writable): void {
  socket.cork();
  process.nextTick(uncork, socket);
}

/** Holds what is written to `socket` until the event loop's next turn (the pipes a message
 * goes through hand it on in later ticks), then writes it at once. */
export function corkForTurn(socket: Writable): void {
  socket.cork();
  setImmediate(uncork, socket);
}

function uncork(socket: Writable): void {
  // end() and destroy() may have uncorked it already; uncork() on an uncorked socket is a no-op.
  socket.uncork();
}

/**
 * Coalesces the replies smtp-server writes while it handles one chunk of client input: with
 * PIPELINING one chunk carries MAIL, RCPT and DATA, answered in one tick. The listener runs
 * before the parser (prepended) and only corks; it reads nothing. Installed only on a socket
 * that already flows into the parser: a 'data' listener on a paused socket would start it.
 */
export function coalesceRepliesPerChunk(socket: Writable & { readableFlowing: boolean | null; prependListener(event: 'data', listener: () => void): unknown }): boolean {
  if (socket.readableFlowing !== true) return false;
  socket.prependListener('data', () => corkForTick(socket));
  return true;
}
