// Keeps a message that was blocked or could not be delivered, for review: DIR/<stamp>.eml with
// the bytes as received, and DIR/<stamp>.json saying why. An adapter (it writes files); the
// files are private to the user (0600 in a 0700 directory), since they hold full addresses.

import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Envelope } from '../message/envelope.js';

export interface SpoolRecord {
  /** blocked: refused by policy; undeliverable: the relay or the real sendmail failed; unreadable. */
  reason: 'blocked' | 'undeliverable' | 'unreadable';
  /** One line: what happened. */
  detail: string;
  envelope?: Envelope;
  /** Finding codes of the check, when there was one. */
  findings?: string[];
  /** The exit status the caller was given. */
  exitStatus: number;
  /** The profile whose policy applied (configuration `profiles`). */
  profile?: string;
}

/** Writes the message and its record; returns the path of the .eml file. */
export async function spoolMessage(dir: string, bytes: Uint8Array, record: SpoolRecord, now: Date = new Date()): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const eml = path.join(dir, `${stamp}.eml`);
  await writeFile(eml, bytes, { mode: 0o600, flag: 'wx' });
  await writeFile(path.join(dir, `${stamp}.json`), `${JSON.stringify({ version: 1, time: now.toISOString(), ...record }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return eml;
}
