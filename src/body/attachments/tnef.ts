// A bounded reader for TNEF (MS-OXTNEF: Outlook's winmail.dat, application/ms-tnef), which packs
// a message's attachments and its rich text. Outlook, Exchange and Gmail unpack it, so what is
// inside reaches every recipient as ordinary attachments; the scan reads them like zip members.
//
// Written here rather than taken from npm: node-tnef requires bunyan and yargs at run time, reads
// with no bound on counts or lengths, and is asynchronous; the other packages are unmaintained
// ports of the same code. The format is small (framed attributes, and a MAPI property list for
// the long file names and the bodies); this reads only what the address scan needs, checks every
// length against the bytes that remain, and never throws anything but TnefRefused.
//
// Checksums: an attribute whose checksum does not match is read all the same. Exchange's own TNEF
// conversion accepts such streams (it bans every compliance problem except a wrong checksum, a
// wrong codepage and a bad date), MimeKit's default (loose) reader and tnef(1) read on, so the
// recipient sees the attachment; refusing it would turn an exposed list into an info note at the
// cost of one altered byte. What cannot be framed (a length past the end, a property list that
// does not add up) is refused as unreadable: the scan does not guess where a value ends.

import { MAX_ARCHIVE_ENTRIES, MAX_RTF_BYTES } from '../../limits.js';

export type TnefProblem = 'unreadable' | 'too-many-entries' | 'too-large';

/** Thrown when a TNEF stream cannot be read within the limits; `reason` says why (ATTACHMENT_NOT_SCANNED). */
export class TnefRefused extends Error {
  constructor(
    readonly reason: TnefProblem,
    readonly detail?: string,
  ) {
    super(`tnef: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}

export interface TnefAttachment {
  /** PidTagAttachLongFilename when given, else attAttachTitle (8.3); undefined when neither. */
  name?: string;
  /** Its contents: attAttachData, and PidTagAttachDataBinary / PidTagAttachDataObject of its
   * property list when they hold other bytes (an embedded message is sent both ways). */
  data: Uint8Array[];
}

export interface TnefBody {
  /** attBody and PidTagBody are text, PidTagBodyHtml HTML, PidTagRtfCompressed RTF once inflated. */
  kind: 'text' | 'html' | 'rtf';
  text: string;
  /** The RTF was longer than the scan inflates (only its beginning is in `text`). */
  truncated?: boolean;
}

export interface TnefContent {
  attachments: TnefAttachment[];
  bodies: TnefBody[];
  /** Why reading stopped before the end: what was read before it is kept (a reader that goes as
   * far as it can shows it), the rest is reported as not scanned. */
  refused?: TnefRefused;
}

/** Bytes still allowed to be inflated (compressed RTF), shared with the rest of the message. */
export interface TnefBudget {
  remaining: number;
}

export const TNEF_SIGNATURE = 0x223e9f78;

/** Attachments per stream, for the reason entries of a zip are bounded (MAX_ARCHIVE_ENTRIES): real
 * winmail.dat files carry a handful; past it the rest is reported as not scanned. */
export const MAX_TNEF_ATTACHMENTS = MAX_ARCHIVE_ENTRIES;

/** Characters of a file name kept: file systems stop at 255, and a longer name only bloats the
 * report. Its end is kept, where the extension that decides how it is read is. */
export const MAX_TNEF_NAME_CHARS = 1024;


// Attribute ids as written: the type in the high word, the id in the low word.
const ATT_BODY = 0x0001800c;
const ATT_MSG_PROPS = 0x00069003;
const ATT_ATTACH_REND_DATA = 0x00069002;
const ATT_ATTACH_TITLE = 0x00018010;
const ATT_ATTACH_DATA = 0x0006800f;
const ATT_ATTACHMENT = 0x00069005;

// MAPI properties read from the property lists.
const PID_TAG_BODY = 0x1000;
const PID_TAG_BODY_HTML = 0x1013;
const PID_TAG_RTF_COMPRESSED = 0x1009;
const PID_TAG_ATTACH_DATA = 0x3701;
const PID_TAG_ATTACH_LONG_FILENAME = 0x3707;

const PT_STRING8 = 0x001e;
const PT_UNICODE = 0x001f;
const PT_BINARY = 0x0102;
const PT_OBJECT = 0x000d;
const MV_FLAG = 0x1000;

/** Bytes of one value of each fixed-width property type, padding included (MS-OXTNEF 2.1.3.4). */
const FIXED_WIDTH: Record<number, number> = {
  0x0000: 0, // PtypUnspecified
  0x0001: 0, // PtypNull
  0x0002: 4, // PtypInteger16, padded
  0x0003: 4, // PtypInteger32
  0x0004: 4, // PtypFloating32
  0x0005: 8, // PtypFloating64
  0x0006: 8, // PtypCurrency
  0x0007: 8, // PtypFloatingTime
  0x000a: 4, // PtypErrorCode
  0x000b: 4, // PtypBoolean, padded
  0x0014: 8, // PtypInteger64
  0x0040: 8, // PtypTime
  0x0048: 16, // PtypGuid
};

/** Reads little-endian values out of one byte range, refusing any read past its end. */
class Cursor {
  constructor(
    private readonly b: Buffer,
    public pos: number,
    private readonly end: number,
    private readonly what: string,
  ) {}
  get left(): number {
    return this.end - this.pos;
  }
  need(n: number): void {
    if (n < 0 || n > this.end - this.pos) throw new TnefRefused('unreadable', `${this.what}: truncated`);
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** Skips `n` bytes and the padding that makes them a multiple of 4. */
  padded(n: number): Buffer {
    const v = this.bytes(n);
    this.need((4 - (n % 4)) % 4);
    this.pos += (4 - (n % 4)) % 4;
    return v;
  }
}

/** A string value without its terminating NULs. */
function stringOf(bytes: Uint8Array, unicode: boolean): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(unicode ? 'utf16le' : 'latin1');
  return s.replace(/\0+$/, '');
}

function shortName(s: string): string {
  return s.length > MAX_TNEF_NAME_CHARS ? `${s.slice(0, MAX_TNEF_NAME_CHARS - 64)}...${s.slice(-61)}` : s;
}

interface MapiValue {
  id: number;
  type: number;
  /** The values of string, binary and object properties (one each unless multi-valued). */
  values: Buffer[];
}

/**
 * A MAPI property list (attMsgProps, attAttachment): the string, binary and object values, the
 * others skipped. Anything that does not add up (a count or length past the end, an unknown
 * type, bytes left over) refuses the whole stream.
 */
function readProperties(b: Buffer, start: number, end: number, what: string): MapiValue[] {
  const c = new Cursor(b, start, end, what);
  const count = c.u32();
  // Every property takes at least 4 bytes (its tag): a larger count cannot be true.
  if (count > c.left / 4) throw new TnefRefused('unreadable', `${what}: ${count} properties in ${c.left} bytes`);
  const out: MapiValue[] = [];
  for (let i = 0; i < count; i++) {
    const tagType = c.u16();
    const id = c.u16();
    if (id >= 0x8000) {
      // A named property: the property set's GUID, then a number or a UTF-16 name.
      c.bytes(16);
      const kind = c.u32();
      if (kind === 0) c.u32();
      else if (kind === 1) c.padded(c.u32());
      else throw new TnefRefused('unreadable', `${what}: named property of kind ${kind}`);
    }
    const multi = (tagType & MV_FLAG) !== 0;
    const type = tagType & ~MV_FLAG;
    if (type === PT_STRING8 || type === PT_UNICODE || type === PT_BINARY || type === PT_OBJECT) {
      const n = c.u32();
      if (n > c.left / 4 || (!multi && n !== 1)) throw new TnefRefused('unreadable', `${what}: ${n} values`);
      const values: Buffer[] = [];
      for (let k = 0; k < n; k++) values.push(c.padded(c.u32()));
      out.push({ id, type, values });
      continue;
    }
    const width = FIXED_WIDTH[type];
    if (width === undefined) throw new TnefRefused('unreadable', `${what}: property type 0x${type.toString(16)}`);
    if (!multi) {
      c.bytes(width);
      continue;
    }
    if (width === 0) throw new TnefRefused('unreadable', `${what}: multi-valued type 0x${type.toString(16)}`);
    const n = c.u32();
    if (n > c.left / width) throw new TnefRefused('unreadable', `${what}: ${n} values`);
    c.bytes(n * width);
  }
  if (c.left !== 0) throw new TnefRefused('unreadable', `${what}: ${c.left} bytes after the last property`);
  return out;
}

/**
 * The bytes of an object value: after its 16-byte interface id. An embedded message (IID_IMessage)
 * is a TNEF stream of its own (the scan finds it by its signature and does not open it, one level
 * deep); other objects (OLE storages) are returned as they are stored.
 */
function objectBytes(v: Buffer): Buffer {
  if (v.length < 16) throw new TnefRefused('unreadable', 'object value shorter than its interface id');
  return v.subarray(16);
}

/**
 * Reads a TNEF stream: its attachments and bodies, as far as it can be framed. Never throws: a
 * stream that stops making sense keeps what came before and says why in `refused`.
 */
export function readTnef(input: Uint8Array, budget: TnefBudget): TnefContent {
  const content: TnefContent = { attachments: [], bodies: [] };
  try {
    readAttributes(Buffer.from(input.buffer, input.byteOffset, input.byteLength), budget, content);
  } catch (err) {
    if (!(err instanceof TnefRefused)) throw err;
    content.refused = err;
  }
  return content;
}

function readAttributes(b: Buffer, budget: TnefBudget, content: TnefContent): void {
  const c = new Cursor(b, 0, b.length, 'TNEF stream');
  if (c.u32() !== TNEF_SIGNATURE) throw new TnefRefused('unreadable', 'no TNEF signature');
  c.u16(); // legacy key
  let current: TnefAttachment | undefined;
  const attachment = (): TnefAttachment => {
    if (current === undefined) {
      // Attributes of an attachment before any attAttachRendData: lenient readers keep them.
      if (content.attachments.length >= MAX_TNEF_ATTACHMENTS) throw new TnefRefused('too-many-entries', `over ${MAX_TNEF_ATTACHMENTS} attachments`);
      current = { data: [] };
      content.attachments.push(current);
    }
    return current;
  };
  let title: string | undefined;
  let longName: string | undefined;
  const nameAttachment = (): void => {
    const name = longName ?? title;
    if (current !== undefined && name !== undefined && name !== '') current.name = shortName(name);
  };
  while (c.left > 0) {
    c.u8(); // level: 1 message, 2 attachment; the id alone says what the attribute is
    const id = c.u32();
    const length = c.u32();
    const at = c.pos;
    const data = c.bytes(length);
    c.u16(); // checksum: read on when it is wrong (see the header comment)
    switch (id) {
      case ATT_ATTACH_REND_DATA:
        if (content.attachments.length >= MAX_TNEF_ATTACHMENTS) throw new TnefRefused('too-many-entries', `over ${MAX_TNEF_ATTACHMENTS} attachments`);
        current = { data: [] };
        content.attachments.push(current);
        title = undefined;
        longName = undefined;
        break;
      case ATT_ATTACH_TITLE:
        attachment();
        title = stringOf(data.subarray(0, data.indexOf(0) === -1 ? data.length : data.indexOf(0)), false);
        nameAttachment();
        break;
      case ATT_ATTACH_DATA:
        attachment().data.push(data);
        break;
      case ATT_ATTACHMENT: {
        const a = attachment();
        for (const p of readProperties(b, at, at + length, 'attachment properties')) {
          const v = p.values[0];
          if (v === undefined) continue;
          if (p.id === PID_TAG_ATTACH_LONG_FILENAME && (p.type === PT_UNICODE || p.type === PT_STRING8)) {
            longName = stringOf(v, p.type === PT_UNICODE);
            nameAttachment();
          } else if (p.id === PID_TAG_ATTACH_DATA && (p.type === PT_BINARY || p.type === PT_OBJECT)) {
            const bytes = p.type === PT_OBJECT ? objectBytes(v) : v;
            if (!a.data.some((d) => Buffer.compare(d, bytes) === 0)) a.data.push(bytes);
          }
        }
        break;
      }
      case ATT_BODY:
        content.bodies.push({ kind: 'text', text: stringOf(data, false) });
        break;
      case ATT_MSG_PROPS:
        for (const p of readProperties(b, at, at + length, 'message properties')) {
          for (const v of p.values) {
            if (p.id === PID_TAG_BODY && (p.type === PT_UNICODE || p.type === PT_STRING8)) content.bodies.push({ kind: 'text', text: stringOf(v, p.type === PT_UNICODE) });
            else if (p.id === PID_TAG_BODY_HTML && (p.type === PT_UNICODE || p.type === PT_STRING8 || p.type === PT_BINARY)) content.bodies.push({ kind: 'html', text: stringOf(v, p.type === PT_UNICODE) });
            else if (p.id === PID_TAG_RTF_COMPRESSED && p.type === PT_BINARY) {
              const rtf = inflateRtf(v, Math.min(MAX_RTF_BYTES, budget.remaining));
              budget.remaining -= rtf.bytes.length;
              const body: TnefBody = { kind: 'rtf', text: rtf.bytes.toString('latin1') };
              if (rtf.truncated) body.truncated = true;
              content.bodies.push(body);
            }
          }
        }
        break;
      default:
        break;
    }
  }
}

/** The dictionary MS-OXRTFCP starts from (2.1.3.1.1): the RTF most bodies open with. */
const RTF_PREBUF = Buffer.from(
  '{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx',
  'latin1',
);
const COMPRESSED = 0x75465a4c; // "LZFu"
const UNCOMPRESSED = 0x414c454d; // "MELA"

/**
 * Inflates compressed RTF (MS-OXRTFCP, PidTagRtfCompressed) into at most `limit` bytes. The CRC is
 * not checked, for the reason checksums are not (see the header comment); a header or a reference
 * that does not fit is refused.
 */
export function inflateRtf(input: Uint8Array, limit: number): { bytes: Buffer; truncated: boolean } {
  const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (b.length < 16) throw new TnefRefused('unreadable', 'compressed RTF: truncated header');
  const compSize = b.readUInt32LE(0);
  const rawSize = b.readUInt32LE(4);
  const type = b.readUInt32LE(8);
  // compSize counts the bytes after itself; an Outlook writer may pad the value, never shorten it.
  const end = Math.min(b.length, 4 + compSize);
  if (end < 16) throw new TnefRefused('unreadable', 'compressed RTF: bad size');
  if (type === UNCOMPRESSED) {
    const raw = b.subarray(16, end);
    return { bytes: raw.length > limit ? raw.subarray(0, limit) : raw, truncated: raw.length > limit };
  }
  if (type !== COMPRESSED) throw new TnefRefused('unreadable', 'compressed RTF: unknown type');
  // A control byte and eight 2-byte references give at most 8 x 17 bytes from 17: the declared
  // size is never believed past that.
  const want = Math.min(rawSize, limit, (end - 16) * 8);
  const out = Buffer.allocUnsafe(want);
  const dict = Buffer.alloc(4096);
  RTF_PREBUF.copy(dict);
  let w = RTF_PREBUF.length;
  let o = 0;
  let p = 16;
  while (p < end && o < want) {
    const control = b[p++]!;
    for (let bit = 0; bit < 8 && o < want; bit++) {
      if ((control & (1 << bit)) === 0) {
        if (p >= end) return { bytes: out.subarray(0, o), truncated: false };
        const v = b[p++]!;
        out[o++] = v;
        dict[w] = v;
        w = (w + 1) & 0xfff;
        continue;
      }
      if (p + 2 > end) throw new TnefRefused('unreadable', 'compressed RTF: truncated reference');
      const ref = (b[p]! << 8) | b[p + 1]!;
      p += 2;
      const offset = ref >> 4;
      // A reference to the write position itself ends the stream.
      if (offset === w) return { bytes: out.subarray(0, o), truncated: false };
      const length = (ref & 0xf) + 2;
      for (let k = 0; k < length && o < want; k++) {
        const v = dict[(offset + k) & 0xfff]!;
        out[o++] = v;
        dict[w] = v;
        w = (w + 1) & 0xfff;
      }
    }
  }
  return { bytes: out.subarray(0, o), truncated: o >= want && rawSize > limit };
}
