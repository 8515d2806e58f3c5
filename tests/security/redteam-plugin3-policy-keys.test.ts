// A policy given in code was not checked for its keys: `mailguard({ policy: { internalDomains:
// ['corp.example'], blockat: 2 } })` or `createPolicy({ blockat: 2 })` ignored the misspelt key
// and blocked at the default five parties, so two patients saw each other and the message was
// sent; `sensitive: 1` or `null`, `rules: null`, a rule set to "block" or a code misspelt, a policy
// that inherits its settings (Object.create over shared ones) were read as the defaults too, and
// `internalDomains: null` was an internal TypeError. The plugin's own options had the same hole:
// `onviolation: 'bcc'` or `profile: [...]` were ignored. Now a policy given in code is checked
// with the configuration file's policy keys and wording (createPolicy: ECONFIG; the plugin, whose
// options are a usage error: EUSAGE), naming the key, and an unknown plugin option is refused.
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { mailguard } from '../../src/plugin/nodemailer.js';
import { createPolicy, DEFAULT_POLICY } from '../../src/policy/policy.js';
import { checkMessage } from '../../src/analyse.js';

const BASE = { internalDomains: ['corp.example'] };

/** The error `run` throws: a MailguardError with `code` (fails the test when it throws anything else or nothing). */
function refusedWith(code: string, run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(MailguardError);
    expect((err as MailguardError).code).toBe(code);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

/** Policies that must be refused, each with what the message must name. */
const BAD_POLICIES: Array<[string, unknown, RegExp]> = [
  ['a misspelt threshold (blockat)', { ...BASE, blockat: 2 }, /unknown key "blockat"/],
  ['a misspelt address threshold (blockAddressAt)', { ...BASE, blockAddressAt: 2 }, /unknown key "blockAddressAt"/],
  ['a misspelt key in the singular (internalDomain)', { internalDomain: ['corp.example'] }, /unknown key "internalDomain"/],
  ['a key in another case (Sensitive)', { ...BASE, Sensitive: true }, /unknown key "Sensitive"/],
  ['a built-in name (toString)', { ...BASE, toString: 1 }, /unknown key "toString"/],
  ['a threshold as a string', { ...BASE, blockAt: '2' }, /"blockAt" must be a whole number/],
  ['sensitive as the string "false"', { ...BASE, sensitive: 'false' }, /"sensitive" must be true or false/],
  ['sensitive as 1', { ...BASE, sensitive: 1 }, /"sensitive" must be true or false/],
  ['sensitive null', { ...BASE, sensitive: null }, /"sensitive" must be true or false/],
  ['sensitive undefined', { ...BASE, sensitive: undefined }, /"sensitive" must be true or false/],
  ['internalDomains null', { internalDomains: null }, /"internalDomains" must be an array of strings/],
  ['internalDomains as one string', { internalDomains: 'corp.example' }, /"internalDomains" must be an array of strings/],
  ['publicLists null', { ...BASE, publicLists: null }, /"publicLists" must be an array of strings/],
  ['rules null', { ...BASE, rules: null }, /"rules" must be an object/],
  ['a rule set to "block"', { ...BASE, rules: { EXPOSED_RECIPIENTS: 'block' } }, /"rules.EXPOSED_RECIPIENTS" must be one of/],
  ['a rule whose code is misspelt', { ...BASE, rules: { EXPOSED_RECIPIENT: 'error' } }, /"rules.EXPOSED_RECIPIENT" is not a finding code/],
  ['bodyScan true', { ...BASE, bodyScan: true }, /"bodyScan" must be an object/],
  ['a misspelt bodyScan key', { ...BASE, bodyScan: { minAdresses: 5 } }, /unknown key "bodyScan.minAdresses"/],
  ['a policy inheriting its settings (Object.create)', Object.assign(Object.create({ sensitive: true, blockAt: 2 }) as object, BASE), /must be a plain object/],
  ['a setting that is not enumerable', Object.defineProperty({ ...BASE }, 'blockAt', { value: 2, enumerable: false }), /unknown key "blockAt"/],
  ['null', null, /must be a plain object/],
  ['an array', [BASE], /must be a plain object/],
  ['a string', 'corp.example', /must be a plain object/],
];

describe('createPolicy refuses a key it does not know or a value of another type (ECONFIG), naming the key', () => {
  it.each(BAD_POLICIES)('%s', (_name, given, named) => {
    expect(refusedWith('ECONFIG', () => createPolicy(given as never))).toMatch(named);
  });
});

describe('the nodemailer plugin refuses the same in its policy (EUSAGE), naming the key', () => {
  it.each(BAD_POLICIES.filter(([name]) => name !== 'sensitive undefined'))('%s', (_name, given, named) => {
    const message = refusedWith('EUSAGE', () => mailguard({ policy: given as never }));
    expect(message).toMatch(named);
    expect(message).toMatch(/^mailguard\(\{ policy \}\)/);
  });

  it('and in a profile given beside it', () => {
    const profiles = [{ name: 'clinic', match: { from: ['clinic.corp.example'] }, blockat: 2 }];
    expect(refusedWith('EUSAGE', () => mailguard({ policy: BASE, profiles }))).toMatch(/unknown key "profiles\[0\] \("clinic"\)\.blockat"/);
  });
});

describe("the plugin's own options: an unknown or misspelt option, or a value of another type, is refused (EUSAGE)", () => {
  it.each([
    ['onviolation', { policy: BASE, onviolation: 'bcc' }, /unknown key "onviolation"/],
    ['profile', { policy: BASE, profile: [{ name: 'clinic', match: { from: ['clinic.corp.example'] }, sensitive: true }] }, /unknown key "profile"/],
    ['policies', { policies: BASE }, /unknown key "policies"/],
    ['sensitive at the top level', { policy: BASE, sensitive: true }, /unknown key "sensitive"/],
    ['onViolation "Block"', { policy: BASE, onViolation: 'Block' }, /onViolation must be one of "block", "warn", "bcc"/],
    ['onViolation "split"', { policy: BASE, onViolation: 'split' }, /cannot do onViolation "split"/],
    ['authUser a number', { policy: BASE, authUser: 5 }, /"authUser" must be a non-empty string/],
    ['options null', null, /"options" must be an object/],
  ] as const)('%s', (_name, options, named) => {
    expect(refusedWith('EUSAGE', () => mailguard(options as never))).toMatch(named);
  });
});

const PATIENTS = ['ann@patients1.test', 'bob@patients2.test'];
const send = async (plugin: ReturnType<typeof mailguard>, data: Record<string, unknown>) => {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
  t.use('compile', plugin);
  return t.sendMail({ from: 'clinic@corp.example', subject: 's', text: 'hello', ...data }).then(
    () => 'sent',
    (e: unknown) => (e as { code?: string }).code,
  );
};

describe('controls: policies and options written as documented keep working', () => {
  it('createPolicy with nothing, a partial, its own result, a spread of it, DEFAULT_POLICY, a null-prototype object', () => {
    expect(createPolicy().blockAt).toBe(5);
    const p = createPolicy({ internalDomains: ['Corp.Example.'], warnAt: 2, blockAt: 2, sensitive: true, rules: { EXPOSED_REPLY_ADDRESSES: 'off' } });
    expect(p.internalDomains).toEqual(['corp.example']);
    expect(createPolicy(p)).toEqual(p);
    expect(createPolicy({ ...p, warnAt: 1 }).warnAt).toBe(1);
    expect(createPolicy(DEFAULT_POLICY)).toEqual(createPolicy());
    expect(createPolicy(Object.assign(Object.create(null) as object, { blockAt: 3 })).blockAt).toBe(3);
  });

  it('every rule setting a policy can hold (the stricter merge makes at-least-warning)', () => {
    expect(createPolicy({ rules: { EXPOSED_RECIPIENTS: 'at-least-warning', PUBLIC_LIST_POST: 'warning', BCC_HEADER_PRESENT: 'off', EXPOSED_REPLY_ADDRESSES: 'error' } }).rules.EXPOSED_RECIPIENTS).toBe('at-least-warning');
  });

  it('a body scan given in part gets the defaults for the rest; enabled false or false is none', () => {
    expect(createPolicy({ bodyScan: { minAddresses: 5 } as never }).bodyScan).toEqual({ minAddresses: 5, maxPartBytes: 1024 * 1024 });
    expect(createPolicy({ bodyScan: { enabled: false } as never }).bodyScan).toBeUndefined();
    expect(createPolicy({ bodyScan: false as never }).bodyScan).toBeUndefined();
    const whole = { minAddresses: 3, maxPartBytes: 4096 };
    expect(createPolicy({ bodyScan: whole }).bodyScan).toBe(whole);
  });

  it('a pasted list is found with a body scan given in part (its maxPartBytes at the default)', () => {
    const body = Array.from({ length: 6 }, (_, i) => `c${i}@customer${i}.test`).join('\n');
    const policy = createPolicy({ ...BASE, bodyScan: { minAddresses: 5 } as never });
    const result = checkMessage(`From: a@corp.example\r\nTo: b@corp.example\r\nSubject: s\r\n\r\n${body}\r\n`, policy);
    expect(result.findings.map((f) => f.code)).toContain('ADDRESS_LIST_IN_BODY');
  });

  it('the plugin takes a policy createPolicy made, options left undefined, an authUser function, bodyScan false', async () => {
    expect(await send(mailguard({ policy: createPolicy({ ...BASE, sensitive: true }) }), { to: PATIENTS })).toBe('EEXPOSED');
    expect(await send(mailguard({ policy: { ...BASE, warnAt: 2, blockAt: 2 }, onViolation: undefined, profiles: undefined, authUser: undefined }), { to: PATIENTS })).toBe('EEXPOSED');
    expect(await send(mailguard({ policy: { ...BASE, bodyScan: false }, authUser: () => 'ann' }), { to: 'colleague@corp.example' })).toBe('sent');
    expect(await send(mailguard({ policy: { ...BASE, bodyScan: { minAddresses: 5 } as never } }), { to: 'colleague@corp.example' })).toBe('sent');
    expect(await send(mailguard(), { to: PATIENTS[0] })).toBe('sent');
  });

  it('the plugin with a body scan given in part still reads a pasted list', async () => {
    const text = Array.from({ length: 6 }, (_, i) => `c${i}@customer${i}.test`).join('\n');
    expect(await send(mailguard({ policy: { ...BASE, bodyScan: { minAddresses: 5 } as never, rules: { ADDRESS_LIST_IN_BODY: 'error' } } }), { to: 'colleague@corp.example', text })).toBe('EEXPOSED');
  });
});

describe("an authUser function's answer", () => {
  const sendAs = (returned: unknown) => {
    const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
    t.use('compile', mailguard({ policy: BASE, authUser: () => returned as string }));
    return t.sendMail({ from: 'clinic@corp.example', to: 'colleague@corp.example', subject: 's', text: 'hello' }).then(
      () => ({ code: 'sent', message: '' }),
      (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message ?? '' }),
    );
  };
  it.each([
    ['a number', 5, /returned a number/],
    ['an array', ['ann'], /returned an array/],
    ['an object', { user: 'ann' }, /returned an object/],
    ['null', null, /returned null/],
  ])('%s fails the send with EUSAGE naming it, not a TypeError', async (_name, returned, said) => {
    const r = await sendAs(returned);
    expect(r.code).toBe('EUSAGE');
    expect(r.message).toMatch(said);
  });

  it('controls: a user name or undefined is taken', async () => {
    expect((await sendAs('ann')).code).toBe('sent');
    expect((await sendAs(undefined)).code).toBe('sent');
  });
});
