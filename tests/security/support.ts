// Shared helpers for the security tests: check a message written as text and summarise the result.
import { checkMessage } from '../../src/analyse.js';
import type { FindingCode } from '../../src/findings.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';
import type { MessageResult } from '../../src/result.js';

export const CORP = createPolicy({ internalDomains: ['corp.example'] });

/** Checks `text` (lines joined with `eol`, UTF-8 unless `latin1`) against `policy`. */
export function check(text: string, policy: Policy | Partial<Policy> = CORP, options: { latin1?: boolean } = {}): MessageResult {
  return checkMessage(Buffer.from(text, options.latin1 ? 'latin1' : 'utf8'), policy);
}

/** A message from its header lines, ended by a blank line and a body, with the given line end. */
export function message(headers: string[], eol = '\r\n', body = 'Hello.'): string {
  return headers.join(eol) + eol + eol + body + eol;
}

export function codes(r: MessageResult): FindingCode[] {
  return [...new Set(r.findings.map((f) => f.code))];
}

/** `CODE:problem` for every finding that has a problem argument (AMBIGUOUS_RECIPIENT, MALFORMED_HEADER). */
export function problems(r: MessageResult): string[] {
  return r.findings.flatMap((f) => ('problem' in f.args ? [`${f.code}:${f.args.problem}`] : []));
}

/** `field:address` of every visible recipient. */
export function visible(r: MessageResult): string[] {
  return r.recipients.visible.map((v) => `${v.field}:${v.address}`);
}

/**
 * Milliseconds `fn` takes: the smaller of wall-clock and this process's CPU time, so a time bound
 * tests the code's complexity rather than how busy the machine is.
 */
export function timed<T>(fn: () => T): { value: T; ms: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = fn();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, ms: Math.min(wall, (used.user + used.system) / 1000) };
}
