// Reading a folder's small files on a second thread while the main thread checks (bench scenarios
// 1 and 2). open + read + close of a 2-KB draft costs the main thread about a third of what
// checking it does; a worker thread does those system calls for the files ahead of the check, so
// on a machine with a second core they overlap the check instead of adding to it. Node's own
// thread pool (fs.promises) would overlap them too, but each read then costs the main thread a
// promise, a callback and a copy, which measured slower than reading synchronously (read-bytes.ts).
//
// The worker only prefetches: the bytes of a regular file smaller than HEADER_READ_CHUNK_BYTES,
// which is exactly what readHead returns for such a file (the whole file, complete). Anything else
// (an error, a larger file, something not a regular file, a file the worker has not reached yet)
// is read by the main thread as before, so what a check sees does not depend on the worker.
// Results come back over a MessagePort read synchronously (receiveMessageOnPort): the check loop
// never waits for the worker, and needs no turn of the event loop to receive them.

import type { MessagePort, Worker } from 'node:worker_threads';
import { HEADER_READ_CHUNK_BYTES } from '../limits.js';

/** Files per message to and from the worker. */
const BATCH_FILES = 64;
/** Batches asked for ahead of the file the check is at: bounds the memory read ahead. */
const BATCHES_AHEAD = 4;
/** Below this many files a worker's start (a thread and a Node environment) is not worth it. */
export const PREFETCH_MIN_FILES = 256;

interface Batch {
  first: number;
  buffer: ArrayBuffer;
  /** Per file: start and end in buffer, or -1 when the main thread must read it. */
  spans: Int32Array;
}

// The worker's code, run from source (`eval`): it needs node:fs and the port only, and a file of
// its own would have to be found next to whichever bundle runs this. Plain JavaScript, not
// compiled by the build.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync, fstatSync, constants } = require('node:fs');
const { port, limit } = workerData;
// O_NONBLOCK: a FIFO put in place of a file after the walk must not block the open (a regular
// file ignores the flag); it is then not a regular file and left to the main thread.
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY || 0);
// One scratch buffer, grown as needed; what a batch read is copied out at its exact size, so a
// batch holds no more memory than its files.
let scratch = Buffer.allocUnsafeSlow(256 * 1024);
port.on('message', ({ first, files }) => {
  let used = 0;
  const spans = new Int32Array(files.length * 2).fill(-1);
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    if (file === null) continue;
    let fd;
    try {
      fd = openSync(file, FLAGS);
    } catch {
      continue;
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile() || stat.size >= limit) continue;
      // Read to the end (the file may have grown since fstat), as readHead does.
      let length = 0;
      for (;;) {
        if (used + length + stat.size + 1 > scratch.length) {
          const bigger = Buffer.allocUnsafeSlow(Math.max(scratch.length * 2, used + length + stat.size + 1));
          scratch.copy(bigger, 0, 0, used + length);
          scratch = bigger;
        }
        const n = readSync(fd, scratch, used + length, scratch.length - used - length, length);
        if (n === 0) break;
        length += n;
        if (length >= limit) break;
      }
      if (length >= limit) continue;
      spans[2 * i] = used;
      spans[2 * i + 1] = used + length;
      used += length;
    } catch {
      // Left to the main thread, which reports what went wrong.
    } finally {
      closeSync(fd);
    }
  }
  const out = Buffer.allocUnsafeSlow(used);
  scratch.copy(out, 0, 0, used);
  port.postMessage({ first, buffer: out.buffer, spans }, [out.buffer]);
});
`;

export interface HeadPrefetch {
  /** The whole bytes of file `index` if the worker has read them, else undefined (read it yourself). */
  take(index: number): Buffer | undefined;
  /** Stops the worker. */
  close(): void;
}

/**
 * Starts a worker reading `paths` ahead (null: not to be read, e.g. stdin or a special file).
 * Undefined on a machine with one core, or when a worker thread cannot be started; the caller then
 * reads every file itself.
 */
export async function startHeadPrefetch(paths: ReadonlyArray<string | null>): Promise<HeadPrefetch | undefined> {
  let threads: typeof import('node:worker_threads');
  let worker: Worker;
  let port: MessagePort;
  try {
    // One core: the worker's reads would take turns with the check instead of overlapping it.
    if ((await import('node:os')).availableParallelism() < 2) return undefined;
    // node:worker_threads only for a folder: a one-draft check does not load it (bench scenario 5).
    threads = await import('node:worker_threads');
    const channel = new threads.MessageChannel();
    port = channel.port1;
    worker = new threads.Worker(WORKER_SOURCE, { eval: true, workerData: { port: channel.port2, limit: HEADER_READ_CHUNK_BYTES }, transferList: [channel.port2] });
  } catch {
    return undefined;
  }
  // Neither keeps the process alive, nor does the worker's failure reach anyone: a worker that
  // stops only means the main thread reads the files itself.
  worker.unref();
  port.unref();
  worker.on('error', () => undefined);

  const batches = new Map<number, Batch>();
  let asked = 0;
  let closed = false;
  const ask = (upTo: number) => {
    while (!closed && asked < paths.length && asked < upTo) {
      const first = asked;
      asked = Math.min(paths.length, asked + BATCH_FILES);
      port.postMessage({ first, files: paths.slice(first, asked) });
    }
  };
  ask(BATCHES_AHEAD * BATCH_FILES);
  return {
    take(index) {
      if (closed) return undefined;
      ask(index + BATCHES_AHEAD * BATCH_FILES);
      const first = index - (index % BATCH_FILES);
      let batch = batches.get(first);
      while (!batch) {
        const received = threads.receiveMessageOnPort(port);
        if (!received) break;
        const got = received.message as Batch;
        batches.set(got.first, got);
        batch = batches.get(first);
      }
      // Batches before this one are done with (files are taken in order).
      for (const k of batches.keys()) if (k < first) batches.delete(k);
      if (!batch) return undefined;
      const start = batch.spans[2 * (index - first)]!;
      if (start < 0) return undefined;
      return Buffer.from(batch.buffer, start, batch.spans[2 * (index - first) + 1]! - start);
    },
    close() {
      if (closed) return;
      closed = true;
      batches.clear();
      port.close();
      void worker.terminate();
    },
  };
}
