// The proxy with real clients (nodemailer, raw sockets) against a recording upstream.
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRaw } from './raw-smtp.js';
import { fixture, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type SendResult = { ok: true; response: string; rejected: string[] } | { ok: false; code: number | undefined; response: string };

async function send(port: number, raw: Buffer, from: string, to: string[]): Promise<SendResult> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, logger: false });
  try {
    const info = await transport.sendMail({ envelope: { from, to }, raw });
    return { ok: true, response: info.response, rejected: (info.rejected ?? []).map(String) };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    return { ok: false, code: e.responseCode, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}

const INTERNAL = ['bob@corp.example', 'carol@corp.example'];
const CUSTOMERS = [1, 2, 3, 4, 5, 6].map((i) => `c${i}@customer${i}.test`);

describe('proxy: verdicts with a nodemailer client', () => {
  it('relays a clean message byte for byte with the original envelope, and answers 250 with the upstream reply', async () => {
    h = await startHarness();
    const raw = fixture('proxy-clean.eml');
    const r = await send(h.proxy.port, raw, 'alice@corp.example', INTERNAL);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.response).toMatch(/^250 2\.0\.0 Ok: relayed \(upstream: 250 .*queued by sink/);
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0]!.mailFrom).toBe('alice@corp.example');
    expect(h.sink.messages[0]!.rcptTo).toEqual(INTERNAL);
    expect(h.sink.messages[0]!.raw.equals(raw)).toBe(true);
    const t = h.transactions();
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ verdict: 'pass', action: 'relayed', recipients: 2, from: 'a***@corp.example' });
    expect(t[0]!.to).toEqual(['b***@corp.example', 'c***@corp.example']);
    expect(t[0]!.upstream).toMatch(/^250 /);
  });

  it('blocks an exposed list with 550 5.7.1 and a one-line reason without the addresses; nothing reaches the upstream', async () => {
    h = await startHarness();
    const r = await send(h.proxy.port, fixture('proxy-exposed.eml'), 'sales@corp.example', CUSTOMERS);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(550);
      expect(r.response).toMatch(/^550 5\.7\.1 Blocked by mailguard: 6 external addresses from 6 organisations visible in To/);
      expect(r.response).not.toMatch(/customer\d\.test/);
      expect(r.response).not.toContain('\n');
    }
    expect(h.sink.attempts).toBe(0);
    expect(h.transactions()[0]).toMatchObject({ verdict: 'block', action: 'blocked', findings: ['EXPOSED_RECIPIENTS'] });
  });

  it('relays a Bcc-style message (recipients only in the envelope) to every envelope recipient', async () => {
    h = await startHarness();
    const raw = fixture('proxy-bcc-style.eml');
    const r = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(r.ok).toBe(true);
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0]!.rcptTo).toEqual(CUSTOMERS);
    expect(h.sink.messages[0]!.raw.equals(raw)).toBe(true);
  });

  it('rejects a message with an ambiguous recipient field, never relays it', async () => {
    h = await startHarness();
    const r = await send(h.proxy.port, fixture('proxy-malformed.eml'), 'alice@corp.example', ['a@one.test']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.response).toMatch(/^550 5\.7\.1 Blocked by mailguard: To has an unclosed quote/);
    expect(h.sink.attempts).toBe(0);
  });

  it('ambiguous recipients block in the proxy even when the configuration turns the rule off (with a warning)', async () => {
    const { createPolicy } = await import('../../src/policy/policy.js');
    h = await startHarness({}, { policy: createPolicy({ internalDomains: ['corp.example'], rules: { AMBIGUOUS_RECIPIENT: 'off' } }) });
    expect(h.events.some((e) => e.event === 'warning' && /AMBIGUOUS_RECIPIENT always block/.test(e.message))).toBe(true);
    const r = await send(h.proxy.port, fixture('proxy-malformed.eml'), 'alice@corp.example', ['a@one.test']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(550);
    expect(h.sink.attempts).toBe(0);
  });

  it('strips a Bcc field before relaying; the envelope still carries the blind recipient', async () => {
    h = await startHarness();
    const raw = Buffer.from('From: alice@corp.example\r\nTo: bob@corp.example\r\nBcc: boss@corp.example\r\nSubject: s\r\n\r\nbody\r\n');
    const r = await send(h.proxy.port, raw, 'alice@corp.example', ['bob@corp.example', 'boss@corp.example']);
    expect(r.ok).toBe(true);
    const got = h.sink.messages[0]!;
    expect(got.rcptTo).toEqual(['bob@corp.example', 'boss@corp.example']);
    expect(got.raw.toString()).not.toMatch(/^Bcc:/im);
    expect(got.raw.toString()).toContain('To: bob@corp.example\r\nSubject: s\r\n\r\nbody\r\n');
  });

  it('rejects an empty message and one without a header as not a message', async () => {
    h = await startHarness();
    const r = await send(h.proxy.port, Buffer.from('just text, no header\r\n'), 'alice@corp.example', ['bob@corp.example']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.response).toMatch(/^554 5\.6\.0 /);
    expect(h.sink.attempts).toBe(0);
  });

  it('rewrites an exposed list to Bcc with --on-violation bcc and relays it to the same envelope', async () => {
    h = await startHarness({}, { onViolation: 'bcc' });
    const r = await send(h.proxy.port, fixture('proxy-exposed.eml'), 'sales@corp.example', CUSTOMERS);
    expect(r.ok).toBe(true);
    expect(h.sink.messages).toHaveLength(1);
    const got = h.sink.messages[0]!;
    expect(got.rcptTo).toEqual(CUSTOMERS);
    const text = got.raw.toString();
    expect(text).not.toMatch(/customer\d\.test/);
    expect(text).not.toMatch(/^Bcc:/im);
    expect(text).toContain('\r\n\r\nDear customers,\r\nprices change next month.\r\n');
    expect(h.transactions()[0]).toMatchObject({ action: 'rewritten-bcc', verdict: 'block' });
  });

  it('splits an exposed list with --on-violation split: one copy per recipient showing only that recipient', async () => {
    h = await startHarness({}, { onViolation: 'split' });
    const r = await send(h.proxy.port, fixture('proxy-exposed.eml'), 'sales@corp.example', CUSTOMERS);
    expect(r.ok).toBe(true);
    expect(h.sink.messages).toHaveLength(6);
    const byRcpt = new Map(h.sink.messages.map((m) => [m.rcptTo.join(','), m.raw.toString()]));
    for (const c of CUSTOMERS) {
      const text = byRcpt.get(c);
      expect(text, c).toBeDefined();
      const others = CUSTOMERS.filter((o) => o !== c);
      for (const o of others) expect(text).not.toContain(o);
    }
    expect(h.transactions()[0]).toMatchObject({ action: 'split', parts: 6 });
  });

  it('a split that fails part-way answers 451 saying how many copies went out; the retry sends only the rest', async () => {
    h = await startHarness({ data: (_m, index) => (index === 2 ? 451 : undefined) }, { onViolation: 'split' });
    const r = await send(h.proxy.port, fixture('proxy-exposed.eml'), 'sales@corp.example', CUSTOMERS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.response).toMatch(/^451 4\.3\.0 Delivered 2 of 6 split copies; the rest were not delivered \(451 /);
    expect(h.sink.messages).toHaveLength(2);
    const retry = await send(h.proxy.port, fixture('proxy-exposed.eml'), 'sales@corp.example', CUSTOMERS);
    expect(retry.ok).toBe(true);
    expect(h.sink.messages.flatMap((m) => m.rcptTo).sort()).toEqual([...CUSTOMERS].sort());
  });

  it('split never sends to anyone outside the envelope, and gives envelope-only recipients a copy showing nobody', async () => {
    h = await startHarness({}, { onViolation: 'split' });
    const envelope = [CUSTOMERS[0]!, CUSTOMERS[1]!, 'hidden@elsewhere.test'];
    const r = await send(h.proxy.port, fixture('proxy-exposed.eml'), 'sales@corp.example', envelope);
    expect(r.ok).toBe(true);
    const all = h.sink.messages.flatMap((m) => m.rcptTo).sort();
    expect(all).toEqual([...envelope].sort());
    const hiddenCopy = h.sink.messages.find((m) => m.rcptTo.includes('hidden@elsewhere.test'))!;
    expect(hiddenCopy.raw.toString()).not.toMatch(/customer\d\.test/);
  });
});

describe('proxy: the upstream decides the reply', () => {
  it('upstream down: the proxy still starts (warning), answers 451, and relays once the upstream is back', async () => {
    const { startSink } = await import('../helpers/smtp-sink.js');
    const { startProxy } = await import('../../src/proxy/index.js');
    const { POLICY } = await import('./harness.js');
    // Reserve a port, then close it: nothing listens there.
    const placeholder = await startSink();
    const port = placeholder.port;
    await placeholder.close();
    const events: Array<{ event: string; message?: string }> = [];
    const proxy = await startProxy({ port: 0, upstream: `smtp://127.0.0.1:${port}`, policy: POLICY, log: (e) => events.push(e) });
    try {
      expect(events.some((e) => e.event === 'warning' && /not reachable/.test(e.message ?? ''))).toBe(true);
      const r = await send(proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe(451);
        expect(r.response).toMatch(/^451 4\.4\.1 /);
      }
      // The upstream comes back on the same port (advertising STARTTLS with smtp-server's
      // self-signed certificate, ignored on loopback).
      const { SMTPServer } = await import('smtp-server');
      const received: string[] = [];
      const back = new SMTPServer({
        authOptional: true,
        disableReverseLookup: true,
        logger: false,
        onData(stream, session, cb) {
          stream.resume();
          stream.on('end', () => {
            received.push(session.envelope.rcptTo.map((x) => x.address).join(','));
            cb(null, 'ok');
          });
        },
      });
      await new Promise<void>((resolve) => back.listen(port, '127.0.0.1', () => resolve()));
      try {
        await new Promise((resolve) => setTimeout(resolve, 2100)); // past the re-check interval
        const r2 = await send(proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
        expect(r2.ok).toBe(true);
        expect(received).toEqual([INTERNAL.join(',')]);
        expect(events.some((e) => e.event === 'upstream' && (e as { state?: string }).state === 'up')).toBe(true);
      } finally {
        // The proxy first: it keeps an idle connection to the upstream, which a server waits for.
        await proxy.stop();
        await new Promise<void>((resolve) => back.close(() => resolve()));
      }
    } finally {
      await proxy.stop();
    }
  });

  it('upstream answers 451 to DATA: the client gets 451, not 250', async () => {
    h = await startHarness({ data: () => 451 });
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.response).toMatch(/^451 4\.\d\.\d .*upstream: 451/);
    expect(h.sink.attempts).toBe(1);
    expect(h.sink.messages).toHaveLength(0);
    expect(h.transactions()[0]).toMatchObject({ action: 'deferred' });
  });

  it('upstream answers 554 to DATA: the 5xx is passed on', async () => {
    h = await startHarness({ data: () => 554 });
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(554);
    expect(h.transactions()[0]).toMatchObject({ action: 'refused-upstream' });
  });

  it('upstream rejects one of three recipients: nobody gets the message and the client is told who was refused', async () => {
    h = await startHarness({ rcpt: (a) => (a === 'gone@corp.example' ? 550 : undefined) });
    const to = ['bob@corp.example', 'gone@corp.example', 'carol@corp.example'];
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', to);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(550);
      expect(r.response).toMatch(/Upstream refused 1 of 3 recipients, nothing was delivered: <gone@corp\.example> 550/);
    }
    // The upstream connection was dropped before the final dot: the message was discarded.
    expect(h.sink.messages).toHaveLength(0);
  });

  it('upstream defers one recipient (450): the client gets 451 and can retry the whole message', async () => {
    h = await startHarness({ rcpt: (a) => (a === 'busy@corp.example' ? 450 : undefined) });
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', ['bob@corp.example', 'busy@corp.example']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.response).toMatch(/^451 4\.\d\.\d Upstream deferred 1 of 2 recipients/);
    expect(h.sink.messages).toHaveLength(0);
  });

  it('upstream slower than the timeout before the message went: 451 "timed out" at the timeout, nothing delivered', async () => {
    // The upstream answers MAIL after 3 s: a reply well before that came at the timeout (the margin
    // is wide: a loaded machine took 1.45 s to answer a 400-ms timeout).
    h = await startHarness({ mailDelayMs: 3000 }, { upstreamTimeoutMs: 400 });
    const started = Date.now();
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(451);
      expect(r.response).toMatch(/timed out/);
      expect(r.response).not.toMatch(/not reachable/);
    }
    expect(h.transactions()[0]!.upstream).toMatch(/^timed out: ETIMEDOUT/);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(h.sink.messages).toHaveLength(0);
  });
});

describe('proxy: upstream connections', () => {
  it('reuses one upstream connection for consecutive messages', async () => {
    let connections = 0;
    h = await startHarness({ options: { onConnect: (_s, cb) => (connections++, cb()) } });
    const before = connections; // the start-up probe
    for (let i = 0; i < 3; i++) expect((await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL)).ok).toBe(true);
    expect(h.sink.messages).toHaveLength(3);
    expect(connections - before).toBe(1);
  });

  it('an idle connection the upstream closed meanwhile is replaced, the message still goes through once', async () => {
    h = await startHarness({ options: { socketTimeout: 200 } });
    expect((await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL)).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the upstream times the idle session out
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    expect(r.ok).toBe(true);
    expect(h.sink.messages).toHaveLength(2);
  });

  it('logs in to an upstream that requires AUTH (credentials in the URL); refused credentials give 451, not a bounce', async () => {
    const { startSink } = await import('../helpers/smtp-sink.js');
    const { startProxy } = await import('../../src/proxy/index.js');
    const { POLICY } = await import('./harness.js');
    const sink = await startSink({
      options: {
        authOptional: false,
        allowInsecureAuth: true,
        onAuth: (auth, _s, cb) => (auth.username === 'relay' && auth.password === 's3cret/+' ? cb(null, { user: 'relay' }) : cb(Object.assign(new Error('bad credentials'), { responseCode: 535 }))),
      },
    });
    const good = await startProxy({ port: 0, upstream: `smtp://relay:${encodeURIComponent('s3cret/+')}@127.0.0.1:${sink.port}`, policy: POLICY });
    const bad = await startProxy({ port: 0, upstream: `smtp://relay:wrong@127.0.0.1:${sink.port}`, policy: POLICY });
    try {
      expect((await send(good.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL)).ok).toBe(true);
      const r = await send(bad.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.response).toMatch(/^451 4\.4\.3 Upstream relay refused the proxy's session/);
      expect(sink.messages).toHaveLength(1);
    } finally {
      await good.stop();
      await bad.stop();
      await sink.close();
    }
  });

  it('the upstream refuses every recipient: 550 naming them, nothing delivered', async () => {
    h = await startHarness({ rcpt: () => 550 });
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.response).toMatch(/^550 5\.1\.1 Upstream refused 2 of 2 recipients, nothing was delivered: <bob@corp\.example> 550 .*<carol@corp\.example> 550/);
    expect(h.sink.attempts).toBe(0);
  });
});

describe('proxy: limits', () => {
  it('1000 RCPTs are taken and relayed; the 1001st gets 452', async () => {
    h = await startHarness();
    const c = await connectRaw(h.proxy.port);
    expect(await c.reply()).toMatch(/^220 /);
    expect(await c.command('EHLO client.test')).toMatch(/^250/);
    expect(await c.command('MAIL FROM:<sales@corp.example>')).toMatch(/^250/);
    // Pipelined in one write, as a bulk sender does.
    const rcpts = Array.from({ length: 1001 }, (_, i) => `RCPT TO:<r${i}@corp.example>\r\n`).join('');
    await c.write(rcpts);
    const replies: string[] = [];
    for (let i = 0; i < 1001; i++) replies.push(await c.reply());
    expect(replies.slice(0, 1000).every((r) => r.startsWith('250'))).toBe(true);
    expect(replies[1000]).toMatch(/^452 4\.5\.3 Too many recipients/);
    expect(await c.command('DATA')).toMatch(/^354/);
    await c.write('From: sales@corp.example\r\nTo: undisclosed-recipients:;\r\nSubject: s\r\n\r\nhi\r\n.\r\n');
    expect(await c.reply()).toMatch(/^250 /);
    c.end();
    expect(h.sink.messages[0]!.rcptTo).toHaveLength(1000);
  });

  it('an oversized body that declared a small SIZE gets 552 and is not relayed', async () => {
    h = await startHarness({}, { maxMessageBytes: 10_000 });
    const c = await connectRaw(h.proxy.port);
    await c.reply();
    expect(await c.command('EHLO client.test')).toMatch(/SIZE 10000/);
    expect(await c.command('MAIL FROM:<alice@corp.example> SIZE=100')).toMatch(/^250/);
    expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^250/);
    expect(await c.command('DATA')).toMatch(/^354/);
    const line = `${'x'.repeat(998)}\r\n`;
    await c.write(`From: alice@corp.example\r\nTo: bob@corp.example\r\n\r\n${line.repeat(50)}.\r\n`);
    expect(await c.reply()).toMatch(/^552 5\.3\.4 /);
    // The session goes on: a normal message after it is relayed.
    expect(await c.command('MAIL FROM:<alice@corp.example>')).toMatch(/^250/);
    expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^250/);
    expect(await c.command('DATA')).toMatch(/^354/);
    await c.write('From: alice@corp.example\r\nTo: bob@corp.example\r\n\r\nsmall\r\n.\r\n');
    expect(await c.reply()).toMatch(/^250 /);
    c.end();
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0]!.raw.toString()).toContain('small');
  });

  it('a declared SIZE over the limit is refused at MAIL FROM', async () => {
    h = await startHarness({}, { maxMessageBytes: 10_000 });
    const c = await connectRaw(h.proxy.port);
    await c.reply();
    await c.command('EHLO client.test');
    expect(await c.command('MAIL FROM:<alice@corp.example> SIZE=20000')).toMatch(/^552 /);
    c.end();
  });

  it('a header block over the header limit gets 552', async () => {
    h = await startHarness({}, { maxHeaderBytes: 2000 });
    const raw = Buffer.from(`From: alice@corp.example\r\nTo: bob@corp.example\r\nX-Filler: ${'y'.repeat(3000)}\r\n\r\nbody\r\n`);
    const r = await send(h.proxy.port, raw, 'alice@corp.example', ['bob@corp.example']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.response).toMatch(/^552 5\.3\.4 Message header block exceeds 2000 bytes/);
    expect(h.sink.attempts).toBe(0);
  });

  it('an idle client is disconnected after the idle timeout', async () => {
    h = await startHarness({}, { idleTimeoutMs: 300 });
    const c = await connectRaw(h.proxy.port);
    await c.reply();
    const started = Date.now();
    await c.closed;
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a busy client is cut off with 421 after the session time limit', async () => {
    h = await startHarness({}, { sessionTimeoutMs: 500 });
    const c = await connectRaw(h.proxy.port);
    await c.reply();
    // Busy, not idle: a command every 100 ms, answered until the limit.
    for (let i = 0; i < 3; i++) {
      expect(await c.command('NOOP')).toMatch(/^250/);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await c.reply(3000)).toMatch(/^421 4\.4\.2 Session time limit/);
    await c.closed;
  });
});
