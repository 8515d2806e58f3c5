// mailguard-sendmail -bs: SMTP on stdin/stdout, as Symfony Mailer (`sendmail://default`) and Laravel
// (`-bs -i`) run it. The built bin is spawned with a system configuration and a real smtp-server
// sink on 127.0.0.1; a small client speaks to it through the pipes, reply by reply or pipelined.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startSink, type Sink, type SinkBehaviour } from '../helpers/smtp-sink.js';
import { ROOT } from '../helpers/cli.js';
import { cleanEnv, runSendmail, scratchDir, SENDMAIL_BIN, systemConfigEnv } from './run-sendmail.js';
import { unstuffDots } from '../../src/sendmail/smtp-stdio.js';

const POLICY = { internalDomains: ['corp.example'], warnAt: 2, blockAt: 3 };

let sink: Sink | undefined;
let scratch: { dir: string; cleanup: () => Promise<void> } | undefined;
const clients: BsClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.kill();
  await sink?.close();
  sink = undefined;
  await scratch?.cleanup();
  scratch = undefined;
});

interface Reply {
  code: number;
  /** Every line of the reply, codes stripped. */
  text: string;
}

/** The drop-in run as `sendmail -bs`, with the pipes an SMTP client holds. */
class BsClient {
  private out = '';
  private stderrText = '';
  private readonly exited: Promise<number | null>;
  private wake: (() => void) | undefined;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('latin1').on('data', (d: string) => {
      this.out += d;
      this.wake?.();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderrText += d;
    });
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
    this.exited.then(() => this.wake?.());
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Everything written to stdout so far, CRLF kept. */
  get transcript(): string {
    return this.out;
  }

  write(text: string | Buffer): void {
    this.child.stdin.write(text);
  }

  end(): void {
    this.child.stdin.end();
  }

  /** The next complete reply (its last line has a space after the code). */
  async reply(timeoutMs = 20_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*(\d{3}) [^\r\n]*\r\n/.exec(this.out);
      if (m) {
        this.out = this.out.slice(m[0].length);
        return { code: Number(m[1]), text: m[0].replace(/^\d{3}[- ]/gm, '').trimEnd() };
      }
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`no reply (exit ${this.child.exitCode}); stdout ${JSON.stringify(this.out)}; stderr ${this.stderrText}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  /** Sends one command and returns its reply. */
  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  exit(): Promise<number | null> {
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

async function setup(behaviour: SinkBehaviour = {}, config: object = {}): Promise<Sink> {
  sink = await startSink(behaviour);
  scratch = await scratchDir({ ...POLICY, smtp: sink.url, ...config });
  return sink;
}

function startBs(args: string[] = ['-bs'], env: NodeJS.ProcessEnv = {}): BsClient {
  const child = spawn(process.execPath, [SENDMAIL_BIN, ...args], { cwd: scratch!.dir, env: cleanEnv(systemConfigEnv(scratch!.dir, env)) });
  const c = new BsClient(child);
  clients.push(c);
  return c;
}

/** The environment that makes the spawned drop-in meet a failure of tests/helpers/sendmail-faults.cjs. */
const fault = (name: 'no-home' | 'relay-library'): NodeJS.ProcessEnv => ({ NODE_OPTIONS: `--import=${pathToFileURL(path.join(ROOT, 'tests/helpers/sendmail-faults.mjs')).href}`, MAILGUARD_TEST_FAULT: name });

/** A message with every field sendmail would add, so the relay must pass it on byte for byte. */
const CLEAN = [
  'From: App <app@corp.example>',
  'To: customer@x1.test',
  'Cc: colleague@corp.example',
  'Subject: your order',
  'Date: Fri, 27 Nov 2026 09:00:00 +0000',
  'Message-ID: <order-1@corp.example>',
  '',
  'Thank you for your order.',
  '',
].join('\r\n');

/** Three customers of three organisations in To: blocked at blockAt 3. */
const EXPOSED = [
  'From: Sales <sales@corp.example>',
  'To: anna@customer1.test, bert@customer2.test, carl@customer3.test',
  'Subject: price list',
  'Date: Fri, 27 Nov 2026 09:00:00 +0000',
  'Message-ID: <prices@corp.example>',
  '',
  'Dear customers,',
  '',
].join('\r\n');
const EXPOSED_RCPT = ['anna@customer1.test', 'bert@customer2.test', 'carl@customer3.test'];

/** SMTP's DATA: dot-stuffed, then the final dot. */
const dataOf = (message: string) => `${message.replace(/^\./gm, '..')}.\r\n`;

async function transaction(c: BsClient, from: string, rcpt: readonly string[], message: string): Promise<Reply> {
  expect((await c.command(`MAIL FROM:<${from}>`)).code).toBe(250);
  for (const r of rcpt) expect((await c.command(`RCPT TO:<${r}>`)).code).toBe(250);
  expect((await c.command('DATA')).code).toBe(354);
  c.write(dataOf(message));
  return c.reply();
}

describe('mailguard-sendmail -bs', () => {
  it('greets, offers PIPELINING, 8BITMIME and SIZE (no AUTH, no STARTTLS), relays a clean message byte for byte, 250 after the relay took it, exit 0', async () => {
    const s = await setup();
    const c = startBs();
    expect((await c.reply()).code).toBe(220);
    const ehlo = await c.command('EHLO app.corp.example');
    expect(ehlo.code).toBe(250);
    expect(ehlo.text).toMatch(/^PIPELINING$/m);
    expect(ehlo.text).toMatch(/^8BITMIME$/m);
    expect(ehlo.text).toMatch(/^SIZE \d+$/m);
    expect(ehlo.text).not.toMatch(/AUTH|STARTTLS/);
    const done = await transaction(c, 'app@corp.example', ['customer@x1.test', 'colleague@corp.example'], CLEAN);
    expect(done.code).toBe(250);
    // The reply came after the relay's 250: the message is already there.
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.raw.toString('latin1')).toBe(CLEAN);
    expect(s.messages[0]!.mailFrom).toBe('app@corp.example');
    expect(s.messages[0]!.rcptTo).toEqual(['customer@x1.test', 'colleague@corp.example']);
    expect((await c.command('QUIT')).code).toBe(221);
    expect(await c.exit()).toBe(0);
  });

  it('an exposed recipient list: 554 with the reason the drop-in prints (addresses masked), nothing at the relay, exit 65', async () => {
    const s = await setup();
    const c = startBs();
    await c.reply();
    await c.command('EHLO app.corp.example');
    const r = await transaction(c, 'sales@corp.example', EXPOSED_RCPT, EXPOSED);
    expect(r.code).toBe(554);
    expect(r.text).toMatch(/^5\.7\.1 mailguard-sendmail: message not sent: blocked by policy\.$/m);
    expect(r.text).toContain('EXPOSED_RECIPIENTS');
    // The same text is on stderr, as for a message piped in.
    expect(c.stderr).toContain('message not sent: blocked by policy');
    for (const a of EXPOSED_RCPT) {
      expect(r.text).not.toContain(a);
      expect(c.stderr).not.toContain(a);
    }
    expect((await c.command('QUIT')).code).toBe(221);
    expect(await c.exit()).toBe(65);
    expect(s.attempts).toBe(0);
  });

  it('several transactions in one session: each decided and answered on its own; the exit status is the last refusal', async () => {
    const s = await setup();
    const c = startBs();
    await c.reply();
    await c.command('HELO app.corp.example');
    expect((await transaction(c, 'app@corp.example', ['customer@x1.test'], CLEAN)).code).toBe(250);
    expect((await transaction(c, 'sales@corp.example', EXPOSED_RCPT, EXPOSED)).code).toBe(554);
    const second = CLEAN.replace('order-1@', 'order-2@');
    expect((await transaction(c, 'app@corp.example', ['other@x2.test'], second)).code).toBe(250);
    expect((await c.command('QUIT')).code).toBe(221);
    expect(await c.exit()).toBe(65);
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['customer@x1.test'], ['other@x2.test']]);
    expect(s.messages[1]!.raw.toString('latin1')).toBe(second);
  });

  it('RSET drops the transaction: its recipients are gone, DATA needs a new MAIL', async () => {
    const s = await setup();
    const c = startBs();
    await c.reply();
    await c.command('EHLO app.corp.example');
    expect((await c.command('MAIL FROM:<app@corp.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<dropped@x9.test>')).code).toBe(250);
    expect((await c.command('RSET')).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(503);
    expect((await c.command('NOOP')).code).toBe(250);
    expect((await transaction(c, 'app@corp.example', ['customer@x1.test'], CLEAN)).code).toBe(250);
    await c.command('QUIT');
    expect(await c.exit()).toBe(0);
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.rcptTo).toEqual(['customer@x1.test']);
  });

  it('a client that leaves in the middle of DATA: nothing is sent, exit 75', async () => {
    const s = await setup();
    const c = startBs();
    await c.reply();
    await c.command('EHLO app.corp.example');
    await c.command('MAIL FROM:<app@corp.example>');
    await c.command('RCPT TO:<customer@x1.test>');
    expect((await c.command('DATA')).code).toBe(354);
    // The whole message but its final dot; a "." cut off by the end of input does not end it either.
    c.write(`${CLEAN}.`);
    c.end();
    expect(await c.exit()).toBe(75);
    expect(s.attempts).toBe(0);
    expect(c.transcript).toBe('');
  });

  it('pipelined: the whole session written before the greeting is read, replies in order, the message relayed', async () => {
    const s = await setup();
    const c = startBs(['-bs', '-i']);
    c.write(
      [
        'EHLO app.corp.example',
        'MAIL FROM:<app@corp.example> BODY=8BITMIME SIZE=400',
        'RCPT TO:<customer@x1.test>',
        'RCPT TO:<colleague@corp.example>',
        'DATA',
        `${dataOf(CLEAN)}QUIT`,
        '',
      ].join('\r\n'),
    );
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await c.reply()).code);
    expect(codes).toEqual([220, 250, 250, 250, 250, 354, 250]);
    expect((await c.reply()).code).toBe(221);
    expect(await c.exit()).toBe(0);
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.raw.toString('latin1')).toBe(CLEAN);
  });

  it('dot-stuffed lines are unstuffed: a lone "." and lines starting with dots reach the relay as written', async () => {
    const s = await setup();
    const c = startBs();
    await c.reply();
    await c.command('EHLO app.corp.example');
    const dotted = `${CLEAN}.\r\n..two dots\r\n.one dot\r\nlast line\r\n`;
    expect((await transaction(c, 'app@corp.example', ['customer@x1.test'], dotted)).code).toBe(250);
    await c.command('QUIT');
    expect(await c.exit()).toBe(0);
    expect(s.messages[0]!.raw.toString('latin1')).toBe(dotted);
  });

  it('Symfony Mailer\'s dialogue (SmtpTransport over a ProcessStream, Laravel\'s -bs -i): 220, HELO [127.0.0.1], MAIL, RCPT, DATA, the message and "\\r\\n.\\r\\n"; RSET after a refusal, QUIT at the end', async () => {
    const s = await setup();
    const c = startBs(['-bs', '-i']);
    // start(): reads the greeting, then HELO with its default local domain.
    expect((await c.reply()).code).toBe(220);
    expect((await c.command('HELO [127.0.0.1]')).code).toBe(250);
    // doSend(): the message without its last line break, "\r\n." stuffed, then "\r\n.\r\n".
    const symfonyData = (message: string) => `${message.replace(/\r\n$/, '').replace(/\r\n\./g, '\r\n..')}\r\n.\r\n`;
    const send = async (from: string, rcpt: readonly string[], message: string) => {
      expect((await c.command(`MAIL FROM:<${from}>`)).code).toBe(250);
      for (const r of rcpt) expect([250, 251, 252]).toContain((await c.command(`RCPT TO:<${r}>`)).code);
      expect((await c.command('DATA')).code).toBe(354);
      c.write(symfonyData(message));
      return c.reply();
    };
    const ok = await send('app@corp.example', ['customer@x1.test'], CLEAN);
    expect(ok.code).toBe(250);
    // parseMessageId() must not mistake the reply for a queue id.
    expect(ok.text).not.toMatch(/^(?:\S+ )?Ok:?/i);
    const refused = await send('sales@corp.example', EXPOSED_RCPT, EXPOSED);
    expect(refused.code).toBe(554);
    // send() catches the exception, sends RSET expecting 250, and rethrows to the application.
    expect((await c.command('RSET')).code).toBe(250);
    // __destruct() -> stop(): QUIT expecting 221, then the pipes are closed.
    expect((await c.command('QUIT')).code).toBe(221);
    c.end();
    expect(await c.exit()).toBe(65);
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.raw.toString('latin1')).toBe(CLEAN);
  });

  it('ends after QUIT while the client still holds stdin open (Symfony closes its pipes only after reading 221)', async () => {
    await setup();
    const c = startBs();
    await c.reply();
    expect((await c.command('QUIT')).code).toBe(221);
    const exited = await Promise.race([c.exit(), new Promise((r) => setTimeout(() => r('still running'), 5_000))]);
    expect(exited).toBe(0);
  });

  it('a relay that refuses for now: 451, never 250, exit 75', async () => {
    const s = await setup({ data: () => 451 });
    const c = startBs();
    await c.reply();
    await c.command('EHLO app.corp.example');
    const r = await transaction(c, 'app@corp.example', ['customer@x1.test'], CLEAN);
    expect(r.code).toBe(451);
    expect(r.text).toMatch(/^4\.0\.0 mailguard-sendmail: message not sent: relaying through .* failed for now at DATA: 451/m);
    // What the client should do, last; not the advice about exit statuses meant for a piped run.
    expect(r.text.split('\r\n').at(-1)).toBe("4.0.0 Message not taken: try again later (the details are in mailguard-sendmail's log on stderr).");
    expect(r.text).not.toMatch(/status 75|caller/);
    await c.command('QUIT');
    expect(await c.exit()).toBe(75);
    expect(s.messages).toHaveLength(0);
  });

  it('the relay library fails unexpectedly: 451 4.3.0 with a short reason (no stack, no address), the session goes on, exit 70', async () => {
    const s = await setup();
    const c = startBs(['-bs'], fault('relay-library'));
    await c.reply();
    await c.command('EHLO app.corp.example');
    const r = await transaction(c, 'app@corp.example', ['customer@x1.test'], CLEAN);
    expect(r.code).toBe(451);
    expect(r.text.split('\r\n')).toEqual([
      '4.3.0 mailguard-sendmail: message not sent: internal error (a bug in mailguard).',
      "4.3.0 Message not taken: try again later (the details are in mailguard-sendmail's log on stderr).",
    ]);
    // The administrator gets the error itself on stderr, the address in it masked.
    expect(c.stderr).toContain('internal error: TypeError: cannot read properties of undefined (reading envelope of j***@customer1.test)');
    expect(c.stderr).not.toContain('jane.doe');
    expect((await c.command('RSET')).code).toBe(250);
    expect((await c.command('NOOP')).code).toBe(250);
    expect((await c.command('QUIT')).code).toBe(221);
    expect(await c.exit()).toBe(70);
    expect(s.attempts).toBe(0);
  });

  it.each([
    ['one message to two recipients', ['customer@x1.test', 'colleague@corp.example'], CLEAN, 1],
    ['split into three copies', EXPOSED_RCPT, EXPOSED, 3],
  ])('no home directory for the memory of delivered copies (%s): delivered all the same, 250, exit 0', async (_name, rcpt, message, copies) => {
    const s = await setup({}, { sendmail: { onViolation: 'split' } });
    // XDG_STATE_HOME empty: the memory's directory would be under the home directory, which the system cannot name.
    const c = startBs(['-bs'], { ...fault('no-home'), XDG_STATE_HOME: '', HOME: '' });
    await c.reply();
    await c.command('EHLO app.corp.example');
    const r = await transaction(c, 'app@corp.example', rcpt, message);
    expect(r.code).toBe(250);
    await c.command('QUIT');
    expect(await c.exit()).toBe(0);
    expect(s.messages).toHaveLength(copies);
    expect(s.messages.flatMap((m) => m.rcptTo).sort()).toEqual([...rcpt].sort());
  });

  it('refused for good for one recipient, only for now for another, taken by a third: 451 asking for the retry, exit 75', async () => {
    const s = await setup({ rcpt: (a) => (a.startsWith('bad') ? 550 : a.startsWith('later') ? 450 : undefined) });
    const c = startBs();
    await c.reply();
    await c.command('EHLO app.corp.example');
    const r = await transaction(c, 'app@corp.example', ['customer@x1.test', 'bad1@x1.test', 'later@x2.test'], CLEAN);
    expect(r.code).toBe(451);
    expect(r.text.split('\r\n')).toEqual([
      '4.0.0 mailguard-sendmail: message delivered to 1 of 3 recipients only: the relay refused 1 for good and 1 for now (450, 550).',
      '4.0.0 A retry sends it only to the recipients not yet delivered.',
      "4.0.0 Message not taken: try again later (the details are in mailguard-sendmail's log on stderr).",
    ]);
    await c.command('QUIT');
    expect(await c.exit()).toBe(75);
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['customer@x1.test']]);
  });

  it('no home directory, a message piped in to two recipients: delivered, exit 0 (it was an unhandled error, exit 1)', async () => {
    const s = await setup();
    const r = await runSendmail(['-i', 'customer@x1.test', 'colleague@corp.example'], { input: CLEAN, cwd: scratch!.dir, env: { ...fault('no-home'), XDG_STATE_HOME: '', HOME: '' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(s.messages).toHaveLength(1);
  });

  it.each([
    [
      'refused for good for some recipients, taken for the others: 554 5.1.0 with counts, not addresses, and not to send it again to all',
      ['customer@x1.test', 'bad1@x1.test', 'bad2@x2.test'],
      [
        '5.1.0 mailguard-sendmail: message delivered to 1 of 3 recipients only: the relay refused 2 for good (550).',
        "5.1.0 Do not send it again to all recipients: the one who has it would get it twice. Which addresses were refused is in mailguard-sendmail's log (stderr).",
      ],
      [['customer@x1.test']],
    ],
    ['refused for good for its only recipient: 554 5.1.0, not sent', ['bad1@x1.test'], ['5.1.0 mailguard-sendmail: message not sent: the relay refused its recipient for good (550).'], []],
    ['refused for good for every recipient', ['bad1@x1.test', 'bad2@x2.test'], ['5.1.0 mailguard-sendmail: message not sent: the relay refused all 2 recipients for good (550).'], []],
  ])('%s', async (_name, rcpt, lines, delivered) => {
    const s = await setup({ rcpt: (a) => (a.startsWith('bad') ? 550 : undefined) });
    const c = startBs();
    await c.reply();
    await c.command('EHLO app.corp.example');
    const r = await transaction(c, 'app@corp.example', rcpt, CLEAN);
    expect(r.code).toBe(554);
    expect(r.text.split('\r\n')).toEqual(lines);
    expect(r.text).not.toMatch(/b\*\*\*|bad/);
    // stderr, the administrator's log, names them masked.
    expect(c.stderr).toContain('b***@x1.test');
    await c.command('QUIT');
    expect(await c.exit()).toBe(67);
    expect(s.messages.map((m) => m.rcptTo)).toEqual(delivered);
  });

  it('unknown and unoffered commands, bad paths and parameters are refused; nothing of it reaches the relay', async () => {
    const s = await setup();
    const c = startBs();
    await c.reply();
    const cases: Array<[string, number]> = [
      ['XYZZY', 500],
      ['VRFY customer@x1.test', 502],
      ['AUTH PLAIN AGFAAGI=', 502],
      ['STARTTLS', 502],
      ['EHLO', 501],
      ['RCPT TO:<customer@x1.test>', 503],
      ['MAIL FROM:app@corp.example', 501],
      ['MAIL FROM:<app>', 553],
      ['MAIL FROM:<app@corp.example> RET=FULL', 555],
      ['MAIL FROM:<app@corp.example> SIZE=999999999999', 552],
      ['MAIL FROM:<app@corp.example>', 250],
      ['RCPT TO:<a@x1.test,b@x2.test>', 550],
      ['RCPT TO:<"a, b"@x1.test>', 550],
      ['RCPT TO:<root>', 550],
      ['RCPT TO:<customer@x1.test> NOTIFY=NEVER', 555],
      ['DATA', 554],
      ['MAIL FROM:<app@corp.example>', 503],
    ];
    const got: Array<[string, number]> = [];
    for (const [line] of cases) got.push([line, (await c.command(line)).code]);
    expect(got).toEqual(cases);
    await c.command('QUIT');
    // Refused commands are not refused messages, and QUIT abandons the open MAIL as RSET would.
    expect(await c.exit()).toBe(0);
    expect(s.attempts).toBe(0);
  });

  it('a configuration error: a 421 greeting instead of 220, exit 78', async () => {
    scratch = await scratchDir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${scratch.dir}/mailguard.config.json`, '{ broken');
    const c = startBs();
    const r = await c.reply();
    expect(r.code).toBe(421);
    expect(await c.exit()).toBe(78);
  });
});

describe('unstuffDots', () => {
  it.each([
    ['no dots', 'a\r\nb\r\n', 'a\r\nb\r\n'],
    ['a stuffed lone dot', '..\r\n', '.\r\n'],
    ['first line', '..x\r\n', '.x\r\n'],
    ['after a bare LF too', 'a\n..b\n', 'a\n.b\n'],
    ['a dot inside a line stays', 'a.b\r\n', 'a.b\r\n'],
  ])('%s', (_name, input, expected) => {
    expect(unstuffDots(Buffer.from(input)).toString()).toBe(expected);
  });
});
