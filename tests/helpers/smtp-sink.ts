// A recording SMTP server on 127.0.0.1 (port 0) for relay and proxy tests: real SMTP, no mocks.
// Fault injection: refused or deferred recipients by pattern, a delay before the reply to DATA,
// random 421 disconnects (seeded), a connection dropped after the final dot (accepted or not:
// the window SMTP leaves open), and kill/restart on the same port. Every accepted message is
// recorded, so tests compare what the client was told with what the server really took.
import type net from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { createRandom } from '../../bench/generate.js';

export interface SinkMessage {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  /** The parameters of MAIL FROM and of each RCPT TO as the sink received them (keys upper case). */
  mailArgs: Record<string, unknown>;
  rcptArgs: Array<Record<string, unknown>>;
  /** When the sink accepted it (ms since the epoch). */
  at: number;
}

export type SinkStage = 'connect' | 'mail' | 'rcpt' | 'data';

export interface SinkBehaviour {
  /** Reply for a RCPT TO: undefined accepts; a number (e.g. 550, 450) refuses with that code. */
  rcpt?: (address: string) => number | undefined;
  /** The text of that refusal (default "CODE recipient refused by sink"); real servers quote the address. */
  rcptText?: (address: string, code: number) => string;
  /** Reply for the message after DATA: undefined accepts; a number (e.g. 451) refuses. */
  data?: (message: SinkMessage, index: number) => number | undefined;
  /** Delay before answering MAIL FROM, in ms (an upstream slow before the message is sent). */
  mailDelayMs?: number;
  /** Delay before answering DATA, in ms (a number, or per message). */
  dataDelayMs?: number | ((message: SinkMessage, index: number) => number);
  /** After the final dot: 'accept-then-drop' records the message and drops the connection without
   * a reply; 'drop' drops it without recording. Undefined replies normally. */
  afterData?: (message: SinkMessage, index: number) => 'accept-then-drop' | 'drop' | undefined;
  /** Random 421 and disconnect: at each of `stages` with probability `rate` (seeded PRNG). */
  random421?: { rate: number; seed?: number; stages?: SinkStage[] };
  /** Random disconnect without any reply (a crash or a network cut) at each of `stages`. */
  randomDrop?: { rate: number; seed?: number; stages?: SinkStage[] };
  /** Extra smtp-server options. */
  options?: Partial<SMTPServerOptions>;
}

export interface Sink {
  port: number;
  url: string;
  messages: SinkMessage[];
  /** DATA attempts, accepted or not. */
  attempts: number;
  /** 421 disconnects injected so far. */
  injected421: number;
  /** Connections dropped without a reply so far. */
  droppedConnections: number;
  /** Of those, the ones dropped after the final dot (the client cannot know the outcome). */
  droppedAfterData: number;
  /** Drops every connection at once and stops listening (a crash of the relay). */
  kill(): Promise<void>;
  /** Listens again on the same port, with the same records. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A seeded PRNG (the bench's mulberry32), so a failing run can be repeated. */
export const seededRandom = createRandom;

const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

/** Deliveries per (key, recipient): how often each recipient got each message. */
export function deliveryCounts(messages: readonly SinkMessage[], keyOf: (m: SinkMessage) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) {
    for (const r of m.rcptTo) {
      const k = `${keyOf(m)} -> ${r.toLowerCase()}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return counts;
}

/** A header field's value from a recorded message (first occurrence, unfolded). */
export function headerOf(m: SinkMessage, name: string): string | undefined {
  const head = m.raw.toString('latin1').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

export async function startSink(behaviour: SinkBehaviour = {}): Promise<Sink> {
  const messages: SinkMessage[] = [];
  let attempts = 0;
  let injected421 = 0;
  const random = seededRandom(behaviour.random421?.seed ?? 1);
  const stages = new Set(behaviour.random421?.stages ?? ['mail', 'rcpt', 'data']);
  const dropRandom = seededRandom(behaviour.randomDrop?.seed ?? 2);
  const dropStages = new Set(behaviour.randomDrop?.stages ?? ['mail', 'rcpt', 'data']);
  let droppedConnections = 0;
  let droppedAfterData = 0;
  /** Drops the session's connection without a reply; true when it did. */
  const drop = (stage: SinkStage, remotePort: number): boolean => {
    if (!behaviour.randomDrop || !dropStages.has(stage)) return false;
    if (dropRandom() >= behaviour.randomDrop.rate) return false;
    droppedConnections++;
    if (stage === 'data') droppedAfterData++;
    for (const sock of sockets) if (sock.remotePort === remotePort) sock.destroy();
    return true;
  };
  const fault = (stage: SinkStage): boolean => {
    if (!behaviour.random421 || !stages.has(stage)) return false;
    if (random() >= behaviour.random421.rate) return false;
    injected421++;
    return true;
  };
  const sockets = new Set<net.Socket>();
  let port = 0;
  let server: SMTPServer;

  const create = () => {
    const s = new SMTPServer({
      authOptional: true,
      disableReverseLookup: true,
      hideSTARTTLS: true,
      logger: false,
      ...behaviour.options,
      onConnect(session, callback) {
        if (fault('connect')) return callback(smtpError(421, 'sink: random disconnect'));
        if (behaviour.options?.onConnect) return behaviour.options.onConnect(session, callback);
        callback();
      },
      onMailFrom(_address, session, callback) {
        if (drop('mail', session.remotePort)) return;
        if (fault('mail')) return callback(smtpError(421, 'sink: random disconnect'));
        if (behaviour.mailDelayMs) setTimeout(() => callback(), behaviour.mailDelayMs);
        else callback();
      },
      onRcptTo(address, session, callback) {
        if (drop('rcpt', session.remotePort)) return;
        if (fault('rcpt')) return callback(smtpError(421, 'sink: random disconnect'));
        const code = behaviour.rcpt?.(address.address);
        if (code) return callback(smtpError(code, behaviour.rcptText?.(address.address, code) ?? `${code} recipient refused by sink`));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const message: SinkMessage = {
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            mailArgs: { ...(session.envelope.mailFrom ? session.envelope.mailFrom.args || {} : {}) },
            rcptArgs: session.envelope.rcptTo.map((r) => ({ ...(r.args || {}) })),
            at: 0,
          };
          const index = attempts++;
          const finish = () => {
            const after = behaviour.afterData?.(message, index);
            if (after) {
              if (after === 'accept-then-drop') {
                message.at = Date.now();
                messages.push(message);
              }
              // No reply: the client cannot know whether the message was taken.
              for (const sock of sockets) if (sock.remotePort === session.remotePort) sock.destroy();
              return;
            }
            if (drop('data', session.remotePort)) return;
            if (fault('data')) return callback(smtpError(421, 'sink: random disconnect'));
            const code = behaviour.data?.(message, index);
            if (code) return callback(smtpError(code, `${code} message refused by sink`));
            message.at = Date.now();
            messages.push(message);
            callback(null, 'queued by sink');
          };
          const delay = typeof behaviour.dataDelayMs === 'function' ? behaviour.dataDelayMs(message, index) : (behaviour.dataDelayMs ?? 0);
          if (delay > 0) setTimeout(finish, delay);
          else finish();
        });
      },
    });
    // Client-side faults (a TLS handshake refused, a reset) must not crash the test process.
    s.on('error', () => {});
    s.server.on('connection', (sock: net.Socket) => {
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
    });
    return s;
  };

  const listen = async () => {
    server = create();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    const address = server.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  };
  await listen();
  let down = false;
  const kill = async () => {
    if (down) return;
    down = true;
    const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
    for (const sock of sockets) sock.destroy();
    await closed;
  };

  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    get attempts() {
      return attempts;
    },
    get injected421() {
      return injected421;
    },
    get droppedAfterData() {
      return droppedAfterData;
    },
    get droppedConnections() {
      return droppedConnections;
    },
    kill,
    async restart() {
      if (!down) return;
      await listen();
      down = false;
    },
    close: async () => {
      if (down) return;
      down = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
