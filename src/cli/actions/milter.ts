// mailguard milter: resolve the policy, start the milter (in --workers processes sharing one
// listen socket), log one line per message, stop on a signal.

import cluster from 'node:cluster';
import { assertOnViolation } from '../../decide/index.js';
import { MailguardError } from '../../errors.js';
import { MILTER_MODES, type MilterViolationAction } from '../../milter/decide.js';
import type { MilterEvent } from '../../milter/server.js';
import { checks, parseSection, type KeyCheck } from '../../policy/config.js';
import type { MilterFlags } from '../commands/milter.js';
import { formatterFor } from '../../report/formats.js';
import { EXIT } from '../exit-codes.js';
import { profilesForCommand, resolveOnViolation, resolveSettings } from '../policy-options.js';

/** The milter section's keys: "milter": { "listen": "inet:127.0.0.1:8891", "onViolation": "hold" }. */
export const MILTER_SECTION: Record<string, KeyCheck> = {
  onViolation: checks.onViolation,
  listen: checks.string,
};

/** How long a log line may wait to be written with the lines after it: one write (and one
 * wake-up of the log's reader, journald or a pipe) per this interval instead of one per message;
 * at 400 messages/s about 20 lines a write. Short enough that a tail of the log looks live. */
const LOG_FLUSH_MS = 50;
/** Pending log text that is written at once, whatever the interval (a burst of warnings). */
const LOG_FLUSH_BYTES = 64 * 1024;

/**
 * Log lines gathered and written together (see LOG_FLUSH_MS). Whatever is pending is written
 * before the process exits, also after SIGTERM, SIGINT or an uncaught error ('exit' runs, and
 * stdout to a file or pipe is written synchronously on Linux); only a kill -9 can lose the last
 * LOG_FLUSH_MS of lines.
 */
function bufferedWriter(out: NodeJS.WritableStream): (text: string) => void {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    const text = pending;
    pending = '';
    out.write(text);
  };
  process.on('exit', flush);
  return (text) => {
    pending += text;
    if (pending.length >= LOG_FLUSH_BYTES) flush();
    else if (!timer) (timer = setTimeout(flush, LOG_FLUSH_MS)).unref();
  };
}

/** Resolves once SIGTERM or SIGINT arrives. */
function onSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const handler = () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      resolve();
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

export async function runMilter(flags: MilterFlags): Promise<number> {
  const settings = await resolveSettings(flags);
  const section = parseSection(settings.config.sections.milter, 'milter', MILTER_SECTION, settings.configPath ?? 'configuration') as { onViolation?: MilterFlags['onViolation']; listen?: string };
  const onViolation = resolveOnViolation(flags.onViolation, section.onViolation, settings.config);
  // split needs several transactions, which one SMTP transaction cannot be; bcc refuses a
  // sensitive list. Both are refused here, before any mail arrives.
  assertOnViolation(onViolation, settings.policy, { name: 'mailguard milter', modes: MILTER_MODES });
  // Each profile's mode (--on-violation, its own, milter.onViolation, the top level), checked now.
  const profiles = profilesForCommand(settings.profiles, flags.onViolation, section.onViolation, settings.config, (m, p) => assertOnViolation(m, p.policy, { name: 'mailguard milter', modes: MILTER_MODES }));
  const mode = onViolation as MilterViolationAction;
  const listenText = flags.listen ?? section.listen;
  if (!listenText) throw new MailguardError('EUSAGE', 'milter needs --listen.', { hint: 'For example --listen inet:127.0.0.1:8891 (or "milter": { "listen": ... } in the configuration).' });
  const { parseMilterListen, formatListen, removeStaleSocket, startMilter } = await import('../../milter/server.js');
  const listen = parseMilterListen(listenText);
  const line = formatterFor('milter', flags.log);
  const writeText = bufferedWriter(process.stdout);
  const write = (e: MilterEvent) => writeText(line(e));
  const workers = flags.workers ?? 1;
  const signal = onSignal();

  if (workers > 1 && cluster.isPrimary) {
    // The primary owns the listen socket (node:cluster hands connections to the workers).
    if (listen.kind === 'unix') await removeStaleSocket(listen.path);
    let stopping = false;
    let ready = 0;
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    const fork = (n: number) => {
      const w = cluster.fork({ MAILGUARD_MILTER_WORKER: String(n) });
      w.on('message', (m: { listening?: string; failed?: string }) => {
        if (m.failed) {
          process.stderr.write(`mailguard: ${m.failed}\n`);
          failed();
        } else if (m.listening && ++ready === workers) {
          write({ event: 'listening', time: new Date().toISOString(), address: m.listening, onViolation: mode, workers });
        }
      });
      w.on('exit', (code, sig) => {
        if (stopping) return;
        if (ready < workers) return failed();
        write({ event: 'warning', time: new Date().toISOString(), message: `worker ${n} exited (${sig ?? code}); starting another` });
        fork(n);
      });
    };
    for (let n = 1; n <= workers; n++) fork(n);
    await Promise.race([signal, failure]);
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    while (Object.keys(cluster.workers ?? {}).length > 0) await new Promise((r) => setTimeout(r, 50));
    write({ event: 'stopped', time: new Date().toISOString() });
    return ready === workers ? EXIT.OK : EXIT.ERROR;
  }

  const worker = cluster.isWorker ? Number(process.env.MAILGUARD_MILTER_WORKER ?? cluster.worker?.id ?? 0) : undefined;
  let milter: Awaited<ReturnType<typeof startMilter>>;
  try {
    milter = await startMilter({
      listen,
      policy: settings.policy,
      onViolation: mode,
      profiles,
      logAddresses: flags.logAddresses === true,
      // In a worker, "listening" and "stopped" are the primary's to log.
      log: worker !== undefined ? (e) => e.event !== 'listening' && e.event !== 'stopped' && e.event !== 'stopping' && write(e) : write,
      ...(worker !== undefined ? { worker } : {}),
    });
  } catch (err) {
    if (worker !== undefined && process.send) process.send({ failed: (err as Error).message });
    throw err;
  }
  if (worker !== undefined) process.send?.({ listening: formatListen(milter.address) });
  else write({ event: 'listening', time: new Date().toISOString(), address: formatListen(milter.address), onViolation: mode });
  // A worker whose primary is gone stops too.
  const orphaned = worker !== undefined ? new Promise<void>((resolve) => process.once('disconnect', () => resolve())) : new Promise<void>(() => {});
  await Promise.race([signal, orphaned]);
  await milter.stop();
  if (worker !== undefined) process.disconnect?.();
  return EXIT.OK;
}
