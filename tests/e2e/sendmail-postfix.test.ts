// mailguard-sendmail in front of a real MTA: Postfix from Debian packages, both as the SMTP relay
// and as the real sendmail binary behind --via-sendmail (Postfix's /usr/sbin/sendmail with the
// private instance's MAIL_CONFIG). Each delivered Maildir copy is the assertion.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/cli.js';
import { startPostfix, type DeliveredMessage, type PostfixInstance } from '../helpers/postfix.js';
import { runSendmail, scratchDir } from '../sendmail/run-sendmail.js';

const CUSTOMERS = ['anna@customer1.test', 'bert@customer2.test', 'carl@customer3.test', 'dora@customer4.test', 'emil@customer5.test', 'fritz@customer6.test'];
const EVERYONE = [...CUSTOMERS, 'audit@archive.test', 'manager@corp.example'].sort();

let postfix: PostfixInstance;
let scratch: { dir: string; cleanup: () => Promise<void> } | undefined;
let exposed: Buffer;

beforeAll(async () => {
  postfix = await startPostfix({ localDomains: ['corp.example', 'archive.test', ...CUSTOMERS.map((a) => a.split('@')[1]!)] });
  exposed = await readFile(path.join(FIXTURES, 'sendmail-exposed.eml'));
}, 60_000);
afterEach(async () => scratch?.cleanup());
afterAll(async () => postfix?.stop());

const headerOf = (m: DeliveredMessage) => m.raw.toString('latin1').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
const field = (m: DeliveredMessage, name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(headerOf(m))?.[1]?.trim();

/** The Maildir files present now, so a test can tell its own copies (file names do not sort by arrival within a second). */
async function snapshot(): Promise<Set<string>> {
  return new Set((await postfix.messages()).map((m) => m.file));
}

async function deliveredSince(before: Set<string>, count: number): Promise<DeliveredMessage[]> {
  return (await postfix.waitForMessages(before.size + count)).filter((m) => !before.has(m.file));
}

it('--via-sendmail /usr/sbin/sendmail (Postfix), onViolation split: each copy shows only its recipient', async () => {
  scratch = await scratchDir({ internalDomains: ['corp.example'], blockAt: 3, sendmail: { onViolation: 'split', viaSendmail: '/usr/sbin/sendmail' } });
  const before = await snapshot();
  const r = await runSendmail(['-t', '-i'], { input: exposed, cwd: scratch.dir, env: { MAIL_CONFIG: postfix.configDir } });
  expect(r.stderr).toContain('split into 8 messages');
  expect(r.code).toBe(0);
  const copies = await deliveredSince(before, 8);
  expect(copies.map((m) => m.recipient).sort()).toEqual(EVERYONE);
  for (const m of copies) {
    const to = field(m, 'To');
    const cc = field(m, 'Cc');
    if (m.recipient === 'manager@corp.example') expect([to, cc]).toEqual(['undisclosed-recipients:;', 'manager@corp.example']);
    // A Bcc recipient's copy shows nobody (src/decide: envelope-only recipients are not made visible).
    else if (m.recipient === 'audit@archive.test') expect([to, cc]).toEqual(['audit@archive.test', undefined]);
    else expect([to, cc]).toEqual([m.recipient, undefined]);
    expect(headerOf(m)).not.toMatch(/^Bcc:/im);
    // The lone "." line is data with -i, and Postfix's sendmail is called with -i too.
    expect(m.raw.toString('latin1')).toMatch(/please find our new prices below\.\r?\n\.\r?\nThe line above/);
  }
});

it('through Postfix as the SMTP relay, onViolation bcc: one copy per recipient, no customer visible', async () => {
  scratch = await scratchDir({ internalDomains: ['corp.example'], blockAt: 3, onViolation: 'bcc', smtp: postfix.url });
  const before = await snapshot();
  const r = await runSendmail(['-t', '-i'], { input: exposed, cwd: scratch.dir });
  expect(r.code).toBe(0);
  const copies = await deliveredSince(before, 8);
  expect(copies.map((m) => m.recipient).sort()).toEqual(EVERYONE);
  for (const m of copies) {
    expect(field(m, 'To')).toBe('undisclosed-recipients:;');
    expect(field(m, 'Cc')).toBe('manager@corp.example');
    expect(headerOf(m)).not.toMatch(/^Bcc:/im);
  }
});

it('Postfix refuses a recipient it does not serve (relay access denied): exit 67, the others are delivered', async () => {
  scratch = await scratchDir({ internalDomains: ['corp.example'], smtp: postfix.url });
  const before = await snapshot();
  const r = await runSendmail(['-i', 'anna@customer1.test', 'someone@elsewhere.test'], { input: 'From: dev@corp.example\nTo: anna@customer1.test\nSubject: s\n\nb\n', cwd: scratch.dir });
  expect(r.code).toBe(67);
  expect(r.stderr).toContain('s***@elsewhere.test');
  expect(r.stderr).not.toContain('someone@elsewhere.test');
  const copies = await deliveredSince(before, 1);
  expect(copies.map((m) => m.recipient)).toEqual(['anna@customer1.test']);
});
