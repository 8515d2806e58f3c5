// The machine formats of send, fix, sendmail and the proxy are contracts (STYLE.md practice 3):
// their bytes are pinned here, from the built CLI as a user runs it, so moving or rewording the
// formatters cannot change a key, an order or a value unnoticed. Snapshots are the whole
// documents; what varies from run to run (times, temporary directories) is replaced first.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';
import { runSendmail, scratchDir } from '../sendmail/run-sendmail.js';
import { spawnProxy, type ProxyProcess } from '../e2e/proxy-process.js';

const POLICY = ['--internal-domain', 'corp.example'];
// Relative paths: the sources in the documents do not depend on where the repository lives.
const SEND_INPUTS = ['send-exposed.eml', 'send-clean.eml', 'send-transcript.smtp', 'qa-no-from.eml', 'fix-ambiguous.eml', 'bcc-present.eml'].map((f) => `fixtures/${f}`);
const FIX_INPUTS = ['customer-list-cc.eml', 'fix-mixed-crlf.eml', 'fix-ambiguous.eml', 'clean-internal.eml', 'fix-groups.eml', 'qa-no-from.eml', 'security-cr-only.eml'].map((f) => `fixtures/${f}`);
const snapshot = (name: string) => path.join(ROOT, 'tests/report/contracts', name);
/** A split copy gets a fresh random Message-ID: the one value of a dry run that changes per run. */
const freshIds = (text: string) => text.replace(/Message-ID: <[^>]*>/g, 'Message-ID: <FRESH>');

let sink: Sink | undefined;
let proxy: ProxyProcess | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  proxy?.kill();
  if (proxy) await proxy.exited;
  proxy = undefined;
  await sink?.close();
  sink = undefined;
  for (const c of cleanups.splice(0)) await c();
});

describe('send --format json', () => {
  it.each(['block', 'bcc', 'split', 'warn'])('--dry-run --on-violation %s: the document is byte-identical', async (mode) => {
    const r = await runCli(['send', '--dry-run', '--format', 'json', '--on-violation', mode, ...POLICY, ...SEND_INPUTS]);
    expect(r.code).toBe(2); // qa-no-from.eml is refused in every mode
    expect(r.stderr).toBe('');
    await expect(freshIds(r.stdout)).toMatchFileSnapshot(snapshot(`send-dry-run-${mode}.json`));
  });

  it('--no-redact shows the addresses the default masks, in the same shape', async () => {
    const masked = await runCli(['send', '--dry-run', '--format', 'json', '--on-violation', 'split', ...POLICY, 'fixtures/send-exposed.eml']);
    const shown = await runCli(['send', '--dry-run', '--format', 'json', '--on-violation', 'split', '--no-redact', ...POLICY, 'fixtures/send-exposed.eml']);
    await expect(freshIds(shown.stdout)).toMatchFileSnapshot(snapshot('send-dry-run-split-no-redact.json'));
    expect(keyPaths(JSON.parse(masked.stdout))).toEqual(keyPaths(JSON.parse(shown.stdout)));
    expect(masked.stdout).not.toContain('ann@alpha.test');
    expect(shown.stdout).toContain('ann@alpha.test');
  });

  it('a real relay: sent, refused recipients and the summary, byte-identical', async () => {
    sink = await startSink({ rcpt: (a) => (a.startsWith('ben@') ? 550 : undefined) });
    const r = await runCli(['send', '--format', 'json', '--on-violation', 'split', '--smtp', sink.url, ...POLICY, 'fixtures/send-exposed.eml', 'fixtures/send-clean.eml']);
    expect(r.code).toBe(2);
    await expect(r.stdout.replaceAll(sink.url, 'smtp://SINK')).toMatchFileSnapshot(snapshot('send-relay-split.json'));
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['version', 'onViolation', 'dryRun', 'journal', 'stopped', 'interrupted', 'results', 'summary']);
    expect(Object.keys(doc.summary)).toEqual(['messages', 'sent', 'wouldSend', 'partial', 'blocked', 'refused', 'failed', 'skipped', 'recipientsAccepted', 'recipientsRejected']);
    expect(Object.keys(doc.results[0].transactions[0])).toEqual(['mailFrom', 'recipients', 'accepted', 'rejected', 'skipped', 'response']);
  });
});

describe('fix --format json', () => {
  it.each(['bcc', 'split'])('--dry-run --strategy %s: the plan document is byte-identical', async (strategy) => {
    const r = await runCli(['fix', '--dry-run', '--format', 'json', '--strategy', strategy, ...POLICY, ...FIX_INPUTS]);
    expect(r.code).toBe(2);
    await expect(r.stdout).toMatchFileSnapshot(snapshot(`fix-dry-run-${strategy}.json`));
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['version', 'summary', 'results']);
    expect(Object.keys(doc.summary)).toEqual(['messages', 'rewritten', 'untouched', 'refused', 'written']);
  });

  it('written copies: paths and recipients per output, byte-identical', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-contract-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const r = await runCli(['fix', '--format', 'json', '--strategy', 'split', '-o', dir, '--no-redact', ...POLICY, 'fixtures/fix-mixed-crlf.eml', 'fixtures/clean-internal.eml']);
    expect(r.code).toBe(0);
    await expect(r.stdout.replaceAll(dir, 'OUT')).toMatchFileSnapshot(snapshot('fix-split-written.json'));
  });
});

describe('sendmail spool record (JSON)', () => {
  it('a blocked message: the record beside the kept copy has a pinned shape', async () => {
    const scratch = await scratchDir();
    cleanups.push(scratch.cleanup);
    const spool = path.join(scratch.dir, 'spool');
    await writeFile(path.join(scratch.dir, 'mailguard.config.json'), JSON.stringify({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 3, smtp: 'smtp://127.0.0.1:9', sendmail: { spool } }));
    const r = await runSendmail(['-t', '-i'], { input: await readFile(path.join(ROOT, 'fixtures/sendmail-exposed.eml')), cwd: scratch.dir });
    expect(r.code).toBe(65);
    const files = await readdir(spool);
    const record = await readFile(path.join(spool, files.find((f) => f.endsWith('.json'))!), 'utf8');
    await expect(record.replace(/"time": "[^"]+"/, '"time": "TIME"')).toMatchFileSnapshot(snapshot('sendmail-spool-blocked.json'));
  });
});

describe('proxy --log json', () => {
  it('one JSON object per line; the keys of each event are pinned', async () => {
    sink = await startSink();
    proxy = await spawnProxy(['--upstream', sink.url, ...POLICY]);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: proxy.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ envelope: { from: 'alice@corp.example', to: ['bob@corp.example'] }, raw: await readFile(path.join(ROOT, 'fixtures/proxy-clean.eml')) });
    transport.close();
    const t = await proxy.waitFor((e) => e.event === 'transaction');
    expect(Object.keys(proxy.events[0]!)).toEqual(['event', 'time', 'address', 'upstream', 'onViolation', 'auth', 'tls']);
    expect(Object.keys(t)).toEqual(['event', 'time', 'session', 'client', 'from', 'recipients', 'to', 'size', 'verdict', 'findings', 'action', 'reply', 'durationMs', 'profile', 'upstream']);
    expect(t).toMatchObject({ from: 'a***@corp.example', to: ['b***@corp.example'], verdict: 'pass', action: 'relayed' });
  });
});

/** Every key path of a JSON value, arrays collapsed: the shape without the values. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => keyPaths(v, `${prefix}[]`)))];
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [`${prefix}.${k}`, ...keyPaths(v, `${prefix}.${k}`)]);
  return [];
}
