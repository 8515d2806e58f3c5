// The send journal: append-only, flushed per entry, read back by a rerun.
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { messageIdentity, openJournal } from '../../src/relay/journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-journal-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const msg = (id: string, body = 'hi') => new TextEncoder().encode(`From: a@corp.example\r\nMessage-ID:\r\n <${id}@corp.example>\r\n\r\n${body}\r\n`);

it('identifies a message by its Message-ID (unfolded) and the hash of its bytes', () => {
  const a = messageIdentity(msg('one'));
  expect(a.messageId).toBe('<one@corp.example>');
  expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(messageIdentity(msg('one', 'other body')).sha256).not.toBe(a.sha256);
  expect(messageIdentity(new TextEncoder().encode('From: a@x.test\n\nno id\n')).messageId).toBe('');
});

it('has each entry on disk as soon as record() resolves, and a reopened journal knows it', async () => {
  const file = path.join(dir, 'j');
  const id = messageIdentity(msg('one'));
  const j = await openJournal(file);
  await j.record({ ...id, source: 'a.eml', recipients: ['b@x.test'], response: '250 ok' });
  // Before close: the line is already in the file.
  expect(JSON.parse((await readFile(file, 'utf8')).trim())).toMatchObject({ v: 1, messageId: '<one@corp.example>', recipients: ['b@x.test'] });
  await j.record({ ...id, source: 'a.eml', recipients: ['c@y.test'], response: '250 ok' });
  await j.close();
  const again = await openJournal(file);
  expect([...again.accepted(id)].sort()).toEqual(['b@x.test', 'c@y.test']);
  expect(again.accepted(messageIdentity(msg('two')))).toEqual(new Set());
  await again.close();
});

it('survives a torn last line (a crash mid-write) and keeps the next entry on a line of its own', async () => {
  const file = path.join(dir, 'j');
  const id = messageIdentity(msg('one'));
  const j = await openJournal(file);
  await j.record({ ...id, source: 'a.eml', recipients: ['b@x.test'], response: '250' });
  await j.close();
  await appendFile(file, '{"v":1,"at":"2026-');
  const k = await openJournal(file);
  expect(k.accepted(id).has('b@x.test')).toBe(true);
  await k.record({ ...id, source: 'a.eml', recipients: ['c@y.test'], response: '250' });
  await k.close();
  const l = await openJournal(file);
  expect([...l.accepted(id)].sort()).toEqual(['b@x.test', 'c@y.test']);
  await l.close();
});

it('refuses a file that is not a journal instead of guessing', async () => {
  const file = path.join(dir, 'j');
  await writeFile(file, 'this is not json\n{"also": "not"}\n');
  await expect(openJournal(file)).rejects.toBeInstanceOf(MailguardError);
});

it('read-only (dry run) remembers nothing on disk', async () => {
  const file = path.join(dir, 'j');
  const j = await openJournal(file, { readOnly: true });
  await j.record({ ...messageIdentity(msg('one')), source: 'a', recipients: ['b@x.test'], response: '' });
  await j.close();
  await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
});

it('is taken by one run at a time: a second open is refused naming the pid; a lock of a dead process is taken over', async () => {
  const file = path.join(dir, 'j');
  const j = await openJournal(file);
  expect((await readFile(`${file}.lock`, 'utf8')).trim()).toBe(String(process.pid));
  await expect(openJournal(file)).rejects.toThrow(new RegExp(`in use by another mailguard send \\(pid ${process.pid}\\)`));
  // A dry run only reads: no lock needed.
  await (await openJournal(file, { readOnly: true })).close();
  await j.close();
  await expect(readFile(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  // A crashed run's lock (its process is gone) does not block the rerun.
  const { spawnSync } = await import('node:child_process');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  await writeFile(`${file}.lock`, `${dead}\n`);
  const k = await openJournal(file);
  await k.close();
  // A journal that cannot be opened leaves no lock behind.
  await writeFile(file, 'not a journal\nat all\n');
  await expect(openJournal(file)).rejects.toBeInstanceOf(MailguardError);
  await expect(readFile(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
});
