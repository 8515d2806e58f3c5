// IMAP folder URLs and the connection policy: parsed without loading imapflow's network side,
// passwords in URLs refused without being repeated, STARTTLS required off loopback.
import { describe, expect, it } from 'vitest';
import { connectionOptions, scrubSecrets } from '../../src/io/imap.js';
import { folderUrl, isImapUrl, isLoopbackHost, parseImapUrl } from '../../src/io/imap-url.js';
import { MailguardError } from '../../src/errors.js';

describe('parseImapUrl', () => {
  const cases: Array<[string, { secure: boolean; host: string; port: number; user: string; folder: string; loopback: boolean }]> = [
    ['imaps://alice@imap.example/Sent', { secure: true, host: 'imap.example', port: 993, user: 'alice', folder: 'Sent', loopback: false }],
    ['imap://alice@imap.example/Sent', { secure: false, host: 'imap.example', port: 143, user: 'alice', folder: 'Sent', loopback: false }],
    ['IMAPS://bob@IMAP.Example:1993/INBOX/Sent', { secure: true, host: 'imap.example', port: 1993, user: 'bob', folder: 'INBOX/Sent', loopback: false }],
    ['imaps://dpo%40corp.example@outlook.office365.com/Sent%20Items', { secure: true, host: 'outlook.office365.com', port: 993, user: 'dpo@corp.example', folder: 'Sent Items', loopback: false }],
    ['imaps://dpo@corp.example@imap.gmail.com/%5BGmail%5D/Sent%20Mail', { secure: true, host: 'imap.gmail.com', port: 993, user: 'dpo@corp.example', folder: '[Gmail]/Sent Mail', loopback: false }],
    ['imap://alice;AUTH=*@127.0.0.1:1143/', { secure: false, host: '127.0.0.1', port: 1143, user: 'alice', folder: '', loopback: true }],
    ['imap://alice@localhost/Sent', { secure: false, host: 'localhost', port: 143, user: 'alice', folder: 'Sent', loopback: true }],
    ['imap://alice@[::1]:143/Sent', { secure: false, host: '::1', port: 143, user: 'alice', folder: 'Sent', loopback: true }],
  ];
  for (const [url, want] of cases) {
    it(url, () => expect(parseImapUrl(url)).toEqual(want));
  }

  it('takes the user from MAILGUARD_IMAP_USER when the URL has none, else refuses', () => {
    expect(parseImapUrl('imaps://imap.example/Sent', { MAILGUARD_IMAP_USER: 'carol' }).user).toBe('carol');
    expect(() => parseImapUrl('imaps://imap.example/Sent')).toThrow(/names no user/);
  });

  it('refuses a password in the URL without repeating it', () => {
    for (const url of ['imaps://alice:S3cret-pw@imap.example/Sent', 'imap://alice:S3cret-pw@127.0.0.1/Sent', 'imaps://:S3cret-pw@imap.example/Sent']) {
      let err: unknown;
      try {
        parseImapUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MailguardError);
      const e = err as MailguardError;
      expect(e.code).toBe('EUSAGE');
      expect(e.message).toMatch(/must not contain a password/);
      expect(`${e.message} ${e.hint}`).not.toContain('S3cret');
    }
  });

  it('refuses queries, fragments, and what is not a URL (without echoing it)', () => {
    expect(() => parseImapUrl('imaps://alice@imap.example/Sent?x=1')).toThrow(/no \?query/);
    expect(() => parseImapUrl('imaps://alice@imap.example/Sent#x')).toThrow(/no \?query/);
    expect(() => parseImapUrl('imaps://alice:pw@ bad host/')).toThrow(/not a valid URL/);
  });

  it('names folders without secrets, and tells URLs from paths', () => {
    const t = parseImapUrl('imaps://dpo%40corp.example@imap.example/Sent%20Items');
    expect(folderUrl(t)).toBe('imaps://dpo%40corp.example@imap.example:993/Sent%20Items');
    expect(isImapUrl('imap://a@b/c')).toBe(true);
    expect(isImapUrl('IMAPS://a@b/c')).toBe(true);
    expect(isImapUrl('imap.mbox')).toBe(false);
    expect(isImapUrl('./imap://x')).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['::1', true],
    ['[::1]', true],
    ['10.0.0.1', false],
    ['127.0.0.1.example', false],
    ['localhost.example', false],
    ['imap.example', false],
  ])('%s -> %s', (host, want) => expect(isLoopbackHost(host)).toBe(want));
});

describe('connectionOptions', () => {
  const creds = { password: 'pw' };
  it('requires STARTTLS on imap:// off loopback, leaves it opportunistic on loopback, TLS from the start on imaps://', () => {
    expect(connectionOptions(parseImapUrl('imap://a@imap.example/Sent'), creds).doSTARTTLS).toBe(true);
    expect(connectionOptions(parseImapUrl('imap://a@10.1.2.3/Sent'), creds).doSTARTTLS).toBe(true);
    expect(connectionOptions(parseImapUrl('imap://a@127.0.0.1/Sent'), creds).doSTARTTLS).toBeUndefined();
    const tls = connectionOptions(parseImapUrl('imaps://a@imap.example/Sent'), creds);
    expect(tls.secure).toBe(true);
    expect(tls.doSTARTTLS).toBeUndefined();
    expect(tls.logger).toBe(false);
  });

  it('uses XOAUTH2 when an access token is given, the password otherwise', () => {
    const t = parseImapUrl('imaps://a@imap.example/Sent');
    expect(connectionOptions(t, { accessToken: 'tok' }).auth).toEqual({ user: 'a', accessToken: 'tok' });
    expect(connectionOptions(t, { password: 'pw' }).auth).toEqual({ user: 'a', pass: 'pw' });
  });
});

describe('scrubSecrets', () => {
  it('removes the password and token, plain and in SASL base64', () => {
    const t = parseImapUrl('imaps://alice@imap.example/Sent');
    const plain = Buffer.from('\u0000alice\u0000hunter2').toString('base64');
    const oauth = Buffer.from('user=alice\u0001auth=Bearer tok-123\u0001\u0001').toString('base64');
    const text = `failed hunter2 ${plain} tok-123 ${oauth}`;
    const out = scrubSecrets(text, t, { password: 'hunter2' });
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain(plain);
    const out2 = scrubSecrets(text, t, { accessToken: 'tok-123' });
    expect(out2).not.toContain('tok-123');
    expect(out2).not.toContain(oauth);
  });
});
