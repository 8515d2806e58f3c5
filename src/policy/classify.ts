// Internal or external, and which party (organisation) an external address belongs to.

import { createRequire } from 'node:module';
import type { Policy } from './policy.js';

const require = createRequire(import.meta.url);

// Loaded on first use, so a message with no external recipient never pays for them.
let getDomain: ((domain: string, options?: { allowPrivateDomains?: boolean }) => string | null) | undefined;
let consumer: string[] | undefined;
let consumerSet: Set<string> | undefined;
let consumerLookups = 0;
/** Lookups after which the provider list is worth a Set (one message makes a few dozen). */
const CONSUMER_SET_AFTER_LOOKUPS = 256;

// RFC 2606 / 6761 names used in documentation and tests, never anyone's mailbox provider
// (the bundled provider list includes example.com).
const RESERVED = new Set(['example.com', 'example.net', 'example.org']);

/** Whether the bundled provider list names `domain`. A binary search over the sorted list at
 * first: building a Set of its ~9,000 names cost more than the rest of a one-message check
 * (bench scenario 5, cold start); a folder of messages then builds the Set (scenario 1). */
function isListedConsumer(domain: string): boolean {
  if (RESERVED.has(domain)) return false;
  if (consumerSet) return consumerSet.has(domain);
  if (!consumer) {
    const all = require('email-providers/all.json') as string[];
    let sorted = true;
    for (let i = 1; i < all.length && sorted; i++) sorted = all[i - 1]! < all[i]!;
    consumer = sorted ? all : [...all].sort();
  }
  if (++consumerLookups > CONSUMER_SET_AFTER_LOOKUPS) {
    consumerSet = new Set(consumer);
    return consumerSet.has(domain);
  }
  let lo = 0;
  let hi = consumer.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = consumer[mid]!;
    if (v === domain) return true;
    if (v < domain) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

// The same domains come back message after message (a folder, a campaign, a proxy), and the
// public suffix lookup costs more than the rest of classifying an address (bench scenario 1).
const registrableCache = new Map<string, string>();
const TWO_LABELS = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)?$/;
/** Bounds the cache: a header with 100,000 distinct domains must not keep them all. */
const REGISTRABLE_CACHE_ENTRIES = 4096;

/** Whether `domain` is a public suffix itself (com, co.uk, github.io, an unknown single label):
 * an internal or trusted domain like that would make every address under it internal. */
export function isPublicSuffix(domain: string): boolean {
  if (domain.startsWith('[')) return false;
  getDomain ??= (require('tldts') as { getDomain: typeof getDomain }).getDomain;
  return getDomain!(domain, { allowPrivateDomains: true }) === null;
}

/** The registrable domain (eTLD+1) per the public suffix list, or the domain itself. */
export function registrableDomain(domain: string): string {
  if (domain.startsWith('[')) return domain;
  // One or two labels: the domain is its own registrable domain (its suffix is its last label,
  // or it is a public suffix itself and stands for itself), so the suffix list need not load.
  if (TWO_LABELS.test(domain)) return domain;
  let reg = registrableCache.get(domain);
  if (reg === undefined) {
    getDomain ??= (require('tldts') as { getDomain: typeof getDomain }).getDomain;
    reg = getDomain!(domain, { allowPrivateDomains: true }) ?? domain;
    if (registrableCache.size >= REGISTRABLE_CACHE_ENTRIES) registrableCache.clear();
    registrableCache.set(domain, reg);
  }
  return reg;
}

/** Whether `domain` is `base` or a subdomain of it, on label boundaries. */
export function domainMatches(domain: string, base: string): boolean {
  return domain === base || (domain.length > base.length && domain.endsWith(base) && domain.charCodeAt(domain.length - base.length - 1) === 0x2e);
}

export interface Classifier {
  /** Internal domains in force (configured, or inferred from the sender). */
  internalDomains: string[];
  inferred: boolean;
  isInternal(domain: string): boolean;
  /** The party of an external address: its organisation, or the address itself at a consumer provider. */
  partyOf(address: string, domain: string): string;
  isConsumerDomain(domain: string): boolean;
}

/** Internal and trusted domains up to which isInternal compares suffixes instead of caching. */
const DIRECT_MATCH_BASES = 8;
/** Domains a classifier remembers: a message's organisations repeat (5,000 in the bench's
 * 100,000-recipient header); past this many distinct ones a bigger table costs more than it saves. */
const PER_MESSAGE_CACHE_ENTRIES = 16_384;

/**
 * Builds the classifier for one message. With no internal domain configured, the sender's
 * registrable domain is taken as internal (unless it is a consumer provider: then none is).
 */
export function createClassifier(policy: Policy, senderDomain: string | undefined): Classifier {
  const extraConsumer = new Set(policy.consumerDomains);
  const isConsumerDomain = (domain: string): boolean => {
    const reg = registrableDomain(domain);
    return extraConsumer.has(reg) || extraConsumer.has(domain) || isListedConsumer(reg) || isListedConsumer(domain);
  };
  let internalDomains = policy.internalDomains;
  let inferred = false;
  if (internalDomains.length === 0) {
    inferred = true;
    internalDomains = senderDomain && !senderDomain.startsWith('[') && !isConsumerDomain(senderDomain) ? [registrableDomain(senderDomain)] : [];
  }
  const bases = [...internalDomains, ...policy.trustedDomains];
  // With a few bases, matching is a few suffix comparisons: cheaper than a Map lookup, and a
  // header of 200,000 distinct domains grew that Map to 200,000 entries (bench scenario 8).
  const cache = bases.length > DIRECT_MATCH_BASES ? new Map<string, boolean>() : undefined;
  // domain -> its organisation, or null for a consumer provider (each address its own party).
  const parties = new Map<string, string | null>();
  return {
    internalDomains,
    inferred,
    isInternal(domain) {
      if (!cache) {
        for (const b of bases) if (domainMatches(domain, b)) return true;
        return false;
      }
      let hit = cache.get(domain);
      if (hit === undefined) {
        hit = bases.some((b) => domainMatches(domain, b));
        if (cache.size < PER_MESSAGE_CACHE_ENTRIES) cache.set(domain, hit);
      }
      return hit;
    },
    partyOf(address, domain) {
      if (domain.startsWith('[')) return domain;
      let party = parties.get(domain);
      if (party === undefined) {
        party = isConsumerDomain(domain) ? null : registrableDomain(domain);
        if (parties.size < PER_MESSAGE_CACHE_ENTRIES) parties.set(domain, party);
      }
      return party ?? address;
    },
    isConsumerDomain,
  };
}
