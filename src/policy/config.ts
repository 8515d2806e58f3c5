// The configuration file's schema and its validation. Pure: takes parsed JSON, returns typed
// settings or throws a MailguardError that names the bad key and what is allowed.

import { MailguardError } from '../errors.js';
import { isFindingCode, FINDING_CODES } from '../findings.js';
import { normaliseDomain } from '../message/domain.js';
import { parseBodyScanSection } from '../body/settings.js';
import type { Policy } from './policy.js';

import { ON_VIOLATION_MODES, type OnViolation } from '../decide/modes.js';

export type { OnViolation };

export interface MailguardConfig {
  policy: Partial<Policy>;
  /** Exit 1 when more warnings than this are found. */
  maxWarnings?: number;
  /** Mask addresses in human and JSON output. */
  redact?: boolean;
  /** What send, proxy and sendmail do with a violating message. */
  onViolation?: OnViolation;
  /** SMTP relay URL for send and sendmail (credentials may come from the environment instead). */
  smtp?: string;
  /** Further sections owned by one command each (proxy, audit, bodyScan ...), validated there. */
  sections: Record<string, Record<string, unknown>>;
  /** Policies per sender, team or list (`profiles`), in order; the first match applies. */
  profiles?: ProfileConfig[];
}

/** What selects a profile: patterns per sender attribute (any one matching selects it). */
export interface ProfileMatch {
  /** The author: From addresses as written in the header (address, `*@domain`, or `domain` with its subdomains). */
  from?: string[];
  /** The envelope sender (SMTP MAIL FROM, sendmail -f, send's --from), same patterns. */
  envelopeFrom?: string[];
  /** The authenticated user (proxy AUTH, milter {auth_authen}, the plugin's transport user): a user name, or address patterns. */
  authUser?: string[];
}

/** The attributes a profile can match on, from the most trusted (the transport knows it) to the least (the author writes it). */
export const PROFILE_MATCH_KEYS = ['authUser', 'envelopeFrom', 'from'] as const;
export type MatchAttribute = (typeof PROFILE_MATCH_KEYS)[number];

/** One entry of `profiles`, validated: its name, what selects it and what it overrides. */
export interface ProfileConfig {
  name: string;
  match: ProfileMatch;
  /** Keys that override the top-level policy (rules are merged per code). */
  policy: Partial<Policy>;
  onViolation?: OnViolation;
}

/** Checks one key's value; throws ECONFIG naming `where` and the key. Shared by every section. */
export type KeyCheck = (value: unknown, key: string, where: string) => void;

/** A value as an error message shows it: as JSON, or by its type where it has no JSON form (undefined, a function, a BigInt). */
function shown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
const fail = (where: string, key: string, expected: string, value: unknown): never => {
  throw new MailguardError('ECONFIG', `${where}: "${key}" must be ${expected} (got ${shown(value)}).`);
};
const stringArray: KeyCheck = (v, k, w) => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(w, k, 'an array of strings', v);
};
const positiveInt: KeyCheck = (v, k, w) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(w, k, 'a whole number, 1 or more', v);
};
const nonNegativeInt: KeyCheck = (v, k, w) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(w, k, 'a whole number, 0 or more', v);
};
const boolean: KeyCheck = (v, k, w) => {
  if (typeof v !== 'boolean') fail(w, k, 'true or false', v);
};
const string: KeyCheck = (v, k, w) => {
  if (typeof v !== 'string' || v.length === 0) fail(w, k, 'a non-empty string', v);
};
const oneOf =
  (...allowed: string[]): KeyCheck =>
  (v, k, w) => {
    if (typeof v !== 'string' || !allowed.includes(v)) fail(w, k, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, v);
  };
/**
 * A plain object: made by a JSON reader or an object literal (its prototype is Object.prototype,
 * of any realm, or null). What validation sees (its own keys) is then all there is to read: an
 * object that inherits settings (Object.create over shared ones) would have them read unchecked.
 */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}
/** A table's entry for `key`, only when the table itself has it: `toString` or `constructor` is no setting. */
function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
const object: KeyCheck = (v, k, w) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(w, k, 'an object', v);
  if (!isPlainObject(v)) throw new MailguardError('ECONFIG', `${w}: "${k}" must be a plain object (its settings its own keys, none inherited).`);
};
/** A rules object: finding codes, each set to one of `settings`. */
const rulesOf =
  (...settings: string[]): KeyCheck =>
  (v, k, w) => {
    object(v, k, w);
    for (const [code, setting] of Object.entries(v as object)) {
      if (!isFindingCode(code)) {
        throw new MailguardError('ECONFIG', `${w}: "rules.${code}" is not a finding code.`, { hint: `Known codes: ${FINDING_CODES.join(', ')}.` });
      }
      oneOf(...settings)(setting, `rules.${code}`, w);
    }
  };
const rules = rulesOf('error', 'warning', 'off');

/** The value checks every section of the configuration uses (one set, one wording). */
export const checks = { stringArray, positiveInt, nonNegativeInt, boolean, string, oneOf, object, onViolation: oneOf(...ON_VIOLATION_MODES) };

/**
 * Validates one command's section (`send`, `sendmail`, `proxy` ...) against its keys: unknown
 * keys are refused with the allowed ones listed, each value by its check. Returns the section.
 * `name` '' : the keys are named as they are (options given in code, not a section of a file).
 */
export function parseSection(section: Record<string, unknown> | undefined, name: string, spec: Record<string, KeyCheck>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (section !== undefined) object(section, name, where);
  for (const [key, value] of Object.entries(section ?? {})) {
    const check = ownEntry(spec, key);
    const label = name === '' ? key : `${name}.${key}`;
    if (!check) throw new MailguardError('ECONFIG', `${where}: unknown key "${label}".`, { hint: `Allowed keys: ${Object.keys(spec).join(', ')}.` });
    check(value, label, where);
    out[key] = value;
  }
  return out;
}

// Comments: JSON has none, so `mailguard init` writes its explanations under "//".
const comment: KeyCheck = (v, k, w) => (typeof v === 'string' ? undefined : stringArray(v, k, w));

/** The policy keys, at the top level and in each profile (one set of checks). */
const POLICY_KEYS: Record<string, KeyCheck> = {
  internalDomains: stringArray,
  trustedDomains: stringArray,
  consumerDomains: stringArray,
  warnAt: positiveInt,
  blockAt: positiveInt,
  warnAddressesAt: positiveInt,
  blockAddressesAt: positiveInt,
  publicLists: stringArray,
  sensitive: boolean,
  rules,
};

/**
 * The policy keys code may give (createPolicy, the nodemailer plugin's `policy`): the
 * configuration's, the body scan's settings (the configuration's `bodyScan` section, or false for
 * none), the rule settings the stricter merge of two profiles makes, and its internalWithin.
 */
const CODE_POLICY_KEYS: Record<string, KeyCheck> = {
  ...POLICY_KEYS,
  rules: rulesOf('error', 'warning', 'off', 'info', 'at-least-warning'),
  bodyScan: (v, k, w) => {
    if (v === false) return;
    object(v, k, w);
    parseBodyScanSection(v as Record<string, unknown>, w);
  },
  internalWithin: stringArray,
};

/**
 * Validates a policy given in code (createPolicy's argument, the plugin's `policy`) as the
 * configuration file's policy keys are validated: a plain object whose every own key is a policy
 * key with a value of its type. A misspelt key (`blockat`), a value of another type (`"2"`,
 * `"false"`, null, undefined) or a setting the object only inherits is refused (ECONFIG naming the
 * key), never left to the default. Returns its keys, each read once.
 */
export function parsePolicyGiven(given: unknown, where: string): Partial<Policy> {
  if (!isPlainObject(given)) {
    throw new MailguardError('ECONFIG', `${where}: the policy must be a plain object, its settings its own keys, none inherited (got ${Array.isArray(given) ? 'an array' : typeof given === 'object' && given !== null ? 'an object made from another' : shown(given)}).`, {
      hint: 'Give an object literal such as { internalDomains: [\'corp.example\'] }.',
    });
  }
  // A key Object.entries does not list (not enumerable, a symbol) would be neither checked nor read.
  const hidden = Reflect.ownKeys(given).find((k) => typeof k === 'symbol' || !Object.prototype.propertyIsEnumerable.call(given, k));
  if (hidden !== undefined) throw new MailguardError('ECONFIG', `${where}: unknown key "${String(hidden)}" (not an enumerable key of the policy).`, { hint: `Allowed keys: ${Object.keys(CODE_POLICY_KEYS).join(', ')}.` });
  return parseSection(given, '', CODE_POLICY_KEYS, where) as Partial<Policy>;
}

/** Profile names appear in log lines and reports: one word, no spaces (`+` joins merged profiles). */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The name the top-level policy goes by in results and logs. */
export const DEFAULT_PROFILE = 'default';

/** The keys of one profile (the JSON Schema's profiles items list the same). */
export const PROFILE_KEYS: Record<string, KeyCheck> = {
  '//': comment,
  name: string,
  match: object,
  ...POLICY_KEYS,
  onViolation: oneOf(...ON_VIOLATION_MODES),
};

/** The keys of a profile's match (the JSON Schema lists the same). */
export const MATCH_KEYS: Record<MatchAttribute, KeyCheck> = { from: stringArray, envelopeFrom: stringArray, authUser: stringArray };

/**
 * Why a match pattern is not one, or undefined when it is: `name@domain`, `*@domain` (that domain
 * exactly) or `domain` (and its subdomains); for authUser also a plain user name.
 */
export function patternProblem(pattern: string, attribute: MatchAttribute): string | undefined {
  if (pattern.trim() !== pattern || pattern === '') return 'it is empty or has spaces around it';
  if (/[\s<>,;"()\[\]]/.test(pattern)) return 'it holds a space, bracket, comma, semicolon or quote';
  const at = pattern.lastIndexOf('@');
  if (at === -1) {
    if (pattern.includes('*')) return 'a wildcard is only allowed as *@domain';
    if (attribute === 'authUser' && !pattern.includes('.')) return undefined;
    const d = normaliseDomain(pattern.startsWith('.') ? pattern.slice(1) : pattern);
    return d.ok && d.ascii.includes('.') ? undefined : attribute === 'authUser' ? 'it is neither a user name nor a domain' : 'it is not an address, *@domain or a domain';
  }
  const local = pattern.slice(0, at);
  if (local === '') return 'the part before @ is empty (write *@domain for every address at a domain)';
  if (local.includes('@') || (local.includes('*') && local !== '*')) return 'a wildcard is only allowed as *@domain';
  const d = normaliseDomain(pattern.slice(at + 1));
  return d.ok && d.ascii.includes('.') ? undefined : 'its domain is not a valid domain name';
}

/** Validates `profiles`: an array of named profiles, each with a non-empty match and policy overrides. */
function parseProfiles(value: unknown, where: string): ProfileConfig[] {
  if (!Array.isArray(value)) fail(where, 'profiles', 'an array of profiles ({ "name", "match", ...overrides })', value);
  const seen = new Set<string>();
  return (value as unknown[]).map((entry, i) => {
    const at = `profiles[${i}]`;
    object(entry, at, where);
    const e = entry as Record<string, unknown>;
    if (typeof e.name !== 'string') throw new MailguardError('ECONFIG', `${where}: ${at} has no "name".`, { hint: 'Give each profile a name, such as "clinic"; results and logs name the profile applied.' });
    const label = `profiles[${i}] ("${e.name}")`;
    parseSection(e, label, PROFILE_KEYS, where);
    if (!PROFILE_NAME.test(e.name)) throw new MailguardError('ECONFIG', `${where}: ${label}: the name must be one word of letters, digits, ".", "_" or "-" (up to 64).`);
    if (e.name === DEFAULT_PROFILE) throw new MailguardError('ECONFIG', `${where}: ${label}: "${DEFAULT_PROFILE}" is the name of the top-level policy.`, { hint: 'Name the profile after its team or list.' });
    if (seen.has(e.name)) throw new MailguardError('ECONFIG', `${where}: ${label}: a profile of that name comes earlier; names must be unique.`);
    seen.add(e.name);
    if (e.match === undefined) throw new MailguardError('ECONFIG', `${where}: ${label} has no "match".`, { hint: 'Say whom it applies to: "match": { "authUser": [...], "envelopeFrom": [...], "from": [...] }.' });
    const match = parseSection(e.match as Record<string, unknown>, `${label}.match`, MATCH_KEYS, where) as ProfileMatch;
    let patterns = 0;
    for (const attribute of PROFILE_MATCH_KEYS) {
      for (const p of match[attribute] ?? []) {
        const problem = patternProblem(p, attribute);
        if (problem) throw new MailguardError('ECONFIG', `${where}: ${label}.match.${attribute}: "${p}" is not a pattern: ${problem}.`, { hint: 'Write name@domain, *@domain (that domain) or domain (and its subdomains); authUser also takes a user name.' });
        patterns++;
      }
    }
    if (patterns === 0) throw new MailguardError('ECONFIG', `${where}: ${label}.match is empty: it would select nobody.`, { hint: 'The top level is the policy for everyone else; give at least one authUser, envelopeFrom or from pattern.' });
    const profile: ProfileConfig = { name: e.name, match, policy: policyFromKeys(e) };
    if (e.onViolation !== undefined) profile.onViolation = e.onViolation as OnViolation;
    return profile;
  });
}

/** The policy keys of a validated object, as a partial policy. */
function policyFromKeys(data: Record<string, unknown>): Partial<Policy> {
  const policy: Partial<Policy> = {};
  for (const key of Object.keys(POLICY_KEYS)) {
    if (Object.hasOwn(data, key) && data[key] !== undefined) (policy as Record<string, unknown>)[key] = data[key];
  }
  return policy;
}

/** Top-level keys of the config file and how each is checked. Commands add their sections here. */
export const CONFIG_KEYS: Record<string, KeyCheck> = {
  $schema: string,
  '//': comment,
  ...POLICY_KEYS,
  profiles: (v, k, w) => {
    if (!Array.isArray(v)) fail(w, k, 'an array of profiles ({ "name", "match", ...overrides })', v);
  },
  maxWarnings: nonNegativeInt,
  redact: boolean,
  onViolation: oneOf(...ON_VIOLATION_MODES),
  smtp: string,
  // Sections owned by one command each; their keys are checked by that command.
  send: object,
  proxy: object,
  milter: object,
  sendmail: object,
  audit: object,
  bodyScan: object,
};

/** Validates a parsed config file. `where` names the file in error messages. */
export function parseConfig(data: unknown, where: string): MailguardConfig {
  if (!isPlainObject(data)) {
    throw new MailguardError('ECONFIG', `${where}: the configuration must be a JSON object.`);
  }
  const config: MailguardConfig = { policy: {}, sections: {} };
  for (const [key, value] of Object.entries(data)) {
    const check = ownEntry(CONFIG_KEYS, key);
    if (!check) {
      throw new MailguardError('ECONFIG', `${where}: unknown key "${key}".`, { hint: `Allowed keys: ${Object.keys(CONFIG_KEYS).filter((k) => k !== '$schema').join(', ')}.` });
    }
    check(value, key, where);
    if (Object.hasOwn(POLICY_KEYS, key)) continue;
    switch (key) {
      case 'profiles':
        config.profiles = parseProfiles(value, where);
        break;
      case 'maxWarnings':
        config.maxWarnings = value as number;
        break;
      case 'redact':
        config.redact = value as boolean;
        break;
      case 'onViolation':
        config.onViolation = value as OnViolation;
        break;
      case 'smtp':
        config.smtp = value as string;
        break;
      case '$schema':
      case '//':
        break;
      default:
        config.sections[key] = value as Record<string, unknown>;
    }
  }
  config.policy = policyFromKeys(data as Record<string, unknown>);
  return config;
}
