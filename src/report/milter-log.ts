// The milter's log: one line per event (a message, listening, a warning, stopping). Events are
// data made by src/milter (addresses already masked); these turn one event into one line.

import type { MilterEvent } from '../milter/server.js';
import { quoted } from './printable.js';

/** `2026-11-02T10:00:00.000Z accepted verdict=pass queue_id=4XyZ from=a***@corp.example ... 3ms` */
export function formatMilterLogHuman(e: MilterEvent): string {
  return `${milterHumanLine(e)}\n`;
}

/** One JSON object per line, the event as it is. */
export function formatMilterLogJson(e: MilterEvent): string {
  return `${JSON.stringify(e)}\n`;
}

function milterHumanLine(e: MilterEvent): string {
  switch (e.event) {
    case 'message': {
      const parts = [e.time, e.action, `verdict=${e.verdict}`];
      if (e.queueId) parts.push(`queue_id=${e.queueId}`);
      if (e.profile) parts.push(`profile=${e.profile}`);
      parts.push(`from=${e.from}`, `rcpt=${e.recipients}`, `size=${e.size}`);
      if (e.findings.length) parts.push(`findings=${e.findings.join(',')}`);
      if (e.edits) parts.push(`edits=${e.edits}`);
      parts.push(`reply=${quoted(e.reply)}`);
      if (e.error) parts.push(`error=${quoted(e.error)}`);
      parts.push(`${e.durationMs}ms`);
      return parts.join(' ');
    }
    case 'listening':
      return `${e.time} listening on ${e.address} (on violation: ${e.onViolation}${e.workers ? `, ${e.workers} workers` : ''})`;
    case 'warning':
      return `${e.time} warning: ${e.message}`;
    case 'stopping':
      return `${e.time} stopping (${e.inFlight} message${e.inFlight === 1 ? '' : 's'} in flight)`;
    case 'stopped':
      return `${e.time} stopped`;
  }
}
