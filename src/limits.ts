// Every limit mailguard enforces, with the reason for its value. Past a limit a message fails
// closed (MALFORMED_HEADER or AMBIGUOUS_RECIPIENT), it never hangs or is let through.

/** A header block larger than this is refused: real headers are a few KB; 100,000 recipients
 * written out take about 3 MB, so 16 MiB leaves room for legitimate giant lists. */
export const MAX_HEADER_BLOCK_BYTES = 16 * 1024 * 1024;

/** One physical header line. RFC 5322 says 998; scripts write long unfolded To lines, so allow
 * far more, but bound it so a line scan stays linear and cheap. */
export const MAX_HEADER_LINE_BYTES = 4 * 1024 * 1024;

/** One header field, all its folded lines together. */
export const MAX_FIELD_BYTES = 8 * 1024 * 1024;

/** Header fields in one message. Real mail has tens to a few hundred (Received chains). */
export const MAX_HEADER_FIELDS = 10_000;

/** Addresses in one message (bench: 100,000 must be checked): the mailboxes of every address
 * field and the addresses written in names, comments, group names and other fields, together.
 * Past it reading stops, so a Keywords field or a comment of 600,000 addresses costs no more than
 * this many (src/analyse.ts shownAddresses, src/message/other-fields.ts). */
export const MAX_ADDRESSES_PER_MESSAGE = 250_000;

/** Nesting of comments in an address field. RFC 5322 allows nesting; real mail uses 1-2. */
export const MAX_COMMENT_DEPTH = 16;

/** Group nesting depth. RFC 5322 groups do not nest; a group inside a group is AMBIGUOUS_RECIPIENT. */
export const MAX_GROUP_DEPTH = 1;

/** Address problems kept per field kind (To, Cc, ...): one blocks; a flood must not flood the report. */
export const MAX_PROBLEMS_PER_FIELD = 20;

/**
 * Time budget for checking one message (the 100,000-address header is the worst legitimate case,
 * about 0.3 s). Not enforced by a clock, so a verdict never depends on machine load: the size
 * limits above and linear-time parsing guarantee it, and tests and `npm run fuzz` hold the code to it.
 */
export const MAX_CHECK_MS = 1_000;

/**
 * Hard stop for reading one message's address fields, checked on the clock every 2,048 tokens
 * (whether or not any address was accepted: a field of refused addresses is stopped too).
 * Far above MAX_CHECK_MS, so only a runaway input on a starved machine reaches it; past it the
 * message is AMBIGUOUS_RECIPIENT (parse-time-exceeded), never a hang and never a partial pass.
 */
export const MAX_PARSE_MS = 5_000;

/** Findings that quote addresses keep at most this many examples (reports stay readable). */
export const MAX_EXAMPLE_ADDRESSES = 5;

/** One label of a domain, per RFC 1035. */
export const MAX_DOMAIN_LABEL_BYTES = 63;

/** A whole domain name, per RFC 1035. */
export const MAX_DOMAIN_BYTES = 253;

/** A local part, per RFC 5321 (4.5.3.1.1). Longer ones are rejected by MTAs anyway. */
export const MAX_LOCAL_PART_BYTES = 64 * 4;

/** How much of a file is read at a time while looking for the end of the header block. */
export const HEADER_READ_CHUNK_BYTES = 64 * 1024;

/**
 * One file a campaign names as content (`"path"` in text, html, raw, attachments): as large as
 * the attachment limits of the common mail services (Gmail and Outlook.com take 20-25 MB), so a
 * real attachment fits and a device or a runaway file (/dev/zero, a log) is refused, not read.
 */
export const MAX_CAMPAIGN_CONTENT_FILE_BYTES = 25 * 1024 * 1024;

/**
 * All the files one campaign message reads, together: above what providers accept in one
 * message (Exchange Online's default 35 MB), so the limit refuses only what no relay would take.
 */
export const MAX_CAMPAIGN_MESSAGE_CONTENT_BYTES = 50 * 1024 * 1024;
/** One attachment opened by the attachment scan (xlsx, ods, docx, odt, zip, ics), decoded. Mail
 * providers refuse messages past 25-35 MB, so every real attachment fits; past it the attachment
 * is ATTACHMENT_NOT_SCANNED (too-large), never reported clean. */
export const MAX_ATTACHMENT_BYTES = 32 * 1024 * 1024;

/** Entries in one zip container (office files are zip archives): real workbooks and documents
 * have tens to a few hundred; a crafted archive with more is refused before any is inflated. */
export const MAX_ARCHIVE_ENTRIES = 10_000;

/** Compressed RTF (the body of a TNEF winmail.dat, MS-OXRTFCP) inflated per body: an Outlook body
 * rarely passes a few hundred KiB and a list shows in its first pages; the format grows at most
 * eightfold, so the declared size is never believed past that either. Past it: partly-read. */
export const MAX_RTF_BYTES = 4 * 1024 * 1024;

/** Bytes inflated per message, all attachments and entries together (zip-bomb bound; the files
 * read out of TNEF winmail.dat attachments count too, as they are parsed the same way). XML is
 * parsed at about 20 MB/s (htmlparser2, measured), so this keeps one message to a few seconds;
 * a 10-MB address workbook inflates to about 40 MB. */
export const MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024;

/** Inflated size over compressed size of one entry. Office XML compresses 5 to 30 times; deflate
 * reaches about 1,000 on zeros. Checked on the declared sizes first, then while inflating. */
export const MAX_COMPRESSION_RATIO = 200;
