// mailguard audit over IMAP with TLS against a real Dovecot: imaps:// and STARTTLS on imap://
// with a private CA (NODE_EXTRA_CA_CERTS), a refused certificate without it, an OAuth2 token
// refused by a server without XOAUTH2 (never printed), and the password prompt on a terminal.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
let dovecot: DovecotInstance;
const POLICY = ['--internal-domain', 'corp.example'];

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }], tls: { cert, key } });
  await dovecot.addMessages('alice', 'Sent', [
    { flags: 'S', bytes: readFileSync(path.join(FIXTURES, 'audit-2026-01-newsletter-to.eml')) },
    { flags: '', bytes: readFileSync(path.join(FIXTURES, 'audit-2026-01-internal.eml')) },
  ]);
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('mailguard audit over TLS', () => {
  it('imaps:// and imap:// with STARTTLS read the folder when the CA is trusted', async () => {
    for (const url of [`imaps://alice@127.0.0.1:${dovecot.imapsPort}/Sent`, `imap://alice@127.0.0.1:${dovecot.port}/Sent`]) {
      const r = await runCli(['audit', url, ...POLICY, '--format', 'json'], { env: { MAILGUARD_IMAP_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: cert } });
      expect(r.code, url).toBe(1);
      expect(JSON.parse(r.stdout).summary).toMatchObject({ messages: 2, incidents: 1, unreadable: 0 });
    }
    // Both logins went over TLS (imaps, and STARTTLS on the imap port): Dovecot marks each.
    const logins = (await dovecot.log()).split('\n').filter((l) => /Login: user=<alice>/.test(l));
    expect(logins).toHaveLength(2);
    expect(logins.every((l) => /, TLS,/.test(l))).toBe(true);
  });

  it('refuses an untrusted certificate: exit 2, the reason, no password', async () => {
    const r = await runCli(['audit', `imaps://alice@127.0.0.1:${dovecot.imapsPort}/Sent`, ...POLICY, '--format', 'json'], { env: { MAILGUARD_IMAP_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: undefined } });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.unreadable).toBe(1);
    expect(doc.summary.unreadableReasons[0]).toMatch(/TLS failed|certificate/i);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('an OAuth2 token the server cannot use is exit 2 and never printed', async () => {
    const r = await runCli(['audit', `imaps://alice@127.0.0.1:${dovecot.imapsPort}/Sent`, ...POLICY, '--format', 'json'], { env: { MAILGUARD_IMAP_ACCESS_TOKEN: TOKEN, MAILGUARD_IMAP_PASSWORD: undefined, NODE_EXTRA_CA_CERTS: cert } });
    expect(r.code).toBe(2);
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
