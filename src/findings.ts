// Findings are coded data. Their wording lives in one place: src/report/messages.ts.

/** `info` is a note: reported, never part of the verdict nor counted as a warning. */
export type Severity = 'error' | 'warning' | 'info';

/** Arguments carried by each finding code. Add a code here and its wording in report/messages.ts. */
export interface FindingArgs {
  /** Visible external recipients span `parties` organisations, at or past a threshold. */
  EXPOSED_RECIPIENTS: {
    externalAddresses: number;
    parties: number;
    /** The threshold that was reached: warnAt or blockAt (parties), or warnAddressesAt or blockAddressesAt (addresses). */
    threshold: number;
    /** Which count reached it: organisations, or distinct addresses whatever their organisations. */
    trigger: 'parties' | 'addresses';
    /** The fields every reader sees that hold external addresses (to, cc, reply-to, from ...; a field's display names count too). */
    fields: string[];
    /** A few of the exposed addresses. */
    examples: string[];
    sensitive: boolean;
  };
  /**
   * A Bcc or Resent-Bcc field with addresses: relayed as is, it shows every blind recipient.
   * `draft`: a message at rest (checked without an SMTP envelope), which a mail client (or
   * mailguard send, sendmail -t) strips before sending: a note (info). `in-transit`: the message
   * came with an SMTP envelope (proxy, transcript): relayed raw (warning).
   */
  BCC_HEADER_PRESENT: { field: string; count: number; context: 'draft' | 'in-transit' };
  /** Recipient syntax that mail software reads in different ways. */
  AMBIGUOUS_RECIPIENT: { field: string; problem: string; excerpt: string };
  /** More than one To or Cc field. */
  DUPLICATE_RECIPIENT_FIELD: { field: string; count: number; lines: number[] };
  /** The header block cannot be delimited or read safely. */
  MALFORMED_HEADER: { problem: string; /** foreign-line-break: the character (CR, LF, VT, FF, FS, GS, RS, U+0085, U+2028, U+2029). */ detail?: string };
  /** Reply-To or Mail-Followup-To show external addresses of several organisations to everyone. */
  EXPOSED_REPLY_ADDRESSES: { field: string; externalAddresses: number; parties: number; examples: string[] };
  /** A visible recipient is a configured public mailing list: a public post, not an exposed list (info). */
  PUBLIC_LIST_POST: { list: string; externalAddresses: number; parties: number; fields: string[] };
  /** The input could not be read as a message at all. */
  UNREADABLE_MESSAGE: { reason: string; detail?: string };
  /** A text part or text-like attachment lists at least `threshold` distinct external addresses. */
  ADDRESS_LIST_IN_BODY: {
    /** MIME part number ("1", "2.1"). */
    part: string;
    contentType: string;
    fileName?: string;
    externalAddresses: number;
    parties: number;
    /** How many of them are in the quoted thread (counted once per message). */
    quotedAddresses: number;
    threshold: number;
    examples: string[];
    /** Only the first maxPartBytes of the part were scanned. */
    truncated: boolean;
  };
  /** A workbook sheet, a document or an archive member lists at least `threshold` distinct external addresses. */
  ADDRESS_LIST_IN_ATTACHMENT: {
    part: string;
    contentType: string;
    fileName?: string;
    /** As read: xlsx, ods, docx, odt, pptx, odp, zip. */
    format: string;
    /** The member of a zip or TNEF (winmail.dat) attachment. */
    entry?: string;
    /** The message text of a TNEF attachment (winmail.dat), which Outlook shows as the body. */
    messageText?: boolean;
    /** The sheet (workbooks); absent for documents. */
    sheet?: string;
    /** The parts of a workbook outside every sheet (unused shared strings, comments, pivot caches). */
    outsideSheets?: boolean;
    externalAddresses: number;
    /** Of them, found only where a reader does not see them. */
    hiddenAddresses: number;
    /** Where: hidden-sheet, very-hidden-sheet, hidden-rows, hidden-columns, outside-used-range, not-in-any-sheet. */
    hidden: string[];
    parties: number;
    threshold: number;
    examples: string[];
    sensitive: boolean;
  };
  /** A calendar invitation shows its external attendees (and organiser) to every invitee, at or past a threshold. */
  EXPOSED_ATTENDEES: {
    part: string;
    fileName?: string;
    entry?: string;
    /** The iCalendar METHOD (REQUEST, PUBLISH ...), when given. */
    method?: string;
    externalAddresses: number;
    parties: number;
    /** The threshold that was reached: warnAt or blockAt (parties), warnAddressesAt or blockAddressesAt (addresses). */
    threshold: number;
    /** Which threshold was reached, as EXPOSED_RECIPIENTS says it. */
    trigger: 'parties' | 'addresses';
    examples: string[];
    sensitive: boolean;
  };
  /**
   * With no internal domain configured, the domains inferred from the sender make `sameDomainAddresses`
   * (at least warnAddressesAt) of the addresses every reader sees internal: not counted as exposed.
   */
  INTERNAL_DOMAIN_INFERRED: {
    /** The inferred internal domains (matched exactly). */
    domains: string[];
    /** The field the sender was read from: from, sender, resent-from or resent-sender. */
    field: string;
    /** Distinct visible addresses at those domains (internal by the inference unless a merged profile's cap made them external). */
    sameDomainAddresses: number;
    /** warnAddressesAt in force. */
    threshold: number;
    examples: string[];
  };
  /** An attachment (or a member of a zip attachment) that could not be read: it is not known to be clean. */
  ATTACHMENT_NOT_SCANNED: {
    part: string;
    contentType: string;
    fileName?: string;
    entry?: string;
    /** encrypted, too-large, too-many-entries, compression-ratio, nested-archive, unsupported-format, unsupported-compression, unknown-format, unreadable, truncated; for MIME parts the scan did not reach: too-many-parts, too-deep; for text past a limit: partly-read (past maxPartBytes), text-limit (past the text read per message). */
    reason: string;
    detail?: string;
  };
}

export type FindingCode = keyof FindingArgs;

export type Finding = {
  [C in FindingCode]: {
    code: C;
    severity: Severity;
    /** 1-based line of the header field in the input file. */
    line?: number;
    /** Where the finding points inside a structured input (campaign JSON): `messages[3].cc`. */
    jsonPath?: string;
    args: FindingArgs[C];
  };
}[FindingCode];

export const FINDING_CODES: readonly FindingCode[] = [
  'EXPOSED_RECIPIENTS',
  'BCC_HEADER_PRESENT',
  'AMBIGUOUS_RECIPIENT',
  'DUPLICATE_RECIPIENT_FIELD',
  'MALFORMED_HEADER',
  'EXPOSED_REPLY_ADDRESSES',
  'UNREADABLE_MESSAGE',
  'ADDRESS_LIST_IN_BODY',
  'PUBLIC_LIST_POST',
  'ADDRESS_LIST_IN_ATTACHMENT',
  'EXPOSED_ATTENDEES',
  'ATTACHMENT_NOT_SCANNED',
  'INTERNAL_DOMAIN_INFERRED',
];

/** Codes only the body scan reports (checkMessage with `body`). */
export const BODY_SCAN_CODES: readonly FindingCode[] = ['ADDRESS_LIST_IN_BODY', 'ADDRESS_LIST_IN_ATTACHMENT', 'EXPOSED_ATTENDEES', 'ATTACHMENT_NOT_SCANNED'];

/** Severity each code has unless the policy says otherwise (EXPOSED_RECIPIENTS: by threshold). */
export const DEFAULT_SEVERITY: Record<FindingCode, Severity> = {
  EXPOSED_RECIPIENTS: 'error',
  BCC_HEADER_PRESENT: 'warning',
  AMBIGUOUS_RECIPIENT: 'error',
  DUPLICATE_RECIPIENT_FIELD: 'warning',
  MALFORMED_HEADER: 'error',
  EXPOSED_REPLY_ADDRESSES: 'warning',
  UNREADABLE_MESSAGE: 'error',
  ADDRESS_LIST_IN_BODY: 'warning',
  PUBLIC_LIST_POST: 'info',
  ADDRESS_LIST_IN_ATTACHMENT: 'warning',
  EXPOSED_ATTENDEES: 'error',
  ATTACHMENT_NOT_SCANNED: 'info',
  INTERNAL_DOMAIN_INFERRED: 'info',
};

export function isFindingCode(s: string): s is FindingCode {
  return (FINDING_CODES as readonly string[]).includes(s);
}
