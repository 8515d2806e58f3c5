// Starts a recording upstream (tests/helpers/smtp-sink.ts) and the proxy in front of it, both on
// 127.0.0.1 port 0, and stops both.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPolicy } from '../../src/policy/policy.js';
import { startProxy, type ProxyEvent, type ProxyOptions, type ProxyServer, type TransactionEvent } from '../../src/proxy/index.js';
import { FIXTURES } from '../helpers/cli.js';
import { startSink, type Sink, type SinkBehaviour } from '../helpers/smtp-sink.js';

export interface Harness {
  sink: Sink;
  proxy: ProxyServer;
  events: ProxyEvent[];
  transactions(): TransactionEvent[];
  close(): Promise<void>;
}

export const POLICY = createPolicy({ internalDomains: ['corp.example'] });

export function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

export async function startHarness(sinkBehaviour: SinkBehaviour = {}, proxyOptions: Partial<ProxyOptions> = {}): Promise<Harness> {
  const sink = await startSink(sinkBehaviour);
  const events: ProxyEvent[] = [];
  const proxy = await startProxy({ port: 0, upstream: sink.url, policy: POLICY, log: (e) => events.push(e), ...proxyOptions });
  return {
    sink,
    proxy,
    events,
    transactions: () => events.filter((e): e is TransactionEvent => e.event === 'transaction'),
    async close() {
      await proxy.stop();
      await sink.close();
    },
  };
}
