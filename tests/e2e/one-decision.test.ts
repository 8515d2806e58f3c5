// One decision, every path: the same message and mode through send, the proxy, the drop-in
// sendmail, the nodemailer plugin and fix delivers the same recipients with the same visible
// header (To and Cc of every copy), or all of them refuse. Real parts: each delivers to a
// recording SMTP server on 127.0.0.1, the CLIs are the built binaries.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/policy/policy.js';
import { mailguard } from '../../src/plugin/nodemailer.js';
import { startProxy, type ProxyServer } from '../../src/proxy/server.js';
import { runCli } from '../helpers/cli.js';
import { startSink, type Sink, type SinkMessage } from '../helpers/smtp-sink.js';
import { runSendmail, scratchDir } from '../sendmail/run-sendmail.js';

const INTERNAL = ['corp.example'];
const ext = (n: number) => Array.from({ length: n }, (_, i) => `p${i}@org${i}.test`);
const msg = (to: string[], extra = '') => `From: Sales <sales@corp.example>\r\nTo: ${to.join(', ')}\r\n${extra}Subject: offer\r\nMessage-ID: <m1@corp.example>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n`;

const FIXTURES: Record<string, string> = {
  clean: msg(['boss@corp.example', 'ann@alpha.test']),
  'warn-level': msg(ext(3)),
  'block-level': msg([...ext(6), 'boss@corp.example']),
  'bcc-present': msg(ext(6), 'Bcc: audit@corp.example, hidden@elsewhere.test\r\n'),
  sensitive: msg(ext(2)),
};
const SENSITIVE = new Set(['sensitive']);
const MODES = ['block', 'warn', 'bcc', 'split'] as const;
type Mode = (typeof MODES)[number];

/** What recipients got: per copy, its envelope and the To/Cc it shows (Message-ID aside). */
function delivered(messages: readonly SinkMessage[]): string[] {
  return messages
    .map((m) => {
      const header = m.raw.toString('utf8').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
      const shown = header.split(/\r?\n/).filter((l) => /^(to|cc|bcc):/i.test(l)).map((l) => l.replace(/\s+/g, ' ').trim()).sort();
      return `${[...m.rcptTo].map((r) => r.toLowerCase()).sort().join(',')} | ${shown.join(' ; ')}`;
    })
    .sort();
}

let sink: Sink;
let work: string;
beforeAll(async () => {
  sink = await startSink();
  work = await mkdtemp(path.join(os.tmpdir(), 'mailguard-one-decision-'));
});
afterAll(async () => {
  await sink.close();
  await rm(work, { recursive: true, force: true });
});

async function take(): Promise<string[]> {
  const out = delivered(sink.messages);
  sink.messages.length = 0;
  return out;
}

const viaSend = async (name: string, mode: Mode) => {
  const file = path.join(work, `${name}.eml`);
  await writeFile(file, FIXTURES[name]!);
  const args = ['send', file, '--smtp', sink.url, '--on-violation', mode, '--internal-domain', INTERNAL[0]!];
  if (SENSITIVE.has(name)) args.push('--sensitive');
  const r = await runCli(args);
  return { sent: await take(), refused: r.code !== 0 };
};

// What send delivered for each message and mode: the fix tests compare with the same runs
// instead of sending again (a test run alone sends itself).
const sentBy = new Map<string, Awaited<ReturnType<typeof viaSend>>>();
const viaSendOnce = async (name: string, mode: Mode) => {
  const key = `${name} ${mode}`;
  if (!sentBy.has(key)) sentBy.set(key, await viaSend(name, mode));
  return sentBy.get(key)!;
};

const viaSendmail = async (name: string, mode: Mode) => {
  const scratch = await scratchDir({ internalDomains: INTERNAL, smtp: sink.url, onViolation: mode, sensitive: SENSITIVE.has(name) });
  try {
    const r = await runSendmail(['-t', '-i'], { input: FIXTURES[name]!, cwd: scratch.dir });
    return { sent: await take(), refused: r.code !== 0 };
  } finally {
    await scratch.cleanup();
  }
};

const viaProxy = async (name: string, mode: Mode) => {
  let proxy: ProxyServer | undefined;
  try {
    proxy = await startProxy({ port: 0, upstream: sink.url, policy: createPolicy({ internalDomains: INTERNAL, sensitive: SENSITIVE.has(name) }), onViolation: mode });
  } catch {
    return { sent: await take(), refused: true };
  }
  try {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: proxy.port, secure: false, ignoreTLS: true });
    const raw = FIXTURES[name]!;
    const rcpt = [...new Set([...raw.matchAll(/[\w.]+@[\w.]+\.(?:test|example)/g)].map((m) => m[0]).filter((a) => a !== 'sales@corp.example' && a !== 'm1@corp.example'))];
    let refused = false;
    await t.sendMail({ envelope: { from: 'sales@corp.example', to: rcpt }, raw }).catch(() => (refused = true));
    t.close();
    return { sent: await take(), refused };
  } finally {
    await proxy.stop();
  }
};

const viaPlugin = async (name: string, mode: Mode) => {
  let plugin: ReturnType<typeof mailguard>;
  try {
    plugin = mailguard({ policy: { internalDomains: INTERNAL, sensitive: SENSITIVE.has(name) }, onViolation: mode as 'block' | 'warn' | 'bcc' });
  } catch {
    return { sent: await take(), refused: true };
  }
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
  t.use('compile', plugin);
  let refused = false;
  await t.sendMail({ raw: FIXTURES[name]! }).catch(() => (refused = true));
  t.close();
  return { sent: await take(), refused };
};

describe('one decision through send, sendmail, proxy and the plugin', () => {
  for (const name of Object.keys(FIXTURES)) {
    for (const mode of MODES) {
      it(`${name} with onViolation ${mode}: the same recipients see the same header, or all refuse`, async () => {
        const send = await viaSendOnce(name, mode);
        const sendmail = await viaSendmail(name, mode);
        const proxy = await viaProxy(name, mode);
        // What send delivers is the reference; every other path delivers exactly the same.
        expect(sendmail, 'sendmail').toEqual(send);
        expect(proxy, 'proxy').toEqual(send);
        if (mode !== 'split') expect(await viaPlugin(name, mode), 'plugin').toEqual(send);
        else expect((await viaPlugin(name, mode)).refused, 'the plugin refuses split when it is made').toBe(true);
        // Nobody ever receives a copy that shows a Bcc field.
        for (const line of send.sent) expect(line).not.toMatch(/bcc:/i);
      });
    }
  }
});

describe('fix writes what send sends (bcc and split)', () => {
  for (const name of ['block-level', 'bcc-present']) {
    for (const mode of ['bcc', 'split'] as const) {
      it(`${name} --strategy ${mode}: the same copies, To and Cc alike`, async () => {
        const sent = await viaSendOnce(name, mode);
        const out = await mkdtemp(path.join(work, 'fix-'));
        const r = await runCli(['fix', path.join(work, `${name}.eml`), '--strategy', mode, '-o', out, '--internal-domain', INTERNAL[0]!]);
        expect(r.code).toBe(0);
        const written: string[] = [];
        for (const f of (await readdir(out)).sort()) {
          const header = (await readFile(path.join(out, f), 'utf8')).split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
          written.push(header.split(/\r?\n/).filter((l) => /^(to|cc):/i.test(l)).map((l) => l.replace(/\s+/g, ' ').trim()).sort().join(' ; '));
        }
        const shown = sent.sent.map((s) => s.split(' | ')[1]!.split(' ; ').filter((l) => /^(to|cc):/i.test(l)).join(' ; '));
        expect(written.sort()).toEqual(shown.sort());
      });
    }
  }
});

// A configuration may relax the unreadable-recipient rules for check's and audit's reports; no
// delivery path sends such a header anyway (src/decide's deliveryPolicy). Before, send, the
// drop-in sendmail and the plugin relayed what the proxy and the milter refused.
describe('a configuration that relaxes MALFORMED_HEADER and AMBIGUOUS_RECIPIENT: every path still refuses', () => {
  const RELAXED = { internalDomains: INTERNAL, rules: { MALFORMED_HEADER: 'warning', AMBIGUOUS_RECIPIENT: 'off' } } as const;
  const UNREADABLE: Record<string, string> = {
    'a line that is not a field': `From: Sales <sales@corp.example>\r\nTo: boss@corp.example\r\nSubject: offer\r\n.\r\nCc: ann@alpha.test, ben@beta.test\r\n\r\nHello.\r\n`,
    'an unclosed quote': `From: Sales <sales@corp.example>\r\nTo: boss@corp.example, "unclosed <ann@alpha.test>, ben@beta.test\r\nSubject: offer\r\n\r\nHello.\r\n`,
  };
  for (const [what, raw] of Object.entries(UNREADABLE)) {
    it(`${what}: check reports it as configured, send, sendmail, the proxy and the plugin send nothing`, async () => {
      const config = path.join(work, 'relaxed.json');
      await writeFile(config, JSON.stringify(RELAXED));
      const file = path.join(work, 'unreadable.eml');
      await writeFile(file, raw);
      const check = await runCli(['check', file, '--config', config]);
      expect(check.code, check.stdout).toBe(0);
      for (const mode of ['block', 'warn', 'bcc'] as const) {
        const send = await runCli(['send', file, '--smtp', sink.url, '--on-violation', mode, '--config', config]);
        expect(send.code, `send ${mode}: ${send.stdout}${send.stderr}`).not.toBe(0);
        const scratch = await scratchDir({ ...RELAXED, smtp: sink.url, onViolation: mode });
        try {
          expect((await runSendmail(['-t', '-i'], { input: raw, cwd: scratch.dir })).code, `sendmail ${mode}`).not.toBe(0);
        } finally {
          await scratch.cleanup();
        }
        const proxy = await startProxy({ port: 0, upstream: sink.url, policy: createPolicy(RELAXED), onViolation: mode });
        try {
          const t = nodemailer.createTransport({ host: '127.0.0.1', port: proxy.port, secure: false, ignoreTLS: true });
          await expect(t.sendMail({ envelope: { from: 'sales@corp.example', to: ['boss@corp.example', 'ann@alpha.test', 'ben@beta.test'] }, raw }), `proxy ${mode}`).rejects.toThrow();
          t.close();
        } finally {
          await proxy.stop();
        }
        const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
        t.use('compile', mailguard({ policy: RELAXED, onViolation: mode }));
        await expect(t.sendMail({ raw }), `plugin ${mode}`).rejects.toThrow(/mailguard blocked/);
        t.close();
        expect(await take(), `${what}, ${mode}: nothing reached the server`).toEqual([]);
      }
    }, 60_000);
  }
});
