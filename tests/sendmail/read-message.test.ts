import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { readSendmailMessage } from '../../src/sendmail/read-message.js';

async function* chunked(text: string | Buffer, sizes: number[] = []): AsyncIterable<Uint8Array> {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  let pos = 0;
  for (const n of sizes) {
    if (pos >= buf.length) break;
    yield buf.subarray(pos, pos + n);
    pos += n;
  }
  if (pos < buf.length) yield buf.subarray(pos);
}

const read = async (text: string, ignoreDots: boolean, sizes?: number[]) => Buffer.from(await readSendmailMessage(chunked(text, sizes), { ignoreDots })).toString('latin1');

/** The rule, written the obvious way: the message ends before the first line that is "." or ".\r". */
function reference(text: string, ignoreDots: boolean): string {
  if (ignoreDots) return text;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const line = text.slice(start, nl === -1 ? undefined : nl);
    if (line === '.' || line === '.\r') return text.slice(0, start);
    if (nl === -1) return text;
    start = nl + 1;
  }
}

describe('readSendmailMessage', () => {
  const cases: Array<[string, string, boolean, string]> = [
    ['lone dot ends the message', 'To: a@x.test\n\nbody\n.\nnot part\n', false, 'To: a@x.test\n\nbody\n'],
    ['lone dot with CRLF', 'To: a@x.test\r\n\r\nbody\r\n.\r\nrest', false, 'To: a@x.test\r\n\r\nbody\r\n'],
    ['-i: a lone dot is data', 'To: a@x.test\n\nbody\n.\nmore\n', true, 'To: a@x.test\n\nbody\n.\nmore\n'],
    ['dot at end of input without newline', 'To: a@x.test\n\nbody\n.', false, 'To: a@x.test\n\nbody\n'],
    ['".." is kept as written (no unstuffing, like Postfix)', 'To: a@x.test\n\n..\n.x\n', false, 'To: a@x.test\n\n..\n.x\n'],
    ['" ." and ". " are not lone dots', 'To: a@x.test\n\n .\n. \n', false, 'To: a@x.test\n\n .\n. \n'],
    ['dot on the first line', '.\nTo: a@x.test\n', false, ''],
    ['no dot: read to end', 'To: a@x.test\n\nbody', false, 'To: a@x.test\n\nbody'],
  ];
  it.each(cases)('%s', async (_name, input, ignoreDots, expected) => {
    expect(await read(input, ignoreDots)).toBe(expected);
    // One byte at a time: every chunk boundary.
    expect(await read(input, ignoreDots, Array(input.length).fill(1))).toBe(expected);
  });

  it('matches the line rule for any text cut into any chunks', async () => {
    const alphabet = fc.constantFrom('.', '\n', '\r', 'a', ' ');
    await fc.assert(
      fc.asyncProperty(fc.array(alphabet, { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 20 }), fc.boolean(), async (chars, sizes, ignoreDots) => {
        const text = chars.join('');
        expect(await read(text, ignoreDots, sizes)).toBe(reference(text, ignoreDots));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a message over the size limit with EINPUT', async () => {
    const err = await readSendmailMessage(chunked('x'.repeat(100), [10, 10, 10]), { ignoreDots: true, maxBytes: 25 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailguardError);
    expect((err as MailguardError).code).toBe('EINPUT');
  });
});
