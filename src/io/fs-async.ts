// Promise forms of the file system calls the check path makes, on node:fs's callback functions.
// node:fs/promises offers the same, but loading it loads Node's readline interface, directory and
// watcher modules with it: about 9M instructions, a tenth of `node -e 0`, paid by every plain
// `mailguard check draft.eml` at start-up (bench scenario 5). Code that runs only for large reports
// or other commands imports node:fs/promises where it needs it.

import { close, open, read, readdir, readFile, realpath, stat } from 'node:fs';
import { promisify } from 'node:util';

export const statAsync = promisify(stat);
export const readdirAsync = promisify(readdir);
export const realpathAsync = promisify(realpath);
export const readFileAsync = promisify(readFile);
/** A descriptor, for readAsync and closeAsync. */
export const openAsync = promisify(open);
export const closeAsync = promisify(close);

/** Reads into `buffer` at `offset` up to `length` bytes from `position`; the number read. */
export function readAsync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))));
}
