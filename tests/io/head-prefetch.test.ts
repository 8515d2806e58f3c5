// A folder's small files are read ahead on a second thread (src/io/head-prefetch.ts). What the
// worker hands over must be exactly what readHead would have read, and anything it cannot read
// the same way (a large file, a FIFO, a file gone, a directory) is left to the main thread.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeadPrefetch, PREFETCH_MIN_FILES } from '../../src/io/head-prefetch.js';
import { isFailure, readInputs, type NotMailFile } from '../../src/io/inputs.js';
import type { InputItem, ReadInputsOptions } from '../../src/io/formats/types.js';
import { HEADER_READ_CHUNK_BYTES } from '../../src/limits.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-prefetch-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const draft = (n: number, extra = '') => `From: me@corp.example\r\nTo: p${n}@org${n % 7}.test, q${n}@org${n % 5}.test\r\nSubject: draft ${n}\r\n\r\nHello ${n}${extra}\r\n`;

/** Asks until the worker has answered for `index` (it starts on its own thread). */
async function takeWhenRead(prefetch: NonNullable<Awaited<ReturnType<typeof startHeadPrefetch>>>, index: number): Promise<Buffer | undefined> {
  for (let i = 0; i < 1000; i++) {
    const got = prefetch.take(index);
    if (got !== undefined) return got;
    await sleep(10);
  }
  return undefined;
}

describe('startHeadPrefetch', () => {
  it('hands over the whole bytes of small regular files, and nothing for anything else', async () => {
    const sub = path.join(dir, 'kinds');
    await mkdir(sub);
    const small = path.join(sub, 'small.eml');
    const empty = path.join(sub, 'empty.eml');
    const limit = path.join(sub, 'at-limit.eml');
    const large = path.join(sub, 'large.eml');
    const fifo = path.join(sub, 'pipe.eml');
    const folder = path.join(sub, 'folder.eml');
    const crOnly = path.join(sub, 'cr-only.eml');
    await writeFile(small, draft(1));
    await writeFile(empty, '');
    await writeFile(limit, draft(2, 'x'.repeat(HEADER_READ_CHUNK_BYTES)).slice(0, HEADER_READ_CHUNK_BYTES));
    await writeFile(large, draft(3, 'y'.repeat(HEADER_READ_CHUNK_BYTES * 2)));
    await writeFile(crOnly, 'From: me@corp.example\rTo: a@org.test\r\rbody\nwith LF\n');
    await mkdir(folder);
    execFileSync('mkfifo', [fifo]);
    const paths = [small, empty, limit, large, fifo, folder, path.join(sub, 'gone.eml'), null, crOnly];
    const prefetch = await startHeadPrefetch(paths);
    expect(prefetch).toBeDefined();
    try {
      expect((await takeWhenRead(prefetch!, 0))?.toString()).toBe(draft(1));
      // Answered in the same batch as file 0: what it says now is final.
      const later = paths.map((_, i) => prefetch!.take(i));
      expect(later[1]?.length).toBe(0);
      // readHead reads a file of HEADER_READ_CHUNK_BYTES or more in steps: left to it.
      expect(later.slice(2, 8)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
      // A CR-only header with an LF after it is read whole by readHead too: the same bytes.
      expect(later[8]?.toString()).toBe('From: me@corp.example\rTo: a@org.test\r\rbody\nwith LF\n');
    } finally {
      prefetch!.close();
    }
    // Closed, it hands nothing over: the caller reads for itself.
    expect(prefetch!.take(0)).toBeUndefined();
  });

  it('reads ahead in batches, for files far apart in a long list', async () => {
    const sub = path.join(dir, 'many');
    await mkdir(sub);
    const paths: string[] = [];
    for (let i = 0; i < 600; i++) {
      const p = path.join(sub, `d${i}.eml`);
      await writeFile(p, draft(i));
      paths.push(p);
    }
    const prefetch = await startHeadPrefetch(paths);
    try {
      // Files are taken in order; each take asks for the batches ahead of it.
      for (let i = 0; i < paths.length; i += 37) {
        const got = await takeWhenRead(prefetch!, i);
        expect(got?.toString()).toBe(draft(i));
      }
    } finally {
      prefetch!.close();
    }
  });
});

async function readAll(specs: string[], options: ReadInputsOptions): Promise<{ items: InputItem[]; skipped: NotMailFile[] }> {
  const skipped: NotMailFile[] = [];
  const items: InputItem[] = [];
  for await (const item of readInputs(specs, { ...options, skipped })) {
    // A pause after the first item lets the worker (if any) read ahead, as it does while a check
    // runs: without it, the main thread can read a small folder before the worker has started.
    if (items.length === 0) await sleep(300);
    items.push(item);
  }
  return { items, skipped };
}

const shape = (item: InputItem) =>
  isFailure(item) ? { source: item.source, failure: item.failure } : { source: item.source, bytes: Buffer.from(item.bytes).toString('latin1'), complete: item.complete, format: item.format, lineOffset: item.lineOffset };

describe('readInputs over a folder, with and without the second thread', () => {
  let folder: string;
  beforeAll(async () => {
    folder = path.join(dir, 'folder');
    await mkdir(folder);
    const mbox = Array.from({ length: 3 }, (_, k) => `From sender@corp.example Mon Dec  7 10:00:00 2026\n${draft(900 + k).replace(/\r\n/g, '\n')}`).join('\n');
    for (let i = 0; i < PREFETCH_MIN_FILES + 90; i++) {
      const name = `m${String(i).padStart(4, '0')}`;
      // Every kind the readers tell apart, spread over the batches.
      if (i % 50 === 3) await writeFile(path.join(folder, `${name}.mbox`), mbox);
      else if (i % 50 === 7) await writeFile(path.join(folder, `${name}.eml`), draft(i, 'z'.repeat(HEADER_READ_CHUNK_BYTES + 10)));
      else if (i % 50 === 11) await writeFile(path.join(folder, `${name}.txt`), 'just some notes\n');
      else if (i % 50 === 13) await writeFile(path.join(folder, `.${name}.eml`), draft(i));
      else if (i % 50 === 17) await writeFile(path.join(folder, `${name}.eml`), '');
      else if (i % 50 === 19) await writeFile(path.join(folder, `${name}.eml`), `From: me@corp.example\rTo: a${i}@org.test\r\rbody\nLF\n`);
      else if (i % 50 === 23) execFileSync('mkfifo', [path.join(folder, `${name}.eml`)]);
      else await writeFile(path.join(folder, `${name}.eml`), draft(i));
    }
  });

  it.each([
    ['check', { headersOnly: true, bodies: true }],
    ['fix and send', { headersOnly: false }],
    ['send, hidden files passed over', { headersOnly: false, passOverHidden: true }],
  ] as Array<[string, ReadInputsOptions]>)('yields the same items and skipped files (%s)', async (_, options) => {
    const on = await readAll([folder], options);
    const off = await readAll([folder], { ...options, prefetch: false });
    expect(on.items.length).toBeGreaterThan(PREFETCH_MIN_FILES);
    expect(on.items.map(shape)).toEqual(off.items.map(shape));
    expect(on.skipped).toEqual(off.skipped);
  });

  it('takes the bytes the second thread read (files removed after it read them are still read)', async () => {
    const sub = path.join(dir, 'removed');
    await mkdir(sub);
    const count = PREFETCH_MIN_FILES + 50;
    const names = Array.from({ length: count }, (_, i) => path.join(sub, `r${String(i).padStart(4, '0')}.eml`));
    const readable = async (prefetch: boolean) => {
      await Promise.all(names.map((p, i) => writeFile(p, draft(i))));
      let read = 0;
      let first = true;
      for await (const item of readInputs([sub], { headersOnly: true, prefetch })) {
        if (first) {
          // The main thread has read (or taken) the first window; the worker reads ahead meanwhile
          // (its start takes tens of milliseconds, more on a loaded machine).
          first = false;
          await sleep(3000);
          await Promise.all(names.slice(20).map((p) => unlink(p)));
        }
        if (!isFailure(item)) read++;
      }
      return read;
    };
    // Without the second thread only the files still there are read.
    expect(await readable(false)).toBe(20);
    // With it, the files it read ahead (at least four batches) come from its bytes.
    expect(await readable(true)).toBeGreaterThanOrEqual(4 * 64);
  });
});

describe('named FIFOs among many named files', () => {
  it('are read once, by the main thread, with their writer still there', async () => {
    const sub = path.join(dir, 'named-fifos');
    await mkdir(sub);
    const specs: string[] = [];
    const writers: Array<ReturnType<typeof spawn>> = [];
    for (let i = 0; i < PREFETCH_MIN_FILES + 20; i++) {
      const p = path.join(sub, `n${String(i).padStart(4, '0')}.eml`);
      if (i % 100 === 50) {
        execFileSync('mkfifo', [p]);
        // A writer blocked in open until a reader comes: a reader that opens and closes at once
        // (a worker looking whether it is a file) would leave it writing into a pipe no one reads,
        // and the main thread's read after it would wait for a writer forever (this test hangs).
        writers.push(spawn('sh', ['-c', `printf '%s' "$0" > "$1"`, draft(i), p], { stdio: 'ignore' }));
      } else {
        await writeFile(p, draft(i));
      }
      specs.push(p);
    }
    try {
      const { items } = await readAll(specs, { headersOnly: true });
      expect(items.map((item) => (isFailure(item) ? item.failure.detail : Buffer.from(item.bytes).toString()))).toEqual(specs.map((_, i) => draft(i)));
    } finally {
      for (const w of writers) w.kill();
    }
  });
});
