// Runs `mailguard milter` as a user does (the built binary) and reads its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from '../helpers/cli.js';

export interface MilterProcess {
  child: ChildProcess;
  /** inet:127.0.0.1:PORT or unix:/PATH, as Postfix's smtpd_milters takes it. */
  address: string;
  port: number;
  /** Every parsed JSON log line so far. */
  events: Array<Record<string, unknown>>;
  stderr(): string;
  waitFor(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/** `listen` undefined: no --listen flag (the configuration gives it). */
export async function spawnMilter(args: string[], listen: string | undefined = 'inet:127.0.0.1:0'): Promise<MilterProcess> {
  const child = spawn(process.execPath, [BIN, 'milter', ...(listen === undefined ? [] : ['--listen', listen]), '--log', 'json', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Array<Record<string, unknown>> = [];
  const listeners: Array<() => void> = [];
  let err = '';
  let pending = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim()) events.push(JSON.parse(line) as Record<string, unknown>);
    }
    for (const l of listeners.splice(0)) l();
  });
  let done = false;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  exited.then(() => {
    done = true;
    for (const l of listeners.splice(0)) l();
  });
  const waitFor = async (pred: (e: Record<string, unknown>) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find(pred);
      if (found) return found;
      if (done) throw new Error(`milter exited; stderr: ${err}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such log event within ${timeoutMs} ms; events: ${JSON.stringify(events.slice(-20))}; stderr: ${err}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  const listening = await waitFor((e) => e.event === 'listening', 30_000);
  const address = String(listening.address);
  const port = address.startsWith('inet:') ? Number(address.split(':').pop()) : 0;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { child, address, port, events, stderr: () => err, waitFor, exited, kill: (s = 'SIGTERM') => child.kill(s), stop };
}
