// The proxy's and the milter's log lines: one event in, one line out, in either format.
import { describe, expect, it } from 'vitest';
import { formatMilterLogHuman, formatMilterLogJson } from '../../src/report/milter-log.js';
import { formatProxyLogHuman, formatProxyLogJson } from '../../src/report/proxy-log.js';
import type { ProxyEvent } from '../../src/proxy/server.js';
import type { MilterEvent } from '../../src/milter/server.js';

const T = '2026-11-02T10:00:00.000Z';
const transaction: ProxyEvent = {
  event: 'transaction',
  time: T,
  session: 's1',
  client: '127.0.0.1',
  from: 'a***@corp.example',
  recipients: 6,
  to: ['c***@customer1.test'],
  size: 1234,
  verdict: 'block',
  findings: ['EXPOSED_RECIPIENTS'],
  action: 'split',
  reply: '250 2.0.0 Ok: relayed',
  parts: 6,
  delivered: 5,
  alreadyDelivered: 1,
  upstream: '250 ok',
  durationMs: 12,
};

describe('proxy log', () => {
  it.each<[ProxyEvent, string]>([
    [transaction, `${T} split verdict=block from=a***@corp.example rcpt=6 size=1234 findings=EXPOSED_RECIPIENTS parts=6 delivered=5 already-delivered=1 reply="250 2.0.0 Ok: relayed" upstream="250 ok" 12ms`],
    [{ ...transaction, findings: [], parts: undefined, delivered: undefined, alreadyDelivered: undefined, upstream: undefined, user: 'alice', action: 'relayed', verdict: 'pass' } as ProxyEvent, `${T} relayed verdict=pass from=a***@corp.example rcpt=6 size=1234 user=alice reply="250 2.0.0 Ok: relayed" 12ms`],
    [{ event: 'listening', time: T, address: '127.0.0.1:2525', upstream: 'smtp://127.0.0.1:25', onViolation: 'bcc', auth: true, tls: true }, `${T} listening on 127.0.0.1:2525, relaying to smtp://127.0.0.1:25 (on violation: bcc, AUTH required, STARTTLS)`],
    [{ event: 'warning', time: T, message: 'upstream down' }, `${T} warning: upstream down`],
    [{ event: 'upstream', time: T, state: 'down', detail: 'ECONNREFUSED' }, `${T} upstream down: ECONNREFUSED`],
    [{ event: 'upstream', time: T, state: 'up' }, `${T} upstream up`],
    [{ event: 'session', time: T, session: 's', client: '10.0.0.1', state: 'evicted', reason: 'idle' }, `${T} session evicted client=10.0.0.1: idle`],
    [{ event: 'stopping', time: T, inFlight: 1 }, `${T} stopping (1 transaction in flight)`],
    [{ event: 'stopping', time: T, inFlight: 3 }, `${T} stopping (3 transactions in flight)`],
    [{ event: 'stopped', time: T }, `${T} stopped`],
  ])('human: %j', (event, line) => {
    expect(formatProxyLogHuman(event)).toBe(`${line}\n`);
  });

  it('json: the event as one line, keys in the order they were made', () => {
    const line = formatProxyLogJson(transaction);
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(transaction);
  });
});

describe('milter log', () => {
  const message = { event: 'message', time: T, queueId: 'ABC', from: 'a***@corp.example', recipients: 2, size: 10, verdict: 'block', findings: ['EXPOSED_RECIPIENTS'], action: 'reject', edits: 0, reply: '550 5.7.1 blocked', durationMs: 3 } as unknown as MilterEvent;
  it.each<[MilterEvent, string]>([
    [message, `${T} reject verdict=block queue_id=ABC from=a***@corp.example rcpt=2 size=10 findings=EXPOSED_RECIPIENTS reply="550 5.7.1 blocked" 3ms`],
    [{ event: 'listening', time: T, address: 'inet:127.0.0.1:8891', onViolation: 'hold', workers: 4 }, `${T} listening on inet:127.0.0.1:8891 (on violation: hold, 4 workers)`],
    [{ event: 'stopping', time: T, inFlight: 1 }, `${T} stopping (1 message in flight)`],
  ])('human: %j', (event, line) => {
    expect(formatMilterLogHuman(event)).toBe(`${line}\n`);
  });

  it('json: one object per line', () => {
    expect(JSON.parse(formatMilterLogJson(message))).toEqual(message);
  });
});
