// Timing helpers: pairs run side by side (alternating, several rounds), medians reported.

import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type Task = () => Promise<unknown> | unknown;

/**
 * Runs each task once per round, alternating their order every round (ABC, CBA, ...) so drift
 * in machine load hits all of them alike. One warm-up round is run first and discarded.
 * Returns every task's times in ms.
 */
export async function alternate(tasks: Record<string, Task>, rounds: number, warmup = 1): Promise<Record<string, number[]>> {
  const names = Object.keys(tasks);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds + warmup; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const t0 = performance.now();
      await tasks[name]!();
      const ms = performance.now() - t0;
      if (r >= warmup) times[name]!.push(ms);
    }
  }
  return times;
}

export function medians(times: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export interface ChildRun {
  code: number | null;
  ms: number;
  /** Peak resident set size in bytes, when measured (`rssPreload`). */
  maxRss?: number;
}

/**
 * Spawns a command and times it from spawn to exit. stdout goes to /dev/null (or a file), so
 * writing output costs what it costs on a real redirect, without a pipe reader in the bench.
 * With `rssPreload`, a Node child reports its peak RSS through a preload (bench/rss-preload.mjs).
 */
export function runChild(
  command: string,
  args: string[],
  options: { cwd?: string; stdout?: string; rssPreload?: string; env?: NodeJS.ProcessEnv; okCodes?: number[] } = {},
): Promise<ChildRun> {
  let rssFile: string | undefined;
  let finalArgs = args;
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env };
  if (options.rssPreload) {
    rssFile = path.join(os.tmpdir(), `mailguard-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
    env.MAILGUARD_BENCH_RSS_FILE = rssFile;
    finalArgs = ['--import', pathToFileURL(options.rssPreload).href, ...args];
  }
  const out = openSync(options.stdout ?? '/dev/null', 'w');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, finalArgs, { cwd: options.cwd, env, stdio: ['ignore', out, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 2000)));
    child.on('error', (err) => {
      closeSync(out);
      reject(err);
    });
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      closeSync(out);
      const run: ChildRun = { code, ms };
      if (rssFile) {
        try {
          run.maxRss = Number(readFileSync(rssFile, 'utf8')) * 1024;
          rmSync(rssFile, { force: true });
        } catch {
          // The child died before its exit hook ran; leave maxRss undefined.
        }
      }
      if (!(options.okCodes ?? [0, 1]).includes(code ?? -1)) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
        return;
      }
      resolve(run);
    });
  });
}
