// Watches the DATA of one transaction as it arrives: counts the bytes (the declared SIZE is only
// a claim), keeps at most the limit in memory, and finds bare LF and bare CR.
//
// smtp-server hands onData the message with dot-stuffing undone and the terminating
// <CRLF>.<CRLF> removed; it ends DATA only on <CRLF>.<CRLF>, so `\n.\r\n` or `\r\n.\r` arrive
// here as content. Relayed as is, a receiver that ends DATA on a bare LF would see the end of
// the message there and run the bytes after it as commands (SMTP smuggling, CVE-2023-51766 and
// relatives). Postfix's smtpd_forbid_bare_newline rejects such messages; so does the proxy.

const CR = 0x0d;
const LF = 0x0a;

export type BareNewline = 'lf' | 'cr';

export class DataGuard {
  readonly maxBytes: number;
  private chunks: Buffer[] = [];
  private kept = 0;
  /** Every byte seen, kept or not. */
  bytes = 0;
  /** The first bare line break seen, if any. */
  bareNewline: BareNewline | undefined;
  /** The previous chunk ended with CR: the next byte must be LF. */
  private pendingCr = false;
  /** Keep no more bytes (the proxy's in-flight budget is spent): the message will be refused. */
  private dropping = false;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get oversized(): boolean {
    return this.bytes > this.maxBytes;
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bareNewline === undefined && chunk.length > 0) this.scan(chunk);
    if (!this.dropping && this.kept + chunk.length <= this.maxBytes) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
    } else if (this.chunks.length > 0) {
      // Past the limit: the message will be refused, drop what was kept.
      this.chunks = [];
    }
  }

  /** Drops what is kept and keeps nothing more; the bytes are still counted and scanned. */
  drop(): void {
    this.dropping = true;
    this.chunks = [];
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

  /** The message, or undefined when it went over the limit (or was dropped). The chunks are
   * replaced by the one joined buffer, so the message is held once, not twice. */
  message(): Buffer | undefined {
    if (this.oversized || this.dropping) return undefined;
    if (this.pendingCr) this.bareNewline ??= 'cr';
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.kept)];
    return this.chunks[0]!;
  }

  /** Lets go of the message (after the reply). */
  release(): void {
    this.chunks = [];
    this.kept = 0;
  }
}

/** Finds the first bare LF or bare CR in a whole message (for callers that have all the bytes). */
export function findBareNewline(bytes: Uint8Array): BareNewline | undefined {
  const guard = new DataGuard(Number.MAX_SAFE_INTEGER);
  guard.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  guard.message();
  return guard.bareNewline;
}
