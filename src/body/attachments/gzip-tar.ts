// gzip and tar attachments: a list exported as customers.csv.gz, a folder sent as export.tar.gz
// or export.tar. Every desktop and phone opens them; before this they were only reported as an
// archive not scanned.
//
// Written here rather than taken from a library: the tar readers on the registry (tar,
// tar-stream) are streams with callbacks or events and the check is synchronous in every adapter;
// the format is 512-byte headers (POSIX ustar, with pax and GNU long-name records) and is read
// with bounds on every field. Inflating is node:zlib's gunzipSync with maxOutputLength, which
// stops at the limit instead of after the whole stream (the zip reader does the same).

import { createRequire } from 'node:module';
import { MAX_ARCHIVE_ENTRIES, MAX_COMPRESSION_RATIO } from '../../limits.js';
import { ZipRefused, type InflateBudget } from './zip.js';

const require = createRequire(import.meta.url);
let zlib: typeof import('node:zlib') | undefined;

/** gzip's magic and its only compression method, deflate (RFC 1952 2.3.1). */
export function looksLikeGzip(b: Uint8Array): boolean {
  return b.length >= 10 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 8;
}

const BLOCK = 512;

/** The sum of a header's bytes with its checksum field read as spaces (POSIX ustar), as GNU tar
 * and bsdtar check it; both the unsigned and the historic signed sum are accepted. */
function checksumMatches(b: Buffer, at: number): boolean {
  const field = b.toString('latin1', at + 148, at + 156).replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]{1,8}$/.test(field)) return false;
  const want = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[at + i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return want === unsigned || want === signed;
}

/** A tar archive (POSIX ustar, GNU or old v7): its first header block has a valid checksum. */
export function looksLikeTar(b: Uint8Array): boolean {
  if (b.length < BLOCK) return false;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return buf[0] !== 0 && checksumMatches(buf, 0);
}

/** The name gzip kept of the file it compressed (FNAME, RFC 1952 2.3.1), if any. */
function gzipName(b: Buffer): string | undefined {
  const flags = b[3]!;
  if ((flags & 0x08) === 0) return undefined;
  let p = 10;
  if (flags & 0x04) p += 2 + (b.length >= 12 ? b.readUInt16LE(10) : 0);
  const end = b.indexOf(0, p);
  if (end === -1 || end === p) return undefined;
  return b.toString('latin1', p, end);
}

/**
 * The file a gzip attachment holds, and its name: the one gzip kept, else the attachment's name
 * without `.gz` (`.tgz` is a `.tar`). Inflating is held to MAX_COMPRESSION_RATIO, the message's
 * budget and `maxBytes`, and stops one byte past the smallest of them.
 */
export function gunzipAttachment(input: Uint8Array, fileName: string | undefined, budget: InflateBudget, maxBytes: number): { name: string | undefined; bytes: Buffer } {
  const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const byRatio = Math.max(b.length, 1) * MAX_COMPRESSION_RATIO;
  const limit = Math.min(byRatio, budget.remaining, maxBytes);
  zlib ??= require('node:zlib') as typeof import('node:zlib');
  let out: Buffer;
  try {
    out = zlib.gunzipSync(b, { maxOutputLength: limit + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ZipRefused(limit === byRatio ? 'compression-ratio' : 'too-large', 'gzip');
    throw new ZipRefused('unreadable', `gzip: ${(err as Error).message}`);
  }
  if (out.length > limit) throw new ZipRefused(limit === byRatio ? 'compression-ratio' : 'too-large', 'gzip');
  budget.remaining -= out.length;
  let name = gzipName(b);
  if (name === undefined && fileName !== undefined) {
    const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1).replace(/[\s.]+$/, '');
    if (/\.t(?:ar\.)?gz$/i.test(base)) name = base.replace(/\.t(?:ar\.)?gz$/i, '.tar');
    else if (/\.gz$/i.test(base)) name = base.slice(0, -3);
  }
  return { name, bytes: out };
}

export interface TarMember {
  name: string;
  bytes: Buffer;
}

/** A header's numeric field: octal text, or GNU's base-256 (high bit set) for sizes past 8 GiB. */
function tarNumber(b: Buffer, at: number, length: number): number {
  if (b[at]! & 0x80) {
    let n = b[at]! & 0x7f;
    for (let i = 1; i < length; i++) n = n * 256 + b[at + i]!;
    return n;
  }
  const text = b.toString('latin1', at, at + length).replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ZipRefused('unreadable', 'tar: a header field is not a number');
  return parseInt(text, 8);
}

function cString(b: Buffer, at: number, length: number): string {
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end === -1 || end > at + length ? at + length : end);
}

/** `path` of a pax extended header ("LEN path=VALUE\n" records, POSIX pax). */
function paxPath(data: Buffer): string | undefined {
  let p = 0;
  let found: string | undefined;
  while (p < data.length) {
    const space = data.indexOf(0x20, p);
    if (space === -1) break;
    const length = Number(data.toString('latin1', p, space));
    if (!Number.isInteger(length) || length <= 0 || p + length > data.length) break;
    const record = data.toString('utf8', space + 1, p + length - 1);
    if (record.startsWith('path=')) found = record.slice(5);
    p += length;
  }
  return found;
}

/**
 * The regular files of a tar archive, in order. Directories, links and devices are skipped (no
 * content); pax (`x`) and GNU long-name (`L`) records name the file after them. A header that
 * does not add up, a file cut short, or more than MAX_ARCHIVE_ENTRIES files stop the reading:
 * the files before it are returned with the refusal (as a damaged winmail.dat is read).
 */
export function listTar(input: Uint8Array): { members: TarMember[]; refused?: ZipRefused } {
  const members: TarMember[] = [];
  try {
    readTar(input, members);
    return { members };
  } catch (err) {
    if (err instanceof ZipRefused) return { members, refused: err };
    throw err;
  }
}

function readTar(input: Uint8Array, members: TarMember[]): void {
  const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let p = 0;
  let longName: string | undefined;
  let headers = 0;
  while (p + BLOCK <= b.length) {
    // The end: a block of zeros (two by the standard; some writers stop after one).
    if (b[p] === 0 && b.subarray(p, p + BLOCK).every((c) => c === 0)) return;
    if (!checksumMatches(b, p)) throw new ZipRefused('unreadable', 'tar: bad header checksum');
    if (++headers > MAX_ARCHIVE_ENTRIES * 2) throw new ZipRefused('too-many-entries', `over ${MAX_ARCHIVE_ENTRIES} entries`);
    const header = p;
    const size = tarNumber(b, header + 124, 12);
    const type = String.fromCharCode(b[header + 156]!);
    const start = header + BLOCK;
    const end = start + size;
    if (end > b.length) throw new ZipRefused('unreadable', 'tar: a file is cut short');
    const data = b.subarray(start, end);
    p = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    // Global pax headers, GNU volume labels and multi-volume continuations hold no file of their own.
    if (type === 'g' || type === 'V' || type === 'M') continue;
    // POSIX ustar keeps the start of a long path in `prefix`; GNU's own format uses those bytes otherwise.
    const posix = b.toString('latin1', header + 257, header + 263) === 'ustar\0';
    const prefix = posix ? cString(b, header + 345, 155) : '';
    const name = longName ?? (prefix === '' ? cString(b, header, 100) : `${prefix}/${cString(b, header, 100)}`);
    longName = undefined;
    // Regular files ('0', and '\0' or '7' of older writers); the rest have no content of their own.
    if (type === '0' || type === '\0' || type === '7') {
      if (members.length >= MAX_ARCHIVE_ENTRIES) throw new ZipRefused('too-many-entries', `over ${MAX_ARCHIVE_ENTRIES} entries`);
      members.push({ name, bytes: data });
    }
  }
  // No end-of-archive blocks: a tar cut off after its last file is still read whole when it ends
  // on a block boundary (p === length); anything else is a cut.
  if (p !== b.length) throw new ZipRefused('unreadable', 'tar: cut short');
}
