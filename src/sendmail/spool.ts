// Keeps a message that was blocked or could not be delivered, for review: DIR/<stamp>.eml with
// the bytes as received, and DIR/<stamp>.json saying why. An adapter (it writes files); the
// files are private to the user (0600 in a 0700 directory), since they hold full addresses.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createOutputSet } from '../io/output-set.js';
import { formatSpoolRecord, type SpoolRecord } from '../report/sendmail.js';

export type { SpoolRecord };

/**
 * Writes the message and its record; returns the path of the .eml file. Both are staged and
 * renamed together (src/io/output-set.ts): a failure part-way (a full disk) leaves no cut-off
 * message and no message without its record, which a reviewer would take for one kept.
 */
export async function spoolMessage(dir: string, bytes: Uint8Array, record: SpoolRecord, now: Date = new Date()): Promise<string> {
  const stamp = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const eml = path.join(dir, `${stamp}.eml`);
  const kept = createOutputSet();
  try {
    await kept.directory(dir, { mode: 0o700 });
    await kept.write(eml, bytes, { mode: 0o600 });
    await kept.write(path.join(dir, `${stamp}.json`), formatSpoolRecord(record, now), { mode: 0o600 });
    await kept.commit();
  } catch (err) {
    await kept.abort();
    throw err;
  }
  return eml;
}
