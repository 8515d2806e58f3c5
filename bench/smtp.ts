// Scenarios 6 (proxy) and 7 (send): SMTP throughput against a recording sink on 127.0.0.1.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ScenarioResult } from './results.js';

export interface SmtpScenarioOptions {
  root: string;
  bin: string;
  count: number;
  rounds: number;
  seed: number;
  tmp: string;
  log: (message: string) => void;
}

function notYet(name: string, description: string, unit: string, baselineName: string, target: string, missing: string): ScenarioResult {
  return { name, description, figure: null, unit, baseline: null, baselineName, ratio: null, target, met: null, note: `not measured: ${missing} does not exist in this build yet` };
}

export async function runProxyScenario(o: SmtpScenarioOptions): Promise<ScenarioResult> {
  const description = `${o.count} small messages over one pooled connection through mailguard proxy to a sink vs straight to the sink`;
  if (!existsSync(path.join(o.root, 'src', 'cli', 'actions', 'proxy.ts'))) return notYet('6-proxy-throughput', description, 'msg/s', 'straight to the sink', 'ratio >= 0.75', 'mailguard proxy');
  return notYet('6-proxy-throughput', description, 'msg/s', 'straight to the sink', 'ratio >= 0.75', 'the bench for mailguard proxy');
}

export async function runSendScenario(o: SmtpScenarioOptions): Promise<ScenarioResult> {
  const description = `mailguard send of ${o.count} raw messages to a sink vs plain nodemailer sending the same raw messages`;
  if (!existsSync(path.join(o.root, 'src', 'cli', 'actions', 'send.ts'))) return notYet('7-send-throughput', description, 'msg/s', 'plain nodemailer', 'ratio >= 0.9', 'mailguard send');
  return notYet('7-send-throughput', description, 'msg/s', 'plain nodemailer', 'ratio >= 0.9', 'the bench for mailguard send');
}
