// Timing helpers: pairs run side by side (alternating, several rounds), medians reported.

import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A task; one that runs a child process returns its CPU time (`{ cpuMs }`) when it knows it. */
export type Task = () => Promise<unknown> | unknown;

export interface Timings {
  /** Wall-clock ms per round. */
  wall: Record<string, number[]>;
  /** CPU ms (user + system) per round: this process's, or what the task reported for its child. */
  cpu: Record<string, number[]>;
}

function reportedCpu(value: unknown): number | undefined {
  const cpu = (value as { cpuMs?: unknown } | undefined)?.cpuMs;
  return typeof cpu === 'number' ? cpu : undefined;
}

/**
 * Runs each task once per round, alternating their order every round (ABC, CBA, ...) so drift
 * in machine load hits all of them alike. One warm-up round is run first and discarded.
 * Records wall time and CPU time: on a busy machine the wall time says how long a user waited,
 * the CPU time what the work cost.
 */
export async function alternateTimings(tasks: Record<string, Task>, rounds: number, warmup = 1): Promise<Timings> {
  const names = Object.keys(tasks);
  const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds + warmup; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const value = await tasks[name]!();
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (r < warmup) continue;
      wall[name]!.push(ms);
      cpu[name]!.push(reportedCpu(value) ?? (c.user + c.system) / 1000);
    }
  }
  return { wall, cpu };
}

/** Wall-clock times only. */
export async function alternate(tasks: Record<string, Task>, rounds: number, warmup = 1): Promise<Record<string, number[]>> {
  return (await alternateTimings(tasks, rounds, warmup)).wall;
}

export function medians(times: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export interface ChildRun {
  code: number | null;
  ms: number;
  /** Peak resident set size in bytes, when measured (`statsPreload`). */
  maxRss?: number;
  /** CPU time of the child (user + system, ms), when measured (`statsPreload`). */
  cpuMs?: number;
}

/**
 * Spawns a command and times it from spawn to exit. stdout goes to /dev/null (or a file), so
 * writing output costs what it costs on a real redirect, without a pipe reader in the bench.
 * With `statsPreload`, a Node child reports its peak RSS and CPU time through a preload
 * (bench/stats-preload.cjs).
 */
export function runChild(
  command: string,
  args: string[],
  options: { cwd?: string; stdout?: string; statsPreload?: string; env?: NodeJS.ProcessEnv; okCodes?: number[] } = {},
): Promise<ChildRun> {
  let statsFile: string | undefined;
  let finalArgs = args;
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env };
  if (options.statsPreload) {
    statsFile = path.join(os.tmpdir(), `mailguard-bench-stats-${process.pid}-${Math.random().toString(36).slice(2)}`);
    env.MAILGUARD_BENCH_STATS_FILE = statsFile;
    finalArgs = ['--require', options.statsPreload, ...args];
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
      if (statsFile) {
        try {
          const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { maxRssKiB: number; cpuMs: number };
          run.maxRss = stats.maxRssKiB * 1024;
          run.cpuMs = stats.cpuMs;
          rmSync(statsFile, { force: true });
        } catch {
          // The child died before its exit hook ran; leave the stats undefined.
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
