// The proxy's upstream client: one SMTP transaction to the real relay with the original envelope,
// over nodemailer's SMTPConnection (imported lazily). It reports what the upstream said: the reply
// to the final dot, or the stage and code it refused at, and every recipient it refused.
//
// All or nothing: when the upstream refuses some recipients but not others, the connection is
// dropped before the end of DATA, so the upstream discards the message and nobody receives it.
// The client then gets an error naming the refused recipients and can fix or retry the whole
// transaction; a partial 250 would silently drop the refused recipients, and a 4xx after a
// partial delivery would deliver twice on retry.

import { Readable, type Writable } from 'node:stream';
import { MailguardError } from '../errors.js';
import type { Envelope } from '../message/envelope.js';
import { corkUntilReleased } from './coalesce-writes.js';
import {
  UPSTREAM_CONNECT_TIMEOUT_MS,
  UPSTREAM_DATA_DONE_TIMEOUT_MS,
  UPSTREAM_GREETING_TIMEOUT_MS,
  UPSTREAM_IDLE_CONNECTION_MS,
  UPSTREAM_MAX_IDLE_CONNECTIONS,
  UPSTREAM_MAX_MESSAGES_PER_CONNECTION,
  UPSTREAM_MAX_PREPARED,
  UPSTREAM_TRANSACTION_TIMEOUT_MS,
} from './limits.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  /** Implicit TLS (smtps://). Otherwise STARTTLS is used when the upstream offers it. */
  secure: boolean;
  auth?: { user: string; pass: string };
  /**
   * STARTTLS towards the upstream: `none` (ignore it; the default on loopback, where it protects
   * nothing), `verify` (use it when offered, certificate checked; the default elsewhere),
   * `no-verify` (use it when offered, any certificate), `required` (refuse to send without it).
   * Set with `?tls=...` on the URL.
   */
  tls: UpstreamTls;
  /** The URL with any password removed, for logs. */
  display: string;
}

export type UpstreamTls = 'none' | 'verify' | 'no-verify' | 'required';
const UPSTREAM_TLS_MODES: readonly UpstreamTls[] = ['none', 'verify', 'no-verify', 'required'];

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface UpstreamReject {
  address: string;
  code: number;
  response: string;
}

export type UpstreamOutcome =
  /** The upstream took the message (its reply to the final dot). */
  | { kind: 'accepted'; code: number; response: string }
  /** The upstream answered with an error at `stage`; `rejected` lists refused recipients. */
  | { kind: 'refused'; stage: 'mail' | 'rcpt' | 'data' | 'message' | 'auth' | 'other'; code: number; response: string; rejected: UpstreamReject[] }
  /** No SMTP answer before the end of the message data (connection refused or lost, TLS failure,
   * timeout): nothing was committed, the upstream discarded whatever it had. */
  | { kind: 'unreachable'; reason: string; timedOut?: boolean }
  /** The final dot went upstream but no reply came (connection lost, or no reply within
   * UPSTREAM_DATA_DONE_TIMEOUT_MS): the upstream may or may not have accepted the message. SMTP
   * leaves this window open (RFC 1047); Postfix treats it as a deferral too. */
  | { kind: 'unknown'; reason: string }
  /** Withdrawn by the proxy before the final dot (RelayHooks.withdraw): nothing was committed. */
  | { kind: 'withdrawn'; reason: string };

export interface UpstreamOptions {
  /** The transaction up to the end of the message data (connect, MAIL, RCPT, DATA, the bytes). */
  timeoutMs?: number;
  /** The reply to the final dot (default UPSTREAM_DATA_DONE_TIMEOUT_MS, never less than timeoutMs). */
  dataDoneTimeoutMs?: number;
  /** EHLO name. */
  name?: string;
}

/** Parses `smtp://[user:pass@]host[:port]` or `smtps://...`. */
export function parseUpstreamUrl(url: string): UpstreamTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MailguardError('EUSAGE', `--upstream is not a URL (got "${url}").`, { hint: 'Give smtp://HOST:PORT, for example smtp://127.0.0.1:10026.' });
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new MailguardError('EUSAGE', `--upstream must be an smtp:// or smtps:// URL (got "${u.protocol}").`, { hint: 'For example smtp://127.0.0.1:10026.' });
  }
  if (!u.hostname) throw new MailguardError('EUSAGE', `--upstream has no host (got "${url}").`);
  const secure = u.protocol === 'smtps:';
  const port = u.port ? Number(u.port) : secure ? 465 : 25;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const tlsParam = u.searchParams.get('tls');
  if (tlsParam !== null && !(UPSTREAM_TLS_MODES as readonly string[]).includes(tlsParam)) {
    throw new MailguardError('EUSAGE', `--upstream: tls=${tlsParam} is not one of ${UPSTREAM_TLS_MODES.join(', ')}.`);
  }
  const tls = (tlsParam as UpstreamTls | null) ?? (isLoopback(host) ? 'none' : 'verify');
  const target: UpstreamTarget = { host, port, secure, tls, display: `${u.protocol}//${u.hostname}:${port}` };
  if (u.username) target.auth = { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
  return target;
}

type Connection = import('nodemailer/lib/smtp-connection').default;
type NodemailerError = Error & { code?: string; responseCode?: number; response?: string; command?: string; rejectedErrors?: NodemailerError[]; recipient?: string };

/** The envelope state nodemailer keeps while a message is sent; read to see refused recipients
 * before the message is committed (the public API reports them only after delivery). */
interface EnvelopeState {
  rejectedErrors?: NodemailerError[];
}

function stageOf(command: string | undefined): 'mail' | 'rcpt' | 'data' | 'message' | 'auth' | 'other' {
  const c = (command ?? '').toUpperCase();
  if (c.startsWith('MAIL')) return 'mail';
  if (c.startsWith('RCPT')) return 'rcpt';
  if (c === 'DATA') return 'data';
  if (c.startsWith('AUTH')) return 'auth';
  return 'other';
}

function rejectsOf(errors: NodemailerError[] | undefined): UpstreamReject[] {
  return (errors ?? []).map((e) => ({ address: e.recipient ?? '', code: e.responseCode ?? 0, response: (e.response ?? e.message).trim() }));
}

function outcomeOfError(err: NodemailerError): UpstreamOutcome {
  if (typeof err.responseCode === 'number' && err.responseCode >= 400) {
    const stage = err.code === 'EMESSAGE' && err.command === 'DATA' ? 'message' : stageOf(err.command);
    return { kind: 'refused', stage, code: err.responseCode, response: (err.response ?? err.message).trim(), rejected: rejectsOf(err.rejectedErrors) };
  }
  const outcome: UpstreamOutcome = { kind: 'unreachable', reason: `${err.code ?? 'ERROR'}: ${err.message}` };
  if (err.code === 'ETIMEDOUT') outcome.timedOut = true;
  return outcome;
}

async function loadConnection(): Promise<typeof import('nodemailer/lib/smtp-connection').default> {
  const mod = await import('nodemailer/lib/smtp-connection');
  return mod.default;
}

function connectionOptions(target: UpstreamTarget, options: UpstreamOptions, timeoutMs: number, dataDoneTimeoutMs: number) {
  const o: import('nodemailer/lib/smtp-connection').SMTPConnectionOptions = {
    host: target.host,
    port: target.port,
    secure: target.secure,
    connectionTimeout: Math.min(UPSTREAM_CONNECT_TIMEOUT_MS, timeoutMs),
    greetingTimeout: Math.min(UPSTREAM_GREETING_TIMEOUT_MS, timeoutMs),
    // Inactivity: the reply to the final dot may take dataDoneTimeoutMs; the stages before it
    // are bounded by the transaction timer.
    socketTimeout: Math.max(timeoutMs, dataDoneTimeoutMs),
    logger: false,
    // The upstream is usually the local MTA on loopback.
    allowInternalNetworkInterfaces: true,
  };
  if (options.name) o.name = options.name;
  if (!target.secure) {
    if (target.tls === 'none') o.ignoreTLS = true;
    else if (target.tls === 'required') o.requireTLS = true;
  }
  if (target.tls === 'no-verify') o.tls = { rejectUnauthorized: false };
  return o;
}

interface Pooled {
  conn: Connection;
  /** Transactions sent over this connection. */
  uses: number;
  dead: boolean;
  idleTimer?: NodeJS.Timeout;
  /** The transaction in progress hears about connection failures through this. */
  onFailure?: (outcome: UpstreamOutcome) => void;
}

interface Attempt {
  outcome: UpstreamOutcome;
  /** The session is at a clean point and can carry the next transaction. */
  reusable: boolean;
  /** Failed before any message byte was handed over: safe to try again elsewhere. */
  beforeData: boolean;
  /** The message was handed to the transaction (its checks ran on it), whatever came of it. */
  payloadTaken: boolean;
}

/** What MAIL FROM says about the message, known before its bytes are (prepare). */
interface Declared {
  eightBit: boolean;
  smtpUtf8: boolean;
  /** The SIZE parameter, when known. */
  size?: number;
}

/** The message a transaction carries, or why it carries none (the connection is dropped). */
type Payload = { bytes: Uint8Array; hooks: RelayHooks } | { cancelled: string };

const EMPTY = new Uint8Array(0);

export interface RelayHooks {
  /** The final dot was handed to the upstream: from now on the upstream may accept the message,
   * so the transaction must not be cut (shutdown waits for its reply). */
  onDataSent?: () => void;
  /** Asked at the last moment the message can be withdrawn (every RCPT answered, the upstream's
   * 354 in): true drops the upstream connection before the final dot, so the upstream discards
   * the message (the client that was to hear the reply has gone: its retry must not be a second
   * copy). */
  withdraw?: () => boolean;
  /** The client declared SMTPUTF8 at MAIL FROM (RFC 6531): the upstream is told so, whatever
   * the addresses, and a message the upstream cannot take that way is not sent. */
  smtpUtf8?: boolean;
}

export interface UpstreamClient {
  /**
   * Relays one message: MAIL FROM and every RCPT TO of `envelope`, then `bytes`. Resolves with
   * what the upstream said; never rejects.
   */
  relay(envelope: Envelope, bytes: Uint8Array, hooks?: RelayHooks): Promise<UpstreamOutcome>;
  /**
   * Opens a transaction for `envelope` now, while the client still sends the message (MAIL FROM,
   * RCPT TO and DATA go upstream; the transaction then waits at the 354 for the bytes), so the
   * relay after the check costs one round trip to the upstream instead of two. Undefined when
   * UPSTREAM_MAX_PREPARED transactions wait already, or the client is closed. Only for a message
   * declared 7-bit, without SMTPUTF8.
   */
  prepare(envelope: Envelope, options?: { size?: number }): PreparedRelay | undefined;
  /** Closes idle connections; later relays open new ones. */
  close(): void;
}

/**
 * A transaction opened ahead of its message (UpstreamClient.prepare). Exactly one of relay or
 * cancel is called (cancel after relay does nothing). Nothing of the message goes upstream before
 * relay hands its bytes over, and nothing is committed before its final dot: a cancelled one is
 * dropped before any message byte, and the upstream discards it.
 */
export interface PreparedRelay {
  readonly envelope: Envelope;
  /**
   * Sends `bytes` over the prepared transaction. The outcome is the one relay(envelope, bytes)
   * would give: where the prepared transaction could not take these bytes (8-bit data, a kept
   * connection the upstream had closed, a transaction that ended before they came), they go
   * through relay() instead.
   */
  relay(bytes: Uint8Array, hooks?: RelayHooks): Promise<UpstreamOutcome>;
  /** Drops the transaction: the message is not sent over it. */
  cancel(reason: string): void;
}

/** Size of the views the message is written upstream in (see transact). */
const UPSTREAM_WRITE_CHUNK_BYTES = 64 * 1024;

function hasEightBit(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return true;
  return false;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * What the message needs of the upstream that it does not offer (its EHLO), as the refusal the
 * proxy gives instead of sending: a relay must not pass 8-bit data to a server without 8BITMIME
 * (RFC 6152: 5.6.3, the proxy does not convert), nor an internationalised address or message to
 * one without SMTPUTF8 (RFC 6531 3.2: 5.6.7, 5.6.9). nodemailer sends both anyway, without the
 * parameter, and a strict upstream would mangle or bounce what the client was told was taken.
 */
function extensionMissing(envelope: Envelope, eightBit: boolean, smtpUtf8: boolean, offered: readonly string[]): UpstreamOutcome | undefined {
  const refuse = (code: string, text: string): UpstreamOutcome => ({ kind: 'refused', stage: 'mail', code: 554, response: `554 ${code} ${text}`, rejected: [] });
  const utf8Address = NON_ASCII.test(envelope.mailFrom) || envelope.rcptTo.some((r) => NON_ASCII.test(r));
  if ((utf8Address || smtpUtf8) && !offered.includes('SMTPUTF8')) {
    return utf8Address
      ? refuse('5.6.7', 'Non-ASCII addresses: the next hop does not offer SMTPUTF8, the message was not sent')
      : refuse('5.6.9', 'SMTPUTF8 message: the next hop does not offer SMTPUTF8, the message was not sent');
  }
  if (eightBit && !smtpUtf8 && !utf8Address && !offered.includes('8BITMIME')) return refuse('5.6.3', '8-bit data: the next hop does not offer 8BITMIME and the proxy does not convert, the message was not sent');
  return undefined;
}

/**
 * An upstream client that keeps up to `maxIdle` connections open between transactions: opening
 * one costs a TCP handshake, the greeting (smtp-server delays it 100 ms) and EHLO per message.
 */
export function createUpstreamClient(target: UpstreamTarget, options: UpstreamOptions & { maxIdle?: number } = {}): UpstreamClient {
  const timeoutMs = options.timeoutMs ?? UPSTREAM_TRANSACTION_TIMEOUT_MS;
  const dataDoneTimeoutMs = Math.max(options.dataDoneTimeoutMs ?? UPSTREAM_DATA_DONE_TIMEOUT_MS, timeoutMs);
  const maxIdle = options.maxIdle ?? UPSTREAM_MAX_IDLE_CONNECTIONS;
  const idle: Pooled[] = [];
  let closed = false;

  const discard = (p: Pooled) => {
    p.dead = true;
    if (p.idleTimer) clearTimeout(p.idleTimer);
    const i = idle.indexOf(p);
    if (i !== -1) idle.splice(i, 1);
    p.conn.close();
  };

  const open = async (): Promise<Pooled | UpstreamOutcome> => {
    const SMTPConnection = await loadConnection();
    const conn: Connection = new SMTPConnection(connectionOptions(target, options, timeoutMs, dataDoneTimeoutMs));
    const p: Pooled = { conn, uses: 0, dead: false };
    const fail = (outcome: UpstreamOutcome) => {
      const hook = p.onFailure;
      discard(p);
      hook?.(outcome);
    };
    conn.on('error', (err: NodemailerError) => fail(outcomeOfError(err)));
    conn.on('end', () => fail({ kind: 'unreachable', reason: 'ECONNECTION: the upstream closed the connection' }));
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: Pooled | UpstreamOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        p.onFailure = undefined;
        if (r !== p) discard(p);
        resolve(r);
      };
      const timer = setTimeout(() => done({ kind: 'unreachable', reason: `ETIMEDOUT: no session within ${timeoutMs} ms`, timedOut: true }), timeoutMs);
      p.onFailure = done;
      conn.connect((err) => {
        if (err) return done(outcomeOfError(err as NodemailerError));
        if (!target.auth) return done(p);
        conn.login({ credentials: { user: target.auth.user, pass: target.auth.pass } }, (loginErr) => {
          if (!loginErr) return done(p);
          const o = outcomeOfError(loginErr as NodemailerError);
          done(o.kind === 'refused' ? { ...o, stage: 'auth' } : o);
        });
      });
    });
  };

  /**
   * One transaction over `p`. MAIL FROM, RCPT TO and DATA go out at once, with the parameters
   * `declared` gives; the message bytes (and the hooks of the relay they belong to) come from
   * `payload`, handed over at the upstream's 354 or later (prepare: the transaction is opened
   * while the client still sends its message). A payload that says cancelled drops the connection
   * before any message byte, so the upstream discards the transaction.
   */
  const transact = (p: Pooled, envelope: Envelope, declared: Declared, payload: Promise<Payload>): Promise<Attempt> =>
    new Promise<Attempt>((resolve) => {
      let settled = false;
      let dataStarted = false;
      /** The payload was taken: its bytes were looked at, whatever then happened. */
      let payloadTaken = false;
      /** The final dot has been handed to the upstream connection. */
      let dotSent = false;
      /** Sends what the message's socket holds (see read()). */
      let releaseCork: (() => void) | undefined;
      /** Puts back nodemailer's command writer (see the SMTPUTF8 parameter below). */
      let restoreCommand: (() => void) | undefined;
      let hooks: RelayHooks = {};
      const finish = (result: UpstreamOutcome, reusable: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        releaseCork?.();
        restoreCommand?.();
        p.onFailure = undefined;
        // After the dot, a lost connection or a silence is not "nothing happened": the upstream
        // may have queued the message.
        const outcome: UpstreamOutcome = dotSent && result.kind === 'unreachable' ? { kind: 'unknown', reason: result.reason } : result;
        // Dropping the connection before the final dot makes the upstream discard the message.
        if (!reusable) discard(p);
        resolve({ outcome, reusable, beforeData: !dataStarted, payloadTaken });
      };
      let timer = setTimeout(() => finish({ kind: 'unreachable', reason: `ETIMEDOUT: no reply within ${timeoutMs} ms`, timedOut: true }, false), timeoutMs);
      const onDotSent = () => {
        releaseCork?.();
        if (settled || dotSent) return;
        dotSent = true;
        // From here the upstream decides: wait for its answer (longer than any shutdown grace)
        // instead of telling the client 4xx while the upstream may still say 250.
        clearTimeout(timer);
        timer = setTimeout(() => finish({ kind: 'unknown', reason: `ETIMEDOUT: no reply to the end of data within ${dataDoneTimeoutMs} ms` }, false), dataDoneTimeoutMs);
        hooks.onDataSent?.();
      };
      p.onFailure = (outcome) => finish(outcome, false);
      p.uses++;
      const conn = p.conn;
      let bytes: Uint8Array = EMPTY;
      let offset = -1;
      // The message goes out in views of UPSTREAM_WRITE_CHUNK_BYTES, with backpressure: one 25 MB
      // push would make nodemailer's dot-stuffing stream emit a second 25 MB copy.
      const pushNext = (stream: Readable) => {
        const end = Math.min(offset + UPSTREAM_WRITE_CHUNK_BYTES, bytes.byteLength);
        if (end > offset) stream.push(Buffer.from(bytes.buffer, bytes.byteOffset + offset, end - offset));
        offset = end;
        if (offset >= bytes.byteLength) stream.push(null);
      };
      // Every RCPT is answered and the upstream said 354: the last moment the message can still be
      // withdrawn. Runs once the payload is there too.
      const begin = (stream: Readable, given: Payload) => {
        if (settled) return;
        if ('cancelled' in given) {
          finish({ kind: 'withdrawn', reason: given.cancelled }, false);
          return;
        }
        payloadTaken = true;
        bytes = given.bytes;
        hooks = given.hooks;
        const state = (conn as unknown as { _envelope?: EnvelopeState })._envelope;
        if (!state || !Array.isArray(state.rejectedErrors)) {
          finish({ kind: 'unreachable', reason: 'EINTERNAL: cannot see the upstream RCPT replies (nodemailer changed); refusing to relay' }, false);
          return;
        }
        if (hooks.withdraw?.()) {
          finish({ kind: 'withdrawn', reason: 'the client disconnected before the message went upstream' }, false);
          return;
        }
        if (state.rejectedErrors.length > 0) {
          const rejected = rejectsOf(state.rejectedErrors);
          const first = rejected.find((r) => r.code >= 400 && r.code < 500) ?? rejected[0]!;
          finish({ kind: 'refused', stage: 'rcpt', code: first.code, response: first.response, rejected }, false);
          return;
        }
        dataStarted = true;
        // nodemailer's dot-stuffing stream ends once it has written the final dot.
        const dataStream = (conn as unknown as { _currentDataStream?: NodeJS.ReadableStream | false })._currentDataStream;
        if (dataStream) {
          // The message and the final dot in one segment (coalesce-writes.ts), released when
          // the dot is written. The socket is nodemailer's, read like _envelope above and left
          // alone if it is not there; a message in one view only.
          const socket = (conn as unknown as { _socket?: Writable })._socket;
          if (socket && typeof socket.cork === 'function' && bytes.byteLength <= UPSTREAM_WRITE_CHUNK_BYTES) releaseCork = corkUntilReleased(socket);
          dataStream.once('end', onDotSent);
        } else onDotSent();
        offset = 0;
        pushNext(stream);
      };
      let asked = false;
      const message = new Readable({
        read() {
          if (offset >= 0) return pushNext(this);
          // Called once nodemailer has every RCPT reply and the upstream said 354.
          if (asked) return;
          asked = true;
          payload.then((given) => begin(this, given));
        },
      });
      // The upstream's EHLO keywords and the command writer are nodemailer's, read like
      // _envelope above; without them nothing is sent.
      const internals = conn as unknown as { _supportedExtensions?: unknown; _sendCommand?: (str: string, logStr?: string) => void };
      const offered = internals._supportedExtensions;
      const sendCommand = internals._sendCommand;
      if (!Array.isArray(offered) || typeof sendCommand !== 'function') {
        finish({ kind: 'unreachable', reason: 'EINTERNAL: cannot see the upstream EHLO keywords (nodemailer changed); refusing to relay' }, false);
        return;
      }
      const missing = extensionMissing(envelope, declared.eightBit, declared.smtpUtf8, offered as string[]);
      if (missing) {
        // Nothing was sent: the session stays clean for the next transaction.
        finish(missing, true);
        return;
      }
      if (declared.smtpUtf8 && !NON_ASCII.test(envelope.mailFrom) && !envelope.rcptTo.some((r) => NON_ASCII.test(r))) {
        // nodemailer adds SMTPUTF8 only for a non-ASCII address; a message whose header alone is
        // UTF-8 (RFC 6532) needs it too. This transaction's MAIL FROM gets it; the writer is put
        // back when the transaction ends (finish).
        internals._sendCommand = (str: string, logStr?: string) => sendCommand.call(conn, /^MAIL FROM:/i.test(str) && !/ SMTPUTF8\b/i.test(str) ? `${str} SMTPUTF8` : str, logStr);
        restoreCommand = () => {
          internals._sendCommand = sendCommand;
        };
      }
      const env: { from: string; to: string[]; size?: number; use8BitMime: boolean } = { from: envelope.mailFrom, to: envelope.rcptTo, use8BitMime: declared.eightBit };
      if (declared.size !== undefined) env.size = declared.size;
      conn.send(env, message, (err, info) => {
        if (err) {
          const outcome = outcomeOfError(err as NodemailerError);
          // Refused at the final dot: the transaction is over and the session clean.
          finish(outcome, outcome.kind === 'refused' && outcome.stage === 'message');
          return;
        }
        const response = String(info.response ?? '').trim();
        const code = Number(response.slice(0, 3)) || 250;
        if (info.rejected && info.rejected.length > 0) {
          // Not reachable while the check in begin() works; kept so a partial delivery is never
          // reported as a full one.
          finish({ kind: 'refused', stage: 'rcpt', code: 550, response: `delivered to ${info.accepted.length} recipient(s) only`, rejected: rejectsOf((info as { rejectedErrors?: NodemailerError[] }).rejectedErrors) }, true);
          return;
        }
        finish({ kind: 'accepted', code, response }, true);
      });
    });

  const release = (p: Pooled) => {
    if (p.dead) return;
    if (closed || idle.length >= maxIdle || p.uses >= UPSTREAM_MAX_MESSAGES_PER_CONNECTION) {
      p.dead = true;
      p.conn.quit();
      return;
    }
    p.idleTimer = setTimeout(() => {
      const i = idle.indexOf(p);
      if (i !== -1) idle.splice(i, 1);
      p.dead = true;
      p.conn.quit();
    }, UPSTREAM_IDLE_CONNECTION_MS);
    p.idleTimer.unref();
    idle.push(p);
  };

  const take = (): Pooled | undefined => {
    for (;;) {
      const p = idle.pop();
      if (!p) return undefined;
      if (p.idleTimer) clearTimeout(p.idleTimer);
      if (!p.dead) return p;
    }
  };

  /** A connection for one transaction: a kept one, else a new one. */
  const acquire = async (): Promise<{ p: Pooled; reused: boolean } | UpstreamOutcome> => {
    const kept = take();
    if (kept) return { p: kept, reused: true };
    const opened = await open();
    return 'conn' in opened ? { p: opened, reused: false } : opened;
  };

  const relay = async (envelope: Envelope, bytes: Uint8Array, hooks: RelayHooks = {}): Promise<UpstreamOutcome> => {
    const got = await acquire();
    if (!('p' in got)) return got;
    let p = got.p;
    const declared: Declared = { eightBit: hasEightBit(bytes), smtpUtf8: hooks.smtpUtf8 === true, size: bytes.length };
    const payload = Promise.resolve<Payload>({ bytes, hooks });
    let attempt = await transact(p, envelope, declared, payload);
    if (got.reused && attempt.outcome.kind === 'unreachable' && attempt.beforeData) {
      // A kept connection the upstream had closed meanwhile: nothing was sent, try a new one.
      const opened = await open();
      if (!('conn' in opened)) return opened;
      p = opened;
      attempt = await transact(p, envelope, declared, payload);
    }
    if (attempt.reusable) release(p);
    return attempt.outcome;
  };

  let prepared = 0;

  const prepare = (envelope: Envelope, options: { size?: number } = {}): PreparedRelay | undefined => {
    if (closed || prepared >= UPSTREAM_MAX_PREPARED) return undefined;
    prepared++;
    let hand: (given: Payload) => void = () => {};
    const payload = new Promise<Payload>((resolve) => (hand = resolve));
    let given: Payload | undefined;
    const give = (g: Payload) => {
      if (given) return false;
      given = g;
      hand(g);
      return true;
    };
    const declared: Declared = { eightBit: false, smtpUtf8: false };
    if (options.size !== undefined) declared.size = options.size;
    // The transaction runs from now on; what came of it is read when the bytes are handed over.
    const attempt = (async (): Promise<{ attempt?: Attempt; opened?: UpstreamOutcome; reused: boolean }> => {
      try {
        const got = await acquire();
        if (!('p' in got)) return { opened: got, reused: false };
        if (given && 'cancelled' in given) {
          // Cancelled before anything was sent on the connection: it is still clean.
          release(got.p);
          return { reused: got.reused };
        }
        const a = await transact(got.p, envelope, declared, payload);
        if (a.reusable) release(got.p);
        return { attempt: a, reused: got.reused };
      } catch (err) {
        // Nobody may be waiting for this (a cancelled transaction): never an unhandled rejection.
        return { opened: { kind: 'unreachable', reason: `EINTERNAL: ${(err as Error).message}` }, reused: false };
      } finally {
        prepared--;
      }
    })();
    return {
      envelope,
      cancel(reason) {
        give({ cancelled: reason });
      },
      async relay(bytes, hooks = {}) {
        // 8-bit data needs BODY=8BITMIME, which this transaction's MAIL FROM did not say.
        if (hasEightBit(bytes) || !give({ bytes, hooks })) {
          give({ cancelled: 'the message went by another transaction' });
          return relay(envelope, bytes, hooks);
        }
        const r = await attempt;
        // The upstream could not be reached: relay() would open a connection the same way.
        if (r.opened) return r.opened;
        const a = r.attempt;
        if (!a) return relay(envelope, bytes, hooks);
        if (a.payloadTaken) {
          // A kept connection the upstream had closed meanwhile, as in relay(): nothing was sent.
          if (r.reused && a.outcome.kind === 'unreachable' && a.beforeData) return relay(envelope, bytes, hooks);
          return a.outcome;
        }
        // The transaction ended before the bytes came (refused at MAIL FROM, a timeout, the
        // connection lost): these bytes were never looked at there, so they go the usual way.
        return relay(envelope, bytes, hooks);
      },
    };
  };

  return {
    relay,
    prepare,
    close() {
      closed = true;
      for (const p of idle.splice(0)) {
        if (p.idleTimer) clearTimeout(p.idleTimer);
        p.dead = true;
        p.conn.quit();
      }
    },
  };
}

/** One message over a connection of its own. */
export async function relayToUpstream(target: UpstreamTarget, envelope: Envelope, bytes: Uint8Array, options: UpstreamOptions = {}): Promise<UpstreamOutcome> {
  const client = createUpstreamClient(target, { ...options, maxIdle: 0 });
  try {
    return await client.relay(envelope, bytes);
  } finally {
    client.close();
  }
}

/** Connects and says EHLO: is the upstream there? */
export async function probeUpstream(target: UpstreamTarget, timeoutMs: number = UPSTREAM_CONNECT_TIMEOUT_MS): Promise<{ ok: true } | { ok: false; reason: string }> {
  const SMTPConnection = await loadConnection();
  const conn: Connection = new SMTPConnection(connectionOptions(target, {}, timeoutMs, timeoutMs));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: { ok: true } | { ok: false; reason: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (r.ok) conn.quit();
      else conn.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `ETIMEDOUT: no greeting within ${timeoutMs} ms` }), timeoutMs);
    conn.on('error', (err: NodemailerError) => finish({ ok: false, reason: `${err.code ?? 'ERROR'}: ${err.message}` }));
    conn.connect((err) => (err ? finish({ ok: false, reason: `${(err as NodemailerError).code ?? 'ERROR'}: ${err.message}` }) : finish({ ok: true })));
  });
}
