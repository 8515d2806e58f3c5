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
import { createPolicy, DEFAULT_POLICY, rulesHonouring, type Policy, type RuleSetting } from '../policy/policy.js';
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

/**
 * The policy flags as command-line words, in the order addPolicyOptions defines them: what a
 * command mailguard prints for the user (check's `fix:` hint) repeats, so the command it names
 * resolves the policy it was decided under. Only what the command line gave: the configuration
 * file (found again from the same directory, or the `--config` repeated here) and the
 * environment give the rest. Options that do not change the policy (--format, --jobs ...) are
 * not flags of this kind. A value that begins with a dash is written `--flag=value`, so it is not
 * read as a flag.
 */
export function policyArguments(flags: PolicyFlags): string[] {
  const args: string[] = [];
  const add = (flag: string, value: string | number | undefined) => {
    if (value === undefined) return;
    const text = String(value);
    if (text.startsWith('-')) args.push(`${flag}=${text}`);
    else args.push(flag, text);
  };
  add('--config', flags.config);
  for (const d of flags.internalDomain ?? []) add('--internal-domain', d);
  for (const d of flags.trustedDomain ?? []) add('--trusted-domain', d);
  add('--warn-at', flags.warnAt);
  add('--block-at', flags.blockAt);
  add('--warn-addresses-at', flags.warnAddressesAt);
  add('--block-addresses-at', flags.blockAddressesAt);
  for (const a of flags.publicList ?? []) add('--public-list', a);
  if (flags.sensitive === true) args.push('--sensitive');
  for (const r of flags.rule ?? []) add('--rule', r);
  add('--body-min-addresses', flags.bodyMinAddresses);
  if (flags.bodyScan === false) args.push('--no-body-scan');
  return args;
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

/** The two pairs of thresholds: the policy keys and their flags. */
const THRESHOLD_PAIRS = [
  { warn: 'warnAt', block: 'blockAt', warnFlag: 'warn-at', blockFlag: 'block-at' },
  { warn: 'warnAddressesAt', block: 'blockAddressesAt', warnFlag: 'warn-addresses-at', blockFlag: 'block-addresses-at' },
] as const;

type ThresholdKey = (typeof THRESHOLD_PAIRS)[number]['warn' | 'block'];

/**
 * A warn threshold above its block threshold: refused, saying which value came from where (a flag,
 * the file, a profile, the default). `source(key)` names where the value in `partial` came from.
 */
function checkThresholdOrder(partial: Partial<Policy>, source: (key: ThresholdKey) => string): void {
  for (const { warn, block, warnFlag, blockFlag } of THRESHOLD_PAIRS) {
    const w = partial[warn] ?? DEFAULT_POLICY[warn];
    const b = partial[block] ?? DEFAULT_POLICY[block];
    if (typeof w !== 'number' || typeof b !== 'number' || w <= b) continue;
    const [warnFrom, blockFrom] = [source(warn), source(block)];
    const flagged = warnFrom === `--${warnFlag}`;
    throw new MailguardError('ECONFIG', `${warn} (${w}, from ${warnFrom}) is above ${block} (${b}, from ${blockFrom}).`, {
      hint: flagged && blockFrom !== `--${blockFlag}`
        ? `--${warnFlag} does not raise a ${block} that the configuration sets: give a value up to ${b}, or --${blockFlag} too (which replaces the configured one).`
        : `${warn} must be at most ${block}; set both, or only one of them.`,
    });
  }
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
  for (const { warn, block } of THRESHOLD_PAIRS) {
    const w = flags[warn];
    const b = flags[block];
    // One threshold given alone moves the other only where nothing configured it (it is still the
    // default): a block threshold set in the file or a profile is never raised by --warn-at (the
    // clinic's blockAt 2 under --warn-at 3 passed two patients); the clash is refused instead
    // (checkThresholdOrder). Lowering the warn threshold to a lower block threshold only tightens.
    if (w !== undefined && b === undefined && partial[block] === undefined && DEFAULT_POLICY[block] < w) partial[block] = w;
    if (b !== undefined && w === undefined && (partial[warn] ?? DEFAULT_POLICY[warn]) > b) partial[warn] = b;
    if (w !== undefined) partial[warn] = w;
    if (b !== undefined) partial[block] = b;
  }
  if (flags.publicList?.length) partial.publicLists = [...(partial.publicLists ?? []), ...flags.publicList];
  if (flags.sensitive) partial.sensitive = true;
  const flagRules: Partial<Record<string, RuleSetting>> = {};
  for (const r of flags.rule ?? []) {
    const m = /^([A-Z_]+)=(error|warning|off)$/.exec(r);
    if (!m || !isFindingCode(m[1]!)) throw new MailguardError('EUSAGE', `--rule takes CODE=error|warning|off with a known finding code (got "${r}").`, { hint: 'See mailguard explain for the codes.' });
    flagRules[m[1]!] = m[2] as RuleSetting;
  }
  // --sensitive or a threshold flag takes effect over a rule the file turned down (rulesHonouring);
  // --rule is the last word.
  const flagged: Partial<Policy> = { blockAt: flags.blockAt, blockAddressesAt: flags.blockAddressesAt, warnAt: flags.warnAt, warnAddressesAt: flags.warnAddressesAt };
  if (flags.sensitive) flagged.sensitive = true;
  if (partial.rules !== undefined || flags.rule?.length) partial.rules = { ...rulesHonouring(partial.rules, flagged, flagRules), ...flagRules };
  return partial;
}

/**
 * The same resolution from a configuration already loaded (the drop-in sendmail's system file).
 * Each profile is the top level, then the profile's keys (rules merged per code), then the flags:
 * a flag is the last word for every profile.
 */
export function settingsFromConfig(loaded: LoadedConfig, flags: PolicyFlags): ResolvedSettings {
  const partial = applyPolicyFlags({ ...loaded.config.policy }, flags);
  const file = flags.config ?? (loaded.path !== undefined ? path.relative(process.cwd(), loaded.path) || loaded.path : 'the configuration file');
  /** Where a threshold came from: a flag, else the file, else (a profile's own or made from it) the profile, else the default. */
  const sourceOf = (own: Partial<Policy> | undefined, merged: Partial<Policy>) => (key: ThresholdKey): string => {
    const pair = THRESHOLD_PAIRS.find((p) => p.warn === key || p.block === key)!;
    if (flags[key] !== undefined) return `--${pair.warn === key ? pair.warnFlag : pair.blockFlag}`;
    if (own !== undefined && (own[key] !== undefined || (merged[key] !== undefined && loaded.config.policy[key] === undefined))) return 'the profile';
    return loaded.config.policy[key] !== undefined ? file : 'the default';
  };
  checkThresholdOrder(partial, sourceOf(undefined, partial));
  // In the policy, so every command that checks whole messages (fix, send, proxy) gets the rule.
  const bodyScan = resolveBodyScan(loaded.config.sections.bodyScan, flags, flags.config ?? loaded.path ?? 'config');
  if (bodyScan) partial.bodyScan = bodyScan;
  const policy = createPolicy(partial);
  const where = flags.config ?? loaded.path ?? 'configuration';
  const profiles = buildProfiles(policy, loaded.config.policy, loaded.config.profiles ?? [], where, (own, profile) => {
    const merged = applyPolicyFlags(own, flags);
    checkThresholdOrder(merged, sourceOf(profile.policy, merged));
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
