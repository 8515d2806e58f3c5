// Every limit the SMTP proxy enforces, with the reason for its value. Past a limit the proxy
// answers with an SMTP error (the client keeps the message); it never relays a partial message.

/** Largest message accepted (bytes of DATA, counted on what arrives, not on the declared SIZE).
 * The big mailbox providers accept about 25 MB; larger files travel as links. Answered with 552. */
export const PROXY_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** RCPT TO commands in one transaction. Postfix's smtpd_recipient_limit default; a campaign
 * larger than this is split by the sending MTA, which retries the rest after a 452. */
export const PROXY_MAX_RECIPIENTS = 1000;

/** The header block of a relayed message. A To list of 100,000 addresses is about 3 MB; a
 * header larger than this is a resource attack, not mail. Answered with 552. */
export const PROXY_MAX_HEADER_BYTES = 8 * 1024 * 1024;

/** A client that sends nothing for this long is disconnected (RFC 5321 4.5.3.2.7: a server
 * should wait at least 5 minutes for the next command). */
export const PROXY_IDLE_TIMEOUT_MS = 5 * 60 * 1000;

/** A whole client session, however busy: bounds slow-drip clients that stay just under the idle
 * timeout. Long enough for a few hundred messages over one connection. */
export const PROXY_SESSION_TIMEOUT_MS = 30 * 60 * 1000;

/** Concurrent client connections. Each may buffer one message of up to the size limit, so this
 * bounds memory (50 x 25 MB); more clients wait in the kernel's accept queue. */
export const PROXY_MAX_CLIENTS = 50;

/** After SIGTERM/SIGINT, transactions in flight get this long to finish before connections are
 * cut (the clients then retry: nothing is lost, at worst a message is delivered twice). */
export const PROXY_SHUTDOWN_GRACE_MS = 30 * 1000;

/** Connecting to the upstream relay. A relay that does not answer a SYN within this is down. */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 10 * 1000;

/** The upstream's 220 greeting. Postfix answers in milliseconds unless overloaded. */
export const UPSTREAM_GREETING_TIMEOUT_MS = 30 * 1000;

/** One whole upstream transaction (connect to the reply to the final dot). The client is told
 * 451 past it and retries. Kept under common client timeouts for the final reply (5-10 min). */
export const UPSTREAM_TRANSACTION_TIMEOUT_MS = 2 * 60 * 1000;

/** Upstream connections kept open between transactions (reused: no handshake, greeting and
 * EHLO per message). Enough for a few busy clients; more are opened on demand. */
export const UPSTREAM_MAX_IDLE_CONNECTIONS = 8;

/** An idle upstream connection is closed after this, well before Postfix's smtpd_timeout (300 s)
 * would close it from the other side. */
export const UPSTREAM_IDLE_CONNECTION_MS = 30 * 1000;

/** Transactions per upstream connection before a fresh one is opened (Postfix's
 * smtp_connection_reuse_count_limit is unlimited; a bound keeps one bad session short-lived). */
export const UPSTREAM_MAX_MESSAGES_PER_CONNECTION = 1000;

/** SMTP reply text the proxy writes (RFC 5321 4.5.3.1.5: a reply line is at most 512 octets). */
export const MAX_REPLY_TEXT_CHARS = 400;

/** Recipients named in one transaction log line (the count is always logged). */
export const MAX_LOGGED_RECIPIENTS = 20;

/** Rejected recipients quoted in one SMTP reply. */
export const MAX_QUOTED_REJECTS = 3;
