// `mailguard proxy` as a process: swaks and nodemailer as clients, a recording upstream, JSON logs,
// usage errors, and a graceful stop on SIGTERM with a transaction in flight.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';
import { killProxy, spawnProxy, type ProxyProcess } from './proxy-process.js';

const POLICY_FLAGS = ['--internal-domain', 'corp.example'];
let sink: Sink | undefined;
let proxy: ProxyProcess | undefined;

afterEach(async () => {
  await killProxy(proxy);
  proxy = undefined;
  await sink?.close();
  sink = undefined;
});

/** Runs swaks; resolves with its transcript (it exits non-zero when the server refuses). */
function swaks(port: number, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('swaks', ['--server', `127.0.0.1:${port}`, '--helo', 'client.test', ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

/** The server's reply to the end of DATA in a swaks transcript. */
function dataReply(out: string): string {
  const lines = out.split('\n');
  const dot = lines.findIndex((l) => /^ -> \.$/.test(l.trimEnd()));
  const after = lines.slice(dot + 1).find((l) => /^<[-~*]*\s+\d{3}/.test(l)) ?? '';
  return after.replace(/^<[-~*]*\s*/, '').trim();
}

const fixture = (name: string) => path.join(FIXTURES, name);

describe('mailguard proxy (process) with swaks', () => {
  it('clean: 250 after the upstream took it, upstream got the bytes and envelope; one JSON log line with masked addresses', async () => {
    sink = await startSink();
    proxy = await spawnProxy(['--upstream', sink.url, ...POLICY_FLAGS]);
    const r = await swaks(proxy.port, ['--from', 'alice@corp.example', '--to', 'bob@corp.example,carol@corp.example', '--data', '@' + fixture('proxy-clean.eml')]);
    expect(dataReply(r.out)).toMatch(/^250 2\.0\.0 Ok: relayed/);
    expect(r.code).toBe(0);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.rcptTo).toEqual(['bob@corp.example', 'carol@corp.example']);
    expect(sink.messages[0]!.raw.toString()).toContain('See you at noon.\r\n..a line that starts with a dot\r\n.\r\nThe end.\r\n');
    const t = await proxy.waitFor((e) => e.event === 'transaction');
    expect(t).toMatchObject({ verdict: 'pass', action: 'relayed', recipients: 2, from: 'a***@corp.example', to: ['b***@corp.example', 'c***@corp.example'] });
    expect(t.reply).toMatch(/^250 /);
    expect(typeof t.durationMs).toBe('number');
  });

  it('exposed: 550 5.7.1 with the finding and no addresses; Bcc-style: relayed; malformed: refused', async () => {
    sink = await startSink();
    proxy = await spawnProxy(['--upstream', sink.url, ...POLICY_FLAGS]);
    const customers = [1, 2, 3, 4, 5, 6].map((i) => `c${i}@customer${i}.test`).join(',');
    const exposed = await swaks(proxy.port, ['--from', 'sales@corp.example', '--to', customers, '--data', '@' + fixture('proxy-exposed.eml')]);
    const reply = dataReply(exposed.out);
    expect(reply).toMatch(/^550 5\.7\.1 Blocked by mailguard: 6 external addresses from 6 organisations visible in To/);
    expect(reply).not.toMatch(/customer\d\.test/);
    expect(exposed.code).not.toBe(0);
    expect(sink.attempts).toBe(0);

    const bcc = await swaks(proxy.port, ['--from', 'sales@corp.example', '--to', customers, '--data', '@' + fixture('proxy-bcc-style.eml')]);
    expect(dataReply(bcc.out)).toMatch(/^250 /);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.rcptTo).toHaveLength(6);

    const malformed = await swaks(proxy.port, ['--from', 'alice@corp.example', '--to', 'a@one.test', '--data', '@' + fixture('proxy-malformed.eml')]);
    expect(dataReply(malformed.out)).toMatch(/^550 5\.7\.1 /);
    expect(sink.messages).toHaveLength(1);
    // Log lines are written in batches (src/cli/log-lines.ts): wait for the third.
    const p = proxy;
    await p.waitFor(() => p.events.filter((e) => e.event === 'transaction').length >= 3);
    const actions = proxy.events.filter((e) => e.event === 'transaction').map((e) => e.action);
    expect(actions).toEqual(['blocked', 'relayed', 'blocked']);
  });

  it('--max-size and --max-recipients are enforced (552 on the bytes, 452 past the count)', async () => {
    sink = await startSink();
    proxy = await spawnProxy(['--upstream', sink.url, '--max-size', '5000', '--max-recipients', '2', ...POLICY_FLAGS]);
    const big = await swaks(proxy.port, ['--from', 'alice@corp.example', '--to', 'bob@corp.example', '--header', 'Subject: big', '--body', 'x'.repeat(6000)]);
    expect(dataReply(big.out)).toMatch(/^552 5\.3\.4 /);
    const many = await swaks(proxy.port, ['--from', 'alice@corp.example', '--to', 'a@corp.example,b@corp.example,c@corp.example', '--data', '@' + fixture('proxy-clean.eml')]);
    expect(many.out).toMatch(/RCPT TO:<c@corp\.example>\n<\*\* +452 4\.5\.3 Too many recipients/);
    // swaks goes on with the two accepted recipients (the sender's MTA would retry the third).
    expect(sink.messages.map((m) => m.rcptTo)).toEqual([['a@corp.example', 'b@corp.example']]);
  });

  it('--log-addresses logs full addresses', async () => {
    sink = await startSink();
    proxy = await spawnProxy(['--upstream', sink.url, '--log-addresses', ...POLICY_FLAGS]);
    await swaks(proxy.port, ['--from', 'alice@corp.example', '--to', 'bob@corp.example', '--data', '@' + fixture('proxy-clean.eml')]);
    expect(await proxy.waitFor((e) => e.event === 'transaction')).toMatchObject({ from: 'alice@corp.example', to: ['bob@corp.example'] });
  });

  it('--on-violation bcc relays the exposed message with the list hidden', async () => {
    sink = await startSink();
    proxy = await spawnProxy(['--upstream', sink.url, '--on-violation', 'bcc', ...POLICY_FLAGS]);
    const customers = [1, 2, 3, 4, 5, 6].map((i) => `c${i}@customer${i}.test`).join(',');
    const r = await swaks(proxy.port, ['--from', 'sales@corp.example', '--to', customers, '--data', '@' + fixture('proxy-exposed.eml')]);
    expect(dataReply(r.out)).toMatch(/^250 /);
    expect(sink.messages[0]!.rcptTo).toHaveLength(6);
    expect(sink.messages[0]!.raw.toString()).not.toMatch(/customer\d\.test/);
  });
});

describe('mailguard proxy (process): start and stop', () => {
  it('a port in use: one error on stderr, exit 2, no warning line on stdout', async () => {
    const net = await import('node:net');
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as import('node:net').AddressInfo).port;
      const r = await runCli(['proxy', '--listen', `127.0.0.1:${port}`, '--upstream', 'smtp://127.0.0.1:1', '--internal-domain', 'corp.example']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(r.stdout).not.toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('SIGTERM with a transaction in flight: the client still gets its 250, then the process exits 0', async () => {
    sink = await startSink({ dataDelayMs: 800 });
    proxy = await spawnProxy(['--upstream', sink.url, ...POLICY_FLAGS]);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: proxy.port, secure: false, ignoreTLS: true, logger: false });
    const sending = transport.sendMail({ envelope: { from: 'alice@corp.example', to: ['bob@corp.example'] }, raw: readFileSync(fixture('proxy-clean.eml')) });
    // Wait until the upstream is holding the message, then stop.
    const deadline = Date.now() + 10_000;
    while (sink.attempts === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    proxy.kill('SIGTERM');
    const info = await sending;
    transport.close();
    expect(info.response).toMatch(/^250 /);
    expect(await proxy.exited).toBe(0);
    expect(proxy.events.map((e) => e.event)).toEqual(expect.arrayContaining(['stopping', 'stopped']));
    expect(proxy.events.find((e) => e.event === 'stopping')).toMatchObject({ inFlight: 1 });
    expect(sink.messages).toHaveLength(1);
  });

  it('SIGINT with an idle client connected: 421 to the client, exit 0', async () => {
    sink = await startSink();
    proxy = await spawnProxy(['--upstream', sink.url, ...POLICY_FLAGS]);
    const { connectRaw } = await import('../proxy/raw-smtp.js');
    const c = await connectRaw(proxy.port);
    expect(await c.reply()).toMatch(/^220 /);
    expect(await c.command('EHLO client.test')).toMatch(/^250/);
    proxy.kill('SIGINT');
    expect(await c.reply()).toMatch(/^421 4\.3\.2 /);
    expect(await proxy.exited).toBe(0);
  });

  it('starts while the upstream is down: warning in the log, 451 to clients', async () => {
    const placeholder = await startSink();
    const deadUrl = placeholder.url;
    await placeholder.close();
    proxy = await spawnProxy(['--upstream', deadUrl, ...POLICY_FLAGS]);
    expect(await proxy.waitFor((e) => e.event === 'warning')).toMatchObject({ message: expect.stringMatching(/not reachable.*451/) });
    const r = await swaks(proxy.port, ['--from', 'alice@corp.example', '--to', 'bob@corp.example', '--data', '@' + fixture('proxy-clean.eml')]);
    expect(r.out).toMatch(/<\*\* 451 4\.4\.1 /);
    expect(await proxy.waitFor((e) => e.event === 'transaction')).toMatchObject({ action: 'deferred', upstream: 'down', from: 'a***@corp.example' });
  });

  it('--tls-key/--tls-cert: STARTTLS is offered and swaks -tls relays through it', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailguard-proxy-cli-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      sink = await startSink();
      proxy = await spawnProxy(['--upstream', sink.url, '--tls-key', path.join(dir, 'key.pem'), '--tls-cert', path.join(dir, 'cert.pem'), ...POLICY_FLAGS]);
      expect(proxy.events.find((e) => e.event === 'listening')).toMatchObject({ tls: true });
      const r = await swaks(proxy.port, ['-tls', '--from', 'alice@corp.example', '--to', 'bob@corp.example', '--data', '@' + fixture('proxy-clean.eml')]);
      expect(r.out).toMatch(/STARTTLS/);
      expect(r.out).toMatch(/TLS started/);
      expect(r.out).toMatch(/250 2\.0\.0 Ok: relayed/);
      expect(sink.messages).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--log human: one readable line per transaction', async () => {
    sink = await startSink();
    const { spawn } = await import('node:child_process');
    const { BIN, ROOT } = await import('../helpers/cli.js');
    const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', sink.url, ...POLICY_FLAGS], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const deadline = Date.now() + 15_000;
      while (!/listening on 127\.0\.0\.1:(\d+)/.test(out) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      await swaks(port, ['--from', 'alice@corp.example', '--to', 'bob@corp.example', '--data', '@' + fixture('proxy-clean.eml')]);
      while (!/ relayed /.test(out) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(out).toMatch(/ relayed verdict=pass from=a\*\*\*@corp\.example rcpt=1 size=\d+ profile=default reply="250 2\.0\.0 Ok: relayed .*" upstream="250 .*" \d+ms\n/);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('refuses a non-loopback address without --auth-file, before binding (exit 2)', async () => {
    const r = await runCli(['proxy', '--listen', '192.0.2.10:2525', '--upstream', 'smtp://127.0.0.1:25']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 192\.0\.2\.10 without authentication/);
    expect(r.stderr).toMatch(/--allow-unauthenticated/);
  });

  it('usage errors: no --upstream, bad --listen, bad upstream URL, half a TLS pair', async () => {
    expect((await runCli(['proxy'])).stderr).toMatch(/needs --upstream/);
    expect((await runCli(['proxy', '--upstream', 'smtp://127.0.0.1:25', '--listen', 'nonsense'])).stderr).toMatch(/--listen takes HOST:PORT/);
    expect((await runCli(['proxy', '--upstream', 'http://127.0.0.1:25'])).stderr).toMatch(/smtp:\/\/ or smtps:\/\//);
    const half = await runCli(['proxy', '--upstream', 'smtp://127.0.0.1:25', '--tls-key', 'k.pem']);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/both --tls-key and --tls-cert/);
  });

  it('--hash-password prints an scrypt hash that the auth file accepts', async () => {
    const r = await runCli(['proxy', '--hash-password'], { input: 'correct horse\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$/);
    const { parseAuthFile } = await import('../../src/proxy/index.js');
    const { verifyPassword } = await import('../../src/proxy/auth-file.js');
    const users = parseAuthFile(`alice:${r.stdout.trim()}\n`, 'test');
    expect(await verifyPassword(users, 'alice', 'correct horse')).toBe(true);
  });

  it('--help shows examples', async () => {
    const r = await runCli(['proxy', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/--upstream <url>/);
  });
});
