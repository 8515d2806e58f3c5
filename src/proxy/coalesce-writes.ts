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

/**
 * Holds what is written to `socket` until the returned release is called (the batch is complete),
 * at the latest until the event loop's next turn: a batch that cannot complete while corked (a
 * pipe waiting for 'drain') is never stuck. Released in time, the fallback is cleared and costs
 * no extra turn of the loop.
 */
export function corkUntilReleased(socket: Writable): () => void {
  socket.cork();
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    clearImmediate(fallback);
    uncork(socket);
  };
  const fallback = setImmediate(release);
  return release;
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
