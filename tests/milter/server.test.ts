// The milter server in-process, driven by a client that speaks the MTA side with the codec:
// concurrent connections, a bad packet next to a good session, the per-message time limit, the
// connection limit, unix sockets (stale and live).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeReplies, encodeCommand, SMFIP, type MilterCommand, type MilterReply } from '../../src/milter/codec.js';
import { startMilter, type ListenAddress, type MilterEvent, type MilterServer, type MilterServerOptions } from '../../src/milter/server.js';
import { createPolicy } from '../../src/policy/policy.js';

const policy = createPolicy({ internalDomains: ['inbox.test'], warnAt: 2, blockAt: 2 });
const OPTNEG: MilterCommand = { kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff };

let servers: MilterServer[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  servers = [];
  dirs = [];
});

async function start(options: Partial<MilterServerOptions> = {}): Promise<{ server: MilterServer; events: MilterEvent[] }> {
  const events: MilterEvent[] = [];
  const server = await startMilter({ listen: { kind: 'inet', host: '127.0.0.1', port: 0 }, policy, log: (e) => events.push(e), shutdownGraceMs: 500, ...options });
  servers.push(server);
  return { server, events };
}

/** An MTA-side connection: send commands, read replies. */
async function connect(address: ListenAddress) {
  const socket = address.kind === 'unix' ? net.connect(address.path) : net.connect({ host: '127.0.0.1', port: address.port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  let buffer = Buffer.alloc(0);
  let closed = false;
  const waiters: Array<() => void> = [];
  socket.on('data', (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    for (const w of waiters.splice(0)) w();
  });
  socket.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', () => undefined);
  /** Reads replies until one of `until` arrives (or the connection closes). */
  const read = async (until: Array<MilterReply['kind']>): Promise<MilterReply[]> => {
    for (;;) {
      let complete = 0;
      while (complete + 4 <= buffer.length && complete + 4 + buffer.readUInt32BE(complete) <= buffer.length) complete += 4 + buffer.readUInt32BE(complete);
      const replies = decodeReplies(buffer.subarray(0, complete));
      if (replies.some((r) => until.includes(r.kind)) || closed) {
        buffer = buffer.subarray(complete);
        return replies;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return {
    send: (cmds: MilterCommand[]) => socket.write(Buffer.concat(cmds.map(encodeCommand))),
    raw: (b: Buffer) => socket.write(b),
    read,
    closed: () => new Promise<void>((resolve) => (closed ? resolve() : socket.once('close', () => resolve()))),
    end: () => socket.destroy(),
  };
}

function message(exposed: boolean, n: number): MilterCommand[] {
  const to = exposed ? ' x@one.test, y@two.test' : ' bob@inbox.test';
  return [
    { kind: 'mail', args: ['<alice@inbox.test>'] },
    { kind: 'rcpt', args: ['<bob@inbox.test>'] },
    { kind: 'header', name: 'From', value: ' alice@inbox.test' },
    { kind: 'header', name: 'To', value: to },
    { kind: 'header', name: 'Subject', value: ` message ${n}` },
    { kind: 'eoh' },
    { kind: 'eob' },
  ];
}

describe('the milter server', () => {
  it('serves many concurrent MTA connections, each with several messages, each answered on its own', async () => {
    const { server, events } = await start();
    const clients = await Promise.all(Array.from({ length: 40 }, () => connect(server.address)));
    await Promise.all(
      clients.map(async (c, i) => {
        c.send([OPTNEG]);
        const [neg] = await c.read(['optneg']);
        expect(neg).toMatchObject({ kind: 'optneg', version: 6 });
        expect((neg as { protocol: number }).protocol & SMFIP.NR_HDR).toBe(SMFIP.NR_HDR);
        for (let m = 0; m < 3; m++) {
          const exposed = (i + m) % 2 === 1;
          c.send([...message(exposed, i * 10 + m), { kind: 'abort' }]);
          const replies = await c.read(['accept', 'replycode']);
          const last = replies[replies.length - 1]!;
          if (exposed) expect(last).toMatchObject({ kind: 'replycode', code: 550 });
          else expect(last).toEqual({ kind: 'accept' });
        }
        c.send([{ kind: 'quit' }]);
        await c.closed();
      }),
    );
    const logged = events.filter((e) => e.event === 'message');
    expect(logged).toHaveLength(120);
    expect(logged.filter((e) => e.event === 'message' && e.action === 'blocked')).toHaveLength(60);
  });

  it('a malformed packet closes only its own connection; a message in flight elsewhere is answered', async () => {
    const { server, events } = await start();
    const good = await connect(server.address);
    good.send([OPTNEG, ...message(false, 1).slice(0, 4)]);
    await good.read(['optneg']);
    const bad = await connect(server.address);
    bad.raw(Buffer.from([0, 0, 0, 3, 0x4c, 0x41, 0x42]));
    await bad.closed();
    good.send(message(false, 1).slice(4));
    expect((await good.read(['accept'])).pop()).toEqual({ kind: 'accept' });
    expect(events.some((e) => e.event === 'warning' && /closing the MTA connection: HEADER/.test(e.message))).toBe(true);
    good.end();
  });

  it('closes a connection whose message stays open past the time limit (the MTA tempfails it)', async () => {
    const { server, events } = await start({ messageTimeoutMs: 200 });
    const c = await connect(server.address);
    c.send([OPTNEG, { kind: 'mail', args: ['<alice@inbox.test>'] }]);
    await c.closed();
    expect(events.some((e) => e.event === 'warning' && /a message was open for more than 200 ms/.test(e.message))).toBe(true);
  });

  it('closes a silent connection and one stopped mid-packet after the idle timeout, with a log line each, while a busy one is served', async () => {
    const idleTimeoutMs = 1000;
    const { server, events } = await start({ idleTimeoutMs });
    const busy = await connect(server.address);
    busy.send([OPTNEG]);
    await busy.read(['optneg']);
    let busyClosed = false;
    void busy.closed().then(() => (busyClosed = true));
    const started = Date.now();
    const silent = await connect(server.address);
    const stalled = await connect(server.address);
    // A HEADER packet that announces 100 bytes and sends 5: the rest never comes.
    stalled.raw(Buffer.from([0, 0, 0, 100, 0x4c, 0x46, 0x72, 0x6f, 0x6d]));
    const closedAt: number[] = [];
    const both = Promise.all([silent.closed(), stalled.closed()].map((p) => p.then(() => closedAt.push(Date.now() - started))));
    let done = false;
    void both.then(() => (done = true));
    // The busy connection speaks every 150 ms (well inside the timeout) until the other two are closed.
    let answered = 0;
    for (let n = 0; !done; n++) {
      busy.send([...message(n % 2 === 1, n), { kind: 'abort' }]);
      const last = (await busy.read(['accept', 'replycode'])).pop();
      expect(last?.kind).toBe(n % 2 === 1 ? 'replycode' : 'accept');
      answered++;
      await new Promise((r) => setTimeout(r, 150));
    }
    await both;
    // Generous bounds only: not before the timeout, and not forever after it.
    for (const t of closedAt) {
      expect(t).toBeGreaterThanOrEqual(idleTimeoutMs * 0.8);
      expect(t).toBeLessThan(30_000);
    }
    expect(answered).toBeGreaterThan(2);
    const idle = events.filter((e) => e.event === 'warning' && /closing an idle MTA connection/.test(e.message));
    expect(idle).toHaveLength(2);
    // The busy connection is still served after the other two were closed.
    busy.send([...message(false, 999), { kind: 'abort' }]);
    expect((await busy.read(['accept'])).pop()).toEqual({ kind: 'accept' });
    expect(busyClosed).toBe(false);
    busy.end();
  });

  it('past the connection limit, new connections are closed at once and logged', async () => {
    const { server, events } = await start({ maxConnections: 2 });
    const a = await connect(server.address);
    const b = await connect(server.address);
    const c = await connect(server.address);
    await c.closed();
    a.send([OPTNEG]);
    expect(await a.read(['optneg'])).toHaveLength(1);
    expect(events.some((e) => e.event === 'warning' && /connection limit \(2\)/.test(e.message))).toBe(true);
    a.end();
    b.end();
  });

  it('listens on a unix socket (mode 0666), replaces a stale one, refuses one that is alive', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-milter-'));
    dirs.push(dir);
    const sock = path.join(dir, 'milter.sock');
    // A stale socket file: bound by a server that is gone.
    const stale = net.createServer().listen(sock);
    await new Promise((r) => stale.once('listening', r));
    await new Promise<void>((resolve) => {
      // Closing would remove the file; keep it, as a crashed process leaves it.
      (stale as unknown as { _handle: { close(): void } })._handle.close();
      resolve();
    });
    const { server } = await start({ listen: { kind: 'unix', path: sock } });
    expect((await stat(sock)).mode & 0o777).toBe(0o666);
    const c = await connect(server.address);
    c.send([OPTNEG, ...message(true, 1)]);
    expect((await c.read(['replycode'])).pop()).toMatchObject({ kind: 'replycode', code: 550 });
    c.end();
    await expect(startMilter({ listen: { kind: 'unix', path: sock }, policy })).rejects.toThrow(/another process is listening there/);
  });
});
