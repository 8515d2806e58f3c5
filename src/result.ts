import type { FixOutlook } from './decide/fix.js';
import type { Finding } from './findings.js';
import type { Envelope } from './message/envelope.js';
import type { NoInferenceReason } from './policy/classify.js';

export type Verdict = 'pass' | 'warn' | 'block' | 'error';

export interface RecipientView {
  address: string;
  /** to, cc, apparently-to, resent-to, resent-cc (visible), bcc, resent-bcc, reply-to, mail-followup-to, mail-reply-to. */
  field: string;
  internal: boolean;
  /** The organisation: registrable domain, or the address itself at a consumer provider. */
  party: string;
  /** 1-based line of the header field in the input file. */
  line: number;
  /** The address is written inside a display name, comment or group name, or in a field that is not an address field: shown, not sent to. */
  inDisplayName?: true;
}

export interface MessageResult {
  /** Stable name of the input: a path, `path#N` inside an mbox or transcript, `-` for stdin. */
  source: string;
  /** The file the message came from (undefined for stdin), for reports that link to files (SARIF, GitHub). */
  file?: string;
  verdict: Verdict;
  findings: Finding[];
  recipients: {
    /** Everyone shown in To, Cc, Apparently-To, Resent-To, Resent-Cc. */
    visible: RecipientView[];
    /** Envelope recipients that no visible field shows (SMTP input). */
    hidden: Array<{ address: string; internal: boolean }>;
    /** Addresses in Bcc / Resent-Bcc fields. */
    blind: RecipientView[];
    /** Addresses in Reply-To / Mail-Followup-To. */
    reply: RecipientView[];
    /**
     * Other addresses every reader sees: the authors of a From or Resent-From with several
     * mailboxes, a Sender or Resent-Sender with several, and addresses written inside display
     * names, comments or group names of any field but Bcc, and the addresses a list in any other
     * header field shows (X-Recipients, Comments ...: `field` names it; src/message/other-fields.ts).
     * They count toward EXPOSED_RECIPIENTS.
     */
    shown: RecipientView[];
    /** Distinct external parties among the visible recipients. */
    externalParties: number;
    /** Distinct external addresses among the visible recipients. */
    externalAddresses: number;
  };
  /** The From address, if it could be read. */
  sender?: string;
  /** Internal domains in force for this message, and whether they were inferred from the sender. */
  internal: {
    domains: string[];
    inferred: boolean;
    /** With inference: the field it was read from (from, sender, resent-from, resent-sender). */
    inferredFrom?: string;
    /** With inference and no domain: why none (nothing is internal then). */
    notInferred?: NoInferenceReason;
  };
  envelope?: Envelope;
  /** The profile whose policy checked it (configuration `profiles`; `default` is the top level). Set by the adapter that resolved it. */
  profile?: string;
  /**
   * What `mailguard fix` would do with it (src/decide/fix.ts), for a report's fix hint. Set by the
   * adapter that has the bytes and needs it (check, human format, when an exposed list or a list
   * in an attachment is found); a report without it names no fix command it cannot vouch for.
   */
  fix?: FixOutlook;
}
