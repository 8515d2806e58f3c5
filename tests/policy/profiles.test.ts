// Profiles in the configuration: validation (parseConfig), building (settingsFromConfig: top
// level, then the profile, then flags) and resolution (resolveProfile: first match, the
// transport's identity before the author's, the stricter of two when they disagree).
import { describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { patternProblem } from '../../src/policy/config.js';
import { matchesPattern, messageIdentity, resolveProfile, type SenderIdentity } from '../../src/policy/profiles.js';
import { refusal, settings } from '../helpers/config-settings.js';

export const THREE_PROFILES = {
  internalDomains: ['corp.example'],
  warnAt: 3,
  blockAt: 5,
  onViolation: 'bcc',
  profiles: [
    { name: 'clinic', match: { authUser: ['dr-ann', 'dr-bob'], envelopeFrom: ['*@clinic.corp.example'], from: ['clinic.corp.example'] }, sensitive: true, blockAt: 2, onViolation: 'block' },
    { name: 'press', match: { authUser: ['press'], from: ['press@corp.example'] }, publicLists: ['*@lists.example.org'], onViolation: 'block' },
  ],
};

const resolve = (identity: SenderIdentity, config: unknown = THREE_PROFILES) => resolveProfile(settings(config).profiles, identity);


describe('profiles in the configuration', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown key in a profile', { profiles: [{ name: 'a', match: { from: ['a.example'] }, blockat: 2 }] }, /profiles\[0\] \("a"\)\.blockat/],
    ['an unknown key in match', { profiles: [{ name: 'a', match: { sender: ['a.example'] } }] }, /profiles\[0\] \("a"\)\.match\.sender.*|unknown key "profiles\[0\] \("a"\)\.match\.sender"/],
    ['an empty match', { profiles: [{ name: 'a', match: {} }] }, /profiles\[0\] \("a"\)\.match is empty/],
    ['a match of empty lists', { profiles: [{ name: 'a', match: { from: [], authUser: [] } }] }, /match is empty/],
    ['no match', { profiles: [{ name: 'a', sensitive: true }] }, /profiles\[0\] \("a"\) has no "match"/],
    ['no name', { profiles: [{ match: { from: ['a.example'] } }] }, /profiles\[0\] has no "name"/],
    ['a duplicate name', { profiles: [{ name: 'a', match: { from: ['a.example'] } }, { name: 'a', match: { from: ['b.example'] } }] }, /profiles\[1\] \("a"\): a profile of that name comes earlier/],
    ['the name default', { profiles: [{ name: 'default', match: { from: ['a.example'] } }] }, /"default" is the name of the top-level policy/],
    ['a name with a space', { profiles: [{ name: 'the clinic', match: { from: ['a.example'] } }] }, /one word/],
    ['a bad from pattern', { profiles: [{ name: 'a', match: { from: ['ann@'] } }] }, /match\.from: "ann@" is not a pattern/],
    ['a wildcard in the middle', { profiles: [{ name: 'a', match: { from: ['a*@corp.example'] } }] }, /match\.from: "a\*@corp\.example".*wildcard/],
    ['a bare wildcard', { profiles: [{ name: 'a', match: { envelopeFrom: ['*'] } }] }, /match\.envelopeFrom: "\*"/],
    ['a pattern with a space', { profiles: [{ name: 'a', match: { authUser: ['dr ann'] } }] }, /match\.authUser: "dr ann"/],
    ['a pattern that is not a string', { profiles: [{ name: 'a', match: { from: [3] } }] }, /an array of strings/],
    ['a bad value in a profile', { profiles: [{ name: 'a', match: { from: ['a.example'] }, blockAt: 0 }] }, /profiles\[0\] \("a"\)\.blockAt" must be a whole number/],
    ['a mode that does not exist', { profiles: [{ name: 'a', match: { from: ['a.example'] }, onViolation: 'drop' }] }, /onViolation" must be one of/],
    ['warnAt above blockAt in the profile', { profiles: [{ name: 'a', match: { from: ['a.example'] }, warnAt: 4, blockAt: 2 }] }, /profiles\[0\] \("a"\): warnAt \(4, from the profile\) is above blockAt \(2, from the profile\)/],
    ['a public suffix as internal domain of a profile', { profiles: [{ name: 'a', match: { from: ['a.example'] }, internalDomains: ['com'] }] }, /profiles\[0\] \("a"\).*public suffix/],
    ['profiles that are not a list', { profiles: { clinic: {} } }, /"profiles" must be an array/],
  ])('refuses %s, naming the key', (_, config, message) => {
    expect(refusal(config)).toMatch(message);
  });

  it.each([
    ['ann@corp.example', 'from'],
    ['*@corp.example', 'envelopeFrom'],
    ['corp.example', 'from'],
    ['.corp.example', 'from'],
    ['bücher.example', 'from'],
    ['dr-ann', 'authUser'],
    ['ann@corp.example', 'authUser'],
  ] as const)('accepts the pattern %s for %s', (pattern, attribute) => {
    expect(patternProblem(pattern, attribute)).toBeUndefined();
  });

  it('a profile overrides the top level key by key, merges rules per code, and flags are the last word', () => {
    const s = settings({ ...THREE_PROFILES, rules: { DUPLICATE_RECIPIENT_FIELD: 'off', BCC_HEADER_PRESENT: 'warning' }, profiles: [{ ...THREE_PROFILES.profiles[0], rules: { BCC_HEADER_PRESENT: 'error' } }] });
    const clinic = s.profiles.list[0]!;
    expect(clinic.policy).toMatchObject({ sensitive: true, blockAt: 2, warnAt: 2, internalDomains: ['corp.example'], rules: { DUPLICATE_RECIPIENT_FIELD: 'off', BCC_HEADER_PRESENT: 'error' } });
    expect(clinic.onViolation).toBe('block');
    expect(s.profiles.default.policy).toMatchObject({ sensitive: false, blockAt: 5 });
    const flagged = settings(THREE_PROFILES, { blockAt: 9, warnAt: 9 });
    expect(flagged.profiles.list.map((p) => p.policy.blockAt)).toEqual([9, 9]);
  });
});

// A threshold flag given alone moves the other threshold only where nothing configured it. It
// raised configured ones: --warn-at 3 (the default's own value) lifted the clinic profile's
// blockAt 2 to 3, and a message showing two patients passed with no finding.
describe('a threshold flag given alone against a configured threshold', () => {
  const clinic = (own: Record<string, unknown>) => ({ internalDomains: ['corp.example'], profiles: [{ name: 'clinic', match: { from: ['clinic.corp.example'] }, ...own }] });
  const refused = (config: unknown, flags: Record<string, number>): string => {
    try {
      settings(config, flags);
    } catch (err) {
      expect((err as MailguardError).code).toBe('ECONFIG');
      return (err as Error).message;
    }
    throw new Error('accepted');
  };
  it.each<[string, unknown, Record<string, number>, RegExp]>([
    ["a profile's blockAt under --warn-at", clinic({ blockAt: 2 }), { warnAt: 3 }, /profiles\[0\] \("clinic"\): warnAt \(3, from --warn-at\) is above blockAt \(2, from the profile\)/],
    ["a sensitive profile's blockAt under --warn-at", clinic({ sensitive: true, blockAt: 2 }), { warnAt: 4 }, /\("clinic"\): warnAt \(4, from --warn-at\) is above blockAt \(2, from the profile\)/],
    ["a profile's blockAddressesAt under --warn-addresses-at", clinic({ blockAddressesAt: 5 }), { warnAddressesAt: 10 }, /\("clinic"\): warnAddressesAt \(10, from --warn-addresses-at\) is above blockAddressesAt \(5, from the profile\)/],
    ['the file\'s blockAt under --warn-at', { blockAt: 4 }, { warnAt: 5 }, /^warnAt \(5, from --warn-at\) is above blockAt \(4, from /],
    ['the file\'s blockAddressesAt under --warn-addresses-at', { blockAddressesAt: 12 }, { warnAddressesAt: 20 }, /^warnAddressesAt \(20, from --warn-addresses-at\) is above blockAddressesAt \(12, from /],
    ['the file\'s blockAt inherited by a profile', { blockAt: 4, profiles: [{ name: 'p', match: { from: ['p.example'] }, warnAt: 2 }] }, { warnAt: 6 }, /^warnAt \(6, from --warn-at\) is above blockAt \(4, from /],
  ])('%s is refused, not raised', (_, config, flags, message) => {
    expect(refused(config, flags)).toMatch(message);
  });

  it('still raises a block threshold nothing configured (the default), and lowers a warn threshold to a block flag', () => {
    expect(settings({}, { warnAt: 8 }).policy).toMatchObject({ warnAt: 8, blockAt: 8 });
    expect(settings({}, { warnAddressesAt: 30 }).policy).toMatchObject({ warnAddressesAt: 30, blockAddressesAt: 30 });
    const s = settings(clinic({ blockAt: 2 }), { blockAt: 4 });
    expect(s.profiles.list[0]!.policy).toMatchObject({ warnAt: 2, blockAt: 4 });
    expect(settings({ warnAt: 4 }, { blockAt: 3 }).policy).toMatchObject({ warnAt: 3, blockAt: 3 });
    // A flag at or under the configured block threshold keeps it.
    expect(settings(clinic({ blockAt: 2 }), { warnAt: 2 }).profiles.list[0]!.policy).toMatchObject({ warnAt: 2, blockAt: 2 });
  });
});

describe('matching', () => {
  it.each<[string, string, 'from' | 'authUser', boolean]>([
    ['ann@corp.example', 'ann@corp.example', 'from', true],
    ['ANN@Corp.Example', 'ann@corp.example', 'from', true],
    ['bob@corp.example', 'ann@corp.example', 'from', false],
    ['ann@clinic.corp.example', 'corp.example', 'from', true],
    ['ann@notcorp.example', 'corp.example', 'from', false],
    ['ann@clinic.corp.example', '*@corp.example', 'from', false],
    ['ann@corp.example', '*@corp.example', 'from', true],
    ['dr-ann', 'dr-ann', 'authUser', true],
    ['DR-ANN', 'dr-ann', 'authUser', true],
    ['dr-ann2', 'dr-ann', 'authUser', false],
    ['dr-ann', 'dr-ann', 'from', false],
    ['ann@xn--bcher-kva.example', 'bücher.example', 'from', true],
  ])('%s against %s (%s): %s', (value, pattern, attribute, expected) => {
    expect(matchesPattern(value, pattern, attribute)).toBe(expected);
  });
});

describe('resolveProfile', () => {
  it.each<[string, SenderIdentity, string, string | undefined]>([
    ['nothing known: the top level', {}, 'default', undefined],
    ['an author of the clinic', { from: ['ann@clinic.corp.example'] }, 'clinic', 'from'],
    ['the press officer by From', { from: ['press@corp.example'] }, 'press', 'from'],
    ['sales by From', { from: ['sam@corp.example'] }, 'default', 'from'],
    ['an AUTH user of the clinic', { authUser: 'dr-bob' }, 'clinic', 'authUser'],
    ['an envelope sender of the clinic', { envelopeFrom: 'x@clinic.corp.example' }, 'clinic', 'envelopeFrom'],
    ['the press AUTH user writing as press', { authUser: 'press', from: ['press@corp.example'] }, 'press', 'authUser'],
    ['the clinic AUTH user writing From: press@ (the attack)', { authUser: 'dr-ann', from: ['press@corp.example'] }, 'clinic+press', 'authUser'],
    ['a sales AUTH user writing From: press@', { authUser: 'sam', from: ['press@corp.example'] }, 'default+press', 'authUser'],
    ['a press AUTH user writing as the clinic', { authUser: 'press', from: ['ann@clinic.corp.example'] }, 'press+clinic', 'authUser'],
    ['a sales envelope sender writing From: press@', { envelopeFrom: 'sam@corp.example', from: ['press@corp.example'] }, 'default+press', 'envelopeFrom'],
  ])('%s: %s', (_, identity, name, attribute) => {
    const r = resolve(identity);
    expect(r.name).toBe(name);
    expect(r.chosenBy?.attribute).toBe(attribute);
    expect(r.stricterWith.map((c) => c.profile)).toEqual(name.split('+').slice(1));
  });

  it('the clinic user writing as press keeps the clinic\'s policy: sensitive, block at 2, no public list, mode block', () => {
    const r = resolve({ authUser: 'dr-ann', from: ['press@corp.example'] });
    expect(r.policy).toMatchObject({ sensitive: true, blockAt: 2, publicLists: [] });
    expect(r.chosenBy).toMatchObject({ attribute: 'authUser', value: 'dr-ann', profile: 'clinic', pattern: 'dr-ann' });
    expect(r.stricterWith).toEqual([{ attribute: 'from', value: 'press@corp.example', profile: 'press', pattern: 'press@corp.example' }]);
    expect(r.onViolation).toBe('block');
  });

  it('a sales user writing as press does not get the public list (press is laxer there)', () => {
    expect(resolve({ authUser: 'sam', from: ['press@corp.example'] }).policy.publicLists).toEqual([]);
    expect(resolve({ from: ['press@corp.example'] }).policy.publicLists).toEqual(['*@lists.example.org']);
  });

  it.each([
    ['a decomposed letter in the domain', 'From: Doc <doc@clinic.corp.exa\u0301mple>'],
    ['a fullwidth dot', 'From: doc@clinic\uff0ecorp.example'],
    ['an unclosed angle', 'From: Doc <doc@clinic.corp.example'],
  ])('an author that cannot be read (%s) could be anyone: every profile applies, never the top level alone', (_name, from) => {
    const identity = messageIdentity(Buffer.from(`${from}\r\nTo: a@x.example\r\nSubject: s\r\n\r\nhi\r\n`, 'utf8'));
    expect(identity.fromUnreadable).toBe(true);
    const r = resolve(identity);
    expect(r.name).toBe('default+clinic+press');
    expect(r.policy).toMatchObject({ sensitive: true, blockAt: 2, publicLists: [] });
    // Known transport identity still comes first.
    expect(resolve({ ...identity, authUser: 'press' }).name).toBe('press+clinic');
  });

  it('a From without an "@" problem (a bare name) or a readable one adds nothing', () => {
    for (const from of ['From: MAILER-DAEMON', 'From: Sam <sam@corp.example>']) {
      const identity = messageIdentity(Buffer.from(`${from}\r\nTo: a@x.example\r\n\r\nhi\r\n`));
      expect(identity.fromUnreadable).toBeUndefined();
    }
  });

  it('the first matching profile applies', () => {
    const config = { profiles: [{ name: 'first', match: { from: ['corp.example'] }, warnAt: 2 }, { name: 'second', match: { from: ['ann@corp.example'] }, warnAt: 4, blockAt: 6 }] };
    expect(resolve({ from: ['ann@corp.example'] }, config).name).toBe('first');
    expect(resolve({ from: ['ann@other.example'] }, config).name).toBe('default');
  });

  it('reads the authors from the bytes, and merges every author\'s profile', () => {
    const id = messageIdentity(Buffer.from('From: Press <press@corp.example>, ann@clinic.corp.example\r\nTo: x@a.example\r\n\r\n'), { authUser: '', envelopeFrom: 'sam@corp.example' });
    expect(id).toEqual({ from: ['press@corp.example', 'ann@clinic.corp.example'], envelopeFrom: 'sam@corp.example' });
    expect(resolve(id).name).toBe('default+press+clinic');
  });
});
