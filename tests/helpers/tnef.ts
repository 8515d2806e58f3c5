// A small TNEF (winmail.dat, MS-OXTNEF) writer for tests: attributes with their checksums, MAPI
// property lists with string, binary, fixed and named properties, so the reader is tested on
// streams built to the specification rather than on the two real ones alone.

export const LEVEL_MESSAGE = 1;
export const LEVEL_ATTACHMENT = 2;

export const ATT = {
  tnefVersion: 0x00089006,
  oemCodepage: 0x00069007,
  messageClass: 0x00078008,
  body: 0x0001800c,
  msgProps: 0x00069003,
  attachRendData: 0x00069002,
  attachTitle: 0x00018010,
  attachData: 0x0006800f,
  attachment: 0x00069005,
} as const;

export const PT = { long: 0x0003, boolean: 0x000b, systime: 0x0040, string8: 0x001e, unicode: 0x001f, binary: 0x0102, object: 0x000d, mvLong: 0x1003, mvUnicode: 0x101f } as const;

/** One attribute: level, id, length, data and the checksum (the data's bytes summed, mod 65536). */
export function attribute(level: number, id: number, data: Uint8Array | string, options: { checksum?: number; length?: number } = {}): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
  const head = Buffer.alloc(9);
  head.writeUInt8(level, 0);
  head.writeUInt32LE(id >>> 0, 1);
  head.writeUInt32LE((options.length ?? bytes.length) >>> 0, 5);
  const sum = Buffer.alloc(2);
  sum.writeUInt16LE(options.checksum ?? bytes.reduce((s, b) => (s + b) & 0xffff, 0), 0);
  return Buffer.concat([head, bytes, sum]);
}

/** The stream: signature, legacy key, then the attributes. */
export function tnefStream(attributes: Buffer[]): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32LE(0x223e9f78, 0);
  head.writeUInt16LE(0x1234, 4);
  return Buffer.concat([head, ...attributes]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}
function pad(b: Buffer): Buffer {
  return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
}

export interface MapiProperty {
  type: number;
  id: number;
  /** Strings and binaries: the values (one unless multi-valued); fixed types: the raw value bytes. */
  values: Array<Buffer | string>;
  /** A named property (id >= 0x8000): its name, or its numeric id. */
  name?: string | number;
}

/** A MAPI property list as attMsgProps and attAttachment carry it. */
export function propertyList(props: MapiProperty[]): Buffer {
  const out: Buffer[] = [u32(props.length)];
  for (const p of props) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16LE(p.type, 0);
    tag.writeUInt16LE(p.id, 2);
    out.push(tag);
    if (p.name !== undefined) {
      out.push(Buffer.alloc(16, 0xab));
      if (typeof p.name === 'number') out.push(u32(0), u32(p.name));
      else {
        const name = Buffer.from(`${p.name}\0`, 'utf16le');
        out.push(u32(1), u32(name.length), pad(name));
      }
    }
    const base = p.type & ~0x1000;
    const encode = (v: Buffer | string) => (typeof v === 'string' ? Buffer.from(`${v}\0`, base === PT.unicode ? 'utf16le' : 'latin1') : v);
    if (base === PT.string8 || base === PT.unicode || base === PT.binary || base === PT.object) {
      out.push(u32(p.values.length));
      for (const v of p.values.map(encode)) out.push(u32(v.length), pad(v));
    } else {
      if (p.type & 0x1000) out.push(u32(p.values.length));
      for (const v of p.values.map(encode)) out.push(pad(v));
    }
  }
  return Buffer.concat(out);
}

export interface TnefFile {
  /** attAttachTitle: the 8.3 name. */
  title?: string;
  /** PidTagAttachLongFilename in attAttachment (PT_UNICODE). */
  longName?: string;
  data: Uint8Array | string;
  /** Extra properties of attAttachment. */
  properties?: MapiProperty[];
}

/** A winmail.dat as Outlook writes one: version, codepage, class, body, then each attachment. */
export function buildTnef(files: TnefFile[], options: { body?: string; messageProperties?: MapiProperty[] } = {}): Buffer {
  const version = u32(0x00010000);
  const attrs: Buffer[] = [attribute(LEVEL_MESSAGE, ATT.tnefVersion, version), attribute(LEVEL_MESSAGE, ATT.oemCodepage, Buffer.concat([u32(1252), u32(0)])), attribute(LEVEL_MESSAGE, ATT.messageClass, 'IPM.Microsoft Mail.Note\0')];
  if (options.body !== undefined) attrs.push(attribute(LEVEL_MESSAGE, ATT.body, `${options.body}\0`));
  if (options.messageProperties !== undefined) attrs.push(attribute(LEVEL_MESSAGE, ATT.msgProps, propertyList(options.messageProperties)));
  for (const f of files) {
    attrs.push(attribute(LEVEL_ATTACHMENT, ATT.attachRendData, Buffer.alloc(14)));
    if (f.title !== undefined) attrs.push(attribute(LEVEL_ATTACHMENT, ATT.attachTitle, `${f.title}\0`));
    attrs.push(attribute(LEVEL_ATTACHMENT, ATT.attachData, typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : f.data));
    const props: MapiProperty[] = [{ type: PT.long, id: 0x3705, values: [u32(1)] }, ...(f.properties ?? [])];
    if (f.longName !== undefined) props.push({ type: PT.unicode, id: 0x3707, values: [f.longName] });
    attrs.push(attribute(LEVEL_ATTACHMENT, ATT.attachment, propertyList(props)));
  }
  return tnefStream(attrs);
}
