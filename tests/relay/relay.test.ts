// The relay adapter against a real SMTP server on 127.0.0.1 (the recording sink).
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { parseConfig } from '../../src/policy/config.js';
import { createRelay, RelayError, resolveSmtpSettings, type Relay } from '../../src/relay/index.js';
import { freePort } from '../helpers/postfix.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';

const RAW = new TextEncoder().encode('From: a@corp.example\r\nTo: b@x.test\r\nSubject: relay\r\n\r\nbody\r\n');
let sink: Sink | undefined;
let relay: Relay | undefined;
let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await relay?.close();
  await sink?.close();
  await closeServer?.();
  relay = undefined;
  sink = undefined;
  closeServer = undefined;
});

describe('deliver', () => {
  it('sends the raw bytes unchanged to exactly the envelope recipients', async () => {
    sink = await startSink();
    relay = await createRelay({ url: sink.url });
    const result = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test', 'hidden@y.test'] });
    expect(result.accepted).toEqual(['b@x.test', 'hidden@y.test']);
    expect(result.rejected).toEqual([]);
    expect(result.response).toMatch(/^250/);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.mailFrom).toBe('a@corp.example');
    expect(sink.messages[0]!.rcptTo).toEqual(['b@x.test', 'hidden@y.test']);
    expect(sink.messages[0]!.raw.toString()).toBe(Buffer.from(RAW).toString());
  });

  it('reports recipients refused with 5xx, with the reply, and sends to the rest', async () => {
    sink = await startSink({ rcpt: (a) => (a.startsWith('bad') ? 550 : undefined) });
    relay = await createRelay({ url: sink.url, retries: 0 });
    const result = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test', 'bad@y.test'] });
    expect(result.accepted).toEqual(['b@x.test']);
    expect(result.rejected.map((r) => r.address)).toEqual(['bad@y.test']);
    expect(result.rejected[0]!.response).toMatch(/^550/);
    expect(sink.messages.map((m) => m.rcptTo)).toEqual([['b@x.test']]);
  });

  it('returns every recipient refused (not a throw) when the server refuses them all permanently', async () => {
    sink = await startSink({ rcpt: () => 550 });
    relay = await createRelay({ url: sink.url });
    const result = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test', 'c@y.test'] });
    expect(result.accepted).toEqual([]);
    expect(result.rejected.map((r) => r.address)).toEqual(['b@x.test', 'c@y.test']);
    expect(sink.attempts).toBe(0);
  });

  it('retries a recipient deferred with 4xx, and only that recipient', async () => {
    let deferrals = 0;
    sink = await startSink({ rcpt: (a) => (a === 'grey@y.test' && deferrals++ < 1 ? 450 : undefined) });
    relay = await createRelay({ url: sink.url, retries: 2 });
    const result = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test', 'grey@y.test'] });
    expect(result.accepted).toEqual(['b@x.test', 'grey@y.test']);
    expect(result.rejected).toEqual([]);
    expect(sink.messages.map((m) => m.rcptTo)).toEqual([['b@x.test'], ['grey@y.test']]);
  });

  it('gives up on a recipient still deferred after the retries and reports it', async () => {
    sink = await startSink({ rcpt: (a) => (a === 'grey@y.test' ? 451 : undefined) });
    relay = await createRelay({ url: sink.url, retries: 1 });
    const result = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test', 'grey@y.test'] });
    expect(result.accepted).toEqual(['b@x.test']);
    expect(result.rejected.map((r) => [r.address, r.response.slice(0, 3)])).toEqual([['grey@y.test', '451']]);
  });

  it('retries a message refused with 4xx after DATA and delivers it once', async () => {
    sink = await startSink({ data: (_m, i) => (i === 0 ? 451 : undefined) });
    relay = await createRelay({ url: sink.url, retries: 2 });
    const result = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] });
    expect(result.accepted).toEqual(['b@x.test']);
    expect(sink.attempts).toBe(2);
    expect(sink.messages).toHaveLength(1);
  });

  it.each(['accept-then-drop', 'drop'] as const)('a connection lost after the whole message was sent (%s) is not retried: the outcome is unknown, so it is never delivered twice', async (how) => {
    sink = await startSink({ afterData: (_m, i) => (i === 0 ? how : undefined) });
    relay = await createRelay({ url: sink.url, retries: 3 });
    const err = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test', 'c@y.test'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).outcomeUnknown).toBe(true);
    expect((err as RelayError).transient).toBe(false);
    expect((err as RelayError).message).toMatch(/after the whole message was sent.*may have accepted it, so it was not sent again/);
    expect((err as RelayError).hint).toMatch(/twice/);
    expect(sink.attempts).toBe(1);
    expect(sink.messages).toHaveLength(how === 'accept-then-drop' ? 1 : 0);
    // The relay is still usable: the next message goes out on a new connection.
    const next = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] });
    expect(next.accepted).toEqual(['b@x.test']);
  });

  it.each(['mail', 'rcpt'] as const)('a connection lost before the message was sent (at %s) is still retried: nothing can have been delivered', async (stage) => {
    sink = await startSink({ randomDrop: { rate: 1, stages: [stage] } });
    relay = await createRelay({ url: sink.url, retries: 2 });
    const err = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).outcomeUnknown).toBe(false);
    expect((err as RelayError).transient).toBe(true);
    // The first attempt and both retries.
    expect(sink.droppedConnections).toBe(3);
    expect(sink.messages).toHaveLength(0);
  });

  it('a message as large as several stream buffers: a drop after the dot is still told from one before it', async () => {
    const big = new TextEncoder().encode(`From: a@corp.example\r\nTo: b@x.test\r\nSubject: big\r\n\r\n${'0123456789abcdef'.repeat(64).concat('\r\n').repeat(400)}`);
    sink = await startSink({ afterData: (_m, i) => (i === 0 ? 'accept-then-drop' : undefined) });
    relay = await createRelay({ url: sink.url, retries: 3 });
    const err = await relay.deliver(big, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] }).catch((e: unknown) => e);
    expect((err as RelayError).outcomeUnknown).toBe(true);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.raw.length).toBe(big.length);
  });

  it('throws a permanent ERELAY with the reply code when DATA is refused with 5xx, without retrying', async () => {
    sink = await startSink({ data: () => 554 });
    relay = await createRelay({ url: sink.url, retries: 3 });
    const err = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect(err).toBeInstanceOf(MailguardError);
    expect((err as RelayError).code).toBe('ERELAY');
    expect((err as RelayError).transient).toBe(false);
    expect((err as RelayError).responseCode).toBe(554);
    expect(sink.attempts).toBe(1);
  });

  it('throws a transient ERELAY when nothing listens, after a bounded number of attempts', async () => {
    const port = await freePort();
    relay = await createRelay({ url: `smtp://127.0.0.1:${port}`, retries: 2, connectionTimeoutMs: 2000 });
    const started = Date.now();
    const err = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).transient).toBe(true);
    expect((err as RelayError).responseCode).toBeUndefined();
    // Two backoffs (250 + 500 ms) before giving up.
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('smtps:// refuses an untrusted certificate at once (permanent, with a hint), and ?tls.rejectUnauthorized=false accepts it', async () => {
    // smtp-server's built-in certificate is self-signed and expired: no client trusts it. (Its own
    // server here, not the sink: the refused handshake is an 'error' event the test must listen to.)
    const server = new SMTPServer({ secure: true, authOptional: true, logger: false, onData: (s, _x, cb) => s.resume().on('end', () => cb()) });
    server.on('error', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.server.address() as net.AddressInfo).port;
    closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
    relay = await createRelay({ url: `smtps://127.0.0.1:${port}`, retries: 2 });
    const started = Date.now();
    const err = await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).transient).toBe(false);
    expect((err as RelayError).hint).toContain('certificate');
    expect(Date.now() - started).toBeLessThan(2000);
    await relay.close();
    relay = await createRelay({ url: `smtps://127.0.0.1:${port}/?tls.rejectUnauthorized=false` });
    expect((await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] })).accepted).toEqual(['b@x.test']);
  });

  it('spaces messages by the rate limit', async () => {
    sink = await startSink();
    relay = await createRelay({ url: sink.url, rateLimitPerSecond: 20 });
    const started = Date.now();
    for (let i = 0; i < 5; i++) await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: [`r${i}@x.test`] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 50 - 5);
    expect(sink.messages).toHaveLength(5);
  });

  it('authenticates with the user and password given', async () => {
    const logins: string[] = [];
    sink = await startSink({
      options: {
        authOptional: false,
        allowInsecureAuth: true,
        onAuth(auth, _session, callback) {
          logins.push(`${auth.username}:${auth.password}`);
          if (auth.password === 's3cret') callback(null, { user: auth.username });
          else callback(new Error('535 bad credentials'));
        },
      },
    });
    relay = await createRelay({ url: sink.url, user: 'robot', pass: 's3cret' });
    await relay.deliver(RAW, { mailFrom: 'a@corp.example', rcptTo: ['b@x.test'] });
    expect(logins).toEqual(['robot:s3cret']);
    expect(sink.messages).toHaveLength(1);
  });
});

describe('resolveSmtpSettings', () => {
  const config = (smtp?: string) => parseConfig(smtp ? { smtp } : {}, 'test');

  it.each([
    ['the flag first', 'smtp://flag.test:25', { MAILGUARD_SMTP_URL: 'smtp://env.test' }, 'smtp://cfg.test', 'smtp://flag.test:25'],
    ['then the environment', undefined, { MAILGUARD_SMTP_URL: 'smtp://env.test:2525' }, 'smtp://cfg.test', 'smtp://env.test:2525'],
    ['then the config file', undefined, {}, 'smtps://cfg.test', 'smtps://cfg.test'],
  ])('takes %s', (_name, flag, env, smtp, url) => {
    expect(resolveSmtpSettings(flag, config(smtp), env).url).toBe(url);
  });

  it('moves credentials out of the URL, decoded, and lets the URL win over the environment', () => {
    const s = resolveSmtpSettings('smtp://me%40corp:p%40ss@relay.test:587', config(), { MAILGUARD_SMTP_USER: 'other', MAILGUARD_SMTP_PASS: 'x' });
    expect(s).toEqual({ url: 'smtp://relay.test:587', user: 'me@corp', pass: 'p@ss' });
  });

  it('takes credentials from MAILGUARD_SMTP_USER and MAILGUARD_SMTP_PASS', () => {
    expect(resolveSmtpSettings('smtp://relay.test', config(), { MAILGUARD_SMTP_USER: 'u', MAILGUARD_SMTP_PASS: 'p' })).toEqual({ url: 'smtp://relay.test', user: 'u', pass: 'p' });
  });

  it.each([
    ['no relay at all', undefined],
    ['another scheme', 'http://user:hunter2@relay.test'],
    ['not a URL', 'relay.test:25 hunter2'],
  ])('refuses %s with EUSAGE and never echoes the password', (_name, flag) => {
    let err: unknown;
    try {
      resolveSmtpSettings(flag, config(), {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MailguardError);
    expect((err as MailguardError).code).toBe('EUSAGE');
    expect(`${(err as MailguardError).message} ${(err as MailguardError).hint}`).not.toContain('hunter2');
  });
});
