// Keeps a message that was blocked or could not be delivered, for review: DIR/<stamp>.eml with
// the bytes as received, and DIR/<stamp>.json saying why. An adapter (it writes files); the
// files are private to the user (0600 in a 0700 directory), since they hold full addresses.

import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatSpoolRecord, type SpoolRecord } from '../report/sendmail.js';

export type { SpoolRecord };

/** Writes the message and its record; returns the path of the .eml file. */
export async function spoolMessage(dir: string, bytes: Uint8Array, record: SpoolRecord, now: Date = new Date()): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const eml = path.join(dir, `${stamp}.eml`);
  await writeFile(eml, bytes, { mode: 0o600, flag: 'wx' });
  await writeFile(path.join(dir, `${stamp}.json`), formatSpoolRecord(record, now), { mode: 0o600, flag: 'wx' });
  return eml;
}
