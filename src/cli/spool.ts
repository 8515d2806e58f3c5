// Where check and audit keep a report's per-message text while the inputs are read: the totals
// that open a report are known only at the end, and keeping every message's text (or result) in
// the heap made memory grow with the number of messages (issue 19). Text stays in memory up to
// SPOOL_MEMORY_CHARS, so a short run never touches the disk; past that it goes to a temporary
// file that is private (mode 0600 in a directory of its own, mode 0700: it holds addresses) and
// removed at once where the system allows it (the open file stays readable, so nothing is left
// behind even on kill -9), else when the spool is closed, on exit and on SIGINT/SIGTERM/SIGHUP.

import { rmSync } from 'node:fs';
import { mkdtemp, open, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MailguardError } from '../errors.js';

/** Text kept in memory before the spool moves to a file, and gathered before each write to it
 * (about a megabyte: bounded, and few writes). */
export const SPOOL_MEMORY_CHARS = 1 << 20;

/** Bytes read back per piece. */
const SPOOL_READ_BYTES = 1 << 18;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Spool {
  /** Adds text after what was written before. */
  write(text: string): Promise<void>;
  /** Everything written, in order, in pieces; may be read more than once (after the writes). */
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
  let pending: string[] = [];
  let pendingChars = 0;
  let file: { handle: FileHandle; size: number; dir: string; named: boolean } | undefined;
  let closed = false;
  let removeOnExit: (() => void) | undefined;

  const failed = (what: string, err: unknown) =>
    new MailguardError('EUSAGE', `cannot ${what} the report's temporary file: ${(err as Error).message}`, { hint: 'Check that the temporary directory (TMPDIR) exists, is writable and has free space.' });

  async function openFile(): Promise<NonNullable<typeof file>> {
    let dir: string;
    let handle: FileHandle;
    try {
      dir = await mkdtemp(path.join(options.tmpdir ?? os.tmpdir(), 'mailguard-'));
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

  async function flush(): Promise<void> {
    if (pendingChars === 0) return;
    file ??= await openFile();
    const bytes = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingChars = 0;
    try {
      await file.handle.write(bytes, 0, bytes.length, file.size);
    } catch (err) {
      throw failed('write', err);
    }
    file.size += bytes.length;
  }

  return {
    async write(text) {
      if (text.length === 0) return;
      pending.push(text);
      pendingChars += text.length;
      if (pendingChars >= SPOOL_MEMORY_CHARS) await flush();
    },
    async *read() {
      if (!file) {
        if (pendingChars > 0) yield pending.join('');
        return;
      }
      await flush();
      const { handle, size } = file;
      for (let at = 0; at < size; ) {
        const buffer = Buffer.allocUnsafe(Math.min(SPOOL_READ_BYTES, size - at));
        let got: number;
        try {
          ({ bytesRead: got } = await handle.read(buffer, 0, buffer.length, at));
        } catch (err) {
          throw failed('read', err);
        }
        if (got === 0) throw failed('read', new Error('it is shorter than what was written'));
        at += got;
        yield got === buffer.length ? buffer : buffer.subarray(0, got);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      pending = [];
      if (!file) return;
      await file.handle.close().catch(() => undefined);
      if (file.named) {
        removeOnExit?.();
        await rm(file.dir, { recursive: true, force: true });
      }
    },
  };
}

