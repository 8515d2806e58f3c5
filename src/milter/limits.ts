// Every limit the milter enforces, with the reason for its value. A packet past a limit closes
// that one MTA connection (the MTA then applies milter_default_action, which the README says to
// set to tempfail); a message past a limit is refused with an SMTP reply. Nothing is accepted on
// failure.

/** One packet from the MTA (length field included). Postfix sends body chunks of at most 65,535
 * bytes and one header field per packet, bounded by its header_size_limit (default 102,400);
 * 1 MiB leaves room for a raised header_size_limit. A larger length is not from a sane MTA. */
export const MILTER_MAX_PACKET_BYTES = 1024 * 1024;

/** One packet to the MTA. Postfix refuses a reply packet longer than 2 x 65,535 bytes
 * (milter8.c XXX_MAX_DATA); a header edit that would not fit refuses the message instead. */
export const MILTER_MAX_REPLY_PACKET_BYTES = 2 * 65535;

/** The header block rebuilt from the MTA's header packets. A To list of 50,000 addresses is
 * about 1.5 MB; a larger header is a resource attack, not mail. Answered with 552. */
export const MILTER_MAX_HEADER_BYTES = 4 * 1024 * 1024;

/** Header fields in one message, before the header is parsed. mailguard's parser stops at
 * 10,000 fields (MAX_HEADER_FIELDS); Postfix passes whatever the client sent. Answered with 552. */
export const MILTER_MAX_HEADER_FIELDS = 10_000;

/** Body bytes kept when the policy scans bodies (the body is not asked for otherwise). The same
 * 25 MB as the proxy's message limit. Answered with 552. */
export const MILTER_MAX_BODY_BYTES = 25 * 1024 * 1024;

/** Envelope recipients kept per message. Postfix's smtpd_recipient_limit defaults to 1,000;
 * more than this is refused with 550 (a retry would only repeat it). */
export const MILTER_MAX_RECIPIENTS = 10_000;

/** Concurrent MTA connections per process. Postfix opens one per smtpd or cleanup process
 * (default_process_limit 100 per service); each holds at most one message, so this bounds memory.
 * Connections past it are closed at once and the MTA applies milter_default_action. */
export const MILTER_MAX_CONNECTIONS = 500;

/** One message, from MAIL FROM to the answer at end of body. Postfix's own timeouts are 300 s per
 * content step (milter_content_timeout); a transaction open longer than this is closed, and the
 * MTA tempfails it. */
export const MILTER_MESSAGE_TIMEOUT_MS = 10 * 60 * 1000;

/** An MTA connection with no packet for this long is closed (Postfix keeps one open for an SMTP
 * session, and smtpd_timeout is 300 s). */
export const MILTER_IDLE_TIMEOUT_MS = 15 * 60 * 1000;

/** After SIGTERM/SIGINT, messages in flight get this long to be answered before connections are
 * cut (the MTA then tempfails them and the client retries). */
export const MILTER_SHUTDOWN_GRACE_MS = 10 * 1000;

/** Recipients named in one log line (the count is always logged). */
export const MILTER_MAX_LOGGED_RECIPIENTS = 20;

/** Characters of reason text in a SMFIR_QUARANTINE packet (Sendmail logs it, Postfix 3.7 drops
 * it; mailguard's own log line carries the whole reason). One line, kept short. */
export const MILTER_MAX_QUARANTINE_REASON_CHARS = 200;
