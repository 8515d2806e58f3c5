// -bs DATA (src/sendmail/smtp-stdio.ts) when reading the data fails, in process: past the size
// limit the client gets 552 (its message is too large); any other failure of the reader (made to
// throw here, a bug stands for any) is not the client's doing: 451 4.3.0, nothing quoted, status 70.
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SendmailNotice } from '../../src/report/sendmail.js';

// Imported afresh after the mock is registered: test files share their worker's modules
// (vitest.config.ts, isolate: false), and a session module another file loaded first would not
// see the mock.
let runSmtpSession: typeof import('../../src/sendmail/smtp-stdio.js').runSmtpSession;
let formatSendmailNotice: typeof import('../../src/report/sendmail.js').formatSendmailNotice;
beforeAll(async () => {
  vi.resetModules();
  ({ runSmtpSession } = await import('../../src/sendmail/smtp-stdio.js'));
  ({ formatSendmailNotice } = await import('../../src/report/sendmail.js'));
});

let failure: Error | undefined;
vi.mock('../../src/sendmail/read-message.js', async (importActual) => {
  const actual = await importActual<typeof import('../../src/sendmail/read-message.js')>();
  return {
    ...actual,
    readUntilLoneDot: (...args: Parameters<typeof actual.readUntilLoneDot>) => (failure ? Promise.reject(failure) : actual.readUntilLoneDot(...args)),
  };
});
afterEach(() => {
  failure = undefined;
});
// Leave the worker's modules unmocked for the files after this one.
afterAll(() => {
  vi.doUnmock('../../src/sendmail/read-message.js');
  vi.resetModules();
});

const MESSAGE = 'From: app@corp.example\r\nTo: jane.doe@customer1.test\r\nSubject: hi\r\n\r\nhello, a line long enough to pass the limit\r\n';

/** Each piece is written once the session has read what came before (a chunk of stdin each). */
async function session(pieces: string[], maxMessageBytes = 1024) {
  const stdin = new PassThrough();
  let out = '';
  const notices: SendmailNotice[] = [];
  const delivered: unknown[] = [];
  const done = runSmtpSession(
    { stdin, stdout: (t) => (out += t) },
    { hostname: 'test.example', say: (n) => notices.push(n), deliver: async (raw) => (delivered.push(raw), 0), maxMessageBytes, idleTimeoutMs: 60_000 },
  );
  for (const piece of pieces) {
    stdin.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stdin.end();
  const status = await done;
  return { status, out, notices, delivered, replies: out.split('\r\n').filter((l) => l !== '' && !/^\d{3}-/.test(l)) };
}

// The size is checked as each chunk of data arrives: the message comes apart from its final dot.
const DIALOGUE = ['EHLO a.example\r\nMAIL FROM:<app@corp.example>\r\nRCPT TO:<jane.doe@customer1.test>\r\nDATA\r\n', MESSAGE, '.\r\nQUIT\r\n'];

describe('-bs: reading DATA fails', () => {
  it('past the size limit: 552 5.3.4, the session closes, nothing delivered, status 65', async () => {
    const r = await session(DIALOGUE, 64);
    expect(r.replies.map((l) => l.slice(0, 3))).toEqual(['220', '250', '250', '250', '354', '552']);
    expect(r.out).toContain('552 5.3.4 message larger than 64 bytes; closing');
    expect(r.status).toBe(65);
    expect(r.delivered).toEqual([]);
  });

  it('any other error: 451 4.3.0 internal error (not "larger than"), the session closes, status 70, stderr masked', async () => {
    failure = new TypeError('cannot read properties of undefined (while reading data for jane.doe@customer1.test)');
    const r = await session(DIALOGUE);
    expect(r.replies.map((l) => l.slice(0, 3))).toEqual(['220', '250', '250', '250', '354', '451']);
    expect(r.out).toContain('451-4.3.0 mailguard-sendmail: message not sent: internal error (a bug in mailguard).');
    expect(r.out).not.toContain('larger than');
    expect(r.out).not.toContain('jane');
    expect(r.status).toBe(70);
    expect(r.delivered).toEqual([]);
    // stderr (the drop-in's say) has the error, its address masked.
    const stderr = r.notices.map(formatSendmailNotice).join('');
    expect(stderr).toContain('internal error: TypeError: cannot read properties of undefined (while reading data for j***@customer1.test)');
    expect(stderr).not.toContain('jane.doe@');
  });
});
