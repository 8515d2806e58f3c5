import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/policy/policy.js';
import { decideDelivery } from '../../src/decide/index.js';
import { MailguardError } from '../../src/errors.js';
import { parseSendmailArgs } from '../../src/sendmail/args.js';
import { formatRfc5322Date, prepareSendmailMessage } from '../../src/sendmail/envelope.js';

const now = new Date(Date.UTC(2026, 10, 29, 4, 5, 6));
const prepare = (message: string, argv: string[], defaultSender?: string) =>
  prepareSendmailMessage(Buffer.from(message), parseSendmailArgs(argv), { now, messageIdLocal: 'fixed', ...(defaultSender ? { defaultSender } : {}) });
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

const MSG = 'From: Me <me@corp.example>\nTo: a@x.test, B <b@y.test>\nCc: c@z.test\nBcc: hidden@w.test\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <1@corp.example>\nSubject: s\n\nbody\n';

describe('prepareSendmailMessage', () => {
  it('-t takes To, Cc and Bcc, adds command-line recipients; the Bcc field is left for the decision, which strips it from what is relayed', () => {
    const p = prepare(MSG, ['-t', 'extra@v.test']);
    expect(p.envelope).toEqual({ mailFrom: 'me@corp.example', rcptTo: ['a@x.test', 'b@y.test', 'c@z.test', 'hidden@w.test', 'extra@v.test'] });
    expect(text(p.bytes)).toBe(MSG);
    for (const t of decideDelivery(p.bytes, createPolicy(), { onViolation: 'warn', envelope: p.envelope }).transactions()) expect(text(t.bytes)).not.toMatch(/bcc|hidden/i);
    expect(p.added).toEqual([]);
  });

  it('without -t only the command line counts, and a Bcc field is still never relayed', () => {
    const p = prepare(MSG, ['-i', 'a@x.test', 'q@r.test, s@t.test']);
    expect(p.envelope.rcptTo).toEqual(['a@x.test', 'q@r.test', 's@t.test']);
    for (const t of decideDelivery(p.bytes, createPolicy(), { onViolation: 'warn', envelope: p.envelope }).transactions()) expect(text(t.bytes)).not.toContain('hidden@w.test');
  });

  // cron and logwatch write "To: root" and call sendmail -t; Postfix adds its own domain, mailguard
  // guesses none. The error says that, as it does for "root" on the command line, not a parser's code.
  it.each([
    ['To: root', 'From: logwatch@corp.example\nTo: root\nSubject: Logwatch\n\nx\n', 'To'],
    ['Cc: root beside a full address', 'From: logwatch@corp.example\nTo: ops@corp.example\nCc: root\nSubject: s\n\nx\n', 'Cc'],
  ])('-t with a recipient without a domain (%s): says so and how to give a full address', (_name, message, field) => {
    let caught: MailguardError | undefined;
    try {
      prepare(message, ['-t']);
    } catch (err) {
      caught = err as MailguardError;
    }
    expect(caught?.code).toBe('EINPUT');
    expect(caught?.message).toBe(`-t: the ${field} field names a recipient without a domain (cron and logwatch write "root"); mailguard does not guess a local domain.`);
    expect(caught?.message).not.toContain('missing-domain');
    expect(caught?.hint).toContain('MAILTO=');
  });

  it('-t uses Resent-* fields when the message is being resent', () => {
    const p = prepare('From: me@corp.example\nTo: old@x.test\nResent-From: me@corp.example\nResent-To: new@y.test\nResent-Bcc: rb@z.test\n\nb\n', ['-t']);
    expect(p.envelope.rcptTo).toEqual(['new@y.test', 'rb@z.test']);
    for (const t of decideDelivery(p.bytes, createPolicy(), { onViolation: 'warn', envelope: p.envelope }).transactions()) expect(text(t.bytes)).not.toContain('rb@z.test');
  });

  it('-f sets the envelope sender; <> is the null sender', () => {
    expect(prepare(MSG, ['-f', 'bounce@corp.example', '-t']).envelope.mailFrom).toBe('bounce@corp.example');
    expect(prepare(MSG, ['-f', '<>', '-t']).envelope.mailFrom).toBe('');
    expect(prepare(MSG, ['-t'], 'cfg@corp.example').envelope.mailFrom).toBe('cfg@corp.example');
  });

  it('adds From (with -F), Date and Message-ID when missing, keeping the body byte-exact', () => {
    const p = prepare('Subject: cron\r\n\r\nline 1\r\n', ['-f', 'root@host.corp.example', '-F', 'Cron Daemon', 'ops@corp.example']);
    expect(text(p.bytes)).toBe(
      'Subject: cron\r\nFrom: "Cron Daemon" <root@host.corp.example>\r\nDate: Sun, 29 Nov 2026 04:05:06 +0000\r\nMessage-ID: <fixed@host.corp.example>\r\n\r\nline 1\r\n',
    );
    expect(p.added).toEqual(['From', 'Date', 'Message-ID']);
    expect(text(prepare('Subject: x\n\nb\n', ['-f', 'r@corp.example', '-F', 'Zoë', 'a@x.test']).bytes)).toContain('From: =?UTF-8?B?Wm/Dqw==?= <r@corp.example>\n');
  });

  it('a -F name cannot inject a header field (control characters become spaces)', () => {
    const out = text(prepare('Subject: x\n\nb\n', ['-f', 'r@corp.example', '-F', 'Eve\nBcc: spy@evil.test', 'a@x.test']).bytes);
    expect(out).not.toMatch(/^Bcc:/im);
    expect(out.split('\n').filter((l) => l.startsWith('From:'))).toHaveLength(1);
    expect(out).toContain('From: "Eve Bcc: spy@evil.test" <r@corp.example>\n');
  });

  it('no From, no -f, no configured sender: the login name at the host, as sendmail does (cron, mailx)', () => {
    const opts = { now, messageIdLocal: 'fixed', loginSender: 'cron@build.corp.example' };
    const out = prepareSendmailMessage(Buffer.from('Subject: only subject\n\nbody\n'), parseSendmailArgs(['-i', 'ops@corp.example']), opts);
    expect(out.envelope.mailFrom).toBe('cron@build.corp.example');
    expect(text(out.bytes)).toMatch(/^From: cron@build\.corp\.example$/m);
    // A From field or a configured sender still wins.
    const configured = prepareSendmailMessage(Buffer.from('Subject: s\n\nb\n'), parseSendmailArgs(['ops@corp.example']), { ...opts, defaultSender: 'noreply@corp.example' });
    expect(configured.envelope.mailFrom).toBe('noreply@corp.example');
    expect(prepareSendmailMessage(Buffer.from(MSG), parseSendmailArgs(['-t']), opts).envelope.mailFrom).toBe('me@corp.example');
  });

  it('-f with a bare local name (cronie: -f root) is no -f: the configured sender, the From field, or the login at the host', () => {
    const cron = 'From: root (Cron Daemon)\nTo: ops@corp.example\nSubject: Cron <root@build> job\n\nout\n';
    const base = { now, messageIdLocal: 'fixed' };
    const argv = parseSendmailArgs(['-FCronDaemon', '-i', '-odi', '-oem', '-oi', '-t', '-f', 'root']);
    expect(prepareSendmailMessage(Buffer.from(cron), argv, { ...base, defaultSender: 'cron@build.corp.example' }).envelope.mailFrom).toBe('cron@build.corp.example');
    expect(prepareSendmailMessage(Buffer.from(MSG), parseSendmailArgs(['-t', '-f', 'www-data']), base).envelope.mailFrom).toBe('me@corp.example');
    expect(prepareSendmailMessage(Buffer.from(cron), argv, { ...base, loginSender: 'root@build.corp.example' }).envelope.mailFrom).toBe('root@build.corp.example');
    let caught: MailguardError | undefined;
    try {
      prepareSendmailMessage(Buffer.from(cron), argv, base);
    } catch (err) {
      caught = err as MailguardError;
    }
    expect(caught?.code).toBe('ECONFIG');
    expect(caught?.message).toContain('-f names a local user without a domain');
  });

  const errors: Array<[string, string, string[], string, RegExp]> = [
    ['no recipients without -t', MSG, ['-i'], 'EUSAGE', /no recipients given/],
    ['-t and no recipient fields', 'From: me@corp.example\nSubject: s\n\nb\n', ['-t'], 'EINPUT', /-t found no To, Cc, Apparently-To or Bcc/],
    ['-t and an ambiguous To', 'From: me@corp.example\nTo: "a@x.test, b@y.test\n\nb\n', ['-t'], 'EINPUT', /-t: the to field cannot be read/],
    ['an unqualified command-line recipient', MSG, ['root'], 'EUSAGE', /"root" is not a recipient address .*no domain/],
    ['a bad -f', MSG, ['-f', 'not an address', '-t'], 'EUSAGE', /-f "not an address" is not an email address/],
    ['-f swallowing the next option (no login name starts with "-")', MSG, ['-f', '-t', 'a@x.test'], 'EUSAGE', /-f "-t" is not an email address/],
    ['no From and no -f', 'Subject: s\n\nb\n', ['a@x.test'], 'ECONFIG', /no envelope sender: the message has no From field, no -f was given/],
  ];
  it.each(errors)('refuses %s', (_name, message, argv, code, pattern) => {
    let caught: unknown;
    try {
      prepare(message, argv);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MailguardError);
    expect((caught as MailguardError).code).toBe(code);
    expect((caught as MailguardError).message).toMatch(pattern);
  });

  it('formats dates as RFC 5322', () => {
    expect(formatRfc5322Date(new Date(Date.UTC(2024, 0, 5, 9, 8, 7)))).toBe('Fri, 5 Jan 2024 09:08:07 +0000');
  });
});
