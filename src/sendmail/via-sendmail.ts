// Delivery by handing the final message to a real sendmail-compatible binary (Postfix, msmtp,
// sendmail): `PATH -i -f SENDER -- RECIPIENTS...` with the message on stdin. An adapter.

import { spawn } from 'node:child_process';
import { MailguardError } from '../errors.js';
import type { DsnRequest, Envelope } from '../message/envelope.js';
import { VIA_SENDMAIL_MARK_ENV } from './config.js';

/** How long the real sendmail may take. Postfix's sendmail returns in well under a second (it
 * queues); a synchronous delivery (-odi) to a slow relay may take minutes. */
export const VIA_SENDMAIL_TIMEOUT_MS = 10 * 60 * 1000;
/** After SIGTERM at the timeout, how long the binary has to stop before SIGKILL: Postfix's
 * sendmail stops at once; one that ignores SIGTERM would otherwise hold the caller (and a -bs
 * client waiting for its reply) without end. */
export const VIA_SENDMAIL_KILL_GRACE_MS = 5 * 1000;
/** How much of the real sendmail's stderr is kept for the error message. */
const MAX_STDERR_BYTES = 4 * 1024;

export interface ViaSendmailOptions {
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL, and after that or after an exit, the longest wait for the end. */
  killGraceMs?: number;
  /** Passed on as -N, -R and -V, as the caller gave them. */
  dsn?: DsnRequest;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

const CR = 0x0d;
const LF = 0x0a;

/**
 * The message with each line break mailguard reads (CRLF, a bare CR, a bare LF) written as one LF,
 * the line end sendmail reads on its standard input. The SMTP relay's client makes each of them
 * CRLF; handed over as they were, a bare CR stayed a byte of its line for the MTA and for readers
 * that break lines at LF only, where mailguard had read a line break: a bare CR before a MIME
 * boundary hid a part (an invitation showing its attendees) from the check alone.
 */
function withLfLineEnds(bytes: Uint8Array): Uint8Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.indexOf(CR) === -1) return bytes;
  const out = Buffer.allocUnsafe(buf.length);
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b !== CR) {
      out[n++] = b;
      continue;
    }
    out[n++] = LF;
    if (buf[i + 1] === LF) i++;
  }
  return out.subarray(0, n);
}

/** Runs the binary with the message on its standard input (LF line ends, withLfLineEnds); resolves
 * when it exits 0, throws ERELAY (with exitStatus and transient) otherwise. */
export function deliverViaSendmail(binary: string, bytes: Uint8Array, envelope: Envelope, options: ViaSendmailOptions = {}): Promise<void> {
  const dsn = options.dsn ?? {};
  const dsnArgs = [...(dsn.notify ? ['-N', dsn.notify.join(',').toLowerCase()] : []), ...(dsn.ret ? ['-R', dsn.ret.toLowerCase()] : []), ...(dsn.envid ? ['-V', dsn.envid] : [])];
  const args = ['-i', '-f', envelope.mailFrom === '' ? '<>' : envelope.mailFrom, ...dsnArgs, '--', ...envelope.rcptTo];
  const timeoutMs = options.timeoutMs ?? VIA_SENDMAIL_TIMEOUT_MS;
  const graceMs = options.killGraceMs ?? VIA_SENDMAIL_KILL_GRACE_MS;
  return new Promise((resolve, reject) => {
    // Marked, so a viaSendmail that runs mailguard-sendmail again refuses instead of looping.
    const child = spawn(binary, args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, [VIA_SENDMAIL_MARK_ENV]: '1' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += d.slice(0, MAX_STDERR_BYTES - stderr.length);
    });
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    /** Settles once; the binary's pipes are let go (a child it left behind may hold them open). */
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      outcome();
    };
    const letGo = () => {
      child.stdin.destroy();
      child.stderr.destroy();
      child.unref();
    };
    let timedOut = false;
    let killed = false;
    /** Past the timeout the binary may have queued the message before it was stopped: 75, said honestly. */
    const timeoutError = () => {
      const how = killed ? `was killed (SIGKILL: it was still running ${seconds(graceMs)} after SIGTERM)` : 'was stopped (SIGTERM)';
      const err = new MailguardError('ERELAY', `${binary} did not finish within ${seconds(timeoutMs)} and ${how}; it may have taken the message before it stopped, so a retry may deliver it twice`, {
        hint: "Look in the MTA's log (its queue, or a recipient's mailbox) to see whether it took the message.",
      });
      return Object.assign(err, { transient: true, exitStatus: 75, outcomeUnknown: true });
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        timers.push(
          setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
            // Not even SIGKILL ended it (a process stuck in the kernel): the caller is not held.
            timers.push(setTimeout(() => settle(() => (letGo(), reject(timeoutError()))), graceMs));
          }, graceMs),
        );
      }, timeoutMs),
    );
    child.on('error', (err: NodeJS.ErrnoException) => {
      settle(() =>
        reject(
          new MailguardError('ECONFIG', `cannot run the sendmail binary ${binary} (${err.code ?? err.message}).`, {
            hint: 'Check the path given to --via-sendmail or "sendmail.viaSendmail" (e.g. /usr/sbin/sendmail).',
          }),
        ),
      );
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (timedOut) {
        reject(timeoutError());
        return;
      }
      if (code === 0) {
        resolve();
        return;
      }
      const why = signal ? `was stopped by ${signal}` : `exited with status ${code}`;
      const tail = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : '';
      const err = new MailguardError('ERELAY', `${binary} ${why}${tail}`);
      // A signal: the message may not have been taken; the caller should retry.
      reject(Object.assign(err, { transient: signal !== null || code === 75, exitStatus: signal ? 75 : (code ?? 75) }));
    };
    child.on('exit', (code, signal) => {
      // 'close' waits for stderr to end, which a child the binary left running (a `sleep` in a
      // script, a daemon it forked) may hold open: the exit status is what counts, so after a short
      // wait for the last of stderr it settles on the exit alone.
      if (timedOut) settle(() => (letGo(), finish(code, signal)));
      else timers.push(setTimeout(() => settle(() => (letGo(), finish(code, signal))), graceMs));
    });
    child.on('close', (code, signal) => settle(() => finish(code, signal)));
    child.stdin.on('error', () => {
      // EPIPE: the binary exited without reading everything; its exit status says why.
    });
    child.stdin.end(withLfLineEnds(bytes));
  });
}
