// The proxy's log: one line per event (a transaction, listening, a warning, the upstream going
// down or up, a session closed, stopping). Events are data made by src/proxy (addresses already
// masked unless --log-addresses); these turn one event into one line.

import type { ProxyEvent } from '../proxy/server.js';
import { quoted } from './printable.js';

/** `2026-11-02T10:00:00.000Z relayed verdict=pass from=a***@corp.example rcpt=2 ... 12ms` */
export function formatProxyLogHuman(e: ProxyEvent): string {
  return `${proxyHumanLine(e)}\n`;
}

/** One JSON object per line, the event as it is (the keys are a contract, pinned by a test). */
export function formatProxyLogJson(e: ProxyEvent): string {
  return `${JSON.stringify(e)}\n`;
}

function proxyHumanLine(e: ProxyEvent): string {
  switch (e.event) {
    case 'transaction': {
      const parts = [e.time, e.action, `verdict=${e.verdict}`, `from=${e.from}`, `rcpt=${e.recipients}`, `size=${e.size}`];
      if (e.user) parts.push(`user=${e.user}`);
      if (e.profile) parts.push(`profile=${e.profile}`);
      if (e.findings.length) parts.push(`findings=${e.findings.join(',')}`);
      if (e.parts) parts.push(`parts=${e.parts}`);
      if (e.delivered !== undefined) parts.push(`delivered=${e.delivered}`);
      if (e.alreadyDelivered) parts.push(`already-delivered=${e.alreadyDelivered}`);
      parts.push(`reply=${quoted(e.reply)}`);
      if (e.upstream) parts.push(`upstream=${quoted(e.upstream)}`);
      parts.push(`${e.durationMs}ms`);
      return parts.join(' ');
    }
    case 'listening':
      return `${e.time} listening on ${e.address}, relaying to ${e.upstream} (on violation: ${e.onViolation}${e.auth ? ', AUTH required' : ''}${e.tls ? ', STARTTLS' : ''})`;
    case 'warning':
      return `${e.time} warning: ${e.message}`;
    case 'upstream':
      return `${e.time} upstream ${e.state}${e.detail ? `: ${e.detail}` : ''}`;
    case 'stopping':
      return `${e.time} stopping (${e.inFlight} transaction${e.inFlight === 1 ? '' : 's'} in flight)`;
    case 'stopped':
      return `${e.time} stopped`;
    case 'session':
      return `${e.time} session ${e.state} client=${e.client}: ${e.reason}`;
  }
}
