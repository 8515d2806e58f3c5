// The -bs session itself (src/sendmail/smtp-stdio.ts), in process: what no spawned drop-in can be
// made to do on demand (a deliver that throws, a silent client past the idle timeout, stdin that
// fails). The dialogue with the built bin is in bs-mode.test.ts.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/message/envelope.js';
import type { SendmailNotice } from '../../src/report/sendmail.js';
import { runSmtpSession, type SmtpSessionOptions } from '../../src/sendmail/smtp-stdio.js';

const MESSAGE = 'From: app@corp.example\r\nTo: jane.doe@customer1.test\r\nSubject: hi\r\n\r\nhello\r\n.\r\n';

/** A session on a real stream as stdin (an async iterator like process.stdin's), its replies as codes. */
function startSession(deliver: SmtpSessionOptions['deliver'], idleTimeoutMs = 60_000) {
  const stdin = new PassThrough();
  let out = '';
  const notices: SendmailNotice[] = [];
  const done = runSmtpSession({ stdin, stdout: (t) => (out += t) }, { hostname: 'test.example', say: (n) => notices.push(n), deliver, idleTimeoutMs });
  return {
    stdin,
    notices,
    done,
    get replies(): string[] {
      return out.split('\r\n').filter((l) => l !== '' && !/^\d{3}-/.test(l));
    },
    get out(): string {
      return out;
    },
  };
}

/** Resolves with the session's exit status, or 'hung' when it has not ended within `ms`. */
const ended = (done: Promise<number>, ms = 3_000) => Promise.race([done, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

describe('-bs session', () => {
  it('deliver throws: 451 4.3.0 without the error text, the session goes on (RSET, another message), exit 70', async () => {
    let calls = 0;
    const delivered: Envelope[] = [];
    const s = startSession(async (_raw, envelope) => {
      if (calls++ === 0) throw new Error('spool write failed for jane.doe@customer1.test');
      delivered.push(envelope);
      return 0;
    });
    s.stdin.write(`EHLO a.example\r\nMAIL FROM:<app@corp.example>\r\nRCPT TO:<jane.doe@customer1.test>\r\nDATA\r\n${MESSAGE}RSET\r\n`);
    s.stdin.write(`MAIL FROM:<app@corp.example>\r\nRCPT TO:<jane.doe@customer1.test>\r\nDATA\r\n${MESSAGE}QUIT\r\n`);
    expect(await ended(s.done)).toBe(70);
    expect(s.replies.map((l) => l.slice(0, 3))).toEqual(['220', '250', '250', '250', '354', '451', '250', '250', '250', '354', '250', '221']);
    const failed = s.out.split('\r\n').filter((l) => l.startsWith('451'));
    expect(failed).toEqual([
      '451-4.3.0 mailguard-sendmail: message not sent: internal error (a bug in mailguard).',
      "451 4.3.0 Message not taken: try again later (the details are in mailguard-sendmail's log on stderr).",
    ]);
    expect(s.out).not.toContain('jane');
    // The error itself goes to stderr (the drop-in's say), for the administrator.
    expect(s.notices.filter((n) => n.kind === 'error')).toHaveLength(1);
    expect(delivered).toEqual([{ mailFrom: 'app@corp.example', rcptTo: ['jane.doe@customer1.test'] }]);
  });

  it.each([
    ['between transactions', 'EHLO a.example\r\n', 0],
    ['inside a transaction', 'EHLO a.example\r\nMAIL FROM:<app@corp.example>\r\nRCPT TO:<jane.doe@customer1.test>\r\n', 75],
    ['inside DATA', `EHLO a.example\r\nMAIL FROM:<app@corp.example>\r\nRCPT TO:<jane.doe@customer1.test>\r\nDATA\r\nSubject: hi\r\n`, 75],
  ])('a client silent past the idle timeout %s: 421, the session ends and stdin is closed (the process can exit)', async (_name, input, status) => {
    const s = startSession(async () => 0, 200);
    s.stdin.write(input);
    expect(await ended(s.done)).toBe(status);
    expect(s.replies.at(-1)).toBe('421 4.4.2 test.example idle too long; closing');
    expect(s.stdin.destroyed).toBe(true);
  });

  it('stdin fails in the middle of a transaction: no crash, nothing sent, exit 75', async () => {
    let called = false;
    const s = startSession(async () => {
      called = true;
      return 0;
    });
    s.stdin.write(`EHLO a.example\r\nMAIL FROM:<app@corp.example>\r\nRCPT TO:<jane.doe@customer1.test>\r\nDATA\r\nSubject: hi\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    s.stdin.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' }));
    expect(await ended(s.done)).toBe(75);
    expect(called).toBe(false);
    expect(s.replies.at(-1)?.slice(0, 3)).toBe('354');
  });
});
