// The spool keeps a message and its record together or not at all: a failure between the two
// (a full disk; here a record that cannot be written) leaves no message without its record, which
// a reviewer would take for a kept one, and no spool directory the attempt made.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spoolMessage } from '../../src/sendmail/spool.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-spool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const bytes = Buffer.from('From: a@corp.example\r\nTo: b@x.test\r\n\r\nHi\r\n');

describe('spoolMessage', () => {
  it('writes the message and its record, private to the user', async () => {
    const dir = path.join(tmp, 'spool');
    const eml = await spoolMessage(dir, bytes, { reason: 'blocked', detail: 'policy', exitStatus: 65 });
    expect(readFileSync(eml).equals(bytes)).toBe(true);
    const names = readdirSync(dir).sort();
    expect(names).toEqual([path.basename(eml), path.basename(eml).replace(/\.eml$/, '.json')].sort());
    for (const name of names) expect(statSync(path.join(dir, name)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('a record that cannot be written leaves neither file, nor the directory it made', async () => {
    const dir = path.join(tmp, 'new-spool');
    const bad = { reason: 'blocked', detail: 1n, exitStatus: 65 } as unknown as Parameters<typeof spoolMessage>[2];
    await expect(spoolMessage(dir, bytes, bad)).rejects.toThrow();
    expect(() => statSync(dir)).toThrow();
    const existing = path.join(tmp, 'spool');
    const before = readdirSync(existing).sort();
    await expect(spoolMessage(existing, bytes, bad)).rejects.toThrow();
    expect(readdirSync(existing).sort()).toEqual(before);
  });
});
