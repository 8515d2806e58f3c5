// Recipient addresses on stderr and in the servers' logs, which end in cron mail, CI logs and
// journald: an error's text quotes what it handled (an option's value, a library's message, a
// relay's "550 5.1.1 <jane@x>: unknown"), and every such text goes through one function
// (src/report/error-text.ts) or, for the proxy's log, is masked with from and to. The built CLI
// is spawned as a user runs it; a full address of the person must not appear, its masked form must.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, runCli, runProcess } from '../helpers/cli.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';
import { killProxy, spawnProxy, type ProxyProcess } from '../e2e/proxy-process.js';
import { cleanEnv, runSendmail, scratchDir } from '../sendmail/run-sendmail.js';

const FULL = 'jane.doe@customer1.test';
const MASKED = 'j***@customer1.test';
const MESSAGE = 'From: app@corp.example\r\nTo: colleague@corp.example\r\nSubject: hi\r\n\r\nhello\r\n';
/** Refuses jane at RCPT, quoting her address as Postfix does. */
const REFUSING = { rcpt: (a: string) => (a.startsWith('jane') ? 550 : undefined), rcptText: (a: string) => `5.1.1 <${a}>: Recipient address rejected: User unknown in virtual mailbox table` };

let dir: string;
let sink: Sink | undefined;
let proxy: ProxyProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-stderr-'));
  await writeFile(path.join(dir, 'message.eml'), MESSAGE);
});
afterEach(async () => {
  await killProxy(proxy);
  proxy = undefined;
  await sink?.close();
  sink = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** The address appears only masked in `text`. */
function expectMasked(text: string): void {
  expect(text).toContain(MASKED);
  expect(text).not.toContain(FULL);
}

describe('stderr of a command that fails: addresses masked', () => {
  it('fix --to with a value that is not one address (a usage error quoting it): exit 2', async () => {
    const r = await runCli(['fix', path.join(dir, 'message.eml'), '--internal-domain', 'corp.example', '--to', `${FULL}, other@customer2.test`], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--to takes undisclosed, sender or one address');
    expectMasked(r.stderr);
    expect(r.stderr).not.toContain('other@customer2.test');
  });

  it("an address where commander expects something else (its own error message quotes it): exit 2", async () => {
    for (const args of [[FULL], ['check', '--format', FULL, 'message.eml']]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      // Quoted as '...': the quote is the character the mask keeps.
      expect(r.stderr).toContain("'***@customer1.test'");
      expect(r.stderr).not.toContain(FULL);
    }
  });

  it('send, when the relay library throws an error quoting an address (an internal error with its stack): exit 2', async () => {
    const env = { ...process.env, NO_COLOR: '1', NODE_OPTIONS: `--import=${path.join(ROOT, 'tests/helpers/sendmail-faults.mjs')}`, MAILGUARD_TEST_FAULT: 'relay-library' };
    const r = await runCli(['send', path.join(dir, 'message.eml'), '--internal-domain', 'corp.example', '--smtp', 'smtp://127.0.0.1:9'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mailguard: internal error: TypeError: cannot read properties of undefined (reading envelope of ');
    expectMasked(r.stderr);
  });

  it('mailguard-sendmail, a recipient it cannot deliver to (not a relay error): 64', async () => {
    const scratch = await scratchDir({ internalDomains: ['corp.example'], smtp: 'smtp://127.0.0.1:9' });
    try {
      const r = await runSendmail(['-i', '--', `${FULL}>`], { input: MESSAGE, cwd: scratch.dir });
      expect(r.code).toBe(64);
      expect(r.stderr).toContain('is not a recipient address mailguard can deliver to');
      expectMasked(r.stderr);
    } finally {
      await scratch.cleanup();
    }
  });
});

describe("the proxy's log when the upstream refuses a recipient, quoting the address", () => {
  it('reply and upstream fields masked on stdout, nothing on stderr; --log-addresses keeps them', async () => {
    sink = await startSink(REFUSING);
    for (const logAddresses of [false, true]) {
      proxy = await spawnProxy(['--upstream', sink.url, '--internal-domain', 'corp.example', ...(logAddresses ? ['--log-addresses'] : [])]);
      const client = nodemailer.createTransport({ host: '127.0.0.1', port: proxy.port, secure: false, ignoreTLS: true });
      const sent = await client.sendMail({ envelope: { from: 'app@corp.example', to: [FULL, 'colleague@corp.example'] }, raw: MESSAGE }).catch((err: Error) => err);
      // The client hears the upstream's reason (it named the recipient itself).
      expect(String(sent)).toContain(FULL);
      const t = await proxy.waitFor((e) => e.event === 'transaction');
      expect(t.action).toBe('refused-upstream');
      proxy.kill('SIGTERM');
      await proxy.exited;
      const log = proxy.events.map((e) => JSON.stringify(e)).join('\n');
      if (logAddresses) expect(log).toContain(`<${FULL}>: Recipient address rejected`);
      else {
        expectMasked(log);
        expect(t.upstream).toBe(`550 5.1.1 <${MASKED}>: Recipient address rejected: User unknown in virtual mailbox table`);
      }
      expect(proxy.stderr()).not.toContain(FULL);
    }
  });
});

// These paths masked the relay's reply before stderr had one function for errors; they are kept
// here so that the table of what reaches stderr stays in one file.
describe('a relay that refuses a recipient, quoting the address (masked before, still masked)', () => {
  it('send: the report masks it; stderr has no full address', async () => {
    sink = await startSink(REFUSING);
    await writeFile(path.join(dir, 'jane.eml'), MESSAGE.replace('colleague@corp.example', FULL));
    const r = await runCli(['send', path.join(dir, 'jane.eml'), '--internal-domain', 'corp.example', '--smtp', sink.url], { cwd: dir });
    expect(r.code).toBe(2);
    expectMasked(r.stdout + r.stderr);
  });

  it('mailguard-sendmail: 67, the refusal on stderr masked', async () => {
    sink = await startSink(REFUSING);
    const scratch = await scratchDir({ internalDomains: ['corp.example'], smtp: sink.url });
    try {
      const r = await runProcess(process.execPath, [path.join(ROOT, 'bin/mailguard-sendmail.js'), '-i', FULL], {
        cwd: scratch.dir,
        env: cleanEnv({ MAILGUARD_SENDMAIL_CONFIG: path.join(scratch.dir, 'mailguard.config.json'), XDG_STATE_HOME: path.join(scratch.dir, '.state') }),
        input: MESSAGE,
      });
      expect(r.code).toBe(67);
      expectMasked(r.stderr);
    } finally {
      await scratch.cleanup();
    }
  });
});
