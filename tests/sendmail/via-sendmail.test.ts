// viaSendmail (src/sendmail/via-sendmail.ts) when the real sendmail does not finish: a binary that
// ignores SIGTERM is killed after a grace period, and the caller (or a -bs client) gets a
// temporary failure that says the message may have been taken. The built bin is spawned with a
// fake "sendmail" that traps SIGTERM and leaves a child holding its stderr open.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSendmail, scratchDir } from './run-sendmail.js';

const POLICY = { internalDomains: ['corp.example'] };
const MESSAGE = 'From: app@corp.example\r\nTo: colleague@corp.example\r\nSubject: hi\r\n\r\nhello\r\n';

let scratch: Awaited<ReturnType<typeof scratchDir>> | undefined;
afterEach(async () => {
  // The fake's background sleep outlives it (it holds the pipe the drop-in no longer waits for).
  const pid = await readFile(path.join(scratch!.dir, 'sleep.pid'), 'utf8').catch(() => '');
  if (pid.trim()) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await scratch?.cleanup();
  scratch = undefined;
});

/** A sendmail that reads the message, ignores SIGTERM and waits on a child holding stderr. */
async function stubbornSendmail(): Promise<string> {
  scratch = await scratchDir();
  const script = path.join(scratch.dir, 'stubborn-sendmail.sh');
  await writeFile(script, `#!/bin/sh\ntrap '' TERM\ncat > '${scratch.dir}/taken.eml'\nsleep 60 &\necho $! > '${scratch.dir}/sleep.pid'\nwait $!\nexit 0\n`, { mode: 0o755 });
  await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, sendmail: { viaSendmail: script, viaSendmailTimeout: 1 } }));
  return script;
}

describe('viaSendmail past its timeout, with a binary that ignores SIGTERM', () => {
  it('piped in: SIGKILL after the grace period, status 75, the outcome said to be unknown', async () => {
    const script = await stubbornSendmail();
    const started = Date.now();
    const r = await runSendmail(['-i', 'colleague@corp.example'], { input: MESSAGE, cwd: scratch!.dir });
    expect(r.code).toBe(75);
    // 1 s timeout, 5 s grace: well before the fake's 60 s sleep or the harness's 25 s.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stderr).toContain(`mailguard-sendmail: outcome unknown: ${script} did not finish within 1 s and was killed (SIGKILL: it was still running 5 s after SIGTERM); it may have taken the message`);
    expect(r.stderr).toContain('if the message was taken, the retry sends it again');
    expect(r.stderr).not.toContain('Nothing was lost');
  });

  it('-bs: 451 to the final dot, the session goes on to QUIT, status 75', async () => {
    await stubbornSendmail();
    const r = await runSendmail(['-bs'], {
      input: `EHLO a.example\r\nMAIL FROM:<app@corp.example>\r\nRCPT TO:<colleague@corp.example>\r\nDATA\r\n${MESSAGE}.\r\nQUIT\r\n`,
      cwd: scratch!.dir,
    });
    expect(r.code).toBe(75);
    const codes = r.stdout.split('\r\n').filter((l) => /^\d{3} /.test(l)).map((l) => l.slice(0, 3));
    expect(codes).toEqual(['220', '250', '250', '250', '354', '451', '221']);
    expect(r.stdout).toContain('451-4.0.0 mailguard-sendmail: outcome unknown: ');
    expect(r.stdout).not.toContain('message not sent');
  });
});
