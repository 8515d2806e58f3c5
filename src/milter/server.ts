// The milter server: many concurrent MTA connections on inet:HOST:PORT or unix:PATH, one
// MilterSession each. A bad packet closes only its own connection (logged); an internal error
// answers tempfail for that message; nothing is accepted on failure.

import { lstat, chmod, unlink } from 'node:fs/promises';
import net from 'node:net';
import { MailguardError } from '../errors.js';
import type { Policy } from '../policy/policy.js';
import { DEFAULT_PROFILE } from '../policy/config.js';
import { bindOnViolation, createProfiles, type Profiles } from '../policy/profiles.js';
import { maskAddress, maskText } from '../report/redact.js';
import { encodeReply, MilterProtocolError, PacketDecoder } from './codec.js';
import type { MilterViolationAction } from './decide.js';
import {
  MILTER_IDLE_TIMEOUT_MS,
  MILTER_MAX_CONNECTIONS,
  MILTER_MAX_LOGGED_RECIPIENTS,
  MILTER_MAX_PACKET_BYTES,
  MILTER_MESSAGE_TIMEOUT_MS,
  MILTER_SHUTDOWN_GRACE_MS,
} from './limits.js';
import { MilterSession, type MessageOutcome, type SessionOptions } from './session.js';
import { logTime as now } from '../report/log-time.js';

export type ListenAddress = { kind: 'inet'; host: string; port: number } | { kind: 'unix'; path: string };

/** `inet:HOST:PORT`, `inet:PORT`, `inet:[v6]:PORT` or `unix:PATH` (Postfix's milter notation). */
export function parseMilterListen(value: string): ListenAddress {
  if (value.startsWith('unix:') || value.startsWith('local:')) {
    const path = value.slice(value.indexOf(':') + 1);
    if (path.startsWith('/')) return { kind: 'unix', path };
  } else if (value.startsWith('inet:')) {
    const rest = value.slice(5);
    const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(rest) ?? /^()()(\d{1,5})$/.exec(rest);
    const port = m ? Number(m[3]) : NaN;
    if (m && port >= 0 && port <= 65535) return { kind: 'inet', host: m[1] || m[2] || '127.0.0.1', port };
  }
  throw new MailguardError('EUSAGE', `--listen takes inet:HOST:PORT or unix:/PATH (got "${value}").`, { hint: 'For example inet:127.0.0.1:8891 or unix:/run/mailguard/milter.sock.' });
}

export function formatListen(a: ListenAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `inet:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

export interface MessageEvent extends Omit<MessageOutcome, 'from' | 'to'> {
  event: 'message';
  time: string;
  connection: string;
  client: string;
  from: string;
  to: string[];
  worker?: number;
}

export type MilterEvent =
  | MessageEvent
  | { event: 'listening'; time: string; address: string; onViolation: MilterViolationAction; workers?: number }
  | { event: 'warning'; time: string; message: string; connection?: string; worker?: number }
  | { event: 'stopping'; time: string; inFlight: number }
  | { event: 'stopped'; time: string };

export interface MilterServerOptions {
  listen: ListenAddress;
  policy: Policy;
  onViolation?: MilterViolationAction;
  /** Profiles (configuration `profiles`), each with its mode: the sender's is resolved per message ({auth_authen}, MAIL FROM, From). Without: the policy alone. */
  profiles?: Profiles;
  /** Log full addresses instead of masked ones. */
  logAddresses?: boolean;
  log?: (event: MilterEvent) => void;
  maxConnections?: number;
  maxPacketBytes?: number;
  messageTimeoutMs?: number;
  idleTimeoutMs?: number;
  shutdownGraceMs?: number;
  /** Set in a cluster worker: the listen socket is shared and a stale unix socket is the primary's to remove. */
  worker?: number;
  /** Mode of a unix socket (default 0o666: Postfix's smtpd and cleanup run as another user). */
  socketMode?: number;
}

export interface MilterServer {
  /** The bound address (the port filled in for inet:HOST:0). */
  address: ListenAddress;
  stop(): Promise<void>;
}


/** Removes a unix socket left by a dead process; refuses one that still answers. */
export async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new MailguardError('EUSAGE', `cannot listen on unix:${path}: the path exists and is not a socket.`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new MailguardError('EUSAGE', `cannot listen on unix:${path}: another process is listening there.`);
  await unlink(path);
}

/**
 * An event with the addresses in its free text masked (--log-addresses keeps them): a warning
 * quotes an error's message, a message event its error and reply, and the text of an error is
 * whatever the code that threw it put there ("... <jane@x.example> ..."). Only values change.
 */
function maskEventText(e: MilterEvent): MilterEvent {
  switch (e.event) {
    case 'message':
      // In place: the event was built for this one line (no copy per message, as logMessage says).
      e.reply = maskText(e.reply);
      if (e.error !== undefined) e.error = maskText(e.error);
      return e;
    case 'warning':
      return { ...e, message: maskText(e.message) };
    default:
      return e;
  }
}

export async function startMilter(options: MilterServerOptions): Promise<MilterServer> {
  const sink = options.log;
  const log = sink === undefined ? () => {} : options.logAddresses ? sink : (e: MilterEvent) => sink(maskEventText(e));
  const onViolation = options.onViolation ?? 'block';
  // The top level gets the milter's mode. (What mail software reads in different ways blocks
  // whatever the configuration says: src/decide's deliveryPolicy.)
  const bound = bindOnViolation(options.profiles ?? createProfiles(options.policy), (own, name) => (name === DEFAULT_PROFILE ? onViolation : (own ?? onViolation)));
  const sessionOptions: SessionOptions = { profiles: bound, transport: options.listen.kind };
  const maxPacketBytes = options.maxPacketBytes ?? MILTER_MAX_PACKET_BYTES;
  const messageTimeoutMs = options.messageTimeoutMs ?? MILTER_MESSAGE_TIMEOUT_MS;
  const idleTimeoutMs = options.idleTimeoutMs ?? MILTER_IDLE_TIMEOUT_MS;
  const mask = (a: string) => (options.logAddresses ? a : a ? maskAddress(a) : '<>');
  const workerField = options.worker !== undefined ? { worker: options.worker } : {};

  /** `lastRead`: Date.now() at the connection's last read (for the idle timeout, see the sweep). */
  interface Conn { id: string; socket: net.Socket; session: MilterSession; lastRead: number }
  const conns = new Set<Conn>();
  let counter = 0;
  let stopping = false;

  // One object literal in the order the log has always had (keys left undefined are left out of
  // the JSON line, as the spreads that built it left them out): no rest/spread copies per message.
  const logMessage = (c: Conn, m: MessageOutcome) => {
    log({
      event: 'message',
      time: now(),
      connection: c.id,
      client: c.session.client,
      recipients: m.recipients,
      size: m.size,
      durationMs: m.durationMs,
      queueId: m.queueId,
      verdict: m.verdict,
      findings: m.findings,
      profile: m.profile,
      action: m.action,
      reply: m.reply,
      edits: m.edits,
      error: m.error,
      from: mask(m.from),
      to: m.to.length <= MILTER_MAX_LOGGED_RECIPIENTS ? m.to.map(mask) : m.to.slice(0, MILTER_MAX_LOGGED_RECIPIENTS).map(mask),
      worker: options.worker,
    });
  };

  const encodeReplies = (replies: Parameters<typeof encodeReply>[0][]): Buffer | undefined =>
    replies.length === 0 ? undefined : replies.length === 1 ? encodeReply(replies[0]!) : Buffer.concat(replies.map(encodeReply));

  const server = net.createServer((socket) => {
    const c: Conn = { id: `${options.worker !== undefined ? `w${options.worker}-` : ''}${(++counter).toString(36)}`, socket, session: new MilterSession(sessionOptions), lastRead: Date.now() };
    conns.add(c);
    const decoder = new PacketDecoder(maxPacketBytes);
    // Replies are small and awaited by the MTA: never hold one back for Nagle's algorithm.
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => conns.delete(c));
    socket.on('data', (chunk: Buffer) => {
      c.lastRead = Date.now();
      let commands;
      try {
        commands = decoder.push(chunk);
      } catch (err) {
        const why = err instanceof MilterProtocolError ? err.message : String(err);
        log({ event: 'warning', time: now(), connection: c.id, message: `closing the MTA connection: ${why}${c.session.inMessage ? ' (the MTA applies milter_default_action to the message)' : ''}`, ...workerField });
        socket.destroy();
        return;
      }
      // The replies to every command of this read go out in one write, before the log lines: the
      // MTA waits for them, the log does not (a log write to a pipe can wake its reader first).
      const out: Buffer[] = [];
      const answered: MessageOutcome[] = [];
      const flush = () => {
        if (out.length > 0 && !socket.destroyed) socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
        for (const m of answered) logMessage(c, m);
      };
      for (const cmd of commands) {
        let step;
        try {
          step = c.session.handle(cmd, Date.now());
        } catch (err) {
          if (c.session.inMessage) {
            step = c.session.failMessage(Date.now(), (err as Error).message);
          } else {
            flush();
            log({ event: 'warning', time: now(), connection: c.id, message: `closing the MTA connection after an internal error: ${(err as Error).message}`, ...workerField });
            socket.destroy();
            return;
          }
        }
        let message = step.message;
        let bytes: Buffer | undefined;
        try {
          bytes = encodeReplies(step.replies);
        } catch (err) {
          // A reply the protocol cannot carry (a NUL in a value): tempfail this message.
          message = c.session.failMessage(Date.now(), (err as Error).message).message;
          bytes = encodeReply({ kind: 'tempfail' });
        }
        if (message) {
          message.durationMs = c.session.started === undefined ? message.durationMs : Date.now() - c.session.started;
          answered.push(message);
        }
        if (bytes) out.push(bytes);
        if (step.close) {
          flush();
          socket.end();
          return;
        }
      }
      flush();
      if (stopping && !c.session.inMessage) socket.end();
    });
  });
  server.maxConnections = options.maxConnections ?? MILTER_MAX_CONNECTIONS;
  server.on('drop', () => log({ event: 'warning', time: now(), message: `connection limit (${server.maxConnections}) reached: a new MTA connection was closed`, ...workerField }));

  // Messages open longer than the per-message limit: close, the MTA tempfails them. Connections
  // silent for the idle timeout: close. (The idle timeout is checked here rather than with
  // socket.setTimeout, which re-arms a timer at every read and write: about 3% of the milter's
  // CPU per message in bench scenario 9.)
  const sweep = setInterval(() => {
    const t = Date.now();
    for (const c of conns) {
      if (c.session.inMessage && c.session.started !== undefined && t - c.session.started > messageTimeoutMs) {
        log({ event: 'warning', time: now(), connection: c.id, message: `closing the MTA connection: a message was open for more than ${messageTimeoutMs} ms`, ...workerField });
        c.socket.destroy();
      } else if (t - c.lastRead > idleTimeoutMs) {
        log({ event: 'warning', time: now(), connection: c.id, message: 'closing an idle MTA connection', ...workerField });
        c.socket.destroy();
      }
    }
  }, Math.min(5000, Math.max(50, Math.floor(Math.min(messageTimeoutMs, idleTimeoutMs) / 4))));
  sweep.unref();

  const listen = options.listen;
  if (listen.kind === 'unix' && options.worker === undefined) await removeStaleSocket(listen.path);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      clearInterval(sweep);
      reject(new MailguardError('EUSAGE', `cannot listen on ${formatListen(listen)}: ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    const done = () => {
      server.removeListener('error', onError);
      resolve();
    };
    if (listen.kind === 'unix') server.listen(listen.path, done);
    else server.listen(listen.port, listen.host, done);
  });
  server.on('error', (err) => log({ event: 'warning', time: now(), message: `server: ${err.message}`, ...workerField }));
  let address: ListenAddress = listen;
  if (listen.kind === 'unix') {
    await chmod(listen.path, options.socketMode ?? 0o666).catch(() => undefined);
  } else {
    const a = server.address();
    if (a && typeof a === 'object') address = { kind: 'inet', host: listen.host, port: a.port };
  }

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= new Promise<void>((resolve) => {
      stopping = true;
      clearInterval(sweep);
      const busy = [...conns].filter((c) => c.session.inMessage).length;
      log({ event: 'stopping', time: now(), inFlight: busy });
      for (const c of conns) if (!c.session.inMessage) c.socket.end();
      const grace = setTimeout(() => {
        for (const c of conns) c.socket.destroy();
      }, options.shutdownGraceMs ?? MILTER_SHUTDOWN_GRACE_MS);
      grace.unref();
      server.close(() => {
        clearTimeout(grace);
        log({ event: 'stopped', time: now() });
        resolve();
      });
    });
    return stopped;
  };
  return { address, stop };
}
