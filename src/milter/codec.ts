// The milter protocol (version 6, as Postfix and Sendmail's libmilter speak it), bytes in and
// bytes out, with no I/O: MTA packets are decoded into commands, replies are encoded into
// packets. A packet is a 4-byte big-endian length (command byte included), a command byte and
// its data. Strings are NUL-terminated; header names and values are kept as latin1 strings
// (one char per byte), so 8-bit bytes round-trip exactly.
// References: Postfix MILTER_README and src/milter/milter8.c; emersion/go-milter's
// milter-protocol.txt and milter-protocol-extras.txt.

import { MILTER_MAX_PACKET_BYTES } from './limits.js';

/** Commands from the MTA. */
export const SMFIC = {
  ABORT: 0x41, // 'A'
  BODY: 0x42, // 'B'
  CONNECT: 0x43, // 'C'
  MACRO: 0x44, // 'D'
  BODYEOB: 0x45, // 'E'
  HELO: 0x48, // 'H'
  QUIT_NC: 0x4b, // 'K'
  HEADER: 0x4c, // 'L'
  MAIL: 0x4d, // 'M'
  EOH: 0x4e, // 'N'
  OPTNEG: 0x4f, // 'O'
  QUIT: 0x51, // 'Q'
  RCPT: 0x52, // 'R'
  DATA: 0x54, // 'T'
  UNKNOWN: 0x55, // 'U'
} as const;

/** Replies to the MTA. */
export const SMFIR = {
  ADDRCPT: 0x2b, // '+'
  DELRCPT: 0x2d, // '-'
  ACCEPT: 0x61, // 'a'
  CONTINUE: 0x63, // 'c'
  DISCARD: 0x64, // 'd'
  ADDHEADER: 0x68, // 'h'
  INSHEADER: 0x69, // 'i'
  CHGHEADER: 0x6d, // 'm'
  PROGRESS: 0x70, // 'p'
  QUARANTINE: 0x71, // 'q'
  REJECT: 0x72, // 'r'
  TEMPFAIL: 0x74, // 't'
  REPLYCODE: 0x79, // 'y'
  OPTNEG: 0x4f, // 'O'
} as const;

/** Actions the milter may take (OPTNEG actions mask). */
export const SMFIF = {
  ADDHDRS: 1 << 0,
  CHGBODY: 1 << 1,
  ADDRCPT: 1 << 2,
  DELRCPT: 1 << 3,
  CHGHDRS: 1 << 4,
  QUARANTINE: 1 << 5,
  CHGFROM: 1 << 6,
  ADDRCPT_PAR: 1 << 7,
  SETSYMLIST: 1 << 8,
} as const;

/** Protocol steps the milter does not want, and replies it will not send (OPTNEG protocol mask). */
export const SMFIP = {
  NOCONNECT: 1 << 0,
  NOHELO: 1 << 1,
  NOMAIL: 1 << 2,
  NORCPT: 1 << 3,
  NOBODY: 1 << 4,
  NOHDRS: 1 << 5,
  NOEOH: 1 << 6,
  NR_HDR: 1 << 7,
  NOUNKNOWN: 1 << 8,
  NODATA: 1 << 9,
  SKIP: 1 << 10,
  RCPT_REJ: 1 << 11,
  NR_CONN: 1 << 12,
  NR_HELO: 1 << 13,
  NR_MAIL: 1 << 14,
  NR_RCPT: 1 << 15,
  NR_DATA: 1 << 16,
  NR_UNKN: 1 << 17,
  NR_EOH: 1 << 18,
  NR_BODY: 1 << 19,
  HDR_LEADSPC: 1 << 20,
} as const;

/** Protocol stages a milter names macros for (SMFIF_SETSYMLIST lists in its OPTNEG reply). */
export const SMFIM = {
  CONNECT: 0,
  HELO: 1,
  ENVFROM: 2,
  ENVRCPT: 3,
  DATA: 4,
  EOM: 5,
  EOH: 6,
} as const;

export const MILTER_PROTOCOL_VERSION = 6;

export type MilterCommand =
  | { kind: 'optneg'; version: number; actions: number; protocol: number }
  | { kind: 'macro'; command: string; macros: Array<[string, string]> }
  | { kind: 'connect'; hostname: string; family: 'unknown' | 'unix' | 'inet' | 'inet6'; port: number; address: string }
  | { kind: 'helo'; name: string }
  | { kind: 'mail'; args: string[] }
  | { kind: 'rcpt'; args: string[] }
  | { kind: 'data' }
  | { kind: 'header'; name: string; value: string }
  | { kind: 'eoh' }
  | { kind: 'body'; chunk: Uint8Array }
  | { kind: 'eob' }
  | { kind: 'abort' }
  | { kind: 'quit' }
  | { kind: 'quit-nc' }
  | { kind: 'unknown'; line: string };

export type MilterReply =
  /**
   * `macros`: per stage (SMFIM), the space-separated macro names the milter wants, sent after the
   * three words (SMFIF_SETSYMLIST). A stage not listed gets the MTA's default list.
   */
  | { kind: 'optneg'; version: number; actions: number; protocol: number; macros?: Array<[stage: number, names: string]> }
  | { kind: 'continue' }
  | { kind: 'accept' }
  | { kind: 'reject' }
  | { kind: 'tempfail' }
  | { kind: 'discard' }
  | { kind: 'progress' }
  /** `code` 4xx/5xx; `text` starts with the enhanced status code. `%` is doubled on the wire. */
  | { kind: 'replycode'; code: number; text: string }
  /** `index` is 1-based per name; an empty value deletes the field. */
  | { kind: 'chgheader'; index: number; name: string; value: string }
  | { kind: 'addheader'; name: string; value: string }
  /** `index` 0 inserts before the first header field the MTA holds. */
  | { kind: 'insheader'; index: number; name: string; value: string }
  | { kind: 'quarantine'; reason: string }
  | { kind: 'addrcpt'; rcpt: string }
  | { kind: 'delrcpt'; rcpt: string };

/** A packet that breaks the protocol: the connection it came on is closed. */
export class MilterProtocolError extends Error {
  constructor(
    message: string,
    readonly reason: 'oversized' | 'empty' | 'malformed' | 'unknown-command',
  ) {
    super(message);
    this.name = 'MilterProtocolError';
  }
}

function commandName(code: number): string {
  return code >= 0x20 && code < 0x7f ? `'${String.fromCharCode(code)}'` : `0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Splits NUL-terminated strings out of a packet's data, given as latin1 text (one character per
 * byte); the data must end with a NUL (an unterminated tail is malformed).
 */
function cStrings(text: string, what: string): string[] {
  if (text.length === 0) return [];
  if (text.charCodeAt(text.length - 1) !== 0) throw new MilterProtocolError(`${what}: string not NUL-terminated`, 'malformed');
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nul = text.indexOf('\0', start);
    if (nul === -1) break;
    out.push(text.slice(start, nul));
    start = nul + 1;
  }
  return out;
}

/** A MACRO packet with no macros (a stage whose list names none the MTA has): one shared object per stage. */
const NO_MACROS = new Map<number, MilterCommand>();

function u32(data: Uint8Array, at: number): number {
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Decodes one packet's command byte and data into a command. Throws MilterProtocolError. */
export function decodeCommand(code: number, data: Uint8Array): MilterCommand {
  return decodePacket(code, asBuffer(data), 0, data.length);
}

/**
 * decodeCommand for the data at buf[start, end), read in place. A milter reads about 25 packets
 * per message (a MACRO and a HEADER per field): a Buffer view per packet and per string was most
 * of the decoder's cost (bench scenario 9), so each packet with strings is read as latin1 text
 * once and split there.
 */
function decodePacket(code: number, buf: Buffer, start: number, end: number, whole?: string): MilterCommand {
  const length = end - start;
  // The packet's bytes as latin1 text: a slice of the read's text when the decoder made one.
  const text = (from: number) => (whole === undefined ? buf.toString('latin1', from, end) : whole.slice(from, end));
  switch (code) {
    case SMFIC.OPTNEG:
      if (length < 12) throw new MilterProtocolError(`OPTNEG with ${length} data bytes (12 expected)`, 'malformed');
      return { kind: 'optneg', version: u32(buf, start), actions: u32(buf, start + 4), protocol: u32(buf, start + 8) };
    case SMFIC.MACRO: {
      if (length < 1) throw new MilterProtocolError('MACRO without a command code', 'malformed');
      const stage = buf[start]!;
      if (length === 1) {
        let empty = NO_MACROS.get(stage);
        if (!empty) NO_MACROS.set(stage, (empty = Object.freeze({ kind: 'macro', command: String.fromCharCode(stage), macros: Object.freeze([]) as unknown as Array<[string, string]> })));
        return empty;
      }
      const list = cStrings(text(start + 1), 'MACRO');
      const macros: Array<[string, string]> = [];
      for (let i = 0; i + 1 < list.length; i += 2) macros.push([list[i]!, list[i + 1]!]);
      return { kind: 'macro', command: String.fromCharCode(stage), macros };
    }
    case SMFIC.CONNECT: {
      const data = text(start);
      const nul = data.indexOf('\0');
      if (nul === -1 || nul + 1 >= length) throw new MilterProtocolError('CONNECT without a family', 'malformed');
      const hostname = data.slice(0, nul);
      const fam = data.charCodeAt(nul + 1);
      if (fam === 0x55) return { kind: 'connect', hostname, family: 'unknown', port: 0, address: '' };
      const family = fam === 0x4c ? 'unix' : fam === 0x34 ? 'inet' : fam === 0x36 ? 'inet6' : undefined;
      if (!family) throw new MilterProtocolError(`CONNECT with unknown family ${commandName(fam)}`, 'malformed');
      // After the family: the port (2 bytes, network order) and the address (a C string).
      if (length - (nul + 2) < 3) throw new MilterProtocolError('CONNECT without port and address', 'malformed');
      const [address] = cStrings(data.slice(nul + 4), 'CONNECT address');
      return { kind: 'connect', hostname, family, port: (data.charCodeAt(nul + 2) << 8) | data.charCodeAt(nul + 3), address: address ?? '' };
    }
    case SMFIC.HELO: {
      const [name] = cStrings(text(start), 'HELO');
      return { kind: 'helo', name: name ?? '' };
    }
    case SMFIC.MAIL:
    case SMFIC.RCPT: {
      const args = cStrings(text(start), code === SMFIC.MAIL ? 'MAIL' : 'RCPT');
      if (args.length === 0) throw new MilterProtocolError(`${code === SMFIC.MAIL ? 'MAIL' : 'RCPT'} without an address`, 'malformed');
      return code === SMFIC.MAIL ? { kind: 'mail', args } : { kind: 'rcpt', args };
    }
    case SMFIC.HEADER: {
      const data = text(start);
      // A name and a value, each ending in a NUL: exactly two NULs, the last byte one of them.
      const nul = data.indexOf('\0');
      if (nul <= 0 || data.indexOf('\0', nul + 1) !== data.length - 1) {
        const parts = cStrings(data, 'HEADER');
        if (parts.length !== 2 || parts[0] === '') throw new MilterProtocolError('HEADER is not a name and a value', 'malformed');
      }
      return { kind: 'header', name: data.slice(0, nul), value: data.slice(nul + 1, data.length - 1) };
    }
    case SMFIC.BODY:
      return { kind: 'body', chunk: buf.subarray(start, end) };
    case SMFIC.EOH:
      return { kind: 'eoh' };
    case SMFIC.BODYEOB:
      // Sendmail may send a last body chunk with EOB (PacketDecoder emits it as a body command
      // first); Postfix sends none.
      return { kind: 'eob' };
    case SMFIC.DATA:
      return { kind: 'data' };
    case SMFIC.ABORT:
      return { kind: 'abort' };
    case SMFIC.QUIT:
      return { kind: 'quit' };
    case SMFIC.QUIT_NC:
      return { kind: 'quit-nc' };
    case SMFIC.UNKNOWN: {
      const [line] = cStrings(text(start), 'UNKNOWN');
      return { kind: 'unknown', line: line ?? '' };
    }
    default:
      throw new MilterProtocolError(`unknown command ${commandName(code)}`, 'unknown-command');
  }
}

/** Reads up to this size are decoded from one latin1 text (PacketDecoder.push). */
const WHOLE_TEXT_BYTES = 8 * 1024;

/**
 * Splits a byte stream from the MTA into commands. Holds at most one incomplete packet, and
 * refuses a declared length over `maxPacketBytes` before reading its data. Pure: no I/O.
 */
export class PacketDecoder {
  /** Bytes of an incomplete packet, joined only once the packet is complete (no quadratic copying of a large one). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the incomplete packet needs in all (its length field read), or 4 while that is not known. */
  private needed = 4;

  constructor(readonly maxPacketBytes: number = MILTER_MAX_PACKET_BYTES) {}

  /** Bytes held for an incomplete packet. */
  get pending(): number {
    return this.buffered;
  }

  /** Feeds bytes; returns every complete command. Throws MilterProtocolError on a bad packet. */
  push(chunk: Uint8Array): MilterCommand[] {
    if (chunk.length === 0) return [];
    let buf = asBuffer(chunk);
    if (this.buffered > 0) {
      this.chunks.push(buf);
      this.buffered += buf.length;
      // Joined once the length field is here (to read it, and refuse an oversized packet before
      // its data comes), and again once the packet is complete.
      if (this.buffered < this.needed) return [];
      buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      this.chunks = [];
      this.buffered = 0;
    }
    const out: MilterCommand[] = [];
    // A read of a message's header is a few hundred bytes of small packets: one latin1 text of it,
    // sliced per string, instead of a Buffer toString per packet. Not for large reads (body).
    const whole = buf.length <= WHOLE_TEXT_BYTES ? buf.toString('latin1') : undefined;
    let pos = 0;
    for (;;) {
      const left = buf.length - pos;
      if (left < 4) {
        this.needed = 4;
        break;
      }
      const len = u32(buf, pos);
      if (len === 0) throw new MilterProtocolError('packet of length 0', 'empty');
      if (len + 4 > this.maxPacketBytes) throw new MilterProtocolError(`packet of ${len} bytes (at most ${this.maxPacketBytes - 4})`, 'oversized');
      if (left < len + 4) {
        this.needed = len + 4;
        break;
      }
      const code = buf[pos + 4]!;
      const dataStart = pos + 5;
      pos += 4 + len;
      if (code === SMFIC.BODYEOB && len > 1) out.push({ kind: 'body', chunk: buf.subarray(dataStart, pos) });
      out.push(decodePacket(code, buf, dataStart, pos, whole));
    }
    if (pos < buf.length) {
      this.chunks = [buf.subarray(pos)];
      this.buffered = buf.length - pos;
    }
    return out;
  }
}

function latin1(s: string, what: string): Buffer {
  if (s.includes('\0')) throw new RangeError(`${what} contains a NUL byte`);
  return Buffer.from(s, 'latin1');
}

function packet(code: number, parts: Uint8Array[] = []): Buffer {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(size + 1, 0);
  head[4] = code;
  return Buffer.concat([head, ...parts], 5 + size);
}

const NUL = Buffer.from([0]);

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** Encodes one reply as a packet. Throws RangeError for values the protocol cannot carry. */
export function encodeReply(reply: MilterReply): Buffer {
  switch (reply.kind) {
    case 'optneg':
      return packet(SMFIR.OPTNEG, [be32(reply.version), be32(reply.actions), be32(reply.protocol), ...(reply.macros ?? []).flatMap(([stage, names]) => [be32(stage), latin1(names, 'macro names'), NUL])]);
    case 'continue':
      return packet(SMFIR.CONTINUE);
    case 'accept':
      return packet(SMFIR.ACCEPT);
    case 'reject':
      return packet(SMFIR.REJECT);
    case 'tempfail':
      return packet(SMFIR.TEMPFAIL);
    case 'discard':
      return packet(SMFIR.DISCARD);
    case 'progress':
      return packet(SMFIR.PROGRESS);
    case 'replycode': {
      if (!(reply.code >= 400 && reply.code <= 599)) throw new RangeError(`reply code ${reply.code} is not 4xx or 5xx`);
      // One line; '%' doubled (Sendmail uses the text as a format string; Postfix undoubles it).
      const text = reply.text.replace(/[\r\n]+/g, ' ').replace(/%/g, '%%');
      return packet(SMFIR.REPLYCODE, [latin1(`${reply.code} ${text}`, 'reply text'), NUL]);
    }
    case 'chgheader':
      return packet(SMFIR.CHGHEADER, [be32(reply.index), latin1(reply.name, 'header name'), NUL, latin1(reply.value, 'header value'), NUL]);
    case 'insheader':
      return packet(SMFIR.INSHEADER, [be32(reply.index), latin1(reply.name, 'header name'), NUL, latin1(reply.value, 'header value'), NUL]);
    case 'addheader':
      return packet(SMFIR.ADDHEADER, [latin1(reply.name, 'header name'), NUL, latin1(reply.value, 'header value'), NUL]);
    case 'quarantine':
      return packet(SMFIR.QUARANTINE, [latin1(reply.reason.replace(/[\r\n]+/g, ' '), 'quarantine reason'), NUL]);
    case 'addrcpt':
      return packet(SMFIR.ADDRCPT, [latin1(reply.rcpt, 'recipient'), NUL]);
    case 'delrcpt':
      return packet(SMFIR.DELRCPT, [latin1(reply.rcpt, 'recipient'), NUL]);
  }
}

/** Encodes a command as the MTA sends it (tests, benchmarks and a client-side codec). */
export function encodeCommand(command: MilterCommand): Buffer {
  const strs = (list: string[]) => list.flatMap((s) => [latin1(s, 'string'), NUL]);
  switch (command.kind) {
    case 'optneg':
      return packet(SMFIC.OPTNEG, [be32(command.version), be32(command.actions), be32(command.protocol)]);
    case 'macro':
      return packet(SMFIC.MACRO, [Buffer.from(command.command.slice(0, 1), 'latin1'), ...strs(command.macros.flat())]);
    case 'connect': {
      const host = [latin1(command.hostname, 'hostname'), NUL];
      if (command.family === 'unknown') return packet(SMFIC.CONNECT, [...host, Buffer.from('U')]);
      const fam = command.family === 'unix' ? 'L' : command.family === 'inet' ? '4' : '6';
      const port = Buffer.alloc(2);
      port.writeUInt16BE(command.port & 0xffff, 0);
      return packet(SMFIC.CONNECT, [...host, Buffer.from(fam), port, latin1(command.address, 'address'), NUL]);
    }
    case 'helo':
      return packet(SMFIC.HELO, strs([command.name]));
    case 'mail':
      return packet(SMFIC.MAIL, strs(command.args));
    case 'rcpt':
      return packet(SMFIC.RCPT, strs(command.args));
    case 'data':
      return packet(SMFIC.DATA);
    case 'header':
      return packet(SMFIC.HEADER, strs([command.name, command.value]));
    case 'eoh':
      return packet(SMFIC.EOH);
    case 'body':
      return packet(SMFIC.BODY, [command.chunk]);
    case 'eob':
      return packet(SMFIC.BODYEOB);
    case 'abort':
      return packet(SMFIC.ABORT);
    case 'quit':
      return packet(SMFIC.QUIT);
    case 'quit-nc':
      return packet(SMFIC.QUIT_NC);
    case 'unknown':
      return packet(SMFIC.UNKNOWN, strs([command.line]));
  }
}

/** Decodes replies as the MTA reads them (tests and a client-side codec). Throws on a bad packet. */
export function decodeReplies(bytes: Uint8Array): MilterReply[] {
  const out: MilterReply[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 5) throw new MilterProtocolError('truncated reply packet', 'malformed');
    const len = u32(bytes, at);
    if (len === 0 || at + 4 + len > bytes.length) throw new MilterProtocolError('bad reply packet length', 'malformed');
    const code = bytes[at + 4]!;
    const data = bytes.subarray(at + 5, at + 4 + len);
    at += 4 + len;
    const s = (d: Uint8Array) => cStrings(asBuffer(d).toString('latin1'), 'reply');
    switch (code) {
      case SMFIR.OPTNEG: {
        if (data.length < 12) throw new MilterProtocolError('short OPTNEG reply', 'malformed');
        const neg: MilterReply = { kind: 'optneg', version: u32(data, 0), actions: u32(data, 4), protocol: u32(data, 8) };
        // SMFIF_SETSYMLIST lists: a stage (4 bytes) and its names (a C string), repeated.
        for (let i = 12; i < data.length; ) {
          const nul = data.indexOf(0, i + 4);
          if (data.length - i < 5 || nul === -1) throw new MilterProtocolError('malformed macro list in OPTNEG reply', 'malformed');
          (neg.macros ??= []).push([u32(data, i), asBuffer(data).toString('latin1', i + 4, nul)]);
          i = nul + 1;
        }
        out.push(neg);
        break;
      }
      case SMFIR.CONTINUE:
        out.push({ kind: 'continue' });
        break;
      case SMFIR.ACCEPT:
        out.push({ kind: 'accept' });
        break;
      case SMFIR.REJECT:
        out.push({ kind: 'reject' });
        break;
      case SMFIR.TEMPFAIL:
        out.push({ kind: 'tempfail' });
        break;
      case SMFIR.DISCARD:
        out.push({ kind: 'discard' });
        break;
      case SMFIR.PROGRESS:
        out.push({ kind: 'progress' });
        break;
      case SMFIR.REPLYCODE: {
        const [line = ''] = s(data);
        out.push({ kind: 'replycode', code: Number(line.slice(0, 3)), text: line.slice(4).replace(/%%/g, '%') });
        break;
      }
      case SMFIR.CHGHEADER:
      case SMFIR.INSHEADER: {
        if (data.length < 4) throw new MilterProtocolError('short header reply', 'malformed');
        const [name = '', value = ''] = s(data.subarray(4));
        out.push({ kind: code === SMFIR.CHGHEADER ? 'chgheader' : 'insheader', index: u32(data, 0), name, value });
        break;
      }
      case SMFIR.ADDHEADER: {
        const [name = '', value = ''] = s(data);
        out.push({ kind: 'addheader', name, value });
        break;
      }
      case SMFIR.QUARANTINE:
        out.push({ kind: 'quarantine', reason: s(data)[0] ?? '' });
        break;
      case SMFIR.ADDRCPT:
        out.push({ kind: 'addrcpt', rcpt: s(data)[0] ?? '' });
        break;
      case SMFIR.DELRCPT:
        out.push({ kind: 'delrcpt', rcpt: s(data)[0] ?? '' });
        break;
      default:
        throw new MilterProtocolError(`unknown reply ${commandName(code)}`, 'unknown-command');
    }
  }
  return out;
}
