// scripts/provision-test-deps.sh, the one place that knows which system programs the tests need
// (npm test's global setup and .ci/run both call it). Nothing is uninstalled here: other work
// on this machine uses these programs. MAILGUARD_TEST_DEPS_ASSUME_MISSING makes the script treat
// packages as missing, and a stub apt-get on PATH records what it would install.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runProcess } from '../helpers/cli.js';

const SCRIPT = path.join(ROOT, 'scripts/provision-test-deps.sh');
const ALL = ['postfix', 'swaks', 'git-email', 'libmailtools-perl', 'chromium', 'dovecot-imapd', 'zsh', 'fish'];
const isRoot = process.getuid?.() === 0;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-provision-'));
  chmodSync(tmp, 0o755);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function provision(env: NodeJS.ProcessEnv, script = SCRIPT, prefix: string[] = []) {
  const clean = { ...process.env };
  delete clean.MAILGUARD_TEST_DEPS_ASSUME_MISSING;
  delete clean.MAILGUARD_TEST_DEPS_NO_INSTALL;
  const [cmd, ...args] = [...prefix, 'bash', script];
  return runProcess(cmd!, args, { env: { ...clean, ...env }, cwd: tmp });
}

describe('provision-test-deps.sh', () => {
  it('everything installed (this machine): exit 0, silent', async () => {
    const r = await provision({});
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it.each([
    [['postfix']],
    [['swaks', 'chromium']],
    [['git-email', 'libmailtools-perl']],
    [['dovecot-imapd']],
    [['zsh', 'fish']],
    [ALL],
  ])('missing %j and not allowed to install: exit 1, one message naming exactly them and the apt-get line', async (missing) => {
    const r = await provision({ MAILGUARD_TEST_DEPS_ASSUME_MISSING: missing.join(' '), MAILGUARD_TEST_DEPS_NO_INSTALL: '1' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/^mailguard tests:/gm)).toHaveLength(1);
    expect(r.stderr).toContain(`missing system packages: ${missing.join(' ')}.`);
    expect(r.stderr).toContain(`sudo apt-get install --no-install-recommends ${missing.join(' ')}\n`);
    for (const other of ALL.filter((p) => !missing.includes(p))) expect(r.stderr).not.toMatch(new RegExp(`\\b${other}\\b`));
  });

  it.runIf(isRoot)('not root (as nobody): never tries apt-get, says what to install', async () => {
    const copy = path.join(tmp, 'provision.sh');
    copyFileSync(SCRIPT, copy);
    chmodSync(copy, 0o755);
    const r = await provision({ MAILGUARD_TEST_DEPS_ASSUME_MISSING: 'swaks postfix' }, copy, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('installing');
    expect(r.stderr).toContain('sudo apt-get install --no-install-recommends postfix swaks\n');
  });

  it.runIf(isRoot)('root with apt-get: preseeds Postfix, installs exactly the missing packages, then re-checks (exit 0)', async () => {
    const stubs = mkdtempSync(path.join(tmp, 'stubs-'));
    const log = path.join(stubs, 'calls.log');
    for (const tool of ['apt-get', 'debconf-set-selections']) {
      const readsStdin = tool === 'debconf-set-selections' ? `cat >> ${log}\n` : '';
      writeFileSync(path.join(stubs, tool), `#!/bin/sh\necho "${tool} $* [$DEBIAN_FRONTEND]" >> ${log}\n${readsStdin}exit 0\n`);
      chmodSync(path.join(stubs, tool), 0o755);
    }
    const r = await provision({ MAILGUARD_TEST_DEPS_ASSUME_MISSING: 'swaks git-email', PATH: `${stubs}:${process.env.PATH}` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('mailguard tests: installing swaks git-email with apt-get (needed by the end-to-end tests)...\n');
    const calls = readFileSync(log, 'utf8');
    expect(calls).toContain('postfix postfix/main_mailer_type select Local only');
    expect(calls).toContain('apt-get update -qq [noninteractive]');
    expect(calls).toContain('apt-get install -y -qq --no-install-recommends swaks git-email [noninteractive]');
  });

  it.runIf(isRoot)('root, but apt-get fails: exit 1 with apt-get\'s own output', async () => {
    const stubs = mkdtempSync(path.join(tmp, 'failing-'));
    writeFileSync(path.join(stubs, 'apt-get'), '#!/bin/sh\necho "E: Unable to locate package $*" >&2\nexit 100\n');
    chmodSync(path.join(stubs, 'apt-get'), 0o755);
    const r = await provision({ MAILGUARD_TEST_DEPS_ASSUME_MISSING: 'chromium', PATH: `${stubs}:${process.env.PATH}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apt-get could not install chromium');
    expect(r.stderr).toContain('E: Unable to locate package');
  });
});
