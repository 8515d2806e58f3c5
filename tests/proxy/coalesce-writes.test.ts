// Writes that belong together leave in one segment: the replies to a pipelined batch, and a
// message with its final dot upstream (src/proxy/coalesce-writes.ts).
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coalesceRepliesPerChunk, corkForTick, corkUntilReleased } from '../../src/proxy/coalesce-writes.js';
import { startProxy, type ProxyServer } from '../../src/proxy/index.js';
import { POLICY } from './harness.js';

/** A writable that records each batch it is asked to write (one entry per syscall a socket would make). */
function recorder(): { stream: Writable; batches: string[][] } {
  const batches: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      batches.push([chunk.toString()]);
      cb();
    },
    writev(chunks, cb) {
      batches.push(chunks.map((c) => String(c.chunk)));
      cb();
    },
  });
  return { stream, batches };
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('corkForTick and corkUntilReleased', () => {
  it('writes made in one tick go out as one batch after it; nothing is held longer', async () => {
    const { stream, batches } = recorder();
    corkForTick(stream);
    stream.write('250 a\r\n');
    stream.write('250 b\r\n');
    stream.write('354 c\r\n');
    expect(batches).toEqual([]);
    await nextTick();
    expect(batches).toEqual([['250 a\r\n', '250 b\r\n', '354 c\r\n']]);
    stream.write('250 later\r\n');
    expect(batches).toHaveLength(2);
  });

  it('corkUntilReleased holds across the ticks a pipe hands data on in, until released', async () => {
    const { stream, batches } = recorder();
    const release = corkUntilReleased(stream);
    stream.write('message\r\n');
    await nextTick();
    await nextTick();
    stream.write('.\r\n');
    expect(batches).toEqual([]);
    release();
    expect(batches).toEqual([['message\r\n', '.\r\n']]);
    release();
    expect(batches).toHaveLength(1);
  });

  it('corkUntilReleased lets go by itself at the next turn of the loop (a batch that never completes is not stuck)', async () => {
    const { stream, batches } = recorder();
    corkUntilReleased(stream);
    stream.write('message\r\n');
    await nextTick();
    expect(batches).toEqual([]);
    await nextTurn();
    expect(batches).toEqual([['message\r\n']]);
  });

  it('end() inside the tick flushes what was held (a 421 followed by close)', async () => {
    const { stream, batches } = recorder();
    corkForTick(stream);
    stream.write('421 bye\r\n');
    stream.end();
    await nextTurn();
    expect(batches.flat()).toEqual(['421 bye\r\n']);
  });

  it('coalesceRepliesPerChunk leaves a socket that does not flow yet alone (a data listener would start it)', () => {
    const paused = new PassThrough();
    expect(coalesceRepliesPerChunk(paused)).toBe(false);
    expect(paused.readableFlowing).toBe(null);
    expect(paused.listenerCount('data')).toBe(0);
  });
});

/** A scripted upstream on 127.0.0.1 that records each read after its 354 (the message segments). */
async function scriptedUpstream(): Promise<{ port: number; messageReads: string[][]; close(): Promise<void> }> {
  const messageReads: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    let inData = false;
    let current: string[] = [];
    let pending = '';
    socket.write('220 upstream ESMTP\r\n');
    socket.on('data', (d: Buffer) => {
      if (inData) {
        current.push(d.toString('latin1'));
        if (current.join('').endsWith('\r\n.\r\n')) {
          inData = false;
          messageReads.push(current);
          current = [];
          socket.write('250 queued\r\n');
        }
        return;
      }
      pending += d.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\r\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 2);
        if (/^EHLO/i.test(line)) socket.write('250-upstream\r\n250 PIPELINING\r\n');
        else if (/^DATA/i.test(line)) {
          inData = true;
          socket.write('354 go on\r\n');
        } else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    messageReads,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let proxy: ProxyServer | undefined;
let upstream: Awaited<ReturnType<typeof scriptedUpstream>> | undefined;
afterEach(async () => {
  await proxy?.stop();
  await upstream?.close();
  proxy = undefined;
  upstream = undefined;
});

/**
 * Records each write a socket hands to the kernel (Socket#_write: one buffer, Socket#_writev: a
 * batch, one syscall each). In one process the reader cannot tell: it reads what has piled up.
 */
function recordSocketWrites(): { writes: Array<{ local: number | undefined; remote: number | undefined; data: string }>; restore(): void } {
  const writes: Array<{ local: number | undefined; remote: number | undefined; data: string }> = [];
  const proto = net.Socket.prototype as unknown as { _write: (...a: unknown[]) => unknown; _writev: (...a: unknown[]) => unknown };
  const write = proto._write;
  const writev = proto._writev;
  const one = vi.spyOn(proto, '_write').mockImplementation(function (this: net.Socket, ...a: unknown[]) {
    writes.push({ local: this.localPort, remote: this.remotePort, data: String(a[0]) });
    return write.apply(this, a);
  });
  const batch = vi.spyOn(proto, '_writev').mockImplementation(function (this: net.Socket, ...a: unknown[]) {
    writes.push({ local: this.localPort, remote: this.remotePort, data: (a[0] as Array<{ chunk: unknown }>).map((c) => String(c.chunk)).join('') });
    return writev.apply(this, a);
  });
  return {
    writes,
    restore() {
      one.mockRestore();
      batch.mockRestore();
    },
  };
}

describe('the proxy writes each batch in one segment', () => {
  it('replies to MAIL, RCPT x3 and DATA pipelined in one write go out in one write; the message and its dot go upstream in one', async () => {
    upstream = await scriptedUpstream();
    proxy = await startProxy({ port: 0, upstream: `smtp://127.0.0.1:${upstream.port}`, policy: POLICY });
    const client = net.connect(proxy.port, '127.0.0.1');
    let received = '';
    let waiting: (() => void) | undefined;
    client.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      waiting?.();
    });
    const until = async (re: RegExp) => {
      while (!re.test(received)) await new Promise<void>((resolve) => (waiting = resolve));
    };
    await until(/^220 /m);
    client.write('EHLO client.test\r\n');
    await until(/^250 /m);
    received = '';
    const recorded = recordSocketWrites();
    try {
      client.write('MAIL FROM:<alice@corp.example>\r\nRCPT TO:<bob@corp.example>\r\nRCPT TO:<carol@corp.example>\r\nRCPT TO:<dave@corp.example>\r\nDATA\r\n');
      await until(/^354 /m);
      client.write('From: alice@corp.example\r\nTo: bob@corp.example, carol@corp.example, dave@corp.example\r\nSubject: s\r\n\r\nhello\r\n.\r\n');
      await until(/^250 .*relayed/m);
    } finally {
      recorded.restore();
      client.destroy();
    }
    const toClient = recorded.writes.filter((w) => w.local === proxy!.port).map((w) => w.data);
    expect(toClient).toHaveLength(2);
    expect(toClient[0]).toMatch(/^250 .*\r\n250 .*\r\n250 .*\r\n250 .*\r\n354 .*\r\n$/);
    expect(toClient[1]).toMatch(/^250 .*relayed/);
    // The upstream connection opens with the first message: its EHLO is not part of the transaction.
    const toUpstream = recorded.writes.filter((w) => w.remote === upstream!.port && !w.data.startsWith('EHLO')).map((w) => w.data);
    expect(toUpstream).toHaveLength(2);
    expect(toUpstream[0]).toMatch(/^MAIL FROM:.*\r\n(RCPT TO:.*\r\n){3}DATA\r\n$/);
    expect(toUpstream[1]).toMatch(/^From: .*hello\r\n\.\r\n$/s);
    expect(upstream.messageReads[0]!.join('')).toMatch(/hello\r\n\.\r\n$/);
  });
});
