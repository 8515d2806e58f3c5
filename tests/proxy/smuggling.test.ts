// SMTP smuggling and DATA framing, written byte by byte over a raw socket: bare LF or CR in DATA
// is refused (as Postfix smtpd_forbid_bare_newline), only <CRLF>.<CRLF> ends a message however the
// bytes are split into TCP writes, and nothing is ever relayed from a refused DATA.
import { afterEach, describe, expect, it } from 'vitest';
import { DataGuard, findBareNewline } from '../../src/proxy/data-guard.js';
import { connectRaw, type RawSmtp } from './raw-smtp.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HEADER = 'From: alice@corp.example\r\nTo: bob@corp.example\r\nSubject: s\r\n\r\n';

async function openTransaction(port: number): Promise<RawSmtp> {
  const c = await connectRaw(port);
  expect(await c.reply()).toMatch(/^220 /);
  expect(await c.command('EHLO client.test')).toMatch(/^250/);
  expect(await c.command('MAIL FROM:<alice@corp.example>')).toMatch(/^250/);
  expect(await c.command('RCPT TO:<bob@corp.example>')).toMatch(/^250/);
  expect(await c.command('DATA')).toMatch(/^354/);
  return c;
}

describe('DataGuard', () => {
  it.each([
    ['CRLF only', 'a\r\nb\r\n', undefined],
    ['bare LF', 'a\nb\r\n', 'lf'],
    ['bare CR', 'a\rb\r\n', 'cr'],
    ['LF first', '\na\r\n', 'lf'],
    ['CR at the end', 'a\r', 'cr'],
    ['CRCRLF', 'a\r\r\n', 'cr'],
    ['LFCRLF', 'a\n\r\n', 'lf'],
  ] as const)('%s', (_name, text, expected) => {
    expect(findBareNewline(Buffer.from(text))).toBe(expected);
  });

  it('finds a CR and an LF split across chunks, in every split position', () => {
    const cases: Array<[string, 'lf' | 'cr' | undefined]> = [
      ['line one\r\nline two\r\n', undefined],
      ['line one\r\n.\rline two\r\n', 'cr'],
      ['line one\n.\r\nline two\r\n', 'lf'],
    ];
    for (const [text, expected] of cases) {
      const bytes = Buffer.from(text);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const guard = new DataGuard(1000);
        guard.push(bytes.subarray(0, cut));
        guard.push(bytes.subarray(cut));
        expect(guard.message()?.equals(bytes)).toBe(true);
        expect(guard.bareNewline, `${JSON.stringify(text)} cut at ${cut}`).toBe(expected);
      }
    }
  });

  it('keeps no bytes past the limit and reports the count', () => {
    const guard = new DataGuard(10);
    guard.push(Buffer.from('0123456789'));
    guard.push(Buffer.from('x'));
    expect(guard.oversized).toBe(true);
    expect(guard.bytes).toBe(11);
    expect(guard.message()).toBeUndefined();
  });
});

describe('proxy: smuggling attempts', () => {
  it('\\n.\\r\\n followed by smuggled commands: one 550 5.5.2 for the whole DATA, nothing relayed', async () => {
    h = await startHarness();
    const c = await openTransaction(h.proxy.port);
    await c.write(`${HEADER}hello\n.\r\nMAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@corp.example>\r\nDATA\r\nFrom: ceo@corp.example\r\n\r\nsmuggled\r\n.\r\n`);
    expect(await c.reply()).toMatch(/^550 5\.5\.2 Bare <LF> in message data/);
    // The smuggled commands were message content: the next reply belongs to the next command.
    expect(await c.command('NOOP')).toMatch(/^250/);
    expect(await c.command('QUIT')).toMatch(/^221/);
    expect(h.sink.attempts).toBe(0);
    expect(h.transactions()).toHaveLength(1);
    expect(h.transactions()[0]).toMatchObject({ action: 'rejected', reply: expect.stringMatching(/^550 5\.5\.2/) });
  });

  it('\\r\\n.\\r followed by smuggled commands: 550 5.5.2 (bare CR), nothing relayed', async () => {
    h = await startHarness();
    const c = await openTransaction(h.proxy.port);
    await c.write(`${HEADER}hello\r\n.\rMAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@corp.example>\r\nDATA\r\nsmuggled\r\n.\r\n`);
    expect(await c.reply()).toMatch(/^550 5\.5\.2 Bare <CR> in message data/);
    expect(await c.command('QUIT')).toMatch(/^221/);
    expect(h.sink.attempts).toBe(0);
  });

  it('a bare LF in the header block is refused as well', async () => {
    h = await startHarness();
    const c = await openTransaction(h.proxy.port);
    await c.write('From: alice@corp.example\nTo: bob@corp.example\r\n\r\nhi\r\n.\r\n');
    expect(await c.reply()).toMatch(/^550 5\.5\.2 /);
    c.end();
    expect(h.sink.attempts).toBe(0);
  });

  it('a dot-stuffed ".." line split across TCP writes is content, not the end; the upstream gets the "." line back', async () => {
    h = await startHarness();
    const c = await openTransaction(h.proxy.port);
    for (const piece of [`${HEADER}before\r\n`, '.', '.', '\r\n', 'after\r\n', '.', '\r', '\n']) {
      await c.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await c.reply()).toMatch(/^250 /);
    expect(await c.command('QUIT')).toMatch(/^221/);
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0]!.raw.toString('latin1')).toBe(`${HEADER}before\r\n.\r\nafter\r\n`);
  });

  it('commands pipelined after a proper end of DATA run as commands (one relayed message each)', async () => {
    h = await startHarness();
    const c = await openTransaction(h.proxy.port);
    await c.write(`${HEADER}one\r\n.\r\nMAIL FROM:<alice@corp.example>\r\nRCPT TO:<carol@corp.example>\r\nDATA\r\n`);
    expect(await c.reply()).toMatch(/^250 /);
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^354/);
    await c.write(`${HEADER}two\r\n.\r\n`);
    expect(await c.reply()).toMatch(/^250 /);
    c.end();
    expect(h.sink.messages.map((m) => m.rcptTo)).toEqual([['bob@corp.example'], ['carol@corp.example']]);
  });
});
