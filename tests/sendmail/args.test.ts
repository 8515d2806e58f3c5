import { describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { parseSendmailArgs } from '../../src/sendmail/args.js';

// What real callers pass, and what each must mean.
const cases: Array<[string, string[], Record<string, unknown>]> = [
  ['git send-email', ['-i', 'a@x.test', 'b@y.test'], { ignoreDots: true, extractRecipients: false, recipients: ['a@x.test', 'b@y.test'] }],
  ['PHP sendmail_path', ['-t', '-i'], { ignoreDots: true, extractRecipients: true, recipients: [] }],
  ['clustered -ti', ['-ti'], { ignoreDots: true, extractRecipients: true }],
  ['Debian cron', ['-FCronDaemon', '-i', '-B8BITMIME', '-oem', 'ops@corp.example'], { fullName: 'CronDaemon', ignoreDots: true, ignored: ['-B8BITMIME', '-oem'], recipients: ['ops@corp.example'] }],
  ['mutt', ['-oem', '-oi', '--', 'a@x.test'], { ignoreDots: true, ignored: ['-oem'], recipients: ['a@x.test'] }],
  ['-oi alone', ['-oi', 'a@x.test'], { ignoreDots: true }],
  ['-o i (separate)', ['-o', 'i', 'a@x.test'], { ignoreDots: true, recipients: ['a@x.test'] }],
  ['-O IgnoreDots', ['-O', 'IgnoreDots=true', 'a@x.test'], { ignoreDots: true }],
  ['no -i: dots matter', ['a@x.test'], { ignoreDots: false }],
  ['-f attached', ['-fme@corp.example', 'a@x.test'], { sender: 'me@corp.example' }],
  ['-f separate', ['-f', 'me@corp.example', 'a@x.test'], { sender: 'me@corp.example' }],
  ['-f <addr>', ['-f', '<me@corp.example>'], { sender: 'me@corp.example' }],
  ['-f <> null sender', ['-f', '<>', 'a@x.test'], { sender: '' }],
  ['-r (old -f)', ['-r', 'me@corp.example'], { sender: 'me@corp.example' }],
  ['-F separate', ['-F', 'Jane Doe', 'a@x.test'], { fullName: 'Jane Doe', recipients: ['a@x.test'] }],
  ['-bm', ['-bm', 'a@x.test'], { recipients: ['a@x.test'] }],
  ['-odi -oQ/dir -U -m -v', ['-odi', '-oQ/var/spool', '-U', '-m', '-v', 'a@x.test'], { ignored: ['-odi', '-oQ/var/spool', '-U', '-m'], debug: true }],
  ['-N -R -V -X -C -h take values', ['-N', 'never', '-R', 'hdrs', '-V', 'id', '-X', '/tmp/log', '-C', '/etc/cf', '-h', '5', 'a@x.test'], { recipients: ['a@x.test'] }],
  ['"--" keeps a dash recipient', ['-i', '--', '-odd@x.test'], { recipients: ['-odd@x.test'] }],
  // sendmail and Postfix's sendmail stop at the first recipient (getopt "+"): what follows is a recipient.
  ['options after a recipient are recipients', ['a@x.test', '-oi'], { recipients: ['a@x.test', '-oi'], ignoreDots: false }],
  ['a policy option after a recipient is a recipient', ['a@x.test', '--on-violation=warn'], { recipients: ['a@x.test', '--on-violation=warn'], callerPolicyOptions: [] }],
  // The caller never sets policy: named (to warn) and dropped, values included.
  ['PHP mail() fifth argument', ['-t', '-i', '-f', 'x@corp.example', '--on-violation=warn'], { sender: 'x@corp.example', callerPolicyOptions: ['--on-violation'], recipients: [] }],
  ['mailguard long options are not applied', ['--smtp', 'smtp://127.0.0.1:25', '--on-violation=split', '--via-sendmail', '/usr/sbin/sendmail', '--spool', '/tmp/s', '--config', 'c.json', 'a@x.test'], { callerPolicyOptions: ['--smtp', '--on-violation', '--via-sendmail', '--spool', '--config'], recipients: ['a@x.test'] }],
  ['policy flags are not applied', ['--internal-domain', 'corp.example,corp.test', '--block-at', '3', '--sensitive', '--rule', 'EXPOSED_RECIPIENTS=off', '--trusted-domain=x.test', 'a@x.test'], { callerPolicyOptions: ['--internal-domain', '--block-at', '--sensitive', '--rule', '--trusted-domain'], recipients: ['a@x.test'] }],
  ['--help', ['--help'], { help: true }],
  // DSN (RFC 3461) requests, carried to the relay or the real sendmail, as Postfix's sendmail does.
  ['mutt with $dsn_notify and $dsn_return', ['-oem', '-oi', '-N', 'success,failure', '-R', 'hdrs', '--', 'a@x.test'], { dsn: { notify: ['SUCCESS', 'FAILURE'], ret: 'HDRS' }, recipients: ['a@x.test'] }],
  ['-N never, -V envid, -R full', ['-Nnever', '-V', 'env-1', '-R', 'FULL', 'a@x.test'], { dsn: { notify: ['NEVER'], envid: 'env-1', ret: 'FULL' } }],
  ['-N with spaces (Postfix: "delay, failure")', ['-N', 'delay, failure', 'a@x.test'], { dsn: { notify: ['DELAY', 'FAILURE'] } }],
  ['no DSN options: none asked', ['-i', 'a@x.test'], { dsn: {} }],
];

describe('parseSendmailArgs', () => {
  it.each(cases)('%s', (_name, argv, expected) => {
    expect(parseSendmailArgs(argv)).toMatchObject(expected);
  });

  it('keeps no policy, relay or delivery setting from the command line', () => {
    const parsed = parseSendmailArgs(['--on-violation=warn', '--smtp', 'smtp://evil.test', '--via-sendmail=/bin/sh', '--rule', 'EXPOSED_RECIPIENTS=off', '--config', '/tmp/c.json', 'a@x.test']) as unknown as Record<string, unknown>;
    for (const key of ['onViolation', 'smtp', 'viaSendmail', 'rule', 'config', 'spool', 'blockAt', 'internalDomain', 'trustedDomain', 'sensitive']) expect(parsed[key], key).toBeUndefined();
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['-bp (mailq)', ['-bp'], /-bp is not supported/],
    ['-bd (daemon)', ['-bd'], /-bd is not supported/],
    // -bs takes the envelope from the SMTP dialogue: a second source is refused, not merged.
    ['-bs with -t', ['-bs', '-t'], /-t cannot be given with it/],
    ['-bs with -f', ['-bs', '-f', 'a@x.test'], /-f cannot be given with it/],
    ['-bs with recipients', ['-bs', 'a@x.test'], /recipients on the command line cannot be given with it/],
    ['-q (queue run)', ['-q30m'], /queue runs/],
    ['-q alone (a queue run now, as cron jobs of sendmail 8 call it)', ['-q'], /queue runs/],
    ['-q before a word (never its value)', ['-q', '-v'], /queue runs/],
    ['unknown letter', ['-Z'], /unknown sendmail option -Z/],
    ['-f without a value', ['-f'], /-f needs a value/],
    ['unknown long option', ['--bogus'], /unknown option --bogus/],
    ['-N with an unknown value', ['-N', 'sometimes', 'a@x.test'], /-N sometimes/],
    ['-N never with another', ['-N', 'never,success', 'a@x.test'], /-N never,success/],
    ['-R with an unknown value', ['-R', 'body', 'a@x.test'], /-R body/],
    ['-V longer than 100 characters (RFC 3461 ENVID)', ['-V', 'x'.repeat(101), 'a@x.test'], /-V/],
    // -I is sendmail's and Postfix's "initialise the alias database" (newaliases), not a flag to ignore.
    ['-I (newaliases)', ['-I'], /-I \(newaliases\) is not supported/],
  ];
  it.each(usage)('refuses %s with EUSAGE', (_name, argv, message) => {
    let caught: unknown;
    try {
      parseSendmailArgs(argv);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MailguardError);
    expect((caught as MailguardError).code).toBe('EUSAGE');
    expect((caught as MailguardError).message).toMatch(message);
  });

  // Installed as sendmail, mailguard is reached through the MTA's links to it too (Debian:
  // /usr/bin/mailq and /usr/bin/newaliases -> ../sbin/sendmail); sendmail and Postfix read those
  // names as modes, whatever the arguments, and so must it, before waiting for a message on stdin.
  it.each([
    ['mailq', [], /mailq \(sendmail -bp\) is not supported/],
    ['newaliases', [], /newaliases \(sendmail -bi\) is not supported/],
    ['hoststat', [], /hoststat \(sendmail -bh\) is not supported/],
    ['purgestat', [], /purgestat \(sendmail -bH\) is not supported/],
    ['mailq', ['-v'], /mailq \(sendmail -bp\) is not supported/],
  ])('run as %s %j: EUSAGE naming the MTA mode', (name, argv, message) => {
    expect(() => parseSendmailArgs(argv, name)).toThrow(message);
  });

  it('the names sendmail is usually run as keep their meaning', () => {
    for (const name of ['sendmail', 'mailguard-sendmail', 'mailguard-sendmail.js', 'sendmail.mailguard']) expect(parseSendmailArgs(['-t'], name).extractRecipients).toBe(true);
  });

  it('-q\'s hint names the system configuration\'s spool, never --spool (ignored from the caller)', () => {
    let caught: MailguardError | undefined;
    try {
      parseSendmailArgs(['-q']);
    } catch (err) {
      caught = err as MailguardError;
    }
    expect(caught?.hint).toContain('"sendmail": { "spool" } in the system configuration');
    expect(caught?.hint).not.toContain('--spool');
  });

  it('-bs is SMTP on stdin and stdout, with Laravel\'s -i accepted; the last -b wins', () => {
    expect(parseSendmailArgs(['-bs']).smtpOnStdio).toBe(true);
    expect(parseSendmailArgs(['-bs', '-i']).smtpOnStdio).toBe(true);
    expect(parseSendmailArgs(['-bs', '-bm', 'a@x.test']).smtpOnStdio).toBe(false);
    expect(parseSendmailArgs(['-t']).smtpOnStdio).toBe(false);
  });
});
