// The "sendmail" section of the configuration file. Pure: validates and returns typed settings.

import { checks, parseSection, type KeyCheck, type OnViolation } from '../policy/config.js';

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

/** The section's keys and their checks (the JSON Schema's "sendmail" lists the same). */
export const SENDMAIL_SECTION: Record<string, KeyCheck> = {
  smtp: checks.string,
  onViolation: checks.onViolation,
  viaSendmail: checks.string,
  spool: checks.string,
  from: checks.string,
};

export function parseSendmailConfig(section: Record<string, unknown> | undefined, where = 'configuration'): SendmailConfig {
  return parseSection(section, 'sendmail', SENDMAIL_SECTION, where) as SendmailConfig;
}
