// A profile's warn threshold given alone raised the block threshold the top level of the file
// sets. With `"warnAt": 2, "blockAt": 3` at the top and a profile that says only `"warnAt": 4`,
// the profile blocked at 4: a message to three customers passed with no finding at all (check
// PASS, exit 0; send, proxy, milter and sendmail relayed it), against the file's blockAt 3. The
// same clash given as a flag (`--warn-at 4`) is refused, naming both values. Now a profile's warn
// threshold moves the block threshold only from its default, as a flag does; above a block
// threshold the top level sets it is refused at start-up (exit 2), naming the profile and both.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mailguard } from '../../src/plugin/nodemailer.js';
import { runCli } from '../helpers/cli.js';
import { refusal, settings } from '../helpers/config-settings.js';

const profile = (own: Record<string, unknown>) => ({ name: 'sales', match: { from: ['sales.corp.example'] }, ...own });


let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("a profile's warn threshold never raises the block threshold the top level sets", () => {
  it.each<[string, unknown, RegExp]>([
    ['warnAt 4 under the top level\'s blockAt 3', { internalDomains: ['corp.example'], warnAt: 2, blockAt: 3, profiles: [profile({ warnAt: 4 })] }, /profiles\[0\] \("sales"\): warnAt \(4, from the profile\) is above blockAt \(3, from /],
    ['warnAt 20 under the top level\'s blockAt 5 (its warnAt the default)', { blockAt: 5, profiles: [profile({ warnAt: 20 })] }, /\("sales"\): warnAt \(20, from the profile\) is above blockAt \(5, from /],
    ['warnAddressesAt 30 under the top level\'s blockAddressesAt 12', { blockAddressesAt: 12, profiles: [profile({ warnAddressesAt: 30 })] }, /\("sales"\): warnAddressesAt \(30, from the profile\) is above blockAddressesAt \(12, from /],
    ['the second profile of two', { warnAt: 2, blockAt: 3, profiles: [{ ...profile({ blockAt: 2 }), name: 'clinic', match: { from: ['clinic.corp.example'] } }, profile({ warnAt: 9 })] }, /profiles\[1\] \("sales"\): warnAt \(9, from the profile\) is above blockAt \(3, from /],
  ])('%s: refused, not raised', (_name, config, message) => {
    expect(refusal(config)).toMatch(message);
  });

  it('the nodemailer plugin refuses the same profiles when it is made', () => {
    expect(() => mailguard({ policy: { internalDomains: ['corp.example'], warnAt: 2, blockAt: 3 }, profiles: [profile({ warnAt: 4 })] as never })).toThrow(/warnAt \(4\) is above blockAt \(3\)/);
  });

  it('check with the file in its directory: exit 2 naming both, not PASS', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-policy2-'));
    await writeFile(path.join(dir, 'mailguard.config.json'), JSON.stringify({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 3, profiles: [profile({ warnAt: 4 })] }));
    await writeFile(path.join(dir, 'm.eml'), 'From: ann@sales.corp.example\nTo: a@one.test, b@two.test, c@three.test\nSubject: hi\n\nhello\n');
    const r = await runCli(['check', 'm.eml'], { cwd: dir });
    expect(r.stdout).not.toContain('PASS');
    expect(r.stderr).toMatch(/\("sales"\): warnAt \(4, from the profile\) is above blockAt \(3, from mailguard\.config\.json\)/);
    expect(r.code).toBe(2);
  });

  it('controls: a warn threshold alone still raises a block threshold nothing configured, a profile may set both, and blockAt alone still lowers warnAt', () => {
    expect(settings({ profiles: [profile({ warnAt: 8 })] }).profiles.list[0]!.policy).toMatchObject({ warnAt: 8, blockAt: 8 });
    expect(settings({ warnAt: 2, profiles: [profile({ warnAddressesAt: 30 })] }).profiles.list[0]!.policy).toMatchObject({ warnAddressesAt: 30, blockAddressesAt: 30 });
    expect(settings({ warnAt: 2, blockAt: 3, profiles: [profile({ warnAt: 3 })] }).profiles.list[0]!.policy).toMatchObject({ warnAt: 3, blockAt: 3 });
    expect(settings({ warnAt: 2, blockAt: 3, profiles: [profile({ warnAt: 4, blockAt: 6 })] }).profiles.list[0]!.policy).toMatchObject({ warnAt: 4, blockAt: 6 });
    expect(settings({ warnAt: 3, blockAt: 5, profiles: [profile({ blockAt: 2 })] }).profiles.list[0]!.policy).toMatchObject({ warnAt: 2, blockAt: 2 });
    // A flag for the block threshold is still the last word over both.
    expect(settings({ warnAt: 2, blockAt: 3, profiles: [profile({ warnAt: 4 })] }, { blockAt: 6 }).profiles.list[0]!.policy).toMatchObject({ warnAt: 4, blockAt: 6 });
  });
});
