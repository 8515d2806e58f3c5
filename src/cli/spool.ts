// Where check and audit keep a report's per-message text while the inputs are read: the totals
// that open a report are known only at the end, and keeping every message's text (or result) in
// the heap made memory grow with the number of messages (issue 19). Text stays in memory up to
// SPOOL_MEMORY_CHARS, so a short run never touches the disk; past that it goes to a temporary
// file that is private (mode 0600 in a directory of its own, mode 0700: it holds addresses) and
// removed at once where the system allows it (the open file stays readable, so nothing is left
// behind even on kill -9), else when the spool is closed, on exit and on SIGINT/SIGTERM/SIGHUP.

import { readSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MailguardError } from '../errors.js';

/** Text kept in memory before the spool moves to a file, and gathered before each write to it
 * (about a megabyte: bounded, and few writes). */
export const SPOOL_MEMORY_CHARS = 1 << 20;

/** Bytes read back per piece (each is one read and one write of the report: few syscalls). */
const SPOOL_READ_BYTES = 1 << 20;

/** The staging buffer's first size; it grows (doubling) to what SPOOL_MEMORY_CHARS of text needs. */
const SPOOL_FIRST_BUFFER_BYTES = 1 << 16;

/** Most UTF-8 bytes one UTF-16 code unit makes (a lone surrogate: 3, as U+FFFD; a pair: 4 for 2 units). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Spool {
  /** Adds text after what was written before. */
  write(text: string): Promise<void>;
  /** Writes out what is pending and waits for every write to the file: a failure shows here,
   * before any of the report around the spool is written (call it once the writes are done). */
  end(): Promise<void>;
  /** Everything written, in order, in pieces; may be read more than once (after the writes). A
   * piece is the spool's own buffer: it holds its bytes until the next piece is asked for (copy
   * what must outlive that). */
  read(): AsyncGenerator<string | Uint8Array>;
  /** Removes the file, if there is one. */
  close(): Promise<void>;
}

export interface SpoolOptions {
  /** Where the private directory is made (default: the system's temporary directory, TMPDIR). */
  tmpdir?: string;
  /** Keep the file's name until close, as on a system that cannot remove an open file (tests). */
  keepName?: boolean;
}

export function createSpool(options: SpoolOptions = {}): Spool {
  // The pending text is encoded into one buffer as it is written, not kept as strings to join
  // and encode at each flush: for a 73 MB JSON report (bench scenario 2), join + Buffer.from of
  // each megabyte cost about 340 ms of CPU, writing each text into the buffer about 90 ms.
  let buffer: Buffer | undefined;
  let pendingBytes = 0;
  let pendingChars = 0;
  // A high surrogate that ends a text waits for the next one, which may start with its pair: the
  // bytes are those of the texts joined, as when they were kept as strings (encoded alone, each
  // half would be U+FFFD).
  let highSurrogate = '';
  let file: { handle: FileHandle; size: number; dir: string; named: boolean } | undefined;
  /** The write to the file under way, and the buffer it writes from (see flush). */
  let writing: { done: Promise<void>; buffer: Buffer } | undefined;
  let closed = false;
  let removeOnExit: (() => void) | undefined;

  const failed = (what: string, err: unknown) =>
    new MailguardError('EUSAGE', `cannot ${what} the report's temporary file: ${(err as Error).message}`, { hint: 'Check that the temporary directory (TMPDIR) exists, is writable and has free space.' });

  async function openFile(): Promise<NonNullable<typeof file>> {
    // Loaded here, for reports past memory only: node:fs/promises costs a plain check's start-up
    // ~9M instructions (src/io/fs-async.ts).
    const { mkdtemp, open, rmdir, unlink } = await import('node:fs/promises');
    let dir: string;
    let handle: FileHandle;
    try {
      // node:os only when a report spills to disk: a plain check's start does not load it (bench
      // scenario 5).
      dir = await mkdtemp(path.join(options.tmpdir ?? (await import('node:os')).tmpdir(), 'mailguard-'));
      handle = await open(path.join(dir, 'report'), 'wx+', 0o600);
    } catch (err) {
      throw failed('create', err);
    }
    const name = path.join(dir, 'report');
    let named = true;
    if (!options.keepName) {
      try {
        await unlink(name);
        await rmdir(dir);
        named = false;
      } catch {
        // Not on this system (Windows keeps an open file): removed on close, exit or signal.
      }
    }
    if (named) watchExit(dir);
    return { handle, size: 0, dir, named };
  }

  /** Until close, the directory is removed however the process ends (short of kill -9). */
  function watchExit(dir: string): void {
    const remove = () => rmSync(dir, { recursive: true, force: true });
    const onSignal = (signal: NodeJS.Signals) => {
      remove();
      stopWatching();
      // Ends as the signal would have ended it (the default action, exit status 128 + n).
      process.kill(process.pid, signal);
    };
    const stopWatching = () => {
      process.off('exit', remove);
      for (const s of SIGNALS) process.off(s, onSignal);
    };
    process.on('exit', remove);
    for (const s of SIGNALS) process.on(s, onSignal);
    removeOnExit = () => {
      stopWatching();
      remove();
    };
  }

  /** Encodes a waiting high surrogate as it is (U+FFFD): nothing comes to pair it before the bytes go. */
  function settle(): void {
    if (highSurrogate === '') return;
    pendingBytes += reserve(MAX_UTF8_BYTES_PER_UNIT).write(highSurrogate, pendingBytes, 'utf8');
    highSurrogate = '';
  }

  /** Waits for the write under way, if any; its buffer is then free again. */
  async function written(): Promise<Buffer | undefined> {
    if (!writing) return undefined;
    const w = writing;
    writing = undefined;
    await w.done;
    return w.buffer;
  }

  async function flush(): Promise<void> {
    settle();
    if (pendingBytes === 0) return;
    file ??= await openFile();
    // The pending bytes are written on libuv's thread pool while the next megabyte is encoded
    // into the other buffer: the check goes on meanwhile. Waiting for each write (the spool's
    // first form) left the main thread idle for its round trip; writing synchronously kept the
    // kernel's copy into the page cache on it (bench scenario 2's 73-MB report: about 0.2 s).
    // One write at a time, in order: this one starts when the last has ended.
    const spare = await written();
    const full = buffer!;
    const length = pendingBytes;
    const position = file.size;
    file.size += length;
    pendingBytes = 0;
    pendingChars = 0;
    buffer = spare;
    const { handle } = file;
    const done = (async () => {
      try {
        // The whole of it: a write may take part.
        for (let at = 0; at < length; ) at += (await handle.write(full, at, length - at, position + at)).bytesWritten;
      } catch (err) {
        throw failed('write', err);
      }
    })();
    // Its failure is thrown where it is awaited (the next flush, read or close), not as unhandled.
    done.catch(() => undefined);
    writing = { done, buffer: full };
  }

  /** Room for `bytes` more pending bytes, keeping those already there. */
  function reserve(bytes: number): Buffer {
    const need = pendingBytes + bytes;
    if (buffer && buffer.length >= need) return buffer;
    let size = buffer?.length ?? SPOOL_FIRST_BUFFER_BYTES;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    buffer?.copy(grown, 0, 0, pendingBytes);
    buffer = grown;
    return grown;
  }

  return {
    async write(text) {
      if (text.length === 0) return;
      pendingChars += text.length;
      let whole = highSurrogate === '' ? text : highSurrogate + text;
      highSurrogate = '';
      const last = whole.charCodeAt(whole.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        highSurrogate = whole.slice(-1);
        whole = whole.slice(0, -1);
      }
      pendingBytes += reserve(whole.length * MAX_UTF8_BYTES_PER_UNIT).write(whole, pendingBytes, 'utf8');
      if (pendingChars >= SPOOL_MEMORY_CHARS) await flush();
    },
    async end() {
      if (!file) return;
      await flush();
      await written();
    },
    async *read() {
      if (!file) {
        settle();
        if (pendingBytes > 0) yield buffer!.subarray(0, pendingBytes);
        return;
      }
      await flush();
      await written();
      const { handle, size } = file;
      // One buffer for every piece, each read into it after the last was taken: a new megabyte
      // per piece was new memory the kernel had to map and zero page by page (bench scenario 2's
      // 73-MB report: about 0.6 s of reading back under load, against 30 ms into one buffer).
      const piece = Buffer.allocUnsafe(Math.min(SPOOL_READ_BYTES, size));
      for (let at = 0; at < size; ) {
        let got: number;
        try {
          got = readSync(handle.fd, piece, 0, Math.min(piece.length, size - at), at);
        } catch (err) {
          throw failed('read', err);
        }
        if (got === 0) throw failed('read', new Error('it is shorter than what was written'));
        at += got;
        yield got === piece.length ? piece : piece.subarray(0, got);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      buffer = undefined;
      highSurrogate = '';
      pendingBytes = 0;
      pendingChars = 0;
      if (!file) return;
      await written().catch(() => undefined);
      await file.handle.close().catch(() => undefined);
      if (file.named) {
        removeOnExit?.();
        await (await import('node:fs/promises')).rm(file.dir, { recursive: true, force: true });
      }
    },
  };
}

