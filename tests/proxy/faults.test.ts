// The proxy under faults: what the client is told must match what the upstream did. For each
// case the client's reply and the recording sink agree, with zero duplicates and zero lost
// recipients (outside the one window SMTP leaves open, which is asserted as such).
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { DataGuard } from '../../src/proxy/data-guard.js';
import { PROXY_DECLARED_SIZE_PREALLOCATION_MAX } from '../../src/proxy/limits.js';
import { createDeliveredCopies } from '../../src/proxy/delivered-copies.js';
import { deliveryCounts, type SinkMessage } from '../helpers/smtp-sink.js';
import { fixture, startHarness, type Harness } from './harness.js';
import { connectRaw, type RawSmtp } from './raw-smtp.js';

let h: Harness | undefined;
const raws: RawSmtp[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.end();
  await h?.close();
  h = undefined;
});

type Reply = { ok: true; response: string } | { ok: false; code: number | undefined; response: string };

async function send(port: number, raw: Buffer, from: string, to: string[]): Promise<Reply> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, logger: false, socketTimeout: 60_000 });
  try {
    const info = await transport.sendMail({ envelope: { from, to }, raw });
    return { ok: true, response: info.response };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    return { ok: false, code: e.responseCode, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}

/** Sends until the client hears 250 or a 5xx, as a client MTA retries a 4xx. */
async function sendUntilDone(port: number, raw: Buffer, from: string, to: string[], maxTries = 40): Promise<{ last: Reply; tries: number }> {
  for (let tries = 1; ; tries++) {
    const last = await send(port, raw, from, to);
    if (last.ok || (last.code !== undefined && last.code >= 500) || tries >= maxTries) return { last, tries };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const INTERNAL = ['bob@corp.example', 'carol@corp.example'];
const CUSTOMERS = [1, 2, 3, 4, 5, 6].map((i) => `c${i}@customer${i}.test`);
/** Split copies get fresh Message-IDs: a delivery is known by the body and recipient. */
const byBody = (m: SinkMessage) => m.raw.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n');

function expectExactlyOnce(messages: SinkMessage[], recipients: string[]): void {
  const counts = deliveryCounts(messages, byBody);
  const perRecipient = new Map<string, number>();
  for (const [k, n] of counts) {
    const r = k.slice(k.lastIndexOf(' -> ') + 4);
    perRecipient.set(r, (perRecipient.get(r) ?? 0) + n);
  }
  const duplicates = [...perRecipient].filter(([, n]) => n > 1);
  const lost = recipients.filter((r) => !perRecipient.has(r.toLowerCase()));
  expect({ duplicates, lost }).toEqual({ duplicates: [], lost: [] });
}

describe('the reply to the final dot is the upstream\'s, however long it takes (item 1)', () => {
  it.each([
    [500, 1500],
    [700, 2200],
    [600, 1400],
  ])('--upstream-timeout %i ms, upstream answers the dot after %i ms: the client gets 250 once, no duplicate', async (timeout, delay) => {
    h = await startHarness({ dataDelayMs: delay }, { upstreamTimeoutMs: timeout });
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    expect(r.ok).toBe(true);
    expect(h.sink.messages).toHaveLength(1);
    expect(h.transactions()[0]).toMatchObject({ action: 'relayed' });
  });

  it('past the end-of-data timeout the client is told the outcome is unknown (451), and the log says so', async () => {
    h = await startHarness({ dataDelayMs: 2500 }, { upstreamTimeoutMs: 600, dataDoneTimeoutMs: 800 });
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(451);
      expect(r.response).toMatch(/outcome is unknown/);
    }
    expect(h.transactions()[0]).toMatchObject({ action: 'outcome-unknown' });
    expect(h.events.some((e) => e.event === 'warning' && /outcome unknown/.test(e.message))).toBe(true);
  });

  it.each(['accept-then-drop', 'drop'] as const)('connection lost after the dot (%s): 451 "outcome unknown", never "not reachable", never 250', async (how) => {
    h = await startHarness({ afterData: () => how });
    const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.response).toMatch(/^451 4\.4\.2 .*outcome is unknown/);
    expect(h.transactions()[0]!.upstream).toMatch(/^outcome unknown/);
    // The documented window: the upstream may hold the message although the client heard 451.
    expect(h.sink.messages).toHaveLength(how === 'accept-then-drop' ? 1 : 0);
  });
});

describe('a client that leaves before hearing the reply', () => {
  const waitUntil = async (cond: () => boolean) => {
    for (let i = 0; i < 500 && !cond(); i++) await sleep(10);
    expect(cond()).toBe(true);
  };
  /** A raw client that sends one message to `to` and leaves at once after the final dot. */
  async function sendAndLeave(port: number, raw: Buffer, from: string, to: string[]): Promise<RawSmtp> {
    const c = await connectRaw(port);
    raws.push(c);
    expect(await c.reply()).toMatch(/^220 /);
    await c.write(`EHLO client.test\r\nMAIL FROM:<${from}>\r\n${to.map((r) => `RCPT TO:<${r}>\r\n`).join('')}DATA\r\n`);
    for (let i = 0; i < to.length + 2; i++) expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^354/);
    await c.write(Buffer.concat([raw, Buffer.from(raw.subarray(-2).toString() === '\r\n' ? '.\r\n' : '\r\n.\r\n')]));
    return c;
  }

  it.each([
    ['the upstream slow to answer MAIL FROM', { mailDelayMs: 800 }],
    ['the upstream slow to greet a new connection', { options: { onConnect: (_s: unknown, cb: () => void) => setTimeout(cb, 800) } }],
  ])('%s: gone before the message went upstream, it is withdrawn (logged aborted); the retry is the one copy', async (_name, behaviour) => {
    h = await startHarness(behaviour as never);
    const raw = fixture('proxy-clean.eml');
    const c = await sendAndLeave(h.proxy.port, raw, 'alice@corp.example', INTERNAL);
    await sleep(100);
    c.end();
    await waitUntil(() => h!.transactions().length === 1);
    expect(h.transactions()[0]).toMatchObject({ action: 'aborted', reply: expect.stringMatching(/^client disconnected before the message went upstream/) });
    expect(h.sink.messages).toHaveLength(0);
    expect((await send(h.proxy.port, raw, 'alice@corp.example', INTERNAL)).ok).toBe(true);
    expect(h.sink.messages).toHaveLength(1);
  });

  it('gone after the final dot went upstream: the upstream decides, the message stays delivered (one copy), logged relayed', async () => {
    h = await startHarness({ dataDelayMs: 800 });
    const c = await sendAndLeave(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    await waitUntil(() => h!.sink.attempts === 1);
    c.end();
    await waitUntil(() => h!.transactions().length === 1);
    expect(h.transactions()[0]).toMatchObject({ action: 'relayed' });
    expect(h.sink.messages).toHaveLength(1);
  });

  it('split: gone after two copies went out, no further copy starts; the retry sends the other four, every customer once', async () => {
    h = await startHarness({ mailDelayMs: 300 }, { onViolation: 'split' });
    const raw = fixture('proxy-exposed.eml');
    const c = await sendAndLeave(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    await waitUntil(() => h!.sink.messages.length === 2);
    c.end();
    await waitUntil(() => h!.transactions().length === 1);
    expect(h.transactions()[0]).toMatchObject({ action: 'aborted', delivered: 2, reply: expect.stringMatching(/2 of 6 split copies delivered/) });
    expect(h.sink.messages).toHaveLength(2);
    expect((await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS)).ok).toBe(true);
    expectExactlyOnce(h.sink.messages, CUSTOMERS);
  });
});

describe('shutdown (item 2)', () => {
  it('SIGTERM while the upstream is answering the dot, past the grace: the client gets the upstream\'s 250, not 421; one copy', async () => {
    h = await startHarness({ dataDelayMs: 1200 }, { shutdownGraceMs: 150 });
    const pending = send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
    // Wait until the message is with the upstream.
    for (let i = 0; i < 100 && h.sink.attempts === 0; i++) await sleep(20);
    const stopping = h.proxy.stop();
    const r = await pending;
    expect(r.ok).toBe(true);
    await stopping;
    expect(h.sink.messages).toHaveLength(1);
    expect(h.transactions()[0]).toMatchObject({ action: 'relayed' });
  });

  it('after stop: new connections are refused, idle sessions get 421, a session mid-envelope gets 421 for its next command; nothing half-sent reaches the upstream', async () => {
    h = await startHarness({ dataDelayMs: 800 }, { shutdownGraceMs: 300 });
    const idle = await connectRaw(h.proxy.port);
    raws.push(idle);
    expect(await idle.reply()).toMatch(/^220/);
    expect(await idle.command('EHLO a.test')).toMatch(/^250/);
    const mid = await connectRaw(h.proxy.port);
    raws.push(mid);
    await mid.reply();
    await mid.command('EHLO b.test');
    expect(await mid.command('MAIL FROM:<alice@corp.example>')).toMatch(/^250/);
    const uploading = await connectRaw(h.proxy.port);
    raws.push(uploading);
    await uploading.reply();
    await uploading.command('EHLO c.test');
    await uploading.command('MAIL FROM:<alice@corp.example>');
    await uploading.command('RCPT TO:<bob@corp.example>');
    expect(await uploading.command('DATA')).toMatch(/^354/);
    await uploading.write('From: alice@corp.example\r\nTo: bob@corp.example\r\nSubject: half\r\n\r\npart one\r\n');

    const stopping = h.proxy.stop();
    expect(await idle.reply()).toMatch(/^421 /);
    expect(await mid.command('RCPT TO:<bob@corp.example>')).toMatch(/^421 /);
    // The upload never finishes: at the end of the grace it is cut with 421.
    expect(await uploading.reply(3000)).toMatch(/^421 /);
    await stopping;
    await expect(connectRaw(h.proxy.port)).rejects.toThrow();
    expect(h.sink.attempts).toBe(0);
  });
});

describe('split: never 550 after partial delivery; the retry delivers only the rest (item 4)', () => {
  it.each([
    ['the first copy deferred', 0, 0],
    ['the third copy deferred', 2, 2],
    ['the last copy deferred', 5, 5],
  ])('%s: the client hears 451 (saying how many copies went out), the retry completes; each customer gets exactly one copy', async (_name, failAt, deliveredBefore) => {
    h = await startHarness({ data: (_m, index) => (index === failAt ? 451 : undefined) }, { onViolation: 'split' });
    const raw = fixture('proxy-exposed.eml');
    const first = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(first.ok).toBe(false);
    if (!first.ok) {
      expect(first.code).toBe(451);
      if (deliveredBefore > 0) expect(first.response).toContain(`Delivered ${deliveredBefore} of 6 split copies`);
      else expect(first.response).not.toMatch(/Delivered/);
    }
    expect(h.sink.messages).toHaveLength(deliveredBefore);
    const retry = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(retry.ok).toBe(true);
    if (retry.ok && deliveredBefore > 0) expect(retry.response).toContain(`${deliveredBefore} delivered by an earlier attempt`);
    expectExactlyOnce(h.sink.messages, CUSTOMERS);
    expect(h.transactions()[1]).toMatchObject({ action: 'split', delivered: 6 - deliveredBefore, ...(deliveredBefore ? { alreadyDelivered: deliveredBefore } : {}) });
  });

  it('one recipient refused for good (550): the other copies still go, the reply is 451 not 550, a retry tries only that copy', async () => {
    h = await startHarness({ rcpt: (a) => (a.startsWith('c3@') ? 550 : undefined) }, { onViolation: 'split' });
    const raw = fixture('proxy-exposed.eml');
    const first = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.response).toMatch(/^451 4\.3\.0 Delivered 5 of 6 split copies/);
    expect(h.sink.messages.flatMap((m) => m.rcptTo).sort()).toEqual(CUSTOMERS.filter((c) => !c.startsWith('c3@')).sort());
    const attemptsBefore = h.sink.messages.length;
    const retry = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(retry.ok).toBe(false);
    expect(h.sink.messages).toHaveLength(attemptsBefore);
    expect(h.transactions()[1]).toMatchObject({ delivered: 0, alreadyDelivered: 5 });
  });

  it.each([
    ['the first copy', 0],
    ['the third copy', 2],
    ['the last copy', 5],
  ])('%s taken by the upstream, then the connection lost before its reply: 451 says its outcome is unknown, never that it was not delivered; the retry sends it again and the rest once', async (_name, lostAt) => {
    h = await startHarness({ afterData: (_m, index) => (index === lostAt ? 'accept-then-drop' : undefined) }, { onViolation: 'split' });
    const raw = fixture('proxy-exposed.eml');
    const first = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(first.ok).toBe(false);
    if (!first.ok) {
      expect(first.code).toBe(451);
      if (lostAt === 0) expect(first.response).toMatch(/^451 4\.4\.2 Upstream connection lost after the message was sent: the outcome is unknown/);
      else expect(first.response).toMatch(new RegExp(`^451 4\\.3\\.0 Delivered ${lostAt} of 6 split copies; the outcome of one more is unknown \\(it may have been delivered, and a retry sends it again\\), the rest were not delivered`));
    }
    expect(h.transactions()[0]).toMatchObject({ action: 'outcome-unknown', delivered: lostAt });
    expect(h.sink.messages).toHaveLength(lostAt + 1);
    const retry = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(retry.ok).toBe(true);
    // The one window SMTP leaves open: the copy whose reply was lost went twice, nobody else did.
    const lost = CUSTOMERS[lostAt]!;
    expectExactlyOnce(h.sink.messages.filter((m) => !m.rcptTo.includes(lost)), CUSTOMERS.filter((c) => c !== lost));
    expect(h.sink.messages.filter((m) => m.rcptTo.includes(lost))).toHaveLength(2);
  });

  it('nothing delivered and a permanent refusal: the upstream\'s 5xx is passed on (no copy went out)', async () => {
    h = await startHarness({ rcpt: () => 550 }, { onViolation: 'split' });
    const r = await send(h.proxy.port, fixture('proxy-exposed.eml'), 'sales@corp.example', CUSTOMERS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(550);
    expect(h.sink.messages).toHaveLength(0);
  });

  it.each([3, 7, 11])('random 421 disconnects at 15 percent (seed %i): retried until 250, every customer exactly once', async (seed) => {
    h = await startHarness({ random421: { rate: 0.15, seed, stages: ['mail', 'rcpt', 'data'] } }, { onViolation: 'split' });
    const { last } = await sendUntilDone(h.proxy.port, fixture('proxy-exposed.eml'), 'sales@corp.example', CUSTOMERS);
    expect(last.ok).toBe(true);
    expectExactlyOnce(h.sink.messages, CUSTOMERS);
  });

  it('the same bytes sent again after a 250 are a new message, delivered again (a script sending one file twice); so after a completed retry', async () => {
    h = await startHarness({ data: (_m, index) => (index === 2 ? 451 : undefined) }, { onViolation: 'split' });
    const raw = fixture('proxy-exposed.eml');
    expect((await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS)).ok).toBe(false);
    const retry = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(retry.ok).toBe(true);
    expectExactlyOnce(h.sink.messages, CUSTOMERS);
    const again = await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS);
    expect(again.ok).toBe(true);
    if (again.ok) expect(again.response).not.toMatch(/earlier attempt/);
    expect(h.sink.messages).toHaveLength(12);
    expect(h.transactions()[2]).toMatchObject({ action: 'split', delivered: 6 });
    expect(h.transactions()[2]).not.toHaveProperty('alreadyDelivered');
  });

  it('a different message (other bytes) to the same recipients is not mistaken for a retry', async () => {
    h = await startHarness({}, { onViolation: 'split' });
    const raw = fixture('proxy-exposed.eml');
    const other = Buffer.from(raw.toString('latin1').replace('prices change', 'prices changed'), 'latin1');
    expect((await send(h.proxy.port, raw, 'sales@corp.example', CUSTOMERS)).ok).toBe(true);
    expect((await send(h.proxy.port, other, 'sales@corp.example', CUSTOMERS)).ok).toBe(true);
    expect(h.sink.messages).toHaveLength(12);
  });
});

describe('the memory of delivered copies', () => {
  it('forgets after the retry period and past its entry limit (oldest first)', () => {
    let t = 0;
    const d = createDeliveredCopies({ ttlMs: 1000, maxEntries: 3, now: () => t });
    const k = d.keyOf(Buffer.from('m'), 'a@x.test');
    d.add(k, ['A@y.test', 'b@y.test']);
    expect(d.has(k, 'a@y.test')).toBe(true);
    expect(d.has(d.keyOf(Buffer.from('n'), 'a@x.test'), 'a@y.test')).toBe(false);
    expect(d.has(d.keyOf(Buffer.from('m'), 'other@x.test'), 'a@y.test')).toBe(false);
    t = 500;
    d.add(k, ['c@y.test', 'd@y.test']);
    expect(d.size).toBe(3);
    expect(d.has(k, 'a@y.test')).toBe(false);
    t = 1600;
    expect(d.has(k, 'c@y.test')).toBe(false);
  });

  it('forgets a message delivered whole, and only that one', () => {
    const d = createDeliveredCopies();
    const k = d.keyOf(Buffer.from('m'), 'a@x.test');
    const other = d.keyOf(Buffer.from('n'), 'a@x.test');
    d.add(k, ['a@y.test', 'B@y.test']);
    d.add(other, ['a@y.test']);
    d.forget(k, ['a@y.test', 'b@y.test']);
    expect(d.has(k, 'a@y.test')).toBe(false);
    expect(d.has(k, 'b@y.test')).toBe(false);
    expect(d.has(other, 'a@y.test')).toBe(true);
  });
});

describe('connection limits keep serving real clients (item 5)', () => {
  async function idleClients(port: number, n: number): Promise<RawSmtp[]> {
    const out: RawSmtp[] = [];
    for (let i = 0; i < n; i++) {
      const c = await connectRaw(port);
      raws.push(c);
      out.push(c);
      await c.reply();
      await c.command(`EHLO idle${i}.test`);
    }
    return out;
  }

  it.each([
    [5, 5],
    [5, 12],
    [10, 30],
  ])('max %i clients, %i idle connections held open: every real client is served; the oldest idle ones are closed with 421', async (max, held) => {
    h = await startHarness({}, { maxClients: max, idleBeforeMailMs: 60_000 });
    const idle = await idleClients(h.proxy.port, held);
    for (let i = 0; i < 3; i++) {
      const r = await send(h.proxy.port, fixture('proxy-clean.eml'), 'alice@corp.example', INTERNAL);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
    expect(h.sink.messages).toHaveLength(3);
    // The first idle connection was the first closed.
    expect(await idle[0]!.reply()).toMatch(/^421 /);
  });

  it('a session inside a transaction is never closed to make room: with all slots busy the newcomer gets 421', async () => {
    h = await startHarness({}, { maxClients: 3, idleBeforeMailMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const c = await connectRaw(h.proxy.port);
      raws.push(c);
      await c.reply();
      await c.command('EHLO busy.test');
      expect(await c.command('MAIL FROM:<alice@corp.example>')).toMatch(/^250/);
    }
    const late = await connectRaw(h.proxy.port);
    raws.push(late);
    expect(await late.reply()).toMatch(/^421 4\.7\.0 Too many connected clients/);
  });

  it('a session that sends no MAIL FROM within the idle-before-MAIL time is closed; one inside a transaction is not', async () => {
    h = await startHarness({}, { idleBeforeMailMs: 300 });
    const [quiet] = await idleClients(h.proxy.port, 1);
    const working = await connectRaw(h.proxy.port);
    raws.push(working);
    await working.reply();
    await working.command('EHLO w.test');
    await working.command('MAIL FROM:<alice@corp.example>');
    const started = Date.now();
    expect(await quiet!.reply(3000)).toMatch(/^421 4\.4\.2 Idle too long/);
    expect(Date.now() - started).toBeLessThan(2000);
    await sleep(400);
    expect(await working.command('RCPT TO:<bob@corp.example>')).toMatch(/^250/);
  });

  it('per-address cap off loopback: the same address cannot take more than its share; its oldest idle session makes room', async () => {
    h = await startHarness({}, { treatAsPublic: true, allowUnauthenticated: true, maxConnectionsPerIp: 3, idleBeforeMailMs: 60_000 });
    const idle = await idleClients(h.proxy.port, 3);
    const fourth = await connectRaw(h.proxy.port);
    raws.push(fourth);
    expect(await fourth.reply()).toMatch(/^220/);
    expect(await idle[0]!.reply()).toMatch(/^421 /);
    // Three in transactions: the next one from that address is refused.
    for (const c of [...idle.slice(1), fourth]) {
      await c.command('EHLO x.test').catch(() => '');
      await c.command('MAIL FROM:<alice@corp.example>');
    }
    const fifth = await connectRaw(h.proxy.port);
    raws.push(fifth);
    expect(await fifth.reply()).toMatch(/^421 4\.7\.0 Too many connections from your address/);
  });
});

describe('memory: one copy per message in flight, and a cap on the total (item 10)', () => {
  it.each([undefined, 10, 31, 5000])('DataGuard copies each chunk into one buffer as it arrives (declared SIZE %s): the message is a view of it, never a second copy', (declared) => {
    const parts = ['From: a@b.test\r\n', 'To: c@d.test\r\n', '\r\nhi\r\n'];
    const g = new DataGuard(1000, declared);
    for (const part of parts) g.push(Buffer.from(part));
    const first = g.message()!;
    expect(first.toString()).toBe(parts.join(''));
    const held = (g as unknown as { buffer: Buffer }).buffer;
    expect(first.buffer).toBe(held.buffer);
    expect(g.message()!.buffer).toBe(held.buffer);
    g.release();
    expect((g as unknown as { buffer?: Buffer }).buffer).toBeUndefined();
  });

  // The in-flight budget counts bytes as they arrive; a declared SIZE is only a claim, so a client
  // that declares 25 MB and sends nothing must not make the proxy hold 25 MB.
  it('a declared SIZE allocates at most PROXY_DECLARED_SIZE_PREALLOCATION_MAX before the bytes arrive; a message of that size still arrives whole', () => {
    const max = 25 * 1024 * 1024;
    const g = new DataGuard(max, max);
    expect((g as unknown as { buffer: Buffer }).buffer.length).toBe(PROXY_DECLARED_SIZE_PREALLOCATION_MAX);
    const line = Buffer.from(`${'x'.repeat(1022)}\r\n`);
    const lines = (3 * PROXY_DECLARED_SIZE_PREALLOCATION_MAX) / line.length;
    for (let i = 0; i < lines; i++) g.push(line);
    expect(g.message()!.length).toBe(3 * PROXY_DECLARED_SIZE_PREALLOCATION_MAX);
    expect(new DataGuard(max, 5000) as unknown as { buffer: Buffer }).toMatchObject({ buffer: expect.objectContaining({ length: 5000 }) });
  });

  it('past the bytes-in-flight cap a message gets 452 4.3.1 (the client retries later); within it, messages are relayed', async () => {
    h = await startHarness({ dataDelayMs: 700 }, { maxBytesInFlight: 150_000 });
    const body = 'x'.repeat(76) + '\r\n';
    const big = Buffer.from(`From: alice@corp.example\r\nTo: bob@corp.example\r\nSubject: big\r\n\r\n${body.repeat(1200)}`);
    const results = await Promise.all([0, 1, 2].map(() => send(h!.proxy.port, big, 'alice@corp.example', ['bob@corp.example'])));
    const ok = results.filter((r) => r.ok).length;
    const busy = results.filter((r) => !r.ok && r.code === 452 && /4\.3\.1/.test(r.response)).length;
    expect(ok + busy).toBe(3);
    expect(busy).toBeGreaterThanOrEqual(1);
    expect(h.sink.messages).toHaveLength(ok);
    // The budget is given back: afterwards the same message goes through.
    expect((await send(h.proxy.port, big, 'alice@corp.example', ['bob@corp.example'])).ok).toBe(true);
  });

  it('a SIZE declared at MAIL FROM past what is left of the cap is deferred at once (452)', async () => {
    h = await startHarness({}, { maxBytesInFlight: 10_000 });
    const c = await connectRaw(h.proxy.port);
    raws.push(c);
    await c.reply();
    await c.command('EHLO s.test');
    expect(await c.command('MAIL FROM:<alice@corp.example> SIZE=20000')).toMatch(/^452 4\.3\.1/);
    expect(await c.command('MAIL FROM:<alice@corp.example> SIZE=2000')).toMatch(/^250/);
  });
});
