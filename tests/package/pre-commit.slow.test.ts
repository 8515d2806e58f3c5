// The pre-commit hooks (.pre-commit-hooks.yaml) installed and run by pre-commit itself:
// `pre-commit try-repo` clones this checkout, runs `npm install` and `npm pack` there (it reads
// npm pack's stdout as the tarball name), installs the tarball and runs both hooks.
// Slow (a full `npm install` of the clone, minutes): run by `npm run test:slow` from .ci/run,
// not by npm test. Needs the `pre-commit` program (Debian package pre-commit, or pip).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runProcess } from '../helpers/cli.js';

let tmp: string;
let project: string;
beforeAll(() => {
  try {
    execFileSync('pre-commit', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('pre-commit is not installed: apt-get install pre-commit (or pip install pre-commit). .ci/run installs it.');
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-pre-commit-'));
  project = path.join(tmp, 'project');
  mkdirSync(path.join(project, 'campaigns'), { recursive: true });
  copyFileSync(path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml'), path.join(project, 'offer.eml'));
  copyFileSync(path.join(ROOT, 'examples/outbox/team-lunch.eml'), path.join(project, 'lunch.eml'));
  copyFileSync(path.join(FIXTURES, 'campaign-exposed.json'), path.join(project, 'campaigns/spring.json'));
  copyFileSync(path.join(FIXTURES, 'campaign-good.json'), path.join(project, 'campaigns/good.json'));
  execFileSync('git', ['init', '-q'], { cwd: project });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('pre-commit try-repo', () => {
  it('installs the hooks from this checkout and both block exposed files, naming only those', async () => {
    const files = ['offer.eml', 'lunch.eml', 'campaigns/spring.json', 'campaigns/good.json'];
    const r = await runProcess('pre-commit', ['try-repo', ROOT, '--files', ...files], {
      cwd: project,
      env: { ...process.env, PRE_COMMIT_HOME: path.join(tmp, 'cache'), NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false' },
      timeoutMs: 600_000,
    });
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    expect(out).not.toMatch(/An unexpected error has occurred|CalledProcessError|ENOENT/);
    expect(out).toMatch(/mailguard \(exposed recipient lists in mail files\)\.+Failed/);
    expect(out).toMatch(/mailguard \(exposed recipient lists in JSON campaign files\)\.+Failed/);
    expect(out).toMatch(/^BLOCK offer\.eml/m);
    expect(out).toMatch(/^BLOCK campaigns\/spring\.json/m);
    expect(out).not.toMatch(/BLOCK lunch\.eml|BLOCK campaigns\/good\.json/);
  }, 660_000);
});
