// Security cases for the SMTP proxy, from the point of view of a hostile or broken SMTP client:
// every ambiguity is refused before anything reaches the upstream, hostile headers cannot stall
// the proxy or split its replies, and the headers (not the envelope the client chooses) decide
// exposure. Real proxy and real upstream sink on 127.0.0.1 port 0; raw sockets control every byte.
// (DATA framing and smuggling, size and recipient limits, AUTH and TLS: tests/proxy/.)
import { afterEach, describe, expect, it } from 'vitest';
import { connectRaw, type RawSmtp } from '../proxy/raw-smtp.js';
import { startHarness, type Harness } from '../proxy/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Sends one message over a raw connection; returns the reply to the end of DATA. */
async function send(port: number, rcpt: string[], header: string[], body = 'Hello.'): Promise<{ reply: string; c: RawSmtp }> {
  const c = await connectRaw(port);
  expect(await c.reply()).toMatch(/^220 /);
  expect(await c.command('EHLO client.test')).toMatch(/^250/);
  expect(await c.command('MAIL FROM:<me@corp.example>')).toMatch(/^250/);
  for (const r of rcpt) expect(await c.command(`RCPT TO:<${r}>`)).toMatch(/^250/);
  expect(await c.command('DATA')).toMatch(/^354/);
  const text = `${header.join('\r\n')}\r\n\r\n${body}\r\n`.replace(/^\./gm, '..');
  await c.write(Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from('.\r\n')]));
  return { reply: await c.reply(30_000), c };
}

describe('proxy: every ambiguity is refused before the upstream sees a byte', () => {
  it.each([
    ['a quoted local part with @ (Postfix would relay it to the inner domain)', 'To: "x@evil.example"@corp.example'],
    ['a percent-hack local part', 'To: x%evil.example@corp.example'],
    ['an IDNA deviation character (straße: two domains)', 'To: x@straße.example'],
    ['a mixed-script look-alike of the internal domain', 'To: x@c\u043erp.example'],
    ['a fullwidth internal domain', 'To: x@ｃｏｒｐ.example'],
    ['an encoded word as the address', 'To: =?utf-8?q?x=40evil.example?=@corp.example'],
    ['a non-canonical IP literal', 'To: x@[010.0.0.1]'],
    ['an unclosed quote hiding a Cc', 'To: "boss <boss@corp.example>, x@evil.example'],
    ['a NUL byte between addresses', 'To: boss@corp.example\x00x@evil.example'],
    ['space before the colon', 'To : x@evil.example'],
    ['a nested group', 'To: a: b: x@evil.example;;'],
  ])('%s', async (_name, field) => {
    h = await startHarness();
    const { reply, c } = await send(h.proxy.port, ['boss@corp.example'], ['From: me@corp.example', field, 'Subject: s']);
    expect(reply).toMatch(/^550 5\.7\.1 Blocked by mailguard: /);
    // One reply line, whatever the header held: a control byte cannot split the SMTP reply.
    expect(reply).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f]/);
    expect(await c.command('NOOP')).toMatch(/^250/);
    c.end();
    expect(h.sink.attempts).toBe(0);
  });

  it('no blank line before the body (MALFORMED_HEADER) is refused', async () => {
    h = await startHarness();
    const c = await connectRaw(h.proxy.port);
    await c.reply();
    await c.command('EHLO client.test');
    await c.command('MAIL FROM:<me@corp.example>');
    await c.command('RCPT TO:<boss@corp.example>');
    await c.command('DATA');
    await c.write('From: me@corp.example\r\nTo: boss@corp.example\r\nDear all, the list follows\r\nCc: x@evil.example\r\n.\r\n');
    expect(await c.reply()).toMatch(/^550 5\.7\.1 /);
    c.end();
    expect(h.sink.attempts).toBe(0);
  });
});

describe('proxy: the headers decide exposure, not the envelope the client chooses', () => {
  it('an exposed To with a one-recipient envelope is still blocked', async () => {
    h = await startHarness();
    const { reply, c } = await send(h.proxy.port, ['boss@corp.example'], ['From: me@corp.example', 'To: a@one.example, b@two.example, c@three.example, d@four.example, e@five.example', 'Subject: s']);
    expect(reply).toMatch(/^550 5\.7\.1 Blocked by mailguard: 5 external addresses/);
    // The reply names no address.
    expect(reply).not.toMatch(/one\.example|two\.example/);
    c.end();
    expect(h.sink.attempts).toBe(0);
  });

  it('a second To field cannot hide the list (all occurrences count)', async () => {
    h = await startHarness();
    const { reply, c } = await send(h.proxy.port, ['boss@corp.example'], ['From: me@corp.example', 'To: boss@corp.example', 'To: a@one.example, b@two.example, c@three.example, d@four.example, e@five.example']);
    expect(reply).toMatch(/^550 5\.7\.1 /);
    c.end();
    expect(h.sink.attempts).toBe(0);
  });

  it('a message/rfc822 attachment with an exposed inner To is relayed: only the outer header counts', async () => {
    h = await startHarness();
    const inner = 'From: x@one.example\r\nTo: a@one.example, b@two.example, c@three.example, d@four.example, e@five.example\r\n\r\ninner';
    const { reply, c } = await send(
      h.proxy.port,
      ['boss@corp.example'],
      ['From: me@corp.example', 'To: boss@corp.example', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"'],
      `--b\r\nContent-Type: message/rfc822\r\n\r\n${inner}\r\n--b--`,
    );
    expect(reply).toMatch(/^250 /);
    c.end();
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0]!.rcptTo).toEqual(['boss@corp.example']);
  });
});

describe('proxy: hostile headers cannot stall it', () => {
  it('a 20,000-level nested group and 100,000 addresses are answered quickly; other clients are served meanwhile', async () => {
    h = await startHarness();
    const other = await connectRaw(h.proxy.port);
    expect(await other.reply()).toMatch(/^220 /);

    const nested = `To: ${'g:'.repeat(20_000)}x@evil.example${';'.repeat(20_000)}`;
    let start = Date.now();
    const a = await send(h.proxy.port, ['boss@corp.example'], ['From: me@corp.example', nested]);
    expect(a.reply).toMatch(/^550 5\.7\.1 /);
    expect(Date.now() - start).toBeLessThan(10_000);
    a.c.end();

    const many = `To: ${Array.from({ length: 100_000 }, (_, i) => `c${i}@org${i % 5000}.example`).join(',\r\n ')}`;
    start = Date.now();
    const b = await send(h.proxy.port, ['boss@corp.example'], ['From: me@corp.example', many]);
    expect(b.reply).toMatch(/^550 5\.7\.1 Blocked by mailguard: 100000 external addresses/);
    expect(Date.now() - start).toBeLessThan(15_000);
    b.c.end();

    // The first client, idle all along, is still served.
    expect(await other.command('NOOP')).toMatch(/^250/);
    other.end();
    expect(h.sink.attempts).toBe(0);
  });
});

describe('proxy: no open relay', () => {
  it('listens on loopback unless told otherwise', async () => {
    h = await startHarness();
    expect(h.proxy.host).toBe('127.0.0.1');
  });
});
