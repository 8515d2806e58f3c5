// mailguard/milter as a library: the built entry (dist/milter.js, and dist/milter.cjs through
// require) starts a milter that a codec-level MTA client talks to: an exposed message is refused
// with 550, a clean one accepted. (tests/package/pack.test.ts imports it from the packed tarball.)
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeReplies, encodeCommand, type MilterCommand, type MilterReply } from '../../src/milter/codec.js';
import { createPolicy } from '../../src/policy/policy.js';
import { ROOT } from '../helpers/cli.js';

type Entry = typeof import('../../src/milter/index.js');

async function exchange(port: number, commands: MilterCommand[], until: MilterReply['kind'][]): Promise<MilterReply[]> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let buffer = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      let complete = 0;
      while (complete + 4 <= buffer.length && complete + 4 + buffer.readUInt32BE(complete) <= buffer.length) complete += 4 + buffer.readUInt32BE(complete);
      const replies = decodeReplies(buffer.subarray(0, complete));
      if (replies.filter((r) => until.includes(r.kind)).length >= 1 && replies.some((r) => r.kind !== 'optneg')) {
        socket.destroy();
        resolve(replies);
      }
    });
    socket.write(Buffer.concat(commands.map(encodeCommand)));
  });
}

const message = (to: string): MilterCommand[] => [
  { kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff },
  { kind: 'mail', args: ['<alice@inbox.test>'] },
  { kind: 'rcpt', args: ['<bob@inbox.test>'] },
  { kind: 'header', name: 'From', value: ' alice@inbox.test' },
  { kind: 'header', name: 'To', value: to },
  { kind: 'header', name: 'Subject', value: ' hello' },
  { kind: 'eoh' },
  { kind: 'eob' },
];

const loaders: Array<[string, () => Promise<Entry>]> = [
  ['ESM (dist/milter.js)', async () => (await import(pathToFileURL(path.join(ROOT, 'dist/milter.js')).href)) as Entry],
  ['CommonJS (dist/milter.cjs)', async () => createRequire(import.meta.url)(path.join(ROOT, 'dist/milter.cjs')) as Entry],
];

describe('the mailguard/milter entry', () => {
  it.each(loaders)('%s serves an MTA client: 550 for an exposed list, accept for a clean message', async (_label, load) => {
    const { startMilter, parseMilterListen } = await load();
    const events: string[] = [];
    const server = await startMilter({
      listen: parseMilterListen('inet:127.0.0.1:0'),
      policy: createPolicy({ internalDomains: ['inbox.test'], warnAt: 2, blockAt: 2 }),
      log: (e) => events.push(e.event === 'message' ? `message ${e.action}` : e.event),
    });
    try {
      expect(server.address.kind).toBe('inet');
      const port = (server.address as { port: number }).port;
      const blocked = (await exchange(port, message(' x@one.test, y@two.test, z@three.test'), ['replycode', 'accept'])).pop();
      expect(blocked).toMatchObject({ kind: 'replycode', code: 550 });
      const clean = (await exchange(port, message(' bob@inbox.test'), ['replycode', 'accept'])).pop();
      expect(clean).toEqual({ kind: 'accept' });
      await expect.poll(() => events.filter((e) => e.startsWith('message'))).toEqual(['message blocked', 'message accepted']);
    } finally {
      await server.stop();
    }
  });
});
