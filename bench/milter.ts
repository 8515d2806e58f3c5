// Scenario 8 (milter): a private Postfix (tests/helpers/postfix.ts, 127.0.0.1 only) with two SMTP
// listeners on the same instance, one with `mailguard milter` in smtpd_milters and one without.
// The same clean messages go through both, rounds alternating: Postfix's throughput with the
// milter over without (target >= 0.8), and the milter's added latency per message (median and
// p99 of one-at-a-time transactions, with minus without). Needs Postfix and root; otherwise the
// results say "not measured".

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { freePort, startPostfix } from '../tests/helpers/postfix.js';
import { alternate, median, medians } from './measure.js';
import { result, type ScenarioResult } from './results.js';
import type { SmtpScenarioOptions } from './smtp.js';

/** SMTP clients sending at once in the throughput part. */
const CONCURRENCY = 4;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function messages(count: number): Array<{ raw: Buffer }> {
  return Array.from({ length: count }, (_, i) => ({
    raw: Buffer.from(`From: Alice <alice@inbox.test>\r\nTo: Bob <bob@inbox.test>, Carol <carol@inbox.test>\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}@inbox.test>\r\n\r\nHello ${i}.\r\n`),
  }));
}

async function startMilterProcess(bin: string, cwd: string): Promise<{ address: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [bin, 'milter', '--listen', 'inet:127.0.0.1:0', '--internal-domain', 'inbox.test', '--log', 'json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 2000)));
  const address = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    let listening = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (listening) return;
      buffered += d;
      const m = /"address":"(inet:[^"]+)"/.exec(buffered);
      if (m) {
        listening = true;
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`mailguard milter exited (${code}) before listening: ${stderr.trim()}`)));
  });
  return {
    address,
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
  const description = `${o.count} messages, ${CONCURRENCY} SMTP clients at once, into Postfix with mailguard milter in smtpd_milters vs the same Postfix without`;
  if (!existsSync('/usr/sbin/postfix') || process.getuid?.() !== 0) {
    const why = 'needs Postfix (/usr/sbin/postfix) and root to start a private instance';
    return [notMeasured(throughputName, description, 'msg/s', why), notMeasured('9-milter-added-latency-median', 'added latency per message', 'ms', why), notMeasured('9-milter-added-latency-p99', 'added latency per message, p99', 'ms', why)];
  }
  o.log(`9: milter, ${o.count} messages into Postfix with vs without mailguard milter (${o.rounds} rounds)`);
  const milter = await startMilterProcess(o.bin, o.tmp);
  const milterPort = await freePort();
  const postfix = await startPostfix({
    localDomains: ['inbox.test'],
    mainCf: { milter_protocol: '6', milter_default_action: 'tempfail' },
    masterCf: [`127.0.0.1:${milterPort} inet n - n - - smtpd`, `  -o smtpd_milters=${milter.address}`],
  });
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
  try {
    const times = medians(await alternate({ direct: () => send(postfix.port, CONCURRENCY), milter: () => send(milterPort, CONCURRENCY) }, o.rounds));
    const rate = (ms: number) => (o.count / ms) * 1000;
    const throughput = result(throughputName, description, rate(times.milter!), 'msg/s', rate(times.direct!), 'the same Postfix without the milter', { min: 0.8 });
    // Latency: one message at a time over one connection, so the figure is the transaction itself.
    const lat: Record<'direct' | 'milter', number[]> = { direct: [], milter: [] };
    await alternate({ direct: () => send(postfix.port, 1, lat.direct), milter: () => send(milterPort, 1, lat.milter) }, o.rounds);
    const added = (p: (v: number[]) => number) => p(lat.milter) - p(lat.direct);
    const note = `one message at a time; with the milter ${median(lat.milter).toFixed(2)} ms median, ${percentile(lat.milter, 99).toFixed(2)} ms p99; without ${median(lat.direct).toFixed(2)} ms, ${percentile(lat.direct, 99).toFixed(2)} ms`;
    const medianResult = result('9-milter-added-latency-median', 'median SMTP transaction time with the milter vs without (MAIL FROM to the reply to DATA)', median(lat.milter), 'ms', median(lat.direct), 'the same Postfix without the milter', null, `${note}; added ${added(median).toFixed(2)} ms`);
    const p99Result = result('9-milter-added-latency-p99', 'p99 SMTP transaction time with the milter vs without', percentile(lat.milter, 99), 'ms', percentile(lat.direct, 99), 'the same Postfix without the milter', null, `added ${added((v) => percentile(v, 99)).toFixed(2)} ms at p99`);
    return [throughput, medianResult, p99Result];
  } finally {
    await postfix.stop();
    await milter.stop();
  }
}
