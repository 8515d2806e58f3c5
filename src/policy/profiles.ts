// Profiles: one configuration, a policy per sender, team or list. Pure: the resolver takes the
// profiles (built once at start-up) and who sends a message, and returns the profile that
// applies, its effective policy and why. It sits in front of the one decision (src/decide): the
// adapters gather the identity and pass the policy on; none of them decides anything here.
//
// The security rule (SECURITY.md "Profiles"): who chooses the profile cannot be the author. The
// attributes are trusted in this order: the authenticated user, the envelope sender, the From
// field. Each known attribute selects a profile (the first whose patterns for that attribute
// match, else the top level). The most trusted one names the profile; every other that selects a
// different profile is merged in with `stricterPolicy`, so a From (or an envelope sender) that
// matches a laxer profile can never loosen the policy, only tighten it.

import { normaliseAddress } from '../message/address-list.js';
import { normaliseDomain } from '../message/domain.js';
import { parseMessage } from '../message/parse-message.js';
import type { OnViolation } from '../decide/modes.js';
import type { FindingCode } from '../findings.js';
import { domainMatches } from './classify.js';
import { MailguardError } from '../errors.js';
import { DEFAULT_PROFILE, type MatchAttribute, type ProfileConfig, type ProfileMatch } from './config.js';
import { createPolicy, DEFAULT_POLICY, rulesHonouring, type Policy, type RuleSetting } from './policy.js';

export { DEFAULT_PROFILE, PROFILE_MATCH_KEYS, type MatchAttribute, type ProfileMatch } from './config.js';

/** One profile, resolved: its complete policy and, once an adapter bound it, its on-violation mode. */
export interface Profile {
  name: string;
  match: ProfileMatch;
  policy: Policy;
  onViolation?: OnViolation;
}

/** The top-level policy (named `default`) and the profiles in order. Built once, at start-up. */
export interface Profiles {
  default: Profile;
  list: Profile[];
}

/** Who sends a message, as far as the adapter knows. Empty or absent values are unknown. */
export interface SenderIdentity {
  /** The user the transport authenticated (SMTP AUTH, the milter's {auth_authen}, the plugin's transport user). */
  authUser?: string;
  /** The envelope sender the transport carries (MAIL FROM, sendmail -f, send's --from). */
  envelopeFrom?: string;
  /** The author addresses of the From field of the bytes that will be sent. */
  from?: string[];
  /** The From field holds an address that could not be read: its author is not known for sure. */
  fromUnreadable?: boolean;
}

/** The value of the choices an unreadable From adds (one per profile, see resolveProfile). */
export const UNREADABLE_AUTHOR = '(an address in From that cannot be read)';

/** Which attribute selected which profile, and by which pattern (none: the top level). */
export interface ProfileChoice {
  attribute: MatchAttribute;
  /** The value it was selected by, as given (an address or user name). */
  value: string;
  profile: string;
  pattern?: string;
}

export interface ResolvedProfile {
  /** The profile applied: one name, or names joined by `+` when a stricter one was merged in. */
  name: string;
  /** The effective policy. */
  policy: Policy;
  /** The effective on-violation mode, when the profiles were bound to an adapter. */
  onViolation?: OnViolation;
  /** The most trusted attribute known and the profile it selected (undefined: nothing known, top level). */
  chosenBy?: ProfileChoice;
  /** Less trusted attributes that selected other profiles, merged in (never loosening). */
  stricterWith: ProfileChoice[];
}

/** Builds the profiles from the top-level policy and each profile's own, both complete. */
export function createProfiles(top: Policy, profiles: readonly Profile[] = []): Profiles {
  return { default: { name: DEFAULT_PROFILE, match: {}, policy: top }, list: profiles.map((p) => ({ ...p })) };
}

/**
 * A profile's policy before it is completed: the top level, then the profile's keys (rules merged
 * per code). A threshold the profile sets alone moves the other of its pair as one flag does on
 * the command line (applyPolicyFlags): blockAt 2 under a top-level warnAt 3 brings warnAt down
 * to 2; warnAt 8 raises blockAt only from its default. A block threshold the top level sets is
 * never raised by a profile's warn threshold: the clash is left for the caller to refuse
 * (`"blockAt": 3` at the top and a profile's `"warnAt": 4` passed four parties unwarned, and
 * three with no finding at all).
 */
export function profilePartial(top: Partial<Policy>, own: Partial<Policy>): Partial<Policy> {
  const merged: Partial<Policy> = { ...top, ...own, rules: { ...rulesHonouring(top.rules, own, own.rules), ...(own.rules ?? {}) } };
  for (const [warn, block] of [['warnAt', 'blockAt'], ['warnAddressesAt', 'blockAddressesAt']] as const) {
    const w = own[warn];
    const b = own[block];
    if (b !== undefined && w === undefined && (merged[warn] ?? DEFAULT_POLICY[warn]) > b) merged[warn] = b;
    if (w !== undefined && b === undefined && top[block] === undefined && DEFAULT_POLICY[block] < w) merged[block] = w;
  }
  return merged;
}

/** Builds the profiles of a configuration: each profile's partial (profilePartial, then `finish`, e.g. the command-line flags) completed by createPolicy; errors name the profile. */
export function buildProfiles(top: Policy, topPartial: Partial<Policy>, configs: readonly ProfileConfig[], where: string, finish: (partial: Partial<Policy>, profile: ProfileConfig) => Partial<Policy> = (p) => p): Profiles {
  const list = configs.map((p, i): Profile => {
    let policy: Policy;
    try {
      policy = createPolicy(finish(profilePartial(topPartial, p.policy), p));
    } catch (err) {
      if (err instanceof MailguardError) throw new MailguardError(err.code, `${where}: profiles[${i}] ("${p.name}"): ${err.message}`, err.hint !== undefined ? { hint: err.hint } : {});
      throw err;
    }
    const profile: Profile = { name: p.name, match: p.match, policy };
    if (p.onViolation !== undefined) profile.onViolation = p.onViolation;
    return profile;
  });
  return createProfiles(top, list);
}

/** The profiles with every on-violation mode made concrete for one adapter: `mode(own)` gets the profile's own (undefined for none). */
export function bindOnViolation(profiles: Profiles, mode: (own: OnViolation | undefined, profile: string) => OnViolation): Profiles {
  const bind = (p: Profile): Profile => ({ ...p, onViolation: mode(p.onViolation, p.name) });
  return { default: bind(profiles.default), list: profiles.list.map(bind) };
}

/** The author addresses of the From field(s) of a message's header. */
export function authorsOf(bytes: Uint8Array): string[] {
  return parseMessage(bytes)
    .addresses.filter((a) => a.field === 'from')
    .map((a) => a.mailbox.address);
}

/** The identity of a message: its authors from the bytes, plus what the transport knows. */
export function messageIdentity(bytes: Uint8Array, known: { authUser?: string | undefined; envelopeFrom?: string | undefined } = {}): SenderIdentity {
  const parsed = parseMessage(bytes);
  const identity: SenderIdentity = { from: parsed.addresses.filter((a) => a.field === 'from').map((a) => a.mailbox.address) };
  // An author written so that it cannot be read (`x@BÜCHER.example` with a decomposed letter, a
  // fullwidth dot) would otherwise just be missing, and the message fall back to the top level.
  if (parsed.addressProblems.some((p) => p.field === 'from') && parsed.header.fields.some((f) => f.key === 'from' && f.rawValue.includes('@'))) identity.fromUnreadable = true;
  if (known.authUser) identity.authUser = known.authUser;
  if (known.envelopeFrom) identity.envelopeFrom = known.envelopeFrom;
  return identity;
}

/** An address in the form patterns are compared in: A-label domain, lower case. */
function addressKey(value: string): { address: string; domain: string } | undefined {
  const n = (normaliseAddress(value) ?? value.trim()).toLowerCase();
  const at = n.lastIndexOf('@');
  if (at <= 0) return undefined;
  return { address: n, domain: n.slice(at + 1) };
}

function patternKey(pattern: string): string {
  const at = pattern.lastIndexOf('@');
  const domainPart = at === -1 ? pattern.replace(/^\./, '') : pattern.slice(at + 1);
  const d = normaliseDomain(domainPart);
  const domain = d.ok ? d.ascii : domainPart.toLowerCase();
  return at === -1 ? domain : `${pattern.slice(0, at).toLowerCase()}@${domain}`;
}

/** Whether `value` matches `pattern`: `name@domain` exactly, `*@domain` at that domain, `domain` at it or under it; an authUser also by its name. */
export function matchesPattern(value: string, pattern: string, attribute: MatchAttribute): boolean {
  const key = patternKey(pattern);
  const address = addressKey(value);
  if (!address) {
    // A plain user name (authUser): compared whole, case-insensitively, also one with dots
    // (`ann.smith`, which as a pattern reads as a domain for an address too).
    return attribute === 'authUser' && !pattern.includes('@') && value.trim().toLowerCase() === pattern.toLowerCase();
  }
  if (key.startsWith('*@')) return address.domain === key.slice(2);
  if (key.includes('@')) return address.address === key;
  return domainMatches(address.domain, key);
}

/** The first profile whose patterns for `attribute` match `value`, with the pattern. */
function select(profiles: Profiles, attribute: MatchAttribute, value: string): { profile: Profile; pattern?: string } {
  for (const p of profiles.list) {
    const pattern = p.match[attribute]?.find((pt) => matchesPattern(value, pt, attribute));
    if (pattern !== undefined) return { profile: p, pattern };
  }
  return { profile: profiles.default };
}

/** Lax to strict: sending as written, moving to Bcc, one copy each, keeping for review, not sending. */
export const ON_VIOLATION_STRICTNESS: readonly OnViolation[] = ['warn', 'bcc', 'split', 'hold', 'block'];

/** The stricter of two on-violation modes (ON_VIOLATION_STRICTNESS). */
export function stricterOnViolation(a: OnViolation, b: OnViolation): OnViolation {
  return ON_VIOLATION_STRICTNESS.indexOf(a) >= ON_VIOLATION_STRICTNESS.indexOf(b) ? a : b;
}

/**
 * The stricter of two rule settings for one code, where undefined is the rule's own severity
 * (which may be info, warning or error). off < own, off < warning; own and warning together:
 * at-least-warning (info becomes warning, error stays); error above all. `info` as a setting
 * changes nothing (the core ignores it), so it counts as the rule's own.
 */
export function stricterRuleSetting(a: RuleSetting | undefined, b: RuleSetting | undefined): RuleSetting | undefined {
  const norm = (s: RuleSetting | undefined) => (s === 'info' ? undefined : s);
  const x = norm(a);
  const y = norm(b);
  if (x === 'error' || y === 'error') return 'error';
  if (x === y) return x;
  if (x === 'off') return y;
  if (y === 'off') return x;
  // One is the rule's own severity or at-least-warning, the other warning or at-least-warning.
  return 'at-least-warning';
}

/** Domains covered by both lists (each list's domains include their subdomains): the exact intersection of what they cover. */
export function domainIntersection(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const d of a) if (b.some((x) => domainMatches(d, x))) out.add(d);
  for (const d of b) if (a.some((x) => domainMatches(d, x))) out.add(d);
  return [...out].sort();
}

/** Everything a policy may count as internal, as a list of domains (with subdomains); undefined: it depends on the sender (inferred), bounded only by internalWithin. */
function internalCap(p: Policy): string[] | undefined {
  const configured = p.internalDomains.length > 0 ? [...p.internalDomains, ...p.trustedDomains] : undefined;
  if (configured === undefined) return p.internalWithin;
  return p.internalWithin === undefined ? configured : domainIntersection(configured, p.internalWithin);
}

function listIntersection(a: readonly string[], b: readonly string[]): string[] {
  const covers = (list: readonly string[], l: string) => list.includes(l) || list.includes(`*@${l.slice(l.lastIndexOf('@') + 1)}`);
  return [...new Set([...a.filter((l) => covers(b, l)), ...b.filter((l) => covers(a, l))])].sort();
}

/**
 * A policy at least as strict as each of `a` and `b` on every axis, and no stricter than it must
 * be: each threshold the lower; sensitive if either is; an address internal (or trusted) only if
 * both count it so (internalWithin carries this when one of them infers internal domains from
 * the sender; never one either calls a consumer domain); a public list only if both name it;
 * consumer domains of either; the body scan of either at its stricter; each rule at the
 * higher severity (stricterRuleSetting). Commutative, associative and idempotent.
 */
export function stricterPolicy(a: Policy, b: Policy): Policy {
  const rules: Partial<Record<FindingCode, RuleSetting>> = {};
  for (const code of new Set([...Object.keys(a.rules), ...Object.keys(b.rules)]) as Set<FindingCode>) {
    const s = stricterRuleSetting(a.rules[code], b.rules[code]);
    if (s !== undefined) rules[code] = s;
  }
  const configuredA = a.internalDomains.length > 0;
  const configuredB = b.internalDomains.length > 0;
  const capA = internalCap(a);
  const capB = internalCap(b);
  const merged: Partial<Policy> = {
    internalDomains: configuredA && configuredB ? domainIntersection(a.internalDomains, b.internalDomains) : [],
    trustedDomains: domainIntersection(configuredA ? [...a.internalDomains, ...a.trustedDomains] : a.trustedDomains, configuredB ? [...b.internalDomains, ...b.trustedDomains] : b.trustedDomains),
    warnAt: Math.min(a.warnAt, b.warnAt),
    blockAt: Math.min(a.blockAt, b.blockAt),
    warnAddressesAt: Math.min(a.warnAddressesAt, b.warnAddressesAt),
    blockAddressesAt: Math.min(a.blockAddressesAt, b.blockAddressesAt),
    publicLists: listIntersection(a.publicLists, b.publicLists),
    sensitive: a.sensitive || b.sensitive,
    rules,
    consumerDomains: [...new Set([...a.consumerDomains, ...b.consumerDomains])].sort(),
  };
  // A domain one policy counts as internal (or trusted) and the other as a consumer domain (each
  // address its own party) is neither here: the consumer domains are both policies', and
  // createPolicy refuses an internal domain among them (the message ended in a configuration error).
  const consumer = merged.consumerDomains!;
  const personal = (d: string) => consumer.some((c) => domainMatches(d, c));
  merged.internalDomains = merged.internalDomains!.filter((d) => !personal(d));
  merged.trustedDomains = merged.trustedDomains!.filter((d) => !personal(d));
  // A list that was public under one policy and is not here reports EXPOSED_RECIPIENTS instead of
  // PUBLIC_LIST_POST: where that policy raised PUBLIC_LIST_POST, the exposure is raised as far.
  const publicLists = merged.publicLists!;
  for (const p of [a, b]) {
    const raised = p.rules.PUBLIC_LIST_POST;
    if (raised !== 'warning' && raised !== 'error' && raised !== 'at-least-warning') continue;
    const lost = (merged.sensitive && !p.sensitive) || p.publicLists.some((l) => listIntersection([l], publicLists).length === 0);
    if (lost) rules.EXPOSED_RECIPIENTS = stricterRuleSetting(rules.EXPOSED_RECIPIENTS, raised)!;
  }
  // The cap matters only where something is inferred from the sender (also where both configured
  // internal domains and none is left above), or a cap came in; else the lists above already say
  // exactly what both count as internal.
  const internal = merged.internalDomains!;
  if (internal.length > 0) merged.trustedDomains = merged.trustedDomains!.filter((d) => !internal.some((i) => domainMatches(d, i)));
  const cap = capA === undefined ? capB : capB === undefined ? capA : domainIntersection(capA, capB);
  if (cap !== undefined && (internal.length === 0 || a.internalWithin !== undefined || b.internalWithin !== undefined)) merged.internalWithin = cap;
  // The scan of either, reporting at the fewer addresses and reading the more of each part.
  const scans = [a.bodyScan, b.bodyScan].filter((x) => x !== undefined);
  if (scans.length > 0) merged.bodyScan = { minAddresses: Math.min(...scans.map((x) => x.minAddresses)), maxPartBytes: Math.max(...scans.map((x) => x.maxPartBytes)) };
  return createPolicy(merged);
}

// Merged policies repeat (a proxy sees the same pairs all day): built once per combination. The
// cache lives beside the profiles it was built from, so it is as pure as they are.
const mergedCache = new WeakMap<Profiles, Map<string, { policy: Policy; onViolation?: OnViolation }>>();

/** The profile for a message sent by `identity` (SECURITY.md "Profiles"). */
export function resolveProfile(profiles: Profiles, identity: SenderIdentity): ResolvedProfile {
  const choices: ProfileChoice[] = [];
  const known: Array<[MatchAttribute, string]> = [];
  if (identity.authUser) known.push(['authUser', identity.authUser]);
  if (identity.envelopeFrom) known.push(['envelopeFrom', identity.envelopeFrom]);
  for (const f of identity.from ?? []) if (f) known.push(['from', f]);
  for (const [attribute, value] of known) {
    const { profile, pattern } = select(profiles, attribute, value);
    const choice: ProfileChoice = { attribute, value, profile: profile.name };
    if (pattern !== undefined) choice.pattern = pattern;
    choices.push(choice);
  }
  // An author that cannot be read could be anyone's: every profile applies, merged the stricter
  // way (never the laxer top level alone, as a From that is simply missing an address would give).
  // (The top level stays the primary when nothing else was known.)
  const chosenBy = choices[0];
  if (identity.fromUnreadable) for (const p of profiles.list) choices.push({ attribute: 'from', value: UNREADABLE_AUTHOR, profile: p.name });
  const byName = (name: string): Profile => (name === DEFAULT_PROFILE ? profiles.default : profiles.list.find((p) => p.name === name)!);
  const primary = chosenBy ? byName(chosenBy.profile) : profiles.default;
  const stricterWith: ProfileChoice[] = [];
  const names = [primary.name];
  for (const c of chosenBy ? choices.slice(1) : choices) {
    if (names.includes(c.profile)) continue;
    names.push(c.profile);
    stricterWith.push(c);
  }
  const resolved: ResolvedProfile = { name: names.join('+'), policy: primary.policy, stricterWith };
  if (primary.onViolation !== undefined) resolved.onViolation = primary.onViolation;
  if (chosenBy) resolved.chosenBy = chosenBy;
  if (names.length === 1) return resolved;

  let cache = mergedCache.get(profiles);
  if (!cache) mergedCache.set(profiles, (cache = new Map()));
  let merged = cache.get(resolved.name);
  if (!merged) {
    const others = names.slice(1).map(byName);
    const policy = others.reduce((acc, p) => stricterPolicy(acc, p.policy), primary.policy);
    const modes = [primary, ...others].map((p) => p.onViolation);
    merged = { policy };
    if (modes.every((m) => m !== undefined)) merged.onViolation = (modes as OnViolation[]).reduce(stricterOnViolation);
    cache.set(resolved.name, merged);
  }
  resolved.policy = merged.policy;
  if (merged.onViolation !== undefined) resolved.onViolation = merged.onViolation;
  else delete resolved.onViolation;
  return resolved;
}
