// Before the tests: the system programs the end-to-end tests drive (installed with apt-get when
// run as root, else one message saying what to install; scripts/provision-test-deps.sh, shared
// with .ci/run), then the CLI built once, so e2e tests spawn the real binary (bin/mailguard.js).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  try {
    execFileSync('bash', [path.join(root, 'scripts/provision-test-deps.sh')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    // The script printed what is missing and how to install it; a stack trace would only bury that.
    throw new Error('system packages the tests need are missing (see the message above)');
  }
  if (process.env.MAILGUARD_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, [path.join(root, 'node_modules/tsup/dist/cli-default.js'), '--silent'], { cwd: root, stdio: 'inherit' });
}
