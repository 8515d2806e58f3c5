// Log lines of the long-running servers (proxy, milter), written to stdout in batches.
//
// Node writes to a pipe synchronously on Linux: one write(2) per line, each waking the reader
// (journald, a log shipper, the bench's parent). Under load that put a syscall and a context
// switch, and a wait whenever the reader was behind, in every message's path before its SMTP
// reply (bench scenario 6: 2,000 messages through the proxy took twice as long with its log on a
// pipe as with it in a file). Lines are now gathered and written together: same lines, same order.

/**
 * How long a line may wait for the lines after it: one write (and one wake-up of the log's reader)
 * per interval instead of one per message; at 400 messages/s about 20 lines a write. Short enough
 * that a tail of the log looks live. A flush per event-loop turn was tried for the milter: it
 * saved fewer writes and cost an extra epoll_pwait per message (BENCHMARKS.md, scenario 9).
 */
const LOG_FLUSH_MS = 50;
/** Pending text written at once, whatever the interval (a burst of warnings). */
const LOG_FLUSH_BYTES = 64 * 1024;

export interface LogLines {
  /** Queues one line (already ending in a newline). */
  write(line: string): void;
  /** Writes what is queued now. */
  flush(): void;
}

/**
 * Batches lines for `sink` (process.stdout by default). Whatever is pending is written before the
 * process exits, also after SIGTERM, SIGINT or an uncaught error ('exit' runs, and stdout to a
 * file or pipe is written synchronously on Linux); only a kill -9 can lose the last LOG_FLUSH_MS
 * of lines.
 */
export function batchedLines(sink: (text: string) => void = (text) => void process.stdout.write(text), intervalMs = LOG_FLUSH_MS): LogLines {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    const text = pending;
    pending = '';
    sink(text);
  };
  process.once('exit', flush);
  return {
    write(line) {
      pending += line;
      if (pending.length >= LOG_FLUSH_BYTES) flush();
      else if (!timer) (timer = setTimeout(flush, intervalMs)).unref();
    },
    flush,
  };
}
