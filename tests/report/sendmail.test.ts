// The drop-in sendmail's stderr, notice by notice: each names the program, masks every recipient
// address (stderr ends in cron mail and logs), and debug notices are marked as such.
import { describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import type { Finding } from '../../src/findings.js';
import { formatSendmailNotice, formatSendmailReplyLines, formatSpoolRecord, isDebugNotice, spoolBlockedDetail, temporarilyRefused, type SendmailNotice } from '../../src/report/sendmail.js';

const exposed: Finding = {
  code: 'EXPOSED_RECIPIENTS',
  severity: 'error',
  line: 2,
  args: { externalAddresses: 6, parties: 6, threshold: 3, trigger: 'parties', fields: ['to'], examples: ['anna.x@customer1.test'], sensitive: false },
};
const bccWarning: Finding = { code: 'BCC_HEADER_PRESENT', severity: 'warning', line: 4, args: { field: 'bcc', count: 1, context: 'in-transit' } };

describe('formatSendmailNotice', () => {
  it.each<[SendmailNotice, string]>([
    [{ kind: 'blocked', blocking: [exposed], reason: { code: 'policy' }, onViolation: 'block' }, 'mailguard-sendmail: message not sent: blocked by policy.\n  EXPOSED_RECIPIENTS: 6 external addresses from 6 organisations'],
    [{ kind: 'blocked', blocking: [exposed], reason: { code: 'rewrite-refused', detail: 'the message is being resent.' }, onViolation: 'bcc' }, '  The bcc rewrite was not done: the message is being resent.\n'],
    [{ kind: 'warned', findings: [exposed] }, 'mailguard-sendmail: sent although it violates the policy (onViolation: warn):\n  EXPOSED_RECIPIENTS:'],
    [{ kind: 'rewritten', strategy: 'bcc', moved: 1 }, 'mailguard-sendmail: moved 1 external recipient to Bcc before sending (onViolation: bcc).\n'],
    [{ kind: 'rewritten', strategy: 'split', copies: 7 }, 'mailguard-sendmail: split into 7 messages, one per recipient (onViolation: split).\n'],
    [{ kind: 'unreadable' }, 'mailguard-sendmail: message not sent: not a message.\n'],
    [{ kind: 'kept', file: '/var/spool/x.eml' }, 'mailguard-sendmail: kept a copy in /var/spool/x.eml\n'],
    [{ kind: 'not-kept', spool: '/var/spool', problem: 'EACCES' }, 'mailguard-sendmail: could not keep a copy in /var/spool: EACCES\n'],
    [{ kind: 'caller-policy-option', option: '--smtp', configPath: '/etc/mailguard/sendmail.json' }, 'mailguard-sendmail: ignoring --smtp: the drop-in sendmail takes its policy, relay and delivery program only from its system configuration (/etc/mailguard/sendmail.json)'],
    [{ kind: 'read', bytes: 120, ignoreDots: false }, 'mailguard-sendmail: read 120 bytes (a lone "." ends the message)\n'],
    [{ kind: 'envelope', mailFrom: 'dev@corp.example', recipients: 2 }, 'mailguard-sendmail: envelope: from d***@corp.example, 2 recipients\n'],
    [{ kind: 'envelope', mailFrom: '', recipients: 1 }, 'mailguard-sendmail: envelope: from <>, 1 recipient\n'],
    [{ kind: 'warning', finding: bccWarning }, 'mailguard-sendmail: warning: BCC_HEADER_PRESENT:'],
    [{ kind: 'setup', configPath: undefined, systemPath: '/etc/mailguard/sendmail.json', onViolation: 'split', transport: 'binary', label: '/usr/sbin/sendmail.real' }, 'policy from defaults (no /etc/mailguard/sendmail.json); on violation: split; delivery: sendmail binary /usr/sbin/sendmail.real\n'],
    [{ kind: 'delivered', messages: 1, via: 'smtp://127.0.0.1:25' }, 'mailguard-sendmail: delivered 1 message via smtp://127.0.0.1:25\n'],
  ])('%j', (notice, expected) => {
    expect(formatSendmailNotice(notice)).toContain(expected);
    expect(formatSendmailNotice(notice).endsWith('\n')).toBe(true);
  });

  it('the block hint is given only when the mode is block', () => {
    expect(formatSendmailNotice({ kind: 'blocked', blocking: [exposed], reason: { code: 'policy' }, onViolation: 'block' })).toContain('set "onViolation": "bcc" or "split"');
    expect(formatSendmailNotice({ kind: 'blocked', blocking: [exposed], reason: { code: 'policy' }, onViolation: 'warn' })).not.toContain('set "onViolation"');
  });

  it('the block hint names the system configuration, never --on-violation (the drop-in ignores it from the caller)', () => {
    const text = formatSendmailNotice({ kind: 'blocked', blocking: [exposed], reason: { code: 'policy' }, onViolation: 'block' });
    expect(text).toContain('in the "sendmail" section of the system configuration');
    expect(text).not.toContain('--on-violation');
  });

  it('refused recipients: masked, with the reply masked too; "for now" when every reply is 4xx', () => {
    const refused = [{ address: 'anna.x@customer1.test', response: '550 5.1.1 <anna.x@customer1.test>: unknown' }];
    const text = formatSendmailNotice({ kind: 'refused-recipients', refused, accepted: 2 });
    expect(text).toBe('mailguard-sendmail: the relay refused 1 recipient; 2 others received the message:\n  a***@customer1.test: 550 5.1.1 <a***@customer1.test>: unknown\n');
    const later = formatSendmailNotice({ kind: 'refused-recipients', refused: [{ address: 'b@x.test', response: ' 451 later' }], accepted: 0 });
    expect(later).toContain('refused 1 recipient for now; nobody received the message:');
    expect(temporarilyRefused([{ response: '451 x' }, { response: '450 y' }])).toBe(true);
    expect(temporarilyRefused([{ response: '451 x' }, { response: '550 y' }])).toBe(false);
  });

  it('errors: the relay reply masked, the hint under it, how far a split got, and that nothing was lost on 75', () => {
    const relay = new MailguardError('ERELAY', 'relay said 550 <anna.x@customer1.test> no', { hint: 'Check the relay.' });
    expect(formatSendmailNotice({ kind: 'error', error: relay })).toBe('mailguard-sendmail: relay said 550 <a***@customer1.test> no\n  Check the relay.\n');
    const during = formatSendmailNotice({ kind: 'error', error: relay, delivery: { delivered: 2, total: 5, tempfail: true } });
    expect(during).toContain('mailguard-sendmail: message not delivered (2 of 5 copies were delivered before the failure): relay said');
    expect(during).toContain('  Nothing was lost: the caller gets status 75 (try again later).\n');
    expect(formatSendmailNotice({ kind: 'error', error: relay, delivery: { delivered: 0, total: 1, tempfail: false } })).not.toContain('Nothing was lost');
    expect(formatSendmailNotice({ kind: 'error', error: new TypeError('boom') })).toContain('internal error: TypeError: boom');
    const unexpected = formatSendmailNotice({ kind: 'error', error: new TypeError('no envelope for anna.x@customer1.test') });
    expect(unexpected).toContain('internal error: TypeError: no envelope for a***@customer1.test');
    expect(unexpected).not.toContain('anna.x');
  });

  it('75 with no spool: no claim that nothing was lost; it says no copy was kept', () => {
    const relay = new MailguardError('ERELAY', 'connect ECONNREFUSED');
    const text = formatSendmailNotice({ kind: 'error', error: relay, delivery: { delivered: 0, total: 1, tempfail: true, spool: false } });
    expect(text).not.toContain('Nothing was lost');
    expect(text).toContain('No copy was kept (no "spool" is configured): a caller that does not retry (cron, PHP mail()) loses the message.\n');
    expect(formatSendmailNotice({ kind: 'error', error: relay, delivery: { delivered: 0, total: 1, tempfail: true, spool: true } })).toContain('Nothing was lost');
  });

  it('-v/--debug notices are the notes, never the refusals', () => {
    expect(isDebugNotice({ kind: 'read', bytes: 1, ignoreDots: true })).toBe(true);
    expect(isDebugNotice({ kind: 'warning', finding: bccWarning })).toBe(true);
    expect(isDebugNotice({ kind: 'blocked', blocking: [], reason: undefined, onViolation: 'block' })).toBe(false);
    expect(isDebugNotice({ kind: 'refused-recipients', refused: [], accepted: 0 })).toBe(false);
  });
});

describe('spool record', () => {
  it('version, time, then the record as given', () => {
    const text = formatSpoolRecord({ reason: 'blocked', detail: spoolBlockedDetail({ code: 'policy' }), findings: ['EXPOSED_RECIPIENTS'], exitStatus: 65 }, new Date(Date.UTC(2026, 10, 2)));
    expect(text).toBe('{\n  "version": 1,\n  "time": "2026-11-02T00:00:00.000Z",\n  "reason": "blocked",\n  "detail": "blocked by policy",\n  "findings": [\n    "EXPOSED_RECIPIENTS"\n  ],\n  "exitStatus": 65\n}\n');
    expect(spoolBlockedDetail({ code: 'no-sender' })).toBe('no envelope sender: the message has no readable From');
  });
});

describe('formatSendmailReplyLines (-bs: what the SMTP client is told)', () => {
  const relay = new MailguardError('ERELAY', 'relaying failed for now at RCPT TO: 451 <anna.x@customer1.test> later', { hint: 'Is the relay running?' });
  const refused = (address: string, response: string) => ({ address, response });
  it.each<[string, SendmailNotice, string[]]>([
    ['an internal error: no stack, no text', { kind: 'error', error: new TypeError('no envelope for anna.x@customer1.test') }, ['mailguard-sendmail: message not sent: internal error (a bug in mailguard).']],
    ['a relay error: masked, with its hint, no exit status advice', { kind: 'error', error: relay, delivery: { delivered: 0, total: 1, tempfail: true, spool: false } }, ['mailguard-sendmail: message not sent: relaying failed for now at RCPT TO: 451 <a***@customer1.test> later', 'Is the relay running?']],
    [
      'a split stopped part-way',
      { kind: 'error', error: relay, delivery: { delivered: 2, total: 3, tempfail: true, remembered: true } },
      ['mailguard-sendmail: message not delivered (2 of 3 copies were delivered before the failure): relaying failed for now at RCPT TO: 451 <a***@customer1.test> later', 'Is the relay running?', 'A retry sends only the copies not yet delivered.'],
    ],
    [
      'refused for good for some, taken by the others',
      { kind: 'refused-recipients', refused: [refused('anna.x@customer1.test', '550 5.1.1 <anna.x@customer1.test> unknown'), refused('bert@customer2.test', '553 no')], accepted: 3 },
      ['mailguard-sendmail: message delivered to 3 of 5 recipients only: the relay refused 2 for good (550, 553).', "Do not send it again to all recipients: the 3 who have it would get it twice. Which addresses were refused is in mailguard-sendmail's log (stderr)."],
    ],
    [
      'refused for now for some, taken by the others',
      { kind: 'refused-recipients', refused: [refused('anna.x@customer1.test', '450 later')], accepted: 1, remembered: true },
      ['mailguard-sendmail: message delivered to 1 of 2 recipients only: the relay refused 1 for now (450).', 'A retry sends it only to the recipients not yet delivered.'],
    ],
    [
      'refused for good and for now, taken by the others: a retry is asked for',
      { kind: 'refused-recipients', refused: [refused('anna.x@customer1.test', '550 no'), refused('bert@customer2.test', '451 later')], accepted: 1, remembered: true },
      ['mailguard-sendmail: message delivered to 1 of 3 recipients only: the relay refused 1 for good and 1 for now (451, 550).', 'A retry sends it only to the recipients not yet delivered.'],
    ],
    ['its only recipient refused', { kind: 'refused-recipients', refused: [refused('anna.x@customer1.test', '550 no')], accepted: 0 }, ['mailguard-sendmail: message not sent: the relay refused its recipient for good (550).']],
    [
      'every recipient refused, some for now',
      { kind: 'refused-recipients', refused: [refused('anna.x@customer1.test', '550 no'), refused('bert@customer2.test', '451 later')], accepted: 0 },
      ['mailguard-sendmail: message not sent: the relay refused all 2 recipients, 1 for good and 1 for now (451, 550).'],
    ],
    ['a reply without a code', { kind: 'refused-recipients', refused: [refused('anna.x@customer1.test', 'connection lost')], accepted: 0 }, ['mailguard-sendmail: message not sent: the relay refused its recipient for good (no code).']],
    ['blocked: as on stderr', { kind: 'blocked', blocking: [exposed], reason: { code: 'policy' }, onViolation: 'warn' }, ['mailguard-sendmail: message not sent: blocked by policy.', expect.stringMatching(/^EXPOSED_RECIPIENTS: /) as unknown as string]],
    ['where a copy was kept is not the client\'s business', { kind: 'kept', file: '/var/spool/x.eml' }, []],
    ['debug notes are not reasons', { kind: 'read', bytes: 1, ignoreDots: true }, []],
  ])('%s', (_name, notice, lines) => {
    expect(formatSendmailReplyLines(notice)).toEqual(lines);
    expect(formatSendmailReplyLines(notice).join('\n')).not.toMatch(/anna\.x|bert@/);
  });
});
