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
import { formatStderrNote } from '../../report/error-text.js';
import { EXIT } from '../exit-codes.js';
import { profilesForCommand, resolveOnViolation, resolveSettings } from '../policy-options.js';
import { batchedLines } from '../log-lines.js';

/** The milter section's keys: "milter": { "listen": "inet:127.0.0.1:8891", "onViolation": "hold" }. */
export const MILTER_SECTION: Record<string, KeyCheck> = {
  onViolation: checks.onViolation,
  listen: checks.string,
};

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
  const lines = batchedLines();
  const write = (e: MilterEvent) => lines.write(line(e));
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
          process.stderr.write(formatStderrNote(`mailguard: ${m.failed}\n`));
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
