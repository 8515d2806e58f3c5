// The policy the core receives: plain, validated data. Resolved once (defaults, then the config
// file, then flags) by the adapters; the core never reads files or the environment.

import { normaliseDomain } from '../message/domain.js';
import { MailguardError } from '../errors.js';
import { domainMatches, isPublicSuffix, isSharedMailDomain, TENANT_NAMESPACES } from './classify.js';
import { parseBodyScanSection, type BodyScanOptions } from '../body/settings.js';
import { parsePolicyGiven } from './config.js';
import type { FindingCode, Severity } from '../findings.js';

/**
 * A finding code's severity: error, warning or off in the configuration. `at-least-warning` is
 * made only by the stricter merge of two profiles (src/policy/profiles.ts), where one says
 * warning and the other keeps the rule's own severity: an info finding becomes a warning, an
 * error stays an error.
 */
export type RuleSetting = Severity | 'off' | 'at-least-warning';

export interface Policy {
  /** Domains whose addresses are internal, in lower-case A-label form; subdomains included. */
  internalDomains: string[];
  /** Partner domains that count as internal. */
  trustedDomains: string[];
  /** Visible external parties at which EXPOSED_RECIPIENTS is a warning. */
  warnAt: number;
  /** Visible external parties at which EXPOSED_RECIPIENTS blocks. */
  blockAt: number;
  /** Distinct visible external addresses at which EXPOSED_RECIPIENTS is a warning, whatever their organisations. */
  warnAddressesAt: number;
  /** Distinct visible external addresses at which EXPOSED_RECIPIENTS blocks. */
  blockAddressesAt: number;
  /**
   * Public mailing lists (`list@host`, or `*@host` for every list at a host): a message that
   * shows one is a public post (PUBLIC_LIST_POST, info) instead of EXPOSED_RECIPIENTS, unless
   * `sensitive`. Lower-case, A-label domains.
   */
  publicLists: string[];
  /** Patient, applicant or member lists: blockAt 2, and Bcc rewriting is refused. */
  sensitive: boolean;
  /** Per-code severity overrides. */
  rules: Partial<Record<FindingCode, RuleSetting>>;
  /** More consumer mail domains (each address its own party), beside the bundled list. */
  consumerDomains: string[];
  /**
   * Scan bodies and text attachments for address lists (ADDRESS_LIST_IN_BODY) when checkMessage
   * is given a whole message. Absent (the library default): header only. The CLI sets it (on
   * unless --no-body-scan), so every command that checks whole messages gets the rule.
   */
  bodyScan?: BodyScanOptions;
  /**
   * When set, no address is internal unless its domain is one of these or under one, whatever
   * internalDomains, trustedDomains or the inference from the sender say. Made only by the
   * stricter merge of two profiles (src/policy/profiles.ts): internal only where both say so.
   */
  internalWithin?: string[];
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  internalDomains: [],
  trustedDomains: [],
  warnAt: 3,
  blockAt: 5,
  // Ten matches the body scan's list size (ADDRESS_LIST_IN_BODY); 25 people at one organisation
  // are a customer list or a class, not a working group (README, "Defaults").
  warnAddressesAt: 10,
  blockAddressesAt: 25,
  publicLists: [],
  sensitive: false,
  rules: {},
  consumerDomains: [],
});

/** Visible external parties at which a sensitive list is blocked. */
export const SENSITIVE_BLOCK_AT = 2;

/** Visible external addresses at which a sensitive list is blocked (two patients see each other). */
export const SENSITIVE_BLOCK_ADDRESSES_AT = 2;

export interface Thresholds {
  warnAt: number;
  blockAt: number;
  warnAddressesAt: number;
  blockAddressesAt: number;
}

/** The thresholds in force, after `sensitive`. */
export function effectiveThresholds(policy: Policy): Thresholds {
  const blockAt = policy.sensitive ? Math.min(policy.blockAt, SENSITIVE_BLOCK_AT) : policy.blockAt;
  // A policy built before these keys existed (a plain object from older callers) gets the defaults.
  const configuredBlockAddresses = policy.blockAddressesAt ?? DEFAULT_POLICY.blockAddressesAt;
  const blockAddressesAt = policy.sensitive ? Math.min(configuredBlockAddresses, SENSITIVE_BLOCK_ADDRESSES_AT) : configuredBlockAddresses;
  const warnAddressesAt = Math.min(policy.warnAddressesAt ?? DEFAULT_POLICY.warnAddressesAt, blockAddressesAt);
  return { warnAt: Math.min(policy.warnAt, blockAt), blockAt, warnAddressesAt, blockAddressesAt };
}

/** The keys that make a code block (`sensitive`, a block threshold) or warn (a warn threshold), per code whose severity they decide. */
const THRESHOLD_RULES: ReadonlyArray<{ code: FindingCode; block: ReadonlyArray<keyof Policy>; warn: ReadonlyArray<keyof Policy> }> = [
  { code: 'EXPOSED_RECIPIENTS', block: ['sensitive', 'blockAt', 'blockAddressesAt'], warn: ['warnAt', 'warnAddressesAt'] },
  { code: 'EXPOSED_ATTENDEES', block: ['sensitive', 'blockAt', 'blockAddressesAt'], warn: ['warnAt', 'warnAddressesAt'] },
  { code: 'ADDRESS_LIST_IN_ATTACHMENT', block: ['sensitive'], warn: [] },
  { code: 'EXPOSED_REPLY_ADDRESSES', block: [], warn: ['warnAt'] },
];

/**
 * The rules `own` (a profile's keys, or the flags) inherits from a wider scope (the top level,
 * or the file), raised just enough that the thresholds and `sensitive` it sets itself take
 * effect: a code it does not set itself that the wider scope turned to `warning` or `off` is back
 * at its own severity where `own` sets one of the code's block keys, and at `warning` (from
 * `off`) where it sets one of its warn keys. A clinic's `"sensitive": true, "blockAt": 2` under a
 * top-level `"EXPOSED_RECIPIENTS": "warning"` warned about two patients and sent them.
 * `ownRules`: the codes `own` sets itself (those stay as it says).
 */
export function rulesHonouring(inherited: Policy['rules'] | undefined, own: Partial<Policy>, ownRules: Policy['rules'] = {}): Policy['rules'] {
  const rules = { ...(inherited ?? {}) };
  const sets = (key: keyof Policy) => (key === 'sensitive' ? own.sensitive === true : own[key] !== undefined);
  for (const { code, block, warn } of THRESHOLD_RULES) {
    const setting = rules[code];
    if (ownRules[code] !== undefined || (setting !== 'warning' && setting !== 'off')) continue;
    if (block.some(sets)) delete rules[code];
    else if (setting === 'off' && warn.some(sets)) rules[code] = 'warning';
  }
  return rules;
}

/** How an exposed list measures against the thresholds: the stronger of its organisations and its
 * number of addresses decides (on a tie, the organisations are named); undefined below both. */
export function exposureLevel(parties: number, addresses: number, t: Thresholds): { severity: 'error' | 'warning'; trigger: 'parties' | 'addresses'; threshold: number } | undefined {
  const byParties = parties >= t.blockAt ? 'error' : parties >= t.warnAt ? 'warning' : undefined;
  const byAddresses = addresses >= t.blockAddressesAt ? 'error' : addresses >= t.warnAddressesAt ? 'warning' : undefined;
  if (!byParties && !byAddresses) return undefined;
  if (byParties === 'error' || (byParties && byAddresses !== 'error')) return { severity: byParties, trigger: 'parties', threshold: byParties === 'error' ? t.blockAt : t.warnAt };
  return { severity: byAddresses!, trigger: 'addresses', threshold: byAddresses === 'error' ? t.blockAddressesAt : t.warnAddressesAt };
}

/** Whether every address at a domain is a different person (a public suffix, a mail provider, a
 * hosting namespace): such a host is never a list's host, whatever a pattern or a List-Id says. */
export function isHostOfPeople(domain: string): boolean {
  return isPublicSuffix(domain) || isSharedMailDomain(domain) || TENANT_NAMESPACES.has(domain);
}

/** Normalises a configured public list: `list@host` or `*@host`, domain as its A-label. */
function normalisePublicList(pattern: string): string {
  const p = pattern.trim();
  const at = p.lastIndexOf('@');
  const local = at > 0 ? p.slice(0, at) : '';
  const domain = at > 0 ? normaliseDomain(p.slice(at + 1)) : undefined;
  if (!domain?.ok || local.length === 0 || /[\s<>,;"]/.test(local) || (local.includes('*') && local !== '*')) {
    throw new MailguardError('ECONFIG', `publicLists: "${pattern}" is not a list address or *@host pattern.`, {
      hint: 'Give the list\'s posting address (linux-kernel@vger.kernel.org) or every list at a host (*@lists.example.org).',
    });
  }
  // Every address at a mail provider or under a public suffix is a different person, never a list:
  // `*@gmail.com` made any message with one Gmail user in To a public post, and a Cc of customers
  // passed as PUBLIC_LIST_POST (info). One list address there (`team@gmail.com`) stays allowed.
  if (local === '*' && isHostOfPeople(domain.ascii)) {
    throw new MailguardError('ECONFIG', `publicLists: "${pattern}" would make every address at ${domain.ascii} a public list, and ${domain.ascii} is ${isPublicSuffix(domain.ascii) ? 'a public suffix' : 'a mail provider or hosting domain whose addresses belong to unrelated people'}.`, {
      hint: 'Give the list\'s own address (team@' + domain.ascii + '), or *@host for a host that runs only lists (*@lists.example.org).',
    });
  }
  return `${local.toLowerCase()}@${domain.ascii}`;
}

/** Normalises a configured domain (`.corp.example`, `Corp.Example.`, a U-label) to its A-label. */
export function normaliseConfiguredDomain(domain: string, where: string): string {
  let d = domain.trim();
  if (d.startsWith('*.')) d = d.slice(2);
  if (d.startsWith('.')) d = d.slice(1);
  if (d.startsWith('@')) d = d.slice(1);
  const result = normaliseDomain(d);
  if (!result.ok) {
    throw new MailguardError('ECONFIG', `${where}: "${domain}" is not a valid domain name (${result.problem}).`, {
      hint: 'Give a domain such as corp.example; subdomains are included automatically.',
    });
  }
  // Fail closed: "com" or "co.uk" as an internal or trusted domain would pass every mailing.
  if ((where === 'internalDomains' || where === 'trustedDomains') && isPublicSuffix(result.ascii)) {
    throw new MailguardError('ECONFIG', `${where}: "${domain}" is a public suffix, so every address under it would count as internal.`, {
      hint: 'Give your organisation\'s own domain, such as corp.example (its subdomains are included).',
    });
  }
  if (where === 'internalDomains' || where === 'trustedDomains') refuseSharedDomain(result.ascii, domain, where);
  return result.ascii;
}

/** mailguard has no list of individual internal addresses: what to do instead of a shared domain. */
const NO_PER_ADDRESS_HINT =
  'mailguard counts whole domains as internal, never single addresses: give your organisation\'s own domain (corp.example). Colleagues who write from webmail count as external, each an organisation of their own, so a message to a few of them passes; mail to a list of them belongs in Bcc.';


/**
 * Fail closed, as for a public suffix: a consumer provider (gmail.com: every address a different
 * person) or a hosting namespace (onmicrosoft.com: every tenant a different organisation) as an
 * internal or trusted domain would count customers and every tenant as internal.
 */
function refuseSharedDomain(ascii: string, written: string, where: string): void {
  if (TENANT_NAMESPACES.has(ascii)) {
    throw new MailguardError('ECONFIG', `${where}: "${written}" is a hosting domain whose every tenant is a different organisation, so all of them would count as internal.`, {
      hint: `Give your own tenant's domain, such as acme.${ascii}, or your organisation's own domain.`,
    });
  }
  if (isSharedMailDomain(ascii)) {
    throw new MailguardError('ECONFIG', `${where}: "${written}" is a consumer mail provider, whose addresses belong to unrelated people, so every one of them would count as internal.`, {
      hint: NO_PER_ADDRESS_HINT,
    });
  }
}

/**
 * The body scan of a policy given in code: read as the configuration's `bodyScan` section (keys
 * not given at their defaults; `enabled: false`, or false, for none). One complete already (a
 * policy createPolicy made, spread) is kept as it is.
 */
function bodyScanGiven(given: unknown): BodyScanOptions | undefined {
  if (given === undefined || given === false) return undefined;
  const keys = Object.keys(given as object);
  if (keys.length === 2 && keys.includes('minAddresses') && keys.includes('maxPartBytes')) return given as BodyScanOptions;
  const settings = parseBodyScanSection(given as Record<string, unknown>, 'createPolicy');
  return settings.enabled ? { minAddresses: settings.minAddresses, maxPartBytes: settings.maxPartBytes } : undefined;
}

const resolved = new WeakSet<object>();

/** Whether `p` came out of createPolicy (complete and normalised). */
export function isResolvedPolicy(p: object): p is Policy {
  return resolved.has(p);
}

/**
 * Builds a complete policy from defaults and a partial one, normalising domains. The partial is
 * validated as the configuration file's policy keys are (parsePolicyGiven): a misspelt key or a
 * value of another type is refused, never read as the default.
 */
export function createPolicy(partial: Partial<Policy> = {}): Policy {
  const given = parsePolicyGiven(partial, 'createPolicy');
  const merged: Policy = { ...DEFAULT_POLICY, ...given, rules: { ...DEFAULT_POLICY.rules, ...(given.rules ?? {}) } };
  delete merged.bodyScan;
  const scan = bodyScanGiven(given.bodyScan);
  if (scan !== undefined) merged.bodyScan = scan;
  merged.internalDomains = [...new Set(merged.internalDomains.map((d) => normaliseConfiguredDomain(d, 'internalDomains')))];
  merged.trustedDomains = [...new Set(merged.trustedDomains.map((d) => normaliseConfiguredDomain(d, 'trustedDomains')))];
  merged.consumerDomains = [...new Set(merged.consumerDomains.map((d) => normaliseConfiguredDomain(d, 'consumerDomains')))];
  for (const where of ['internalDomains', 'trustedDomains'] as const) {
    const shared = merged[where].find((d) => merged.consumerDomains.some((c) => domainMatches(d, c)));
    if (shared !== undefined) {
      throw new MailguardError('ECONFIG', `${where}: "${shared}" is also one of consumerDomains (each address its own organisation); it cannot be both.`, { hint: NO_PER_ADDRESS_HINT });
    }
  }
  merged.publicLists = [...new Set(merged.publicLists.map(normalisePublicList))];
  const sharedList = merged.publicLists.find((l) => l.startsWith('*@') && merged.consumerDomains.some((c) => domainMatches(l.slice(2), c)));
  if (sharedList !== undefined) {
    throw new MailguardError('ECONFIG', `publicLists: "${sharedList}" is at one of consumerDomains (each address its own person), so every one of them would be a public list.`, { hint: 'Give the list\'s own address instead of *@host.' });
  }
  for (const key of ['warnAt', 'blockAt', 'warnAddressesAt', 'blockAddressesAt'] as const) {
    const v = merged[key];
    if (!Number.isInteger(v) || v < 1) {
      throw new MailguardError('ECONFIG', `${key} must be a whole number of ${key.includes('Addresses') ? 'addresses' : 'parties'}, 1 or more (got ${String(v)}).`);
    }
  }
  if (merged.warnAddressesAt > merged.blockAddressesAt) {
    throw new MailguardError('ECONFIG', `warnAddressesAt (${merged.warnAddressesAt}) is above blockAddressesAt (${merged.blockAddressesAt}).`, {
      hint: 'warnAddressesAt must be at most blockAddressesAt; set both, or only one of them.',
    });
  }
  if (merged.warnAt > merged.blockAt) {
    throw new MailguardError('ECONFIG', `warnAt (${merged.warnAt}) is above blockAt (${merged.blockAt}).`, {
      hint: 'warnAt must be at most blockAt; set both, or only one of them.',
    });
  }
  resolved.add(merged);
  return merged;
}
