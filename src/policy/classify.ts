// Internal or external, and which party (organisation) an external address belongs to.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { domainToASCII } from 'node:url';
import type { Policy } from './policy.js';
import { CONSUMER_DIGEST } from './consumer-digest.js';
import { registrableOf } from './public-suffix.js';
import { PUBLIC_WEBMAIL, SHARED_MAIL_DOMAINS } from './shared-mail-domains.js';

const require = createRequire(import.meta.url);

// RFC 2606 / 6761 names used in documentation and tests, never anyone's mailbox provider
// (the bundled provider list includes example.com).
const RESERVED = new Set(['example.com', 'example.net', 'example.org']);

// Consumer provider lists, loaded on first use: email-providers (~8,800 domains, kept by its
// authors from public sources), HubSpot's list of free mail domains (free-email-domains-typescript,
// ~4,800) and the shared domains both miss (src/policy/shared-mail-domains.ts: providers, ISPs,
// SMS gateways, per-person relays).
const extraConsumer = new Set(SHARED_MAIL_DOMAINS);
/** The lists' files as bytes, read for their entries written in Unicode (unicodeEntriesAsAscii). */
let listFiles: Buffer[] | undefined;
let consumerSet: Set<string> | undefined;
let consumerLookups = 0;
/** Lookups after which the provider lists are worth a Set (one message makes a few dozen; a
 * folder, a campaign or a proxy makes thousands). */
const CONSUMER_SET_AFTER_LOOKUPS = 256;

/** The provider list files, whose every entry is a JSON-style string literal (`"gmail.com"`):
 * a JSON array, and a JavaScript module holding one array literal. */
const LIST_FILES = ['email-providers/all.json', 'free-email-domains-typescript'];
const PLAIN_NAME = /^[a-z0-9._-]+$/;

/**
 * Whether the provider lists hold `domain`, for a plain name (undefined for any other: the Set
 * answers those). Measured with callgrind on a one-message cold start (bench scenario 5; `node -e
 * 0` is ~86M instructions): loading the two lists as modules and building their Set costs ~22M
 * (compiling an 81-KB array literal, parsing a 138-KB JSON array); reading their files and
 * scanning all 218 KB once per lookup cost ~5.5M for one message's few dozen lookups. Their plain
 * names are a sorted digest made from the lists at build time (src/policy/consumer-digest.ts,
 * scripts/generate-consumer-digest.mjs), searched by bisection: ~14 comparisons a lookup.
 * tests/policy/consumer-lists.test.ts holds it to the lists' arrays and to the generator.
 */
export function listedInDigest(domain: string): boolean | undefined {
  if (!PLAIN_NAME.test(domain)) return undefined;
  return inSortedLines(CONSUMER_DIGEST, domain);
}

/**
 * Whether `name` is one of the entries of `lines`: non-empty entries, each followed by `\n`, after
 * a first `\n`, sorted in code-unit order (JavaScript's `<`).
 */
export function inSortedLines(lines: string, name: string): boolean {
  // lo and hi are separators; the entries between them are the ones still in question.
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const start = lines.lastIndexOf('\n', (lo + hi) >>> 1) + 1;
    const end = lines.indexOf('\n', start);
    const entry = lines.slice(start, end);
    if (entry === name) return true;
    if (entry < name) lo = end;
    else hi = start - 1;
  }
  return false;
}

/** Whether `domain` or its registrable domain is a consumer mail provider of the bundled lists
 * (each address there is a different person). */
export function isConsumerProvider(domain: string): boolean {
  return underListed(domain, registrableDomain(domain), isListedConsumer);
}

/** Whether `listed` names `domain`, its registrable domain `reg`, or a domain between them
 * (x.guest.booking.com: guest.booking.com). A handful of labels at most: O(1) per address. */
function underListed(domain: string, reg: string, listed: (d: string) => boolean): boolean {
  if (listed(domain) || (reg !== domain && listed(reg))) return true;
  for (let d = domain, dot = d.indexOf('.'); dot !== -1 && d.length > reg.length; dot = d.indexOf('.')) {
    d = d.slice(dot + 1);
    if (d.length <= reg.length) break;
    if (listed(d)) return true;
  }
  return false;
}

/** Whether the bundled provider lists name `domain` (an A-label, as addresses are compared). */
function isListedConsumer(domain: string): boolean {
  if (listedAs(domain)) return true;
  // A few entries are written as U-labels (müllmail.com), which an address's A-label
  // (xn--mllmail-n2a.com) never equals: those entries are kept in A-label form too. Only names
  // holding an A-label ask (a domainToUnicode per such name cost a third of the 100,000-IDN bench).
  return domain.includes('xn--') && unicodeEntriesAsAscii().has(domain);
}

/** The lists' entries written with characters outside ASCII, as A-labels; found once in their text. */
let unicodeEntries: Set<string> | undefined;
function unicodeEntriesAsAscii(): Set<string> {
  if (unicodeEntries === undefined) {
    listFiles ??= LIST_FILES.map((f) => readFileSync(require.resolve(f)));
    unicodeEntries = new Set();
    for (const bytes of listFiles) {
      for (const m of bytes.toString('utf8').matchAll(/"([^"\\\x00-\x1f]*[^\x00-\x7f][^"\\\x00-\x1f]*)"/g)) {
        const ascii = domainToASCII(m[1]!);
        if (ascii !== '') unicodeEntries.add(ascii);
      }
    }
  }
  return unicodeEntries;
}

function listedAs(domain: string): boolean {
  if (RESERVED.has(domain)) return false;
  if (extraConsumer.has(domain)) return true;
  if (!consumerSet && ++consumerLookups <= CONSUMER_SET_AFTER_LOOKUPS) {
    const inDigest = listedInDigest(domain);
    if (inDigest !== undefined) return inDigest;
  }
  consumerSet ??= new Set([
    ...(require('email-providers/all.json') as string[]),
    ...(require('free-email-domains-typescript') as { freeEmailDomains: string[] }).freeEmailDomains,
  ]);
  return consumerSet.has(domain);
}

// Multi-tenant hosting domains that the public suffix list does not list: every tenant (the label
// left of the suffix) is an organisation of its own, as the suffix list has it for github.io.
// Without this, customers at acme.zendesk.com and globex.zendesk.com were one party. Microsoft 365
// gives each tenant `tenant.onmicrosoft.com` and, for mail routing (Exchange hybrid), the
// `tenant.mail.onmicrosoft.com` below it; its sovereign clouds do the same under onmicrosoft.us
// (GCC High, DoD), onmicrosoft.de (the former Microsoft Cloud Deutschland) and partner.onmschina.cn
// (operated by 21Vianet). A suffix may have several labels; the longest that matches decides.
export const HOSTING_SUFFIXES: readonly string[] = [
  'onmicrosoft.com', 'mail.onmicrosoft.com', 'onmicrosoft.us', 'mail.onmicrosoft.us', 'onmicrosoft.de', 'mail.onmicrosoft.de',
  'partner.onmschina.cn', 'mail.partner.onmschina.cn',
  'zendesk.com', 'freshdesk.com', 'atlassian.net', 'my.salesforce.com', 'sharepoint.com',
];

/** Hosting suffixes under which only tenants have mail: nobody's own mailbox domain, so configured
 * as internal or trusted they would make every tenant internal (refused by createPolicy). zendesk.com
 * and freshdesk.com are also their companies' own domains, and are not refused. */
export const TENANT_NAMESPACES: ReadonlySet<string> = new Set(HOSTING_SUFFIXES.filter((s) => s !== 'zendesk.com' && s !== 'freshdesk.com'));

/** Longest first, so `acme.mail.onmicrosoft.com` is tenant acme under mail.onmicrosoft.com, not tenant "mail". */
const HOSTING_SUFFIXES_LONGEST_FIRST = [...HOSTING_SUFFIXES].sort((a, b) => b.length - a.length);

/** `acme.zendesk.com` for `support.acme.zendesk.com`; undefined outside the hosting suffixes. */
function hostingTenant(domain: string): string | undefined {
  for (const suffix of HOSTING_SUFFIXES_LONGEST_FIRST) {
    if (domain.length > suffix.length + 1 && domain.endsWith(suffix) && domain.charCodeAt(domain.length - suffix.length - 1) === 0x2e) {
      const rest = domain.slice(0, domain.length - suffix.length - 1);
      return `${rest.slice(rest.lastIndexOf('.') + 1)}.${suffix}`;
    }
  }
  return undefined;
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
  return registrableOf(domain) === null;
}

/** The registrable domain (eTLD+1) per the public suffix list, or the domain itself. */
export function registrableDomain(domain: string): string {
  if (domain.startsWith('[')) return domain;
  // One or two labels: the domain is its own registrable domain (its suffix is its last label,
  // or it is a public suffix itself and stands for itself), so the suffix list need not load.
  if (TWO_LABELS.test(domain)) return domain;
  let reg = registrableCache.get(domain);
  if (reg === undefined) {
    reg = hostingTenant(domain) ?? registrableOf(domain) ?? domain;
    if (registrableCache.size >= REGISTRABLE_CACHE_ENTRIES) registrableCache.clear();
    registrableCache.set(domain, reg);
  }
  return reg;
}

/** Whether `domain` is one of `domains` or under one, on label boundaries: one lookup per label. */
function atOrUnder(domain: string, domains: ReadonlySet<string>): boolean {
  for (let d = domain; ; ) {
    if (domains.has(d)) return true;
    const dot = d.indexOf('.');
    if (dot === -1) return false;
    d = d.slice(dot + 1);
  }
}

/** The shared mail domains no organisation's staff write from: the big public webmail services and
 * the curated shared domains. Not every domain of the bundled provider lists: those hold companies'
 * own domains too (bt.com), which stay configurable. */
const REFUSED_SHARED: ReadonlySet<string> = new Set([...PUBLIC_WEBMAIL, ...SHARED_MAIL_DOMAINS]);

/**
 * Whether `domain` is, or is under, a shared mail domain whose every address is a different person:
 * refused as an internal or trusted domain (createPolicy), and never internal below one either
 * (guest.booking.com under booking.com, txt.bell.ca under bell.ca).
 */
export function isSharedMailDomain(domain: string): boolean {
  return atOrUnder(domain, REFUSED_SHARED);
}

/** Whether `domain` is `base` or a subdomain of it, on label boundaries. */
export function domainMatches(domain: string, base: string): boolean {
  return domain === base || (domain.length > base.length && domain.endsWith(base) && domain.charCodeAt(domain.length - base.length - 1) === 0x2e);
}

/**
 * Whether a configured internal or trusted domain `base` covers `domain`: the domain itself or a
 * subdomain, down to a public suffix or hosting namespace nested inside it. Under amazonaws.com,
 * x.s3.amazonaws.com is a tenant of Amazon's s3.amazonaws.com suffix; under zendesk.com,
 * acme.zendesk.com is a customer: each another organisation (their registrable domain lies below
 * the base), so configuring the company's own domain does not make its tenants internal.
 */
export function coveredBy(domain: string, base: string): boolean {
  if (!domainMatches(domain, base)) return false;
  return domain === base || registrableDomain(domain).length <= base.length;
}

/** Why no internal domain could be inferred from the sender (nothing is internal then). */
export type NoInferenceReason = 'no-sender' | 'address-literal' | 'public-suffix' | 'consumer-provider' | 'several-authors' | 'not-internal-in-every-profile';

/** The sender mailguard infers internal domains from, when none is configured. */
export interface InferenceSource {
  /** The field the address was read from: from, sender, resent-from or resent-sender. */
  field: string;
  /** Its domain (A-label), or undefined when no address could be read. */
  domain?: string;
  /** From held several mailboxes and no Sender named the one who sent it. */
  severalAuthors?: boolean;
}

export interface Classifier {
  /** Internal domains in force (configured, or inferred from the sender). */
  internalDomains: string[];
  inferred: boolean;
  /** With inference: the field it was taken from. */
  inferredFrom?: string;
  /** With inference but no internal domain: why (nothing is internal then). */
  notInferred?: NoInferenceReason;
  /** With inference from a sender's domain that may be inferred from (not a consumer provider,
   * public suffix or address literal): the domains inferred from it before a merged profile's cap
   * (internalWithin) left only `internalDomains`. INTERNAL_DOMAIN_INFERRED counts addresses there. */
  senderDomains?: readonly string[];
  isInternal(domain: string): boolean;
  /** The party of an external address: its organisation, or the address itself at a consumer provider. */
  partyOf(address: string, domain: string): string;
  isConsumerDomain(domain: string): boolean;
}

/** Domains a classifier remembers: a message's organisations repeat (5,000 in the bench's
 * 100,000-recipient header); past this many distinct ones a bigger table costs more than it saves. */
const PER_MESSAGE_CACHE_ENTRIES = 16_384;

/**
 * What a classifier works out from its policy alone: the same for every message checked with it.
 * Built once per policy (and rebuilt if its domain lists change), it keeps the answers that used to
 * be worked out again for each message (bench scenario 1: building the classifier, its per-message
 * tables, the provider and suffix lookups behind them were an eighth of checking 10,000 drafts).
 */
interface PolicyTables {
  /** The lists the tables were built from, copied: a change to any of them rebuilds the tables. */
  consumerDomains: readonly string[];
  internalDomains: readonly string[];
  trustedDomains: readonly string[];
  internalWithin: readonly string[] | undefined;
  isConsumerDomain(domain: string): boolean;
  /** isConsumerDomain(domain) when `reg` is registrableDomain(domain), already known. */
  consumerUnder(domain: string, reg: string): boolean;
  within(domain: string): boolean;
  /** Domains counted internal whatever the sender: configured and trusted, within the cap. */
  bases: string[];
  /** Whether a domain under `bases` is a shared mail domain (isSharedMailDomain, or one of the
   * policy's consumerDomains): each address a person, never internal. */
  shared(domain: string): boolean;
  /** domain -> whether it is under one of `bases` (and within the cap). */
  underBases: Map<string, boolean>;
  /** domain -> its organisation, or null for a consumer provider (each address its own party). */
  parties: Map<string, string | null>;
  /** Sender domain -> what is inferred from it (with no internal domain configured). */
  inferences: Map<string, Inference>;
}

interface Inference {
  exact: string[];
  /** The sender's domains that may be inferred from, before the cap (empty where nothing may be). */
  candidates: string[];
  notInferred?: NoInferenceReason;
}

const tablesByPolicy = new WeakMap<Policy, PolicyTables>();

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A copy that shares no memory with `s`: a domain may be a slice of its header field, and the
 * tables outlive the message (a slice would keep a field of megabytes alive with them). */
function copyOf(s: string): string {
  return ` ${s}`.slice(1);
}

/** Adds to a bounded table (key and value copies, see copyOf): a full one starts over, so a long
 * run (a proxy) keeps its recent domains. */
function remember<V>(table: Map<string, V>, key: string, value: V): void {
  if (table.size >= PER_MESSAGE_CACHE_ENTRIES) table.clear();
  table.set(key, value);
}

function tablesFor(policy: Policy): PolicyTables {
  const known = tablesByPolicy.get(policy);
  if (
    known &&
    sameList(known.consumerDomains, policy.consumerDomains) &&
    sameList(known.internalDomains, policy.internalDomains) &&
    sameList(known.trustedDomains, policy.trustedDomains) &&
    sameList(known.internalWithin, policy.internalWithin)
  ) {
    return known;
  }
  const extraConsumer = new Set(policy.consumerDomains);
  const consumer = (d: string) => extraConsumer.has(d) || isListedConsumer(d);
  const cap = policy.internalWithin;
  const inferred = policy.internalDomains.length === 0;
  const tables: PolicyTables = {
    consumerDomains: [...policy.consumerDomains],
    internalDomains: [...policy.internalDomains],
    trustedDomains: [...policy.trustedDomains],
    internalWithin: cap === undefined ? undefined : [...cap],
    isConsumerDomain(domain) {
      return underListed(domain, registrableDomain(domain), consumer);
    },
    consumerUnder(domain, reg) {
      return underListed(domain, reg, consumer);
    },
    within: cap === undefined ? () => true : (domain) => cap.some((b) => domainMatches(domain, b)),
    bases: inferred ? [...policy.trustedDomains] : [...policy.internalDomains, ...policy.trustedDomains],
    shared: (domain) => isSharedMailDomain(domain) || atOrUnder(domain, extraConsumer),
    underBases: new Map(),
    parties: new Map(),
    inferences: new Map(),
  };
  tablesByPolicy.set(policy, tables);
  return tables;
}

/** What is inferred from a sender's domain: the internal domains (matched exactly), or why none. */
function inferFrom(tables: PolicyTables, d: string): Inference {
  let inference = tables.inferences.get(d);
  if (inference === undefined) {
    if (d.startsWith('[')) inference = { exact: [], candidates: [], notInferred: 'address-literal' };
    else if (isPublicSuffix(d)) inference = { exact: [], candidates: [], notInferred: 'public-suffix' };
    else if (tables.isConsumerDomain(d)) inference = { exact: [], candidates: [], notInferred: 'consumer-provider' };
    else {
      const candidates = [...new Set([registrableDomain(d), d])].map(copyOf);
      const exact = candidates.filter(tables.within);
      // Two profiles were merged (internalWithin) and the other does not count this sender's domain as internal.
      inference = exact.length === 0 ? { exact, candidates, notInferred: 'not-internal-in-every-profile' } : { exact, candidates };
    }
    remember(tables.inferences, copyOf(d), inference);
  }
  return inference;
}

/**
 * Builds the classifier for one message. With no internal domain configured, internal is inferred
 * from the sender: its registrable domain and its own domain, each exactly (not their other
 * subdomains: students at stud.university.example are not staff of university.example). Nothing
 * is inferred from a public suffix (com, co.uk, github.io), a consumer provider, an address
 * literal, or a From with several authors and no Sender: then nothing is internal.
 */
export function createClassifier(policy: Policy, sender: string | InferenceSource | undefined): Classifier {
  const tables = tablesFor(policy);
  const source: InferenceSource | undefined = typeof sender === 'string' ? { field: 'from', domain: sender } : sender;
  let internalDomains = policy.internalDomains;
  let inferred = false;
  let notInferred: NoInferenceReason | undefined;
  // Inferred domains match exactly; configured ones include their subdomains.
  let exact: readonly string[] = [];
  let senderDomains: readonly string[] | undefined;
  if (internalDomains.length === 0) {
    inferred = true;
    const d = source?.domain;
    if (source?.severalAuthors) notInferred = 'several-authors';
    else if (d === undefined) notInferred = 'no-sender';
    else {
      const inference = inferFrom(tables, d);
      exact = inference.exact;
      if (inference.candidates.length > 0) senderDomains = inference.candidates;
      notInferred = inference.notInferred;
    }
    // A copy: the result carries it, and the table's stays as it is.
    internalDomains = [...exact];
  }
  const { bases, underBases, parties, within } = tables;
  const exactSet = new Set(exact);
  // A header of 200,000 distinct domains filled and emptied the tables a dozen times with entries
  // nothing read again (each a copied key; bench scenario 11): past a table's worth of misses with
  // few hits, this message stops adding to them, and leaves what they hold for the next message.
  let misses = 0;
  let hits = 0;
  const worthKeeping = () => ++misses <= PER_MESSAGE_CACHE_ENTRIES || hits * 4 >= misses;
  const classifier: Classifier = {
    internalDomains,
    inferred,
    isInternal(domain) {
      // Every exact domain is within the cap (inferFrom keeps only those).
      if (exactSet.has(domain)) return true;
      if (bases.length === 0) return false;
      let hit = underBases.get(domain);
      if (hit === undefined) {
        // A configured domain covers its subdomains, but not a shared mail domain inside it: the
        // configuration refuses those as internal, and guests at guest.booking.com are not staff
        // of booking.com.
        hit = bases.some((b) => coveredBy(domain, b)) && within(domain) && !tables.shared(domain);
        if (worthKeeping()) remember(underBases, copyOf(domain), hit);
      } else hits++;
      return hit;
    },
    partyOf(address, domain) {
      if (domain.startsWith('[')) return domain;
      let party = parties.get(domain);
      if (party === undefined) {
        // One public-suffix lookup for both questions (isConsumerDomain would make its own).
        const reg = registrableDomain(domain);
        party = tables.consumerUnder(domain, reg) ? null : reg;
        if (worthKeeping()) {
          const key = copyOf(domain);
          // A domain that is its own organisation is kept once, as the key.
          if (party === domain) party = key;
          remember(parties, key, party);
        }
      } else hits++;
      return party ?? address;
    },
    isConsumerDomain: tables.isConsumerDomain,
  };
  if (inferred && source) classifier.inferredFrom = source.field;
  if (notInferred) classifier.notInferred = notInferred;
  if (senderDomains) classifier.senderDomains = senderDomains;
  return classifier;
}
