import { describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { RelayError } from '../../src/relay/index.js';
import { failureDetail, SYSEXIT, sysexitForDelivery } from '../../src/sendmail/exit-codes.js';

describe('sysexitForDelivery', () => {
  const cases: Array<[string, unknown, number]> = [
    ['connection refused (transient, no code)', new RelayError('down', { transient: true }), SYSEXIT.TEMPFAIL],
    ['451 greylisting', new RelayError('later', { transient: true, responseCode: 451 }), SYSEXIT.TEMPFAIL],
    ['554 refused', new RelayError('no', { transient: false, responseCode: 554 }), SYSEXIT.UNAVAILABLE],
    ['535 bad credentials', new RelayError('auth', { transient: false, responseCode: 535 }), SYSEXIT.CONFIG],
    ['real sendmail exited 67', Object.assign(new MailguardError('ERELAY', 'x'), { exitStatus: 67, transient: false }), 67],
    ['real sendmail exited 1 (not a sysexit)', Object.assign(new MailguardError('ERELAY', 'x'), { exitStatus: 1, transient: false }), SYSEXIT.TEMPFAIL],
    ['an error with nothing known', new MailguardError('ERELAY', 'x'), SYSEXIT.TEMPFAIL],
  ];
  it.each(cases)('%s', (_name, err, status) => {
    expect(sysexitForDelivery(failureDetail(err))).toBe(status);
  });
});
