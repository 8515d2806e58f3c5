// Reading the bytes of one input: a file's header block (synchronously, into shared slabs), a
// whole file or stream within MAX_MESSAGE_BYTES, and stdin, whose format is told from its first
// chunk. The format registry decides what the bytes are; inputs.ts decides what to read.

import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { HEADER_READ_CHUNK_BYTES, MAX_HEADER_BLOCK_BYTES } from '../limits.js';
import { locateBodyStart } from '../message/header-block.js';
import { eml } from './formats/eml.js';
import type { InputFormatDefinition } from './formats/index.js';
import { errnoDetail, failure, type InputItem, type ReadInputsOptions, type ReadSource } from './formats/types.js';

// Header reads are synchronous on purpose: for the small files a check reads, open + read +
// close on the main thread cost about a fifth of the same calls through the thread pool (bench
// scenario 1), and the reads happen one after another anyway.
/** Reused by every header read; what is kept is copied out at its exact length. */
let scratch: Buffer | undefined;
/** Header blocks are copied into shared slabs of this size: one ArrayBuffer per few hundred
 * messages instead of one each keeps the garbage collector's work down (bench scenario 1). */
const HEAD_SLAB_BYTES = 1024 * 1024;
let slab = Buffer.alloc(0);
let slabUsed = 0;

function keepBytes(buf: Buffer, length: number): Buffer {
  if (length > HEAD_SLAB_BYTES / 8) return Buffer.from(buf.subarray(0, length));
  if (slabUsed + length > slab.length) {
    slab = Buffer.allocUnsafe(HEAD_SLAB_BYTES);
    slabUsed = 0;
  }
  buf.copy(slab, slabUsed, 0, length);
  const kept = slab.subarray(slabUsed, slabUsed + length);
  // Keep the next copy 8-byte aligned.
  slabUsed += (length + 7) & ~7;
  return kept;
}

/** Reads a file's header block (at least), growing the read until the blank line is found. */
export function readHead(file: string): { bytes: Buffer; complete: boolean } {
  const fd = openSync(file, 'r');
  try {
    scratch ??= Buffer.allocUnsafe(HEADER_READ_CHUNK_BYTES);
    let buf = scratch;
    let length = 0;
    const keep = (complete: boolean) => ({ bytes: buf === scratch ? keepBytes(buf, length) : buf.subarray(0, length), complete });
    for (;;) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      let bytesRead: number;
      const asked = buf.length - length;
      try {
        bytesRead = readSync(fd, buf, length, asked, length);
      } catch (err) {
        // A pipe or FIFO (`mailguard check <(generate)`) cannot be read by position (ESPIPE, on
        // the first read, before any byte is consumed) nor read twice: read it whole, once.
        if (length === 0 && (err as NodeJS.ErrnoException).code === 'ESPIPE') return { bytes: readToEnd(fd), complete: true };
        throw err;
      }
      length += bytesRead;
      if (bytesRead === 0) return keep(true);
      // Sniffed formats that need the whole file are read whole by the caller.
      const bodyStart = locateBodyStart(buf.subarray(0, length));
      if (bodyStart !== -1) {
        // A header on CR-only line ends (its blank line ends in a CR, not an LF): an LF anywhere
        // after it makes the header ambiguous (header-block.ts, mixed-line-ends), so the whole
        // file is read to look. (Positional reads left the file offset at 0.)
        if (buf[bodyStart - 1] === 0x0d) return { bytes: readToEnd(fd), complete: true };
        // A short read usually means the file ended: one more read that returns nothing proves
        // it, so a small message is known to be whole and the body scan does not stat it again.
        if (bytesRead < asked && readSync(fd, buf, length, 1, length) === 0) return keep(true);
        return keep(false);
      }
      if (length > MAX_HEADER_BLOCK_BYTES + HEADER_READ_CHUNK_BYTES) return keep(false);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The most of one message read whole (fix, send, a pipe, stdin): above the largest message
 * limits of common mail services (Exchange Online 150 MB), so only an endless or broken input
 * (/dev/zero, a runaway generator) reaches it, and it is reported instead of exhausting memory.
 */
export const MAX_MESSAGE_BYTES = 160 * 1024 * 1024;

const tooLarge = () => new Error(`larger than ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB, the most mailguard reads of one message`);

function stdinIsDirectory(): boolean {
  try {
    return fstatSync(0).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a file descriptor from where it is to its end, at most MAX_MESSAGE_BYTES. */
function readToEnd(fd: number): Buffer {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(HEADER_READ_CHUNK_BYTES);
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks);
    size += n;
    if (size > MAX_MESSAGE_BYTES) throw tooLarge();
    chunks.push(chunk.subarray(0, n));
  }
}

/** A whole file, at most MAX_MESSAGE_BYTES (a device such as /dev/zero has no end). */
function readWhole(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    return readToEnd(fd);
  } finally {
    closeSync(fd);
  }
}

/** Bytes of a file read at a time when it is searched past its head (searchFile). */
const SEARCH_WINDOW_BYTES = 1024 * 1024;
/** Bytes each search window repeats of the one before: a line (and what a test reads after it)
 * that crosses a window's end is seen whole in the next. Longer than any recipient field line or
 * `From ` line a reader would take for one. */
const SEARCH_OVERLAP_BYTES = 64 * 1024;

/**
 * Whether `test` holds for some window of a file, read from its start in windows of
 * SEARCH_WINDOW_BYTES that overlap by SEARCH_OVERLAP_BYTES (`at` is a window's offset in the file):
 * what a reader finds in a file must not depend on where it lies, so a file whose head does not
 * settle a question is searched to its end. At most `limit` bytes: past them, 'too-large'.
 */
export function searchFile(file: string, test: (window: Buffer, at: number) => boolean, limit = Infinity): boolean | 'too-large' {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(SEARCH_WINDOW_BYTES);
    for (let at = 0; ; at += SEARCH_WINDOW_BYTES - SEARCH_OVERLAP_BYTES) {
      if (at >= limit) return 'too-large';
      let length = 0;
      for (let n = -1; n !== 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, at + length);
      if (test(buf.subarray(0, length), at)) return true;
      if (length < buf.length) return false;
    }
  } finally {
    closeSync(fd);
  }
}

/** A ReadSource for a file whose head was read. */
export function fileSource(file: string, head: { bytes: Buffer; complete: boolean }, options: ReadInputsOptions): ReadSource {
  return {
    source: file,
    file,
    head: head.bytes,
    complete: head.complete,
    options,
    stream: () => (head.complete ? [head.bytes] : (createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>)),
    whole: async () => (head.complete ? head.bytes : readWhole(file)),
  };
}

/** Reads stdin: an mbox is streamed, anything else read whole; `choose` picks the format from the first chunk. */
export async function* readStdin(options: ReadInputsOptions, choose: (head: Uint8Array) => InputFormatDefinition): AsyncGenerator<InputItem> {
  // `mailguard check < dir`: reading a directory gives nothing, which would read as "empty".
  if (options.stdin === undefined && stdinIsDirectory()) {
    yield failure('-', 'unreadable', 'stdin is a directory; name the directory as a path instead of redirecting it');
    return;
  }
  const stdin = options.stdin ?? process.stdin;
  // Enough of stdin to tell its format. An mbox is then streamed (`zcat Sent.mbox.gz |
  // mailguard audit -` in bounded memory); anything else is read whole.
  const chunks = stdin[Symbol.asyncIterator]();
  const nextChunk = async (): Promise<Buffer | undefined> => {
    const next = await chunks.next();
    if (next.done) return undefined;
    return typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
  };
  const read: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < HEADER_READ_CHUNK_BYTES) {
    const chunk = await nextChunk();
    if (chunk === undefined) {
      ended = true;
      break;
    }
    read.push(chunk);
    size += chunk.length;
  }
  const head = Buffer.concat(read);
  const format = choose(head);
  let consumed = false;
  const source: ReadSource = {
    source: '-',
    head,
    complete: ended,
    options,
    stream: () => {
      consumed = true;
      return (async function* () {
        yield head;
        for (let chunk = ended ? undefined : await nextChunk(); chunk !== undefined; chunk = await nextChunk()) yield chunk;
      })();
    },
    whole: async () => {
      if (consumed) throw new Error('stdin was already read');
      consumed = true;
      if (ended) return head;
      for (let chunk = await nextChunk(); chunk !== undefined; chunk = await nextChunk()) {
        size += chunk.length;
        if (size > MAX_MESSAGE_BYTES) throw tooLarge();
        read.push(chunk);
      }
      return Buffer.concat(read);
    },
  };
  if (format === eml) {
    // A message on stdin is always read whole (a pipe cannot be read again).
    let bytes: Buffer;
    try {
      bytes = await source.whole();
    } catch (err) {
      yield failure('-', 'unreadable', errnoDetail(err));
      return;
    }
    // Its format told from its first chunk, it is told again from all of it: a mailbox separator
    // past that chunk (a first message longer than 64 KiB) makes it a mailbox too.
    const whole = ended ? format : choose(bytes);
    if (whole !== eml) {
      yield* whole.read({ ...source, head: bytes, complete: true, stream: () => [bytes], whole: async () => bytes });
      return;
    }
    yield { source: '-', bytes, complete: true, format: 'eml', lineOffset: 0 };
    return;
  }
  yield* format.read(source);
}

