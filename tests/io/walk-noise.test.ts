// A file a directory walk finds that is a message behind a few bytes of noise (blank or white-space
// lines, NULs, a byte order mark, '>' quoting, UTF-16) is read, as it is when named: it was counted
// "not mail" while its list went unchecked and the run exited 0. So is mail compressed under a mail
// file's name (Sent-2025.mbox.gz): reported, with the way to read it, not counted as not mail.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { isFailure, readInputs, type NotMailFile } from '../../src/io/inputs.js';
import { createPolicy } from '../../src/policy/policy.js';

const EXPOSED = ['From: Me <me@corp.example>', `To: ${Array.from({ length: 6 }, (_, i) => `c${i}@org${i}.test`).join(', ')}`, 'Subject: offer', '', 'Dear all', ''].join('\r\n');
const policy = createPolicy({ internalDomains: ['corp.example'] });
const utf16 = (s: string, be: boolean) => {
  const le = Buffer.from(`\ufeff${s}`, 'utf16le');
  return be ? Buffer.from(le).swap16() : le;
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-walk-noise-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a walk reads a message behind noise, and never passes it', () => {
  it.each([
    ['a line of spaces', Buffer.from(`${' '.repeat(255)}\r\n${EXPOSED}`)],
    ['a blank line', Buffer.from(`\n${EXPOSED}`)],
    ['a CRLF blank line', Buffer.from(`\r\n${EXPOSED}`)],
    ['leading blanks on the first field', Buffer.from(`   ${EXPOSED}`)],
    ['a NUL byte', Buffer.from(`\0${EXPOSED}`)],
    ['a quoted mbox line', Buffer.from(`>From me@corp.example Mon Jun  1 10:00:00 2026\r\n${EXPOSED}`)],
    ['UTF-16LE', utf16(EXPOSED, false)],
    ['UTF-16BE', utf16(EXPOSED, true)],
    ['an mbox in UTF-16LE', utf16(`From me@corp.example Mon Jun  1 10:00:00 2026\r\n${EXPOSED}`, false)],
    ['an mbox in UTF-16BE', utf16(`From me@corp.example Mon Jun  1 10:00:00 2026\r\n${EXPOSED}`, true)],
  ])('%s', async (name, bytes) => {
    const sub = path.join(dir, name.replace(/\W+/g, '-'));
    await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, 'message'), bytes);
    await writeFile(path.join(sub, 'notes'), 'Meeting notes\nCall the customers.\n');
    const skipped: NotMailFile[] = [];
    const verdicts: string[] = [];
    for await (const item of readInputs([sub], { headersOnly: false, skipped })) {
      verdicts.push(isFailure(item) ? 'error' : checkMessage(item.bytes, policy, { source: item.source }).verdict);
    }
    expect(verdicts).toHaveLength(1);
    expect(['block', 'error']).toContain(verdicts[0]);
    expect(skipped.map((s) => path.basename(s.path))).toEqual(['notes']);
  });
});

describe('a walk reports compressed mail instead of counting it as not mail', () => {
  const mbox = Buffer.from(`From me@corp.example Mon Jun  1 10:00:00 2026\r\n${EXPOSED}`);
  it.each([
    ['Sent-2025.mbox.gz', gzipSync(mbox)],
    ['archive.MBOX.GZ', gzipSync(mbox)],
    ['draft.eml.gz', gzipSync(Buffer.from(EXPOSED))],
    ['outbox.mbx.bz2', Buffer.from('BZh91AY&SY', 'latin1')],
    ['old.mbox.xz', Buffer.from('\xfd7zXZ\x00\x00', 'latin1')],
    ['mail.eml.zip', Buffer.from('PK\x03\x04', 'latin1')],
  ])('%s: an error naming it, never a pass', async (name, bytes) => {
    const sub = path.join(dir, `compressed-${name.replace(/\W+/g, '-')}`);
    await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, name), bytes);
    await writeFile(path.join(sub, 'notes.txt.gz'), gzipSync(Buffer.from('Meeting notes\n')));
    const skipped: NotMailFile[] = [];
    const items = [];
    for await (const item of readInputs([sub], { headersOnly: true, skipped })) items.push(item);
    expect(items.map((i) => [path.basename(i.source), isFailure(i) ? i.failure.reason : 'message'])).toEqual([[name, 'not-mail']]);
    expect(skipped.map((s) => path.basename(s.path))).toEqual(['notes.txt.gz']);
  });
});
