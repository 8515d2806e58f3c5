// An error no step of checkAndDeliver (src/cli/actions/sendmail.ts) expects, in process: the memory
// of delivered copies is made to throw (a bug stands for any). Piped in, the drop-in still ends
// with a sysexit; with -bs the client still gets its reply. The spawned bin meets real failures in
// bs-mode.test.ts (tests/helpers/sendmail-faults.mjs).
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { scratchDir } from './run-sendmail.js';

// Imported afresh after the mock is registered: test files share their worker's modules
// (vitest.config.ts, isolate: false), and a drop-in module another file loaded first would not
// see the mock; afterwards the worker's modules are left unmocked for the files after this one.
let runSendmail: typeof import('../../src/cli/actions/sendmail.js').runSendmail;
beforeAll(async () => {
  vi.resetModules();
  ({ runSendmail } = await import('../../src/cli/actions/sendmail.js'));
});
afterAll(() => {
  vi.doUnmock('../../src/sendmail/delivered-copies.js');
  vi.resetModules();
});

vi.mock('../../src/sendmail/delivered-copies.js', () => ({
  deliveredCopiesDirectory: () => {
    throw new Error('unexpected failure for jane.doe@customer1.test');
  },
  openDeliveredCopies: () => {
    throw new Error('not reached');
  },
}));

const MESSAGE = 'From: app@corp.example\r\nTo: jane.doe@customer1.test, colleague@corp.example\r\nSubject: hi\r\n\r\nhello\r\n';

let scratch: Awaited<ReturnType<typeof scratchDir>> | undefined;
afterEach(async () => {
  await scratch?.cleanup();
  scratch = undefined;
});

async function run(args: string[], input: string) {
  // Port 9 (discard): the error comes before any connection.
  scratch = await scratchDir({ internalDomains: ['corp.example'], smtp: 'smtp://127.0.0.1:9' });
  let stdout = '';
  let stderr = '';
  const status = await runSendmail(args, {
    stdin: Readable.from([Buffer.from(input)]),
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { MAILGUARD_SENDMAIL_CONFIG: `${scratch.dir}/mailguard.config.json`, XDG_STATE_HOME: `${scratch.dir}/.state` },
    cwd: scratch.dir,
  });
  return { status, stdout, stderr };
}

describe('an unexpected error while a message is checked and delivered', () => {
  it('piped in: status 70 and the error on stderr, not an unhandled rejection', async () => {
    const r = await run(['-i', 'jane.doe@customer1.test', 'colleague@corp.example'], MESSAGE);
    expect(r.status).toBe(70);
    expect(r.stderr).toContain('internal error: Error: unexpected failure');
  });

  it('-bs: 451 4.3.0 to the final dot, the session goes on to QUIT, status 70', async () => {
    const r = await run(['-bs'], `EHLO a.example\r\nMAIL FROM:<app@corp.example>\r\nRCPT TO:<jane.doe@customer1.test>\r\nRCPT TO:<colleague@corp.example>\r\nDATA\r\n${MESSAGE}.\r\nRSET\r\nQUIT\r\n`);
    expect(r.status).toBe(70);
    const last = r.stdout.split('\r\n').filter((l) => /^\d{3} /.test(l));
    expect(last.map((l) => l.slice(0, 3))).toEqual(['220', '250', '250', '250', '250', '354', '451', '250', '221']);
    expect(last[6]).toMatch(/^451 4\.3\.0 Message not taken: try again later/);
    expect(r.stdout).toContain('451-4.3.0 mailguard-sendmail: message not sent: internal error (a bug in mailguard).');
    expect(r.stdout).not.toContain('jane');
  });
});
