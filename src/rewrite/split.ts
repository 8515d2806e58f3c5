// The split strategy: one message per external recipient, its To showing only that recipient;
// one more for the internal visible recipients; one per original Bcc-only recipient. No copy has
// a Bcc field, and each copy's envelope is exactly the recipients its header shows, so a copy
// sent as a draft and a copy relayed with its envelope reach the same people.

import { MailguardError } from '../errors.js';
import type { Mailbox } from '../message/address-list.js';
import { normaliseDomain } from '../message/domain.js';
import type { Policy } from '../policy/policy.js';
import { applyChunks, originalField, UNDISCLOSED_GROUP } from './bcc.js';
import { composeField, countMailboxes, fieldItems, filterItems, type FieldItem } from './compose.js';
import { dkimImpact } from './dkim.js';
import type { RewritePlan, SplitCopy, SplitOptions } from './plan.js';
import { prepareRewrite, REWRITTEN_VISIBLE_FIELDS, type RewriteChecked } from './prepare.js';

/** Domain of fresh Message-IDs when neither an option nor the sender gives one (RFC 2606: never resolves). */
export const FALLBACK_MESSAGE_ID_DOMAIN = 'mailguard.invalid';
/** Random bytes in a fresh Message-ID's left part: 128 bits, collision-free in practice. */
const MESSAGE_ID_RANDOM_BYTES = 16;

/** Message-IDs' random bytes drawn at once, at most: one call of the generator costs about 10 µs
 * (Web Crypto's checks), a 16-byte part nothing; a split of 200,000 copies spent 2.4 s drawing them
 * one by one. */
const MESSAGE_IDS_PER_DRAW = 256;

/**
 * Fresh Message-IDs' left parts for the copies of one split, `copies` of them expected. Web
 * Crypto's generator, reached when a copy is made: node:crypto at module load would bring
 * node:stream into every check that decides what fix would do. Its bytes are drawn for up to
 * MESSAGE_IDS_PER_DRAW parts at a time, and only for this split: no bytes are kept between splits.
 */
function randomIdParts(copies: number): () => string {
  let pool: Uint8Array | undefined;
  let used = 0;
  return () => {
    if (pool === undefined || used === pool.length) {
      pool = globalThis.crypto.getRandomValues(new Uint8Array(MESSAGE_ID_RANDOM_BYTES * Math.max(1, Math.min(copies, MESSAGE_IDS_PER_DRAW))));
      used = 0;
    }
    const part = Buffer.from(pool.buffer, pool.byteOffset + used, MESSAGE_ID_RANDOM_BYTES).toString('hex');
    used += MESSAGE_ID_RANDOM_BYTES;
    return part;
  };
}

/** Fields every copy rewrites, adds or removes (for DKIM). */
const SPLIT_CHANGED = new Set([...REWRITTEN_VISIBLE_FIELDS, 'bcc', 'message-id']);

function messageIdDomain(options: SplitOptions, senderDomain: string | undefined): string {
  if (options.messageIdDomain !== undefined) {
    const norm = normaliseDomain(options.messageIdDomain);
    if (!norm.ok) throw new MailguardError('EREWRITE', `"${options.messageIdDomain}" is not a valid Message-ID domain (${norm.problem}).`);
    return norm.ascii;
  }
  return senderDomain && !senderDomain.startsWith('[') ? senderDomain : FALLBACK_MESSAGE_ID_DOMAIN;
}

interface Recipient {
  mailbox: Mailbox;
  field: string;
}

/**
 * A split that makes its copies only when asked: `copies` says who each copy is for (cheap), and
 * `render(i)` builds copy i's bytes. Memory stays at one message however many copies there are,
 * so callers that send or write copies one at a time (and skip copies nobody receives) never
 * hold more than one.
 */
export interface LazySplit {
  plan: RewritePlan;
  /** Who each copy is for, in order (the envelope of copy i is `copies[i].recipients`). */
  copies: ReadonlyArray<{ recipients: string[] }>;
  /** Builds copy `index` (0-based): a fresh Message-ID each call. */
  render(index: number): Uint8Array;
}

/** One message per external recipient, one for the internal ones, one per Bcc-only recipient; all copies built at once. */
export function splitMessage(bytes: Uint8Array, policy: Policy, options: SplitOptions = {}): { messages: SplitCopy[]; plan: RewritePlan } {
  const lazy = planSplit(bytes, policy, options);
  return { plan: lazy.plan, messages: lazy.copies.map((c, i) => ({ bytes: lazy.render(i), recipients: c.recipients })) };
}

/** The split as a plan and a recipe for each copy (see LazySplit). Throws EREWRITE as splitMessage
 * does. `checked`: the check of these bytes the caller made already (see RewriteChecked). */
export function planSplit(bytes: Uint8Array, policy: Policy, options: SplitOptions = {}, checked?: RewriteChecked): LazySplit {
  const { result, parsed, list: listAt } = prepareRewrite(bytes, policy, checked);
  const { header } = parsed;
  const internal = new Map(result.recipients.visible.map((r) => [r.address, r.internal]));
  const idDomain = messageIdDomain(options, parsed.addresses.find((a) => a.field === 'from')?.mailbox.domain);

  // Every recipient once, by normalised address compared without case (as envelope addresses are
  // compared with header ones: C1@x.test and c1@x.test are one mailbox, which two copies would
  // reach twice), first occurrence wins (its field and its bytes).
  const external: Recipient[] = [];
  const internalVisible: string[] = [];
  const bccOnly: Recipient[] = [];
  const seen = new Set<string>();
  const firstField = new Map<string, string>();
  for (const a of parsed.addresses) {
    if (!REWRITTEN_VISIBLE_FIELDS.has(a.field)) continue;
    const key = a.mailbox.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    firstField.set(a.mailbox.address, a.field);
    if (internal.get(a.mailbox.address)) internalVisible.push(a.mailbox.address);
    else external.push({ mailbox: a.mailbox, field: a.field });
  }
  for (const a of parsed.addresses) {
    const key = a.mailbox.address.toLowerCase();
    if (a.field !== 'bcc' || seen.has(key)) continue;
    seen.add(key);
    bccOnly.push({ mailbox: a.mailbox, field: 'bcc' });
  }

  const dkim = dkimImpact(header, SPLIT_CHANGED);
  const plan: RewritePlan = {
    strategy: 'split',
    moved: [],
    messages: 0,
    dkimBroken: dkim.broken.length > 0,
    dkimDomains: dkim.domains,
    dkimRemoved: options.removeDkim ? dkim.broken.length : 0,
    keptVisible: internalVisible,
    addedRecipients: [],
  };

  const toIndexes: number[] = [];
  // Cc and Apparently-To: every other visible field a copy rewrites.
  const ccIndexes: number[] = [];
  const bccIndexes: number[] = [];
  header.fields.forEach((f, i) => {
    if (f.key === 'to') toIndexes.push(i);
    else if (REWRITTEN_VISIBLE_FIELDS.has(f.key)) ccIndexes.push(i);
    else if (f.key === 'bcc') bccIndexes.push(i);
  });
  const messageIdIndex = header.fields.findIndex((f) => f.key === 'message-id');
  const anchor = toIndexes[0] ?? ccIndexes[0] ?? bccIndexes[0]!;

  /** A copy: `fieldsFor` gives the chunks of To/Cc/Apparently-To; Bcc goes; a fresh Message-ID. */
  const build = (visible: Map<number, Uint8Array[]>, extraTo: Uint8Array | undefined): Uint8Array => {
    const chunks = new Map(visible);
    for (const i of bccIndexes) chunks.set(i, []);
    if (extraTo) chunks.set(anchor, [extraTo, ...(chunks.get(anchor) ?? originalField(bytes, header, anchor))]);
    const id = composeField(messageIdIndex === -1 ? 'Message-ID' : header.fields[messageIdIndex]!.name, `<${(randomIdPart ??= randomIdParts(recipes.length))()}@${idDomain}>`, header);
    if (messageIdIndex === -1) chunks.set(anchor, [...(chunks.get(anchor) ?? originalField(bytes, header, anchor)), id]);
    else chunks.set(messageIdIndex, [id]);
    if (options.removeDkim) for (const i of dkim.broken) chunks.set(i, []);
    return applyChunks(bytes, header, chunks);
  };

  const recipes: Array<{ recipients: string[]; make: () => Uint8Array }> = [];
  /** Made at the first copy built, when the number of copies is known. */
  let randomIdPart: (() => string) | undefined;
  const personal = (r: Recipient): void => {
    const make = (): Uint8Array => {
      const chunks = new Map<number, Uint8Array[]>();
      for (const i of [...toIndexes, ...ccIndexes]) chunks.set(i, []);
      const name = toIndexes.length > 0 ? header.fields[toIndexes[0]!]!.name : 'To';
      const to = composeField(name, [{ kind: 'mailbox', mailbox: r.mailbox }], header);
      return build(chunks, to);
    };
    recipes.push({ recipients: [r.mailbox.address], make });
    plan.moved.push({ address: r.mailbox.address, from: r.field, to: `message ${recipes.length}` });
  };

  for (const r of external) personal(r);

  if (internalVisible.length > 0) {
    const isInternal = (m: Mailbox): boolean => internal.get(m.address) === true;
    const chunks = new Map<number, Uint8Array[]>();
    let toLeft = 0;
    for (const i of [...toIndexes, ...ccIndexes]) {
      const f = header.fields[i]!;
      const list = listAt(i);
      const items: FieldItem[] = filterItems(fieldItems(list.mailboxes, list.groups), isInternal);
      const n = countMailboxes(items);
      if (f.key === 'to') toLeft += n;
      if (n === list.mailboxes.length) continue;
      chunks.set(i, n > 0 ? [composeField(f.name, items, header)] : []);
    }
    let extraTo: Uint8Array | undefined;
    if (toLeft === 0) {
      for (const i of toIndexes) chunks.set(i, []);
      extraTo = composeField(toIndexes.length > 0 ? header.fields[toIndexes[0]!]!.name : 'To', UNDISCLOSED_GROUP, header);
    }
    recipes.push({ recipients: internalVisible, make: () => build(chunks, extraTo) });
    for (const address of internalVisible) plan.moved.push({ address, from: firstField.get(address)!, to: `message ${recipes.length}` });
  }

  for (const r of bccOnly) personal(r);
  plan.messages = recipes.length;
  return {
    plan,
    copies: recipes.map((r) => ({ recipients: r.recipients })),
    render: (index) => {
      const recipe = recipes[index];
      if (!recipe) throw new RangeError(`split copy ${index} does not exist (${recipes.length} copies)`);
      return recipe.make();
    },
  };
}
