// Spawns mailguard-sendmail (or `mailguard sendmail`) as a program that pipes a message into
// sendmail would, in a scratch directory with its own config and none of the caller's settings.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

export const SENDMAIL_BIN = path.join(ROOT, 'bin/mailguard-sendmail.js');
export const MAILGUARD_BIN = path.join(ROOT, 'bin/mailguard.js');

export interface SendmailRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any MAILGUARD_* setting of the machine running the tests. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MAILGUARD_')) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

export function runSendmail(args: string[], options: { input?: string | Buffer; cwd: string; env?: NodeJS.ProcessEnv; subcommand?: boolean }): Promise<SendmailRun> {
  return new Promise((resolve, reject) => {
    const argv = options.subcommand ? [MAILGUARD_BIN, 'sendmail', ...args] : [SENDMAIL_BIN, ...args];
    const child = spawn(process.execPath, argv, { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** A scratch directory holding mailguard.config.json (when given). */
export async function scratchDir(config?: object): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-sendmail-'));
  if (config) await writeFile(path.join(dir, 'mailguard.config.json'), JSON.stringify(config));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fake sendmail binary that records its arguments and stdin, then exits with $FAKE_SENDMAIL_STATUS. */
export async function writeRecordingSendmail(dir: string): Promise<{ path: string; args: string; message: string }> {
  const script = path.join(dir, 'fake-sendmail.sh');
  const args = path.join(dir, 'fake-sendmail.args');
  const message = path.join(dir, 'fake-sendmail.eml');
  await writeFile(
    script,
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${args}'\ncat > '${message}'\necho "fake sendmail says hello" >&2\nexit \${FAKE_SENDMAIL_STATUS:-0}\n`,
    { mode: 0o755 },
  );
  return { path: script, args, message };
}
