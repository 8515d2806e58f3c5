// `mailguard milter` as a command: usage errors, help, start-up refusals, human logs, --workers
// on a unix socket, and a clean stop on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeReplies, encodeCommand, type MilterCommand } from '../../src/milter/codec.js';
import { BIN, ROOT, runProcess } from '../helpers/cli.js';
import { spawnMilter } from '../e2e/milter-process.js';

/** Negotiation and one clean message from `from` to `to`, as an MTA sends them. */
const cleanMessage = (from: string, to: string): MilterCommand[] => [
  { kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff },
  { kind: 'mail', args: [`<${from}>`] },
  { kind: 'rcpt', args: [`<${to}>`] },
  { kind: 'header', name: 'From', value: ` ${from}` },
  { kind: 'header', name: 'To', value: ` ${to}` },
  { kind: 'eob' },
];

const milter = (args: string[]) => runProcess(process.execPath, [BIN, 'milter', ...args]);

describe('mailguard milter: usage', () => {
  it.each([
    [['--listen', 'inet:127.0.0.1:0', '--on-violation', 'split'], /mailguard milter cannot do onViolation "split": one message cannot become several here/],
    [['--listen', 'inet:127.0.0.1:0', '--on-violation', 'bcc', '--sensitive'], /a sensitive list is not fixed with Bcc/],
    [['--listen', '127.0.0.1:8891'], /--listen takes inet:HOST:PORT or unix:\/PATH \(got "127\.0\.0\.1:8891"\)/],
    [['--listen', 'unix:relative.sock'], /--listen takes inet:HOST:PORT or unix:\/PATH/],
    [['--listen', 'inet:127.0.0.1:99999'], /--listen takes inet:HOST:PORT/],
    [['--listen', 'inet:127.0.0.1:0', '--on-violation', 'later'], /Allowed choices are block, warn, bcc, split, hold/],
    [['--listen', 'inet:127.0.0.1:0', '--workers', '0'], /--workers takes a whole number/],
    [[], /milter needs --listen/],
  ])('%j exits 2', async (args, message) => {
    const r = await milter(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('refuses a port in use', async () => {
    const busy = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await milter(['--listen', `inet:127.0.0.1:${port}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`cannot listen on inet:127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      busy.close();
    }
  });

  it('--help names the Postfix settings', async () => {
    const r = await milter(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/smtpd_milters/);
    expect(r.stdout).toMatch(/milter_default_action = tempfail/);
    expect(r.stdout).toMatch(/--on-violation <action>/);
  });
});

describe('mailguard milter: running', () => {
  it('reads listen and onViolation from the configuration\'s "milter" section (flags win)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-milter-config-'));
    const config = path.join(dir, 'mailguard.config.json');
    await writeFile(config, JSON.stringify({ internalDomains: ['inbox.test'], onViolation: 'bcc', milter: { listen: 'inet:127.0.0.1:0', onViolation: 'hold' } }));
    try {
      const fromConfig = await spawnMilter(['--config', config], undefined);
      expect(fromConfig.events[0]).toMatchObject({ event: 'listening', onViolation: 'hold', address: expect.stringMatching(/^inet:127\.0\.0\.1:\d+$/) });
      await fromConfig.stop();
      const flagWins = await spawnMilter(['--config', config, '--on-violation', 'block'], undefined);
      expect(flagWins.events[0]).toMatchObject({ onViolation: 'block' });
      await flagWins.stop();
      await writeFile(config, JSON.stringify({ milter: { listen: 'inet:127.0.0.1:0', upstream: 'x' } }));
      const r = await milter(['--config', config]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unknown key "milter\.upstream"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('human log lines, and exit 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'milter', '--listen', 'inet:127.0.0.1:0', '--on-violation', 'hold'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    while (!/listening/.test(out)) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(/^\S+ listening on inet:127\.0\.0\.1:\d+ \(on violation: hold\)\n$/);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(out).toMatch(/stopping \(0 messages in flight\)\n\S+ stopped\n$/);
  });

  // Log lines are written together every 50 ms (LOG_FLUSH_MS): one answered just before SIGTERM
  // is still written, before the stop lines.
  it('the log line of a message answered just before SIGTERM is written before exit', async () => {
    const child = spawn(process.execPath, [BIN, 'milter', '--listen', 'inet:127.0.0.1:0', '--internal-domain', 'inbox.test'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    while (!/listening/.test(out)) await new Promise((r) => setTimeout(r, 50));
    const port = Number(/inet:127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const mta = net.connect(port, '127.0.0.1');
    mta.write(Buffer.concat(cleanMessage('alice@inbox.test', 'bob@inbox.test').map(encodeCommand)));
    let got = Buffer.alloc(0);
    while (!decodeReplies(got).some((r) => r.kind === 'accept')) {
      await new Promise((r) => mta.once('data', (d: Buffer) => r((got = Buffer.concat([got, d])))));
    }
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
    mta.destroy();
    expect(out).toMatch(/ accepted verdict=pass .*\n\S+ stopping \(0 messages in flight\)\n\S+ stopped\n$/);
  });

  it('--workers 2 on a unix socket: both workers answer, one "listening" line, exit 0 on SIGTERM', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-milter-cli-'));
    const sock = path.join(dir, 'm.sock');
    const m = await spawnMilter(['--workers', '2', '--internal-domain', 'inbox.test'], `unix:${sock}`);
    try {
      expect(m.address).toBe(`unix:${sock}`);
      expect(m.events.filter((e) => e.event === 'listening')).toEqual([expect.objectContaining({ workers: 2 })]);
      const session: MilterCommand[] = [...cleanMessage('a@inbox.test', 'b@inbox.test'), { kind: 'quit' }];
      for (let i = 0; i < 8; i++) {
        const socket = net.connect(sock);
        const chunks: Buffer[] = [];
        socket.on('data', (d: Buffer) => chunks.push(d));
        socket.write(Buffer.concat(session.map(encodeCommand)));
        await new Promise((r) => socket.on('close', r));
        expect(decodeReplies(Buffer.concat(chunks)).pop()).toEqual({ kind: 'accept' });
      }
      await m.waitFor(() => m.events.filter((e) => e.event === 'message').length === 8);
      expect(new Set(m.events.filter((e) => e.event === 'message').map((e) => e.worker))).toEqual(new Set([1, 2]));
      m.kill('SIGTERM');
      expect(await m.exited).toBe(0);
    } finally {
      await m.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
