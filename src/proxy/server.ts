// The SMTP proxy's listener: receives with smtp-server, admits and closes sessions (connection
// limits, idle sessions, shutdown) and hands each session's work to session.ts, which checks every
// message with the core, relays what passes to the upstream with the original envelope, and
// answers the client only with what the upstream said. It fails closed: no 250 unless the
// upstream took the message, and no 4xx while the upstream may still take it.

import { isIP, type Socket } from 'node:net';
import type { SMTPServer as SMTPServerType, SMTPServerOptions } from 'smtp-server';
import { MailguardError } from '../errors.js';
import type { Policy } from '../policy/policy.js';
import { DEFAULT_PROFILE } from '../policy/config.js';
import { bindOnViolation, createProfiles, type Profiles } from '../policy/profiles.js';
import { maskAddress, maskParty, maskText } from '../report/redact.js';
import { verifyPassword, type AuthUsers } from './auth-file.js';
import { assertOnViolation, relaxedUnreadableRules } from '../decide/index.js';
import { PROXY_MODES, type ViolationAction } from './decide.js';
import { coalesceRepliesPerChunk } from './coalesce-writes.js';
import { createDeliveredCopies } from './delivered-copies.js';
import {
  PROXY_IDLE_BEFORE_MAIL_MS,
  PROXY_IDLE_TIMEOUT_MS,
  PROXY_MAX_BYTES_IN_FLIGHT,
  PROXY_MAX_CLIENTS,
  PROXY_MAX_CONNECTIONS_PER_IP,
  PROXY_MAX_HEADER_BYTES,
  PROXY_MAX_MESSAGE_BYTES,
  PROXY_MAX_RECIPIENTS,
  PROXY_SESSION_TIMEOUT_MS,
  PROXY_SHUTDOWN_GRACE_MS,
  UPSTREAM_DATA_DONE_TIMEOUT_MS,
  UPSTREAM_TRANSACTION_TIMEOUT_MS,
} from './limits.js';
import { REPLIES, type SmtpReply } from './replies.js';
import { checkMailFrom, checkRcptTo, createByteBudget, logTransaction, ProxySession, receiveData, smtpError, type SessionContext, type TransactionEvent } from './session.js';
import { createUpstreamClient, parseUpstreamUrl, probeUpstream, type UpstreamTarget } from './upstream.js';
import { logTime as now } from '../report/log-time.js';

export type { TransactionEvent } from './session.js';

/** While the upstream is known to be down, MAIL FROM re-checks it at most this often. */
const UPSTREAM_RECHECK_MS = 2000;

export interface ProxyOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 picks a free one. Default 2525. */
  port?: number;
  /** `smtp://host:port` of the real relay. */
  upstream: string | UpstreamTarget;
  /** The top-level policy (the `default` profile's). */
  policy: Policy;
  onViolation?: ViolationAction;
  /** Profiles (configuration `profiles`): the sender's is resolved per message, by AUTH user, MAIL FROM, then From. Without: the policy alone. */
  profiles?: Profiles;
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
  /** A session without MAIL FROM is closed after this (PROXY_IDLE_BEFORE_MAIL_MS). */
  idleBeforeMailMs?: number;
  sessionTimeoutMs?: number;
  upstreamTimeoutMs?: number;
  /** The upstream's reply to the final dot (UPSTREAM_DATA_DONE_TIMEOUT_MS). */
  dataDoneTimeoutMs?: number;
  shutdownGraceMs?: number;
  maxClients?: number;
  maxConnectionsPerIp?: number;
  maxBytesInFlight?: number;
  /** Log full addresses instead of masked ones. */
  logAddresses?: boolean;
  /** Receives one event per transaction, and warnings and state changes. */
  log?: (event: ProxyEvent) => void;
  /** Name in the greeting and EHLO. */
  name?: string;
  /** Apply the rules of a non-loopback listener even on a loopback address (for tests). */
  treatAsPublic?: boolean;
}

export type ProxyEvent =
  | TransactionEvent
  | { event: 'listening'; time: string; address: string; upstream: string; onViolation: ViolationAction; auth: boolean; tls: boolean }
  | { event: 'warning'; time: string; message: string }
  | { event: 'upstream'; time: string; state: 'up' | 'down'; detail?: string }
  | { event: 'session'; time: string; session: string; client: string; state: 'refused' | 'evicted' | 'idle-closed'; reason: string }
  | { event: 'stopping'; time: string; inFlight: number }
  | { event: 'stopped'; time: string };

/**
 * An event with the addresses in its free text masked (--log-addresses keeps them), and the AUTH
 * user when it is an address (local part masked, as from and to). Same keys in the same order:
 * only values change.
 */
function maskEventText(e: ProxyEvent): ProxyEvent {
  switch (e.event) {
    case 'transaction':
      return { ...e, ...(e.user !== undefined ? { user: maskParty(e.user) } : {}), reply: maskText(e.reply), ...(e.upstream !== undefined ? { upstream: maskText(e.upstream) } : {}) };
    case 'warning':
      return { ...e, message: maskText(e.message) };
    case 'upstream':
      return e.detail !== undefined ? { ...e, detail: maskText(e.detail) } : e;
    case 'session':
      return { ...e, reason: maskText(e.reason) };
    default:
      return e;
  }
}

export interface ProxyServer {
  host: string;
  port: number;
  upstream: UpstreamTarget;
  /** Stops accepting and answers new commands 421; sessions that have not sent data upstream get
   * the shutdown grace, those whose data went upstream wait for its reply. */
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
  // Each profile's mode (its own, else the proxy's) is checked now, not when its first message comes.
  const bound = bindOnViolation(options.profiles ?? createProfiles(options.policy), (own, name) => (name === DEFAULT_PROFILE ? onViolation : (own ?? onViolation)));
  for (const p of [bound.default, ...bound.list]) {
    try {
      assertOnViolation(p.onViolation!, p.policy, { name: 'mailguard proxy', modes: PROXY_MODES });
    } catch (err) {
      if (err instanceof MailguardError && p !== bound.default) throw new MailguardError(err.code, `profile "${p.name}": ${err.message}`, err.hint !== undefined ? { hint: err.hint } : {});
      throw err;
    }
  }
  // The log's free text is masked like from and to: the upstream's replies, and the reply quoting
  // them, name the addresses they refuse ("550 5.1.1 <jane@x.example>: User unknown"); an AUTH
  // user name is often the sender's address.
  const log = options.log === undefined ? () => {} : options.logAddresses ? options.log : ((sink) => (e: ProxyEvent) => sink(maskEventText(e)))(options.log);
  const { warnings } = checkListenPolicy({ host, auth: !!options.auth, tls: !!options.tls, allowUnauthenticated: !!options.allowUnauthenticated, treatAsPublic: options.treatAsPublic ?? false });
  const loopback = isLoopbackHost(host) && !options.treatAsPublic;
  const maxMessageBytes = options.maxMessageBytes ?? PROXY_MAX_MESSAGE_BYTES;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? PROXY_SESSION_TIMEOUT_MS;
  const idleBeforeMailMs = options.idleBeforeMailMs ?? PROXY_IDLE_BEFORE_MAIL_MS;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? UPSTREAM_TRANSACTION_TIMEOUT_MS;
  const dataDoneTimeoutMs = Math.max(options.dataDoneTimeoutMs ?? UPSTREAM_DATA_DONE_TIMEOUT_MS, upstreamTimeoutMs);
  const shutdownGraceMs = options.shutdownGraceMs ?? PROXY_SHUTDOWN_GRACE_MS;
  const maxClients = options.maxClients ?? PROXY_MAX_CLIENTS;
  const maxPerIp = options.maxConnectionsPerIp ?? PROXY_MAX_CONNECTIONS_PER_IP;
  // What mail software reads in different ways blocks every delivery (src/decide's deliveryPolicy).
  const relaxed = [...new Set([bound.default, ...bound.list].flatMap((p) => relaxedUnreadableRules(p.policy)))];
  const profiles: Profiles = bound;
  if (relaxed.length > 0) warnings.push(`${relaxed.join(' and ')} always block in the proxy (the configuration relaxes them for reports only)`);
  const mask = (a: string) => (options.logAddresses ? a : a ? maskAddress(a) : '<>');

  const { SMTPServer } = await import('smtp-server');
  const upstreamClient = createUpstreamClient(upstream, { timeoutMs: upstreamTimeoutMs, dataDoneTimeoutMs, ...(options.name ? { name: options.name } : {}) });

  /** Admitted sessions, in order of arrival. */
  const sessions = new Map<string, ProxySession>();
  let stopping = false;
  let graceOver = false;
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

  const ctx: SessionContext = {
    profiles,
    maxMessageBytes,
    maxHeaderBytes: options.maxHeaderBytes ?? PROXY_MAX_HEADER_BYTES,
    maxRecipients: options.maxRecipients ?? PROXY_MAX_RECIPIENTS,
    upstreamClient,
    budget: createByteBudget(options.maxBytesInFlight ?? PROXY_MAX_BYTES_IN_FLIGHT),
    delivered: createDeliveredCopies(),
    noteUpstream(outcome) {
      // A timeout or a lost connection after the dot says the upstream is slow, not that it is down.
      if (outcome.kind === 'unreachable' && !outcome.timedOut) setUpstreamState('down', outcome.reason);
      else if (outcome.kind === 'accepted' || outcome.kind === 'refused') setUpstreamState('up');
      if (outcome.kind === 'refused' && (outcome.stage === 'auth' || outcome.stage === 'other')) {
        log({ event: 'warning', time: now(), message: `upstream ${upstream.display} refused the proxy's session (${outcome.code} ${outcome.response}); check --upstream` });
      }
    },
    graceOver: () => graceOver,
    mask,
    log,
    warn: (message) => log({ event: 'warning', time: now(), message }),
  };

  let smtp!: SMTPServerType;
  const accepted = new Map<number, Socket[]>();
  /** The socket of a session; undefined unless exactly one open socket matches. */
  const acceptedSocket = (remoteAddress: string, remotePort: number | undefined): Socket | undefined => {
    const list = remotePort === undefined ? undefined : accepted.get(remotePort);
    if (!list) return undefined;
    if (list.length === 1) return list[0];
    // Same port from different hosts: smtp-server may have normalized the address (IPv6).
    const same = list.filter((x) => x.remoteAddress === remoteAddress);
    return same.length === 1 ? same[0] : undefined;
  };
  const connections = (): ConnectionHandle[] => [...((smtp as unknown as { connections: Set<ConnectionHandle> }).connections ?? [])];
  const connectionOf = (id: string) => connections().find((c) => c.id === id);
  const closeWith = (id: string, r: SmtpReply) => {
    const c = connectionOf(id);
    if (c) c.send(r.code, r.text); // 421 closes the connection
  };

  /** Closes a session that waited too long for MAIL FROM (or is the oldest idle one when full). */
  const closeIdle = (s: ProxySession, state: 'evicted' | 'idle-closed') => {
    log({ event: 'session', time: now(), session: s.id, client: s.remoteAddress, state, reason: state === 'evicted' ? 'idle longest while the server was full' : `no MAIL FROM within ${idleBeforeMailMs} ms` });
    sessions.delete(s.id);
    s.clearTimers();
    closeWith(s.id, REPLIES.idleClosed());
  };

  /** Starts the wait for MAIL FROM: the session counts as idle from now. */
  const becomeIdle = (s: ProxySession) => {
    s.idleSince = Date.now();
    if (s.idleTimer) clearTimeout(s.idleTimer);
    s.idleTimer = setTimeout(() => {
      if (s.idle) closeIdle(s, 'idle-closed');
    }, idleBeforeMailMs);
    s.idleTimer.unref();
  };

  const oldestIdle = (among: Iterable<ProxySession>): ProxySession | undefined => {
    let oldest: ProxySession | undefined;
    for (const s of among) if (s.idle && (oldest === undefined || s.idleSince! < oldest.idleSince!)) oldest = s;
    return oldest;
  };

  /** Makes room for one more session: closes the oldest idle one, or says why not. */
  const admit = (remoteAddress: string): SmtpReply | undefined => {
    const exempt = isLoopbackHost(remoteAddress) && !options.treatAsPublic;
    if (!exempt) {
      const same = [...sessions.values()].filter((s) => s.remoteAddress === remoteAddress);
      if (same.length >= maxPerIp) {
        const victim = oldestIdle(same);
        if (!victim) return REPLIES.tooManyFromAddress();
        closeIdle(victim, 'evicted');
      }
    }
    if (sessions.size >= maxClients) {
      const victim = oldestIdle(sessions.values());
      if (!victim) return REPLIES.tooManyClients();
      closeIdle(victim, 'evicted');
    }
    return undefined;
  };

  const respond = (s: ProxySession, callback: (err?: Error | null, message?: string) => void, reply: SmtpReply) => {
    s.busy = false;
    s.committed = false;
    if (reply.code >= 200 && reply.code < 300) callback(null, reply.text);
    else callback(smtpError(reply));
    const after = stopping ? REPLIES.shuttingDown() : s.closeAfterReply;
    if (after) setImmediate(() => closeWith(s.id, after));
    else if (!s.clientGone) becomeIdle(s);
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
    // smtp-server's own cut at close: only a backstop; stop() cuts what may be cut at the grace.
    closeTimeout: shutdownGraceMs + upstreamTimeoutMs + dataDoneTimeoutMs,
    // smtp-server refuses past this before onConnect; admit() keeps maxClients (it needs to see
    // one over the limit to close an idle session for it).
    maxClients: maxClients * 2,
    onConnect(session, callback) {
      if (stopping) return callback(smtpError(REPLIES.shuttingDown()));
      const refused = admit(session.remoteAddress);
      if (refused) {
        log({ event: 'session', time: now(), session: session.id, client: session.remoteAddress, state: 'refused', reason: refused.text });
        return callback(smtpError(refused));
      }
      const s = new ProxySession(session.id, session.remoteAddress, Date.now());
      sessions.set(s.id, s);
      // One write per pipelined batch of replies instead of one per reply (coalesce-writes.ts).
      // Not with STARTTLS: its 220 must be on the wire before the socket is handed to TLS.
      if (!options.tls) {
        const socket = acceptedSocket(session.remoteAddress, session.remotePort);
        if (socket) coalesceRepliesPerChunk(socket);
      }
      becomeIdle(s);
      s.sessionTimer = setTimeout(() => {
        if (s.busy || s.receiving) s.closeAfterReply = REPLIES.sessionTooLong();
        else closeWith(s.id, REPLIES.sessionTooLong());
      }, sessionTimeoutMs);
      s.sessionTimer.unref();
      callback();
    },
    onClose(session) {
      const s = sessions.get(session.id);
      if (s) s.clientGone = true;
      s?.clearTimers();
      sessions.delete(session.id);
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
      const s = sessions.get(session.id);
      if (s) {
        s.idleSince = undefined;
        if (s.idleTimer) clearTimeout(s.idleTimer);
        s.idleTimer = undefined;
      }
      const refused = checkMailFrom(ctx, address);
      if (refused) {
        if (s) becomeIdle(s);
        return callback(smtpError(refused));
      }
      if (upstreamState !== 'down') return callback();
      // Known down: look again (at most every UPSTREAM_RECHECK_MS) before taking a message.
      const started = Date.now();
      const check = Date.now() - lastProbe >= UPSTREAM_RECHECK_MS ? recheckUpstream() : (probing ?? Promise.resolve());
      check.then(() => {
        if (upstreamState !== 'down') return callback();
        const r = REPLIES.upstreamDown();
        if (s) becomeIdle(s);
        logTransaction(ctx, session, { mailFrom: address.address, rcptTo: [] }, 0, started, { verdict: 'unchecked', findings: [], action: 'deferred', reply: r, upstream: 'down' });
        callback(smtpError(r));
      });
    },
    onRcptTo(address, session, callback) {
      if (stopping) return callback(smtpError(REPLIES.shuttingDown()));
      const refused = checkRcptTo(ctx, address, session);
      callback(refused ? smtpError(refused) : undefined);
    },
    onData(stream, session, callback) {
      const s = sessions.get(session.id) ?? new ProxySession(session.id, session.remoteAddress, Date.now());
      s.idleSince = undefined;
      receiveData(ctx, s, stream, session, (reply) => respond(s, callback, reply));
    },
  };
  if (options.tls) {
    serverOptions.key = options.tls.key;
    serverOptions.cert = options.tls.cert;
  }
  if (options.name) serverOptions.name = options.name;

  smtp = new SMTPServer(serverOptions);
  // The sockets accepted and still open, by remote port, for onConnect to find its session's:
  // smtp-server hands the application the session, the listener (net.Server 'connection') the
  // socket.
  smtp.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort;
    if (port === undefined) return;
    const list = accepted.get(port);
    if (list) list.push(socket);
    else accepted.set(port, [socket]);
    socket.once('close', () => {
      const left = (accepted.get(port) ?? []).filter((x) => x !== socket);
      if (left.length > 0) accepted.set(port, left);
      else accepted.delete(port);
    });
  });
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
      const active = [...sessions.values()].filter((s) => s.busy || s.receiving);
      log({ event: 'stopping', time: now(), inFlight: active.length });
      // smtp-server stops accepting and answers every new command 421 from here on.
      smtp.close(() => {
        clearTimeout(grace);
        for (const s of sessions.values()) s.clearTimers();
        upstreamClient.close();
        log({ event: 'stopped', time: now() });
        resolve();
      });
      // Sessions between transactions are told now; busy ones after their reply (see respond).
      for (const s of [...sessions.values()]) if (s.idle) closeWith(s.id, REPLIES.shuttingDown());
      // At the end of the grace, what has not gone upstream is cut (the client retries and the
      // upstream never saw it); sessions waiting for the upstream's reply are left to finish.
      const grace = setTimeout(() => {
        graceOver = true;
        for (const c of connections()) {
          const s = sessions.get(c.id);
          if (s?.busy) continue;
          c.send(421, REPLIES.shuttingDown().text);
        }
      }, shutdownGraceMs);
      grace.unref();
    });
    return stopped;
  };

  return { host, port, upstream, stop };
}
