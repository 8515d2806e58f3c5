// Input adapter: turns paths, directories, globs and stdin into messages (bytes plus a stable
// source name). Reads only header blocks when asked to, so a 100 MB message costs its header.

import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { HEADER_READ_CHUNK_BYTES, MAX_HEADER_BLOCK_BYTES } from '../limits.js';
import type { Envelope } from '../message/envelope.js';
import { locateBodyStart } from '../message/header-block.js';
import { looksLikeSmtpTranscript, parseSmtpTranscript } from '../message/smtp-transcript.js';
import type { HeaderLineOrigin } from './campaign.js';

export type InputFormat = 'eml' | 'mbox' | 'smtp' | 'json';

export interface InputMessage {
  /** Stable name: the path as given, `path#N` (1-based) inside an mbox or transcript, `-` for stdin. */
  source: string;
  /** The message bytes: the header block (and maybe more) when headersOnly, else the whole message. */
  bytes: Uint8Array;
  /** The whole message is in `bytes`. */
  complete: boolean;
  format: InputFormat;
  /** The file the message came from (undefined for stdin). */
  path?: string;
  envelope?: Envelope;
  /** Line of the file just before the message's first line (mbox, transcripts). */
  lineOffset: number;
  /** The mbox `From ` line that preceded this message, if any (without line end). */
  mboxFromLine?: string;
  /** JSON campaign message: `bytes` is a header block built from it; origins map its lines into the JSON. */
  campaign?: { jsonPath: string; origins: HeaderLineOrigin[]; mail: Record<string, unknown> };
}

/** An input that could not be read: reported as verdict `error`, never skipped. */
export interface InputFailure {
  source: string;
  failure: { reason: string; detail: string };
  /** The file, when `source` names a part of it (`campaign.json#messages[3]`). */
  path?: string;
}

export type InputItem = InputMessage | InputFailure;

export interface ReadInputsOptions {
  /** Read only the header block of each message (check, audit). */
  headersOnly: boolean;
  /** Keep whole messages inside mbox files even with headersOnly (the body scan reads them). */
  mboxBodies?: boolean;
  /** Force a format instead of detecting it. */
  format?: InputFormat;
  /** Where `-` reads from. */
  stdin?: NodeJS.ReadableStream;
  /** Files read at once. */
  concurrency?: number;
  /** Filled with the files directory walks passed over (other extensions), so the CLI can say so. */
  skipped?: string[];
}

/** File name endings read when walking a directory. */
export const MESSAGE_EXTENSIONS = new Set(['.eml', '.mbox', '.mbx', '.smtp']);

const EXT_FORMAT: Record<string, InputFormat> = { '.eml': 'eml', '.msg': 'eml', '.mbox': 'mbox', '.mbx': 'mbox', '.smtp': 'smtp', '.json': 'json' };

const GLOB_CHARS = /[*?[\]{}]/;

/** Detects the format of an input from its name and first bytes. */
export function detectFormat(name: string | undefined, head: Uint8Array): InputFormat {
  const ext = name ? path.extname(name).toLowerCase() : '';
  const byExt = EXT_FORMAT[ext];
  if (byExt) return byExt;
  if (looksLikeSmtpTranscript(head)) return 'smtp';
  // A header field name may not start with "{" or "[" in practice; JSON campaigns (piped) do.
  const first = head.findIndex((c) => c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d);
  if (first !== -1 && (head[first] === 0x7b || head[first] === 0x5b)) return 'json';
  if (head[0] === 0x46 && Buffer.from(head.buffer, head.byteOffset, Math.min(5, head.byteLength)).toString('latin1') === 'From ') return 'mbox';
  return 'eml';
}

function failure(source: string, reason: string, detail: string): InputFailure {
  return { source, failure: { reason, detail } };
}

function errnoDetail(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message ?? String(err);
}

/**
 * Lists the message files below a directory, sorted, following the Maildir layout when present.
 * A directory that cannot be listed (permissions) is a failure in the list, not an exception:
 * the files around it are still read and it is reported.
 */
export async function walkDirectory(dir: string, skipped?: string[]): Promise<Array<{ path: string } | InputFailure>> {
  const out: Array<{ path: string } | InputFailure> = [];
  const list = async (d: string): Promise<Dirent[] | undefined> => {
    try {
      return await readdir(d, { withFileTypes: true });
    } catch (err) {
      out.push(failure(d, 'unreadable', errnoDetail(err)));
      return undefined;
    }
  };
  // Symlinks are followed: a symlinked draft skipped here would pass unchecked. A link that
  // cannot be resolved counts as a file, so reading it fails and it is reported, not skipped.
  const linkKind = async (p: string): Promise<'dir' | 'file' | 'other'> => {
    try {
      const st = await stat(p);
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    } catch {
      return 'file';
    }
  };
  // Real paths of the directories visited: a symlinked directory is walked once (no loops).
  const visited = new Set<string>();
  const visit = async (d: string): Promise<void> => {
    const real = await realpath(d).catch(() => d);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = await list(d);
    if (!entries) return;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const names = new Set(entries.map((e) => e.name));
    const isMaildir = names.has('cur') && names.has('new');
    for (const e of entries) {
      const p = path.join(d, e.name);
      // No await for plain entries: a walk of 10,000 drafts stays as cheap as before.
      const k = e.isDirectory() ? 'dir' : e.isFile() ? 'file' : e.isSymbolicLink() ? await linkKind(p) : 'other';
      if (k === 'dir') {
        if (e.name === 'node_modules' || e.name === '.git') continue;
        if (isMaildir && (e.name === 'cur' || e.name === 'new')) {
          const files = ((await list(p)) ?? []).filter((f) => (f.isFile() || f.isSymbolicLink()) && !f.name.startsWith('.'));
          files.sort((a, b) => (a.name < b.name ? -1 : 1));
          out.push(...files.map((f) => ({ path: path.join(p, f.name) })));
          continue;
        }
        if (isMaildir && e.name === 'tmp') continue;
        await visit(p);
      } else if (k === 'file' && MESSAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) {
        out.push({ path: p });
      } else if (k === 'file' && !isMaildir && !e.name.startsWith('.')) {
        // Hidden files (.gitkeep, .DS_Store) and a Maildir's own files are not drafts anyone missed.
        skipped?.push(p);
      }
    }
  };
  await visit(dir);
  return out;
}

/** Expands the user's input specs into file paths (and `-`), keeping their order. */
export async function expandSpecs(specs: string[], skipped?: string[]): Promise<Array<{ path: string } | InputFailure>> {
  const out: Array<{ path: string } | InputFailure> = [];
  for (const spec of specs) {
    if (spec === '-') {
      out.push({ path: '-' });
      continue;
    }
    let st;
    try {
      st = await stat(spec);
    } catch (err) {
      if (GLOB_CHARS.test(spec)) {
        const { glob } = await import('tinyglobby');
        // Directories matched are walked like directories named on the command line (a quoted
        // `outbox/*` must not skip outbox/2026/); a file matched twice is read once.
        const matches = (await glob(spec, { onlyFiles: false, dot: false, expandDirectories: false, absolute: path.isAbsolute(spec) })).sort();
        if (matches.length === 0) out.push(failure(spec, 'not-found', 'the pattern matched no file'));
        const seen = new Set<string>();
        for (const m of matches) {
          const found = m.endsWith('/') ? await walkDirectory(m.slice(0, -1) || '/', skipped) : [{ path: m }];
          for (const f of found) {
            if (!('failure' in f)) {
              if (seen.has(f.path)) continue;
              seen.add(f.path);
            }
            out.push(f);
          }
        }
        continue;
      }
      out.push(failure(spec, 'not-found', errnoDetail(err)));
      continue;
    }
    if (st.isDirectory()) {
      const found = await walkDirectory(spec, skipped);
      if (found.length === 0) out.push(failure(spec, 'not-found', `no message files (${[...MESSAGE_EXTENSIONS].join(', ')}) in this directory`));
      out.push(...found);
    } else {
      out.push({ path: spec });
    }
  }
  return out;
}

// Header reads are synchronous on purpose: for the small files a check reads, open + read +
// close on the main thread cost about a fifth of the same calls through the thread pool (bench
// scenario 1), and the reads happen one after another anyway.
/** Reused by every header read; what is kept is copied out at its exact length. */
let scratch: Buffer | undefined;
/** Header blocks are copied into shared slabs of this size: one ArrayBuffer per few hundred
 * messages instead of one each keeps the garbage collector's work down (bench scenario 1). */
const HEAD_SLAB_BYTES = 1024 * 1024;
let slab = Buffer.alloc(0);
let slabUsed = 0;

function keepBytes(buf: Buffer, length: number): Buffer {
  if (length > HEAD_SLAB_BYTES / 8) return Buffer.from(buf.subarray(0, length));
  if (slabUsed + length > slab.length) {
    slab = Buffer.allocUnsafe(HEAD_SLAB_BYTES);
    slabUsed = 0;
  }
  buf.copy(slab, slabUsed, 0, length);
  const kept = slab.subarray(slabUsed, slabUsed + length);
  // Keep the next copy 8-byte aligned.
  slabUsed += (length + 7) & ~7;
  return kept;
}

/** Reads a file's header block (at least), growing the read until the blank line is found. */
function readHead(file: string): { bytes: Buffer; complete: boolean } {
  const fd = openSync(file, 'r');
  try {
    scratch ??= Buffer.allocUnsafe(HEADER_READ_CHUNK_BYTES);
    let buf = scratch;
    let length = 0;
    const keep = (complete: boolean) => ({ bytes: buf === scratch ? keepBytes(buf, length) : buf.subarray(0, length), complete });
    for (;;) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      let bytesRead: number;
      const asked = buf.length - length;
      try {
        bytesRead = readSync(fd, buf, length, asked, length);
      } catch (err) {
        // A pipe or FIFO (`mailguard check <(generate)`) cannot be read by position (ESPIPE, on
        // the first read, before any byte is consumed) nor read twice: read it whole, once.
        if (length === 0 && (err as NodeJS.ErrnoException).code === 'ESPIPE') return { bytes: readToEnd(fd), complete: true };
        throw err;
      }
      length += bytesRead;
      if (bytesRead === 0) return keep(true);
      // Sniffed formats that need the whole file are read whole by the caller.
      if (locateBodyStart(buf.subarray(0, length)) !== -1) {
        // A short read usually means the file ended: one more read that returns nothing proves
        // it, so a small message is known to be whole and the body scan does not stat it again.
        if (bytesRead < asked && readSync(fd, buf, length, 1, length) === 0) return keep(true);
        return keep(false);
      }
      if (length > MAX_HEADER_BLOCK_BYTES + HEADER_READ_CHUNK_BYTES) return keep(false);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The most of one message read whole (fix, send, a pipe, stdin): above the largest message
 * limits of common mail services (Exchange Online 150 MB), so only an endless or broken input
 * (/dev/zero, a runaway generator) reaches it, and it is reported instead of exhausting memory.
 */
export const MAX_MESSAGE_BYTES = 160 * 1024 * 1024;

const tooLarge = () => new Error(`larger than ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB, the most mailguard reads of one message`);

function stdinIsDirectory(): boolean {
  try {
    return fstatSync(0).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a file descriptor from where it is to its end, at most MAX_MESSAGE_BYTES. */
function readToEnd(fd: number): Buffer {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(HEADER_READ_CHUNK_BYTES);
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks);
    size += n;
    if (size > MAX_MESSAGE_BYTES) throw tooLarge();
    chunks.push(chunk.subarray(0, n));
  }
}

/** A whole file, at most MAX_MESSAGE_BYTES (a device such as /dev/zero has no end). */
function readWhole(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    return readToEnd(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Splits an mbox stream into messages. Boundaries are `From ` lines at the start of the file or
 * after a blank line; `>From ` lines are unescaped (mboxrd) when whole messages are kept.
 */
export async function* readMbox(stream: NodeJS.ReadableStream, source: string, file: string | undefined, headersOnly: boolean): AsyncGenerator<InputMessage> {
  let index = 0;
  let lineNo = 0;
  let current: { lines: Buffer[]; fromLine: string; startLine: number; inHeader: boolean; size: number } | undefined;
  let prevBlank = true;
  let pending = Buffer.alloc(0);
  // The blank line before a `From ` separator belongs to the separator, so it is held back.
  let heldBlank: Buffer | undefined;

  const finish = (): InputMessage | undefined => {
    if (!current) return undefined;
    index++;
    const msg: InputMessage = {
      source: `${source}#${index}`,
      bytes: Buffer.concat(current.lines),
      complete: !headersOnly,
      format: 'mbox',
      lineOffset: current.startLine,
      mboxFromLine: current.fromLine,
    };
    if (file !== undefined) msg.path = file;
    current = undefined;
    return msg;
  };

  const onLine = (line: Buffer): InputMessage | undefined => {
    lineNo++;
    let content = line.length;
    if (content > 0 && line[content - 1] === 0x0a) content--;
    if (content > 0 && line[content - 1] === 0x0d) content--;
    const blank = content === 0;
    let done: InputMessage | undefined;
    if (prevBlank && line.length >= 5 && line[0] === 0x46 && line.toString('latin1', 0, 5) === 'From ') {
      heldBlank = undefined;
      done = finish();
      current = { lines: [], fromLine: line.toString('latin1', 0, content), startLine: lineNo, inHeader: true, size: 0 };
      prevBlank = false;
      return done;
    }
    if (!current) {
      // Text before the first `From ` line: not an mbox message; treat the file as one message.
      current = { lines: [], fromLine: '', startLine: lineNo - 1, inHeader: true, size: 0 };
    }
    if (heldBlank) {
      if (!headersOnly || current.inHeader) current.lines.push(heldBlank);
      heldBlank = undefined;
    }
    if (blank && !current.inHeader) {
      heldBlank = line;
    } else if (current.inHeader || !headersOnly) {
      let out = line;
      if (!headersOnly && !current.inHeader && line[0] === 0x3e && /^>+From /.test(line.toString('latin1', 0, Math.min(line.length, 64)))) out = line.subarray(1);
      current.lines.push(out);
    }
    if (blank && current.inHeader) current.inHeader = false;
    prevBlank = blank;
    return done;
  };

  for await (const chunk of stream) {
    const data = pending.length > 0 ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl === -1) break;
      const msg = onLine(data.subarray(start, nl + 1));
      if (msg) yield msg;
      start = nl + 1;
    }
    pending = Buffer.from(data.subarray(start));
  }
  if (pending.length > 0) {
    const msg = onLine(pending);
    if (msg) yield msg;
  }
  const last = finish();
  if (last) yield last;
}

/** Problems of a bad transcript named in its one failure; the rest are counted. */
export const MAX_TRANSCRIPT_PROBLEMS_SHOWN = 3;

function* fromTranscript(bytes: Uint8Array, source: string, file: string | undefined): Generator<InputItem> {
  const transcript = parseSmtpTranscript(bytes);
  // One failure for the file however many lines are wrong (a message read as a transcript has a
  // problem on every line); its good transactions are still checked.
  const problems = transcript.problems;
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_TRANSCRIPT_PROBLEMS_SHOWN).map((p) => `line ${p.line}: ${p.problem}`);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    const what = transcript.transactions.length === 0 ? 'no complete SMTP transaction; ' : '';
    yield failure(source, 'bad-transcript', `${what}${shown.join('; ')}${more}`);
  }
  let n = 0;
  for (const t of transcript.transactions) {
    n++;
    const msg: InputMessage = {
      source: `${source}#${n}`,
      bytes: t.data,
      complete: true,
      format: 'smtp',
      envelope: t.envelope,
      lineOffset: t.lineOffset,
    };
    if (file !== undefined) msg.path = file;
    yield msg;
  }
  if (transcript.transactions.length === 0 && transcript.problems.length === 0) {
    yield failure(source, 'bad-transcript', 'the transcript holds no complete transaction (MAIL FROM, RCPT TO, DATA, ".")');
  }
}

/** Campaign JSON: one header block per message object, or one failure with the line and column. */
async function* fromCampaign(bytes: Uint8Array, source: string, file: string | undefined): AsyncGenerator<InputItem> {
  const { CampaignFileError, parseCampaign } = await import('./campaign.js');
  let messages;
  try {
    messages = parseCampaign(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), source);
  } catch (err) {
    if (!(err instanceof CampaignFileError)) throw err;
    yield failure(source, 'bad-campaign', err.detail);
    return;
  }
  for (const m of messages) {
    if (m.problem !== undefined) {
      yield file === undefined ? failure(m.source, 'bad-campaign', m.problem) : { ...failure(m.source, 'bad-campaign', m.problem), path: file };
      continue;
    }
    const msg: InputMessage = { source: m.source, bytes: m.header, complete: false, format: 'json', envelope: m.envelope, lineOffset: 0, campaign: { jsonPath: m.jsonPath, origins: m.origins, mail: m.mail } };
    if (file !== undefined) msg.path = file;
    yield msg;
  }
}

/** Reads one input: small ones into a list, streams (mbox, stdin) as a generator read in turn. */
async function openOne(file: string, options: ReadInputsOptions): Promise<InputItem[] | AsyncGenerator<InputItem>> {
  if (file === '-') return readOne(file, options);
  let head: { bytes: Buffer; complete: boolean };
  try {
    head = readHead(file);
  } catch (err) {
    return [failure(file, 'unreadable', errnoDetail(err))];
  }
  const format = options.format ?? detectFormat(file, head.bytes);
  if (format === 'mbox') return readOne(file, options, head.complete ? head : undefined);
  // The common case, a draft whose header is read: the item readOne would yield, without a
  // generator per file (bench scenario 1).
  if (format === 'eml' && (head.complete || options.headersOnly)) return [{ source: file, path: file, bytes: head.bytes, complete: head.complete, format: 'eml', lineOffset: 0 }];
  const items: InputItem[] = [];
  for await (const item of readOne(file, options, head)) items.push(item);
  return items;
}

async function* readOne(file: string, options: ReadInputsOptions, preread?: { bytes: Buffer; complete: boolean }): AsyncGenerator<InputItem> {
  if (file === '-') {
    // `mailguard check < dir`: reading a directory gives nothing, which would read as "empty".
    if (options.stdin === undefined && stdinIsDirectory()) {
      yield failure('-', 'unreadable', 'stdin is a directory; name the directory as a path instead of redirecting it');
      return;
    }
    const stdin = options.stdin ?? process.stdin;
    // Enough of stdin to tell its format. An mbox is then streamed (`zcat Sent.mbox.gz |
    // mailguard audit -` in bounded memory); anything else is read whole.
    const chunks = stdin[Symbol.asyncIterator]();
    const nextChunk = async (): Promise<Buffer | undefined> => {
      const next = await chunks.next();
      if (next.done) return undefined;
      return typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
    };
    const read: Buffer[] = [];
    let size = 0;
    let ended = false;
    while (size < HEADER_READ_CHUNK_BYTES) {
      const chunk = await nextChunk();
      if (chunk === undefined) {
        ended = true;
        break;
      }
      read.push(chunk);
      size += chunk.length;
    }
    const head = Buffer.concat(read);
    const format = options.format ?? detectFormat(undefined, head);
    if (format === 'mbox') {
      const { Readable } = await import('node:stream');
      const rest = async function* (): AsyncGenerator<Buffer> {
        yield head;
        for (let chunk = ended ? undefined : await nextChunk(); chunk !== undefined; chunk = await nextChunk()) yield chunk;
      };
      yield* readMbox(Readable.from(rest()), '-', undefined, options.headersOnly && !options.mboxBodies);
      return;
    }
    for (let chunk = ended ? undefined : await nextChunk(); chunk !== undefined; chunk = await nextChunk()) {
      size += chunk.length;
      if (size > MAX_MESSAGE_BYTES) {
        yield failure('-', 'unreadable', tooLarge().message);
        return;
      }
      read.push(chunk);
    }
    const bytes = ended ? head : Buffer.concat(read);
    if (format === 'smtp') {
      yield* fromTranscript(bytes, '-', undefined);
    } else if (format === 'json') {
      yield* fromCampaign(bytes, '-', undefined);
    } else {
      yield { source: '-', bytes, complete: true, format: 'eml', lineOffset: 0 };
    }
    return;
  }
  let head: { bytes: Buffer; complete: boolean };
  try {
    head = preread ?? readHead(file);
  } catch (err) {
    yield failure(file, 'unreadable', errnoDetail(err));
    return;
  }
  const format = options.format ?? detectFormat(file, head.bytes);
  if (format === 'mbox') {
    // Read whole already (a small file, or a pipe that cannot be read again): split those bytes.
    const { Readable } = await import('node:stream');
    const stream = head.complete ? Readable.from([head.bytes]) : createReadStream(file, { highWaterMark: 1024 * 1024 });
    yield* readMbox(stream, file, file, options.headersOnly && !options.mboxBodies);
    return;
  }
  if (format === 'json') {
    const { readFile } = await import('node:fs/promises');
    const { MAX_CAMPAIGN_FILE_BYTES } = await import('./campaign.js');
    if ((await stat(file)).size > MAX_CAMPAIGN_FILE_BYTES) {
      yield failure(file, 'bad-campaign', `larger than ${MAX_CAMPAIGN_FILE_BYTES / 1024 / 1024} MiB; split the campaign into several files`);
      return;
    }
    yield* fromCampaign(head.complete ? head.bytes : await readFile(file), file, file);
    return;
  }
  if (format === 'smtp') {
    let bytes: Buffer;
    try {
      bytes = head.complete ? head.bytes : readWhole(file);
    } catch (err) {
      yield failure(file, 'unreadable', errnoDetail(err));
      return;
    }
    yield* fromTranscript(bytes, file, file);
    return;
  }
  if (!head.complete && !options.headersOnly) {
    try {
      head = { bytes: readWhole(file), complete: true };
    } catch (err) {
      yield failure(file, 'unreadable', errnoDetail(err));
      return;
    }
  }
  yield { source: file, path: file, bytes: head.bytes, complete: head.complete, format: 'eml', lineOffset: 0 };
}

/**
 * Reads every input in order. Files are read `concurrency` at a time; results keep input order.
 * Failures are yielded as items, never thrown, so one bad file cannot hide the others.
 */
export async function* readInputs(specs: string[], options: ReadInputsOptions): AsyncGenerator<InputItem> {
  const expanded = await expandSpecs(specs, options.skipped);
  const concurrency = Math.max(1, options.concurrency ?? 16);
  // A window of in-flight reads; each holds the items one input yields, in order.
  const window: Array<Promise<InputItem[] | AsyncGenerator<InputItem>>> = [];
  const collect = async (entry: { path: string } | InputFailure): Promise<InputItem[] | AsyncGenerator<InputItem>> => {
    if ('failure' in entry) return [entry];
    return openOne(entry.path, options);
  };
  let next = 0;
  const fill = () => {
    while (window.length < concurrency && next < expanded.length) {
      const entry = expanded[next++]!;
      window.push(collect(entry));
    }
  };
  fill();
  while (window.length > 0) {
    const items = await window.shift()!;
    fill();
    // Streams (mbox, stdin) are yielded as they are read, in bounded memory.
    yield* items;
  }
}

export function isFailure(item: InputItem): item is InputFailure {
  return 'failure' in item;
}
