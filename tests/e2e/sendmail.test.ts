// mailguard-sendmail as programs call it: a shell pipeline and a Python script piping a message
// in, with and without -t, with -i and a lone "." line, recipients on the command line; every
// exit status, against a real recording SMTP server on 127.0.0.1 (or a recording sendmail script).
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/cli.js';
import { startSink, type Sink, type SinkBehaviour } from '../helpers/smtp-sink.js';
import { cleanEnv, runSendmail, scratchDir, SENDMAIL_BIN, systemConfigEnv, writeRecordingSendmail } from '../sendmail/run-sendmail.js';

const execFileP = promisify(execFile);

let sink: Sink | undefined;
let scratch: { dir: string; cleanup: () => Promise<void> };

const POLICY = { internalDomains: ['corp.example'], warnAt: 2, blockAt: 3 };

async function setup(behaviour: SinkBehaviour = {}, config: object = {}): Promise<Sink> {
  sink = await startSink(behaviour);
  scratch = await scratchDir({ ...POLICY, smtp: sink.url, ...config });
  return sink;
}

beforeEach(() => {
  sink = undefined;
});
afterEach(async () => {
  await sink?.close();
  await scratch?.cleanup();
});

const CLEAN = 'From: Dev <dev@corp.example>\nTo: a@x1.test\nCc: colleague@corp.example\nSubject: hello\n\nline 1\n';
const EXPOSED = readFile(path.join(FIXTURES, 'sendmail-exposed.eml'));
const CRON = readFile(path.join(FIXTURES, 'sendmail-cron.eml'));
const text = (b: Buffer) => b.toString('utf8');
const deferring = { on: true };

describe('mailguard-sendmail delivering through the relay', () => {
  it('a shell pipeline with -t: recipients from To and Cc, sender from From, exit 0', async () => {
    const s = await setup();
    const { stdout } = await execFileP('sh', ['-c', `printf '%s' "$MSG" | "${process.execPath}" "${SENDMAIL_BIN}" -t; echo "status=$?"`], {
      cwd: scratch.dir,
      env: cleanEnv(systemConfigEnv(scratch.dir, { MSG: CLEAN })),
    });
    expect(stdout.trim()).toBe('status=0');
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.mailFrom).toBe('dev@corp.example');
    expect(s.messages[0]!.rcptTo).toEqual(['a@x1.test', 'colleague@corp.example']);
    const raw = text(s.messages[0]!.raw);
    expect(raw).toMatch(/^Date: .+\+0000\r$/m);
    expect(raw).toMatch(/^Message-ID: <[^>]+@corp\.example>\r$/m);
    expect(raw).toContain('\r\n\r\nline 1\r\n');
  });

  it('drops a leading mbox From_ line and a BOM: the relayed DATA starts with a header field', async () => {
    const s = await setup();
    const fromLine = `From dev@corp.example Mon Nov  2 10:00:00 2026\n${CLEAN}`;
    expect((await runSendmail(['-t', '-i'], { input: fromLine, cwd: scratch.dir })).code).toBe(0);
    expect((await runSendmail(['-t', '-i'], { input: `\ufeff${CLEAN}`, cwd: scratch.dir })).code).toBe(0);
    expect(s.messages).toHaveLength(2);
    for (const m of s.messages) {
      expect(m.raw.subarray(0, 6).toString('latin1')).toBe('From: ');
      expect(m.mailFrom).toBe('dev@corp.example');
    }
  });

  it('a Python program with os.popen("sendmail -t -i"), the classic idiom', async () => {
    const s = await setup();
    const py = [
      'import os, sys',
      `p = os.popen('"${process.execPath}" "${SENDMAIL_BIN}" -t -i', 'w')`,
      'p.write("From: app@corp.example\\nTo: user@x1.test\\nBcc: archive@corp.example\\nSubject: py\\n\\nfrom python\\n.\\nstill the body\\n")',
      'status = p.close()',
      'print("status", 0 if status is None else os.waitstatus_to_exitcode(status))',
    ].join('\n');
    const { stdout } = await execFileP('python3', ['-c', py], { cwd: scratch.dir, env: cleanEnv(systemConfigEnv(scratch.dir)) });
    expect(stdout.trim()).toBe('status 0');
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.rcptTo).toEqual(['user@x1.test', 'archive@corp.example']);
    const raw = text(s.messages[0]!.raw);
    expect(raw).not.toMatch(/^Bcc:|archive@/im); // -t removes the Bcc field; the envelope keeps the recipient
    expect(raw).toContain('from python\r\n.\r\nstill the body\r\n'); // -i: the lone dot is data
  });

  it('without -i a lone "." ends the message; with -i it is part of it', async () => {
    const s = await setup();
    const cron = await CRON;
    const r1 = await runSendmail(['-FCronDaemon', '-B8BITMIME', '-oem', '-f', 'cron@build.corp.example', 'ops@corp.example'], { input: cron, cwd: scratch.dir });
    expect(r1.code).toBe(0);
    const r2 = await runSendmail(['-oi', '-f', 'cron@build.corp.example', 'ops@corp.example'], { input: cron, cwd: scratch.dir });
    expect(r2.code).toBe(0);
    expect(s.messages).toHaveLength(2);
    expect(text(s.messages[0]!.raw)).toContain('backup finished: 1204 files\r\n');
    expect(text(s.messages[0]!.raw)).not.toContain('lines after a lone dot');
    expect(text(s.messages[1]!.raw)).toContain('backup finished: 1204 files\r\n.\r\nlines after a lone dot');
    // The message's own From is kept; -F only names a From that is missing.
    expect(text(s.messages[0]!.raw)).toMatch(/^From: root \(Cron Daemon\)\r$/m);
    expect(s.messages[0]!.mailFrom).toBe('cron@build.corp.example');
  });

  it('recipients on the command line (no -t) are the envelope, whatever the header says; -t adds the header ones', async () => {
    const s = await setup();
    const msg = 'From: dev@corp.example\nTo: shown@x1.test\nSubject: s\n\nb\n';
    expect((await runSendmail(['-i', '--', 'other@x2.test', 'third@x3.test'], { input: msg, cwd: scratch.dir })).code).toBe(0);
    expect((await runSendmail(['-t', '-i', 'extra@x2.test'], { input: msg, cwd: scratch.dir })).code).toBe(0);
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['other@x2.test', 'third@x3.test'], ['shown@x1.test', 'extra@x2.test']]);
  });

  it('mailguard sendmail (the subcommand) works the same, -f and -F fill a missing From', async () => {
    const s = await setup();
    const r = await runSendmail(['-oi', '-f', 'me@corp.example', '-F', 'Build Bot', 'a@x1.test'], { input: 'Subject: s\n\nb\n', cwd: scratch.dir, subcommand: true });
    expect(r.code).toBe(0);
    expect(s.messages[0]!.mailFrom).toBe('me@corp.example');
    expect(text(s.messages[0]!.raw)).toMatch(/^From: "Build Bot" <me@corp\.example>\r$/m);

    // -V (a DSN envelope id to sendmail) and a leading "--" are sendmail's, not the mailguard program's.
    const v = await runSendmail(['-V', 'envid-1', '--', 'b@x2.test'], { input: 'From: me@corp.example\nSubject: s\n\nb\n', cwd: scratch.dir, subcommand: true });
    expect(v.code).toBe(0);
    expect(v.stdout).toBe('');
    expect(s.messages[1]!.rcptTo).toEqual(['b@x2.test']);
  });

  it('exit 65 when blocked by policy: nothing reaches the relay, the reason is on stderr (addresses masked)', async () => {
    const s = await setup();
    const r = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('message not sent: blocked by policy');
    expect(r.stderr).toContain('EXPOSED_RECIPIENTS');
    expect(r.stderr).not.toContain('anna@customer1.test');
    expect(s.attempts).toBe(0);
  });

  it('onViolation bcc: one message, the customers hidden, the internal Cc kept, the Bcc field gone', async () => {
    const s = await setup({}, { onViolation: 'bcc' });
    const r = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('moved 6 external recipients to Bcc');
    expect(s.messages).toHaveLength(1);
    const m = s.messages[0]!;
    expect([...m.rcptTo].sort()).toEqual(['anna@customer1.test', 'audit@archive.test', 'bert@customer2.test', 'carl@customer3.test', 'dora@customer4.test', 'emil@customer5.test', 'fritz@customer6.test', 'manager@corp.example']);
    const raw = text(m.raw);
    expect(raw).toMatch(/^To: undisclosed-recipients:;\r$/m);
    expect(raw).toMatch(/^Cc: manager@corp\.example\r$/m);
    expect(raw).not.toMatch(/@customer\d|archive\.test|^Bcc:/im);
    expect(raw).toContain('please find our new prices below.\r\n.\r\nThe line above');
  });

  it('onViolation split (from the sendmail section): one copy per recipient, each showing only them', async () => {
    const s = await setup({}, { sendmail: { onViolation: 'split' } });
    const r = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir });
    expect(r.code).toBe(0);
    expect(s.messages).toHaveLength(8);
    for (const m of s.messages) {
      const raw = text(m.raw);
      const to = /^To: (.*)\r$/m.exec(raw)?.[1];
      if (m.rcptTo[0] === 'manager@corp.example') expect(raw).toMatch(/^Cc: manager@corp\.example\r$/m);
      // The Bcc recipient gets a copy addressed to them alone, as send and the proxy give it.
      else expect(to).toBe(m.rcptTo[0]);
      expect(m.rcptTo).toHaveLength(1);
      expect(raw).not.toMatch(/^Bcc:/im);
    }
  });

  it('a split copy refused part-way: the status says so (69) and the caller learns how many went out', async () => {
    const s = await setup({ data: (_m, index) => (index === 2 ? 554 : undefined) }, { onViolation: 'split' });
    const r = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('2 of 8 copies were delivered before the failure');
    expect(s.messages).toHaveLength(2);
  });

  // A split stopped part-way by a temporary failure: 75, and the retry (Postfix's pipe, a queueing
  // client, the job run again) must not send the first copies again (src/sendmail/delivered-copies.ts).
  it.each([
    // The relay client retries a deferral itself for a while: the copy is deferred for the whole first run.
    ['a copy deferred at DATA', { data: (m: { rcptTo: string[] }) => (deferring.on && m.rcptTo.some((r) => r.startsWith('carl@')) ? 451 : undefined) }],
    ['one recipient deferred at RCPT', { rcpt: (a: string) => (deferring.on && a.startsWith('carl@') ? 450 : undefined) }],
  ])('%s: 75, the retry delivers only the rest, every recipient exactly once; the same bytes sent after that are a new message', async (_name, behaviour) => {
    deferring.on = true;
    const s = await setup(behaviour as SinkBehaviour, { onViolation: 'split' });
    const env = { XDG_STATE_HOME: path.join(scratch.dir, 'state') };
    const input = await EXPOSED;
    const first = await runSendmail(['-t', '-i'], { input, cwd: scratch.dir, env });
    expect(first.code).toBe(75);
    expect(first.stderr).toContain('A retry sends only the copies not yet delivered');
    const afterFirst = s.messages.length;
    expect(afterFirst).toBeGreaterThan(0);
    deferring.on = false;
    const retry = await runSendmail(['-t', '-i'], { input, cwd: scratch.dir, env });
    expect(retry.code).toBe(0);
    const recipients = s.messages.flatMap((m) => m.rcptTo);
    expect(recipients).toHaveLength(8);
    expect(new Set(recipients).size).toBe(8);
    // Done: forgotten, so sending the same message again is a new message.
    expect(await readdir(path.join(scratch.dir, 'state', 'mailguard', 'sendmail-delivered'))).toEqual([]);
    expect((await runSendmail(['-t', '-i'], { input, cwd: scratch.dir, env })).code).toBe(0);
    expect(s.messages.flatMap((m) => m.rcptTo)).toHaveLength(16);
  });

  // A split killed between copies (Postfix's pipe time limit, a caller's timeout, the OOM killer,
  // a shutdown) has no chance to write its memory at the failure: the caller's retry (Postfix
  // defers a killed command) must still send only the copies not yet delivered.
  it('a split killed between copies (SIGKILL): the retry delivers only the rest, every recipient exactly once', async () => {
    const s = await setup({ mailDelayMs: 1000 }, { onViolation: 'split' });
    const env = cleanEnv(systemConfigEnv(scratch.dir, { XDG_STATE_HOME: path.join(scratch.dir, 'state') }));
    const input = await EXPOSED;
    const child = spawn(process.execPath, [SENDMAIL_BIN, '-t', '-i'], { cwd: scratch.dir, env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(input);
    const closed = new Promise((resolve) => child.on('close', resolve));
    // Two copies taken (and their 250 read by the client: 300 ms later); the third waits 1 s for
    // the reply to its MAIL FROM, nothing of it sent yet.
    while (s.messages.length < 2) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await closed;
    expect(s.messages).toHaveLength(2);
    const retry = await runSendmail(['-t', '-i'], { input, cwd: scratch.dir, env: { XDG_STATE_HOME: path.join(scratch.dir, 'state') } });
    expect(retry.code).toBe(0);
    const recipients = s.messages.flatMap((m) => m.rcptTo);
    expect(recipients).toHaveLength(8);
    expect(new Set(recipients).size).toBe(8);
  });

  // One message (no split) is partly delivered too when the relay defers some of its recipients:
  // the others have it, the caller gets 75 and retries, and must not send it to them again.
  it.each([
    ['-t', ['-t', '-i']],
    ['recipients on the command line', ['-i', '-f', 'dev@corp.example', 'a@x1.test', 'carl@x3.test', 'colleague@corp.example']],
  ])('one message, one recipient deferred at RCPT (%s): 75, the retry delivers it to that recipient only, every recipient exactly once', async (_name, args) => {
    deferring.on = true;
    const s = await setup({ rcpt: (a: string) => (deferring.on && a.startsWith('carl@') ? 450 : undefined) });
    const env = { XDG_STATE_HOME: path.join(scratch.dir, 'state') };
    const input = 'From: dev@corp.example\nTo: a@x1.test, carl@x3.test\nCc: colleague@corp.example\nSubject: s\n\nb\n';
    const first = await runSendmail(args, { input, cwd: scratch.dir, env });
    expect(first.code).toBe(75);
    expect(first.stderr).toContain('2 others received the message');
    expect(first.stderr).toContain('A retry sends it only to the recipients not yet delivered');
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['a@x1.test', 'colleague@corp.example']]);
    deferring.on = false;
    const retry = await runSendmail(args, { input, cwd: scratch.dir, env });
    expect(retry.code).toBe(0);
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['a@x1.test', 'colleague@corp.example'], ['carl@x3.test']]);
    // Done: forgotten, so sending the same message again is a new message.
    expect(await readdir(path.join(scratch.dir, 'state', 'mailguard', 'sendmail-delivered'))).toEqual([]);
    expect((await runSendmail(args, { input, cwd: scratch.dir, env })).code).toBe(0);
    expect(s.messages.flatMap((m) => m.rcptTo)).toHaveLength(6);
  });

  it('with a spool configured, the memory lives in its delivered/ folder, private to the user', async () => {
    const s = await setup({ data: (m) => (m.rcptTo.some((r) => r.startsWith('carl@')) ? 451 : undefined) });
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, smtp: s.url, onViolation: 'split', sendmail: { spool: path.join(scratch.dir, 'spool') } }));
    const first = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir });
    expect(first.code).toBe(75);
    expect(first.stderr).toContain('2 of 8 copies were delivered before the failure');
    const dir = path.join(scratch.dir, 'spool', 'delivered');
    const files = (await readdir(dir)).filter((f) => /^[0-9a-f]{64}\.json$/.test(f));
    expect(files).toHaveLength(1);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(path.join(dir, files[0]!), 'utf8')).recipients).toHaveLength(2);
  });

  it('where the memory cannot be written, stderr says a retry sends the delivered copies again', async () => {
    await setup({ data: (m) => (m.rcptTo.some((r) => r.startsWith('carl@')) ? 451 : undefined) }, { onViolation: 'split' });
    await writeFile(path.join(scratch.dir, 'state-file'), 'x');
    const r = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir, env: { XDG_STATE_HOME: path.join(scratch.dir, 'state-file') } });
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('The delivered copies could not be remembered: a retry sends them again.');
  });

  // stderr is only a courtesy: callers read the exit status. A caller whose stderr pipe is gone
  // (its reader closed it, a log process that died) must still get its message sent and a sysexit.
  it.each([
    ['split (a notice before delivery)', { onViolation: 'split' }, 8],
    ['warn (a notice before delivery)', { onViolation: 'warn' }, 1],
  ])('stderr closed by the caller, %s: delivered, exit 0, no crash', async (_name, config, copies) => {
    const s = await setup({}, config);
    const child = spawn(process.execPath, [SENDMAIL_BIN, '-t', '-i'], { cwd: scratch.dir, env: cleanEnv(systemConfigEnv(scratch.dir)), stdio: ['pipe', 'ignore', 'pipe'] });
    child.stderr.destroy();
    child.stdin.end(await EXPOSED);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(s.messages).toHaveLength(copies);
  });

  // A caller asking for a receipt (-N success) or for no bounce (-N never) is heard: Postfix's
  // sendmail passes DSN requests on; they reach the relay's MAIL FROM and every RCPT TO.
  it('-N, -R and -V reach the relay as NOTIFY, RET and ENVID (mutt\'s $dsn_notify, $dsn_return), split copies too', async () => {
    const offersDsn = { options: { hideDSN: false } };
    const s = await setup(offersDsn);
    const r = await runSendmail(['-oem', '-oi', '-N', 'success,failure', '-R', 'hdrs', '-V', 'env-1', '-f', 'dev@corp.example', '--', 'a@x1.test', 'colleague@corp.example'], { input: CLEAN, cwd: scratch.dir });
    expect(r.code).toBe(0);
    expect(s.messages[0]!.mailArgs).toMatchObject({ RET: 'HDRS', ENVID: 'env-1' });
    expect(s.messages[0]!.rcptArgs).toEqual([expect.objectContaining({ NOTIFY: 'SUCCESS,FAILURE' }), expect.objectContaining({ NOTIFY: 'SUCCESS,FAILURE' })]);
    await s.close();
    await scratch.cleanup();
    const split = await setup(offersDsn, { onViolation: 'split' });
    expect((await runSendmail(['-t', '-i', '-N', 'never'], { input: await EXPOSED, cwd: scratch.dir })).code).toBe(0);
    expect(split.messages).toHaveLength(8);
    for (const m of split.messages) expect(m.rcptArgs).toEqual([expect.objectContaining({ NOTIFY: 'NEVER' })]);
    // Without them nothing is asked: the relay's defaults apply.
    expect((await runSendmail(['-i', '-f', 'dev@corp.example', 'a@x1.test'], { input: CLEAN, cwd: scratch.dir })).code).toBe(0);
    expect(split.messages.at(-1)!.mailArgs).not.toHaveProperty('RET');
    expect(split.messages.at(-1)!.rcptArgs[0]).not.toHaveProperty('NOTIFY');
  });

  it('onViolation warn (system configuration) delivers the exposed message as it is, saying so on stderr', async () => {
    const s = await setup({}, { onViolation: 'warn' });
    const r = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('sent although it violates the policy');
    expect(text(s.messages[0]!.raw)).toContain('anna@customer1.test');
    expect(text(s.messages[0]!.raw)).not.toContain('audit@archive.test');
  });
});

describe('exit statuses (sysexits)', () => {
  it('64 for a sendmail mode mailguard does not do, and for an unknown option', async () => {
    scratch = await scratchDir(POLICY);
    for (const args of [['-bp'], ['--bogus'], ['-Z']]) {
      const r = await runSendmail(args, { input: CLEAN, cwd: scratch.dir });
      expect(r.code, args.join(' ')).toBe(64);
    }
  });

  it('run through a link named newaliases or mailq (as Debian links them to /usr/sbin/sendmail): 64 at once, stdin left unread', async () => {
    await setup();
    for (const name of ['newaliases', 'mailq']) {
      const link = path.join(scratch.dir, name);
      await symlink(SENDMAIL_BIN, link);
      // stdin stays open, as on a terminal: the command must not wait for a message.
      const child = spawn(process.execPath, [link], { cwd: scratch.dir, env: cleanEnv(systemConfigEnv(scratch.dir)), stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill(), 4_000);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearTimeout(timer);
      child.stdin.destroy();
      expect(code, name).toBe(64);
      expect(stderr).toContain(`${name} (sendmail -b`);
    }
  });

  it('a cron-style message without From and -f: sent from user@host, or 78 (not 64) asking for sendmail.from once', async () => {
    const s = await setup();
    const os = await import('node:os');
    const r = await runSendmail(['-oi', 'ops@corp.example'], { input: 'Subject: only subject\n\nbody\n', cwd: scratch.dir });
    if (os.hostname().includes('.')) {
      expect(r.code).toBe(0);
      expect(s.messages[0]!.mailFrom).toBe(`${os.userInfo().username}@${os.hostname()}`.toLowerCase());
    } else {
      expect(r.code).toBe(78);
      expect(r.stderr).toContain('"sendmail": { "from"');
      expect(s.messages).toHaveLength(0);
    }
    // Once configured, the same call delivers.
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, smtp: s.url, sendmail: { from: 'cron@build.corp.example' } }));
    const configured = await runSendmail(['-oi', 'ops@corp.example'], { input: 'Subject: only subject\n\nbody\n', cwd: scratch.dir });
    expect(configured.code).toBe(0);
    expect(s.messages.at(-1)!.mailFrom).toBe('cron@build.corp.example');
  });

  // cronie (Fedora, RHEL, Arch) runs "sendmail -FCronDaemon -i -odi -oem -oi -t -f root": the
  // login name, which sendmail and Postfix qualify with their own domain. mailguard guesses none,
  // so a -f without a domain is no -f at all: the configured sender, else the one found as without -f.
  it('cronie\'s command line, -f root: sent from sendmail.from once configured, else 78 asking for it (not 64)', async () => {
    const s = await setup();
    const cronie = ['-FCronDaemon', '-i', '-odi', '-oem', '-oi', '-t', '-f', 'root'];
    const unconfigured = await runSendmail(cronie, { input: await CRON, cwd: scratch.dir });
    const os = await import('node:os');
    if (os.hostname().includes('.')) {
      expect(unconfigured.code).toBe(0);
      expect(s.messages.at(-1)!.mailFrom).toBe(`${os.userInfo().username}@${os.hostname()}`.toLowerCase());
    } else {
      expect(unconfigured.code).toBe(78);
      expect(unconfigured.stderr).toContain('-f names a local user without a domain');
      expect(unconfigured.stderr).toContain('"sendmail": { "from"');
    }
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, smtp: s.url, sendmail: { from: 'cron@build.corp.example' } }));
    const r = await runSendmail(cronie, { input: await CRON, cwd: scratch.dir });
    expect(r.code).toBe(0);
    expect(s.messages.at(-1)!.mailFrom).toBe('cron@build.corp.example');
    expect(s.messages.at(-1)!.rcptTo).toEqual(['ops@corp.example']);
    expect(text(s.messages.at(-1)!.raw)).toMatch(/^From: root \(Cron Daemon\)\r$/m);
  });

  it('65 for an empty or headerless message and for -t without recipients', async () => {
    const s = await setup();
    expect((await runSendmail(['-i', '-f', 'me@corp.example', 'a@x1.test'], { input: '', cwd: scratch.dir })).code).toBe(65);
    expect((await runSendmail(['-i', '-f', 'me@corp.example', 'a@x1.test'], { input: '\n\njust a body\n', cwd: scratch.dir })).code).toBe(65);
    const none = await runSendmail(['-t'], { input: 'From: me@corp.example\nSubject: s\n\nb\n', cwd: scratch.dir });
    expect(none.code).toBe(65);
    expect(none.stderr).toContain('-t found no To, Cc, Apparently-To or Bcc');
    expect(s.attempts).toBe(0);
  });

  it('75 when the relay is down, with the reason on stderr', async () => {
    const closed = await startSink();
    const url = closed.url;
    await closed.close();
    scratch = await scratchDir({ ...POLICY, smtp: url });
    const r = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: scratch.dir });
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/ECONNREFUSED|failed for now/);
    expect(r.stderr).toContain('try again later');
  });

  // mailguard keeps no queue: on 75 only the caller can send the message again. cron, PHP mail()
  // and logwatch never do, so stderr must not tell them that nothing was lost when nothing kept it.
  it('75 with no spool configured: stderr says no copy was kept, so a caller that does not retry loses it; with a spool it names the copy', async () => {
    const closed = await startSink();
    const url = closed.url;
    await closed.close();
    scratch = await scratchDir({ ...POLICY, smtp: url });
    const bare = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: scratch.dir });
    expect(bare.code).toBe(75);
    expect(bare.stderr).not.toContain('Nothing was lost');
    expect(bare.stderr).toContain('No copy was kept (no "spool" is configured): a caller that does not retry (cron, PHP mail()) loses the message.');
    const spool = path.join(scratch.dir, 'spool');
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, smtp: url, sendmail: { spool } }));
    const kept = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: scratch.dir });
    expect(kept.code).toBe(75);
    expect(kept.stderr).not.toContain('No copy was kept');
    expect(kept.stderr).toMatch(/kept a copy in .*spool/);
  });

  it.each(['accept-then-drop', 'drop'] as const)('the relay drops the connection after the final dot (%s): one attempt, never a second copy, exit 69 (not 75: a caller retrying could deliver it twice), and stderr says it may have been accepted', async (how) => {
    const s = await setup({ afterData: () => how });
    const r = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: scratch.dir });
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/may have accepted it, so it was not sent again/);
    expect(s.attempts).toBe(1);
    expect(s.messages).toHaveLength(how === 'accept-then-drop' ? 1 : 0);
  });

  it('75 when the relay refuses for now (451), 69 when it refuses for good (554)', async () => {
    const s = await setup({ data: () => 451 });
    expect((await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir })).code).toBe(75);
    expect(s.messages).toHaveLength(0);
    await s.close();
    await scratch.cleanup();
    const s2 = await setup({ data: () => 554 });
    const r = await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('554');
    expect(s2.messages).toHaveLength(0);
  });

  it('67 when the relay refuses one recipient: the others get the message, the refused one is named (masked)', async () => {
    const s = await setup({ rcpt: (a) => (a.startsWith('gone') ? 550 : undefined) });
    const r = await runSendmail(['-i', '-f', 'dev@corp.example', 'a@x1.test', 'gone@x2.test'], { input: CLEAN, cwd: scratch.dir });
    expect(r.code).toBe(67);
    expect(r.stderr).toContain('g***@x2.test');
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['a@x1.test']]);
  });

  // Refused for good for one, only for now (after the relay's retries) for another: the deferred one
  // must not be lost, so the caller is asked to retry, and the retry does not repeat it for the first.
  it('75, not 67, when one recipient was refused for good and another only for now; the retry skips the one who has it', async () => {
    const s = await setup({ rcpt: (a) => (a.startsWith('gone') ? 550 : a.startsWith('later') ? 450 : undefined) });
    const env = { XDG_STATE_HOME: path.join(scratch.dir, 'state') };
    const args = ['-i', '-f', 'dev@corp.example', 'a@x1.test', 'gone@x2.test', 'later@x3.test'];
    const first = await runSendmail(args, { input: CLEAN, cwd: scratch.dir, env });
    expect(first.code).toBe(75);
    expect(first.stderr).toContain('A retry sends it only to the recipients not yet delivered.');
    expect((await runSendmail(args, { input: CLEAN, cwd: scratch.dir, env })).code).toBe(75);
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['a@x1.test']]);
  });

  // A refusal for good tells the caller not to retry: nothing is remembered, so the same bytes sent
  // again (a PHP mail() or cron job sending the same text each day) reach every recipient again.
  it('67 for one message: not remembered, the same message sent again goes to the accepted recipients again', async () => {
    const s = await setup({ rcpt: (a) => (a.startsWith('gone') ? 550 : undefined) });
    const env = { XDG_STATE_HOME: path.join(scratch.dir, 'state') };
    const args = ['-i', '-f', 'dev@corp.example', 'a@x1.test', 'gone@x2.test'];
    const first = await runSendmail(args, { input: CLEAN, cwd: scratch.dir, env });
    expect(first.code).toBe(67);
    expect(first.stderr).not.toContain('A retry sends');
    expect((await runSendmail(args, { input: CLEAN, cwd: scratch.dir, env })).code).toBe(67);
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['a@x1.test'], ['a@x1.test']]);
  });

  it('78 for bad configuration: broken JSON, an unknown sendmail key, no relay, wrong credentials', async () => {
    scratch = await scratchDir();
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), '{ "internalDomains": [ }');
    expect((await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir })).code).toBe(78);
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ sendmail: { relay: 'x' } }));
    const unknown = await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir });
    expect(unknown.code).toBe(78);
    expect(unknown.stderr).toContain('"sendmail.relay"');
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify(POLICY));
    const nothing = await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir });
    expect(nothing.code).toBe(78);
    expect(nothing.stderr).toContain('no way to deliver');

    sink = await startSink({ options: { authOptional: false, allowInsecureAuth: true, onAuth: (_auth, _session, cb) => cb(new Error('Invalid username or password')) } });
    const auth = await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir, env: { MAILGUARD_SMTP_URL: sink.url, MAILGUARD_SMTP_USER: 'u', MAILGUARD_SMTP_PASS: 'wrong' } });
    expect(auth.code).toBe(78);
    expect(auth.stderr).not.toContain('wrong');
    expect(sink.messages).toHaveLength(0);
  });

  it('MAILGUARD_SMTP_URL is used when the configuration names no relay', async () => {
    sink = await startSink();
    scratch = await scratchDir(POLICY);
    const r = await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir, env: { MAILGUARD_SMTP_URL: sink.url } });
    expect(r.code).toBe(0);
    expect(sink.messages).toHaveLength(1);
  });
});

describe('viaSendmail and spool (system configuration)', () => {
  it('hands the final message to the real sendmail with an explicit envelope', async () => {
    scratch = await scratchDir({ ...POLICY, onViolation: 'bcc', sendmail: { viaSendmail: 'set-below' } });
    const fake = await writeRecordingSendmail(scratch.dir);
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, onViolation: 'bcc', sendmail: { viaSendmail: fake.path } }));
    const r = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir });
    expect(r.code).toBe(0);
    const args = (await readFile(fake.args, 'utf8')).trim().split('\n');
    expect(args.slice(0, 4)).toEqual(['-i', '-f', 'sales@corp.example', '--']);
    expect(args.slice(4).sort()).toContain('audit@archive.test');
    expect(args).toHaveLength(4 + 8);
    const handed = await readFile(fake.message, 'utf8');
    expect(handed).toMatch(/^To: undisclosed-recipients:;$/m);
    expect(handed).not.toMatch(/customer1|^Bcc:/im);
  });

  it('hands -N, -R and -V on to the real sendmail, before the recipients', async () => {
    scratch = await scratchDir({ ...POLICY, sendmail: { viaSendmail: 'set-below' } });
    const fake = await writeRecordingSendmail(scratch.dir);
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, sendmail: { viaSendmail: fake.path } }));
    const r = await runSendmail(['-t', '-i', '-N', 'delay,failure', '-R', 'hdrs', '-V', 'env-2'], { input: CLEAN, cwd: scratch.dir });
    expect(r.code).toBe(0);
    const args = (await readFile(fake.args, 'utf8')).trim().split('\n');
    expect(args).toEqual(['-i', '-f', 'dev@corp.example', '-N', 'delay,failure', '-R', 'hdrs', '-V', 'env-2', '--', 'a@x1.test', 'colleague@corp.example']);
  });

  it('passes the real sendmail\'s failure status through (75 stays 75)', async () => {
    scratch = await scratchDir({ ...POLICY, sendmail: { viaSendmail: 'set-below' } });
    const fake = await writeRecordingSendmail(scratch.dir);
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, sendmail: { viaSendmail: fake.path } }));
    const r = await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir, env: { FAKE_SENDMAIL_STATUS: '75' } });
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('fake sendmail says hello');
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, sendmail: { viaSendmail: path.join(scratch.dir, 'no-such-sendmail') } }));
    const missing = await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir });
    expect(missing.code).toBe(78);
  });

  // README suggests linking mailguard-sendmail as /usr/sbin/sendmail, and viaSendmail is usually
  // /usr/sbin/sendmail: together each run starts another, every one holding the message, until
  // the machine runs out. The wrapper stands for that link, and stops the chain after 3 levels.
  it('viaSendmail that runs mailguard-sendmail again (a loop): 78 from the first nested run, nothing delivered', async () => {
    scratch = await scratchDir();
    const counter = path.join(scratch.dir, 'levels');
    const loop = path.join(scratch.dir, 'sendmail-link.sh');
    await writeFile(loop, `#!/bin/sh\necho x >> '${counter}'\n[ "$(wc -l < '${counter}')" -gt 3 ] && exit 75\nexec '${process.execPath}' '${SENDMAIL_BIN}' "$@"\n`, { mode: 0o755 });
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, sendmail: { viaSendmail: loop } }));
    const r = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: scratch.dir });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('viaSendmail runs mailguard-sendmail itself');
    expect((await readFile(counter, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('spool keeps a blocked message and an undeliverable one, private to the user', async () => {
    const closed = await startSink();
    const url = closed.url;
    await closed.close();
    scratch = await scratchDir();
    const spool = path.join(scratch.dir, 'spool');
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ ...POLICY, smtp: url, sendmail: { spool } }));
    const blocked = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd: scratch.dir });
    expect(blocked.code).toBe(65);
    const down = await runSendmail(['-t'], { input: CLEAN, cwd: scratch.dir });
    expect(down.code).toBe(75);
    const files = (await readdir(spool)).sort();
    expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(2);
    const records = await Promise.all(files.filter((f) => f.endsWith('.json')).map(async (f) => JSON.parse(await readFile(path.join(spool, f), 'utf8'))));
    expect(records.map((x) => x.reason).sort()).toEqual(['blocked', 'undeliverable']);
    expect(records.find((x) => x.reason === 'blocked')).toMatchObject({ exitStatus: 65, findings: expect.arrayContaining(['EXPOSED_RECIPIENTS']) });
    expect(records.find((x) => x.reason === 'undeliverable')).toMatchObject({ exitStatus: 75, envelope: { mailFrom: 'dev@corp.example' } });
    const emls = files.filter((f) => f.endsWith('.eml'));
    const kept = await Promise.all(emls.map((f) => readFile(path.join(spool, f), 'utf8')));
    expect(kept.some((k) => k === (EXPOSED_TEXT))).toBe(true); // the bytes as received, lone dot and all
    expect((await stat(path.join(spool, emls[0]!))).mode & 0o777).toBe(0o600);
    expect((await stat(spool)).mode & 0o777).toBe(0o700);
  });

  it('--help prints the usage with the exit codes, status 0', async () => {
    scratch = await scratchDir();
    const r = await runSendmail(['--help'], { cwd: scratch.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-t             recipients from To, Cc and Bcc');
    expect(r.stdout).toContain('75 relay');
  });
});

const EXPOSED_TEXT = await readFile(path.join(FIXTURES, 'sendmail-exposed.eml'), 'utf8');
