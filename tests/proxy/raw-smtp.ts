// A raw SMTP client over net.connect for tests that must control every byte and TCP write
// (smuggling attempts, pipelining, split dot lines). Replies are read whole (multi-line aware).
import net from 'node:net';

export interface RawSmtp {
  /** The next complete reply, e.g. "250 2.0.0 Ok" (multi-line replies joined with \n). */
  reply(timeoutMs?: number): Promise<string>;
  write(data: string | Buffer): Promise<void>;
  /** Writes a command line (CRLF added) and returns its reply. */
  command(line: string): Promise<string>;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
  end(): void;
}

export async function connectRaw(port: number, host = '127.0.0.1'): Promise<RawSmtp> {
  const socket = net.connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  let buffer = '';
  const waiters: Array<() => void> = [];
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    buffer += d;
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  closed.then(() => {
    for (const w of waiters.splice(0)) w();
  });
  let isClosed = false;
  closed.then(() => (isClosed = true));

  const takeReply = (): string | undefined => {
    const lines: string[] = [];
    let pos = 0;
    for (;;) {
      const nl = buffer.indexOf('\r\n', pos);
      if (nl === -1) return undefined;
      const line = buffer.slice(pos, nl);
      lines.push(line);
      pos = nl + 2;
      if (/^\d{3}(?: |$)/.test(line)) {
        buffer = buffer.slice(pos);
        return lines.join('\n');
      }
    }
  };

  const reply = async (timeoutMs = 15_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = takeReply();
      if (r !== undefined) return r;
      if (isClosed) throw new Error(`connection closed; unread: ${JSON.stringify(buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; unread: ${JSON.stringify(buffer)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  const write = (data: string | Buffer) => new Promise<void>((resolve, reject) => socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (err) => (err ? reject(err) : resolve())));
  return {
    reply,
    write,
    async command(line: string) {
      await write(`${line}\r\n`);
      return reply();
    },
    closed,
    end: () => socket.destroy(),
  };
}
