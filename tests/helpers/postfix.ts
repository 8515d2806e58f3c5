// A private Postfix instance for one test file: its own config, queue and data directories
// under a temp dir, listening on 127.0.0.1 only, delivering local test domains to one Maildir in
// that temp dir (each copy names its recipient in Delivered-To). Started with `postfix -c DIR start`, stopped by `stop()`.
//
// Postfix is a real dependency of these tests (.ci/run installs it): when it is missing the
// test fails with a message saying so; nothing is skipped. Postfix must be started as root.
//
// Content filters (Postfix FILTER_README, "advanced" after-queue filter): pass
// `contentFilter: { port }` for the filter's SMTP port; Postfix hands every message queued on
// the main port to 127.0.0.1:port, and the filter re-injects on `reinjectPort`, a second smtpd
// listener with content_filter turned off. Reserve the re-injection port first with
// `freePort()` when the filter needs to know it before Postfix starts.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const POSTFIX = '/usr/sbin/postfix';

/** How long a message may take from "250 queued" to a Maildir file (measured: under a second). */
const DELIVERY_TIMEOUT_MS = 15_000;
/** How long `postfix start` may take to open its SMTP port (measured: about 1-3 s). */
const START_TIMEOUT_MS = 20_000;
/** The uid virtual(8) delivers as: nobody; it must be at or above virtual_minimum_uid. */
const DELIVERY_UID = 65534;
const DELIVERY_GID = 65534;

export interface PostfixOptions {
  /** Domains delivered to Maildirs here (anything else is rejected: relay access denied). Default `['inbox.test']`. */
  localDomains?: string[];
  /** Route every message received on the main port through an SMTP content filter on 127.0.0.1:port. */
  contentFilter?: { port: number };
  /**
   * A second smtpd listener without the content filter, where a filter re-injects mail.
   * `true` picks a free port; a number uses that port. Implied by `contentFilter`.
   */
  reinjectPort?: number | boolean;
  /**
   * A milter (MILTER_README) for both SMTP mail (smtpd_milters) and the sendmail command
   * (non_smtpd_milters), as `inet:127.0.0.1:PORT` or `unix:/PATH`, with milter_protocol = 6 and
   * milter_default_action = tempfail (a milter that is down never lets mail through).
   */
  milter?: string;
  /** Extra or overriding main.cf parameters. */
  mainCf?: Record<string, string>;
  /** Extra master.cf lines (whole services with their `-o` lines), appended as given. */
  masterCf?: string[];
}

export interface DeliveredMessage {
  /** The recipient this copy was delivered to (its Delivered-To field). */
  recipient: string;
  file: string;
  raw: Buffer;
}

export interface PostfixInstance {
  /** The main smtpd port on 127.0.0.1. */
  port: number;
  /** `smtp://127.0.0.1:port`. */
  url: string;
  /** The re-injection smtpd port, when asked for (or with a content filter). */
  reinjectPort?: number;
  /** The instance's temp dir: etc/, spool/, data/, mail/Maildir/, maillog. */
  dir: string;
  configDir: string;
  /** Every copy delivered so far (one per recipient), in Maildir file-name order. */
  messages(): Promise<DeliveredMessage[]>;
  /** Waits until at least `count` messages are delivered; throws with the mail log otherwise. */
  waitForMessages(count: number, timeoutMs?: number): Promise<DeliveredMessage[]>;
  /** The instance's mail log (maillog_file). */
  log(): Promise<string>;
  /** Asks Postfix to retry deferred mail now. */
  flush(): Promise<void>;
  /** The queue as `postqueue -j` lists it (one object per queued message). */
  queue(): Promise<Array<{ queue_name: string; queue_id: string; sender: string; recipients: Array<{ address: string }> }>>;
  /** Runs postsuper with this instance's configuration (for example `['-H', 'ALL']`). */
  postsuper(args: string[]): Promise<void>;
  /** Submits a message with Postfix's sendmail command (the non-SMTP path, non_smtpd_milters). */
  sendmail(args: string[], input: Buffer | string): Promise<{ code: number; stderr: string }>;
  /** Stops Postfix and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: START_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const SERVICES = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

/** Attempts at starting an instance: see startPostfix. */
const START_ATTEMPTS = 3;

/**
 * A private Postfix instance. Started again (a new directory, new free ports) when `postfix start`
 * fails: the port freePort() found can be taken by another test file before Postfix's master binds
 * it, and master's "bind: Address already in use" is then lost (maillog_file is written by
 * postlogd, a child of the master that never came up); CI saw "fatal: mail system startup
 * failed" once in many runs. A configuration error fails all attempts and is reported as before.
 */
export async function startPostfix(options: PostfixOptions = {}): Promise<PostfixInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPostfixOnce(options);
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !(err instanceof Error) || !err.message.includes('start failed')) throw err;
    }
  }
}

async function startPostfixOnce(options: PostfixOptions): Promise<PostfixInstance> {
  if (!existsSync(POSTFIX)) {
    throw new Error(`Postfix is not installed (${POSTFIX} is missing). These tests need it: install the Debian package "postfix" (.ci/run does).`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('A private Postfix instance can only be started as root (postfix start drops privileges itself). Run the tests as root, as CI does.');
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-postfix-'));
  // Postfix's daemons run as the postfix user and nobody: they must be able to enter the dir.
  await chmod(dir, 0o755);
  const configDir = path.join(dir, 'etc');
  const queueDir = path.join(dir, 'spool');
  const dataDir = path.join(dir, 'data');
  const mailDir = path.join(dir, 'mail');
  const logFile = path.join(dir, 'maillog');
  await Promise.all([configDir, queueDir, dataDir, mailDir].map((d) => mkdir(d, { recursive: true })));
  const { uid, gid } = await postfixUser();
  await chown(dataDir, uid, gid);
  await chown(mailDir, DELIVERY_UID, DELIVERY_GID);

  const port = await freePort();
  const wantReinject = options.reinjectPort ?? options.contentFilter !== undefined;
  const reinjectPort = typeof wantReinject === 'number' ? wantReinject : wantReinject ? await freePort() : undefined;
  const domains = options.localDomains ?? ['inbox.test'];
  const syslogName = `postfix-${path.basename(dir)}`;

  const main: Record<string, string> = {
    compatibility_level: '3.6',
    config_directory: configDir,
    queue_directory: queueDir,
    data_directory: dataDir,
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    syslog_name: syslogName,
    maillog_file: logFile,
    maillog_file_prefixes: dir,
    myhostname: 'mx.mailguard.test',
    mydomain: 'mailguard.test',
    myorigin: 'mailguard.test',
    mydestination: '',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination',
    // Only the test domains are delivered; nothing ever leaves the machine.
    relay_domains: '',
    relayhost: '',
    default_transport: 'error:5.7.1 this test instance delivers nothing outside its test domains',
    virtual_mailbox_domains: domains.join(', '),
    virtual_mailbox_base: mailDir,
    // virtual(8) refuses regexp substitutions, so every recipient shares one Maildir; each
    // delivered copy names its recipient in Delivered-To.
    virtual_mailbox_maps: 'static:Maildir/',
    virtual_uid_maps: `static:${DELIVERY_UID}`,
    virtual_gid_maps: `static:${DELIVERY_GID}`,
    virtual_minimum_uid: '100',
    // Tests want failures fast, not after Postfix's production back-off.
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
    smtpd_banner: '$myhostname ESMTP',
    biff: 'no',
  };
  if (options.contentFilter) main.content_filter = `scan:[127.0.0.1]:${options.contentFilter.port}`;
  if (options.milter) {
    Object.assign(main, {
      smtpd_milters: options.milter,
      non_smtpd_milters: options.milter,
      milter_default_action: 'tempfail',
      milter_protocol: '6',
      // Failures fast in tests (defaults: 30 s connect, 30 s per command, 300 s per content step).
      milter_connect_timeout: '5s',
      milter_command_timeout: '10s',
      milter_content_timeout: '20s',
    });
  }
  Object.assign(main, options.mainCf);

  const master = [`127.0.0.1:${port} inet n - n - - smtpd`, SERVICES.trimEnd()];
  if (options.contentFilter) {
    master.push('scan unix - - n - 10 smtp', '  -o smtp_send_xforward_command=yes', '  -o disable_mime_output_conversion=yes', '  -o smtp_generic_maps=');
  }
  if (reinjectPort !== undefined) {
    master.push(
      `127.0.0.1:${reinjectPort} inet n - n - 10 smtpd`,
      '  -o content_filter=',
      '  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters',
      '  -o smtpd_helo_restrictions=',
      '  -o smtpd_client_restrictions=',
      '  -o smtpd_sender_restrictions=',
      '  -o smtpd_recipient_restrictions=permit_mynetworks,reject',
      '  -o mynetworks=127.0.0.0/8',
      '  -o smtpd_authorized_xforward_hosts=127.0.0.0/8',
    );
  }
  master.push(...(options.masterCf ?? []));

  await writeFile(path.join(configDir, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  await writeFile(path.join(configDir, 'master.cf'), master.join('\n') + '\n');

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await run(POSTFIX, ['-c', configDir, 'stop']).catch(() => undefined);
    await waitForMasterExit(queueDir);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await run(POSTFIX, ['-c', configDir, 'start']);
  } catch (err) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await stop();
    const e = err as Error & { stderr?: string };
    throw new Error(`postfix -c ${configDir} start failed: ${e.message}\n${e.stderr ?? ''}\n${log}`);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      await stop();
      throw new Error(`Postfix started but 127.0.0.1:${port} does not answer.\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const messages = async (): Promise<DeliveredMessage[]> => {
    const out: DeliveredMessage[] = [];
    for (const sub of ['new', 'cur']) {
      const d = path.join(mailDir, 'Maildir', sub);
      const files = (await readdir(d).catch(() => [] as string[])).sort();
      for (const f of files) {
        const file = path.join(d, f);
        const raw = await readFile(file);
        const recipient = /^Delivered-To: *(\S+)/im.exec(raw.toString('latin1', 0, Math.min(raw.length, 4096)))?.[1] ?? '';
        out.push({ recipient, file, raw });
      }
    }
    return out;
  };

  const instance: PostfixInstance = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    dir,
    configDir,
    messages,
    async waitForMessages(count, timeoutMs = DELIVERY_TIMEOUT_MS) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const got = await messages();
        if (got.length >= count) return got;
        if (Date.now() > until) {
          const log = await readFile(logFile, 'utf8').catch(() => '');
          throw new Error(`expected ${count} delivered message(s) within ${timeoutMs} ms, found ${got.length}. Postfix log:\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    async flush() {
      await run(POSTFIX, ['-c', configDir, 'flush']);
    },
    async queue() {
      const { stdout } = await run('/usr/sbin/postqueue', ['-c', configDir, '-j']);
      return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    },
    async postsuper(args) {
      await run('/usr/sbin/postsuper', ['-c', configDir, ...args]);
    },
    sendmail(args, input) {
      return new Promise((resolve) => {
        const child = execFile('/usr/sbin/sendmail', args, { env: { ...process.env, MAIL_CONFIG: configDir }, timeout: START_TIMEOUT_MS }, (err, _stdout, stderr) => {
          resolve({ code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1 : 0, stderr });
        });
        child.stdin!.end(input);
      });
    },
    stop,
  };
  if (reinjectPort !== undefined) instance.reinjectPort = reinjectPort;
  return instance;
}

async function postfixUser(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('postfix:'));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) throw new Error('The "postfix" user does not exist; is the postfix package installed completely?');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** `postfix stop` returns at once; wait for the master to be gone before removing its files. */
async function waitForMasterExit(queueDir: string): Promise<void> {
  const pidFile = path.join(queueDir, 'pid', 'master.pid');
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
