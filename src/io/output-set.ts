// Output files written whole or not at all ("nothing half-written, nothing left behind on
// refusal"): a command that refuses or fails must leave no file or directory it made, no file cut
// off part-way, and no file the user had truncated. So every output of a run is staged: written to
// a temporary file beside it (the same directory, so rename(2) replaces the name in one step) and
// renamed over its name only when the command commits, after the last byte of the last output;
// abort (a refusal, an error) removes the temporary files and the directories the run made.
// Between the renames of a set a crash (kill -9, power) can leave part of the set renamed, each
// file of it whole; a temporary file is removed when the process exits before committing.
//
// (write-file-atomic, npm's own, does this for one file at a time; a run's outputs are one set here,
// renamed together after the last byte, and the directories it made are removed on abort.)
//
// Not staged, written where they are (a temporary file cannot stand in for them): an output that
// exists and is not a regular file (/dev/null, a FIFO, a terminal), and an existing file in a
// directory the user cannot write (it can be written, not replaced).

import { constants, unlinkSync } from 'node:fs';
import { access, mkdir, open, realpath, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface StagedFile {
  /** Appends a piece, all of it. */
  write(piece: string | Uint8Array): Promise<void>;
}

export interface OutputSet {
  /** Makes `dir` and its missing parents now; abort removes the ones this set made (if empty). */
  directory(dir: string, options?: { mode?: number }): Promise<void>;
  /** Opens `file` for writing in pieces; the name shows the new content only after commit. `mode`: of a new file (an existing one keeps its own). */
  file(file: string, options?: { mode?: number }): Promise<StagedFile>;
  /** Writes the whole content of `file` (given at once or in pieces). */
  write(file: string, data: string | Uint8Array | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, options?: { mode?: number }): Promise<void>;
  /** Renames every staged file over its name, in the order they were staged. */
  commit(): Promise<void>;
  /** Removes what the set made: temporary files, directories. Never throws. */
  abort(): Promise<void>;
}

interface Entry {
  handle: FileHandle;
  /** The temporary file, or undefined when the output is written where it is. */
  temporary: string | undefined;
  target: string;
}

/** Errors that say a temporary file cannot be made beside an output that can still be written. */
const CANNOT_CREATE_BESIDE = new Set(['EACCES', 'EPERM', 'EROFS']);

let counter = 0;

export function createOutputSet(): OutputSet {
  const entries: Entry[] = [];
  const madeDirectories: string[] = [];
  let settled = false;
  // process.exit (a closed pipe, a second Ctrl-C) runs no finally: the temporary files go here.
  const onExit = () => {
    for (const e of entries) {
      if (e.temporary === undefined) continue;
      try {
        unlinkSync(e.temporary);
      } catch {
        // already gone
      }
    }
  };
  let listening = false;

  const stage = async (file: string, mode: number): Promise<Entry> => {
    if (settled) throw new Error('output set already committed or aborted');
    if (!listening) {
      listening = true;
      process.on('exit', onExit);
    }
    // A symbolic link is written through: the file it names is replaced, the link stays.
    let target = file;
    let existing: Awaited<ReturnType<typeof stat>> | undefined;
    try {
      target = await realpath(file);
      existing = await stat(target);
    } catch {
      existing = undefined;
    }
    if (existing && !existing.isFile()) {
      const entry: Entry = { handle: await open(target, 'w'), temporary: undefined, target };
      entries.push(entry);
      return entry;
    }
    // A file the user made read-only stays refused, as writing it in place was: renaming over it would not ask.
    if (existing) await access(target, constants.W_OK);
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.mailguard-${process.pid}-${++counter}.tmp`);
    let handle: FileHandle;
    try {
      // The mode of the file it replaces (a 0600 report stays 0600); else what writeFile gives.
      handle = await open(temporary, 'wx', existing ? existing.mode & 0o7777 : mode);
    } catch (err) {
      if (!existing || !CANNOT_CREATE_BESIDE.has((err as NodeJS.ErrnoException).code ?? '')) {
        // The error names the output the user gave (a missing directory), not the temporary file.
        if (err instanceof Error) err.message = err.message.split(temporary).join(file);
        throw err;
      }
      const entry: Entry = { handle: await open(target, 'w'), temporary: undefined, target };
      entries.push(entry);
      return entry;
    }
    const entry: Entry = { handle, temporary, target };
    entries.push(entry);
    if (existing) await handle.chmod(existing.mode & 0o7777).catch(() => undefined);
    return entry;
  };

  const set: OutputSet = {
    async directory(dir, options) {
      if (settled) throw new Error('output set already committed or aborted');
      // mkdir -p tells only the first directory it made: the missing ones are found first.
      const missing: string[] = [];
      for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        try {
          await stat(d);
          break;
        } catch {
          missing.push(d);
          if (path.dirname(d) === d) break;
        }
      }
      await mkdir(dir, options?.mode === undefined ? { recursive: true } : { recursive: true, mode: options.mode });
      madeDirectories.push(...missing.reverse());
    },
    async file(file, options) {
      const entry = await stage(file, options?.mode ?? 0o666);
      return {
        async write(piece) {
          // writeFile on a handle writes on from where the last write ended, all of it.
          await entry.handle.writeFile(piece);
        },
      };
    },
    async write(file, data, options) {
      const staged = await set.file(file, options);
      if (typeof data === 'string' || data instanceof Uint8Array) await staged.write(data);
      else for await (const piece of data) await staged.write(piece);
    },
    async commit() {
      if (settled) return;
      try {
        for (const e of entries) await e.handle.close();
        for (const e of entries) {
          if (e.temporary === undefined) continue;
          await rename(e.temporary, e.target);
          e.temporary = undefined;
        }
      } catch (err) {
        await set.abort();
        throw err;
      }
      settled = true;
      process.off('exit', onExit);
    },
    async abort() {
      if (settled) return;
      settled = true;
      for (const e of entries) {
        await e.handle.close().catch(() => undefined);
        if (e.temporary !== undefined) await unlink(e.temporary).catch(() => undefined);
      }
      // Deepest first; a directory something else wrote into meanwhile is kept.
      for (const d of madeDirectories.reverse()) await rmdir(d).catch(() => undefined);
      process.off('exit', onExit);
    },
  };
  return set;
}
