// A recording SMTP server on 127.0.0.1 (port 0) for relay and proxy tests: real SMTP, no mocks.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface SinkMessage {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
}

export interface SinkBehaviour {
  /** Reply for a RCPT TO: undefined accepts; a number (e.g. 550) rejects with that code. */
  rcpt?: (address: string) => number | undefined;
  /** Reply for the message after DATA: undefined accepts; a number (e.g. 451) refuses. */
  data?: (message: SinkMessage, index: number) => number | undefined;
  /** Delay before answering DATA, in ms. */
  dataDelayMs?: number;
  /** Extra smtp-server options. */
  options?: Partial<SMTPServerOptions>;
}

export interface Sink {
  port: number;
  url: string;
  messages: SinkMessage[];
  /** DATA attempts, accepted or not. */
  attempts: number;
  close(): Promise<void>;
}

export async function startSink(behaviour: SinkBehaviour = {}): Promise<Sink> {
  const messages: SinkMessage[] = [];
  let attempts = 0;
  const server = new SMTPServer({
    authOptional: true,
    disableReverseLookup: true,
    hideSTARTTLS: true,
    logger: false,
    ...behaviour.options,
    onRcptTo(address, _session, callback) {
      const code = behaviour.rcpt?.(address.address);
      if (code) {
        const err = Object.assign(new Error(`${code} recipient refused by sink`), { responseCode: code });
        callback(err);
        return;
      }
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
        };
        const index = attempts++;
        const finish = () => {
          const code = behaviour.data?.(message, index);
          if (code) {
            callback(Object.assign(new Error(`${code} message refused by sink`), { responseCode: code }));
            return;
          }
          messages.push(message);
          callback(null, 'queued by sink');
        };
        if (behaviour.dataDelayMs) setTimeout(finish, behaviour.dataDelayMs);
        else finish();
      });
    },
  });
  // Client-side faults (a TLS handshake refused, a reset) must not crash the test process.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get attempts() {
      return attempts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
