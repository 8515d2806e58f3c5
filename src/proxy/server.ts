// The SMTP proxy: receives with smtp-server, checks every message with the core, relays what
// passes to the upstream with the original envelope, and answers the client only with what the
// upstream said. It fails closed: no 250 unless the upstream took the message.

import { isIP } from 'node:net';
import type { SMTPServer as SMTPServerType, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { MailguardError } from '../errors.js';
import type { Envelope } from '../message/envelope.js';
import { createPolicy, type Policy } from '../policy/policy.js';
import { maskAddress } from '../report/redact.js';
import { verifyPassword, type AuthUsers } from './auth-file.js';
import { DataGuard } from './data-guard.js';
import { assertOnViolation } from '../decide/index.js';
import { decideMessage, PROXY_MODES, type Decision, type ViolationAction } from './decide.js';
import {
  MAX_LOGGED_RECIPIENTS,
  PROXY_IDLE_TIMEOUT_MS,
  PROXY_MAX_CLIENTS,
  PROXY_MAX_HEADER_BYTES,
  PROXY_MAX_MESSAGE_BYTES,
  PROXY_MAX_RECIPIENTS,
  PROXY_SESSION_TIMEOUT_MS,
  PROXY_SHUTDOWN_GRACE_MS,
  UPSTREAM_TRANSACTION_TIMEOUT_MS,
} from './limits.js';
import { REPLIES, replyLine, upstreamReply, type SmtpReply } from './replies.js';
import { createUpstreamClient, parseUpstreamUrl, probeUpstream, type UpstreamOutcome, type UpstreamTarget } from './upstream.js';

/** While the upstream is known to be down, MAIL FROM re-checks it at most this often. */
const UPSTREAM_RECHECK_MS = 2000;

export interface ProxyOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 picks a free one. Default 2525. */
  port?: number;
  /** `smtp://host:port` of the real relay. */
  upstream: string | UpstreamTarget;
  policy: Policy;
  onViolation?: ViolationAction;
  /** AUTH users; when given, AUTH is required before MAIL FROM. */
  auth?: AuthUsers;
  /** Accept unauthenticated clients on a non-loopback address (logged as a warning). */
  allowUnauthenticated?: boolean;
  /** STARTTLS key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  maxMessageBytes?: number;
  maxRecipients?: number;
  maxHeaderBytes?: number;
  idleTimeoutMs?: number;
  sessionTimeoutMs?: number;
  upstreamTimeoutMs?: number;
  shutdownGraceMs?: number;
  /** Log full addresses instead of masked ones. */
  logAddresses?: boolean;
  /** Receives one event per transaction, and warnings and state changes. */
  log?: (event: ProxyEvent) => void;
  /** Name in the greeting and EHLO. */
  name?: string;
  /** Apply the rules of a non-loopback listener even on a loopback address (for tests). */
  treatAsPublic?: boolean;
}

export interface TransactionEvent {
  event: 'transaction';
  time: string;
  session: string;
  client: string;
  user?: string;
  from: string;
  recipients: number;
  to: string[];
  size: number;
  verdict: string;
  findings: string[];
  action: 'relayed' | 'rewritten-bcc' | 'split' | 'blocked' | 'rejected' | 'deferred' | 'refused-upstream' | 'aborted';
  reply: string;
  upstream?: string;
  parts?: number;
  durationMs: number;
}

export type ProxyEvent =
  | TransactionEvent
  | { event: 'listening'; time: string; address: string; upstream: string; onViolation: ViolationAction; auth: boolean; tls: boolean }
  | { event: 'warning'; time: string; message: string }
  | { event: 'upstream'; time: string; state: 'up' | 'down'; detail?: string }
  | { event: 'stopping'; time: string; inFlight: number }
  | { event: 'stopped'; time: string };

export interface ProxyServer {
  host: string;
  port: number;
  upstream: UpstreamTarget;
  /** Stops accepting, lets transactions in flight finish, closes idle sessions with 421. */
  stop(): Promise<void>;
}

/** smtp-server's connection object, as far as the proxy uses it. */
interface ConnectionHandle {
  id: string;
  send(code: number, text: string): void;
  close(): void;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

const now = () => new Date().toISOString();

/** Findings that always block in the proxy: what mail software reads in different ways is never
 * relayed, whatever the configuration says for reports. */
const ALWAYS_BLOCK = ['AMBIGUOUS_RECIPIENT', 'MALFORMED_HEADER'] as const;

/** The policy with ALWAYS_BLOCK set to error, and the codes the configuration had relaxed. */
export function proxyPolicy(policy: Policy): { policy: Policy; relaxed: string[] } {
  const relaxed = ALWAYS_BLOCK.filter((code) => policy.rules[code] !== undefined && policy.rules[code] !== 'error');
  const rules = { ...policy.rules };
  for (const code of ALWAYS_BLOCK) rules[code] = 'error';
  return { policy: createPolicy({ ...policy, rules }), relaxed };
}

function smtpError(r: SmtpReply): Error {
  return Object.assign(new Error(r.text), { responseCode: r.code });
}

/** Checks the listen, AUTH and TLS combination before anything is bound: no open relay. */
export function checkListenPolicy(o: { host: string; auth: boolean; tls: boolean; allowUnauthenticated: boolean; treatAsPublic?: boolean }): { warnings: string[] } {
  const loopback = isLoopbackHost(o.host) && !o.treatAsPublic;
  if (loopback) return { warnings: [] };
  if (!o.auth && !o.allowUnauthenticated) {
    throw new MailguardError('EUSAGE', `refusing to listen on ${o.host} without authentication: anyone who can reach it could relay mail.`, {
      hint: 'Listen on 127.0.0.1 (the default), give --auth-file with --tls-key/--tls-cert, or accept the risk with --allow-unauthenticated (for a firewalled network).',
    });
  }
  if (o.auth && !o.tls) {
    throw new MailguardError('EUSAGE', `AUTH on ${o.host} needs TLS: passwords would cross the network in clear text.`, { hint: 'Give --tls-key and --tls-cert (STARTTLS), or listen on 127.0.0.1.' });
  }
  return { warnings: o.auth ? [] : [`accepting unauthenticated clients on ${o.host} (--allow-unauthenticated): make sure only trusted hosts can reach this port`] };
}

export async function startProxy(options: ProxyOptions): Promise<ProxyServer> {
  const host = options.host ?? '127.0.0.1';
  const upstream = typeof options.upstream === 'string' ? parseUpstreamUrl(options.upstream) : options.upstream;
  const onViolation = options.onViolation ?? 'block';
  assertOnViolation(onViolation, options.policy, { name: 'mailguard proxy', modes: PROXY_MODES });
  const log = options.log ?? (() => {});
  const { warnings } = checkListenPolicy({ host, auth: !!options.auth, tls: !!options.tls, allowUnauthenticated: !!options.allowUnauthenticated, treatAsPublic: options.treatAsPublic ?? false });
  const loopback = isLoopbackHost(host) && !options.treatAsPublic;
  const maxMessageBytes = options.maxMessageBytes ?? PROXY_MAX_MESSAGE_BYTES;
  const maxRecipients = options.maxRecipients ?? PROXY_MAX_RECIPIENTS;
  const maxHeaderBytes = options.maxHeaderBytes ?? PROXY_MAX_HEADER_BYTES;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? PROXY_SESSION_TIMEOUT_MS;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? UPSTREAM_TRANSACTION_TIMEOUT_MS;
  const { policy, relaxed } = proxyPolicy(options.policy);
  if (relaxed.length > 0) warnings.push(`${relaxed.join(' and ')} always block in the proxy (the configuration relaxes them for reports only)`);
  const mask = (a: string) => (options.logAddresses ? a : a ? maskAddress(a) : '<>');

  const { SMTPServer } = await import('smtp-server');
  const upstreamClient = createUpstreamClient(upstream, { timeoutMs: upstreamTimeoutMs, ...(options.name ? { name: options.name } : {}) });

  /** Sessions with a message between DATA and the reply. */
  const busy = new Set<string>();
  /** Sessions to close once their transaction is answered. */
  const closeAfterReply = new Map<string, SmtpReply>();
  const sessionTimers = new Map<string, NodeJS.Timeout>();
  let stopping = false;
  let upstreamState: 'unknown' | 'up' | 'down' = 'unknown';
  let lastProbe = 0;
  let probing: Promise<void> | undefined;

  const setUpstreamState = (state: 'up' | 'down', detail?: string) => {
    if (state === upstreamState) return;
    const wasUnknown = upstreamState === 'unknown';
    upstreamState = state;
    if (state === 'down') {
      log({ event: 'warning', time: now(), message: `upstream ${upstream.display} not reachable (${detail ?? 'no answer'}); answering 451 until it is back` });
      log({ event: 'upstream', time: now(), state, ...(detail ? { detail } : {}) });
    } else if (!wasUnknown) {
      log({ event: 'upstream', time: now(), state });
    }
  };

  const recheckUpstream = (): Promise<void> => {
    if (probing) return probing;
    lastProbe = Date.now();
    probing = probeUpstream(upstream, Math.min(upstreamTimeoutMs, 5000)).then((r) => {
      probing = undefined;
      setUpstreamState(r.ok ? 'up' : 'down', r.ok ? undefined : r.reason);
    });
    return probing;
  };

  let smtp!: SMTPServerType;
  const connections = (): ConnectionHandle[] => [...((smtp as unknown as { connections: Set<ConnectionHandle> }).connections ?? [])];
  const connectionOf = (id: string) => connections().find((c) => c.id === id);
  const closeWith = (id: string, r: SmtpReply) => {
    const c = connectionOf(id);
    if (c) c.send(r.code, r.text); // 421 closes the connection
  };

  const serverOptions: SMTPServerOptions = {
    banner: 'mailguard proxy',
    logger: false,
    disableReverseLookup: true,
    size: maxMessageBytes,
    hideENHANCEDSTATUSCODES: true,
    hideDSN: true,
    hideSTARTTLS: !options.tls,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !options.auth,
    allowInsecureAuth: loopback,
    disabledCommands: options.auth ? [] : ['AUTH'],
    socketTimeout: options.idleTimeoutMs ?? PROXY_IDLE_TIMEOUT_MS,
    closeTimeout: options.shutdownGraceMs ?? PROXY_SHUTDOWN_GRACE_MS,
    maxClients: PROXY_MAX_CLIENTS,
    onConnect(session, callback) {
      if (stopping) return callback(smtpError(REPLIES.shuttingDown()));
      const timer = setTimeout(() => {
        if (busy.has(session.id)) closeAfterReply.set(session.id, REPLIES.sessionTooLong());
        else closeWith(session.id, REPLIES.sessionTooLong());
      }, sessionTimeoutMs);
      timer.unref();
      sessionTimers.set(session.id, timer);
      callback();
    },
    onClose(session) {
      const t = sessionTimers.get(session.id);
      if (t) clearTimeout(t);
      sessionTimers.delete(session.id);
      closeAfterReply.delete(session.id);
      busy.delete(session.id);
    },
    onAuth(auth, session, callback) {
      if (!options.auth) return callback(smtpError({ code: 502, text: '5.5.1 AUTH not available' }));
      if (!loopback && !session.secure) return callback(smtpError({ code: 538, text: '5.7.11 Encryption required: issue STARTTLS first' }));
      const user = auth.username ?? '';
      verifyPassword(options.auth, user, auth.password ?? '').then(
        (ok) => (ok ? callback(null, { user }) : callback(smtpError({ code: 535, text: '5.7.8 Authentication credentials invalid' }))),
        () => callback(smtpError(REPLIES.internalError())),
      );
    },
    onMailFrom(address, session, callback) {
      if (stopping) return callback(smtpError(REPLIES.shuttingDown()));
      if (upstreamState !== 'down') return callback();
      // Known down: look again (at most every UPSTREAM_RECHECK_MS) before taking a message.
      const started = Date.now();
      const check = Date.now() - lastProbe >= UPSTREAM_RECHECK_MS ? recheckUpstream() : (probing ?? Promise.resolve());
      check.then(() => {
        if (upstreamState !== 'down') return callback();
        const r = REPLIES.upstreamDown();
        logTransaction(session, { mailFrom: address.address, rcptTo: [] }, 0, started, { verdict: 'unchecked', findings: [], action: 'deferred', reply: replyLine(r), upstream: 'down' });
        callback(smtpError(r));
      });
    },
    onRcptTo(_address, session, callback) {
      if (session.envelope.rcptTo.length >= maxRecipients) return callback(smtpError(REPLIES.tooManyRecipients(maxRecipients)));
      callback();
    },
    onData(stream, session, callback) {
      const started = Date.now();
      busy.add(session.id);
      const guard = new DataGuard(maxMessageBytes);
      const envelope: Envelope = {
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
      };
      let ended = false;
      stream.on('data', (chunk: Buffer) => guard.push(chunk));
      stream.on('error', () => {
        // The client went away mid-message: nothing to answer, nothing relayed.
        if (ended) return;
        ended = true;
        busy.delete(session.id);
        logTransaction(session, envelope, guard.bytes, started, { verdict: 'incomplete', findings: [], action: 'aborted', reply: 'client disconnected during DATA' });
      });
      stream.on('end', () => {
        if (ended) return;
        ended = true;
        handleMessage(guard, envelope).then(
          (done) => {
            logTransaction(session, envelope, guard.bytes, started, done);
            respond(session, callback, done.replyObj);
          },
          () => {
            const r = REPLIES.internalError();
            logTransaction(session, envelope, guard.bytes, started, { verdict: 'error', findings: [], action: 'deferred', reply: replyLine(r) });
            respond(session, callback, r);
          },
        );
      });
    },
  };
  if (options.tls) {
    serverOptions.key = options.tls.key;
    serverOptions.cert = options.tls.cert;
  }
  if (options.name) serverOptions.name = options.name;

  interface Handled {
    verdict: string;
    findings: string[];
    action: TransactionEvent['action'];
    reply: string;
    upstream?: string;
    parts?: number;
    replyObj?: SmtpReply;
  }

  const respond = (session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void, r: SmtpReply | undefined) => {
    busy.delete(session.id);
    const reply = r ?? REPLIES.internalError();
    if (reply.code >= 200 && reply.code < 300) callback(null, reply.text);
    else callback(smtpError(reply));
    const after = stopping ? REPLIES.shuttingDown() : closeAfterReply.get(session.id);
    if (after) setImmediate(() => closeWith(session.id, after));
  };

  const describeOutcome = (o: UpstreamOutcome): string => (o.kind === 'unreachable' ? `unreachable: ${o.reason}` : `${o.code} ${o.response}`.replace(/^(\d{3}) \1 /, '$1 '));

  const handleMessage = async (guard: DataGuard, envelope: Envelope): Promise<Handled> => {
    const decision: Decision = decideMessage(guard, envelope, { policy, onViolation, maxHeaderBytes });
    const codes = decision.findings.map((f) => f.code);
    if (decision.kind === 'reject') {
      return { verdict: decision.verdict, findings: codes, action: decision.action, reply: replyLine(decision.reply), replyObj: decision.reply };
    }
    let last: UpstreamOutcome | undefined;
    let delivered = 0;
    for (const part of decision.parts) {
      const outcome = await upstreamClient.relay(part.envelope, part.bytes);
      last = outcome;
      if (outcome.kind === 'unreachable') setUpstreamState('down', outcome.reason);
      else setUpstreamState('up');
      if (outcome.kind === 'refused' && (outcome.stage === 'auth' || outcome.stage === 'other')) {
        log({ event: 'warning', time: now(), message: `upstream ${upstream.display} refused the proxy's session (${outcome.code} ${outcome.response}); check --upstream` });
      }
      if (outcome.kind !== 'accepted') break;
      delivered++;
    }
    const outcome = last!;
    let reply = upstreamReply(outcome, envelope.rcptTo.length);
    if (outcome.kind !== 'accepted' && delivered > 0) {
      // Part of a split went out: a retry would deliver those copies twice, so the failure is
      // permanent and says who got the message.
      reply = { code: 550, text: `5.3.0 Delivered ${delivered} of ${decision.partCount} split copies, then: ${reply.code} ${reply.text}`.slice(0, 400) };
    }
    const action: TransactionEvent['action'] = outcome.kind === 'accepted' ? decision.action : reply.code < 500 ? 'deferred' : 'refused-upstream';
    const handled: Handled = { verdict: decision.verdict, findings: codes, action, reply: replyLine(reply), upstream: describeOutcome(outcome), replyObj: reply };
    if (decision.partCount > 1) handled.parts = decision.partCount;
    return handled;
  };

  const logTransaction = (session: SMTPServerSession, envelope: Envelope, size: number, started: number, h: Omit<Handled, 'replyObj'>) => {
    const event: TransactionEvent = {
      event: 'transaction',
      time: now(),
      session: session.id,
      client: session.remoteAddress,
      from: mask(envelope.mailFrom),
      recipients: envelope.rcptTo.length,
      to: envelope.rcptTo.slice(0, MAX_LOGGED_RECIPIENTS).map(mask),
      size,
      verdict: h.verdict,
      findings: h.findings,
      action: h.action,
      reply: h.reply,
      durationMs: Date.now() - started,
    };
    const user = session.user as unknown;
    if (typeof user === 'string') event.user = user;
    if (h.upstream !== undefined) event.upstream = h.upstream;
    if (h.parts !== undefined) event.parts = h.parts;
    log(event);
  };

  smtp = new SMTPServer(serverOptions);
  // Before listening, an error (EADDRINUSE) is the one "cannot listen" error below, not also a warning.
  let listening = false;
  smtp.on('error', (err: Error) => {
    if (listening) log({ event: 'warning', time: now(), message: `smtp: ${err.message}` });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new MailguardError('EUSAGE', `cannot listen on ${host}:${options.port ?? 2525}: ${err.message}`, { cause: err }));
    smtp.server.once('error', onError);
    smtp.listen(options.port ?? 2525, host, () => {
      smtp.server.removeListener('error', onError);
      listening = true;
      resolve();
    });
  });
  const address = smtp.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 2525);

  for (const message of warnings) log({ event: 'warning', time: now(), message });
  log({ event: 'listening', time: now(), address: `${host}:${port}`, upstream: upstream.display, onViolation, auth: !!options.auth, tls: !!options.tls });
  // Listening does not wait for the upstream: while it is down, clients get 451 and retry.
  await recheckUpstream();

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= new Promise<void>((resolve) => {
      stopping = true;
      log({ event: 'stopping', time: now(), inFlight: busy.size });
      smtp.close(() => {
        for (const t of sessionTimers.values()) clearTimeout(t);
        upstreamClient.close();
        log({ event: 'stopped', time: now() });
        resolve();
      });
      // Idle sessions are told now; busy ones after their reply (see respond).
      for (const c of connections()) if (!busy.has(c.id)) c.send(421, REPLIES.shuttingDown().text);
    });
    return stopped;
  };

  return { host, port, upstream, stop };
}
