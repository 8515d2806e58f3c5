// The "send" section of the configuration file: defaults for `mailguard send` that flags override.
// Pure: the parsed section in, typed settings out, or ECONFIG naming the bad key.

import { MailguardError } from '../errors.js';
import type { OnViolation } from '../policy/config.js';

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

const KEYS = ['onViolation', 'pool', 'rate', 'retries', 'timeout', 'from'] as const;

export function parseSendConfig(section: Record<string, unknown> | undefined, where = 'configuration'): SendConfig {
  const out: SendConfig = {};
  const bad = (key: string, expected: string, value: unknown): never => {
    throw new MailguardError('ECONFIG', `${where}: "send.${key}" must be ${expected} (got ${JSON.stringify(value)}).`);
  };
  for (const [key, value] of Object.entries(section ?? {})) {
    switch (key) {
      case 'onViolation':
        if (value !== 'block' && value !== 'bcc' && value !== 'split' && value !== 'warn') bad(key, 'one of "block", "bcc", "split", "warn"', value);
        out.onViolation = value as OnViolation;
        break;
      case 'pool':
      case 'timeout':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) bad(key, 'a whole number, 1 or more', value);
        out[key] = value as number;
        break;
      case 'retries':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) bad(key, 'a whole number, 0 or more', value);
        out.retries = value as number;
        break;
      case 'rate': {
        const rate = typeof value === 'string' || typeof value === 'number' ? parseRatePerSecond(value) : undefined;
        if (rate === undefined) bad(key, 'messages per second, or a string like "10/s" or "600/min"', value);
        out.rate = rate;
        break;
      }
      case 'from':
        if (typeof value !== 'string' || value === '') bad(key, 'an address', value);
        out.from = value as string;
        break;
      default:
        throw new MailguardError('ECONFIG', `${where}: unknown key "send.${key}".`, { hint: `Allowed keys: ${KEYS.join(', ')}.` });
    }
  }
  return out;
}
