// Runs `mailguard proxy` as a user does (the built binary) and reads its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from '../helpers/cli.js';

export interface ProxyProcess {
  child: ChildProcess;
  port: number;
  /** Every parsed JSON log line so far. */
  events: Array<Record<string, unknown>>;
  stderr(): string;
  /** Waits for a log event matching `pred`. */
  waitFor(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

export async function spawnProxy(args: string[]): Promise<ProxyProcess> {
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--log', 'json', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  exited.then(() => {
    for (const l of listeners.splice(0)) l();
  });
  let done = false;
  exited.then(() => (done = true));
  const waitFor = async (pred: (e: Record<string, unknown>) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find(pred);
      if (found) return found;
      if (done) throw new Error(`proxy exited; stderr: ${err}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such log event within ${timeoutMs} ms; events: ${JSON.stringify(events)}; stderr: ${err}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  const listening = await waitFor((e) => e.event === 'listening');
  const port = Number(String(listening.address).split(':').pop());
  return { child, port, events, stderr: () => err, waitFor, exited, kill: (s = 'SIGTERM') => child.kill(s) };
}

/** Ends a proxy a test left running (SIGKILL) and waits for its exit; nothing when it has exited. */
export async function killProxy(proxy: ProxyProcess | undefined): Promise<void> {
  if (!proxy || proxy.child.exitCode !== null) return;
  proxy.kill('SIGKILL');
  await proxy.exited;
}
