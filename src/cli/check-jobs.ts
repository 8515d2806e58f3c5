// `mailguard check` over many files on several cores (issue 18: "a folder at the speed of reading
// it"). Worker threads read and check contiguous runs of the inputs and write each result's text
// by itself (the format's `parallel.alone`); the main thread puts the texts in input order
// (`parallel.place`), counts them and spools the report. The report is byte for byte the one a
// single thread writes (tests/cli/check-jobs.test.ts compares them).
//
// What stays on the main thread: streams (an mbox, stdin: a worker hands such an input back
// unread and the main thread reads it at its turn, in bounded memory, as before), the "no mail in
// this directory" tally (a directory spans runs), the progress line and the spool.
//
// Workers run the same bundle as the CLI's check (dist/check.cjs, through its code cache), and
// resolve the policy from the same flags and configuration file themselves: the settings hold
// profiles and compiled policy that do not survive a structured clone.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { MailguardError } from '../errors.js';
import { createGroupTally, openEntry, type FileEntry, type InputFailure, type NotMailFile } from '../io/inputs.js';
import type { MessageResult, Verdict } from '../result.js';
import { CHECK_STREAMS } from '../report/check-streams.js';
import type { FormatOptions } from '../report/report.js';
import type { CheckFlags } from './commands/check.js';
import { checkContext, checkItems, relativeToWorkspace, warningCount, type CheckContext } from './check-items.js';
import { resolveSettings } from './policy-options.js';
import { painterAt } from './terminal.js';

/** --jobs at most: each worker holds a copy of the bundle and its runs (~20 MB). */
export const JOBS_MAX = 64;
/** Inputs handed to a worker at a time: enough that messages between threads are few, small
 * enough that the workers finish together. */
export const JOBS_RUN_INPUTS = 64;
/** Runs given out and not yet written, per worker: each worker has its next run queued, and what
 * finished before its turn waits in memory, so this bounds the texts held (about 2 x 64 results
 * per worker). */
export const JOBS_RUNS_AHEAD_PER_WORKER = 2;

/** One result as the main thread needs it: its text in the report, verdict and warning count. */
export interface CheckedText {
  text: string;
  verdict: Verdict;
  warnings: number;
}

/** What a worker is started with: the same flags and output decisions as the main thread. */
export interface CheckWorkerInit {
  flags: CheckFlags;
  cwd: string;
  format: Omit<FormatOptions, 'color'> & { colorLevel: 0 | 1 | 2 | 3 };
  /** Paths relative to the workspace (public formats), as relativeToWorkspace does. */
  workspace: string | undefined;
  publicFormat: boolean;
}

/** One input as a worker did it: its results' texts, or null when it is a stream left to the main thread. */
type InputDone = { texts: string[]; verdicts: Verdict[]; warnings: number[]; skipped: NotMailFile[] } | null;
type FromWorker = { run: number; inputs: InputDone[] } | { failed: { code?: string; message: string } };
interface ToWorker {
  run: number;
  inputs: Array<FileEntry | InputFailure>;
}

/**
 * How many workers to use: --jobs as given, at most one per run of inputs; 1 (none) unless asked.
 * Not on by default: on this project's 2-core machine two workers used 1.7x the CPU of one thread
 * (3.3 s against 1.9 s of user time for 10,000 drafts) and took as long or, on a loaded machine,
 * 1.76x as long (bench scenario 2, BENCHMARKS.md); no machine here shows where they start to pay.
 */
export function jobCount(requested: number | undefined, inputs: number): number {
  if (requested === undefined) return 1;
  return Math.max(1, Math.min(requested, JOBS_MAX, Math.ceil(inputs / JOBS_RUN_INPUTS)));
}

/** The bundle a worker runs, beside this code in dist/ (undefined when running from the sources, as the tests' library calls do). */
function workerBundle(): { bundle: string; loader: string } | undefined {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const bundle = path.join(dir, 'check.cjs');
  const loader = path.join(dir, 'code-cache.cjs');
  return existsSync(bundle) && existsSync(loader) ? { bundle, loader } : undefined;
}

export function canRunJobs(): boolean {
  return workerBundle() !== undefined;
}

/**
 * Every input checked by `jobs` workers, as texts in input order. `textOf` is what the main thread
 * writes for a result it checks itself (streams, the tally's failures); `place` puts a worker's text
 * at its turn.
 */
export async function* checkWithJobs(
  inputs: ReadonlyArray<FileEntry | InputFailure>,
  jobs: number,
  init: CheckWorkerInit,
  ctx: CheckContext,
  textOf: (r: MessageResult) => CheckedText,
  place: (text: string) => string,
): AsyncGenerator<CheckedText> {
  const found = workerBundle();
  if (!found) throw new Error('check jobs need the built bundle (dist/check.cjs)');
  const { Worker: WorkerThread } = await import('node:worker_threads');
  const source = `require(${JSON.stringify(found.loader)}).requireWithCodeCache(${JSON.stringify(found.bundle)}).runCheckWorker()`;
  // The group a file belongs to stays here (the tally); a worker gets the path and how it was found.
  const runs: ToWorker[] = [];
  for (let i = 0; i < inputs.length; i += JOBS_RUN_INPUTS) {
    runs.push({ run: runs.length, inputs: inputs.slice(i, i + JOBS_RUN_INPUTS).map((e) => ('failure' in e ? e : e.found ? { path: e.path, found: true, ...(e.hidden ? { hidden: true } : {}) } : { path: e.path })) });
  }
  interface Pending {
    promise: Promise<InputDone[]>;
    resolve(inputs: InputDone[]): void;
    reject(err: Error): void;
  }
  const pending = new Map<number, Pending>();
  let failure: Error | undefined;
  const pendingRun = (run: number): Pending => {
    let p = pending.get(run);
    if (!p) {
      let resolve!: Pending['resolve'];
      let reject!: Pending['reject'];
      const promise = new Promise<InputDone[]>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Awaited in turn by the loop below; a failure before its turn must not be "unhandled".
      promise.catch(() => undefined);
      p = { promise, resolve, reject };
      if (failure) reject(failure);
      pending.set(run, p);
    }
    return p;
  };
  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
  };

  const pool = Array.from({ length: jobs }, () => ({ worker: new WorkerThread(source, { eval: true, workerData: init }) as Worker, queued: 0 }));
  let next = 0;
  let written = 0;
  const dispatch = () => {
    for (let progress = true; progress; ) {
      progress = false;
      for (const w of pool) {
        if (w.queued >= JOBS_RUNS_AHEAD_PER_WORKER || next >= runs.length || next - written >= jobs * JOBS_RUNS_AHEAD_PER_WORKER) continue;
        pendingRun(next);
        w.worker.postMessage(runs[next++]);
        w.queued++;
        progress = true;
      }
    }
  };
  for (const w of pool) {
    w.worker.on('message', (m: FromWorker) => {
      if ('failed' in m) {
        fail(new MailguardError(m.failed.code === 'ECONFIG' || m.failed.code === 'EUSAGE' ? m.failed.code : 'EINPUT', `a check worker failed: ${m.failed.message}`));
        return;
      }
      w.queued--;
      pendingRun(m.run).resolve(m.inputs);
      dispatch();
    });
    w.worker.on('error', (err) => fail(new MailguardError('EINPUT', `a check worker failed: ${err.message}`)));
    w.worker.on('exit', (code) => {
      if (written < runs.length) fail(new MailguardError('EINPUT', `a check worker stopped (exit code ${code}) before its inputs were checked`));
    });
  }

  try {
    dispatch();
    const tally = createGroupTally();
    for (const run of runs) {
      const done = await pendingRun(run.run).promise;
      pending.delete(run.run);
      for (let i = 0; i < done.length; i++) {
        const input = inputs[run.run * JOBS_RUN_INPUTS + i]!;
        const d = done[i]!;
        let count = 0;
        if (d === null) {
          // A stream: read here, at its turn, as a single thread would.
          for await (const r of checkItems(counted(await openEntry(input, ctx.readOptions), () => count++), ctx)) yield textOf(r);
        } else {
          ctx.readOptions.skipped?.push(...d.skipped);
          count = d.texts.length;
          for (let k = 0; k < count; k++) yield { text: place(d.texts[k]!), verdict: d.verdicts[k]!, warnings: d.warnings[k]! };
        }
        const none = tally.after(input, count);
        if (none) for await (const r of checkItems([none], ctx)) yield textOf(r);
      }
      written++;
      dispatch();
    }
  } finally {
    written = runs.length;
    await Promise.all(pool.map((w) => w.worker.terminate()));
  }
}

async function* counted<T>(items: AsyncIterable<T> | Iterable<T>, each: () => void): AsyncGenerator<T> {
  for await (const item of items) {
    each();
    yield item;
  }
}

/** A worker's side: check each run it is given and send back the texts (dist/check.cjs exports it). */
export async function runCheckWorker(): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  const port = parentPort!;
  const init = workerData as CheckWorkerInit;
  let work: Promise<void>;
  try {
    const settings = await resolveSettings(init.flags, init.cwd);
    const { colorLevel, ...options } = init.format;
    const stream = (await CHECK_STREAMS[init.flags.format]!.load())({ ...options, color: await painterAt(colorLevel) });
    const alone = stream.parallel!.alone;
    work = Promise.resolve();
    // One context for every input; its `skipped` list is swapped per input, so each input's go back with it.
    const ctx = checkContext(init.flags, settings, []);
    const doRun = async ({ run, inputs }: ToWorker) => {
      const done: InputDone[] = [];
      for (const input of inputs) {
        const skipped: NotMailFile[] = [];
        ctx.readOptions.skipped = skipped;
        const items = await openEntry(input, ctx.readOptions);
        if (!Array.isArray(items)) {
          await items.return(undefined);
          done.push(null);
          continue;
        }
        const d = { texts: [] as string[], verdicts: [] as Verdict[], warnings: [] as number[], skipped };
        for await (const r of checkItems(items, ctx)) {
          if (init.publicFormat) relativeToWorkspace(r, init.workspace, init.cwd);
          d.texts.push(alone(r));
          d.verdicts.push(r.verdict);
          d.warnings.push(warningCount(r));
        }
        done.push(d);
      }
      port.postMessage({ run, inputs: done } satisfies FromWorker);
    };
    port.on('message', (m: ToWorker) => {
      work = work.then(() => doRun(m)).catch((err: unknown) => reportFailure(port, err));
    });
  } catch (err) {
    reportFailure(port, err);
  }
}

function reportFailure(port: NonNullable<typeof import('node:worker_threads').parentPort>, err: unknown): void {
  const e = err as { code?: unknown; message?: unknown };
  port.postMessage({ failed: { code: typeof e?.code === 'string' ? e.code : undefined, message: typeof e?.message === 'string' ? e.message : String(err) } } satisfies FromWorker);
}
