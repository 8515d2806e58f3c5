// formatErrorText (src/report/error-text.ts): the one way an error reads on stderr.
import { describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { formatErrorText } from '../../src/report/error-text.js';

describe('formatErrorText', () => {
  it.each([
    ['a known error: message masked, hint (mailguard\'s own example) kept', new MailguardError('EUSAGE', '"jane.doe@customer1.test>" is not a recipient address.', { hint: 'Give addresses such as user@example.org.' }), {}, 'mg: "j***@customer1.test>" is not a recipient address.\n  Give addresses such as user@example.org.\n'],
    ['a relay error, with the prefix', new MailguardError('ERELAY', '550 5.1.1 <jane.doe@customer1.test>: unknown'), { prefix: 'message not delivered: ' }, 'mg: message not delivered: 550 5.1.1 <j***@customer1.test>: unknown\n'],
    ['adapt runs before the mask', new MailguardError('EUSAGE', 'run mailguard check'), { adapt: (t: string) => t.replace('mailguard', 'npx mailguard') }, 'mg: run npx mailguard check\n'],
  ])('%s', (_name, err, options, expected) => {
    expect(formatErrorText(err, { name: 'mg', ...options })).toBe(expected);
  });

  it('an internal error: its stack masked, no prefix', () => {
    const err = new TypeError('reading envelope of jane.doe@customer1.test');
    const text = formatErrorText(err, { name: 'mg', prefix: 'ignored: ' });
    expect(text.startsWith('mg: internal error: TypeError: reading envelope of j***@customer1.test\n')).toBe(true);
    expect(text).not.toContain('jane.doe@');
    expect(text.endsWith('  This is a bug; please report it with the command you ran.\n')).toBe(true);
  });
});
