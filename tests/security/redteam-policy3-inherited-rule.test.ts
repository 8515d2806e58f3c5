// A rule turned down at the top level undid a profile's own strictness: with
// `"rules": { "EXPOSED_RECIPIENTS": "warning" }` at the top and a clinic profile saying
// `"sensitive": true, "blockAt": 2`, the clinic inherited the warning, and a message showing two
// patients was a warning (check WARN, exit 0; send, proxy, milter, sendmail and the plugin sent
// it). The same with "off" (no finding at all), with a profile's blockAddressesAt, with the
// attachment and invitation codes that `sensitive` and the thresholds decide, and with
// `--sensitive` or `--block-at` on the command line over the file's rule. Now a rule inherited
// from a wider scope is raised just enough that the thresholds and `sensitive` the profile (or
// the flags) set take effect (rulesHonouring): back to the rule's own severity for a block key,
// at least a warning for a warn key. A rule the profile sets itself, or `--rule`, is the last word.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { settings } from '../helpers/config-settings.js';

const clinic = (own: Record<string, unknown>) => ({ name: 'clinic', match: { from: ['clinic.corp.example'] }, ...own });
const top = (rules: Record<string, string>, ...profiles: unknown[]) => ({ internalDomains: ['corp.example'], rules, profiles });
const rulesOf = (config: unknown, flags = {}) => settings(config, flags).profiles.list[0]!.policy.rules;

const TWO_PATIENTS = 'From: dr@clinic.corp.example\nTo: p1@one.test, p2@two.test\nSubject: results\n\nhello\n';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("a rule inherited from the top level does not undo a profile's own strictness", () => {
  it.each<[string, Record<string, string>, Record<string, unknown>, string, string | undefined]>([
    ['sensitive under EXPOSED_RECIPIENTS warning', { EXPOSED_RECIPIENTS: 'warning' }, { sensitive: true }, 'EXPOSED_RECIPIENTS', undefined],
    ['blockAt 2 under EXPOSED_RECIPIENTS warning', { EXPOSED_RECIPIENTS: 'warning' }, { blockAt: 2 }, 'EXPOSED_RECIPIENTS', undefined],
    ['sensitive and blockAt 2 under EXPOSED_RECIPIENTS off', { EXPOSED_RECIPIENTS: 'off' }, { sensitive: true, blockAt: 2 }, 'EXPOSED_RECIPIENTS', undefined],
    ['blockAddressesAt 3 under EXPOSED_RECIPIENTS warning', { EXPOSED_RECIPIENTS: 'warning' }, { blockAddressesAt: 3 }, 'EXPOSED_RECIPIENTS', undefined],
    ['warnAt 2 under EXPOSED_RECIPIENTS off: at least a warning', { EXPOSED_RECIPIENTS: 'off' }, { warnAt: 2 }, 'EXPOSED_RECIPIENTS', 'warning'],
    ['sensitive under EXPOSED_ATTENDEES warning', { EXPOSED_ATTENDEES: 'warning' }, { sensitive: true }, 'EXPOSED_ATTENDEES', undefined],
    ['sensitive under ADDRESS_LIST_IN_ATTACHMENT off', { ADDRESS_LIST_IN_ATTACHMENT: 'off' }, { sensitive: true }, 'ADDRESS_LIST_IN_ATTACHMENT', undefined],
    ['warnAt 2 under EXPOSED_REPLY_ADDRESSES off', { EXPOSED_REPLY_ADDRESSES: 'off' }, { warnAt: 2 }, 'EXPOSED_REPLY_ADDRESSES', 'warning'],
  ])('%s', (_name, rules, own, code, expected) => {
    expect(rulesOf(top(rules, clinic(own)))[code as 'EXPOSED_RECIPIENTS']).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, Record<string, string>, string | undefined]>([
    ['--sensitive over the file\'s EXPOSED_RECIPIENTS warning', { sensitive: true }, { EXPOSED_RECIPIENTS: 'warning' }, undefined],
    ['--block-at 2 over the file\'s EXPOSED_RECIPIENTS off', { blockAt: 2 }, { EXPOSED_RECIPIENTS: 'off' }, undefined],
    ['--warn-at 2 over the file\'s EXPOSED_RECIPIENTS off', { warnAt: 2 }, { EXPOSED_RECIPIENTS: 'off' }, 'warning'],
  ])('a flag: %s', (_name, flags, rules, expected) => {
    const s = settings({ internalDomains: ['corp.example'], rules, profiles: [clinic({ publicLists: ['*@lists.example.org'] })] }, flags);
    expect(s.policy.rules.EXPOSED_RECIPIENTS).toBe(expected);
    expect(s.profiles.list[0]!.policy.rules.EXPOSED_RECIPIENTS).toBe(expected);
  });

  it('check: the clinic\'s two patients block (exit 1), with the rule inherited as warning or off, or --sensitive over it', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-policy3-'));
    await writeFile(path.join(dir, 'm.eml'), TWO_PATIENTS);
    for (const [config, flags] of [
      [top({ EXPOSED_RECIPIENTS: 'warning' }, clinic({ sensitive: true, blockAt: 2, onViolation: 'block' })), []],
      [top({ EXPOSED_RECIPIENTS: 'off' }, clinic({ sensitive: true })), []],
      [{ internalDomains: ['corp.example'], rules: { EXPOSED_RECIPIENTS: 'warning' } }, ['--sensitive']],
    ] as const) {
      await writeFile(path.join(dir, 'mailguard.config.json'), JSON.stringify(config));
      const r = await runCli(['check', '--format', 'json', ...flags, 'm.eml'], { cwd: dir });
      const result = JSON.parse(r.stdout) as { results: Array<{ verdict: string; findings: Array<{ code: string; severity: string }> }> };
      expect(result.results[0]!.verdict).toBe('block');
      expect(result.results[0]!.findings).toContainEqual(expect.objectContaining({ code: 'EXPOSED_RECIPIENTS', severity: 'error' }));
      expect(r.code).toBe(1);
    }
  });

  it('controls: a rule the profile sets itself, --rule, the top level\'s own combination and profiles that set no threshold keep the setting', () => {
    // The profile's own rule is its last word.
    expect(rulesOf(top({}, clinic({ sensitive: true, rules: { EXPOSED_RECIPIENTS: 'warning' } }))).EXPOSED_RECIPIENTS).toBe('warning');
    expect(rulesOf(top({ EXPOSED_RECIPIENTS: 'warning' }, clinic({ sensitive: true, rules: { EXPOSED_RECIPIENTS: 'off' } }))).EXPOSED_RECIPIENTS).toBe('off');
    // --rule is the last word for every profile.
    expect(rulesOf(top({}, clinic({ sensitive: true })), { rule: ['EXPOSED_RECIPIENTS=warning'] }).EXPOSED_RECIPIENTS).toBe('warning');
    expect(settings(top({ EXPOSED_RECIPIENTS: 'warning' }), { sensitive: true, rule: ['EXPOSED_RECIPIENTS=warning'] }).policy.rules.EXPOSED_RECIPIENTS).toBe('warning');
    // The top level's own combination is one place, read as written.
    expect(settings({ sensitive: true, rules: { EXPOSED_RECIPIENTS: 'warning' } }).policy.rules.EXPOSED_RECIPIENTS).toBe('warning');
    // A profile that sets no threshold (public lists, domains) or only a warn threshold under a warning inherits it.
    expect(rulesOf(top({ EXPOSED_RECIPIENTS: 'warning' }, clinic({ publicLists: ['*@lists.example.org'] }))).EXPOSED_RECIPIENTS).toBe('warning');
    expect(rulesOf(top({ EXPOSED_RECIPIENTS: 'warning' }, clinic({ warnAt: 2 }))).EXPOSED_RECIPIENTS).toBe('warning');
    expect(rulesOf(top({ EXPOSED_RECIPIENTS: 'warning' }, clinic({ sensitive: false }))).EXPOSED_RECIPIENTS).toBe('warning');
    // Other codes are untouched; an error stays an error.
    expect(rulesOf(top({ BCC_HEADER_PRESENT: 'off', EXPOSED_RECIPIENTS: 'error' }, clinic({ sensitive: true }))).BCC_HEADER_PRESENT).toBe('off');
    expect(rulesOf(top({ EXPOSED_RECIPIENTS: 'error' }, clinic({ warnAt: 2 }))).EXPOSED_RECIPIENTS).toBe('error');
  });
});
