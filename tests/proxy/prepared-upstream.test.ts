// The upstream transaction opened while the client still sends its message (UpstreamClient.prepare):
// MAIL, RCPT and DATA reach the upstream during the client's DATA, and nothing of the message goes
// upstream before the check. A message relayed as sent goes over that transaction; one that is
// blocked, rewritten, 8-bit or abandoned has it dropped before any message byte, so the upstream
// discards it, and whatever is relayed goes through a transaction of its own. Raw clients control
// when each part of the message is written; the upstream records what it saw, byte by byte.
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/policy/policy.js';
import { startProxy, type ProxyEvent, type ProxyServer, type TransactionEvent } from '../../src/proxy/index.js';
import { UPSTREAM_MAX_PREPARED } from '../../src/proxy/limits.js';
import { connectRaw, type RawSmtp } from './raw-smtp.js';

/** One DATA the upstream saw: the bytes that arrived, and whether its final dot came. */
interface Seen {
  mailFrom: string;
  rcptTo: string[];
  mailArgs: Record<string, unknown>;
  bytes: Buffer[];
  complete: boolean;
}

interface Upstream {
  url: string;
  seen: Seen[];
  /** Delivered messages (final dot received and answered 250). */
  delivered(): Seen[];
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disableReverseLookup: true,
    hideSTARTTLS: true,
    logger: false,
    onData(stream, session, callback) {
      const s: Seen = {
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
        mailArgs: { ...(session.envelope.mailFrom ? session.envelope.mailFrom.args || {} : {}) },
        bytes: [],
        complete: false,
      };
      seen.push(s);
      stream.on('data', (c: Buffer) => s.bytes.push(c));
      stream.on('end', () => {
        s.complete = true;
        callback(null, 'queued by upstream');
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    seen,
    delivered: () => seen.filter((s) => s.complete),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let upstream: Upstream | undefined;
let proxy: ProxyServer | undefined;
let events: ProxyEvent[] = [];
const clients: RawSmtp[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await proxy?.stop();
  await upstream?.close();
  proxy = undefined;
  upstream = undefined;
  events = [];
});

async function start(onViolation: 'block' | 'bcc' = 'block'): Promise<{ port: number; upstream: Upstream }> {
  upstream = await startUpstream();
  proxy = await startProxy({ port: 0, upstream: upstream.url, policy: createPolicy({ internalDomains: ['corp.example'] }), onViolation, log: (e) => events.push(e) });
  return { port: proxy.port, upstream };
}

const transactions = () => events.filter((e): e is TransactionEvent => e.event === 'transaction');

async function waitFor(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A client at DATA (354 read): MAIL FROM with `mailParams`, one RCPT TO per recipient. */
async function atData(port: number, rcptTo: string[], mailParams = ''): Promise<RawSmtp> {
  const c = await connectRaw(port);
  clients.push(c);
  expect(await c.reply()).toMatch(/^220 /);
  expect(await c.command('EHLO client.test')).toMatch(/^250/);
  expect(await c.command(`MAIL FROM:<alice@corp.example>${mailParams}`)).toMatch(/^250/);
  for (const r of rcptTo) expect(await c.command(`RCPT TO:<${r}>`)).toMatch(/^250/);
  expect(await c.command('DATA')).toMatch(/^354/);
  return c;
}

const INTERNAL = ['bob@corp.example', 'carol@corp.example'];
const HEAD = 'From: Alice <alice@corp.example>\r\nTo: Bob <bob@corp.example>, Carol <carol@corp.example>\r\nSubject: prepared\r\n';
const CUSTOMERS = [1, 2, 3, 4, 5, 6].map((i) => `c${i}@customer${i}.test`);
const EXPOSED_HEAD = `From: Sales <sales@corp.example>\r\nTo: ${CUSTOMERS.join(', ')}\r\nSubject: offer\r\n`;

describe('proxy: the upstream transaction is opened during the client\'s DATA', () => {
  it('MAIL, RCPT and DATA reach the upstream before the client ends its message; no message byte goes before the check, then the message goes over that transaction once', async () => {
    const { port, upstream } = await start();
    const c = await atData(port, INTERNAL);
    await c.write(`${HEAD}\r\nfirst line\r\n`);
    await waitFor('the upstream to see the transaction', () => upstream.seen.length === 1);
    // The client has not finished: the upstream has the envelope and nothing of the message.
    expect(upstream.seen[0]!.rcptTo).toEqual(INTERNAL);
    await new Promise((r) => setTimeout(r, 100));
    expect(Buffer.concat(upstream.seen[0]!.bytes).length).toBe(0);
    await c.write('second line\r\n.\r\n');
    expect(await c.reply()).toMatch(/^250 /);
    expect(upstream.seen).toHaveLength(1);
    expect(upstream.delivered()).toHaveLength(1);
    expect(Buffer.concat(upstream.seen[0]!.bytes).toString('latin1')).toBe(`${HEAD}\r\nfirst line\r\nsecond line\r\n`);
    expect(transactions()[0]!.action).toBe('relayed');
  });

  it('a blocked message: the opened transaction is dropped before any byte of it, nothing is delivered, and the next message still goes through', async () => {
    const { port, upstream } = await start();
    const c = await atData(port, CUSTOMERS);
    await waitFor('the upstream to see the transaction', () => upstream.seen.length === 1);
    await c.write(`${EXPOSED_HEAD}\r\nOur offer.\r\n.\r\n`);
    expect(await c.reply()).toMatch(/^550 5\.7\.1 /);
    await new Promise((r) => setTimeout(r, 200));
    expect(upstream.delivered()).toHaveLength(0);
    expect(upstream.seen.every((s) => s.bytes.length === 0)).toBe(true);
    expect(transactions()[0]!.action).toBe('blocked');
    // The dropped connection is not reused: a new one carries the next message.
    const d = await atData(port, INTERNAL);
    await d.write(`${HEAD}\r\nhello\r\n.\r\n`);
    expect(await d.reply()).toMatch(/^250 /);
    expect(upstream.delivered()).toHaveLength(1);
    expect(upstream.delivered()[0]!.rcptTo).toEqual(INTERNAL);
  });

  it('a message rewritten to Bcc goes through a transaction of its own with the rewritten bytes; the opened one carries nothing', async () => {
    const { port, upstream } = await start('bcc');
    const c = await atData(port, CUSTOMERS);
    await c.write(`${EXPOSED_HEAD}\r\nOur offer.\r\n.\r\n`);
    expect(await c.reply()).toMatch(/^250 /);
    const delivered = upstream.delivered();
    expect(delivered).toHaveLength(1);
    const text = Buffer.concat(delivered[0]!.bytes).toString('latin1');
    for (const r of CUSTOMERS) expect(text).not.toContain(r);
    expect([...delivered[0]!.rcptTo].sort()).toEqual([...CUSTOMERS].sort());
    // Any other transaction the upstream saw got no message byte.
    expect(upstream.seen.filter((s) => !s.complete).every((s) => s.bytes.length === 0)).toBe(true);
    expect(transactions()[0]!.action).toBe('rewritten-bcc');
  });

  it('the client leaves mid-message: the opened transaction is dropped, the upstream got no byte and delivers nothing', async () => {
    const { port, upstream } = await start();
    const c = await atData(port, INTERNAL);
    await c.write(`${HEAD}\r\nhalf a mess`);
    await waitFor('the upstream to see the transaction', () => upstream.seen.length === 1);
    c.end();
    await waitFor('the proxy to log the aborted transaction', () => transactions().length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(transactions()[0]!.action).toBe('aborted');
    expect(upstream.delivered()).toHaveLength(0);
    expect(upstream.seen[0]!.bytes).toHaveLength(0);
  });

  it.each([
    ['declared BODY=8BITMIME: no transaction is opened ahead', ' BODY=8BITMIME', 0],
    ['declared SMTPUTF8: no transaction is opened ahead', ' SMTPUTF8', 0],
    ['not declared: the one opened ahead (7-bit) is dropped and another carries BODY=8BITMIME', '', 1],
  ])('8-bit data, %s', async (_name, params, ahead) => {
    const { port, upstream } = await start();
    const c = await atData(port, INTERNAL, params);
    if (ahead > 0) await waitFor('the upstream to see the transaction', () => upstream.seen.length === ahead);
    await new Promise((r) => setTimeout(r, 150));
    expect(upstream.seen).toHaveLength(ahead);
    await c.write(Buffer.concat([Buffer.from(`${HEAD}\r\n`), Buffer.from('Grüße\r\n.\r\n', 'utf8')]));
    expect(await c.reply()).toMatch(/^250 /);
    const delivered = upstream.delivered();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.mailArgs['BODY']).toBe('8BITMIME');
    expect(Buffer.concat(delivered[0]!.bytes).toString('utf8')).toContain('Grüße');
    expect(upstream.seen).toHaveLength(ahead + 1);
    expect(upstream.seen.filter((s) => !s.complete).every((s) => s.bytes.length === 0)).toBe(true);
  });

  it(`no more than UPSTREAM_MAX_PREPARED (${UPSTREAM_MAX_PREPARED}) transactions are opened ahead at once; every message is still relayed once`, async () => {
    const { port, upstream } = await start();
    const n = UPSTREAM_MAX_PREPARED + 3;
    const waiting: RawSmtp[] = [];
    for (let i = 0; i < n; i++) {
      const c = await atData(port, [`r${i}@corp.example`]);
      await c.write(`From: alice@corp.example\r\nTo: r${i}@corp.example\r\nSubject: ${i}\r\n\r\n`);
      waiting.push(c);
    }
    await waitFor('the upstream to see the transactions opened ahead', () => upstream.seen.length === UPSTREAM_MAX_PREPARED);
    await new Promise((r) => setTimeout(r, 200));
    expect(upstream.seen).toHaveLength(UPSTREAM_MAX_PREPARED);
    await Promise.all(waiting.map((c, i) => c.write(`message ${i}\r\n.\r\n`)));
    for (const c of waiting) expect(await c.reply()).toMatch(/^250 /);
    const delivered = upstream.delivered();
    expect(delivered).toHaveLength(n);
    expect(delivered.map((s) => s.rcptTo[0]).sort()).toEqual(Array.from({ length: n }, (_, i) => `r${i}@corp.example`).sort());
  });
});
