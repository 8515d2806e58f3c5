// Scenario 9 (milter): a private Postfix (tests/helpers/postfix.ts, 127.0.0.1 only) with three SMTP
// listeners on the same instance: one without a milter, one with `mailguard milter` on a unix
// socket in smtpd_milters (the set-up the README recommends), one with it on 127.0.0.1 TCP. The
// same clean messages go through each, rounds alternating: Postfix's throughput with the milter
// over without (target >= 0.8, unix socket; TCP reported), the milter process's CPU per message
// (/proc utime + stime: steadier than wall-clock ratios on a shared machine), and the milter's
// added latency per message (median and p99 of one-at-a-time transactions, with minus without).
// Needs Postfix and root; otherwise the results say "not measured".

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, startPostfix } from '../tests/helpers/postfix.js';
import { alternate, median, medians } from './measure.js';
import { result, type ScenarioResult } from './results.js';
import type { SmtpScenarioOptions } from './smtp.js';

/** SMTP clients sending at once in the throughput part. */
const CONCURRENCY = 4;

/** Messages sent through each milter before anything is measured. V8 optimises the milter's hot
 * functions (the stream reads, the parser, the decision, the log line) only after about 2,000
 * messages (--trace-opt: TurboFan compiles were still finishing in the fourth round of 500), and
 * until then its CPU per message falls round by round (1.46 -> 0.86 ms in one probe). A milter is a
 * long-running service: its steady state is what Postfix sees. */
const WARMUP_MESSAGES = 3000;

/** Alternating throughput rounds at least (more when the run asks for more): on 2 shared cores
 * one round's ratio moves by +-0.2, so the target is checked against the median of the per-round
 * ratios of this many rounds, and their spread is reported beside it. */
const MIN_THROUGHPUT_ROUNDS = 9;

/** A throughput result whose ratio is the median of the per-round ratios (each round's with vs
 * without, run next to each other), not the ratio of the medians; the rounds' ratios, sorted, in
 * `roundRatios` and in the note, so the spread is read where the figure is. */
function roundRatioResult(base: ScenarioResult, ratios: number[], min: number | undefined, note: string): ScenarioResult {
  const sorted = [...ratios].sort((a, b) => a - b);
  const ratio = median(sorted);
  const r: ScenarioResult = { ...base, ratio: Math.round(ratio * 1000) / 1000, roundRatios: sorted.map((x) => Math.round(x * 1000) / 1000) };
  if (min !== undefined) {
    r.target = `ratio >= ${min}`;
    r.met = ratio >= min;
  }
  r.note = `${note}; median of ${sorted.length} per-round ratios, each round with vs without: ${sorted.map((x) => x.toFixed(2)).join(' ')} (spread ${(sorted[sorted.length - 1]! - sorted[0]!).toFixed(2)})`;
  return r;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function messages(count: number): Array<{ raw: Buffer }> {
  return Array.from({ length: count }, (_, i) => ({
    raw: Buffer.from(`From: Alice <alice@inbox.test>\r\nTo: Bob <bob@inbox.test>, Carol <carol@inbox.test>\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}@inbox.test>\r\n\r\nHello ${i}.\r\n`),
  }));
}

interface MilterProcess {
  address: string;
  /** CPU time (user + system, ms) the process has used so far. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** utime + stime of a process from /proc (Linux; NaN elsewhere). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5), in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts `mailguard milter` with its log (stdout) going to a file, as a service's log goes to a
 * file or journald: not to a pipe this process reads, which would wake the bench, the SMTP
 * clients' own process, once per log write and charge that to the milter's side.
 */
async function startMilterProcess(bin: string, cwd: string, listen: string, logFile: string): Promise<MilterProcess> {
  const fd = openSync(logFile, 'w');
  const nodeArgs = process.env.MG_MILTER_NODE_ARGS ? process.env.MG_MILTER_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, process.env.MG_MILTER_SCRIPT && listen.startsWith('unix:') ? [...nodeArgs, process.env.MG_MILTER_SCRIPT, listen] : [...nodeArgs, bin, 'milter', '--listen', listen, '--internal-domain', 'inbox.test', '--log', 'json'], { cwd, stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 2000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  let address: string | undefined;
  while (address === undefined) {
    if (exited) throw new Error(`mailguard milter exited (${child.exitCode}) before listening: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
    address = /"address":"((?:inet|unix):[^"]+)"/.exec(readFileSync(logFile, 'utf8'))?.[1];
  }
  return {
    address,
    cpuMs: () => processCpuMs(child.pid!),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function notMeasured(name: string, description: string, unit: string, why: string): ScenarioResult {
  return { name, description, figure: null, unit, baseline: null, baselineName: 'Postfix without the milter', ratio: null, target: null, met: null, note: `not measured: ${why}` };
}

export async function runMilterScenario(o: SmtpScenarioOptions): Promise<ScenarioResult[]> {
  const throughputName = '9-milter-postfix-throughput';
  const inetName = '9-milter-inet-throughput';
  const description = `${o.count} messages, ${CONCURRENCY} SMTP clients at once, into Postfix with mailguard milter (unix socket) in smtpd_milters vs the same Postfix without`;
  const inetDescription = `the same with the milter on 127.0.0.1 TCP (inet:)`;
  if (!existsSync('/usr/sbin/postfix') || process.getuid?.() !== 0) {
    const why = 'needs Postfix (/usr/sbin/postfix) and root to start a private instance';
    return [notMeasured(throughputName, description, 'msg/s', why), notMeasured(inetName, inetDescription, 'msg/s', why), notMeasured('9-milter-added-latency-median', 'added latency per message', 'ms', why), notMeasured('9-milter-added-latency-p99', 'added latency per message, p99', 'ms', why)];
  }
  o.log(`9: milter, ${o.count} messages into Postfix with vs without mailguard milter, unix socket and TCP (${Math.max(o.rounds, MIN_THROUGHPUT_ROUNDS)} rounds)`);
  // Postfix's smtpd runs as the postfix user: the socket's directory must be enterable by it.
  const socketDir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-bench-milter-'));
  await chmod(socketDir, 0o755);
  const milters: MilterProcess[] = [];
  let postfix: Awaited<ReturnType<typeof startPostfix>> | undefined;
  try {
    const unix = await startMilterProcess(o.bin, o.tmp, `unix:${path.join(socketDir, 'milter.sock')}`, path.join(socketDir, 'unix.log'));
    milters.push(unix);
    const inet = await startMilterProcess(o.bin, o.tmp, 'inet:127.0.0.1:0', path.join(socketDir, 'inet.log'));
    milters.push(inet);
    const unixPort = await freePort();
    const inetPort = await freePort();
    // The three listeners differ only in smtpd_milters.
    postfix = await startPostfix({
      localDomains: ['inbox.test'],
      mainCf: { milter_protocol: '6', milter_default_action: 'tempfail' },
      masterCf: [`127.0.0.1:${unixPort} inet n - n - - smtpd`, `  -o smtpd_milters=${unix.address}`, `127.0.0.1:${inetPort} inet n - n - - smtpd`, `  -o smtpd_milters=${inet.address}`],
    });
    const directPort = postfix.port;
    const nodemailer = (await import('nodemailer')).default;
    const batch = messages(o.count);
    const envelope = { from: 'alice@inbox.test', to: ['bob@inbox.test', 'carol@inbox.test'] };
    const send = async (port: number, concurrency: number, latencies?: number[]) => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: concurrency, secure: false, ignoreTLS: true } as Parameters<typeof nodemailer.createTransport>[0]);
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const m = batch[next++]!;
          const t0 = performance.now();
          const info = await transport.sendMail({ envelope, raw: m.raw });
          if (!/^250 /.test(info.response)) throw new Error(`Postfix answered ${info.response}`);
          latencies?.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      transport.close();
    };
    // Not in a --tiny run (a smoke test of 20 messages).
    if (o.count >= 100) {
      o.log(`9: warming up each milter with ${WARMUP_MESSAGES} messages`);
      for (const port of [unixPort, inetPort]) for (let sent = 0; sent < WARMUP_MESSAGES; sent += batch.length) await send(port, CONCURRENCY);
    }
    // The milter's CPU per message, over the measured rounds only (not the warm-up round).
    const cpu = { unix: [] as number[], inet: [] as number[] };
    const measured = (m: MilterProcess, into: number[], port: number) => async () => {
      const c0 = m.cpuMs();
      await send(port, CONCURRENCY);
      into.push((m.cpuMs() - c0) / o.count);
    };
    const rounds = Math.max(o.rounds, MIN_THROUGHPUT_ROUNDS);
    const perRound = await alternate({ direct: () => send(directPort, CONCURRENCY), unix: measured(unix, cpu.unix, unixPort), inet: measured(inet, cpu.inet, inetPort) }, rounds);
    const times = medians(perRound);
    const ratios = (side: 'unix' | 'inet') => perRound[side]!.map((ms, i) => perRound.direct![i]! / ms);
    const rate = (ms: number) => (o.count / ms) * 1000;
    // The first entry of each CPU list is the warm-up round's.
    const cpuNote = (v: number[]) => `the milter process used ${median(v.slice(1)).toFixed(2)} ms of CPU per message`;
    const throughput = roundRatioResult(result(throughputName, description, rate(times.unix!), 'msg/s', rate(times.direct!), 'the same Postfix without the milter', null), ratios('unix'), 0.8, `${cpuNote(cpu.unix)} (unix socket)`);
    const inetThroughput = roundRatioResult(result(inetName, inetDescription, rate(times.inet!), 'msg/s', rate(times.direct!), 'the same Postfix without the milter', null), ratios('inet'), undefined, `${cpuNote(cpu.inet)} (TCP: every envelope step answered)`);
    // Latency: one message at a time over one connection, so the figure is the transaction itself.
    const lat: Record<'direct' | 'milter', number[]> = { direct: [], milter: [] };
    await alternate({ direct: () => send(directPort, 1, lat.direct), milter: () => send(unixPort, 1, lat.milter) }, o.rounds);
    const added = (p: (v: number[]) => number) => p(lat.milter) - p(lat.direct);
    const note = `one message at a time, unix socket; with the milter ${median(lat.milter).toFixed(2)} ms median, ${percentile(lat.milter, 99).toFixed(2)} ms p99; without ${median(lat.direct).toFixed(2)} ms, ${percentile(lat.direct, 99).toFixed(2)} ms`;
    const medianResult = result('9-milter-added-latency-median', 'median SMTP transaction time with the milter vs without (MAIL FROM to the reply to DATA)', median(lat.milter), 'ms', median(lat.direct), 'the same Postfix without the milter', null, `${note}; added ${added(median).toFixed(2)} ms`);
    const p99Result = result('9-milter-added-latency-p99', 'p99 SMTP transaction time with the milter vs without', percentile(lat.milter, 99), 'ms', percentile(lat.direct, 99), 'the same Postfix without the milter', null, `added ${added((v) => percentile(v, 99)).toFixed(2)} ms at p99`);
    return [throughput, inetThroughput, medianResult, p99Result];
  } finally {
    await postfix?.stop();
    await Promise.all(milters.map((m) => m.stop()));
    await rm(socketDir, { recursive: true, force: true });
  }
}
