// The policy flags shared by check, fix, send, proxy and sendmail, and their resolution:
// defaults, then the config file, then flags. The core receives one validated policy.

import path from 'node:path';
import type { Command } from 'commander';
import { resolveBodyScan, type BodyScanOptions } from '../body/settings.js';
import { MailguardError } from '../errors.js';
import { isFindingCode } from '../findings.js';
import { loadConfig, type LoadedConfig } from '../io/config-file.js';
import type { OnViolation } from '../decide/modes.js';
import type { MailguardConfig } from '../policy/config.js';
import { createPolicy, DEFAULT_POLICY, type Policy, type RuleSetting } from '../policy/policy.js';
import { bindOnViolation, buildProfiles, type Profile, type Profiles } from '../policy/profiles.js';

export interface PolicyFlags {
  config?: string;
  internalDomain?: string[];
  trustedDomain?: string[];
  warnAt?: number;
  blockAt?: number;
  warnAddressesAt?: number;
  blockAddressesAt?: number;
  publicList?: string[];
  sensitive?: boolean;
  rule?: string[];
  /** false with --no-body-scan (true means the flag was not given). */
  bodyScan?: boolean;
  bodyMinAddresses?: number;
}

/** Values of a repeatable, comma-separated flag. */
export const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/** Like collect, but an empty value is refused (as "" is in the configuration file), not ignored. */
export const collectDomains = (name: string) => (value: string, previous: string[] = []) => {
  const added = collect(value);
  if (added.length === 0) throw new MailguardError('EUSAGE', `${name} takes a domain name (got an empty value).`);
  return [...previous, ...added];
};

/** A commander parser for a whole-number flag; `min` 0 also accepts "0". */
export function parseCount(name: string, min: 0 | 1 = 1) {
  return (value: string): number => {
    if (min === 0 && value === '0') return 0;
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1) throw new MailguardError('EUSAGE', `${name} takes a whole number, ${min} or more (got "${value}").`);
    return n;
  };
}

/** Adds the policy flags to a command. (Options come from `cmd.createOption`: this module is also
 * loaded by the check fast path, which never loads commander; see check-args.ts.) */
export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'configuration file (default: mailguard.config.json, .mailguardrc.json or package.json "mailguard", searched upward)')
    .option('--internal-domain <domain>', 'a domain whose addresses are internal, subdomains included (repeatable, or comma-separated)', collectDomains('--internal-domain'))
    .option('--trusted-domain <domain>', 'a partner domain that counts as internal (repeatable)', collectDomains('--trusted-domain'))
    .option('--warn-at <parties>', 'warn when visible external recipients span this many organisations (default 3)', parseCount('--warn-at'))
    .option('--block-at <parties>', 'block when they span this many organisations (default 5)', parseCount('--block-at'))
    .option('--warn-addresses-at <n>', 'also warn at this many distinct visible external addresses, whatever their organisations (default 10)', parseCount('--warn-addresses-at'))
    .option('--block-addresses-at <n>', 'also block at this many (default 25)', parseCount('--block-addresses-at'))
    .addOption(cmd.createOption('--public-list <address>', 'a public mailing list (list@host, or *@host): a message to it is a public post, not an exposed list (repeatable)').argParser(collect))
    .option('--sensitive', 'a patient, applicant or member list: block at 2 organisations, refuse Bcc-only fixes')
    .addOption(cmd.createOption('--rule <CODE=severity>', 'set a finding code to error, warning or off (repeatable)').argParser(collect))
    .option('--body-min-addresses <n>', 'report a body part or text attachment listing this many external addresses (default 10)', parseCount('--body-min-addresses'))
    .option('--no-body-scan', 'read only the header: skip the scan of bodies and text attachments for address lists');
}

export interface ResolvedSettings {
  /** The top-level policy (the `default` profile's). */
  policy: Policy;
  /** The top level and the configured profiles, each with flags applied (src/policy/profiles.ts). */
  profiles: Profiles;
  config: MailguardConfig;
  configPath?: string;
  /** Body scan for ADDRESS_LIST_IN_BODY (pass as CheckOptions.body); undefined when it is off. */
  bodyScan?: BodyScanOptions;
}

/** warnAt above blockAt: say which value came from where (a flag, the file, the default). */
function checkThresholdOrder(partial: Partial<Policy>, flags: PolicyFlags, loaded: Awaited<ReturnType<typeof loadConfig>>): void {
  const warnAt = partial.warnAt ?? DEFAULT_POLICY.warnAt;
  const blockAt = partial.blockAt ?? DEFAULT_POLICY.blockAt;
  if (typeof warnAt !== 'number' || typeof blockAt !== 'number' || warnAt <= blockAt) return;
  const file = flags.config ?? (loaded.path !== undefined ? path.relative(process.cwd(), loaded.path) || loaded.path : 'the configuration file');
  const from = (flag: number | undefined, configured: unknown, name: string) =>
    flag !== undefined ? `--${name}` : configured !== undefined ? file : 'the default';
  const warnFrom = from(flags.warnAt, loaded.config.policy.warnAt, 'warn-at');
  const blockFrom = from(flags.blockAt, loaded.config.policy.blockAt, 'block-at');
  throw new MailguardError('ECONFIG', `warnAt (${warnAt}, from ${warnFrom}) is above blockAt (${blockAt}, from ${blockFrom}).`, {
    hint: 'warnAt must be at most blockAt; set both, or only one of them.',
  });
}

/** Resolves the policy once: defaults, then the config file, then flags. */
export async function resolveSettings(flags: PolicyFlags, cwd: string = process.cwd()): Promise<ResolvedSettings> {
  const configOptions: { configPath?: string; cwd: string } = { cwd };
  if (flags.config !== undefined) configOptions.configPath = flags.config;
  return settingsFromConfig(await loadConfig(configOptions), flags);
}

/** Applies the policy flags to a partial policy (the top level's, or a profile's over it). */
function applyPolicyFlags(partial: Partial<Policy>, flags: PolicyFlags): Partial<Policy> {
  if (flags.internalDomain?.length) partial.internalDomains = flags.internalDomain;
  if (flags.trustedDomain?.length) partial.trustedDomains = [...(partial.trustedDomains ?? []), ...flags.trustedDomain];
  if (flags.warnAt !== undefined) partial.warnAt = flags.warnAt;
  if (flags.blockAt !== undefined) partial.blockAt = flags.blockAt;
  // One threshold given alone on the command line must not clash with the other's default.
  if (flags.warnAt !== undefined && flags.blockAt === undefined && (partial.blockAt ?? 5) < flags.warnAt) partial.blockAt = flags.warnAt;
  if (flags.blockAt !== undefined && flags.warnAt === undefined && (partial.warnAt ?? 3) > flags.blockAt) partial.warnAt = flags.blockAt;
  if (flags.warnAddressesAt !== undefined) partial.warnAddressesAt = flags.warnAddressesAt;
  if (flags.blockAddressesAt !== undefined) partial.blockAddressesAt = flags.blockAddressesAt;
  const defaultBlockAddresses = DEFAULT_POLICY.blockAddressesAt;
  const defaultWarnAddresses = DEFAULT_POLICY.warnAddressesAt;
  if (flags.warnAddressesAt !== undefined && flags.blockAddressesAt === undefined && (partial.blockAddressesAt ?? defaultBlockAddresses) < flags.warnAddressesAt) partial.blockAddressesAt = flags.warnAddressesAt;
  if (flags.blockAddressesAt !== undefined && flags.warnAddressesAt === undefined && (partial.warnAddressesAt ?? defaultWarnAddresses) > flags.blockAddressesAt) partial.warnAddressesAt = flags.blockAddressesAt;
  if (flags.publicList?.length) partial.publicLists = [...(partial.publicLists ?? []), ...flags.publicList];
  if (flags.sensitive) partial.sensitive = true;
  if (flags.rule?.length) {
    const rules: Partial<Record<string, RuleSetting>> = { ...(partial.rules ?? {}) };
    for (const r of flags.rule) {
      const m = /^([A-Z_]+)=(error|warning|off)$/.exec(r);
      if (!m || !isFindingCode(m[1]!)) throw new MailguardError('EUSAGE', `--rule takes CODE=error|warning|off with a known finding code (got "${r}").`, { hint: 'See mailguard explain for the codes.' });
      rules[m[1]!] = m[2] as RuleSetting;
    }
    partial.rules = rules;
  }
  return partial;
}

/**
 * The same resolution from a configuration already loaded (the drop-in sendmail's system file).
 * Each profile is the top level, then the profile's keys (rules merged per code), then the flags:
 * a flag is the last word for every profile.
 */
export function settingsFromConfig(loaded: LoadedConfig, flags: PolicyFlags): ResolvedSettings {
  const partial = applyPolicyFlags({ ...loaded.config.policy }, flags);
  checkThresholdOrder(partial, flags, loaded);
  // In the policy, so every command that checks whole messages (fix, send, proxy) gets the rule.
  const bodyScan = resolveBodyScan(loaded.config.sections.bodyScan, flags, flags.config ?? loaded.path ?? 'config');
  if (bodyScan) partial.bodyScan = bodyScan;
  const policy = createPolicy(partial);
  const where = flags.config ?? loaded.path ?? 'configuration';
  const profiles = buildProfiles(policy, loaded.config.policy, loaded.config.profiles ?? [], where, (own) => {
    const merged = applyPolicyFlags(own, flags);
    if (bodyScan) merged.bodyScan = bodyScan;
    return merged;
  });
  const result: ResolvedSettings = { policy, config: loaded.config, profiles };
  if (loaded.path !== undefined) result.configPath = loaded.path;
  if (bodyScan) result.bodyScan = bodyScan;
  return result;
}

/**
 * The on-violation mode every command resolves the same way: the flag, then the command's own
 * section of the configuration file, then its top level, then `block`.
 */
export function resolveOnViolation(flag: OnViolation | undefined, section: OnViolation | undefined, config: Pick<MailguardConfig, 'onViolation'>): OnViolation {
  return flag ?? section ?? config.onViolation ?? 'block';
}

/**
 * The profiles with each one's on-violation mode made concrete for a command: the flag, then the
 * profile's own, then the command's section, then the top level, then `block`. `check` (each
 * mode it can do) is asked at start-up for every profile, so a profile an adapter cannot carry
 * out is refused before the first message.
 */
export function profilesForCommand(profiles: Profiles, flag: OnViolation | undefined, section: OnViolation | undefined, config: Pick<MailguardConfig, 'onViolation'>, check?: (mode: OnViolation, profile: Profile) => void): Profiles {
  const bound = bindOnViolation(profiles, (own) => flag ?? own ?? section ?? config.onViolation ?? 'block');
  if (check) {
    for (const p of [bound.default, ...bound.list]) {
      try {
        check(p.onViolation!, p);
      } catch (err) {
        if (!(err instanceof MailguardError) || p === bound.default) throw err;
        throw new MailguardError(err.code, `profile "${p.name}": ${err.message}`, err.hint !== undefined ? { hint: err.hint } : {});
      }
    }
  }
  return bound;
}
