// The check bundle's V8 code cache (src/cli/code-cache.ts): a cached start prints what an uncached
// one prints, an entry is private and written once, and an entry that is damaged, made from another
// file or an older state of the bundle, or sits in a directory others can write is never run. The rest of `npm test` runs with
// the cache off (vitest.config.ts); these tests turn it on with a cache directory of their own.
import { isAscii } from 'node:buffer';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleIdentity, cachedCodeFor, checksumOf, codeCacheDirectory, MAX_ENTRIES, pruneEntries } from '../../src/cli/code-cache.js';
import { createRandom } from '../../bench/generate.js';
import { FIXTURES, ROOT, runCli } from '../helpers/cli.js';

const DRAFT = path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml');
const ARGS = ['check', DRAFT, '--internal-domain', 'corp.example', '--format', 'json'];
// Node 22.1+ caches modules itself and Windows has no file owner to check: no cache of ours there.
const applies = (Module as { enableCompileCache?: unknown }).enableCompileCache === undefined && typeof process.getuid === 'function';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-code-cache-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI with the code cache on, its entries under `cacheHome/mailguard`. */
const runCached = (args: string[], cacheHome: string) => runCli(args, { env: { MAILGUARD_NO_COMPILE_CACHE: undefined, XDG_CACHE_HOME: cacheHome } });
const entriesIn = (cacheHome: string) => readdirSync(path.join(cacheHome, 'mailguard'));

describe.runIf(applies)('the code cache of dist/check.cjs', () => {
  it('is made on the first run (0700 directory, 0600 file), used on the next, and both print what an uncached run prints', async () => {
    const home = path.join(tmp, 'first');
    const plain = await runCli(ARGS);
    const first = await runCached(ARGS, home);
    const [entry, ...others] = entriesIn(home);
    expect(others).toEqual([]);
    expect(entry).toMatch(new RegExp(`^check-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`));
    // The build's content hash opens the name.
    expect(entry!.slice(6, 14)).toBe(readFileSync(path.join(ROOT, 'dist/check.cjs.sha256'), 'latin1').slice(0, 8));
    expect(statSync(path.join(home, 'mailguard')).mode & 0o777).toBe(0o700);
    const file = path.join(home, 'mailguard', entry!);
    const made = statSync(file);
    expect(made.mode & 0o777).toBe(0o600);
    const second = await runCached(ARGS, home);
    for (const run of [first, second]) expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr });
    // Read, not written again: the same file (a rewrite renames a new one over it).
    expect(statSync(file).ino).toBe(made.ino);
  });

  it.each([
    ['a damaged entry (bytes near the end of its code)', (entry: Buffer) => void entry.fill(0x5a, entry.length - 20_000, entry.length - 19_000)],
    ['a damaged entry (bytes near the start of its code)', (entry: Buffer) => void entry.fill(0x20, 200, 210)],
    ['an entry for another Node', (entry: Buffer) => void entry.write('v1', entry.indexOf(' v') + 1, 'latin1')],
    // The bundle as it was before it was changed in place (patch-package, an editor): its times differ.
    ['an entry for an earlier state of the bundle file', (entry: Buffer): Buffer => {
      const end = entry.indexOf(10);
      const fields = entry.toString('latin1', 0, end).split(' ');
      fields[7] = String(BigInt(fields[7]!) - 1_000_000_000n); // modified a second later than the entry says
      return Buffer.concat([Buffer.from(fields.join(' '), 'latin1'), entry.subarray(end)]);
    }],
  ])('%s is not run, and is made again', async (_name, spoil) => {
    const home = path.join(tmp, `spoiled-${_name.replace(/\W+/g, '-')}`);
    const plain = await runCli(ARGS);
    await runCached(ARGS, home);
    const file = path.join(home, 'mailguard', entriesIn(home)[0]!);
    const good = readFileSync(file);
    const copy = Buffer.from(good);
    const spoiled = spoil(copy) ?? copy;
    expect(spoiled.equals(good)).toBe(false);
    writeFileSync(file, spoiled);
    const run = await runCached(ARGS, home);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr });
    expect(readFileSync(file).equals(spoiled)).toBe(false);
  });

  // The entry holds every function its run compiled: a folder's or a mailbox's readers would be
  // deserialized by every later one-draft start (src/cli/check-main.ts codeCacheWorthy).
  it.each([
    ['a folder', [path.join(ROOT, 'examples/outbox')]],
    ['two drafts', [DRAFT, path.join(ROOT, 'examples/outbox/team-lunch.eml')]],
    ['a file that cannot be read', [path.join(ROOT, 'examples/outbox/no-such-draft.eml')]],
  ])('a run over %s makes no entry; the next one-message run does', async (_name, inputs) => {
    const home = path.join(tmp, `worthy-${_name.replace(/\W+/g, '-')}`);
    await runCached(['check', ...inputs, '--internal-domain', 'corp.example', '--format', 'json'], home);
    expect(existsSync(path.join(home, 'mailguard')) ? entriesIn(home) : []).toEqual([]);
    await runCached(ARGS, home);
    expect(entriesIn(home)).toHaveLength(1);
  });

  it('a cache directory others can write is neither read nor written', async () => {
    const home = path.join(tmp, 'shared');
    mkdirSync(path.join(home, 'mailguard'), { recursive: true });
    chmodSync(path.join(home, 'mailguard'), 0o777);
    const plain = await runCli(ARGS);
    const run = await runCached(ARGS, home);
    expect(run.stdout).toBe(plain.stdout);
    expect(entriesIn(home)).toEqual([]);
  });

  it('a cache home that cannot be a directory changes nothing but the cache', async () => {
    const home = path.join(tmp, 'a-file');
    writeFileSync(home, '');
    const plain = await runCli(ARGS);
    const run = await runCached(ARGS, home);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr });
  });

  // Code from a cache cannot import() on Node 20: the formats loaded on use, a folder (tinyglobby)
  // and arguments only the full CLI takes must all work from a cached start.
  it.each([
    ['SARIF', ['--format', 'sarif']],
    ['GitHub', ['--format', 'github']],
    ['a pattern (tinyglobby)', ['--format', 'json', path.join(FIXTURES, 'audit-2026-0*.eml')]],
    ['a campaign (nodemailer composer)', ['--format', 'json', path.join(FIXTURES, 'campaign-exposed.json')]],
    ['the full CLI', ['--format', 'json', '--no-such-flag']],
  ])('from the cache: %s', async (_name, extra) => {
    const home = path.join(tmp, 'formats');
    const args = ['check', DRAFT, '--internal-domain', 'corp.example', ...extra];
    const plain = await runCli(args);
    for (let i = 0; i < 2; i++) {
      const run = await runCached(args, home);
      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr });
    }
  });

  it(`keeps the ${MAX_ENTRIES} most recently written entries: older builds' are removed when a new one is made`, async () => {
    const home = path.join(tmp, 'upgrades');
    const dir = path.join(home, 'mailguard');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const old = Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => `check-${i.toString(16).padStart(16, '0')}-${process.version}-${process.arch}.v8`);
    old.forEach((name, i) => {
      writeFileSync(path.join(dir, name), 'an old build', { mode: 0o600 });
      utimesSync(path.join(dir, name), 1_000_000 + i, 1_000_000 + i);
    });
    await runCached(ARGS, home);
    const left = entriesIn(home).sort();
    expect(left).toHaveLength(MAX_ENTRIES);
    // The new entry and the most recent old ones.
    expect(left.filter((name) => !old.includes(name))).toHaveLength(1);
    expect(left.filter((name) => old.includes(name))).toEqual(old.slice(-(MAX_ENTRIES - 1)).sort());
  });

  it('MAILGUARD_NO_COMPILE_CACHE=1 turns it off', async () => {
    const home = path.join(tmp, 'off');
    await runCli(ARGS, { env: { MAILGUARD_NO_COMPILE_CACHE: '1', XDG_CACHE_HOME: home } });
    expect(() => entriesIn(home)).toThrow();
  });
});

describe('code cache entries', () => {
  const bundle = { size: 15n, dev: 2049n, ino: 1234n, mtimeNs: 1_700_000_000_000_000_000n, ctimeNs: 1_700_000_000_500_000_000n };
  const identity = bundleIdentity(bundle);
  const entryOf = (id: string, data: Buffer, checksum = checksumOf(data), version = process.version) =>
    Buffer.concat([Buffer.from(`mailguard-code-cache 3 ${version} ${process.versions.v8} ${process.arch} ${id} ${data.length} ${checksum}\n`, 'latin1'), data]);
  const code = Buffer.from('code');

  it('name the bundle file by size, device and inode, and both times', () => {
    expect(identity).toBe('15 2049:1234 1700000000000000000 1700000000500000000');
  });

  it.each([
    ['the entry of this bundle file', entryOf(identity, code), 'code'],
    ['the bundle changed in place (other times, same size)', entryOf(bundleIdentity({ ...bundle, mtimeNs: bundle.mtimeNs + 1n }), code), undefined],
    ['the bundle changed in place (change time only)', entryOf(bundleIdentity({ ...bundle, ctimeNs: bundle.ctimeNs + 1n }), code), undefined],
    ['another file of the same build', entryOf(bundleIdentity({ ...bundle, ino: 99n }), code), undefined],
    ['another Node', entryOf(identity, code, undefined, 'v1.0.0'), undefined],
    ['code that does not match its checksum (a damaged entry)', entryOf(identity, code, checksumOf(Buffer.from('codf'))), undefined],
    ['a checksum of another layout', entryOf(identity, code, checksumOf(code).slice(1)), undefined],
    ['a cut entry', entryOf(identity, code).subarray(0, -1), undefined],
    ['a longer entry', Buffer.concat([entryOf(identity, code), code]), undefined],
    ['no code', entryOf(identity, Buffer.alloc(0)), undefined],
    ['no header', Buffer.concat([code, code]), undefined],
    ['an entry of the layout that wrote the code twice', Buffer.concat([Buffer.from(`mailguard-code-cache 2 ${process.version} ${process.versions.v8} ${process.arch} ${identity} ${code.length}\n`, 'latin1'), code, code]), undefined],
  ])('%s', (_name, entry, expected) => {
    expect(cachedCodeFor(entry, identity)?.toString()).toBe(expected);
  });

  it('the checksum is the 64-bit function its WebAssembly text describes, and a damaged word or byte changes it', () => {
    const M = (1n << 64n) - 1n;
    const reference = (data: Buffer): string => {
      let h = 0x9e3779b97f4a7c15n ^ BigInt(data.length);
      let p = 0;
      for (const end = data.length & ~7; p < end; p += 8) {
        h = ((h ^ data.readBigUInt64LE(p)) * 0x100000001b3n) & M;
        h ^= h >> 29n;
      }
      for (; p < data.length; p++) h = ((h ^ BigInt(data[p]!)) * 0x100000001b3n) & M;
      return h.toString(16).padStart(16, '0');
    };
    const rand = createRandom(7);
    for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 100, 4096, 65_535, 65_537, 200_001]) {
      const data = Buffer.from(Array.from({ length }, () => Math.floor(rand() * 256)));
      const sum = checksumOf(data);
      expect(sum).toMatch(/^[0-9a-f]{16}$/);
      expect(sum).toBe(reference(data));
      // Taken again on a view of the same bytes at an odd offset: the same answer.
      const shifted = Buffer.concat([Buffer.from([1]), data]).subarray(1);
      expect(checksumOf(shifted)).toBe(sum);
      if (length > 0) {
        const damaged = Buffer.from(data);
        damaged[Math.floor(rand() * length)]! ^= 1 << Math.floor(rand() * 8);
        expect(checksumOf(damaged)).not.toBe(sum);
      }
    }
  });

  it('pruning removes only this cache\'s files: old entries beyond the newest, and temporary files a dead run left', () => {
    const dir = mkdtempSync(path.join(tmp, 'prune-'));
    const now = Date.now();
    const entry = (i: number, version = 'v20.20.2') => `check-${i.toString(16).padStart(16, 'a')}-${version}-x64.v8`;
    const files: Array<[name: string, ageMs: number]> = [
      ...Array.from({ length: MAX_ENTRIES + 2 }, (_, i): [string, number] => [entry(i, i % 2 ? 'v21.7.3' : 'v20.20.2'), (i + 1) * 60_000]),
      [`${entry(20)}.4242.tmp`, 2 * 60 * 60 * 1000],
      [`${entry(21)}.4243.tmp`, 1000],
      ['notes.txt', 365 * 24 * 60 * 60 * 1000],
      ['check-old.v8', 365 * 24 * 60 * 60 * 1000],
    ];
    for (const [name, age] of files) {
      writeFileSync(path.join(dir, name), 'x');
      utimesSync(path.join(dir, name), (now - age) / 1000, (now - age) / 1000);
    }
    mkdirSync(path.join(dir, entry(30)));
    pruneEntries(dir, process.getuid?.() ?? 0, now);
    const expected = [...Array.from({ length: MAX_ENTRIES }, (_, i) => files[i]![0]), `${entry(21)}.4243.tmp`, 'notes.txt', 'check-old.v8', entry(30)];
    expect(readdirSync(dir).sort()).toEqual(expected.sort());
  });

  it('live in $XDG_CACHE_HOME/mailguard, else ~/.cache/mailguard (a relative XDG_CACHE_HOME is ignored)', () => {
    expect(codeCacheDirectory({ XDG_CACHE_HOME: '/x/cache' })).toBe(path.join('/x/cache', 'mailguard'));
    expect(codeCacheDirectory({ XDG_CACHE_HOME: 'cache' })).toBe(path.join(os.homedir(), '.cache', 'mailguard'));
    expect(codeCacheDirectory({})).toBe(path.join(os.homedir(), '.cache', 'mailguard'));
  });

  it('the check bundle is ASCII, so the loader reads it as Latin-1 (src/body/quoted.ts escapes its letters)', () => {
    expect(isAscii(readFileSync(path.join(ROOT, 'dist/check.cjs')))).toBe(true);
  });
});
