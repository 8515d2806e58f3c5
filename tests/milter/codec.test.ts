// The milter codec against the bytes Postfix 3.7 really sent (fixtures/milter/*.json, captured
// with a recording milter through smtpd_milters and through the sendmail command), known reply
// encodings, and fuzzing: no input makes the decoder throw anything but MilterProtocolError.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCommand, decodeReplies, encodeCommand, encodeReply, MilterProtocolError, PacketDecoder, SMFIF, SMFIM, SMFIP, type MilterCommand, type MilterReply } from '../../src/milter/codec.js';
import { headerBytes } from '../../src/milter/header-edits.js';
import { FIXTURES } from '../helpers/cli.js';

function capture(name: string): { mtaToMilter: Buffer; milterToMta: Buffer } {
  const json = JSON.parse(readFileSync(path.join(FIXTURES, 'milter', name), 'utf8')) as { mtaToMilter: string; milterToMta: string };
  return { mtaToMilter: Buffer.from(json.mtaToMilter, 'base64'), milterToMta: Buffer.from(json.milterToMta, 'base64') };
}

const SMTPD = capture('postfix-3.7-smtpd.json');
const SENDMAIL = capture('postfix-3.7-sendmail.json');

/** The message both captures carried, as the client sent it. */
const SENT_HEADER = 'From: Alice <alice@inbox.test>\r\nTo: Bob <bob@inbox.test>,\r\n\tcarol@inbox.test\r\nCc:   dave@inbox.test\r\nSubject: capture\r\nX-Empty:\r\nX-Tab:\tvalue\r\n';

describe('decoding what Postfix sends', () => {
  it.each([
    ['smtpd_milters', SMTPD, ['<alice@inbox.test>'], [['<bob@inbox.test>'], ['<carol@inbox.test>']]],
    ['non_smtpd_milters (sendmail -t)', SENDMAIL, ['alice@inbox.test'], [['bob@inbox.test'], ['carol@inbox.test'], ['dave@inbox.test']]],
  ])('%s: the command sequence, envelope and header fields', (_name, cap, mail, rcpts) => {
    const commands = new PacketDecoder().push(cap.mtaToMilter);
    const kinds = commands.map((c) => c.kind);
    expect(kinds[0]).toBe('optneg');
    expect(commands[0]).toEqual({ kind: 'optneg', version: 6, actions: 0x1ff, protocol: 0x1fffff });
    expect(kinds.slice(1, 3)).toEqual(['macro', 'connect']);
    expect(commands[2]).toMatchObject({ kind: 'connect', hostname: 'localhost', family: 'inet', address: '127.0.0.1' });
    expect(commands.find((c) => c.kind === 'mail')).toEqual({ kind: 'mail', args: mail });
    expect(commands.filter((c) => c.kind === 'rcpt').map((c) => (c as { args: string[] }).args)).toEqual(rcpts);
    // Each header field is one packet; with SMFIP_HDR_LEADSPC the value keeps its leading white
    // space, and a folded value uses a bare LF.
    const fields = commands.flatMap((c) => (c.kind === 'header' ? [{ name: c.name, value: c.value }] : []));
    expect(fields.slice(0, 3)).toEqual([
      { name: 'From', value: ' Alice <alice@inbox.test>' },
      { name: 'To', value: ' Bob <bob@inbox.test>,\n\tcarol@inbox.test' },
      { name: 'Cc', value: '   dave@inbox.test' },
    ]);
    // Rebuilt, the fields the client sent come back byte for byte (Postfix adds Message-Id and Date).
    expect(headerBytes(fields, true).toString('latin1').startsWith(SENT_HEADER)).toBe(true);
    expect(fields.map((f) => f.name).slice(-2)).toEqual(['Message-Id', 'Date']);
    // The queue id arrives as macro i; the body comes CRLF, dot-unstuffed; then end of body.
    expect(commands.some((c) => c.kind === 'macro' && c.macros.some(([n, v]) => n === 'i' && /^[0-9A-F]+$/.test(v)))).toBe(true);
    const body = commands.find((c) => c.kind === 'body') as { chunk: Uint8Array };
    expect(Buffer.from(body.chunk).toString('latin1')).toMatch(/^Hello\r\n\.\. dotted line\r\n/);
    expect(kinds.slice(kinds.indexOf('eoh'))).toEqual(expect.arrayContaining(['eoh', 'body', 'eob']));
  });

  it('gives the same commands however the stream is cut, down to one byte at a time', () => {
    for (const cap of [SMTPD, SENDMAIL]) {
      const whole = new PacketDecoder().push(cap.mtaToMilter);
      const d = new PacketDecoder();
      const bytewise: MilterCommand[] = [];
      for (const b of cap.mtaToMilter) bytewise.push(...d.push(Buffer.from([b])));
      expect(bytewise).toEqual(whole);
      expect(d.pending).toBe(0);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: cap.mtaToMilter.length }), { maxLength: 20 }), (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const dec = new PacketDecoder();
          const got: MilterCommand[] = [];
          let at = 0;
          for (const p of [...points, cap.mtaToMilter.length]) {
            got.push(...dec.push(cap.mtaToMilter.subarray(at, p)));
            at = p;
          }
          expect(got).toEqual(whole);
        }),
      );
    }
  });

  it('end of body with a last chunk (as Sendmail may send it) is that chunk, then end of body', () => {
    const packet = Buffer.from([0, 0, 0, 4, 0x45, 0x61, 0x62, 0x63]);
    expect(new PacketDecoder().push(packet)).toEqual([{ kind: 'body', chunk: Buffer.from('abc') }, { kind: 'eob' }]);
  });

  it('re-encodes every captured command to the exact bytes Postfix sent', () => {
    for (const cap of [SMTPD, SENDMAIL]) {
      const commands = new PacketDecoder().push(cap.mtaToMilter);
      expect(Buffer.concat(commands.map(encodeCommand)).equals(cap.mtaToMilter)).toBe(true);
    }
  });

  it('reads what the capturing milter answered (OPTNEG with version 6, then accept)', () => {
    const replies = decodeReplies(SMTPD.milterToMta);
    expect(replies[0]).toMatchObject({ kind: 'optneg', version: 6 });
    expect(replies[1]).toEqual({ kind: 'accept' });
  });
});

describe('encoding replies', () => {
  const cases: Array<[MilterReply, string]> = [
    [{ kind: 'continue' }, '0000000163'],
    [{ kind: 'accept' }, '0000000161'],
    [{ kind: 'tempfail' }, '0000000174'],
    [{ kind: 'optneg', version: 6, actions: SMFIF.ADDHDRS | SMFIF.CHGHDRS | SMFIF.QUARANTINE, protocol: SMFIP.NOHELO | SMFIP.HDR_LEADSPC }, '0000000d4f000000060000003100100002'],
    // SMFIF_SETSYMLIST: after the three words, a stage (4 bytes) and its names, NUL-terminated, per stage.
    [
      { kind: 'optneg', version: 6, actions: SMFIF.ADDHDRS | SMFIF.SETSYMLIST, protocol: 0, macros: [[SMFIM.ENVFROM, '{auth_authen}'], [SMFIM.EOM, 'i']] },
      `000000254f000000060000010100000000${'00000002'}${Buffer.from('{auth_authen}\0').toString('hex')}${'00000005'}${Buffer.from('i\0').toString('hex')}`,
    ],
    [{ kind: 'replycode', code: 550, text: '5.7.1 100% blocked' }, `0000001979${Buffer.from('550 5.7.1 100%% blocked\0').toString('hex')}`],
    [{ kind: 'chgheader', index: 2, name: 'To', value: ' a@b' }, `0000000d6d00000002${Buffer.from('To\0 a@b\0').toString('hex')}`],
    [{ kind: 'chgheader', index: 1, name: 'Bcc', value: '' }, `0000000a6d00000001${Buffer.from('Bcc\0\0').toString('hex')}`],
    [{ kind: 'insheader', index: 3, name: 'To', value: ' x' }, `0000000b6900000003${Buffer.from('To\0 x\0').toString('hex')}`],
    [{ kind: 'addheader', name: 'X-A', value: ' 1' }, `0000000868${Buffer.from('X-A\0 1\0').toString('hex')}`],
    [{ kind: 'quarantine', reason: 'held\r\nby mailguard' }, `0000001371${Buffer.from('held by mailguard\0').toString('hex')}`],
  ];
  it.each(cases)('%j', (reply, hex) => {
    expect(encodeReply(reply).toString('hex')).toBe(hex);
  });

  it('round-trips replies through decodeReplies', () => {
    const all = cases.map(([r]) => r).filter((r) => r.kind !== 'quarantine');
    const back = decodeReplies(Buffer.concat(all.map(encodeReply)));
    expect(back).toEqual(all);
  });

  it('refuses what the protocol cannot carry', () => {
    expect(() => encodeReply({ kind: 'chgheader', index: 1, name: 'To', value: 'a\0b' })).toThrow(RangeError);
    expect(() => encodeReply({ kind: 'replycode', code: 250, text: 'ok' })).toThrow(RangeError);
  });
});

describe('malformed and oversized packets', () => {
  it.each([
    ['length 0', [0, 0, 0, 0], 'empty'],
    ['length over the limit, refused before its data arrives', [0, 0x20, 0, 0, 0x42], 'oversized'],
    ['unknown command', [0, 0, 0, 1, 0x5a], 'unknown-command'],
    ['OPTNEG too short', [0, 0, 0, 5, 0x4f, 0, 0, 0, 6], 'malformed'],
    ['HEADER without NULs', [0, 0, 0, 4, 0x4c, 0x41, 0x42, 0x43], 'malformed'],
    ['HEADER with one string', [0, 0, 0, 4, 0x4c, 0x41, 0x42, 0x00], 'malformed'],
    ['MAIL with no address', [0, 0, 0, 1, 0x4d], 'malformed'],
    ['CONNECT with a bad family', [0, 0, 0, 4, 0x43, 0x68, 0x00, 0x58], 'malformed'],
    ['MACRO with nothing', [0, 0, 0, 1, 0x44], 'malformed'],
  ])('%s', (_name, bytes, reason) => {
    const d = new PacketDecoder(64 * 1024);
    try {
      d.push(Buffer.from(bytes));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MilterProtocolError);
      expect((err as MilterProtocolError).reason).toBe(reason);
    }
  });

  it('fuzz: random bytes and mutated captures only ever give commands or MilterProtocolError, within the packet limit', () => {
    const limit = 4096;
    const mutated = fc.tuple(fc.constantFrom(SMTPD.mtaToMilter, SENDMAIL.mtaToMilter), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat()).map(([base, flips, cut]) => {
      const b = Buffer.from(base);
      for (const [at, v] of flips) b[at % b.length] = v;
      return b.subarray(0, (cut % b.length) + 1);
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), fc.integer({ min: 1, max: 64 }), (bytes, step) => {
        const d = new PacketDecoder(limit);
        try {
          for (let at = 0; at < bytes.length; at += step) {
            for (const c of d.push(bytes.subarray(at, at + step))) expect(typeof c.kind).toBe('string');
            expect(d.pending).toBeLessThan(limit + step);
          }
        } catch (err) {
          if (!(err instanceof MilterProtocolError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: decodeCommand on any command byte and data never throws anything else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 64 }), (code, data) => {
        try {
          decodeCommand(code, data);
        } catch (err) {
          if (!(err instanceof MilterProtocolError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

// The decoder reads packets in place (offsets into the read buffer, one latin1 string per packet).
// This is the earlier decoder, a Buffer view per packet and per string, kept as the reference
// the faster one must equal on any bytes: same commands, or the same protocol error.
function referenceDecode(code: number, data: Buffer): MilterCommand {
  const strings = (d: Buffer, what: string): string[] => {
    if (d.length === 0) return [];
    if (d[d.length - 1] !== 0) throw new MilterProtocolError(`${what}: string not NUL-terminated`, 'malformed');
    const out: string[] = [];
    for (let start = 0, nul; (nul = d.indexOf(0, start)) !== -1; start = nul + 1) out.push(d.toString('latin1', start, nul));
    return out;
  };
  const u = (at: number) => data.readUInt32BE(at);
  switch (code) {
    case 0x4f:
      if (data.length < 12) throw new MilterProtocolError('', 'malformed');
      return { kind: 'optneg', version: u(0), actions: u(4), protocol: u(8) };
    case 0x44: {
      if (data.length < 1) throw new MilterProtocolError('', 'malformed');
      const list = strings(data.subarray(1), 'MACRO');
      const macros: Array<[string, string]> = [];
      for (let i = 0; i + 1 < list.length; i += 2) macros.push([list[i]!, list[i + 1]!]);
      return { kind: 'macro', command: String.fromCharCode(data[0]!), macros };
    }
    case 0x43: {
      const nul = data.indexOf(0);
      if (nul === -1 || nul + 1 >= data.length) throw new MilterProtocolError('', 'malformed');
      const hostname = data.toString('latin1', 0, nul);
      const fam = data[nul + 1];
      if (fam === 0x55) return { kind: 'connect', hostname, family: 'unknown', port: 0, address: '' };
      const family = fam === 0x4c ? 'unix' : fam === 0x34 ? 'inet' : fam === 0x36 ? 'inet6' : undefined;
      if (!family) throw new MilterProtocolError('', 'malformed');
      const rest = data.subarray(nul + 2);
      if (rest.length < 3) throw new MilterProtocolError('', 'malformed');
      return { kind: 'connect', hostname, family, port: (rest[0]! << 8) | rest[1]!, address: strings(rest.subarray(2), 'CONNECT address')[0] ?? '' };
    }
    case 0x48:
      return { kind: 'helo', name: strings(data, 'HELO')[0] ?? '' };
    case 0x4d:
    case 0x52: {
      const args = strings(data, 'MAIL');
      if (args.length === 0) throw new MilterProtocolError('', 'malformed');
      return code === 0x4d ? { kind: 'mail', args } : { kind: 'rcpt', args };
    }
    case 0x4c: {
      const parts = strings(data, 'HEADER');
      if (parts.length !== 2 || parts[0] === '') throw new MilterProtocolError('', 'malformed');
      return { kind: 'header', name: parts[0]!, value: parts[1]! };
    }
    case 0x42:
      return { kind: 'body', chunk: data };
    case 0x55:
      return { kind: 'unknown', line: strings(data, 'UNKNOWN')[0] ?? '' };
    default: {
      const simple: Record<number, MilterCommand> = { 0x4e: { kind: 'eoh' }, 0x45: { kind: 'eob' }, 0x54: { kind: 'data' }, 0x41: { kind: 'abort' }, 0x51: { kind: 'quit' }, 0x4b: { kind: 'quit-nc' } };
      const c = simple[code];
      if (!c) throw new MilterProtocolError('', 'unknown-command');
      return c;
    }
  }
}

const outcome = (decode: () => MilterCommand): unknown => {
  try {
    const c = decode();
    return c.kind === 'body' ? { kind: 'body', chunk: [...c.chunk] } : c;
  } catch (err) {
    if (!(err instanceof MilterProtocolError)) throw err;
    return { error: err.reason };
  }
};

describe('the in-place decoder equals the reference decoder', () => {
  // Data made of the bytes that matter (NULs, family letters, high latin1) more often than chance gives.
  const bytes = fc.array(fc.oneof(fc.constantFrom(0, 0, 0, 0x34, 0x36, 0x4c, 0x55, 0x0a, 0xe9, 0xff), fc.integer({ min: 0, max: 255 })), { maxLength: 40 }).map((a) => Buffer.from(a));
  const codes = fc.oneof(fc.constantFrom(0x4f, 0x44, 0x43, 0x48, 0x4d, 0x52, 0x4c, 0x42, 0x55, 0x4e, 0x45, 0x54, 0x41, 0x51, 0x4b), fc.integer({ min: 0, max: 255 }));

  it('on any command byte and data', () => {
    fc.assert(
      fc.property(codes, bytes, fc.integer({ min: 0, max: 8 }), (code, data, offset) => {
        // Inside a larger buffer, as packets are inside a read.
        const inside = Buffer.concat([Buffer.alloc(offset, 0x7a), data, Buffer.alloc(3, 0x7a)]).subarray(offset, offset + data.length);
        expect(outcome(() => decodeCommand(code, inside))).toEqual(outcome(() => referenceDecode(code, Buffer.from(data))));
      }),
      { numRuns: 20_000 },
    );
  });

  it('on packet streams cut anywhere: every command as the reference decodes it, in order', () => {
    const packetOf = ([code, data]: [number, Buffer]) => {
      const head = Buffer.alloc(5);
      head.writeUInt32BE(data.length + 1, 0);
      head[4] = code;
      return Buffer.concat([head, data]);
    };
    const valid = fc.tuple(codes, bytes).filter(([code, data]) => !('error' in (outcome(() => referenceDecode(code, data)) as object)) && !(code === 0x45 && data.length > 0));
    fc.assert(
      fc.property(fc.array(valid, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 30 }), (packets, steps) => {
        const stream = Buffer.concat(packets.map(packetOf));
        const d = new PacketDecoder();
        const got: unknown[] = [];
        let at = 0;
        for (const step of steps) {
          got.push(...d.push(stream.subarray(at, at + step)).map((c) => outcome(() => c)));
          at = Math.min(stream.length, at + step);
        }
        got.push(...d.push(stream.subarray(at)).map((c) => outcome(() => c)));
        expect(d.pending).toBe(0);
        expect(got).toEqual(packets.map(([code, data]) => outcome(() => referenceDecode(code, data))));
      }),
      { numRuns: 3000 },
    );
  });
});
