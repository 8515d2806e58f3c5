// End to end with a real Postfix (tests/helpers/postfix.ts, 127.0.0.1 only): Postfix hands every
// queued message to `mailguard proxy` as an after-queue content filter (FILTER_README), the proxy
// re-injects what passes on Postfix's second smtpd port. The clean message reaches the mailbox;
// the exposed one is refused by the proxy (550 5.7.1) and Postfix bounces it to the sender.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPostfix, type PostfixInstance } from '../helpers/postfix.js';
import { spawnProxy, type ProxyProcess } from './proxy-process.js';

let postfix: PostfixInstance | undefined;
let proxy: ProxyProcess | undefined;

beforeAll(async () => {
  const filterPort = await freePort();
  postfix = await startPostfix({ localDomains: ['inbox.test'], contentFilter: { port: filterPort } });
  proxy = await spawnProxy(['--listen', `127.0.0.1:${filterPort}`, '--upstream', `smtp://127.0.0.1:${postfix.reinjectPort}`, '--internal-domain', 'inbox.test']);
}, 60_000);

afterAll(async () => {
  if (proxy && proxy.child.exitCode === null) {
    proxy.kill('SIGTERM');
    await proxy.exited;
  }
  await postfix?.stop();
});

async function submit(raw: string, from: string, to: string[]): Promise<string> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: postfix!.port, secure: false, ignoreTLS: true, logger: false });
  try {
    return (await transport.sendMail({ envelope: { from, to }, raw: Buffer.from(raw) })).response;
  } finally {
    transport.close();
  }
}

describe('Postfix after-queue content filter through mailguard proxy', () => {
  it('delivers the clean message and bounces the exposed one', async () => {
    const clean = 'From: Alice <alice@inbox.test>\r\nTo: Bob <bob@inbox.test>\r\nSubject: clean through the filter\r\nMessage-ID: <clean-filter@inbox.test>\r\n\r\nHello Bob.\r\n';
    const customers = [1, 2, 3, 4, 5, 6].map((i) => `c${i}@customer${i}.test`);
    const exposed = `From: Alice <alice@inbox.test>\r\nTo: ${customers.join(', ')}\r\nCc: carol@inbox.test\r\nSubject: exposed through the filter\r\nMessage-ID: <exposed-filter@inbox.test>\r\n\r\nDear all.\r\n`;

    // Postfix queues both (the filter runs after the queue) ...
    expect(await submit(clean, 'alice@inbox.test', ['bob@inbox.test'])).toMatch(/^250 /);
    expect(await submit(exposed, 'alice@inbox.test', ['carol@inbox.test'])).toMatch(/^250 /);

    // ... then the clean one is delivered to Bob and the exposed one comes back to Alice.
    const delivered = await postfix!.waitForMessages(2, 30_000);
    const texts = delivered.map((m) => m.raw.toString('latin1'));
    const toBob = texts.filter((t) => /^Delivered-To: bob@inbox\.test/im.test(t));
    expect(toBob).toHaveLength(1);
    expect(toBob[0]).toContain('Subject: clean through the filter');
    expect(toBob[0]).toContain('Hello Bob.');
    const bounce = texts.find((t) => /^Delivered-To: alice@inbox\.test/im.test(t));
    expect(bounce).toBeDefined();
    expect(bounce).toMatch(/Undelivered Mail Returned to Sender/);
    expect(bounce).toMatch(/550 5\.7\.1 Blocked by mailguard/);
    // Nobody received the exposed message itself.
    expect(texts.some((t) => /^Delivered-To: carol@inbox\.test/im.test(t))).toBe(false);

    // The proxy logged one line per transaction: one relayed, one blocked.
    await proxy!.waitFor(() => proxy!.events.filter((e) => e.event === 'transaction').length >= 2);
    const actions = proxy!.events.filter((e) => e.event === 'transaction').map((e) => e.action).sort();
    expect(actions).toEqual(['blocked', 'relayed']);
  });
});
