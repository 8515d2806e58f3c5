// A V8 code cache for the check bundle (dist/check.cjs) on Node versions without
// module.enableCompileCache (Node 20): what v8-compile-cache did. Compiling the ~420-KB bundle
// and the functions a check runs is about 60M of the ~140M instructions a cold `mailguard check`
// spends beyond `node -e 0` (bench scenario 5); from the cache V8 deserializes that code instead.
//
// Safety: a cache entry is bytecode this process will run, so it is only read from and written to
// a directory of this user's that nobody else can write (created 0700, files 0600, written to a
// temporary file and renamed, never followed through a symlink). An entry names the bundle file it
// was made from (its build's content hash in the entry's name; its size, device, inode and
// modification and change times in the header, so a bundle patched in place is never run with the
// old code: V8 itself compares only the source's length), and V8 checks its version and flags.
// The header holds a 64-bit checksum of the code, and an entry is used only when it matches, so a
// damaged entry is not run but made again: V8's own checksum (--verify-snapshot-checksum) needs
// node:v8, whose loading (Node's stream modules) cost ~10M instructions of every start, a tenth of
// `node -e 0`. The checksum is a WebAssembly function over the entry read into its memory (no Node
// module loaded, ~0.2 ms for the ~750 KB). Until 2026-12-07 the code was written twice and the
// copies compared instead: reading and comparing the second copy cost a start 5-13% of its CPU
// time (bench scenario 5, old and new alternating). Any failure of the cache itself falls back to
// a plain require(). MAILGUARD_NO_COMPILE_CACHE=1 turns it off (the tests do).
//
// Only node: built-ins here: this file is compiled on every start, before the bundle.

import { isAscii } from 'node:buffer';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeSync, type BigIntStats } from 'node:fs';
// Named imports only: a default import of a built-in becomes esbuild's __toESM, which copies every
// export of the module at each start.
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

/** The entry layout's name and version: an entry written by another layout is never read. */
const FORMAT = 'mailguard-code-cache 3';
/** An entry is a header and the code (~750 KB); anything much larger is not one of ours. */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
/**
 * Entries kept in the directory (~1 MB each). Each build and each Node version makes its own, so
 * upgrades would leave old ones behind for ever; the least recently written beyond this many are
 * removed when a new one is written. Four leave room for a global and a project install under two
 * Node versions used side by side without one evicting the other at every run.
 */
export const MAX_ENTRIES = 4;
/** A temporary file older than this was left by a run that died while writing (a live write takes milliseconds). */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;
/** The names this cache writes: entries and their temporary files. Nothing else in the directory is touched. */
const ENTRY_NAME = /^check-[0-9a-f]{16}-v[\w.-]+-[a-z0-9]+\.v8$/;
const TEMPORARY_NAME = /^check-[0-9a-f]{16}-v[\w.-]+-[a-z0-9]+\.v8\.\d+\.tmp$/;
/** The header line is short (format, versions, the bundle's file, a length); a longer one is not ours. */
const MAX_HEADER_BYTES = 256;
// Node's own CommonJS wrapper (Module.wrap): the bundle sees the same five bindings.
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

/** The directory for cache entries: $XDG_CACHE_HOME/mailguard, else ~/.cache/mailguard. */
export function codeCacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  // os.homedir() answers $HOME when it is set; node:os is loaded only when it is not (~1M
  // instructions of a cold start).
  const home = env.HOME || (createRequire(import.meta.url)('node:os') as typeof import('node:os')).homedir();
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'mailguard');
}

/** True when `stats` belong to this user and nobody else can write there. */
function ownedAndPrivate(stats: { uid: number; mode: number }, uid: number): boolean {
  return stats.uid === uid && (stats.mode & 0o022) === 0;
}

/** The bundle file as an entry's header names it: size, device and inode, modification and change times (ns). */
export function bundleIdentity(stats: Pick<BigIntStats, 'size' | 'dev' | 'ino' | 'mtimeNs' | 'ctimeNs'>): string {
  return `${stats.size} ${stats.dev}:${stats.ino} ${stats.mtimeNs} ${stats.ctimeNs}`;
}

/** The first line of an entry for the bundle file `identity` and code of `dataBytes` bytes with `checksum`. */
function headerLine(identity: string, dataBytes: number, checksum: string): string {
  return `${FORMAT} ${process.version} ${process.versions.v8} ${process.arch} ${identity} ${dataBytes} ${checksum}\n`;
}

/**
 * The checksum's WebAssembly module (bytes made from this text by wabt's wat2wasm):
 *
 *   (module
 *     (memory (export "memory") 1)
 *     (func (export "hash") (param $p i32) (param $n i32) (result i64)
 *       (local $h i64) (local $end i32)
 *       (local.set $h (i64.xor (i64.const 0x9e3779b97f4a7c15) (i64.extend_i32_u (local.get $n))))
 *       (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -8))))
 *       (block $done (loop $words
 *         (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load (local.get $p))) (i64.const 0x100000001b3)))
 *         (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 29))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 8)))
 *         (br $words)))
 *       (local.set $end (i32.add (local.get $end) (i32.and (local.get $n) (i32.const 7))))
 *       (block $tail (loop $bytes
 *         (br_if $tail (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load8_u (local.get $p))) (i64.const 0x100000001b3)))
 *         (local.set $p (i32.add (local.get $p) (i32.const 1)))
 *         (br $bytes)))
 *       (local.get $h)))
 *
 * Each step maps the running value one to one (an odd multiplier, an xor-shift), so a change in any
 * one 8-byte word of the code always changes the result; tests/cli/code-cache.test.ts holds it to
 * the same function written with BigInt. Not a defence against someone who can write the entry:
 * the directory's owner and mode are (see above).
 */
const CHECKSUM_WASM = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 126, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 17, 2, 6, 109, 101, 109, 111, 114, 121, 2, 0, 4, 104, 97, 115,
  104, 0, 0, 10, 138, 1, 1, 135, 1, 2, 1, 126, 1, 127, 66, 149, 248, 169, 250, 151, 183, 222, 155, 158, 127, 32, 1, 173, 133, 33, 2, 32, 0, 32, 1, 65, 120,
  113, 106, 33, 3, 2, 64, 3, 64, 32, 0, 32, 3, 79, 13, 1, 32, 2, 32, 0, 41, 3, 0, 133, 66, 179, 131, 128, 128, 128, 32, 126, 33, 2, 32, 2, 32, 2, 66, 29,
  136, 133, 33, 2, 32, 0, 65, 8, 106, 33, 0, 12, 0, 11, 11, 32, 3, 32, 1, 65, 7, 113, 106, 33, 3, 2, 64, 3, 64, 32, 0, 32, 3, 79, 13, 1, 32, 2, 32, 0, 49,
  0, 0, 133, 66, 179, 131, 128, 128, 128, 32, 126, 33, 2, 32, 0, 65, 1, 106, 33, 0, 12, 0, 11, 11, 32, 2, 11,
]);
const WASM_PAGE_BYTES = 65_536;

/** The parts of the WebAssembly global used here (this project's TypeScript has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** The checksum module's exports. */
interface Checksummer {
  memory: WasmMemory;
  hash: (at: number, length: number) => bigint;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Checksummer };
}

let checksummer: Checksummer | undefined;

function checksumInstance(): Checksummer {
  if (checksummer === undefined) {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    checksummer = new wasm.Instance(new wasm.Module(CHECKSUM_WASM)).exports;
  }
  return checksummer;
}

/** The first `bytes` bytes of the checksum's memory (grown to hold them): an entry is read there. */
function checksumRoom(bytes: number): Uint8Array {
  const { memory } = checksumInstance();
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE_BYTES));
  return new Uint8Array(memory.buffer, 0, bytes);
}

/** 16 hex digits: the checksum of `data` (hashed where it lies when it is in the checksum's memory). */
export function checksumOf(data: Uint8Array): string {
  const { memory, hash } = checksumInstance();
  let at = data.byteOffset;
  if (data.buffer !== memory.buffer) {
    checksumRoom(data.byteLength).set(data);
    at = 0;
  }
  return BigInt.asUintN(64, hash(at, data.byteLength)).toString(16).padStart(16, '0');
}

/**
 * The cached code in `entry` when this Node made it from the bundle file `identity` and it matches
 * its checksum; else undefined.
 */
export function cachedCodeFor(entry: Uint8Array, identity: string): Uint8Array | undefined {
  const bytes = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
  const end = bytes.indexOf(10, 0);
  if (end < 0 || end >= MAX_HEADER_BYTES) return undefined;
  const header = bytes.toString('latin1', 0, end + 1);
  const data = entry.subarray(end + 1);
  if (data.byteLength === 0 || !header.startsWith(headerLine(identity, data.byteLength, '').slice(0, -1))) return undefined;
  return header === headerLine(identity, data.byteLength, checksumOf(data)) ? data : undefined;
}

/** 8 hex digits of FNV-1a over `text`: an entry's name tells two installs of one build apart. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The entry at `file` when it is a regular file of this user's that nobody else can write. */
function readEntry(file: string, uid: number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined; // No entry yet (or a symlink, refused by O_NOFOLLOW).
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || !ownedAndPrivate(stats, uid) || stats.size > MAX_ENTRY_BYTES) return undefined;
    // Read into the checksum's memory, where its checksum is taken without a copy.
    const room = checksumRoom(stats.size);
    for (let at = 0; at < stats.size; ) {
      const n = readSync(fd, room, at, stats.size - at, at);
      if (n === 0) return undefined; // Shorter than it said: being replaced, or cut.
      at += n;
    }
    return room;
  } finally {
    closeSync(fd);
  }
}

/** Writes an entry atomically (a 0600 temporary file renamed over the entry) in a private directory. */
function writeEntry(dir: string, file: string, uid: number, identity: string, data: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = lstatSync(dir);
  if (!stats.isDirectory() || !ownedAndPrivate(stats, uid)) return;
  const temporary = `${file}.${process.pid}.tmp`;
  // 'wx': created here (O_EXCL), so never a file or symlink someone left in its place.
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, headerLine(identity, data.length, checksumOf(data)), null, 'latin1');
    writeSync(fd, data);
  } catch (err) {
    closeSync(fd);
    unlinkSync(temporary);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temporary, file);
  } catch (err) {
    unlinkSync(temporary);
    throw err;
  }
  pruneEntries(dir, uid, Date.now());
}

/**
 * Removes all but the MAX_ENTRIES most recently written entries, and temporary files left by runs
 * that died while writing. Only regular files of this user's with this cache's names; a file that
 * vanishes meanwhile (another run pruning) is skipped.
 */
export function pruneEntries(dir: string, uid: number, now: number): void {
  const entries: Array<{ file: string; written: number }> = [];
  for (const name of readdirSync(dir)) {
    const entry = ENTRY_NAME.test(name);
    if (!entry && !TEMPORARY_NAME.test(name)) continue;
    const file = join(dir, name);
    const stats = lstatSync(file, { throwIfNoEntry: false });
    if (!stats?.isFile() || stats.uid !== uid) continue;
    if (entry) entries.push({ file, written: stats.mtimeMs });
    else if (now - stats.mtimeMs > STALE_TEMPORARY_MS) unlinkQuietly(file);
  }
  entries.sort((a, b) => b.written - a.written);
  for (const { file } of entries.slice(MAX_ENTRIES)) unlinkQuietly(file);
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already (another run pruned it): nothing to do.
  }
}

/** Whether this Node has module.enableCompileCache (22.1 and later), which bin/mailguard.js turns
 * on: asked of node:module itself, through a require (an import of its namespace would copy it). */
function hasCompileCache(): boolean {
  // Told by the version, as bin/mailguard.js does: asking node:module would load it (see
  // bundle-require.ts).
  const [major = 0, minor = 0] = process.versions.node.split('.', 2).map(Number);
  if (major < 22 || (major === 22 && minor < 1)) return false;
  return typeof (createRequire(import.meta.url)('node:module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';
}

/** The cache entry of a compile: where it goes, and whether it must be (re)written at exit. */
interface Compiled {
  script: Script;
  /** Set when there was no usable entry: the code to write once the run has compiled what it runs. */
  save?: { dir: string; file: string; uid: number; identity: string };
}

/**
 * Compiles `file` (a CommonJS bundle) from its cache entry, or from source with an entry to write.
 * Undefined when the cache is off or cannot be used here.
 */
function compileCached(file: string, env: NodeJS.ProcessEnv): Compiled | undefined {
  // Node 22.1+ caches every module itself (bin/mailguard.js turns that on); Windows has no owner
  // to check an entry against.
  if (env.MAILGUARD_NO_COMPILE_CACHE === '1' || hasCompileCache() || typeof process.getuid !== 'function') return undefined;
  const uid = process.getuid();
  // The bundle's content hash, written beside it by the build (tsup.config.ts): entries of
  // different builds have different names, so installs of two versions do not overwrite each other's.
  const key = readFileSync(`${file}.sha256`, 'latin1').slice(0, 8);
  if (!/^[0-9a-f]{8}$/.test(key)) return undefined;
  const dir = codeCacheDirectory(env);
  // Not there yet (made at exit), or ours and private; else not used at all.
  const dirStats = lstatSync(dir, { throwIfNoEntry: false });
  if (dirStats && (!dirStats.isDirectory() || !ownedAndPrivate(dirStats, uid))) return undefined;
  // The bundle is read between the wrapper's two ends, so its code is one string as it is
  // decoded: joining strings, V8 flattens them into a second copy of the ~530 KB to compile, which
  // filled the young generation and cost a garbage collection (~2M instructions) on every start.
  const fd = openSync(file, 'r');
  let wrapped: Buffer;
  let stats: BigIntStats;
  try {
    stats = fstatSync(fd, { bigint: true });
    const size = Number(stats.size);
    wrapped = Buffer.allocUnsafe(WRAP_HEAD.length + size + WRAP_TAIL.length);
    wrapped.write(WRAP_HEAD, 0, 'latin1');
    for (let at = 0; at < size; ) {
      const n = readSync(fd, wrapped, WRAP_HEAD.length + at, size - at, null);
      if (n === 0) throw new Error(`${file} shrank while it was read`);
      at += n;
    }
    wrapped.write(WRAP_TAIL, WRAP_HEAD.length + size, 'latin1');
  } finally {
    closeSync(fd);
  }
  const identity = bundleIdentity(stats);
  // Two installs of one build (global and in a project) each keep their own entry.
  const entryFile = join(dir, `check-${key}${shortHash(`${stats.dev}:${stats.ino}`)}-${process.version}-${process.arch}.v8`);
  const entry = readEntry(entryFile, uid);
  const cachedData = entry && cachedCodeFor(entry, identity);
  // An ASCII bundle (tsup.config.ts) as Latin-1: a copy into a one-byte string. Decoding 420 KB
  // of UTF-8 costs ~4M instructions, and one non-ASCII character makes all of it two-byte.
  const code = wrapped.toString(isAscii?.(wrapped) ? 'latin1' : 'utf8');
  const script = new Script(code, { filename: file, cachedData });
  if (cachedData && !script.cachedDataRejected) return { script };
  return { script, save: { dir, file: entryFile, uid, identity } };
}

/**
 * require(file) for a CommonJS bundle that holds no import() (a script compiled from a code cache
 * cannot import() on Node 20), compiled through the code cache where it can be.
 */
export function requireWithCodeCache(file: string, env: NodeJS.ProcessEnv = process.env): unknown {
  const require = createRequire(file);
  let compiled: Compiled | undefined;
  try {
    compiled = compileCached(file, env);
  } catch {
    compiled = undefined; // An unreadable home or hash file: the cache is only an optimisation.
  }
  if (!compiled) return require(file);
  const { script, save } = compiled;
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  if (save) {
    // At exit, so the entry holds the functions this run compiled lazily as well (most of the
    // check path), not only the bundle's top level; unless the bundle says this run's code is not
    // the one to keep (its codeCacheWorthy export, src/cli/check-main.ts).
    process.once('exit', () => {
      const worthy = (module.exports as { codeCacheWorthy?: () => boolean }).codeCacheWorthy;
      if (worthy !== undefined && !worthy()) return;
      try {
        writeEntry(save.dir, save.file, save.uid, save.identity, script.createCachedData());
      } catch {
        // A read-only or full disk: the next run compiles from source again.
      }
    });
  }
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  wrapper(module.exports, require, module, file, dirname(file));
  module.loaded = true;
  return module.exports;
}
