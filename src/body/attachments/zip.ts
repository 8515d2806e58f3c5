// A bounded reader for zip containers (xlsx, ods, docx, odt and plain .zip attachments).
//
// Written here rather than taken from a library, on measurement: fflate's unzipSync trusts the
// sizes an archive declares, so an entry that declares 1,000 bytes but inflates to 1 GiB took
// 6.7 s and came back silently cut to 1,000 bytes (content the scanner never saw, which Excel
// may still show); yauzl is callback-based and the check is synchronous. The container format is
// small (central directory, local headers); inflating is node:zlib's, with maxOutputLength, which
// stops at the limit instead of after the whole stream (the same bomb: refused in ~0.3 s).
// Entries are found through the central directory, as Excel and LibreOffice find them.

import { createRequire } from 'node:module';
import { MAX_ARCHIVE_ENTRIES, MAX_COMPRESSION_RATIO } from '../../limits.js';

const require = createRequire(import.meta.url);
let zlib: typeof import('node:zlib') | undefined;

export type ZipProblem = 'unreadable' | 'encrypted' | 'too-many-entries' | 'compression-ratio' | 'too-large' | 'unsupported-compression';

/** Thrown when an archive cannot be read within the limits; `reason` says why (ATTACHMENT_NOT_SCANNED). */
export class ZipRefused extends Error {
  constructor(
    readonly reason: ZipProblem,
    readonly detail?: string,
  ) {
    super(`zip: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}

export interface ZipEntry {
  name: string;
  compressedSize: number;
  size: number;
  method: number;
  encrypted: boolean;
  localOffset: number;
}

/** Inflated bytes still allowed, shared by every entry of every attachment of one message. */
export interface InflateBudget {
  remaining: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

function u16(b: Buffer, at: number): number {
  if (at + 2 > b.length) throw new ZipRefused('unreadable', 'truncated');
  return b.readUInt16LE(at);
}
function u32(b: Buffer, at: number): number {
  if (at + 4 > b.length) throw new ZipRefused('unreadable', 'truncated');
  return b.readUInt32LE(at);
}
function u64(b: Buffer, at: number): number {
  if (at + 8 > b.length) throw new ZipRefused('unreadable', 'truncated');
  return Number(b.readBigUInt64LE(at));
}

/** The entries of a zip archive, from its central directory. Refuses past MAX_ARCHIVE_ENTRIES. */
export function listZip(input: Uint8Array): ZipEntry[] {
  const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // The end record is within the last 64 KiB + 22 bytes (its comment is at most 65,535 bytes).
  let e = -1;
  for (let i = b.length - 22; i >= 0 && i >= b.length - 22 - 65_535; i--) {
    if (b.readUInt32LE(i) === EOCD) {
      e = i;
      break;
    }
  }
  if (e < 0) throw new ZipRefused('unreadable', 'no end of central directory (truncated or not a zip)');
  let count = u16(b, e + 10);
  let offset = u32(b, e + 16);
  if ((count === 0xffff || offset === 0xffffffff) && e >= 20 && u32(b, e - 20) === ZIP64_LOCATOR) {
    const z = u64(b, e - 12);
    if (u32(b, z) !== ZIP64_EOCD) throw new ZipRefused('unreadable', 'bad zip64 record');
    count = u64(b, z + 32);
    offset = u64(b, z + 48);
  }
  if (count > MAX_ARCHIVE_ENTRIES) throw new ZipRefused('too-many-entries', `${count} entries`);
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (u32(b, p) !== CENTRAL) throw new ZipRefused('unreadable', 'bad central directory');
    const flags = u16(b, p + 8);
    const method = u16(b, p + 10);
    let compressedSize = u32(b, p + 20);
    let size = u32(b, p + 24);
    const nameLength = u16(b, p + 28);
    const extraLength = u16(b, p + 30);
    const commentLength = u16(b, p + 32);
    let localOffset = u32(b, p + 42);
    if (p + 46 + nameLength > b.length) throw new ZipRefused('unreadable', 'truncated');
    const name = b.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength);
    // Zip64 sizes live in the extra field, in this order, for the values that are 0xffffffff.
    let x = p + 46 + nameLength;
    const xEnd = x + extraLength;
    while (x + 4 <= xEnd) {
      const id = u16(b, x);
      const len = u16(b, x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        if (size === 0xffffffff) (size = u64(b, q)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(b, q)), (q += 8);
        if (localOffset === 0xffffffff) localOffset = u64(b, q);
      }
      x += 4 + len;
    }
    entries.push({ name, compressedSize, size, method, encrypted: (flags & 1) === 1, localOffset });
    p = xEnd + commentLength;
  }
  return entries;
}

/**
 * One entry's bytes. The declared size is held to MAX_COMPRESSION_RATIO, the message's remaining
 * budget and `maxBytes` before anything is inflated; inflating stops one byte past the declared
 * size; an entry that inflates to another size than it declares is refused (readers that trust
 * the declaration would see other content).
 */
export function readZipEntry(input: Uint8Array, entry: ZipEntry, budget: InflateBudget, maxBytes: number): Buffer {
  const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (entry.encrypted) throw new ZipRefused('encrypted', entry.name);
  if (entry.method !== 0 && entry.method !== 8) throw new ZipRefused('unsupported-compression', `method ${entry.method}`);
  if (entry.size > Math.max(entry.compressedSize, 1) * MAX_COMPRESSION_RATIO) throw new ZipRefused('compression-ratio', entry.name);
  if (entry.size > budget.remaining || entry.size > maxBytes) throw new ZipRefused('too-large', entry.name);
  const l = entry.localOffset;
  if (u32(b, l) !== LOCAL) throw new ZipRefused('unreadable', 'bad local header');
  const start = l + 30 + u16(b, l + 26) + u16(b, l + 28);
  const end = start + entry.compressedSize;
  if (end > b.length) throw new ZipRefused('unreadable', 'truncated');
  const raw = b.subarray(start, end);
  let out: Buffer;
  if (entry.method === 0) out = raw;
  else {
    zlib ??= require('node:zlib') as typeof import('node:zlib');
    // The declared size passed the ratio and budget checks above; one byte more proves a lie, so
    // a bomb that declares little stops there instead of at the limits.
    try {
      // One output chunk of the declared size (plus the byte that proves a lie): inflated once
      // into it, instead of 16-KiB chunks concatenated at the end (a second copy of 70 MB in
      // bench scenario 8).
      out = zlib.inflateRawSync(raw, { maxOutputLength: entry.size + 1, chunkSize: Math.max(entry.size + 1, zlib.constants.Z_MIN_CHUNK) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ZipRefused('unreadable', `${entry.name}: inflates to more than the ${entry.size} bytes it declares`);
      throw new ZipRefused('unreadable', `${entry.name}: ${(err as Error).message}`);
    }
  }
  if (out.length !== entry.size) throw new ZipRefused('unreadable', `${entry.name}: inflates to ${out.length} bytes, declares ${entry.size}`);
  budget.remaining -= out.length;
  return out;
}
