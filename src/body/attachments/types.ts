// What the attachment scan returns: pure data, classified by the rules.

/** Where in an attachment a set of addresses was found. */
export interface UnitLocation {
  /** A member of a zip or TNEF attachment ("lists/members.csv"). */
  entry?: string;
  /** The message text a TNEF attachment (winmail.dat) carries, which Outlook shows as the body. */
  messageText?: boolean;
  /** A worksheet or table name. */
  sheet?: string | undefined;
  /** The parts of a workbook that no sheet shows (unused shared strings, comments, pivot caches). */
  rest?: boolean;
}

/** One sheet, document or archive member, and the addresses it holds. */
export interface ScanUnit {
  location: UnitLocation;
  addresses: Set<string>;
  /** Of `addresses`, those found only where a reader does not see them. */
  hiddenAddresses: Set<string>;
  /** Where the hidden ones are: hidden-sheet, very-hidden-sheet, hidden-rows, hidden-columns, outside-used-range, not-in-any-sheet. */
  hidden: string[];
}

export type NotScannedReason =
  | 'encrypted'
  | 'too-large'
  | 'too-many-entries'
  | 'compression-ratio'
  | 'nested-archive'
  | 'unsupported-format'
  | 'unsupported-compression'
  | 'unknown-format'
  | 'unreadable'
  | 'truncated'
  /** MIME parts the walk did not read (src/body/mime.ts, SkippedPart). */
  | 'too-many-parts'
  | 'too-deep'
  /** A text part read only up to maxPartBytes (or what was left of the message's text budget). */
  | 'partly-read'
  /** A text part not read: the parts before it used the message's text budget (MAX_MESSAGE_TEXT_BYTES). */
  | 'text-limit';

export interface NotScanned {
  reason: NotScannedReason;
  /** The format or the member concerned ("pdf", "xls", "lists/a.xlsx"). */
  detail?: string;
  entry?: string;
}

/** Calendar participants of one invitation (ATTENDEE and ORGANIZER, mailto: only). */
export interface CalendarScan {
  method?: string;
  attendees: string[];
  /** Other addresses the invitation's text shows (description, summary, location, comments). */
  shown?: string[];
  entry?: string;
}

export interface AttachmentScan {
  /** What kind of file it was read as (xlsx, ods, docx, odt, pptx, odp, zip, ics, csv ...). */
  format: string;
  units: ScanUnit[];
  calendars: CalendarScan[];
  notScanned: NotScanned[];
}
