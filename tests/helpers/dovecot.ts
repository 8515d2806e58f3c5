// A private Dovecot (IMAP) instance for one test file: its own config, run and state directories
// under a temp dir, listening on 127.0.0.1 only, one passwd-file user per entry of `users`, each
// with a Maildir home. Started with `dovecot -c DIR/dovecot.conf`, stopped by `stop()`.
//
// Dovecot is a real dependency of these tests (Debian package dovecot-imapd): when it is missing
// the test fails saying so; nothing is skipped. It must be started as root (it drops privileges).
// Its output goes to /dev/null: the daemon keeps the starting process's stdout/stderr open.
//
// Messages are placed as Maildir files in cur/ with their flags in the file name
// (`<unique>:2,<flags>`), so a test can compare every message's flags before and after by
// listing the directory, without asking Dovecot.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './postfix.js';

const DOVECOT = '/usr/sbin/dovecot';
/** How long Dovecot may take to open its port (measured: under a second). */
const START_TIMEOUT_MS = 15_000;
/** The uid and gid the mail files belong to (the static userdb's). */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

export interface DovecotUser {
  user: string;
  password: string;
}

export interface DovecotOptions {
  users?: DovecotUser[];
  /** Serve TLS: STARTTLS on the imap port and an imaps port, with this certificate and key (PEM files). */
  tls?: { cert: string; key: string };
  /** Also accept OAuth2 bearer tokens (XOAUTH2, OAUTHBEARER), checked by POSTing them to this introspection URL. */
  oauth2IntrospectionUrl?: string;
}

export interface MaildirMessage {
  /** Flags in Maildir letters: S seen, F flagged, R answered, T deleted, D draft (sorted). */
  flags?: string;
  bytes: Buffer | string;
}

export interface DovecotInstance {
  /** The IMAP port on 127.0.0.1 (STARTTLS offered only with `tls`). */
  port: number;
  /** The IMAPS port on 127.0.0.1, with `tls`. */
  imapsPort?: number;
  dir: string;
  /** Adds messages to a user's folder ("INBOX" or a name such as "Sent") as Maildir files in cur/. */
  addMessages(user: string, folder: string, messages: MaildirMessage[]): Promise<void>;
  /** The folder's Maildir file names in cur/ and new/, sorted: unique name and flags. */
  fileNames(user: string, folder: string): Promise<string[]>;
  log(): Promise<string>;
  /** Stops Dovecot and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
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

function runDovecot(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOVECOT, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

function folderDir(home: string, folder: string): string {
  return folder === 'INBOX' ? path.join(home, 'Maildir') : path.join(home, 'Maildir', `.${folder}`);
}

export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotInstance> {
  if (!existsSync(DOVECOT)) {
    throw new Error(`Dovecot is not installed (${DOVECOT} is missing). These tests need it: apt-get install -y --no-install-recommends dovecot-imapd.`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('A private Dovecot instance can only be started as root (it drops privileges itself). Run the tests as root, as CI does.');
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-dovecot-'));
  await chmod(dir, 0o755);
  const users = options.users ?? [{ user: 'alice', password: 'alice-password' }];
  const homes = path.join(dir, 'home');
  await mkdir(path.join(dir, 'run'), { recursive: true });
  await mkdir(path.join(dir, 'state'), { recursive: true });
  await mkdir(homes, { recursive: true });
  await chmod(homes, 0o755);
  for (const u of users) {
    const home = path.join(homes, u.user);
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(path.join(home, 'Maildir', sub), { recursive: true });
    await chownTree(home);
  }
  const passwd = users.map((u) => `${u.user}:{PLAIN}${u.password}::::::`).join('\n') + '\n';
  await writeFile(path.join(dir, 'passwd'), passwd, { mode: 0o644 });

  const port = await freePort();
  const imapsPort = options.tls ? await freePort() : undefined;
  const conf = [
    `base_dir = ${path.join(dir, 'run')}`,
    `state_dir = ${path.join(dir, 'state')}`,
    `log_path = ${path.join(dir, 'dovecot.log')}`,
    `instance_name = ${path.basename(dir)}`,
    'protocols = imap',
    'listen = 127.0.0.1',
    options.tls ? `ssl = yes\nssl_cert = <${options.tls.cert}\nssl_key = <${options.tls.key}` : 'ssl = no',
    'disable_plaintext_auth = no',
    options.oauth2IntrospectionUrl ? 'auth_mechanisms = plain login xoauth2 oauthbearer' : 'auth_mechanisms = plain login',
    ...(options.oauth2IntrospectionUrl
      ? [`passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${path.join(dir, 'oauth2.conf')}\n}`]
      : []),
    'default_internal_user = dovecot',
    'default_login_user = dovenull',
    `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${path.join(dir, 'passwd')}\n}`,
    `userdb {\n  driver = static\n  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${homes}/%u\n}`,
    'mail_location = maildir:~/Maildir',
    `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }\n  inet_listener imaps {\n    address = 127.0.0.1\n    port = ${imapsPort ?? 0}\n  }\n}`,
    'namespace inbox {\n  inbox = yes\n  separator = /\n  mailbox Sent {\n    special_use = \\Sent\n  }\n}',
  ].join('\n');
  if (options.oauth2IntrospectionUrl) {
    await writeFile(
      path.join(dir, 'oauth2.conf'),
      [`introspection_url = ${options.oauth2IntrospectionUrl}`, 'introspection_mode = post', 'username_attribute = username', 'active_attribute = active', 'active_value = true', 'tokeninfo_url = ', ''].join('\n'),
    );
  }
  const confFile = path.join(dir, 'dovecot.conf');
  await writeFile(confFile, `${conf}\n`);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await runDovecot(['-c', confFile, 'stop']).catch(() => undefined);
    await waitForExit(path.join(dir, 'run', 'master.pid'));
    await rm(dir, { recursive: true, force: true });
  };

  const code = await runDovecot(['-c', confFile]);
  if (code !== 0) {
    const log = await readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`dovecot -c ${confFile} exited with ${code}.\n${log}`);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) {
      const log = await readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => '');
      await stop();
      throw new Error(`Dovecot started but 127.0.0.1:${port} does not answer.\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let counter = 0;
  const instance: DovecotInstance = {
    port,
    dir,
    async addMessages(user, folder, messages) {
      const d = folderDir(path.join(homes, user), folder);
      for (const sub of ['cur', 'new', 'tmp']) await mkdir(path.join(d, sub), { recursive: true });
      for (const m of messages) {
        counter++;
        const flags = [...(m.flags ?? '')].sort().join('');
        const name = `${1_700_000_000 + counter}.M${counter}P${process.pid}.mailguard-test:2,${flags}`;
        await writeFile(path.join(d, 'cur', name), m.bytes);
      }
      if (folder !== 'INBOX') {
        const subscriptions = path.join(homes, user, 'Maildir', 'subscriptions');
        const text = await readFile(subscriptions, 'utf8').catch(() => '');
        if (!text.split('\n').includes(folder)) await writeFile(subscriptions, `${text}${folder}\n`);
      }
      await chownTree(path.join(homes, user));
    },
    async fileNames(user, folder) {
      const d = folderDir(path.join(homes, user), folder);
      const out: string[] = [];
      for (const sub of ['cur', 'new']) out.push(...(await readdir(path.join(d, sub)).catch(() => [] as string[])).map((f) => `${sub}/${f}`));
      return out.sort();
    },
    log: () => readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => ''),
    stop,
  };
  if (imapsPort !== undefined) instance.imapsPort = imapsPort;
  return instance;
}

async function chownTree(p: string): Promise<void> {
  await chown(p, MAIL_UID, MAIL_GID);
  const entries = await readdir(p, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const child = path.join(p, e.name);
    if (e.isDirectory()) await chownTree(child);
    else await chown(child, MAIL_UID, MAIL_GID);
  }
}

/** `dovecot stop` returns at once; wait for the master to be gone before removing its files. */
async function waitForExit(pidFile: string): Promise<void> {
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
