// Keys that name what every JavaScript object has (`toString`, `valueOf`, `hasOwnProperty`,
// `isPrototypeOf`, `__defineGetter__` ...) were looked up in the tables of allowed keys with a
// plain `spec[key]`, which finds Object.prototype's methods: `"toString": 1` at the top level, in
// a profile, in a profile's match or in a command's section was accepted as a setting (and
// ignored), `"hasOwnProperty"` or `"valueOf"` ended in an internal error (TypeError), and the
// tables read values a profile object only inherits (a plugin profile made with Object.create
// over shared settings: its blockAt 2 and onViolation were read without being validated, or
// lost). Now a key is one of a table's own keys or refused as unknown, like any other, and a
// settings object must be a plain object (its own keys are what is validated and read).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { mailguard } from '../../src/plugin/nodemailer.js';
import { parseConfig, parseSection } from '../../src/policy/config.js';
import { parseSendConfig } from '../../src/relay/config.js';
import { parseSendmailConfig } from '../../src/sendmail/config.js';
import { runCli } from '../helpers/cli.js';
import { refusal, settings } from '../helpers/config-settings.js';

const BUILTINS = ['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupGetter__'];
const profile = (own: Record<string, unknown>) => ({ name: 'clinic', match: { from: ['clinic.corp.example'] }, ...own });

/** The ECONFIG message `run` throws (fails the test when it throws anything else or nothing). */
function configError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(MailguardError);
    expect((err as MailguardError).code).toBe('ECONFIG');
    return (err as Error).message;
  }
  throw new Error('accepted');
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('a key naming a built-in object property is an unknown key like any other', () => {
  it.each(BUILTINS)('"%s" at the top level', (key) => {
    expect(refusal({ internalDomains: ['corp.example'], [key]: 1 })).toMatch(`unknown key "${key}"`);
  });

  it.each(BUILTINS)('"%s" in a profile', (key) => {
    expect(refusal({ profiles: [profile({ [key]: 'x' })] })).toMatch(`unknown key "profiles[0] ("clinic").${key}"`);
  });

  it.each(BUILTINS)('"%s" in a profile\'s match', (key) => {
    expect(refusal({ profiles: [profile({ match: { from: ['clinic.corp.example'], [key]: ['x'] } })] })).toMatch(`unknown key "profiles[0] ("clinic").match.${key}"`);
  });

  it.each(BUILTINS)('"%s" in the send, sendmail, proxy and milter sections', (key) => {
    expect(configError(() => parseSendConfig({ [key]: 1 }))).toMatch(`unknown key "send.${key}"`);
    expect(configError(() => parseSendmailConfig({ [key]: 1 }))).toMatch(`unknown key "sendmail.${key}"`);
    expect(configError(() => parseSection({ [key]: 1 }, 'proxy', { listen: () => undefined }, 'c.json'))).toMatch(`unknown key "proxy.${key}"`);
  });

  it('"__proto__", "constructor" and "prototype" given to parseConfig as parsed JSON (the plugin path reads objects without the file reader)', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(configError(() => parseConfig(JSON.parse(`{ "${key}": { "onViolation": "warn" } }`), 'c.json'))).toMatch(`unknown key "${key}"`);
      expect(configError(() => parseConfig({ profiles: [JSON.parse(`{ "name": "clinic", "match": { "from": ["clinic.corp.example"] }, "${key}": { "blockAt": 50 } }`)] }, 'c.json'))).toMatch(`unknown key "profiles[0] ("clinic").${key}"`);
    }
  });

  it('a rule code naming a built-in is not a finding code', () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty']) {
      expect(refusal({ rules: { [key]: 'off' } })).toMatch(`"rules.${key}" is not a finding code`);
      expect(refusal({ profiles: [profile({ rules: { [key]: 'off' } })] })).toMatch(`"rules.${key}" is not a finding code`);
    }
  });

  it('a profile object that inherits its settings (Object.create) is refused, not read half-validated', () => {
    const shared = { sensitive: true, blockAt: 2, onViolation: 'block' };
    const inherits = Object.assign(Object.create(shared) as object, { name: 'clinic', match: { from: ['clinic.corp.example'] } });
    expect(configError(() => parseConfig({ profiles: [inherits] }, 'c.json'))).toMatch(/"profiles\[0\]" must be a plain object/);
    const laxInherited = Object.assign(Object.create({ onViolation: 'warn', blockAt: 50, warnAt: 50 }) as object, { name: 'ops', match: { from: ['corp.example'] } });
    expect(() => mailguard({ policy: { internalDomains: ['corp.example'] }, profiles: [laxInherited] })).toThrow(/"profiles\[0\]" must be a plain object/);
    expect(configError(() => parseConfig(Object.create({ onViolation: 'warn' }) as object, 'c.json'))).toMatch(/must be a JSON object/);
  });

  it('check with such a file: exit 2 naming the key, not an internal error and not a pass', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-policy3-'));
    await writeFile(path.join(dir, 'm.eml'), 'From: ann@corp.example\nTo: a@one.test, b@two.test\nSubject: hi\n\nhello\n');
    for (const [config, args] of [
      [{ internalDomains: ['corp.example'], hasOwnProperty: 1 }, ['check', 'm.eml']],
      [{ internalDomains: ['corp.example'], profiles: [profile({ toString: 'x' })] }, ['check', 'm.eml']],
      [{ internalDomains: ['corp.example'], proxy: { valueOf: 1 } }, ['proxy', '--listen', '127.0.0.1:0', '--upstream', 'smtp://127.0.0.1:1']],
    ] as const) {
      await writeFile(path.join(dir, 'mailguard.config.json'), JSON.stringify(config));
      const r = await runCli([...args], { cwd: dir });
      expect(r.stderr).toMatch(/unknown key "/);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.code).toBe(2);
    }
  });

  it('controls: profiles named like built-ins still work and tighten; ordinary keys are still read', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const s = settings({ internalDomains: ['corp.example'], profiles: [{ name, match: { from: ['clinic.corp.example'] }, sensitive: true, blockAt: 2, onViolation: 'block' }] });
      expect(s.profiles.list[0]).toMatchObject({ name, onViolation: 'block', policy: { sensitive: true, blockAt: 2 } });
    }
    const s = settings({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 4, rules: { BCC_HEADER_PRESENT: 'error' }, profiles: [profile({ blockAt: 2 })] });
    expect(s.policy).toMatchObject({ warnAt: 2, blockAt: 4, rules: { BCC_HEADER_PRESENT: 'error' } });
    expect(s.profiles.list[0]!.policy).toMatchObject({ blockAt: 2 });
    expect(parseSendConfig({ onViolation: 'bcc', pool: 2 })).toMatchObject({ onViolation: 'bcc', pool: 2 });
    expect(() => mailguard({ policy: { internalDomains: ['corp.example'] }, profiles: [profile({ sensitive: true, onViolation: 'block' })] })).not.toThrow();
    // A null-prototype object (Object.create(null), or another realm's plain object) is a plain object.
    expect(parseConfig(Object.assign(Object.create(null) as object, { warnAt: 2 }), 'c.json').policy).toMatchObject({ warnAt: 2 });
  });
});
