// mailguard audit over IMAP with TLS against a real Dovecot: imaps:// and STARTTLS on imap://
// with a private CA (NODE_EXTRA_CA_CERTS), a refused certificate without it, an OAuth2 token
// refused by a server without XOAUTH2 (never printed), and the password prompt on a terminal.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, runCli, runProcess } from '../helpers/cli.js';
import { startDovecot, type DovecotInstance } from '../helpers/dovecot.js';

const PASSWORD = 'tls-Pa55word-x7';
const TOKEN = 'ya29.token-Zq81-not-real';
const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-imap-tls-'));
const cert = path.join(tmp, 'cert.pem');
const key = path.join(tmp, 'key.pem');
const GOOD_TOKEN = 'ya29.good-token-Hq20';
let dovecot: DovecotInstance;
let introspection: http.Server;
/** Tokens the OAuth2 introspection endpoint was asked about. */
const asked: string[] = [];
const POLICY = ['--internal-domain', 'corp.example'];

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  // The OAuth2 provider's token introspection (RFC 7662), as Dovecot's oauth2 passdb asks it.
  introspection = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      asked.push(token);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(token === GOOD_TOKEN ? { active: 'true', username: 'alice' } : { active: 'false' }));
    });
  });
  await new Promise<void>((resolve) => introspection.listen(0, '127.0.0.1', () => resolve()));
  const port = (introspection.address() as { port: number }).port;
  dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }], tls: { cert, key }, oauth2IntrospectionUrl: `http://127.0.0.1:${port}/introspect` });
  await dovecot.addMessages('alice', 'Sent', [
    { flags: 'S', bytes: readFileSync(path.join(FIXTURES, 'audit-2026-01-newsletter-to.eml')) },
    { flags: '', bytes: readFileSync(path.join(FIXTURES, 'audit-2026-01-internal.eml')) },
  ]);
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await new Promise<void>((resolve) => (introspection ? introspection.close(() => resolve()) : resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('mailguard audit over TLS', () => {
  it('imaps:// and imap:// with STARTTLS read the folder when the CA is trusted', async () => {
    for (const url of [`imaps://alice@127.0.0.1:${dovecot.imapsPort}/Sent`, `imap://alice@127.0.0.1:${dovecot.port}/Sent`]) {
      const r = await runCli(['audit', url, ...POLICY, '--format', 'json'], { env: { MAILGUARD_IMAP_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: cert } });
      expect(r.code, `${url}: ${r.stderr}`).toBe(1);
      expect(JSON.parse(r.stdout).summary).toMatchObject({ messages: 2, incidents: 1, unreadable: 0 });
    }
    // Both logins went over TLS (imaps, and STARTTLS on the imap port): Dovecot marks each.
    const logins = (await dovecot.log()).split('\n').filter((l) => /Login: user=<alice>/.test(l));
    expect(logins).toHaveLength(2);
    expect(logins.every((l) => /, TLS,/.test(l))).toBe(true);
  });

  it('refuses an untrusted certificate: exit 2, the reason, no password', async () => {
    const r = await runCli(['audit', `imaps://alice@127.0.0.1:${dovecot.imapsPort}/Sent`, ...POLICY, '--format', 'json'], { env: { MAILGUARD_IMAP_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: undefined } });
    expect(r.code, r.stderr).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.unreadable).toBe(1);
    expect(doc.summary.unreadableReasons[0]).toMatch(/TLS failed|certificate/i);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('an OAuth2 access token from the environment or a file logs in (OAUTHBEARER or XOAUTH2, as offered)', async () => {
    const file = path.join(tmp, 'token');
    writeFileSync(file, `${GOOD_TOKEN}\n`);
    for (const [args, extra] of [[[], { MAILGUARD_IMAP_ACCESS_TOKEN: GOOD_TOKEN }], [['--access-token-file', file], {}]] as const) {
      const r = await runCli(['audit', `imaps://alice@127.0.0.1:${dovecot.imapsPort}/Sent`, ...POLICY, ...args, '--format', 'json'], { env: { MAILGUARD_IMAP_PASSWORD: undefined, NODE_EXTRA_CA_CERTS: cert, ...extra } });
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stdout).summary).toMatchObject({ messages: 2, incidents: 1 });
      expect(r.stdout + r.stderr).not.toContain(GOOD_TOKEN);
    }
    expect(asked).toContain(GOOD_TOKEN);
    expect((await dovecot.log()).split('\n').filter((l) => /Login: user=<alice>, method=(XOAUTH2|OAUTHBEARER),/.test(l))).toHaveLength(2);
  });

  it('an OAuth2 token the server refuses is exit 2 and never printed', async () => {
    const r = await runCli(['audit', `imaps://alice@127.0.0.1:${dovecot.imapsPort}/Sent`, ...POLICY, '--format', 'json'], { env: { MAILGUARD_IMAP_ACCESS_TOKEN: TOKEN, MAILGUARD_IMAP_PASSWORD: undefined, NODE_EXTRA_CA_CERTS: cert } });
    expect(r.code, r.stderr).toBe(2);
    expect(JSON.parse(r.stdout).summary.unreadable).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(r.stdout + r.stderr).not.toContain(Buffer.from(`user=alice\u0001auth=Bearer ${TOKEN}\u0001\u0001`).toString('base64'));
  });

  it('asks for the password on a terminal, without echoing it', async () => {
    // script(1) gives the CLI a pseudo-terminal; the password is typed after the prompt appears.
    const cmd = `sleep 1.5; printf '%s\\r' '${PASSWORD}'`;
    const r = await runProcess('/bin/sh', ['-c', `(${cmd}) | script -qec "${process.execPath} ${BIN} audit imap://alice@127.0.0.1:${dovecot.port}/Sent --internal-domain corp.example --format json --no-color" /dev/null`], {
      env: { ...process.env, MAILGUARD_IMAP_PASSWORD: '', NODE_EXTRA_CA_CERTS: cert, NO_COLOR: '1' },
      timeoutMs: 30_000,
    });
    expect(r.stdout).toMatch(/IMAP password for alice:/);
    expect(r.stdout).toMatch(/"incidents": 1/);
    expect(r.stdout).not.toContain(PASSWORD);
  });
});
