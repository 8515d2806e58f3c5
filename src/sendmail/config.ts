// The "sendmail" section of the configuration file. Pure: validates and returns typed settings.

import { MailguardError } from '../errors.js';
import type { OnViolation } from '../policy/config.js';

export interface SendmailConfig {
  /** SMTP relay URL for this command only (else the top-level "smtp" or MAILGUARD_SMTP_URL). */
  smtp?: string;
  /** What to do with a violating message (else the top-level "onViolation", else block). */
  onViolation?: OnViolation;
  /** Hand the final message to this sendmail-compatible binary instead of an SMTP relay. */
  viaSendmail?: string;
  /** Keep blocked and undeliverable messages in this directory for review. */
  spool?: string;
  /** The envelope sender when no -f is given (else the message's From). */
  from?: string;
}

const ON_VIOLATION = ['block', 'bcc', 'split', 'warn'];
const STRING_KEYS = ['smtp', 'viaSendmail', 'spool', 'from'] as const;

export function parseSendmailConfig(section: Record<string, unknown> | undefined, where = 'configuration'): SendmailConfig {
  const out: SendmailConfig = {};
  for (const [key, value] of Object.entries(section ?? {})) {
    if ((STRING_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'string' || value === '') throw new MailguardError('ECONFIG', `${where}: "sendmail.${key}" must be a non-empty string (got ${JSON.stringify(value)}).`);
      out[key as (typeof STRING_KEYS)[number]] = value;
    } else if (key === 'onViolation') {
      if (typeof value !== 'string' || !ON_VIOLATION.includes(value)) {
        throw new MailguardError('ECONFIG', `${where}: "sendmail.onViolation" must be one of ${ON_VIOLATION.map((v) => `"${v}"`).join(', ')} (got ${JSON.stringify(value)}).`);
      }
      out.onViolation = value as OnViolation;
    } else {
      throw new MailguardError('ECONFIG', `${where}: unknown key "sendmail.${key}".`, { hint: `Allowed keys: ${[...STRING_KEYS, 'onViolation'].join(', ')}.` });
    }
  }
  return out;
}
