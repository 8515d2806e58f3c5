// No open relay: the listen policy, AUTH from a file of scrypt hashes, AUTH only after STARTTLS
// off loopback. A "public" listener is simulated with treatAsPublic on 127.0.0.1; no test binds a
// non-loopback interface.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { hashPassword, parseAuthFile, type AuthUsers } from '../../src/proxy/index.js';
import { checkListenPolicy, isLoopbackHost } from '../../src/proxy/server.js';
import { verifyPassword } from '../../src/proxy/auth-file.js';
import { fixture, startHarness, type Harness } from './harness.js';
import { connectRaw } from './raw-smtp.js';

let dir: string;
let tls: { key: Buffer; cert: Buffer };
let users: AuthUsers;
let h: Harness | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mailguard-proxy-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  tls = { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  users = parseAuthFile(`# users\nalice:${await hashPassword('correct horse')}\n`, 'test');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function client(port: number, extra: Record<string, unknown> = {}) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, logger: false, tls: { rejectUnauthorized: false }, ...extra });
}

async function trySend(transport: ReturnType<typeof client>): Promise<{ ok: boolean; code?: number; response: string }> {
  try {
    const info = await transport.sendMail({ envelope: { from: 'alice@corp.example', to: ['bob@corp.example'] }, raw: fixture('proxy-clean.eml') });
    return { ok: true, response: info.response };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    return { ok: false, ...(e.responseCode ? { code: e.responseCode } : {}), response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}

describe('listen policy', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.2', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['192.0.2.10', false],
    ['::', false],
    ['128.0.0.1', false],
  ] as const)('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('refuses a non-loopback address without AUTH, and AUTH without TLS there', () => {
    expect(() => checkListenPolicy({ host: '0.0.0.0', auth: false, tls: false, allowUnauthenticated: false })).toThrow(MailguardError);
    expect(() => checkListenPolicy({ host: '0.0.0.0', auth: false, tls: false, allowUnauthenticated: false })).toThrow(/without authentication/);
    expect(() => checkListenPolicy({ host: '192.0.2.10', auth: true, tls: false, allowUnauthenticated: false })).toThrow(/needs TLS/);
    expect(checkListenPolicy({ host: '192.0.2.10', auth: true, tls: true, allowUnauthenticated: false }).warnings).toEqual([]);
    expect(checkListenPolicy({ host: '0.0.0.0', auth: false, tls: false, allowUnauthenticated: true }).warnings[0]).toMatch(/unauthenticated/);
    expect(checkListenPolicy({ host: '127.0.0.1', auth: false, tls: false, allowUnauthenticated: false }).warnings).toEqual([]);
  });

  it('refuses to start a public listener without AUTH before binding anything', async () => {
    const { startProxy } = await import('../../src/proxy/index.js');
    const { POLICY } = await import('./harness.js');
    await expect(startProxy({ port: 0, upstream: 'smtp://127.0.0.1:9', policy: POLICY, treatAsPublic: true })).rejects.toThrow(/without authentication/);
  });
});

describe('auth file', () => {
  it('verifies scrypt hashes and refuses plain-text passwords and unknown users', async () => {
    expect(await verifyPassword(users, 'alice', 'correct horse')).toBe(true);
    expect(await verifyPassword(users, 'alice', 'wrong')).toBe(false);
    expect(await verifyPassword(users, 'mallory', 'correct horse')).toBe(false);
    expect(() => parseAuthFile('alice:secret\n', 'users.txt')).toThrow(/users.txt line 1: expected user:scrypt/);
    expect(() => parseAuthFile('# nobody\n', 'users.txt')).toThrow(/no users/);
  });
});

describe('proxy on a public listener (simulated)', () => {
  it('an unauthenticated client gets 530 and nothing is relayed', async () => {
    h = await startHarness({}, { treatAsPublic: true, auth: users, tls });
    const r = await trySend(client(h.proxy.port));
    expect(r.ok).toBe(false);
    expect(r.code).toBe(530);
    expect(h.sink.attempts).toBe(0);
  });

  it('AUTH before STARTTLS is refused (538); after STARTTLS with the right password the message is relayed', async () => {
    h = await startHarness({}, { treatAsPublic: true, auth: users, tls });
    const c = await connectRaw(h.proxy.port);
    await c.reply();
    expect(await c.command('EHLO client.test')).toMatch(/STARTTLS/);
    const plain = Buffer.from('\0alice\0correct horse').toString('base64');
    expect(await c.command(`AUTH PLAIN ${plain}`)).toMatch(/^538 /);
    c.end();

    const wrong = await trySend(client(h.proxy.port, { requireTLS: true, auth: { user: 'alice', pass: 'nope' } }));
    expect(wrong.ok).toBe(false);
    expect(wrong.code).toBe(535);
    const right = await trySend(client(h.proxy.port, { requireTLS: true, auth: { user: 'alice', pass: 'correct horse' } }));
    expect(right.ok).toBe(true);
    expect(h.sink.messages).toHaveLength(1);
    expect(h.transactions().at(-1)).toMatchObject({ user: 'alice', action: 'relayed' });
  });

  it('--allow-unauthenticated accepts anyone and logs a warning', async () => {
    h = await startHarness({}, { treatAsPublic: true, allowUnauthenticated: true });
    expect(h.events.some((e) => e.event === 'warning' && /unauthenticated/.test(e.message))).toBe(true);
    const r = await trySend(client(h.proxy.port, { ignoreTLS: true }));
    expect(r.ok).toBe(true);
  });
});

describe('proxy on loopback with an auth file', () => {
  it('AUTH works without TLS on loopback, and is required', async () => {
    h = await startHarness({}, { auth: users });
    expect((await trySend(client(h.proxy.port, { ignoreTLS: true }))).code).toBe(530);
    const r = await trySend(client(h.proxy.port, { ignoreTLS: true, auth: { user: 'alice', pass: 'correct horse' } }));
    expect(r.ok).toBe(true);
  });

  it('without an auth file AUTH is not offered', async () => {
    h = await startHarness();
    const c = await connectRaw(h.proxy.port);
    await c.reply();
    const ehlo = await c.command('EHLO client.test');
    expect(ehlo).not.toMatch(/AUTH/);
    expect(ehlo).not.toMatch(/STARTTLS/);
    c.end();
  });
});
