import type { Finding } from './findings.js';
import type { Envelope } from './message/envelope.js';

export type Verdict = 'pass' | 'warn' | 'block' | 'error';

export interface RecipientView {
  address: string;
  /** to, cc, resent-to, resent-cc (visible), bcc, resent-bcc, reply-to, mail-followup-to. */
  field: string;
  internal: boolean;
  /** The organisation: registrable domain, or the address itself at a consumer provider. */
  party: string;
  /** 1-based line of the header field in the input file. */
  line: number;
}

export interface MessageResult {
  /** Stable name of the input: a path, `path#N` inside an mbox or transcript, `-` for stdin. */
  source: string;
  /** The file the message came from (undefined for stdin), for reports that link to files (SARIF, GitHub). */
  file?: string;
  verdict: Verdict;
  findings: Finding[];
  recipients: {
    /** Everyone shown in To, Cc, Resent-To, Resent-Cc. */
    visible: RecipientView[];
    /** Envelope recipients that no visible field shows (SMTP input). */
    hidden: Array<{ address: string; internal: boolean }>;
    /** Addresses in Bcc / Resent-Bcc fields. */
    blind: RecipientView[];
    /** Addresses in Reply-To / Mail-Followup-To. */
    reply: RecipientView[];
    /** Distinct external parties among the visible recipients. */
    externalParties: number;
    /** Distinct external addresses among the visible recipients. */
    externalAddresses: number;
  };
  /** The From address, if it could be read. */
  sender?: string;
  /** Internal domains in force for this message, and whether they were inferred from the sender. */
  internal: { domains: string[]; inferred: boolean };
  envelope?: Envelope;
}
