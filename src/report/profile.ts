// `mailguard check --explain-policy`: which profile each message gets, why, and the policy in
// force. Pure formatters (human, json) of resolved profiles; the JSON form is a contract like
// the check report's (fields may be added, never renamed).

import type { MatchAttribute } from '../policy/config.js';
import { effectiveThresholds, type Policy } from '../policy/policy.js';
import { UNREADABLE_AUTHOR, type ProfileChoice, type ResolvedProfile } from '../policy/profiles.js';
import { painter, printable, type Painter } from './human.js';

export const POLICY_EXPLANATION_VERSION = 1;

export interface PolicyExplanationEntry {
  source: string;
  resolved: ResolvedProfile;
}

/** The effective policy as the JSON form shows it (every key the configuration can set, plus what merging made). */
export interface JsonEffectivePolicy {
  internalDomains: string[];
  trustedDomains: string[];
  consumerDomains: string[];
  warnAt: number;
  blockAt: number;
  warnAddressesAt: number;
  blockAddressesAt: number;
  publicLists: string[];
  sensitive: boolean;
  rules: Record<string, string>;
  /** Set only by merging two profiles: nothing outside these domains is internal. */
  internalWithin?: string[];
  /** The thresholds in force after `sensitive`. */
  effective: { warnAt: number; blockAt: number; warnAddressesAt: number; blockAddressesAt: number };
}

export interface JsonPolicyExplanation {
  version: typeof POLICY_EXPLANATION_VERSION;
  results: Array<{
    source: string;
    profile: string;
    chosenBy?: ProfileChoice;
    stricterWith: ProfileChoice[];
    onViolation?: string;
    policy: JsonEffectivePolicy;
  }>;
}

export function jsonPolicy(p: Policy): JsonEffectivePolicy {
  const out: JsonEffectivePolicy = {
    internalDomains: [...p.internalDomains],
    trustedDomains: [...p.trustedDomains],
    consumerDomains: [...p.consumerDomains],
    warnAt: p.warnAt,
    blockAt: p.blockAt,
    warnAddressesAt: p.warnAddressesAt,
    blockAddressesAt: p.blockAddressesAt,
    publicLists: [...p.publicLists],
    sensitive: p.sensitive,
    rules: { ...(p.rules as Record<string, string>) },
    effective: effectiveThresholds(p),
  };
  if (p.internalWithin !== undefined) out.internalWithin = [...p.internalWithin];
  return out;
}

export function toJsonPolicyExplanation(entries: readonly PolicyExplanationEntry[]): JsonPolicyExplanation {
  return {
    version: POLICY_EXPLANATION_VERSION,
    results: entries.map(({ source, resolved: r }) => {
      const out: JsonPolicyExplanation['results'][number] = { source, profile: r.name, stricterWith: r.stricterWith, policy: jsonPolicy(r.policy) };
      if (r.chosenBy) out.chosenBy = r.chosenBy;
      if (r.onViolation !== undefined) out.onViolation = r.onViolation;
      return out;
    }),
  };
}

const ATTRIBUTE: Record<MatchAttribute, string> = { authUser: 'the authenticated user', envelopeFrom: 'the envelope sender', from: 'the author (From)' };

function describeChoice(c: ProfileChoice): string {
  if (c.value === UNREADABLE_AUTHOR) return `an address in From cannot be read, so it could be any profile's author: profile ${c.profile}`;
  const who = `${ATTRIBUTE[c.attribute]} ${printable(c.value)}`;
  return c.pattern !== undefined ? `${who} matches ${c.attribute} pattern "${printable(c.pattern)}" of profile ${c.profile}` : `${who} matches no profile's ${c.attribute} patterns: the top level (default)`;
}

function policyLines(p: Policy, mode: string | undefined, paint: Painter): string[] {
  const t = effectiveThresholds(p);
  const list = (l: readonly string[], none: string) => (l.length > 0 ? l.join(', ') : paint.dim(none));
  const lines = [
    `internalDomains: ${list(p.internalDomains, `none (inferred from the sender; noted as INTERNAL_DOMAIN_INFERRED where that makes ${t.warnAddressesAt} or more visible addresses internal)`)}`,
    `trustedDomains: ${list(p.trustedDomains, 'none')}`,
  ];
  if (p.internalWithin !== undefined) lines.push(`internal only within: ${list(p.internalWithin, 'nothing (no address is internal)')} ${paint.dim('(internal only where every profile merged says so)')}`);
  if (p.consumerDomains.length > 0) lines.push(`consumerDomains: ${p.consumerDomains.join(', ')}`);
  lines.push(
    `warnAt ${p.warnAt}, blockAt ${p.blockAt} organisations; warnAddressesAt ${p.warnAddressesAt}, blockAddressesAt ${p.blockAddressesAt} addresses` +
      (p.sensitive ? paint.dim(` (sensitive: in force warn ${t.warnAt}/block ${t.blockAt}, ${t.warnAddressesAt}/${t.blockAddressesAt} addresses)`) : ''),
    `sensitive: ${p.sensitive}`,
    `publicLists: ${list(p.publicLists, 'none')}`,
  );
  const rules = Object.entries(p.rules);
  lines.push(`rules: ${rules.length > 0 ? rules.map(([c, s]) => `${c}=${s}`).join(', ') : paint.dim('each code at its own severity')}`);
  if (mode !== undefined) lines.push(`onViolation: ${mode} ${paint.dim('(send, sendmail, proxy, milter, plugin; --on-violation and a command\'s own section come before the top level)')}`);
  return lines;
}

export function formatPolicyExplanation(entries: readonly PolicyExplanationEntry[], options: { color: Painter | false }): string {
  const p = painter(options.color);
  const lines: string[] = [];
  for (const { source, resolved: r } of entries) {
    if (lines.length > 0) lines.push('');
    lines.push(`${p.bold(printable(source))}: profile ${p.bold(r.name)}`);
    lines.push(`  ${r.chosenBy ? `chosen by ${describeChoice(r.chosenBy)}` : 'nothing known about the sender: the top level (default)'}`);
    for (const c of r.stricterWith) lines.push(`  held to the stricter of it and ${c.profile}: ${describeChoice(c)}`);
    lines.push('  effective policy:');
    for (const l of policyLines(r.policy, r.onViolation, p)) lines.push(`    ${l}`);
  }
  return `${lines.join('\n')}\n`;
}

export const formatPolicyExplanationJson = (entries: readonly PolicyExplanationEntry[]): string => `${JSON.stringify(toJsonPolicyExplanation(entries), null, 2)}\n`;
