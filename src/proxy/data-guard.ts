// Watches the DATA of one transaction as it arrives: counts the bytes (the declared SIZE is only
// a claim), keeps at most the limit in memory, and finds bare LF and bare CR.
//
// smtp-server hands onData the message with dot-stuffing undone and the terminating
// <CRLF>.<CRLF> removed; it ends DATA only on <CRLF>.<CRLF>, so `\n.\r\n` or `\r\n.\r` arrive
// here as content. Relayed as is, a receiver that ends DATA on a bare LF would see the end of
// the message there and run the bytes after it as commands (SMTP smuggling, CVE-2023-51766 and
// relatives). Postfix's smtpd_forbid_bare_newline rejects such messages; so does the proxy.

import { PROXY_DECLARED_SIZE_PREALLOCATION_MAX } from './limits.js';

const CR = 0x0d;
const LF = 0x0a;

export type BareNewline = 'lf' | 'cr';

/** First size of the buffer a message is copied into when the client declared no SIZE (at least
 * the first chunk; doubling from there keeps the copying linear). Small: Buffer.allocUnsafe takes
 * sizes under 4 KiB from its shared pool, larger ones are memory outside the V8 heap, and 64 KiB of
 * it per message made V8 run a full mark-compact every ~160 messages (bench scenario 6:
 * about 120 us of the proxy's CPU per message). */
const INITIAL_CAPACITY = 2 * 1024;

export class DataGuard {
  readonly maxBytes: number;
  /** The message so far, copied in as it arrives (each chunk is let go at once), so a message is
   * held once: no list of chunks next to a joined copy. */
  private buffer: Buffer | undefined;
  private kept = 0;
  /** Every byte seen, kept or not. */
  bytes = 0;
  /** The first bare line break seen, if any. */
  bareNewline: BareNewline | undefined;
  /** The previous chunk ended with CR: the next byte must be LF. */
  private pendingCr = false;
  /** Keep no more bytes (the proxy's in-flight budget is spent): the message will be refused. */
  private dropping = false;

  constructor(maxBytes: number, declaredSize?: number) {
    this.maxBytes = maxBytes;
    // The SIZE the client declared sizes the buffer (a claim: growth still works past it), up to
    // what may be held before the bytes arrive.
    if (declaredSize !== undefined && declaredSize > 0 && declaredSize <= maxBytes) this.buffer = Buffer.allocUnsafe(Math.min(declaredSize, PROXY_DECLARED_SIZE_PREALLOCATION_MAX));
  }

  get oversized(): boolean {
    return this.bytes > this.maxBytes;
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bareNewline === undefined && chunk.length > 0) this.scan(chunk);
    if (!this.dropping && this.kept + chunk.length <= this.maxBytes) {
      const need = this.kept + chunk.length;
      if (!this.buffer || this.buffer.length < need) {
        // Doubling keeps the copying linear; capped at the limit.
        const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(need, INITIAL_CAPACITY, (this.buffer?.length ?? 0) * 2)));
        if (this.buffer) this.buffer.copy(grown, 0, 0, this.kept);
        this.buffer = grown;
      }
      chunk.copy(this.buffer, this.kept);
      this.kept = need;
    } else if (this.buffer) {
      // Past the limit: the message will be refused, drop what was kept.
      this.buffer = undefined;
      this.kept = 0;
    }
  }

  /** Drops what is kept and keeps nothing more; the bytes are still counted and scanned. */
  drop(): void {
    this.dropping = true;
    this.buffer = undefined;
    this.kept = 0;
  }

  get dropped(): boolean {
    return this.dropping;
  }

  private scan(chunk: Buffer): void {
    let pos = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] !== LF) {
        this.bareNewline = 'cr';
        return;
      }
      pos = 1;
    }
    // Every LF must close a CRLF pair and every CR open one; pairs are stepped over, so the next
    // LF found on its own is bare. Both positions are cached so the scan stays linear.
    let nextCr = chunk.indexOf(CR, pos);
    let nextLf = chunk.indexOf(LF, pos);
    while (nextCr !== -1 || nextLf !== -1) {
      if (nextLf !== -1 && (nextCr === -1 || nextLf < nextCr)) {
        this.bareNewline = 'lf';
        return;
      }
      if (nextCr === chunk.length - 1) {
        this.pendingCr = true;
        return;
      }
      if (chunk[nextCr + 1] !== LF) {
        this.bareNewline = 'cr';
        return;
      }
      pos = nextCr + 2;
      nextCr = chunk.indexOf(CR, pos);
      if (nextLf !== -1 && nextLf < pos) nextLf = chunk.indexOf(LF, pos);
    }
  }

  /** The end of DATA: a CR at the very end is bare. */
  finish(): void {
    if (this.pendingCr) this.bareNewline ??= 'cr';
  }

  /** The message (a view of the one buffer, not a copy), or undefined when it went over the
   * limit (or was dropped). */
  message(): Buffer | undefined {
    this.finish();
    if (this.oversized || this.dropping) return undefined;
    return (this.buffer ?? Buffer.alloc(0)).subarray(0, this.kept);
  }

  /** Lets go of the message (after the reply). */
  release(): void {
    this.buffer = undefined;
    this.kept = 0;
  }
}

/** Finds the first bare LF or bare CR in a whole message (for callers that have all the bytes). */
export function findBareNewline(bytes: Uint8Array): BareNewline | undefined {
  const guard = new DataGuard(Number.MAX_SAFE_INTEGER);
  // Only the scan is wanted: keep no copy of the bytes.
  guard.drop();
  guard.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  guard.finish();
  return guard.bareNewline;
}
