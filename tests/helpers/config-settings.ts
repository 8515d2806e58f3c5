// A configuration object read as the CLI reads a file (parseConfig, then the settings with flags),
// and the refusal a configuration meets. Shared by the profile tests.
import { expect } from 'vitest';
import { settingsFromConfig } from '../../src/cli/policy-options.js';
import { MailguardError } from '../../src/errors.js';
import { parseConfig } from '../../src/policy/config.js';

/** The settings of `config` as a file `mailguard.config.json`, with `flags`. */
export const settings = (config: unknown, flags = {}) => settingsFromConfig({ config: parseConfig(config, 'mailguard.config.json') }, flags);

/** The message of the configuration error (ECONFIG) `config` is refused with; throws when it is accepted. */
export function refusal(config: unknown): string {
  try {
    settings(config);
  } catch (err) {
    expect(err).toBeInstanceOf(MailguardError);
    expect((err as MailguardError).code).toBe('ECONFIG');
    return (err as Error).message;
  }
  throw new Error('accepted');
}
