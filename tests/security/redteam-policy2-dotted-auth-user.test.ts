// A profile's authUser pattern that holds a dot (`ann.smith`, the first.last logins of most
// directories) never matched the user it names. The configuration accepted it (it parses as a
// domain), but a user name without `@` was compared only to patterns without a dot, so the login
// ann.smith got the top-level policy: a clinic profile (sensitive, blockAt 2, block) chosen by
// `"authUser": ["ann.smith"]` let a message showing two patients through (check --auth-user PASS,
// exit 0; the proxy, milter, drop-in sendmail and plugin resolve the profile the same way). Now
// a plain user name is compared whole with every authUser pattern without `@`, dots or not; an
// address given as the user is still matched as an address.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { settingsFromConfig } from '../../src/cli/policy-options.js';
import { parseConfig } from '../../src/policy/config.js';
import { matchesPattern, resolveProfile } from '../../src/policy/profiles.js';
import { runCli } from '../helpers/cli.js';

const CLINIC = (patterns: string[]) => ({
  internalDomains: ['corp.example'],
  profiles: [{ name: 'clinic', match: { authUser: patterns }, sensitive: true, blockAt: 2, onViolation: 'block' }],
});
const profiles = (config: unknown) => settingsFromConfig({ config: parseConfig(config, 'mailguard.config.json') }, {}).profiles;

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('an authUser pattern with a dot matches the user it names', () => {
  it.each<[string, string]>([
    ['ann.smith', 'ann.smith'],
    ['Ann.Smith', 'ann.smith'],
    ['ann.smith', 'Ann.Smith'],
    ['a.b.c', 'a.b.c'],
    ['dr.ann-lee', 'dr.ann-lee'],
  ])('user %s, pattern %s: the clinic profile', (user, pattern) => {
    expect(matchesPattern(user, pattern, 'authUser')).toBe(true);
    const resolved = resolveProfile(profiles(CLINIC([pattern])), { authUser: user, from: ['ann@corp.example'] });
    // The From selects the top level, merged in the stricter way: clinic+default.
    expect(resolved.chosenBy?.profile).toBe('clinic');
    expect(resolved.policy.sensitive).toBe(true);
  });

  it('check --auth-user ann.smith: the clinic profile blocks two patients (exit 1), not PASS', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-policy2-'));
    await writeFile(path.join(dir, 'mailguard.config.json'), JSON.stringify(CLINIC(['ann.smith'])));
    await writeFile(path.join(dir, 'm.eml'), 'From: ann@corp.example\nTo: p1@one.test, p2@two.test\nSubject: results\n\nhello\n');
    const r = await runCli(['check', '--auth-user', 'ann.smith', 'm.eml'], { cwd: dir });
    expect(r.stdout).toContain('[profile clinic+default]');
    expect(r.stdout).toMatch(/^BLOCK/);
    expect(r.code).toBe(1);
  });

  it.each<[string, string, boolean]>([
    // Controls: other users, and addresses, keep their meaning.
    ['ann.smithy', 'ann.smith', false],
    ['ann', 'ann.smith', false],
    ['smith', 'ann.smith', false],
    ['ann.smith', 'dr-ann', false],
    ['dr-ann', 'dr-ann', true],
    ['ann@corp.example', 'corp.example', true],
    ['ann@clinic.corp.example', 'corp.example', true],
    ['ann@corp.example', 'ann.smith', false],
    ['corp.example', 'corp.example', true],
  ])('control: user %s against pattern %s: %s', (user, pattern, expected) => {
    expect(matchesPattern(user, pattern, 'authUser')).toBe(expected);
  });

  it('control: a From or envelope sender without @ still matches no profile', () => {
    expect(matchesPattern('ann.smith', 'ann.smith', 'from')).toBe(false);
    expect(matchesPattern('ann.smith', 'ann.smith', 'envelopeFrom')).toBe(false);
    expect(resolveProfile(profiles(CLINIC(['ann.smith'])), { authUser: 'bob.jones', from: ['ann@corp.example'] }).name).toBe('default');
  });
});
