// The send journal: an append-only JSON-lines file recording, after each accepted delivery and
// before the next one starts, which recipients accepted which message. A rerun of the same
// command skips every (message, recipient) pair already recorded: nothing is sent twice, and
// what was not recorded is sent again, so nothing is lost.
//
// A message's identity is its Message-ID plus the SHA-256 of its bytes as read (before any
// rewrite: split copies get fresh random Message-IDs, the input does not change). The one window
// left is a crash between the server's "250" and the fsync of its record; SMTP cannot close it.

import { createHash } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { MailguardError } from '../errors.js';
import { readHeaderBlock, unfold } from '../message/header-block.js';

/** Version of a journal line; lines of other versions are refused, not misread. */
export const JOURNAL_VERSION = 1;

export interface JournalEntry {
  v: typeof JOURNAL_VERSION;
  /** ISO time of the acceptance. */
  at: string;
  /** The input the message came from (path, path#N, -). */
  source: string;
  messageId: string;
  /** SHA-256 (hex) of the message as read. */
  sha256: string;
  /** Recipients the relay accepted in this transaction. */
  recipients: string[];
  /** The relay's reply to DATA. */
  response: string;
}

export interface MessageIdentity {
  messageId: string;
  sha256: string;
}

export interface Journal {
  readonly path: string;
  /** Recipients of this message already accepted in an earlier (or this) run. */
  accepted(identity: MessageIdentity): ReadonlySet<string>;
  /** Appends an entry and flushes it to disk before resolving. */
  record(entry: Omit<JournalEntry, 'v' | 'at'>): Promise<void>;
  close(): Promise<void>;
}

/** The identity of a message: its Message-ID (empty when it has none) and a hash of its bytes. */
export function messageIdentity(bytes: Uint8Array): MessageIdentity {
  const header = readHeaderBlock(bytes);
  const field = header.fields.find((f) => f.key === 'message-id');
  const messageId = field ? unfold(field.rawValue, header.lineEnding).replace(/\s+/g, ' ').trim() : '';
  return { messageId, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const keyOf = (id: MessageIdentity) => `${id.messageId}\u0000${id.sha256}`;

/** Whether a process with this id runs on this machine (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `FILE.lock` (created exclusively, holding the pid) for the run: two sends with the same
 * journal at once would both read it before either wrote, and send everything twice. A lock left
 * by a process that no longer runs (a crash, kill -9) is taken over. Returns the release.
 */
async function lockJournal(file: string): Promise<() => Promise<void>> {
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const h = await open(lock, 'wx', 0o600);
      await h.write(`${process.pid}\n`);
      await h.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new MailguardError('EUSAGE', `cannot lock the journal ${file} (${lock}): ${(err as Error).message}`);
      const pid = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
      if (attempt === 0 && Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      throw new MailguardError('EUSAGE', `the journal ${file} is in use by another mailguard send${Number.isInteger(pid) && pid > 0 ? ` (pid ${pid})` : ''}.`, {
        hint: `Wait for that run to finish: two runs with one journal would send everything twice. If no such run is going on, remove ${lock}.`,
      });
    }
  }
  // A second Ctrl-C exits at once: the lock goes with the process.
  const onExit = () => {
    try {
      unlinkSync(lock);
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    await unlink(lock).catch(() => undefined);
  };
}

/** Opens (creating if needed) a journal. `readOnly`: read what it holds, write nothing (--dry-run). */
export async function openJournal(file: string, options: { readOnly?: boolean } = {}): Promise<Journal> {
  // Locked before it is read: a second run must not plan from a journal the first is still writing.
  const release = options.readOnly ? undefined : await lockJournal(file);
  try {
    return await openLocked(file, options, release);
  } catch (err) {
    await release?.();
    throw err;
  }
}

async function openLocked(file: string, options: { readOnly?: boolean }, release: (() => Promise<void>) | undefined): Promise<Journal> {
  let text = '';
  let existed = true;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    existed = false;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MailguardError('EUSAGE', `cannot read the journal ${file}: ${(err as Error).message}`);
    }
  }
  const done = new Map<string, Set<string>>();
  const lines = text.split('\n');
  let torn = false;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      // A torn last line (a crash mid-write) recorded nothing that was flushed; anything else is damage.
      if (i === lines.length - 1) {
        torn = true;
        return;
      }
      throw new MailguardError('EUSAGE', `the journal ${file} is damaged at line ${i + 1}.`, { hint: 'It is not a mailguard send journal, or it was edited. Move it aside to start a new one.' });
    }
    if (entry.v !== JOURNAL_VERSION || typeof entry.sha256 !== 'string' || !Array.isArray(entry.recipients)) {
      throw new MailguardError('EUSAGE', `the journal ${file} has an entry mailguard cannot read at line ${i + 1}.`, { hint: 'It was written by another version, or is not a send journal.' });
    }
    const key = keyOf(entry);
    const set = done.get(key) ?? new Set<string>();
    entry.recipients.forEach((r) => set.add(r));
    done.set(key, set);
  });

  let handle: FileHandle | undefined;
  if (!options.readOnly) {
    try {
      // The torn line goes, so the file stays one whole entry per line.
      if (torn) await truncate(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1), 'utf8'));
      handle = await open(file, 'a', 0o600);
      // A whole last entry without its line end (written by hand?) gets one.
      if (!torn && text.length > 0 && !text.endsWith('\n')) {
        await handle.write('\n');
        await handle.sync();
      }
    } catch (err) {
      throw new MailguardError('EUSAGE', `cannot write the journal ${file}: ${(err as Error).message}`);
    }
  }
  let recorded = false;
  // Records are written one after another even when deliveries run in parallel.
  let queue: Promise<void> = Promise.resolve();
  const empty: ReadonlySet<string> = new Set();

  return {
    path: file,
    accepted: (id) => done.get(keyOf(id)) ?? empty,
    record(entry) {
      const full: JournalEntry = { v: JOURNAL_VERSION, at: new Date().toISOString(), ...entry };
      const key = keyOf(full);
      const set = done.get(key) ?? new Set<string>();
      full.recipients.forEach((r) => set.add(r));
      done.set(key, set);
      if (!handle) return Promise.resolve();
      recorded = true;
      const h = handle;
      const next = queue.then(async () => {
        await h.write(`${JSON.stringify(full)}\n`);
        await h.sync();
      });
      queue = next.catch(() => undefined);
      return next.catch((err: unknown) => {
        throw new MailguardError('EUSAGE', `cannot write the journal ${file}: ${(err as Error).message}`, { hint: 'Stop and fix this before sending more: without the journal a rerun sends these messages again.' });
      });
    },
    async close() {
      await queue;
      await handle?.close();
      // A journal this run made and wrote nothing to (every message blocked or refused, the relay
      // unreachable) is not left behind; it is made at the start so an unwritable one stops the
      // run before anything is sent. Removed under the lock, before another run can open it.
      if (handle && !existed && !recorded) await unlink(file).catch(() => undefined);
      handle = undefined;
      await release?.();
    },
  };
}
