// The nodemailer plugin's final check against blind fields written after it: the check excused
// every stripped field on transports that keep nodemailer's Bcc field (keepBcc: Sendmail, stream,
// JSON). So a Bcc or Resent-Bcc list a later compile plugin or a stream plugin wrote reached
// nodemailer's Sendmail transport (sendmail without -t: Exim and Courier leave the field for every
// recipient to read) and a Resent-Bcc list the stream transport's output, while sendMail
// succeeded. Now only nodemailer's own Bcc field on the transports that hand the message back
// (stream, JSON) is excused; a Resent-Bcc, or any Bcc field the Sendmail transport would deliver,
// stops the message.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { mailguard } from '../../src/plugin/nodemailer.js';

const POLICY = { internalDomains: ['corp.example'] };
const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];
const CLEAN = { from: 'sales@corp.example', to: 'boss@corp.example', subject: 'order', text: 'hello' };

type Mail = { data: Record<string, unknown>; message: { setHeader(k: string, v: string): void } };
type Plugin = (mail: Mail, done: (err?: Error) => void) => void;
type Step = ['compile' | 'stream', Plugin];

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** nodemailer's Sendmail transport with a stand-in sendmail that keeps the message it was given. */
async function sendmail(after: Step[]) {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-plugin2-sendmail-'));
  const script = path.join(dir, 'sendmail');
  await writeFile(script, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\ncat > "${dir}/message"\n`, { mode: 0o755 });
  const t = nodemailer.createTransport({ sendmail: true, path: script });
  t.use('compile', mailguard({ policy: POLICY }));
  for (const [step, plugin] of after) t.use(step, plugin as never);
  const handed = async () => (await readFile(path.join(dir!, 'message'), 'latin1').catch(() => '')).split(/\r?\n\r?\n/)[0]!;
  const args = async () => (await readFile(path.join(dir!, 'args'), 'utf8').catch(() => '')).trim().split('\n');
  return { send: (data: Record<string, unknown>) => t.sendMail(data as never), handed, args };
}

function streamTransport(after: Step[]) {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
  t.use('compile', mailguard({ policy: POLICY }));
  for (const [step, plugin] of after) t.use(step, plugin as never);
  return (data: Record<string, unknown>) => t.sendMail(data as never) as Promise<{ message: Buffer; envelope: { to: string[] } }>;
}

const sent = (p: Promise<unknown>) =>
  p.then(
    () => true,
    () => false,
  );

const LIST = EXTERNAL.join(', ');
const compileBcc: Step = ['compile', (m, done) => ((m.data.bcc = EXTERNAL), done())];
const compileResentBcc: Step = ['compile', (m, done) => ((m.data.headers = { 'Resent-Bcc': LIST }), done())];
const streamBcc: Step = ['stream', (m, done) => (m.message.setHeader('Bcc', LIST), done())];
const streamResentBcc: Step = ['stream', (m, done) => (m.message.setHeader('Resent-Bcc', LIST), done())];

describe('a blind list written after the check never reaches a reader', () => {
  const viaSendmail: Array<[string, Step]> = [
    ['a compile plugin after mailguard adds bcc', compileBcc],
    ['a compile plugin after mailguard writes a Resent-Bcc in headers', compileResentBcc],
    ['a stream plugin sets a Bcc field', streamBcc],
    ['a stream plugin sets a Resent-Bcc field', streamResentBcc],
  ];
  for (const [name, step] of viaSendmail) {
    it(`Sendmail transport: ${name}: sendMail fails, sendmail is handed no list`, async () => {
      const s = await sendmail([step]);
      expect(await sent(s.send({ ...CLEAN }))).toBe(false);
      expect(await s.handed()).not.toMatch(/alpha\.test|epsilon\.test/);
    });
  }
  const viaStream: Array<[string, Step]> = [
    ['a compile plugin after mailguard writes a Resent-Bcc in headers', compileResentBcc],
    ['a stream plugin sets a Resent-Bcc field', streamResentBcc],
  ];
  for (const [name, step] of viaStream) {
    it(`stream transport: ${name}: sendMail fails`, async () => {
      expect(await sent(streamTransport([step])({ ...CLEAN }))).toBe(false);
    });
  }
});

describe('controls', () => {
  it('stream transport: nodemailer\'s own Bcc field (from bcc, given or added by a later plugin) is handed back as before', async () => {
    for (const [after, extra] of [[[], { bcc: EXTERNAL }], [[compileBcc], {}]] as Array<[Step[], Record<string, unknown>]>) {
      const info = await streamTransport(after)({ ...CLEAN, ...extra });
      expect(info.message.toString('latin1')).toMatch(/^Bcc: ann@alpha\.test/m);
      expect([...info.envelope.to].sort()).toEqual(['boss@corp.example', ...EXTERNAL].sort());
    }
  });

  it('Sendmail transport: bcc given to sendMail is named to sendmail without a Bcc field; a later plugin adding an internal Cc still sends', async () => {
    const s = await sendmail([]);
    await s.send({ ...CLEAN, bcc: EXTERNAL });
    expect(await s.handed()).not.toMatch(/^bcc:/im);
    expect(await s.args()).toEqual(expect.arrayContaining(['boss@corp.example', ...EXTERNAL]));
    const s2 = await sendmail([['compile', (m, done) => ((m.data.cc = 'archive@corp.example'), done())]]);
    await s2.send({ ...CLEAN });
    expect(await s2.handed()).toMatch(/^Cc: archive@corp\.example$/m);
  });
});
