// The milter cannot see whether a blank line ended the header the MTA hands it (src/decide reads
// the body's first paragraph as more header fields too, the stricter reading wins). That reading
// stopped at 256 KiB: a stray line that ends the header for Postfix, 300 KB of padding fields
// without an "@", then the Cc list, and the message was accepted. The whole first paragraph is
// read now; bodies whose first paragraph shows no address (base64) or no fields are unaffected.
// The milter server on 127.0.0.1, driven by an MTA-side client speaking the milter protocol.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { decodeReplies, encodeCommand, type MilterCommand, type MilterReply } from '../../src/milter/codec.js';
import { startMilter, type MilterServer } from '../../src/milter/server.js';
import { MilterSession } from '../../src/milter/session.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';

const LIST = ' x@one.example, y@two.example, z@three.example, w@four.example';
const OPTNEG: MilterCommand = { kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff };
/** Postfix hands the body over in pieces of at most this many bytes (MILTER_CHUNK_SIZE). */
const POSTFIX_BODY_CHUNK = 65535;

const headerOnly = createPolicy({ internalDomains: ['corp.example'], blockAt: 3 });
const bodyScan = createPolicy({ internalDomains: ['corp.example'], blockAt: 3, bodyScan: { ...DEFAULT_BODY_SCAN } });

let servers: MilterServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
});

/** `bytes` of padding fields with no "@" in them, CRLF lines. */
function paddingFields(bytes: number): string {
  const lines: string[] = [];
  let n = 0;
  for (let size = 0; size < bytes; n++) {
    const line = `X-Pad-${n}: ${'a'.repeat(40)}\r\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

function transaction(body: string): MilterCommand[] {
  const chunks: MilterCommand[] = [];
  const bytes = Buffer.from(body, 'latin1');
  for (let i = 0; i < bytes.length; i += POSTFIX_BODY_CHUNK) chunks.push({ kind: 'body', chunk: bytes.subarray(i, i + POSTFIX_BODY_CHUNK) });
  return [
    { kind: 'mail', args: ['<sales@corp.example>'] },
    { kind: 'rcpt', args: ['<boss@corp.example>'] },
    { kind: 'header', name: 'From', value: ' sales@corp.example' },
    { kind: 'header', name: 'To', value: ' boss@corp.example' },
    { kind: 'header', name: 'Subject', value: ' report' },
    { kind: 'eoh' },
    ...chunks,
    { kind: 'eob' },
  ];
}

/** One message through a real milter server: the reply to its end of body. */
async function answer(policy: Policy, body: string): Promise<MilterReply> {
  const server = await startMilter({ listen: { kind: 'inet', host: '127.0.0.1', port: 0 }, policy, log: () => undefined, shutdownGraceMs: 500 });
  servers.push(server);
  const port = (server.address as { port: number }).port;
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffer = Buffer.alloc(0);
  const replies: MilterReply[] = [];
  const done = new Promise<MilterReply>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      let complete = 0;
      while (complete + 4 <= buffer.length && complete + 4 + buffer.readUInt32BE(complete) <= buffer.length) complete += 4 + buffer.readUInt32BE(complete);
      replies.push(...decodeReplies(buffer.subarray(0, complete)));
      buffer = buffer.subarray(complete);
      const final = replies.find((r) => r.kind === 'accept' || r.kind === 'replycode' || r.kind === 'tempfail' || r.kind === 'quarantine');
      if (final) resolve(final);
    });
    socket.once('close', () => reject(new Error('the milter closed the connection')));
  });
  socket.write(encodeCommand(OPTNEG));
  socket.write(Buffer.concat(transaction(body).map(encodeCommand)));
  try {
    return await done;
  } finally {
    socket.destroy();
  }
}

const code = (r: MilterReply) => (r.kind === 'replycode' ? r.code : r.kind);

describe('a list written after a stray line and padding past 256 KiB is read', () => {
  for (const [name, policy] of [
    ['body scan off', headerOnly],
    ['body scan on', bodyScan],
  ] as const) {
    for (const pad of [300_000, 1_000_000]) {
      it(`${name}, ${pad} bytes of padding fields: refused`, async () => {
        const r = await answer(policy, `this line ends the header for Postfix\r\n${paddingFields(pad)}Cc:${LIST}\r\n\r\nhello\r\n`);
        expect(code(r)).toBe(550);
      });
    }
  }

  it('LF line ends after the stray line: refused as well', async () => {
    const r = await answer(headerOnly, `stray\n${paddingFields(300_000).replace(/\r\n/g, '\n')}Cc:${LIST}\n\nhello\n`);
    expect(code(r)).toBe(550);
  });
});

describe('long first paragraphs that show no list are accepted', () => {
  for (const [name, policy] of [
    ['body scan off', headerOnly],
    ['body scan on', bodyScan],
  ] as const) {
    it(`${name}: a 1 MB single-part base64 body without a blank line`, async () => {
      const line = Buffer.alloc(57, 7).toString('base64');
      const r = await answer(policy, `${Array.from({ length: 14_000 }, () => line).join('\r\n')}\r\n`);
      expect(code(r)).toBe('accept');
    });

    it(`${name}: a 400 KB plain-text paragraph that names one person`, async () => {
      const text = Array.from({ length: 8_000 }, (_, i) => `line ${i} of the nightly report, nothing to see here`).join('\r\n');
      const r = await answer(policy, `${text}\r\nquestions to ops@corp.example\r\n\r\nbye\r\n`);
      expect(code(r)).toBe('accept');
    });

    it(`${name}: the padding and list after a blank line (the sender's own body) are accepted`, async () => {
      const r = await answer(policy, `\r\n${paddingFields(300_000)}Cc: boss@corp.example\r\n\r\nhello\r\n`);
      expect(code(r)).toBe('accept');
    });
  }
});

describe('the milter session keeps the first paragraph within its body limit', () => {
  it('without a body scan, a first paragraph longer than the body limit is refused as too big (it cannot be read whole)', () => {
    const session = new MilterSession({ policy: headerOnly, maxBodyBytes: 200_000 });
    session.handle(OPTNEG, 0);
    let last: MilterReply[] = [];
    for (const cmd of transaction(`stray\r\n${paddingFields(300_000)}Cc:${LIST}\r\n\r\nhello\r\n`)) last = session.handle(cmd, 0).replies;
    expect(last[0]).toMatchObject({ kind: 'replycode', code: 552 });
  });

  it('without a body scan, a body whose first paragraph ended early is accepted however long it is', () => {
    const session = new MilterSession({ policy: headerOnly, maxBodyBytes: 200_000 });
    session.handle(OPTNEG, 0);
    let last: MilterReply[] = [];
    for (const cmd of transaction(`hello\r\n\r\n${'x'.repeat(500_000)}\r\n`)) last = session.handle(cmd, 0).replies;
    expect(last[0]).toMatchObject({ kind: 'accept' });
  });
});
