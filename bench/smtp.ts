// Scenarios 6 (proxy) and 7 (send): SMTP throughput on 127.0.0.1 against a counting sink that
// runs in its own process (bench/sink.mjs), so the sink never shares an event loop with what
// is measured.

import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { INTERNAL_DOMAINS, makeSmallMessages } from './generate.js';
import { alternate, alternateTimings, medians, runChild } from './measure.js';
import { result, withCpu, type ScenarioResult } from './results.js';

export interface SmtpScenarioOptions {
  root: string;
  bin: string;
  count: number;
  rounds: number;
  seed: number;
  tmp: string;
  log: (message: string) => void;
}

interface SinkProcess {
  port: number;
  count(): Promise<number>;
  stop(): Promise<void>;
}

function request<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(message);
  });
}

async function startSinkProcess(root: string): Promise<SinkProcess> {
  const child = fork(path.join(root, 'bench', 'sink.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }));
    child.once('exit', (code) => reject(new Error(`the bench sink exited (${code}) before listening`)));
  });
  return {
    port,
    count: async () => (await request<{ count: number }>(child, 'count')).count,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

/** Sends raw messages over one pooled nodemailer connection, two in flight; returns ms taken. */
async function sendAll(url: string, messages: Array<{ from: string; to: string[]; raw: Buffer }>): Promise<number> {
  const nodemailer = (await import('nodemailer')).default;
  const transport = nodemailer.createTransport({ url, pool: true, maxConnections: 1 } as Parameters<typeof nodemailer.createTransport>[0]);
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const m = messages[next++]!;
      await transport.sendMail({ envelope: { from: m.from, to: m.to }, raw: m.raw });
    }
  };
  await Promise.all([worker(), worker()]);
  const ms = performance.now() - t0;
  transport.close();
  return ms;
}

/** Starts `mailguard proxy` in front of the sink; resolves once it logs that it listens. */
async function startProxyProcess(bin: string, cwd: string, upstreamPort: number): Promise<{ port: number; stop(): Promise<void> }> {
  // Node flags for the proxy child only (a profile of it: MG_PROXY_NODE_ARGS="--cpu-prof ..."), as
  // MG_MILTER_NODE_ARGS does for scenario 9.
  const nodeArgs = process.env.MG_PROXY_NODE_ARGS ? process.env.MG_PROXY_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, bin, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `smtp://127.0.0.1:${upstreamPort}`, '--internal-domain', INTERNAL_DOMAINS[0]!, '--log', 'json'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 2000)));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    let listening = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      // Keep reading (the proxy logs a line per transaction), but parse only until it listens.
      if (listening) return;
      buffered += d;
      const m = /"address":"[^"]*:(\d+)"/.exec(buffered);
      if (m) {
        listening = true;
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`mailguard proxy exited (${code}) before listening: ${stderr.trim()}`)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function runProxyScenario(o: SmtpScenarioOptions): Promise<ScenarioResult> {
  const description = `${o.count} small messages over one pooled connection through mailguard proxy to a sink vs straight to the sink`;
  o.log(`6: proxy, ${o.count} messages through mailguard proxy vs straight to the sink (${o.rounds} rounds)`);
  const messages = makeSmallMessages(o.count, o.seed);
  const sink = await startSinkProcess(o.root);
  const proxy = await startProxyProcess(o.bin, o.tmp, sink.port);
  try {
    let sent = 0;
    const times = medians(
      await alternate(
        {
          direct: async () => {
            await sendAll(`smtp://127.0.0.1:${sink.port}`, messages);
            sent += messages.length;
          },
          proxy: async () => {
            await sendAll(`smtp://127.0.0.1:${proxy.port}`, messages);
            sent += messages.length;
          },
        },
        o.rounds,
      ),
    );
    const received = await sink.count();
    if (received !== sent) throw new Error(`the sink received ${received} messages, ${sent} were sent`);
    const rate = (ms: number) => (o.count / ms) * 1000;
    return result('6-proxy-throughput', description, rate(times.proxy!), 'msg/s', rate(times.direct!), 'straight to the sink', { min: 0.75 });
  } finally {
    await proxy.stop();
    await sink.stop();
  }
}

export async function runSendScenario(o: SmtpScenarioOptions): Promise<ScenarioResult> {
  const description = `mailguard send of ${o.count} raw messages to a sink vs plain nodemailer sending the same raw messages (whole processes)`;
  o.log(`7: send, mailguard send of ${o.count} messages vs plain nodemailer (${o.rounds} rounds)`);
  const dir = path.join(o.tmp, 'outbox');
  await mkdir(dir, { recursive: true });
  const messages = makeSmallMessages(o.count, o.seed);
  const width = String(o.count).length;
  const manifest: Array<{ file: string; from: string; to: string[] }> = [];
  for (const [i, m] of messages.entries()) {
    const file = path.join(dir, `message-${String(i + 1).padStart(width, '0')}.eml`);
    await writeFile(file, m.raw);
    manifest.push({ file, from: m.from, to: m.to });
  }
  const manifestFile = path.join(o.tmp, 'outbox.json');
  await writeFile(manifestFile, JSON.stringify(manifest));
  const sink = await startSinkProcess(o.root);
  const url = `smtp://127.0.0.1:${sink.port}`;
  try {
    let sent = 0;
    const statsPreload = path.join(o.root, 'bench', 'stats-preload.cjs');
    const timings = await alternateTimings(
      {
        nodemailer: async () => {
          const run = await runChild(process.execPath, [path.join(o.root, 'bench', 'nodemailer-send.mjs'), manifestFile, url], { cwd: o.tmp, okCodes: [0], statsPreload });
          sent += o.count;
          return run;
        },
        mailguard: async () => {
          const run = await runChild(process.execPath, [o.bin, 'send', dir, '--smtp', url, '--internal-domain', INTERNAL_DOMAINS[0]!, '--format', 'json'], { cwd: o.tmp, okCodes: [0], statsPreload });
          sent += o.count;
          return run;
        },
      },
      o.rounds,
    );
    const times = medians(timings.wall);
    const cpu = medians(timings.cpu);
    const received = await sink.count();
    if (received !== sent) throw new Error(`the sink received ${received} messages, ${sent} were sent`);
    const rate = (ms: number) => (o.count / ms) * 1000;
    // CPU: the whole sending process on each side (mailguard's checks included).
    return withCpu(result('7-send-throughput', description, rate(times.mailguard!), 'msg/s', rate(times.nodemailer!), 'plain nodemailer', { min: 0.9 }), cpu.mailguard!, cpu.nodemailer!);
  } finally {
    await sink.stop();
  }
}
