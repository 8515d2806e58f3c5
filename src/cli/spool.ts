// A temporary file that holds a report's per-message parts while the inputs are read, so check
// and audit keep memory bounded by one message, not by the number of messages: the totals that
// open a report are known only at the end. The file is private (0600: it holds addresses) and
// removed when closed.

import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MailguardError } from '../errors.js';

/** Text gathered before one write to the spool file. */
const SPOOL_BUFFER_CHARS = 1 << 20;

export interface Spool {
  write(text: string): Promise<void>;
  /** What was written, in order (call once, after the last write). */
  read(): AsyncIterable<string>;
  close(): Promise<void>;
}

export async function createSpool(): Promise<Spool> {
  let dir: string;
  let handle: FileHandle;
  try {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-report-'));
    handle = await open(path.join(dir, 'report.part'), 'w+', 0o600);
  } catch (err) {
    throw new MailguardError('EUSAGE', `cannot create a temporary file for the report: ${(err as Error).message}`, { hint: 'Check that the temporary directory (TMPDIR) exists and is writable.' });
  }
  const file = path.join(dir, 'report.part');
  let pending: string[] = [];
  let pendingChars = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingChars = 0;
    try {
      await handle.write(text);
    } catch (err) {
      throw new MailguardError('EUSAGE', `cannot write the report's temporary file: ${(err as Error).message}`, { hint: 'Check the free space in the temporary directory (TMPDIR).' });
    }
  };
  let closed = false;
  return {
    async write(text) {
      pending.push(text);
      pendingChars += text.length;
      if (pendingChars >= SPOOL_BUFFER_CHARS) await flush();
    },
    async *read() {
      await flush();
      for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 })) yield chunk as string;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
