// check in CI: the logs of a CI run are often public (an open-source repository's Actions), so
// addresses are masked in every format there unless --no-redact or "redact": false says otherwise.
// The built CLI, spawned with the CI variables each service sets.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsInCi } from '../../src/cli/output.js';
import { FIXTURES, runCli } from '../helpers/cli.js';

const EXPOSED = path.join(FIXTURES, 'send-exposed.eml');
const POLICY = ['--internal-domain', 'corp.example'];
const FULL = /\bann@alpha\.test\b/;
const MASKED = /a\*\*\*@alpha\.test/;
const NO_CI = { CI: undefined, GITHUB_ACTIONS: undefined, TF_BUILD: undefined };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-redact-ci-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runsInCi', () => {
  it.each<[NodeJS.ProcessEnv, boolean]>([
    [{ CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{ CI: 'woodpecker' }, true],
    [{ GITHUB_ACTIONS: 'true' }, true],
    [{ TF_BUILD: 'True' }, true],
    [{ CI: 'false' }, false],
    [{ CI: '0' }, false],
    [{ CI: '' }, false],
    [{}, false],
  ])('%o: %s', (env, expected) => {
    expect(runsInCi(env)).toBe(expected);
  });
});

describe('check in CI', () => {
  it.each(['human', 'json'])('%s: full addresses outside CI, masked with CI set, full again with --no-redact', async (format) => {
    const outside = await runCli(['check', EXPOSED, '--format', format, ...POLICY], { env: NO_CI });
    expect(outside.stdout).toMatch(FULL);
    for (const env of [{ CI: 'true' }, { GITHUB_ACTIONS: 'true' }, { CI: '1' }]) {
      const inCi = await runCli(['check', EXPOSED, '--format', format, ...POLICY], { env: { ...NO_CI, ...env } });
      expect(inCi.code).toBe(1);
      expect(inCi.stdout).toMatch(MASKED);
      expect(inCi.stdout).not.toMatch(FULL);
    }
    const shown = await runCli(['check', EXPOSED, '--format', format, '--no-redact', ...POLICY], { env: { ...NO_CI, CI: 'true' } });
    expect(shown.stdout).toMatch(FULL);
  });

  it('"redact": false in the config shows them in CI; CI=false is not CI', async () => {
    const config = path.join(dir, 'show.json');
    await writeFile(config, JSON.stringify({ internalDomains: ['corp.example'], redact: false }));
    expect((await runCli(['check', EXPOSED, '--config', config], { env: { ...NO_CI, CI: 'true' } })).stdout).toMatch(FULL);
    expect((await runCli(['check', EXPOSED, ...POLICY], { env: { ...NO_CI, CI: 'false' } })).stdout).toMatch(FULL);
  });
});
