// Log lines of the long-running servers (proxy, milter), written to stdout in batches.
//
// Node writes to a pipe synchronously on Linux: one write(2) per line, each waking the reader
// (journald, a log shipper, the bench's parent). Under load that put a syscall and a context
// switch, and a wait whenever the reader was behind, in every message's path before its SMTP
// reply (bench scenario 6: 2,000 messages through the proxy took twice as long with its log on a
// pipe as with it in a file). Lines are now collected and written together once the event loop
// has answered what it was doing: same lines, same order, one write per turn.

/** A batch is written at once past this size, so a burst never holds much in memory. */
const MAX_BATCHED_BYTES = 64 * 1024;

export interface LogLines {
  /** Queues one line (already ending in a newline). */
  write(line: string): void;
  /** Writes what is queued now (also done on process exit). */
  flush(): void;
}

/** Batches lines for `sink` (process.stdout by default), flushed on the next turn of the loop. */
export function batchedLines(sink: (text: string) => void = (text) => void process.stdout.write(text)): LogLines {
  let queued: string[] = [];
  let bytes = 0;
  let scheduled: NodeJS.Immediate | undefined;
  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (queued.length === 0) return;
    const text = queued.length === 1 ? queued[0]! : queued.join('');
    queued = [];
    bytes = 0;
    sink(text);
  };
  // On exit (a signal handled, an uncaught error), stdout writes are synchronous: nothing queued is lost.
  process.once('exit', flush);
  return {
    write(line) {
      queued.push(line);
      bytes += line.length;
      if (bytes >= MAX_BATCHED_BYTES) flush();
      else scheduled ??= setImmediate(flush);
    },
    flush,
  };
}
