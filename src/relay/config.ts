// The "send" section of the configuration file: defaults for `mailguard send` that flags override.
// Pure: the parsed section in, typed settings out, or ECONFIG naming the bad key.

import { MailguardError } from '../errors.js';
import { checks, parseSection, type KeyCheck, type OnViolation } from '../policy/config.js';

export interface SendConfig {
  onViolation?: OnViolation;
  /** Connections at once. */
  pool?: number;
  /** Messages per second. */
  rate?: number;
  retries?: number;
  /** Connect and greeting timeout, in seconds. */
  timeout?: number;
  /** Envelope sender. */
  from?: string;
}

const RATE_UNITS: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };

/** `10`, `10/s`, `600/min`, `0.5/s` -> messages per second; undefined when it is none of those. */
export function parseRatePerSecond(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|sec|second|m|min|minute|h|hour))?$/.exec(value.trim());
  const n = m ? Number(m[1]) / (RATE_UNITS[m[2] ?? 's'] ?? 1) : NaN;
  return n > 0 ? n : undefined;
}

const rate: KeyCheck = (value, key, where) => {
  const perSecond = typeof value === 'string' || typeof value === 'number' ? parseRatePerSecond(value) : undefined;
  if (perSecond === undefined) throw new MailguardError('ECONFIG', `${where}: "${key}" must be messages per second, or a string like "10/s" or "600/min" (got ${JSON.stringify(value)}).`);
};

/** The section's keys and their checks (the JSON Schema's "send" lists the same). */
export const SEND_SECTION: Record<string, KeyCheck> = {
  onViolation: checks.onViolation,
  pool: checks.positiveInt,
  rate,
  retries: checks.nonNegativeInt,
  timeout: checks.positiveInt,
  from: checks.string,
};

export function parseSendConfig(section: Record<string, unknown> | undefined, where = 'configuration'): SendConfig {
  const out = parseSection(section, 'send', SEND_SECTION, where) as SendConfig & { rate?: number | string };
  if (out.rate !== undefined) out.rate = parseRatePerSecond(out.rate);
  return out as SendConfig;
}
