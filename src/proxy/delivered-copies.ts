// Which copies of a split message the upstream accepted, remembered for the client's retry.
//
// A split relays one copy per recipient (or group); copies already accepted cannot be recalled.
// When a later copy fails, the client is told 4xx (never 550: the message was partly delivered)
// and retries the whole message; this memory makes the retry deliver only the copies not yet
// delivered. A message is known by the SHA-256 of its bytes as the client sent them and its
// MAIL FROM; a client MTA retries from its queue file, so the bytes are the same. Once a message
// is answered 250 (every copy out) its entries go: the same bytes sent again later (a script
// that sends one file twice) are a new message, not a retry, and are delivered again.

import { createHash } from 'node:crypto';
import { PROXY_SPLIT_MEMORY_MAX_ENTRIES, PROXY_SPLIT_MEMORY_MS } from './limits.js';

export interface DeliveredCopies {
  /** The key of a message: hash of its bytes and its envelope sender. */
  keyOf(bytes: Uint8Array, mailFrom: string): string;
  has(key: string, recipient: string): boolean;
  add(key: string, recipients: readonly string[]): void;
  /** Forgets `recipients` of the message `key` (it was delivered whole). */
  forget(key: string, recipients: readonly string[]): void;
  readonly size: number;
}

export function createDeliveredCopies(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}): DeliveredCopies {
  const ttl = options.ttlMs ?? PROXY_SPLIT_MEMORY_MS;
  const max = options.maxEntries ?? PROXY_SPLIT_MEMORY_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  // Insertion order is age order: the oldest entries are first, so expiry and eviction look at the front.
  const entries = new Map<string, number>();
  const entryKey = (key: string, recipient: string) => `${key}\u0000${recipient.toLowerCase()}`;
  const expire = () => {
    const t = now();
    for (const [k, at] of entries) {
      if (t - at < ttl && entries.size <= max) break;
      entries.delete(k);
    }
  };
  return {
    keyOf(bytes, mailFrom) {
      return `${createHash('sha256').update(bytes).digest('hex')}\u0000${mailFrom.toLowerCase()}`;
    },
    has(key, recipient) {
      const at = entries.get(entryKey(key, recipient));
      return at !== undefined && now() - at < ttl;
    },
    add(key, recipients) {
      const t = now();
      for (const r of recipients) {
        const k = entryKey(key, r);
        entries.delete(k);
        entries.set(k, t);
      }
      expire();
    },
    forget(key, recipients) {
      for (const r of recipients) entries.delete(entryKey(key, r));
    },
    get size() {
      return entries.size;
    },
  };
}
