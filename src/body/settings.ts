// Settings of the body scan (ADDRESS_LIST_IN_BODY): the `bodyScan` config section, its flags,
// and their resolution (defaults, then the config file, then flags). Pure.

import { MailguardError } from '../errors.js';

/** What the core needs to scan a body. Passed as `CheckOptions.body`; absent: header only. */
export interface BodyScanOptions {
  /** Distinct external addresses in one part at which ADDRESS_LIST_IN_BODY is reported. */
  minAddresses: number;
  /** At most this many decoded bytes of each part are scanned. */
  maxPartBytes: number;
}

export interface BodyScanSettings extends BodyScanOptions {
  enabled: boolean;
}

/** A pasted list of ten customers is a leak; a signature, a footer or a short thread has fewer. */
export const DEFAULT_BODY_MIN_ADDRESSES = 10;

/** Per part: a CSV of ~10,000 customers fits; the threshold is reached long before this in any
 * real list, and the scan stays a few milliseconds however large the attachment is. */
export const DEFAULT_MAX_PART_BYTES = 1024 * 1024;

/** Upper bound for maxPartBytes in the config file: a dense list costs ~100-250 ms per MiB. */
export const MAX_PART_BYTES_LIMIT = 16 * 1024 * 1024;

/** Measured (bench, see README "Body scan"): the scan adds a small cost per message, so it is on by default. */
export const DEFAULT_BODY_SCAN: Readonly<BodyScanSettings> = Object.freeze({
  enabled: true,
  minAddresses: DEFAULT_BODY_MIN_ADDRESSES,
  maxPartBytes: DEFAULT_MAX_PART_BYTES,
});

const KEYS = ['enabled', 'minAddresses', 'maxPartBytes'] as const;

function bad(where: string, key: string, expected: string, value: unknown): never {
  throw new MailguardError('ECONFIG', `${where}: "bodyScan.${key}" must be ${expected} (got ${JSON.stringify(value)}).`);
}

/** Validates the `bodyScan` section of a config file. `where` names the file. */
export function parseBodyScanSection(section: Record<string, unknown> | undefined, where: string): BodyScanSettings {
  const out: BodyScanSettings = { ...DEFAULT_BODY_SCAN };
  if (section === undefined) return out;
  for (const [key, value] of Object.entries(section)) {
    switch (key) {
      case 'enabled':
        if (typeof value !== 'boolean') bad(where, key, 'true or false', value);
        out.enabled = value as boolean;
        break;
      case 'minAddresses':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) bad(where, key, 'a whole number, 1 or more', value);
        out.minAddresses = value as number;
        break;
      case 'maxPartBytes':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1024 || value > MAX_PART_BYTES_LIMIT) {
          bad(where, key, `a whole number of bytes from 1024 to ${MAX_PART_BYTES_LIMIT}`, value);
        }
        out.maxPartBytes = value as number;
        break;
      default:
        throw new MailguardError('ECONFIG', `${where}: unknown key "bodyScan.${key}".`, { hint: `Allowed keys in bodyScan: ${KEYS.join(', ')}.` });
    }
  }
  return out;
}

export interface BodyScanFlags {
  /** false with --no-body-scan; commander sets true when the flag is absent, so true means "not given". */
  bodyScan?: boolean;
  bodyMinAddresses?: number;
}

/** Defaults, then the config section, then flags. Undefined when the scan is off. */
export function resolveBodyScan(section: Record<string, unknown> | undefined, flags: BodyScanFlags, where: string): BodyScanOptions | undefined {
  const settings = parseBodyScanSection(section, where);
  if (flags.bodyMinAddresses !== undefined) settings.minAddresses = flags.bodyMinAddresses;
  if (flags.bodyScan === false || !settings.enabled) return undefined;
  return { minAddresses: settings.minAddresses, maxPartBytes: settings.maxPartBytes };
}
