// Spawns mailguard-sendmail (or `mailguard sendmail`) as a program that pipes a message into
// sendmail would, in a scratch directory with its own config and none of the caller's settings.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runProcess, type RunOptions, type RunResult } from '../helpers/cli.js';

export const SENDMAIL_BIN = path.join(ROOT, 'bin/mailguard-sendmail.js');
export const MAILGUARD_BIN = path.join(ROOT, 'bin/mailguard.js');

export type SendmailRun = RunResult;

/** The environment without any MAILGUARD_* setting of the machine running the tests. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MAILGUARD_')) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * The drop-in sendmail reads no configuration from its working directory: the scratch directory's
 * mailguard.config.json is handed over as the system configuration, the way an administrator's
 * wrapper names it (MAILGUARD_SENDMAIL_CONFIG), unless the test sets that variable itself.
 */
export function systemConfigEnv(cwd: string, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const file = path.join(cwd, 'mailguard.config.json');
  // The memory of split copies delivered (src/sendmail/delivered-copies.ts) lives in the user's
  // state directory: each scratch directory gets its own, so no test sees another's.
  const state = { XDG_STATE_HOME: path.join(cwd, '.state'), ...env };
  if (env.MAILGUARD_SENDMAIL_CONFIG !== undefined || !existsSync(file)) return state;
  return { MAILGUARD_SENDMAIL_CONFIG: file, ...state };
}

export function runSendmail(args: string[], options: { input?: string | Buffer; cwd: string; env?: NodeJS.ProcessEnv; subcommand?: boolean }): Promise<SendmailRun> {
  const argv = options.subcommand ? [MAILGUARD_BIN, 'sendmail', ...args] : [SENDMAIL_BIN, ...args];
  const run: RunOptions = { cwd: options.cwd, env: cleanEnv(systemConfigEnv(options.cwd, options.env)), timeoutMs: 25_000 };
  if (options.input !== undefined) run.input = options.input;
  return runProcess(process.execPath, argv, run);
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
