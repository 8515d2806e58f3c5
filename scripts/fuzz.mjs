#!/usr/bin/env node
// Mutation fuzzing of mailguard's core `checkMessage`, for a fixed time (not part of `npm test`).
//
//   npm run fuzz                          # 60 s, seeds: the messages in fixtures/
//   npm run fuzz -- --seconds 600 --seed 42 --corpus   # also seed from ../shared/corpus
//
// Seeds are real messages; each round applies a few byte-level and mail-aware mutations (line
// ends, control bytes, quotes, brackets, encoded words, IDN look-alikes, repeated chunks to find
// super-linear paths, splices between messages). Every input must:
//   - not throw out of checkMessage, and give a valid verdict;
//   - finish within the budget (MAX_CHECK_MS, for inputs up to FUZZ_MAX_INPUT_BYTES);
//   - give the same result twice (no hidden state) and the same result for its header block alone
//     (the CLI reads only the header block).
// A failing input is saved to fixtures/crashes/<kind>-<sha1>.eml, where tests/security/headers.test.ts
// replays every file as a regression test; with --corpus, a .source.txt beside it names the corpus
// files it grew from (check their licence before committing, see fixtures/crashes/README.md).
// Exit code 1 when anything was saved.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist/index.js');
const CRASH_DIR = path.join(ROOT, 'fixtures/crashes');
const CORPUS_DIR = path.resolve(ROOT, '../shared/corpus');
/** Seeds larger than this are cut to their first bytes: the core reads only the header block. */
const FUZZ_MAX_SEED_BYTES = 64 * 1024;
/** Mutated inputs are kept below this size, so the time budget applies to them. */
const FUZZ_MAX_INPUT_BYTES = 4 * 1024 * 1024;

function parseArgs(argv) {
  const opts = { seconds: 60, seed: Date.now() % 2 ** 31, corpus: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') opts.seconds = Number(argv[++i]);
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--corpus') opts.corpus = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/fuzz.mjs [--seconds N] [--seed N] [--corpus] [--quiet]');
      process.exit(0);
    } else {
      console.error(`fuzz: unknown option ${a}; see --help`);
      process.exit(2);
    }
  }
  if (!Number.isFinite(opts.seconds) || opts.seconds <= 0) {
    console.error('fuzz: --seconds needs a positive number');
    process.exit(2);
  }
  return opts;
}

/** mulberry32: a small seeded PRNG, so a run can be repeated with --seed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && e.name !== 'SOURCES.md' && !e.name.endsWith('.json')) out.push(p);
  }
  return out;
}

function loadSeeds(useCorpus) {
  const files = walk(path.join(ROOT, 'fixtures')).filter((f) => !f.includes(`${path.sep}crashes${path.sep}`));
  if (useCorpus) {
    if (!existsSync(CORPUS_DIR)) {
      console.error(`fuzz: --corpus needs ${CORPUS_DIR}`);
      process.exit(2);
    }
    walk(CORPUS_DIR, files);
  }
  return files
    .filter((f) => statSync(f).size > 0)
    .map((file) => {
      const b = readFileSync(file);
      return { file, bytes: b.length > FUZZ_MAX_SEED_BYTES ? b.subarray(0, FUZZ_MAX_SEED_BYTES) : b };
    });
}

const INTERESTING_BYTES = [0x00, 0x0d, 0x0a, 0x09, 0x20, 0x22, 0x28, 0x29, 0x3c, 0x3e, 0x40, 0x2c, 0x3b, 0x3a, 0x5c, 0x5b, 0x5d, 0x2e, 0x25, 0x21, 0x7f, 0x80, 0xc0, 0xff, 0x01, 0x1b];
const TOKENS = [
  '\r\n', '\n', '\r', '\r\n ', '\n\t', '\r\n\r\n', '\n\n', ' \r\n', ':', ', ', ';', '<', '>', '"', '\\"', '(', ')', '@', '@@',
  '<@relay.example:', '"x@evil.example"@', 'x%evil.example@', '=?utf-8?q?a=40b?=', '=?utf-8?b?YUBi?=', 'xn--', 'xn--bcher-kva',
  '\u00ad', '\uff43\uff4f\uff52\uff50', '\u212a', '\u043e', 'ß', '\u200d', '\u3002', '\ufeff', 'undisclosed-recipients:;',
  'To: ', 'Cc: ', 'Resent-To: ', 'Bcc: ', 'Reply-To: ', 'To : ', 'From ', 'g: a@b.example, c@d.example;', '[IPv6:::1]', '[010.0.0.1]',
  'Content-Type: message/rfc822\r\n\r\nTo: a@x.example\r\n',
].map((t) => Buffer.from(t, 'utf8'));

const pick = (rand, list) => list[Math.floor(rand() * list.length)];
const int = (rand, n) => Math.floor(rand() * n);

/** One mutation of `b`. `other` is another seed, for splices. */
function mutateOnce(rand, b, other) {
  const pos = b.length === 0 ? 0 : int(rand, b.length + 1);
  switch (int(rand, 10)) {
    case 0: { // flip a byte
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[int(rand, c.length)] ^= 1 << int(rand, 8);
      return c;
    }
    case 1: // insert an interesting byte
      return Buffer.concat([b.subarray(0, pos), Buffer.from([pick(rand, INTERESTING_BYTES)]), b.subarray(pos)]);
    case 2: // insert a mail token
      return Buffer.concat([b.subarray(0, pos), pick(rand, TOKENS), b.subarray(pos)]);
    case 3: { // delete a range
      const len = 1 + int(rand, 32);
      return Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + len))]);
    }
    case 4: { // duplicate a range
      const len = 1 + int(rand, 200);
      return Buffer.concat([b.subarray(0, pos), b.subarray(pos, pos + len), b.subarray(pos)]);
    }
    case 5: { // repeat a short chunk many times (super-linear paths)
      const len = 1 + int(rand, 8);
      const times = 1000 + int(rand, 50_000);
      const chunk = b.length > 0 ? b.subarray(pos, pos + len) : pick(rand, TOKENS);
      const rep = Buffer.alloc(Math.min(chunk.length * times, FUZZ_MAX_INPUT_BYTES / 2));
      if (chunk.length > 0) for (let i = 0; i < rep.length; i += chunk.length) chunk.copy(rep, i);
      return Buffer.concat([b.subarray(0, pos), rep, b.subarray(pos)]);
    }
    case 6: { // splice with another message
      const at = int(rand, other.length + 1);
      return Buffer.concat([b.subarray(0, pos), other.subarray(at, at + 1 + int(rand, 400))]);
    }
    case 7: { // change the line ends of the whole input
      const s = b.toString('latin1').replace(/\r\n|\r|\n/g, '\u0000EOL\u0000');
      return Buffer.from(s.replace(/\u0000EOL\u0000/g, pick(rand, ['\r\n', '\n', '\r', '\n\r'])), 'latin1');
    }
    case 8: // truncate
      return b.subarray(0, pos);
    default: { // overwrite with random bytes
      const len = 1 + int(rand, 16);
      const c = Buffer.from(b);
      for (let i = pos; i < Math.min(c.length, pos + len); i++) c[i] = int(rand, 256);
      return c;
    }
  }
}

function save(kind, bytes, detail, origins) {
  mkdirSync(CRASH_DIR, { recursive: true });
  const hash = createHash('sha1').update(bytes).digest('hex').slice(0, 12);
  const file = path.join(CRASH_DIR, `${kind}-${hash}.eml`);
  if (!existsSync(file)) writeFileSync(file, bytes);
  const fromCorpus = [...origins].filter((f) => f.startsWith(CORPUS_DIR));
  if (fromCorpus.length > 0) {
    const lines = fromCorpus.map((f) => `../shared/corpus/${path.relative(CORPUS_DIR, f)}`);
    writeFileSync(file.replace(/\.eml$/, '.source.txt'), `Grown by mutation from:\n${lines.join('\n')}\nCheck the licence in ../shared/corpus/SOURCES.md before committing.\n`);
  }
  console.log(`fuzz: ${kind}: saved ${path.relative(ROOT, file)} (${bytes.length} bytes)${detail ? `: ${detail}` : ''}`);
  return file;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(DIST)) {
    console.error('fuzz: dist/index.js is missing; run `npm run build` first (npm run fuzz does).');
    process.exit(2);
  }
  const { checkMessage, createPolicy, locateBodyStart } = await import(DIST);
  // The budget is the named constant in src/limits.ts (the library entry does not export limits).
  const MAX_CHECK_MS = Number(/MAX_CHECK_MS = ([\d_]+)/.exec(readFileSync(path.join(ROOT, 'src/limits.ts'), 'utf8'))?.[1]?.replace(/_/g, '') ?? 1000);
  const policy = createPolicy({ internalDomains: ['corp.example'] });
  const inferred = createPolicy({});
  const seeds = loadSeeds(opts.corpus);
  const rand = prng(opts.seed);
  const deadline = Date.now() + opts.seconds * 1000;
  let runs = 0;
  let saved = 0;
  let slowest = 0;
  const seen = new Set();
  console.log(`fuzz: ${seeds.length} seeds, ${opts.seconds} s, seed ${opts.seed}, budget ${MAX_CHECK_MS} ms per message`);

  while (Date.now() < deadline) {
    const seed = pick(rand, seeds);
    const origins = new Set([seed.file]);
    let input = seed.bytes;
    const rounds = 1 + int(rand, 6);
    for (let i = 0; i < rounds; i++) {
      const other = pick(rand, seeds);
      input = mutateOnce(rand, input, other.bytes);
      // It may have been spliced in: over-reporting provenance is the safe side.
      origins.add(other.file);
    }
    if (input.length > FUZZ_MAX_INPUT_BYTES) input = input.subarray(0, FUZZ_MAX_INPUT_BYTES);
    runs++;
    const p = runs % 2 === 0 ? policy : inferred;
    let first;
    const start = performance.now();
    try {
      first = checkMessage(input, p, { source: 'fuzz' });
    } catch (err) {
      const key = `crash:${String(err?.message ?? err)}`;
      if (!seen.has(key)) {
        seen.add(key);
        save('crash', input, String(err?.stack ?? err).split('\n').slice(0, 3).join(' | '), origins);
        saved++;
      }
      continue;
    }
    const ms = performance.now() - start;
    slowest = Math.max(slowest, ms);
    if (ms > MAX_CHECK_MS) {
      // Measure again before saving: one slow run may be the machine, not the input.
      const again = performance.now();
      checkMessage(input, p, { source: 'fuzz' });
      const ms2 = performance.now() - again;
      if (ms2 > MAX_CHECK_MS) {
        save('slow', input, `${ms.toFixed(0)} ms, then ${ms2.toFixed(0)} ms`, origins);
        saved++;
      }
    }
    if (!['pass', 'warn', 'block', 'error'].includes(first.verdict)) {
      save('invalid-verdict', input, String(first.verdict), origins);
      saved++;
    }
    const second = checkMessage(input, p, { source: 'fuzz' });
    if (!isDeepStrictEqual(first, second)) {
      save('nondeterministic', input, 'two checks of the same bytes differ', origins);
      saved++;
    }
    const bodyStart = locateBodyStart(input);
    if (bodyStart !== -1) {
      const headerOnly = checkMessage(input.subarray(0, bodyStart), p, { source: 'fuzz' });
      // For input that is not a message only the verdict must match (the reason may be "empty"
      // for the header block alone and "no-header" for the whole input).
      const same = first.verdict === 'error' ? headerOnly.verdict === 'error' : isDeepStrictEqual(first, headerOnly);
      if (!same) {
        save('header-only-differs', input, `the header block alone (${bodyStart} bytes) gives ${headerOnly.verdict}, the whole message ${first.verdict}`, origins);
        saved++;
      }
    }
    if (!opts.quiet && runs % 5000 === 0) console.log(`fuzz: ${runs} inputs, slowest ${slowest.toFixed(0)} ms, ${saved} saved`);
  }
  console.log(`fuzz: done: ${runs} inputs in ${opts.seconds} s (seed ${opts.seed}), slowest ${slowest.toFixed(0)} ms, ${saved} saved to fixtures/crashes/`);
  process.exitCode = saved > 0 ? 1 : 0;
}

await main();
