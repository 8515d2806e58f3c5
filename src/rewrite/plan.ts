// The shapes the rewrite API returns. The plan says what was done, in data; wording is the CLI's.

export interface BccOptions {
  /**
   * What To shows when no visible recipient is left in it: the group `undisclosed-recipients:;`
   * (default), the sender (From), or a given address.
   */
  to?: 'undisclosed' | 'sender' | string;
  /** Move internal visible recipients to Bcc too (default: they stay visible). */
  allToBcc?: boolean;
  /** Remove DKIM-Signature fields that the rewrite breaks (default: keep them, and report). */
  removeDkim?: boolean;
}

export interface SplitOptions {
  /** Remove DKIM-Signature fields that the rewrite breaks (default: keep them, and report). */
  removeDkim?: boolean;
  /** Domain of the fresh Message-IDs (default: the sender's domain). */
  messageIdDomain?: string;
}

export interface MovedRecipient {
  /** The normalised address. */
  address: string;
  /** The field it stood in: to, cc, apparently-to or bcc. */
  from: string;
  /** Where it went: `bcc` (bcc strategy) or `message N` (split, 1-based). */
  to: string;
}

export interface RewritePlan {
  strategy: 'bcc' | 'split';
  /** Every recipient that moved (bcc) or was given its copy (split). */
  moved: MovedRecipient[];
  /** Messages produced. */
  messages: number;
  /** A DKIM-Signature covers a rewritten field: it will no longer verify. */
  dkimBroken: boolean;
  /** Signing domains (d=) of the broken signatures. */
  dkimDomains: string[];
  /** Broken DKIM-Signature fields removed (removeDkim). */
  dkimRemoved: number;
  /** Visible recipients that stayed visible (bcc strategy: internal ones). */
  keptVisible: string[];
  /** What To was set to because no visible recipient was left in it, if it was. */
  toPlaceholder?: 'undisclosed' | 'sender' | 'address';
  /** Addresses that receive the message only because To was set to them (--to sender / ADDRESS). */
  addedRecipients: string[];
}

export interface SplitCopy {
  bytes: Uint8Array;
  /** The envelope of this copy (RCPT TO): exactly the addresses its To/Cc/Apparently-To show. */
  recipients: string[];
}
