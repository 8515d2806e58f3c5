// The configuration file's schema and its validation. Pure: takes parsed JSON, returns typed
// settings or throws a MailguardError that names the bad key and what is allowed.

import { MailguardError } from '../errors.js';
import { isFindingCode, FINDING_CODES } from '../findings.js';
import type { Policy, RuleSetting } from './policy.js';

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
}

/** Checks one key's value; throws ECONFIG naming `where` and the key. Shared by every section. */
export type KeyCheck = (value: unknown, key: string, where: string) => void;

const fail = (where: string, key: string, expected: string, value: unknown): never => {
  throw new MailguardError('ECONFIG', `${where}: "${key}" must be ${expected} (got ${JSON.stringify(value)}).`);
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
const object: KeyCheck = (v, k, w) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(w, k, 'an object', v);
};
const rules: KeyCheck = (v, k, w) => {
  object(v, k, w);
  for (const [code, setting] of Object.entries(v as object)) {
    if (!isFindingCode(code)) {
      throw new MailguardError('ECONFIG', `${w}: "rules.${code}" is not a finding code.`, { hint: `Known codes: ${FINDING_CODES.join(', ')}.` });
    }
    oneOf('error', 'warning', 'off')(setting, `rules.${code}`, w);
  }
};

/** The value checks every section of the configuration uses (one set, one wording). */
export const checks = { stringArray, positiveInt, nonNegativeInt, boolean, string, oneOf, object, onViolation: oneOf(...ON_VIOLATION_MODES) };

/**
 * Validates one command's section (`send`, `sendmail`, `proxy` ...) against its keys: unknown
 * keys are refused with the allowed ones listed, each value by its check. Returns the section.
 */
export function parseSection(section: Record<string, unknown> | undefined, name: string, spec: Record<string, KeyCheck>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section ?? {})) {
    const check = spec[key];
    if (!check) throw new MailguardError('ECONFIG', `${where}: unknown key "${name}.${key}".`, { hint: `Allowed keys: ${Object.keys(spec).join(', ')}.` });
    check(value, `${name}.${key}`, where);
    out[key] = value;
  }
  return out;
}

/** Top-level keys of the config file and how each is checked. Commands add their sections here. */
export const CONFIG_KEYS: Record<string, KeyCheck> = {
  $schema: string,
  // Comments: JSON has none, so `mailguard init` writes its explanations under "//".
  '//': (v, k, w) => (typeof v === 'string' ? undefined : stringArray(v, k, w)),
  internalDomains: stringArray,
  trustedDomains: stringArray,
  consumerDomains: stringArray,
  warnAt: positiveInt,
  blockAt: positiveInt,
  sensitive: boolean,
  rules,
  maxWarnings: nonNegativeInt,
  redact: boolean,
  onViolation: oneOf(...ON_VIOLATION_MODES),
  smtp: string,
  // Sections owned by one command each; their keys are checked by that command.
  send: object,
  proxy: object,
  sendmail: object,
  audit: object,
  bodyScan: object,
};

/** Validates a parsed config file. `where` names the file in error messages. */
export function parseConfig(data: unknown, where: string): MailguardConfig {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new MailguardError('ECONFIG', `${where}: the configuration must be a JSON object.`);
  }
  const config: MailguardConfig = { policy: {}, sections: {} };
  for (const [key, value] of Object.entries(data)) {
    const check = CONFIG_KEYS[key];
    if (!check) {
      throw new MailguardError('ECONFIG', `${where}: unknown key "${key}".`, { hint: `Allowed keys: ${Object.keys(CONFIG_KEYS).filter((k) => k !== '$schema').join(', ')}.` });
    }
    check(value, key, where);
    switch (key) {
      case 'internalDomains':
      case 'trustedDomains':
      case 'consumerDomains':
        config.policy[key] = value as string[];
        break;
      case 'warnAt':
      case 'blockAt':
        config.policy[key] = value as number;
        break;
      case 'sensitive':
        config.policy.sensitive = value as boolean;
        break;
      case 'rules':
        config.policy.rules = value as Partial<Record<keyof typeof config.policy.rules, RuleSetting>>;
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
  return config;
}
