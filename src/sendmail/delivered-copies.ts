// Which copies of a split message the relay accepted before a later copy failed, remembered for
// the caller's retry (the drop-in sendmail's counterpart of src/proxy/delivered-copies.ts).
//
// A split is delivered copy by copy; copies already accepted cannot be recalled. When a later copy
// fails for now, the caller gets 75 and retries: Postfix's pipe(8) and a queueing client do it on
// their own, a PHP or cron job by running again. Without a memory every retry would send the
// first copies again. One small file per such message: its name is the SHA-256 of the bytes as
// received and the envelope (a retry gives the same ones), its content the recipients already
// delivered. Written as each copy of a split goes out (a run killed between copies writes nothing
// at its end) and when a delivery stops part-way; removed when every copy is out, so the same
// message sent again later on purpose is delivered again. Files older than
// SENDMAIL_DELIVERED_MEMORY_MS are not trusted and are removed.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** How long a partly delivered message is remembered: as long as an MTA retries (Postfix's maximal_queue_lifetime, 5 days). */
export const SENDMAIL_DELIVERED_MEMORY_MS = 5 * 24 * 60 * 60 * 1000;
/** A memory file is a list of addresses; anything larger is not ours. */
const MAX_MEMORY_FILE_BYTES = 16 * 1024 * 1024;

export interface DeliveredCopies {
  /** Where it is kept (for the notice when it cannot be written). */
  readonly file: string;
  /** Recipients a previous attempt delivered to. */
  readonly delivered: ReadonlySet<string>;
  /** Records recipients delivered so far (this attempt's and earlier ones); false when it could not be written. */
  save(recipients: readonly string[]): Promise<boolean>;
  /** The message went out whole: forget it. */
  forget(): Promise<void>;
}

/** The user's home directory; undefined when the system has none for this user. */
function homeDirectory(): string | undefined {
  try {
    return os.homedir();
  } catch {
    // No HOME and a user id without a passwd entry (a container run with an arbitrary uid, a
    // daemon's cleared environment): os.homedir() throws. Not a reason to refuse the message.
    return undefined;
  }
}

/**
 * The directory for the memory: the spool's `delivered/` when one is configured, else the user's
 * state directory; undefined when there is none (no spool, no XDG_STATE_HOME, no home directory):
 * then nothing can be remembered, as when the directory cannot be written.
 */
export function deliveredCopiesDirectory(spool: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (spool !== undefined) return path.join(spool, 'delivered');
  let state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : undefined;
  if (state === undefined) {
    const home = homeDirectory();
    if (home === undefined) return undefined;
    state = path.join(home, '.local', 'state');
  }
  return path.join(state, 'mailguard', 'sendmail-delivered');
}

const keyOf = (raw: Uint8Array, mailFrom: string, rcptTo: readonly string[]) =>
  createHash('sha256')
    .update(raw)
    .update(`\u0000${mailFrom.toLowerCase()}\u0000${rcptTo.map((r) => r.toLowerCase()).join(',')}`)
    .digest('hex');

/** Opens the memory of one message (as received, with its envelope); never throws: no memory is an
 * empty one, and without a directory (`undefined`) nothing is known and nothing can be saved. */
export async function openDeliveredCopies(dir: string | undefined, raw: Uint8Array, envelope: { mailFrom: string; rcptTo: readonly string[] }, now: number = Date.now()): Promise<DeliveredCopies> {
  if (dir === undefined) return { file: '', delivered: new Set(), save: async () => false, forget: async () => {} };
  const file = path.join(dir, `${keyOf(raw, envelope.mailFrom, envelope.rcptTo)}.json`);
  const delivered = new Set<string>();
  try {
    const st = await stat(file);
    if (now - st.mtimeMs > SENDMAIL_DELIVERED_MEMORY_MS || st.size > MAX_MEMORY_FILE_BYTES) await unlink(file);
    else {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { recipients?: unknown };
      if (Array.isArray(parsed.recipients)) for (const r of parsed.recipients) if (typeof r === 'string') delivered.add(r.toLowerCase());
    }
  } catch {
    // None, unreadable or damaged: nothing is known to be delivered.
  }
  return {
    file,
    delivered,
    async save(recipients) {
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const all = [...new Set([...delivered, ...recipients.map((r) => r.toLowerCase())])];
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, `${JSON.stringify({ v: 1, at: new Date(now).toISOString(), recipients: all })}\n`, { mode: 0o600 });
        await rename(tmp, file);
        await pruneOld(dir, now);
        return true;
      } catch {
        return false;
      }
    },
    async forget() {
      await unlink(file).catch(() => undefined);
    },
  };
}

/** Removes memories of messages nobody retried within SENDMAIL_DELIVERED_MEMORY_MS. */
async function pruneOld(dir: string, now: number): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
    const file = path.join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (st && now - st.mtimeMs > SENDMAIL_DELIVERED_MEMORY_MS) await unlink(file).catch(() => undefined);
  }
}
