// Delivery by handing the final message to a real sendmail-compatible binary (Postfix, msmtp,
// sendmail): `PATH -i -f SENDER -- RECIPIENTS...` with the message on stdin. An adapter.

import { spawn } from 'node:child_process';
import { MailguardError } from '../errors.js';
import type { DsnRequest, Envelope } from '../message/envelope.js';
import { VIA_SENDMAIL_MARK_ENV } from './config.js';

/** How long the real sendmail may take. Postfix's sendmail returns in well under a second (it
 * queues); a synchronous delivery (-odi) to a slow relay may take minutes. */
export const VIA_SENDMAIL_TIMEOUT_MS = 10 * 60 * 1000;
/** How much of the real sendmail's stderr is kept for the error message. */
const MAX_STDERR_BYTES = 4 * 1024;

export interface ViaSendmailOptions {
  timeoutMs?: number;
  /** Passed on as -N, -R and -V, as the caller gave them. */
  dsn?: DsnRequest;
}

/** Runs the binary; resolves when it exits 0, throws ERELAY (with exitStatus and transient) otherwise. */
export function deliverViaSendmail(binary: string, bytes: Uint8Array, envelope: Envelope, options: ViaSendmailOptions = {}): Promise<void> {
  const dsn = options.dsn ?? {};
  const dsnArgs = [...(dsn.notify ? ['-N', dsn.notify.join(',').toLowerCase()] : []), ...(dsn.ret ? ['-R', dsn.ret.toLowerCase()] : []), ...(dsn.envid ? ['-V', dsn.envid] : [])];
  const args = ['-i', '-f', envelope.mailFrom === '' ? '<>' : envelope.mailFrom, ...dsnArgs, '--', ...envelope.rcptTo];
  return new Promise((resolve, reject) => {
    // Marked, so a viaSendmail that runs mailguard-sendmail again refuses instead of looping.
    const child = spawn(binary, args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, [VIA_SENDMAIL_MARK_ENV]: '1' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += d.slice(0, MAX_STDERR_BYTES - stderr.length);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? VIA_SENDMAIL_TIMEOUT_MS);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new MailguardError('ECONFIG', `cannot run the sendmail binary ${binary} (${err.code ?? err.message}).`, {
          hint: 'Check the path given to --via-sendmail or "sendmail.viaSendmail" (e.g. /usr/sbin/sendmail).',
        }),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve();
        return;
      }
      const why = signal ? `was stopped by ${signal}` : `exited with status ${code}`;
      const tail = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : '';
      const err = new MailguardError('ERELAY', `${binary} ${why}${tail}`);
      // A signal or a timeout: the message may not have been taken; the caller should retry.
      reject(Object.assign(err, { transient: signal !== null || code === 75, exitStatus: signal ? 75 : (code ?? 75) }));
    });
    child.stdin.on('error', () => {
      // EPIPE: the binary exited without reading everything; its exit status says why.
    });
    child.stdin.end(bytes);
  });
}
