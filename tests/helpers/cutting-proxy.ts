// A TCP pass-through on 127.0.0.1 that can cut a connection in the middle of a server's answer:
// once the client has sent a line matching `after` (e.g. /UID FETCH/), it forwards `cutAfterBytes`
// more bytes from the server and then destroys both sockets, as a server crash or a dropped
// network would. `connections` says which connections are cut: 'first' (later ones pass
// untouched, so a client that reconnects succeeds) or 'all'.
import net from 'node:net';

export interface CuttingProxyOptions {
  targetPort: number;
  after: RegExp;
  cutAfterBytes: number;
  connections: 'first' | 'all';
}

export interface CuttingProxy {
  port: number;
  /** Connections accepted so far, and how many were cut. */
  readonly accepted: number;
  readonly cut: number;
  close(): Promise<void>;
}

export async function startCuttingProxy(options: CuttingProxyOptions): Promise<CuttingProxy> {
  let accepted = 0;
  let cut = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const n = accepted++;
    const armed = options.connections === 'all' || n === 0;
    const upstream = net.connect({ host: '127.0.0.1', port: options.targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let triggered = false;
    let forwarded = 0;
    let sent = '';
    const destroy = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => {
      if (armed && !triggered) {
        sent = (sent + d.toString('latin1')).slice(-4096);
        if (options.after.test(sent)) triggered = true;
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!triggered) return void client.write(d);
      const room = options.cutAfterBytes - forwarded;
      if (room > 0) client.write(d.subarray(0, room));
      forwarded += d.length;
      if (forwarded >= options.cutAfterBytes) {
        cut++;
        destroy();
      }
    });
    client.on('error', destroy);
    upstream.on('error', destroy);
    client.on('close', () => {
      upstream.destroy();
      sockets.delete(client);
    });
    upstream.on('close', () => {
      client.destroy();
      sockets.delete(upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    get accepted() {
      return accepted;
    },
    get cut() {
      return cut;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
