// The relay adapter: hands finished message bytes to an SMTP server through nodemailer, with an
// explicit envelope. nodemailer neither reads recipients from a raw message nor strips its Bcc
// field, so callers pass `raw` bytes that are already safe and the envelope to use.
//
// Partial success is data, not an exception: recipients the server refused permanently come back
// in `rejected`. Failures of the whole transaction throw RelayError ('ERELAY') saying whether
// they are transient; transient ones (4xx replies, dropped or refused connections, timeouts) are
// retried here a bounded number of times with backoff before they are thrown.
//
// Except one: a connection lost (or silent) after the whole message was handed over. The final
// dot may have reached the server, which may have queued the message (RFC 1047), so a retry could
// deliver it twice. nodemailer reports that loss exactly as it reports one before MAIL FROM
// (ECONNECTION), so the adapter watches the message stream itself (see watchHandover) and throws
// a permanent RelayError with `outcomeUnknown` instead of retrying.

import { MailguardError } from '../errors.js';
import type { DsnRequest, Envelope } from '../message/envelope.js';
import type { MailguardConfig } from '../policy/config.js';

export interface RelayOptions {
  /** `smtp://host[:port]` or `smtps://host[:port]`, without credentials (see resolveSmtpSettings). */
  url: string;
  user?: string;
  pass?: string;
  /** Connections kept open at once (default 1). */
  pool?: number;
  /** At most this many messages started per second (default: no limit). */
  rateLimitPerSecond?: number;
  /** Connect and greeting timeout, in ms. */
  connectionTimeoutMs?: number;
  /** Delivery status notifications asked for on every message (sendmail -N, -R, -V); sent when the server offers DSN. */
  dsn?: DsnRequest;
  /** Extra attempts after a transient failure (default RELAY_DEFAULT_RETRIES). */
  retries?: number;
}

export interface DeliveryResult {
  accepted: string[];
  rejected: Array<{ address: string; response: string }>;
  /** The server's reply to the (last) DATA. */
  response: string;
}

export interface DeliverHooks {
  /** Called after each attempt with the recipients the server accepted in it, before any retry
   * or backoff for the others (send journals them here, so a crash during the retries of some
   * recipients does not resend the message to those already accepted). */
  onAccepted?: (accepted: string[], response: string) => Promise<void>;
}

export interface Relay {
  deliver(raw: Uint8Array, envelope: Envelope, hooks?: DeliverHooks): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** Extra attempts after a transient failure: enough to ride out a greylisting or restart blip,
 * bounded so a dead relay fails the run in seconds, not hours. */
export const RELAY_DEFAULT_RETRIES = 3;
/** First backoff delay; doubled on each further attempt (250, 500, 1000 ms). */
export const RELAY_RETRY_BASE_DELAY_MS = 250;
/** Upper bound of one backoff delay. */
export const RELAY_RETRY_MAX_DELAY_MS = 10_000;
/** Connect and greeting timeout unless given: nodemailer's 2 minutes is too long for a CLI. */
export const RELAY_DEFAULT_CONNECTION_TIMEOUT_MS = 30_000;
/** Inactivity on an open connection (e.g. waiting for the reply to DATA). */
export const RELAY_SOCKET_TIMEOUT_MS = 120_000;
/** Connections one relay may open at once; more only burdens the server. */
export const RELAY_MAX_POOL = 32;
/** send keeps going through failures (a flaky relay that drops 3% of connections still accepts
 * most messages) and stops only once the relay has accepted nothing for this long. */
export const RELAY_GIVE_UP_AFTER_MS = 10_000;
/** Before the relay has accepted anything, this many messages in a row failing without an answer
 * (each after its retries) end the run at once: the relay is not there, not flaky. */
export const RELAY_DEAD_AFTER_MESSAGES = 3;

/** A relay failure. `transient`: worth retrying later (4xx, connection); else permanent (5xx). */
export class RelayError extends MailguardError {
  readonly transient: boolean;
  /** The SMTP reply code, when the server answered (421, 451, 550 ...). */
  readonly responseCode: number | undefined;
  /** The server's reply line, when it answered. */
  readonly response: string | undefined;
  /** The message was handed over but no reply came: the server may have accepted it. Never retried. */
  readonly outcomeUnknown: boolean;

  constructor(message: string, details: { transient: boolean; responseCode?: number; response?: string; hint?: string; cause?: unknown; outcomeUnknown?: boolean }) {
    const options: { hint?: string; cause?: unknown } = {};
    if (details.hint !== undefined) options.hint = details.hint;
    if (details.cause !== undefined) options.cause = details.cause;
    super('ERELAY', message, options);
    this.name = 'RelayError';
    this.transient = details.transient;
    this.responseCode = details.responseCode;
    this.response = details.response;
    this.outcomeUnknown = details.outcomeUnknown === true;
  }
}

/** TLS certificate failures, by Node's error text and codes. */
const CERTIFICATE_PROBLEM = /certificate|CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT|Hostname\/IP does not match/i;

/** Connection-level error codes of nodemailer that a later attempt may not meet. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  recipient?: string;
  rejectedErrors?: NodemailerError[];
}

/** Classifies a nodemailer error. Exported for the proxy and sendmail, which meet the same errors. */
export function toRelayError(err: unknown, where: string): RelayError {
  if (err instanceof RelayError) return err;
  const e = err as NodemailerError;
  const code = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  // A refused certificate is not a blip: retrying meets the same certificate.
  const tls = e?.code === 'ETLS' || CERTIFICATE_PROBLEM.test(`${e?.message ?? ''} ${(e?.cause as NodemailerError | undefined)?.code ?? ''}`);
  const transient = tls ? false : code !== undefined ? code >= 400 && code < 500 : TRANSIENT_CODES.has(e?.code ?? '') || TRANSIENT_CODES.has((e?.cause as NodemailerError | undefined)?.code ?? '');
  const details: ConstructorParameters<typeof RelayError>[1] = { transient, cause: err };
  if (code !== undefined) details.responseCode = code;
  if (e?.response) details.response = e.response;
  const reply = e?.response ? `: ${e.response}` : e?.message ? `: ${e.message}` : '';
  if (e?.code === 'EAUTH') details.hint = 'Check the user and password (MAILGUARD_SMTP_USER, MAILGUARD_SMTP_PASS).';
  else if (tls) details.hint = "The relay's TLS certificate was refused. Fix it on the relay; for a test relay only, add ?tls.rejectUnauthorized=false to the URL.";
  else if (transient && code === undefined) details.hint = 'Is the relay running and reachable? Check the host and port of the SMTP URL.';
  return new RelayError(`${where} ${transient ? 'failed for now' : 'failed'}${e?.command ? ` at ${e.command}` : ''}${reply}`, details);
}

/** The URL without user and password, for messages. */
export function describeRelay(options: Pick<RelayOptions, 'url' | 'user'>): string {
  return `${redactUrl(options.url)}${options.user ? ` (as ${options.user})` : ''}`;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable SMTP URL)';
  }
}

/**
 * The relay to use: the --smtp flag, else MAILGUARD_SMTP_URL, else the config file's `smtp`.
 * Credentials in the URL win; MAILGUARD_SMTP_USER / MAILGUARD_SMTP_PASS fill in what it lacks.
 * The returned `url` carries no credentials, so it is safe to print. Throws EUSAGE when no relay
 * is configured or the URL is not an smtp:// or smtps:// URL; the password is never echoed.
 */
export function resolveSmtpSettings(flag: string | undefined, config: MailguardConfig, env: NodeJS.ProcessEnv): RelayOptions {
  const source = flag !== undefined ? '--smtp' : env.MAILGUARD_SMTP_URL ? 'MAILGUARD_SMTP_URL' : config.smtp !== undefined ? 'the configuration file ("smtp")' : undefined;
  const raw = flag ?? (env.MAILGUARD_SMTP_URL || undefined) ?? config.smtp;
  if (raw === undefined || source === undefined) {
    throw new MailguardError('EUSAGE', 'no SMTP relay given.', {
      hint: 'Pass --smtp smtp://host:587, set MAILGUARD_SMTP_URL, or add "smtp" to the configuration file. Credentials: MAILGUARD_SMTP_USER and MAILGUARD_SMTP_PASS.',
    });
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new MailguardError('EUSAGE', `the SMTP relay from ${source} is not a URL.`, { hint: 'Write it as smtp://host:port or smtps://host:port (465).' });
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new MailguardError('EUSAGE', `the SMTP relay from ${source} must start with smtp:// or smtps:// (got ${u.protocol}//).`, {
      hint: 'smtp:// uses STARTTLS when the server offers it; smtps:// is TLS from the start (port 465).',
    });
  }
  if (!u.hostname) throw new MailguardError('EUSAGE', `the SMTP relay from ${source} names no host.`, { hint: 'Write it as smtp://host:port.' });
  const user = u.username ? decodeURIComponent(u.username) : env.MAILGUARD_SMTP_USER || undefined;
  const pass = u.password ? decodeURIComponent(u.password) : env.MAILGUARD_SMTP_PASS || undefined;
  if (pass !== undefined && user === undefined) {
    throw new MailguardError('EUSAGE', 'an SMTP password is given but no user.', { hint: 'Set MAILGUARD_SMTP_USER, or put user:password@ in the URL.' });
  }
  u.username = '';
  u.password = '';
  const options: RelayOptions = { url: u.toString().replace(/\/$/, '') };
  if (user !== undefined) options.user = user;
  if (pass !== undefined) options.pass = pass;
  return options;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Spaces message starts at least 1/rate seconds apart, across concurrent callers. */
function createRateLimiter(perSecond: number | undefined): () => Promise<void> {
  if (!perSecond || perSecond <= 0) return async () => {};
  const interval = 1000 / perSecond;
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + interval;
    if (at > now) await sleep(at - now);
  };
}

interface SendInfo {
  accepted?: Array<string | { address: string }>;
  rejected?: Array<string | { address: string }>;
  rejectedErrors?: NodemailerError[];
  response?: string;
}

const plain = (a: string | { address: string }): string => (typeof a === 'string' ? a : a.address);

interface Outcome {
  accepted: string[];
  rejected: Array<{ address: string; response: string; transient: boolean }>;
  response: string;
}

/** nodemailer's result with each refused recipient's reply and whether it was a 4xx. */
function readInfo(info: SendInfo): Outcome {
  const errors = new Map((info.rejectedErrors ?? []).map((r) => [r.recipient ?? '', r]));
  return {
    accepted: (info.accepted ?? []).map(plain),
    rejected: (info.rejected ?? []).map(plain).map((address) => {
      const r = errors.get(address);
      const code = r?.responseCode;
      return { address, response: r?.response ?? r?.message ?? 'refused', transient: code !== undefined && code >= 400 && code < 500 };
    }),
    response: info.response ?? '',
  };
}

/** Opens a (pooled) SMTP relay. nodemailer is loaded here, not before. */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const nodemailer = (await import('nodemailer')).default;
  const pool = Math.min(Math.max(1, options.pool ?? 1), RELAY_MAX_POOL);
  const retries = Math.max(0, options.retries ?? RELAY_DEFAULT_RETRIES);
  const timeout = options.connectionTimeoutMs ?? RELAY_DEFAULT_CONNECTION_TIMEOUT_MS;
  const transportOptions: Record<string, unknown> = {
    url: options.url,
    pool: true,
    maxConnections: pool,
    // Retries happen in one place (below, with backoff), not also inside the pool.
    maxRequeues: 0,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: RELAY_SOCKET_TIMEOUT_MS,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (options.user !== undefined) transportOptions.auth = { user: options.user, pass: options.pass ?? '' };
  const transport = nodemailer.createTransport(transportOptions as Parameters<typeof nodemailer.createTransport>[0]);
  const waitTurn = createRateLimiter(options.rateLimitPerSecond);
  const where = `relaying through ${describeRelay(options)}`;

  transport.use('stream', watchHandover);

  // nodemailer's names: notify, ret, envid (it writes NOTIFY on every RCPT TO, RET and ENVID on MAIL FROM).
  const asked = options.dsn;
  const dsn = asked && (asked.notify || asked.ret || asked.envid) ? { ...(asked.notify ? { notify: asked.notify } : {}), ...(asked.ret ? { ret: asked.ret } : {}), ...(asked.envid ? { envid: asked.envid } : {}) } : undefined;
  const attempt = async (raw: Uint8Array, mailFrom: string, rcptTo: string[], handover: Handover): Promise<SendInfo> => {
    await waitTurn();
    return (await transport.sendMail({
      raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
      envelope: { from: mailFrom, to: rcptTo },
      ...(dsn ? { dsn } : {}),
      [HANDOVER_KEY]: handover,
    } as Parameters<typeof transport.sendMail>[0])) as SendInfo;
  };

  return {
    async deliver(raw, envelope, hooks = {}) {
      if (envelope.rcptTo.length === 0) throw new RelayError(`${where}: the message has no recipients.`, { transient: false });
      const accepted: string[] = [];
      const refused: DeliveryResult['rejected'] = [];
      let pending = [...new Set(envelope.rcptTo)];
      let response = '';
      for (let n = 0; ; n++) {
        let outcome: Outcome | RelayError;
        const handover: Handover = { complete: false };
        try {
          outcome = readInfo(await attempt(raw, envelope.mailFrom, pending, handover));
        } catch (err) {
          const e = err as NodemailerError;
          // Every recipient refused at RCPT: per-recipient results, not a failed transaction.
          if (e?.code === 'EENVELOPE' && e.command === 'RCPT TO' && e.rejectedErrors?.length) {
            outcome = readInfo({ accepted: [], rejected: e.rejectedErrors.map((r) => r.recipient ?? ''), rejectedErrors: e.rejectedErrors, response: '' });
          } else if (handover.complete && typeof e?.responseCode !== 'number') {
            // The whole message went out and no reply came: it may have been delivered.
            outcome = new RelayError(`${where}: the connection was lost after the whole message was sent, before the server's reply (${e?.code ?? 'ERROR'}: ${e?.message ?? String(err)}); the server may have accepted it, so it was not sent again`, {
              transient: false,
              outcomeUnknown: true,
              cause: err,
              hint: "Look in the relay's log (or a recipient's mailbox) before sending it again: a second attempt could deliver it twice.",
            });
          } else {
            outcome = toRelayError(err, where);
          }
        }
        if (outcome instanceof RelayError) {
          if (outcome.transient && n < retries) {
            await sleep(backoff(n));
            continue;
          }
          // Nothing settled yet: the whole delivery failed.
          if (accepted.length === 0 && refused.length === 0) throw outcome;
          // Some recipients are settled already: the rest are reported refused, not retried twice.
          refused.push(...pending.map((address) => ({ address, response: outcome.response ?? outcome.message })));
          break;
        }
        accepted.push(...outcome.accepted);
        if (outcome.response) response = outcome.response;
        if (outcome.accepted.length > 0) await hooks.onAccepted?.(outcome.accepted, outcome.response);
        refused.push(...outcome.rejected.filter((r) => !r.transient).map(({ address, response: reply }) => ({ address, response: reply })));
        const deferred = outcome.rejected.filter((r) => r.transient);
        if (deferred.length === 0) break;
        if (n >= retries) {
          refused.push(...deferred.map(({ address, response: reply }) => ({ address, response: reply })));
          break;
        }
        // Only the deferred recipients get another attempt: nobody receives the message twice.
        pending = deferred.map((r) => r.address);
        await sleep(backoff(n));
      }
      return { accepted, rejected: refused, response };
    },
    async close() {
      transport.close();
    },
  };
}

/** What one attempt handed to the SMTP connection. */
interface Handover {
  /** The connection read the whole message: the final dot follows it at once. */
  complete: boolean;
}

/** The sendMail option that carries an attempt's Handover to watchHandover (nodemailer keeps
 * unknown options on mail.data). */
const HANDOVER_KEY = 'mailguardHandover';

interface StreamPluginMail {
  data: object;
  message: { processFunc(fn: (input: NodeJS.ReadableStream) => NodeJS.ReadableStream): void };
}

/**
 * A nodemailer 'stream' plugin: marks the attempt's Handover complete when the SMTP connection
 * has read the last byte of the message. The message stream is read only after the server's 354,
 * by the data stream that writes the final dot as soon as it ends; so this 'end' (the consumer
 * side) is the moment the dot goes out. The stages before it end earlier: they fill their buffers
 * before anyone reads, which is why nodemailer's own raw stream cannot tell.
 */
function watchHandover(mail: StreamPluginMail, done: (err?: Error | null) => void): void {
  const handover = (mail.data as Record<string, unknown>)[HANDOVER_KEY] as Handover | undefined;
  if (handover) {
    mail.message.processFunc((input) => {
      input.once('end', () => {
        handover.complete = true;
      });
      return input;
    });
  }
  done();
}

function backoff(attempt: number): number {
  return Math.min(RELAY_RETRY_BASE_DELAY_MS * 2 ** attempt, RELAY_RETRY_MAX_DELAY_MS);
}
