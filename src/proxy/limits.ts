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

/** Concurrent client connections (file descriptors; memory is bounded by
 * PROXY_MAX_BYTES_IN_FLIGHT). When full, the session idle longest (no MAIL FROM) is closed with
 * 421 to make room; with none idle, the newcomer gets 421. */
export const PROXY_MAX_CLIENTS = 50;

/** Concurrent connections from one client address (as Postfix's anvil
 * smtpd_client_connection_count_limit): one host cannot take every slot. Loopback clients are
 * exempt (like Postfix's $mynetworks exception): everything local shares 127.0.0.1. */
export const PROXY_MAX_CONNECTIONS_PER_IP = 20;

/** A session that has not started a transaction (no MAIL FROM since it connected or since its
 * last message) is closed after this (as Postfix's smtpd_timeout under stress, 10 s, and the 5
 * minutes of RFC 5321 for a client inside a transaction). Real clients send EHLO and MAIL at
 * once; pooled clients reconnect. */
export const PROXY_IDLE_BEFORE_MAIL_MS = 30 * 1000;

/** Message bytes held at once across all sessions (each message is held once, from the first
 * byte of DATA to the reply). Ten messages of the maximum size; past it the transaction gets
 * 452 4.3.1 and the client retries later. */
export const PROXY_MAX_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

/** The most a declared SIZE makes a session allocate before any byte arrives: the buffer is memory
 * the in-flight budget counts only as bytes arrive, so a client declaring 25 MB and sending nothing
 * must not hold 25 MB. Past it the buffer grows by doubling with what arrives. */
export const PROXY_DECLARED_SIZE_PREALLOCATION_MAX = 1024 * 1024;

/** After SIGTERM/SIGINT, transactions that have not gone upstream get this long to finish before
 * their connections are cut with 421 (nothing of theirs was relayed, so the retry delivers once).
 * Transactions whose data went upstream are never cut: they wait for the upstream's reply, up to
 * UPSTREAM_DATA_DONE_TIMEOUT_MS. */
export const PROXY_SHUTDOWN_GRACE_MS = 30 * 1000;

/** How long the proxy remembers which copies of a split message the upstream accepted, so that
 * the client's retry after a 4xx delivers only the others (Postfix's maximal_queue_lifetime is 5
 * days: a client retries at most that long). Kept in memory: lost when the proxy restarts. */
export const PROXY_SPLIT_MEMORY_MS = 5 * 24 * 60 * 60 * 1000;

/** Entries (message, recipient) in that memory; the oldest go first past it. About 150 bytes
 * each, so at most 15 MB. */
export const PROXY_SPLIT_MEMORY_MAX_ENTRIES = 100_000;

/** Connecting to the upstream relay. A relay that does not answer a SYN within this is down. */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 10 * 1000;

/** The upstream's 220 greeting. Postfix answers in milliseconds unless overloaded. */
export const UPSTREAM_GREETING_TIMEOUT_MS = 30 * 1000;

/** One upstream transaction up to the end of the message data (connect, MAIL, RCPT, DATA and
 * sending the bytes). Nothing was committed yet, so the client is told 451 "timed out" and its
 * retry delivers once. */
export const UPSTREAM_TRANSACTION_TIMEOUT_MS = 2 * 60 * 1000;

/** The upstream's reply to the final dot. Once the dot has gone the upstream may accept the
 * message at any moment, so the proxy waits this long (past any shutdown grace) rather than
 * telling the client 4xx and getting a retry; under the 10 minutes a client waits for it (RFC
 * 5321 4.5.3.2.6), so the client hears the answer. Past it the outcome is unknown (logged). */
export const UPSTREAM_DATA_DONE_TIMEOUT_MS = 5 * 60 * 1000;

/** Upstream connections kept open between transactions (reused: no handshake, greeting and
 * EHLO per message). Enough for a few busy clients; more are opened on demand. */
export const UPSTREAM_MAX_IDLE_CONNECTIONS = 8;

/** Upstream transactions opened ahead of their message (UpstreamClient.prepare: MAIL, RCPT and
 * DATA sent while the client still sends the message) waiting at once. Each holds an upstream
 * connection while its client uploads; past this many, messages are relayed after their check
 * as before (one more round trip to the upstream each). */
export const UPSTREAM_MAX_PREPARED = 8;

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
