// MAIL FROM and RCPT TO parameters: the proxy takes only those it carries to the upstream (SIZE,
// BODY, SMTPUTF8, AUTH) and answers 555 5.5.4 to the rest (RFC 5321 4.1.1.11), so a client is never
// told 250 to a request the next hop will not see: DSN's NOTIFY/ORCPT/RET/ENVID (DSN is not
// advertised) and REQUIRETLS (the upstream hop may be clear text). What it takes it passes on:
// SMTPUTF8 whenever the client declared it, 8BITMIME for 8-bit data; an upstream that offers
// neither gets nothing it would mangle. Real clients: raw sockets, TLS after STARTTLS, nodemailer.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRaw, type RawSmtp } from './raw-smtp.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
/** Clients still open when a test fails are closed first, so stopping the proxy does not wait for them. */
const clients: Array<{ end(): void }> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await h?.close();
  h = undefined;
});

const MESSAGE = 'From: alice@corp.example\r\nTo: bob@corp.example\r\nSubject: s\r\n\r\nhello\r\n';

async function open(port: number): Promise<RawSmtp> {
  const c = await connectRaw(port);
  clients.push(c);
  expect(await c.reply()).toMatch(/^220 /);
  const ehlo = await c.command('EHLO client.test');
  expect(ehlo).toMatch(/^250/);
  expect(ehlo).not.toMatch(/DSN|REQUIRETLS|CHUNKING/);
  return c;
}

/** DATA with MESSAGE on an open transaction: the upstream took it. */
async function relay(c: RawSmtp): Promise<void> {
  expect(await c.command('DATA')).toMatch(/^354/);
  await c.write(`${MESSAGE}.\r\n`);
  expect(await c.reply()).toMatch(/^250 2\.0\.0 Ok: relayed/);
  c.end();
}

describe('MAIL FROM parameters', () => {
  it.each([
    ['RET=FULL', 'RET'],
    ['RET=HDRS ENVID=abc123', 'RET'],
    ['ENVID=QQ314159', 'ENVID'],
    ['MT-PRIORITY=3', 'MT-PRIORITY'],
    ['SIZE=100 HOLDFOR=60', 'HOLDFOR'],
    ['X-OWN=1', 'X-OWN'],
  ])('MAIL FROM:<alice@corp.example> %s: 555 5.5.4 naming %s; the session goes on and nothing is relayed from it', async (params, name) => {
    h = await startHarness();
    const c = await open(h.proxy.port);
    const r = await c.command(`MAIL FROM:<alice@corp.example> ${params}`);
    expect(r).toMatch(new RegExp(`^555 5\\.5\\.4 MAIL FROM parameter ${name} not supported`));
    // No transaction was opened: RCPT needs MAIL first.
    expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^503 /);
    expect(await c.command('MAIL FROM:<alice@corp.example>')).toMatch(/^250/);
    expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^250/);
    await relay(c);
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0]!.mailArgs).not.toHaveProperty(name);
  });

  it.each([['SIZE=60'], ['BODY=7BIT'], ['BODY=8BITMIME'], ['SMTPUTF8'], ['AUTH=<>'], ['SIZE=60 BODY=8BITMIME SMTPUTF8']])('MAIL FROM:<alice@corp.example> %s is taken (carried out or informational)', async (params) => {
    h = await startHarness();
    const c = await open(h.proxy.port);
    expect(await c.command(`MAIL FROM:<alice@corp.example> ${params}`)).toMatch(/^250/);
    expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^250/);
    await relay(c);
    expect(h.sink.messages).toHaveLength(1);
  });
});

describe('RCPT TO parameters', () => {
  it.each([
    ['NOTIFY=SUCCESS,FAILURE', 'NOTIFY'],
    ['NOTIFY=NEVER', 'NOTIFY'],
    ['ORCPT=rfc822;bob@corp.example', 'ORCPT'],
    ['NOTIFY=DELAY ORCPT=rfc822;bob@corp.example', 'NOTIFY'],
    ['X-OWN=1', 'X-OWN'],
  ])('RCPT TO:<carol@corp.example> %s: 555 5.5.4 naming %s for that recipient only; the others are relayed, the refused one is not', async (params, name) => {
    h = await startHarness();
    const c = await open(h.proxy.port);
    expect(await c.command('MAIL FROM:<alice@corp.example>')).toMatch(/^250/);
    expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^250/);
    expect(await c.command(`RCPT TO:<carol@corp.example> ${params}`)).toMatch(new RegExp(`^555 5\\.5\\.4 RCPT TO parameter ${name} not supported`));
    await relay(c);
    expect(h.sink.messages.map((m) => m.rcptTo)).toEqual([['bob@corp.example']]);
    expect(h.sink.messages[0]!.rcptArgs).toEqual([{}]);
  });

  it('pipelined: MAIL, a RCPT with NOTIFY, a plain RCPT and DATA in one write get their own replies in order', async () => {
    h = await startHarness();
    const c = await open(h.proxy.port);
    await c.write('MAIL FROM:<alice@corp.example>\r\nRCPT TO:<bob@corp.example> NOTIFY=SUCCESS\r\nRCPT TO:<carol@corp.example>\r\nDATA\r\n');
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^555 5\.5\.4 RCPT TO parameter NOTIFY/);
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^354/);
    await c.write(`${MESSAGE}.\r\n`);
    expect(await c.reply()).toMatch(/^250 2\.0\.0 Ok: relayed/);
    c.end();
    expect(h.sink.messages.map((m) => m.rcptTo)).toEqual([['carol@corp.example']]);
  });

  it('nodemailer asking for DSN sends no DSN parameter (not advertised) and is relayed', async () => {
    h = await startHarness();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.proxy.port, secure: false, ignoreTLS: true, logger: false });
    try {
      const info = await transport.sendMail({ envelope: { from: 'alice@corp.example', to: ['bob@corp.example'] }, raw: MESSAGE, dsn: { id: 'x1', return: 'headers', notify: ['success', 'failure'], recipient: 'alice@corp.example' } });
      expect(info.response).toMatch(/^250 2\.0\.0 Ok: relayed/);
    } finally {
      transport.close();
    }
    expect(h.sink.messages).toHaveLength(1);
  });
});

describe('REQUIRETLS after STARTTLS', () => {
  let dir: string;
  let keys: { key: Buffer; cert: Buffer };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mailguard-proxy-params-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    keys = { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Line-at-a-time SMTP over TLS after STARTTLS: returns a function sending a command and reading its reply. */
  async function startTls(port: number): Promise<{ command(line: string): Promise<string>; end(): void }> {
    const plain = net.connect(port, '127.0.0.1');
    clients.push({ end: () => plain.destroy() });
    let buffer = '';
    const readReply = (from: NodeJS.ReadableStream) =>
      new Promise<string>((resolve, reject) => {
        const take = () => {
          const m = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer);
          if (!m) return false;
          const end = m.index + m[0].length;
          const r = buffer.slice(0, end);
          buffer = buffer.slice(end);
          from.removeListener('data', onData);
          resolve(r.trim());
          return true;
        };
        const onData = (d: Buffer) => {
          buffer += d.toString('latin1');
          take();
        };
        if (take()) return;
        from.on('data', onData);
        setTimeout(() => reject(new Error(`no reply; unread ${JSON.stringify(buffer)}`)), 10_000).unref();
      });
    await readReply(plain);
    plain.write('EHLO client.test\r\n');
    await readReply(plain);
    plain.write('STARTTLS\r\n');
    expect(await readReply(plain)).toMatch(/^220 /);
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
    return {
      async command(line: string) {
        const r = readReply(secure);
        secure.write(`${line}\r\n`);
        return r;
      },
      end: () => secure.destroy(),
    };
  }

  it('is not advertised, and MAIL FROM with it gets 555 5.5.4: the upstream hop is clear text, nothing is relayed', async () => {
    h = await startHarness({}, { tls: keys });
    const c = await startTls(h.proxy.port);
    const ehlo = await c.command('EHLO client.test');
    expect(ehlo).toMatch(/^250/);
    expect(ehlo).not.toMatch(/REQUIRETLS/);
    expect(await c.command('MAIL FROM:<alice@corp.example> REQUIRETLS')).toMatch(/^555 5\.5\.4 MAIL FROM parameter REQUIRETLS not supported/);
    expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^503 /);
    expect(await c.command('DATA')).toMatch(/^503 /);
    // Without it the same session relays.
    expect(await c.command('MAIL FROM:<alice@corp.example>')).toMatch(/^250/);
    expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^250/);
    expect(await c.command('DATA')).toMatch(/^354/);
    expect(await c.command(`${MESSAGE}.`)).toMatch(/^250 2\.0\.0 Ok: relayed/);
    c.end();
    expect(h.sink.messages).toHaveLength(1);
  });
});

describe('what the message needs of the upstream: 8BITMIME and SMTPUTF8 are carried, or the message is refused unsent', () => {
  /** One transaction over a raw socket, every byte UTF-8; returns the reply to the end of DATA. */
  async function transaction(c: RawSmtp, mailFrom: string, message: string): Promise<string> {
    await c.write(Buffer.from(`${mailFrom}\r\nRCPT TO:<bob@corp.example>\r\nDATA\r\n`, 'utf8'));
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^354/);
    await c.write(Buffer.from(`${message}.\r\n`, 'utf8'));
    return c.reply();
  }
  const UTF8_HEADER = 'From: Jürgen <alice@corp.example>\r\nTo: bob@corp.example\r\nSubject: Grüße\r\n\r\nhello\r\n';
  const EIGHT_BIT_BODY = 'From: alice@corp.example\r\nTo: bob@corp.example\r\nSubject: s\r\n\r\nGrüße\r\n';

  it.each([
    ['an upstream without 8BITMIME, 8-bit body', { hide8BITMIME: true }, 'MAIL FROM:<alice@corp.example> BODY=8BITMIME', EIGHT_BIT_BODY, /^554 5\.6\.3 .*does not offer 8BITMIME/],
    ['an upstream without 8BITMIME, 8-bit body, BODY not declared', { hide8BITMIME: true }, 'MAIL FROM:<alice@corp.example>', EIGHT_BIT_BODY, /^554 5\.6\.3 /],
    ['an upstream without SMTPUTF8, a UTF-8 sender', { hideSMTPUTF8: true }, 'MAIL FROM:<jürgen@corp.example> SMTPUTF8', UTF8_HEADER, /^554 5\.6\.7 .*does not offer SMTPUTF8/],
    ['an upstream without SMTPUTF8, ASCII addresses, SMTPUTF8 declared for a UTF-8 header', { hideSMTPUTF8: true }, 'MAIL FROM:<alice@corp.example> SMTPUTF8', UTF8_HEADER, /^554 5\.6\.9 .*does not offer SMTPUTF8/],
  ])('%s: refused, nothing reaches the upstream; the same session then relays a message it can take', async (_name, options, mailFrom, message, expected) => {
    h = await startHarness({ options });
    const c = await open(h.proxy.port);
    expect(await transaction(c, mailFrom, message)).toMatch(expected);
    expect(h.sink.attempts).toBe(0);
    expect(await transaction(c, 'MAIL FROM:<alice@corp.example>', MESSAGE)).toMatch(/^250 2\.0\.0 Ok: relayed/);
    c.end();
    expect(h.sink.messages).toHaveLength(1);
    expect(h.transactions()[0]).toMatchObject({ action: 'refused-upstream' });
  });

  it('SMTPUTF8 declared with ASCII addresses reaches the upstream with the message; the next transaction on the same connections does not inherit it', async () => {
    h = await startHarness();
    const c = await open(h.proxy.port);
    expect(await transaction(c, 'MAIL FROM:<alice@corp.example> SMTPUTF8', UTF8_HEADER)).toMatch(/^250 2\.0\.0 Ok: relayed/);
    expect(await transaction(c, 'MAIL FROM:<alice@corp.example>', MESSAGE)).toMatch(/^250 2\.0\.0 Ok: relayed/);
    expect(await transaction(c, 'MAIL FROM:<jürgen@corp.example> SMTPUTF8', UTF8_HEADER)).toMatch(/^250 2\.0\.0 Ok: relayed/);
    expect(await transaction(c, 'MAIL FROM:<alice@corp.example> BODY=8BITMIME', EIGHT_BIT_BODY)).toMatch(/^250 2\.0\.0 Ok: relayed/);
    c.end();
    expect(h.sink.messages.map((m) => [m.mailFrom, m.mailArgs])).toEqual([
      ['alice@corp.example', { SMTPUTF8: true, BODY: '8BITMIME' }],
      ['alice@corp.example', {}],
      ['jürgen@corp.example', { SMTPUTF8: true, BODY: '8BITMIME' }],
      ['alice@corp.example', { BODY: '8BITMIME' }],
    ]);
    expect(h.sink.messages[0]!.raw.toString('utf8')).toBe(UTF8_HEADER);
  });

  it('split: every copy of an SMTPUTF8 message carries it', async () => {
    h = await startHarness({}, { onViolation: 'split' });
    const c = await open(h.proxy.port);
    const customers = [1, 2, 3, 4, 5, 6].map((i) => `c${i}@customer${i}.test`);
    await c.write(Buffer.from(`MAIL FROM:<alice@corp.example> SMTPUTF8\r\n${customers.map((r) => `RCPT TO:<${r}>\r\n`).join('')}DATA\r\n`, 'utf8'));
    for (let i = 0; i < 7; i++) expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^354/);
    await c.write(Buffer.from(`From: Jürgen <alice@corp.example>\r\nTo: ${customers.join(', ')}\r\nSubject: Grüße\r\n\r\nhello\r\n.\r\n`, 'utf8'));
    expect(await c.reply()).toMatch(/^250 2\.0\.0 Ok: relayed 6 split copies/);
    c.end();
    expect(h.sink.messages).toHaveLength(6);
    for (const m of h.sink.messages) expect(m.mailArgs).toMatchObject({ SMTPUTF8: true });
  });
});
