// mailguard proxy: resolve the policy and options, start the SMTP proxy, log, stop on a signal.

import { readFile } from 'node:fs/promises';
import { MailguardError } from '../../errors.js';
import type { ProxyEvent, ProxyOptions } from '../../proxy/server.js';
import type { ProxyFlags } from '../commands/proxy.js';
import { formatterFor } from '../../report/formats.js';
import { EXIT } from '../exit-codes.js';
import { batchedLines } from '../log-lines.js';
import { profilesForCommand, resolveOnViolation, resolveSettings } from '../policy-options.js';
import { checks, parseSection, type KeyCheck } from '../../policy/config.js';
import { PROXY_MODES, type ViolationAction } from '../../proxy/decide.js';

/** `HOST:PORT`, `[v6]:PORT`, `:PORT` or `PORT`. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new MailguardError('EUSAGE', `--listen takes HOST:PORT (got "${value}").`, { hint: 'For example 127.0.0.1:2525, or [::1]:2525.' });
  }
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new MailguardError('ECONFIG', `cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
  }
}

/** The proxy section's keys (the JSON Schema's "proxy" lists the same). */
export const PROXY_SECTION: Record<string, KeyCheck> = {
  onViolation: checks.onViolation,
  listen: checks.string,
  upstream: checks.string,
};

export async function runProxy(flags: ProxyFlags): Promise<number> {
  const { hashPassword, loadAuthFile } = await import('../../proxy/auth-file.js');
  if (flags.hashPassword) {
    const password = await readStdinLine();
    if (!password) throw new MailguardError('EUSAGE', 'no password on stdin.', { hint: 'Pipe it in: echo "$PASSWORD" | mailguard proxy --hash-password' });
    process.stdout.write(`${await hashPassword(password)}\n`);
    return EXIT.OK;
  }
  if (!!flags.tlsKey !== !!flags.tlsCert) throw new MailguardError('EUSAGE', 'STARTTLS needs both --tls-key and --tls-cert.');
  const settings = await resolveSettings(flags);
  const section = parseSection(settings.config.sections.proxy, 'proxy', PROXY_SECTION, settings.configPath ?? 'configuration') as { onViolation?: ViolationAction; listen?: string; upstream?: string };
  const upstream = flags.upstream ?? section.upstream;
  if (!upstream) throw new MailguardError('EUSAGE', 'proxy needs --upstream.', { hint: 'Name the real relay, for example --upstream smtp://127.0.0.1:25 (or "proxy": { "upstream": ... } in the configuration).' });
  const { host, port } = parseListen(flags.listen ?? section.listen ?? '127.0.0.1:2525');
  const onViolation = resolveOnViolation(flags.onViolation, section.onViolation, settings.config);
  if (!(PROXY_MODES as readonly string[]).includes(onViolation)) {
    throw new MailguardError('ECONFIG', `mailguard proxy cannot do onViolation "${onViolation}": it has no hold queue.`, { hint: 'Use the milter (mailguard milter --on-violation hold) or one of block, warn, bcc, split.' });
  }
  const line = formatterFor('proxy', flags.log);
  const lines = batchedLines();
  const write = (e: ProxyEvent) => lines.write(line(e));

  const options: ProxyOptions = { host, port, upstream, policy: settings.policy, onViolation: onViolation as ViolationAction, log: write, logAddresses: flags.logAddresses === true };
  // Each profile's mode: --on-violation, then the profile's own, then proxy.onViolation, then the top level (checked by startProxy).
  options.profiles = profilesForCommand(settings.profiles, flags.onViolation, section.onViolation, settings.config);
  if (flags.authFile) options.auth = await loadAuthFile(flags.authFile);
  if (flags.allowUnauthenticated) options.allowUnauthenticated = true;
  if (flags.tlsKey && flags.tlsCert) options.tls = { key: await readPem(flags.tlsKey, 'key'), cert: await readPem(flags.tlsCert, 'certificate') };
  if (flags.maxSize !== undefined) options.maxMessageBytes = flags.maxSize;
  if (flags.maxRecipients !== undefined) options.maxRecipients = flags.maxRecipients;
  if (flags.upstreamTimeout !== undefined) options.upstreamTimeoutMs = flags.upstreamTimeout;

  const { startProxy } = await import('../../proxy/server.js');
  // Signals are caught from before the first connection can arrive: a SIGTERM during start-up
  // still stops cleanly (the server logs "listening" before it has finished probing upstream).
  let signalled!: () => void;
  const signal = new Promise<void>((resolve) => (signalled = resolve));
  const onSignal = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    signalled();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  try {
    proxy = await startProxy(options);
  } catch (err) {
    onSignal();
    throw err;
  }
  await signal;
  await proxy.stop();
  return EXIT.OK;
}
