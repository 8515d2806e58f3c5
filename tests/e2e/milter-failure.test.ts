// The milter down, or killed in the middle of a message: Postfix (milter_default_action =
// tempfail) answers 4xx, nothing is delivered, and mail flows again once the milter is back on
// the same address.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProcess } from '../helpers/cli.js';
import { freePort, startPostfix, type PostfixInstance } from '../helpers/postfix.js';
import { spawnMilter, type MilterProcess } from './milter-process.js';

const DOMAINS = ['inbox.test', 'customer1.test', 'customer2.test', 'customer3.test'];
const POLICY = ['--internal-domain', 'inbox.test', '--block-at', '2', '--warn-at', '2'];
const CUSTOMERS = ['c1@customer1.test', 'c2@customer2.test', 'c3@customer3.test'];

let postfix: PostfixInstance | undefined;
let milter: MilterProcess | undefined;
let milterPort = 0;

beforeAll(async () => {
  milterPort = await freePort();
  postfix = await startPostfix({ localDomains: DOMAINS, milter: `inet:127.0.0.1:${milterPort}` });
}, 60_000);

afterAll(async () => {
  await milter?.stop();
  await postfix?.stop();
});

const exposed = (subject: string) => `From: alice@inbox.test\r\nTo: ${CUSTOMERS.join(', ')}\r\nCc: bob@inbox.test\r\nSubject: ${subject}\r\n\r\nHello all.\r\n`;
const clean = (subject: string) => `From: alice@inbox.test\r\nTo: bob@inbox.test\r\nSubject: ${subject}\r\n\r\nHello Bob.\r\n`;

function swaks(to: string[], data: string) {
  return runProcess('swaks', ['--server', `127.0.0.1:${postfix!.port}`, '--from', 'alice@inbox.test', '--to', to.join(','), '--data', '-', '--timeout', '40'], { input: data, timeoutMs: 60_000 });
}

async function delivered(subject: string): Promise<number> {
  return (await postfix!.messages()).filter((m) => m.raw.toString('latin1').includes(`Subject: ${subject}\n`)).length;
}

/** A plain SMTP client that can stop in the middle of DATA. */
async function smtpSession(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  let buffer = '';
  const waiters: Array<() => void> = [];
  socket.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    for (const w of waiters.splice(0)) w();
  });
  const reply = async (): Promise<string> => {
    for (;;) {
      const m = /^(\d{3}) [^\r\n]*\r\n/m.exec(buffer);
      if (m) {
        const end = m.index + m[0].length;
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end);
        return text.trim().split('\r\n').pop()!;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const command = async (line: string) => {
    socket.write(`${line}\r\n`);
    return reply();
  };
  await reply();
  return { command, reply, write: (s: string) => socket.write(s), close: () => socket.destroy() };
}

it('with the milter down, Postfix tempfails (451 4.7.1) and delivers nothing', async () => {
  const r = await swaks(['bob@inbox.test'], clean('while down'));
  expect(r.stdout).toMatch(/<\*\* +451 4\.7\.1 /);
  await new Promise((res) => setTimeout(res, 1000));
  expect(await delivered('while down')).toBe(0);
});

it('killed in the middle of a message: 451 at the end of DATA, nothing delivered; back on the same port, mail flows again', async () => {
  milter = await spawnMilter([...POLICY], `inet:127.0.0.1:${milterPort}`);
  const s = await smtpSession(postfix!.port);
  expect(await s.command('EHLO client.test')).toMatch(/^250 /);
  expect(await s.command('MAIL FROM:<alice@inbox.test>')).toMatch(/^250 /);
  for (const r of [...CUSTOMERS, 'bob@inbox.test']) expect(await s.command(`RCPT TO:<${r}>`)).toMatch(/^250 /);
  expect(await s.command('DATA')).toMatch(/^354 /);
  s.write(exposed('killed mid-message').split('\r\n').slice(0, 3).join('\r\n') + '\r\n');
  // The milter has the connection and the envelope; it dies before the end of the message.
  milter.kill('SIGKILL');
  await milter.exited;
  s.write('Subject: killed mid-message\r\n\r\nHello all.\r\n.\r\n');
  expect(await s.reply()).toMatch(/^451 4\.7\.1 /);
  s.close();

  // Back on the same address: clean mail is delivered, exposed mail refused.
  milter = await spawnMilter([...POLICY], `inet:127.0.0.1:${milterPort}`);
  const ok = await swaks(['bob@inbox.test'], clean('after restart'));
  expect(ok.stdout).toMatch(/<-? +250 2\.0\.0 Ok: queued/);
  const refused = await swaks([...CUSTOMERS, 'bob@inbox.test'], exposed('exposed after restart'));
  expect(refused.stdout).toMatch(/<\*\* +550 5\.7\.1 Blocked by mailguard/);
  await postfix!.waitForMessages(1);
  await postfix!.flush();
  await new Promise((res) => setTimeout(res, 1500));
  expect(await delivered('after restart')).toBe(1);
  expect(await delivered('killed mid-message')).toBe(0);
  expect(await delivered('exposed after restart')).toBe(0);
  expect(await delivered('while down')).toBe(0);
});

it('a malformed or oversized packet closes only that connection; the milter keeps serving Postfix', async () => {
  const bad = [
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0x4f]), // 4 GiB packet
    Buffer.from([0, 0, 0, 0]), // length 0
    Buffer.from([0, 0, 0, 2, 0x5a, 0]), // unknown command 'Z'
    Buffer.from([0, 0, 0, 5, 0x4c, 0x41, 0x42, 0x43, 0x44]), // HEADER without NULs
  ];
  for (const bytes of bad) {
    const before = milter!.events.filter((e) => e.event === 'warning').length;
    const socket = net.connect({ host: '127.0.0.1', port: milterPort });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(bytes);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await milter!.waitFor(() => milter!.events.filter((e) => e.event === 'warning').length > before);
  }
  expect(milter!.events.filter((e) => e.event === 'warning').map((e) => String(e.message))).toEqual(
    expect.arrayContaining([expect.stringMatching(/closing the MTA connection: packet of 4294967295 bytes/), expect.stringMatching(/unknown command 'Z'/)]),
  );
  const ok = await swaks(['bob@inbox.test'], clean('after garbage'));
  expect(ok.stdout).toMatch(/<-? +250 2\.0\.0 Ok: queued/);
  expect(milter!.child.exitCode).toBeNull();
});
