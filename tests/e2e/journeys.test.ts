// End-to-end user journeys across commands, with the built CLI and real SMTP on 127.0.0.1:
// check -> fix (bcc | split) -> check again -> send to a recording relay; send's dry run, block,
// split and journal; the proxy in front of a relay with swaks as the client; sendmail -t fed by a
// shell script; an audit of a Sent mbox; init, CI formats and explain. Each journey asserts what
// a user relies on, so it fails when the feature breaks.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, runCli, runProcess, type RunResult } from '../helpers/cli.js';
import { startSink, type Sink, type SinkBehaviour } from '../helpers/smtp-sink.js';
import { spawnProxy, type ProxyProcess } from './proxy-process.js';

const MIXED = path.join(FIXTURES, 'qa-mixed-list.eml');
const OUTBOX = path.join(ROOT, 'examples/outbox');
const EXTERNAL = ['anna@alpha.test', 'bob@beta.test', 'juergen@gamma.test', 'dana@delta.test', 'eve@epsilon.test'];
const ALL = [...EXTERNAL, 'team@corp.example', 'auditor@corp.example'].sort();
const POLICY = ['--internal-domain', 'corp.example'];

let tmp: string;
let sinks: Sink[] = [];
let proxies: ProxyProcess[] = [];
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-qa-journeys-'));
});
afterEach(async () => {
  for (const p of proxies.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

async function sink(behaviour: SinkBehaviour = {}): Promise<Sink> {
  const s = await startSink(behaviour);
  sinks.push(s);
  return s;
}

function workdir(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Bytes after the header block (the first empty line), whatever the line ends. */
function body(raw: Buffer | string): string {
  const text = raw.toString().replace(/\r\n/g, '\n');
  return text.slice(text.indexOf('\n\n') + 2);
}

function header(raw: Buffer | string): string {
  const text = raw.toString().replace(/\r\n/g, '\n');
  return text.slice(0, text.indexOf('\n\n') + 1);
}

function json(r: RunResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr}`);
  }
}

function run(cmd: string, args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return runProcess(cmd, args, { ...options, env: { ...process.env, NO_COLOR: '1', ...options.env }, timeoutMs: 30_000 });
}

describe('journey: a blocked invitation is fixed with Bcc, re-checked and sent', () => {
  it('check blocks -> fix --strategy bcc -> check passes the exposure -> send strips Bcc, everyone in the envelope', async () => {
    const dir = workdir('bcc');
    const first = await runCli(['check', MIXED, '--format', 'json', ...POLICY]);
    expect(first.code).toBe(1);
    const exposed = json(first).results[0];
    expect(exposed.verdict).toBe('block');
    expect(exposed.recipients.externalAddresses).toBe(5);

    const fixed = path.join(dir, 'fixed.eml');
    const fix = await runCli(['fix', MIXED, '-o', fixed, ...POLICY]);
    expect(fix.code).toBe(0);
    expect(fix.stdout).toContain('rewritten (bcc)');
    // The plan masks addresses by default.
    expect(fix.stdout).toContain('a***@alpha.test');
    expect(fix.stdout).not.toContain('anna@alpha.test');

    const again = await runCli(['check', fixed, '--format', 'json', ...POLICY]);
    const result = json(again).results[0];
    expect(result.findings.map((f: { code: string }) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
    expect(result.recipients.visible.map((v: { address: string }) => v.address)).toEqual(['team@corp.example']);
    expect(result.recipients.bcc.map((v: { address: string }) => v.address).sort()).toEqual([...EXTERNAL, 'auditor@corp.example'].sort());
    expect(again.code).toBe(0); // only the Bcc warning is left
    const original = readFileSync(MIXED);
    const rewritten = readFileSync(fixed);
    expect(body(rewritten)).toBe(body(original));
    // Untouched fields are kept byte for byte, encoded display names included.
    expect(header(rewritten)).toContain('Subject: Invitation\n');
    expect(rewritten.toString()).toContain('=?UTF-8?B?SsO8cmdlbg==?= <juergen@gamma.test>');

    const relay = await sink();
    const send = await runCli(['send', fixed, '--smtp', relay.url, '--format', 'json', ...POLICY]);
    expect(send.code).toBe(0);
    expect(json(send).summary).toMatchObject({ messages: 1, sent: 1, recipientsAccepted: 7 });
    expect(relay.messages).toHaveLength(1);
    const delivered = relay.messages[0]!;
    expect([...delivered.rcptTo].sort()).toEqual(ALL);
    expect(delivered.mailFrom).toBe('events@corp.example');
    expect(header(delivered.raw)).not.toMatch(/^Bcc:/im);
    expect(header(delivered.raw)).not.toContain('alpha.test');
    // SMTP dot-stuffing round-trips the lone "." line of the body.
    expect(body(delivered.raw)).toBe(body(original));
  });
});

describe('journey: split into one message per recipient', () => {
  it('fix --strategy split -> every copy passes -> send the folder: each external recipient sees only themself', async () => {
    const dir = workdir('split');
    const out = path.join(dir, 'copies');
    const fix = await runCli(['fix', MIXED, '--strategy', 'split', '-o', out, ...POLICY]);
    expect(fix.code).toBe(0);
    const files = readdirSync(out).filter((f) => f.endsWith('.eml'));
    expect(files.length).toBeGreaterThanOrEqual(6);

    const check = await runCli(['check', out, '--format', 'json', ...POLICY]);
    expect(check.code).toBe(0);
    const results = json(check).results as Array<{ verdict: string; recipients: { visible: Array<{ address: string; internal: boolean }> } }>;
    expect(results.every((r) => r.verdict === 'pass')).toBe(true);
    for (const r of results) expect(r.recipients.visible.filter((v) => !v.internal).length).toBeLessThanOrEqual(1);
    const visibleExternal = results.flatMap((r) => r.recipients.visible.filter((v) => !v.internal).map((v) => v.address));
    expect(visibleExternal.sort()).toEqual([...EXTERNAL].sort());
    const original = readFileSync(MIXED);
    for (const f of files) expect(body(readFileSync(path.join(out, f)))).toBe(body(original));

    const relay = await sink();
    const send = await runCli(['send', out, '--smtp', relay.url, ...POLICY]);
    expect(send.code).toBe(0);
    const delivered = relay.messages.flatMap((m) => m.rcptTo).sort();
    expect(delivered).toEqual(ALL);
    for (const m of relay.messages) {
      const externalInEnvelope = m.rcptTo.filter((a) => !a.endsWith('@corp.example'));
      expect(externalInEnvelope.length).toBeLessThanOrEqual(1);
      for (const other of EXTERNAL.filter((a) => !externalInEnvelope.includes(a))) expect(header(m.raw)).not.toContain(other);
      expect(header(m.raw)).not.toMatch(/^Bcc:/im);
    }
  });

  it('split to an mbox on stdout, piped into check: every copy passes', async () => {
    const fix = await runCli(['fix', MIXED, '--strategy', 'split', '-o', '-', ...POLICY]);
    expect(fix.code).toBe(0);
    expect(fix.stdout.startsWith('From ')).toBe(true);
    // The body's "From now on" line is escaped in the mbox, and unescaped when it is read back.
    expect(fix.stdout).toContain('\n>From now on');
    const check = await runCli(['check', '-', '--format', 'json', ...POLICY], { input: fix.stdout });
    expect(check.code).toBe(0);
    const doc = json(check);
    expect(doc.summary.checked).toBeGreaterThanOrEqual(6);
    expect(doc.summary.pass).toBe(doc.summary.checked);
  });
});

describe('journey: send guards the original', () => {
  it('--dry-run sends nothing; the default blocks (exit 1, nothing relayed); --on-violation split relays safe copies', async () => {
    const relay = await sink();
    const dry = await runCli(['send', MIXED, '--smtp', relay.url, '--dry-run', '--on-violation', 'bcc', ...POLICY]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Nothing was sent (--dry-run)');
    expect(dry.stdout).toContain('To: Team <t***@corp.example>'); // masked by default (F3)
    expect(relay.attempts).toBe(0);

    const blocked = await runCli(['send', MIXED, '--smtp', relay.url, ...POLICY]);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/blocked\s+\S+qa-mixed-list\.eml\s+not sent/);
    expect(blocked.stdout).toContain('EXPOSED_RECIPIENTS');
    expect(relay.attempts).toBe(0);

    const split = await runCli(['send', MIXED, '--smtp', relay.url, '--on-violation', 'split', ...POLICY]);
    expect(split.code).toBe(0);
    expect(relay.messages.flatMap((m) => m.rcptTo).sort()).toEqual(ALL);
    for (const m of relay.messages) expect(m.rcptTo.filter((a) => !a.endsWith('@corp.example')).length).toBeLessThanOrEqual(1);
  });

  it('a refused recipient with --journal: exit 2, the report masks it; the rerun delivers only what was missing', async () => {
    const dir = workdir('journal');
    const journal = path.join(dir, 'send.journal');
    const refusing = await sink({ rcpt: (a) => (a === 'dana@delta.test' ? 550 : undefined) });
    const first = await runCli(['send', MIXED, '--smtp', refusing.url, '--on-violation', 'split', '--journal', journal, ...POLICY]);
    expect(first.code).toBe(2);
    expect(first.stdout).toContain('d***@delta.test');
    expect(first.stdout).not.toContain('dana@delta.test');
    expect(refusing.messages.flatMap((m) => m.rcptTo)).not.toContain('dana@delta.test');
    const firstCount = refusing.messages.flatMap((m) => m.rcptTo).length;
    expect(firstCount).toBe(ALL.length - 1);

    const accepting = await sink();
    const second = await runCli(['send', MIXED, '--smtp', accepting.url, '--on-violation', 'split', '--journal', journal, ...POLICY]);
    expect(second.code).toBe(0);
    expect(accepting.messages.flatMap((m) => m.rcptTo)).toEqual(['dana@delta.test']);

    const third = await runCli(['send', MIXED, '--smtp', accepting.url, '--on-violation', 'split', '--journal', journal, ...POLICY]);
    expect(third.code).toBe(0);
    expect(accepting.messages).toHaveLength(1);
  });

  it('piped input and a relay that is down: exit 2 and a message that says what to do', async () => {
    const msg = readFileSync(path.join(OUTBOX, 'team-lunch.eml'));
    const relay = await sink();
    const piped = await runCli(['send', '--smtp', relay.url], { input: msg });
    expect(piped.code).toBe(0);
    expect(relay.messages).toHaveLength(1);
    const closed = await sink();
    const url = closed.url;
    await closed.close();
    sinks = sinks.filter((s) => s !== closed);
    const down = await runCli(['send', '-', '--smtp', url, '--retries', '0', '--timeout', '5'], { input: msg });
    expect(down.code).toBe(2);
    expect(down.stdout).toMatch(/ECONNREFUSED/);
    expect(down.stdout).toContain('--journal');
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('journey: the SMTP proxy in front of a relay, swaks as the mail client', () => {
  it('clean mail is relayed (250), the exposed invitation is refused (550 5.7.1, nothing relayed), logs are masked, SIGTERM stops it', async () => {
    const relay = await sink();
    const proxy = await spawnProxy(['--upstream', relay.url, ...POLICY]);
    proxies.push(proxy);
    const clean = await run('swaks', ['--server', `127.0.0.1:${proxy.port}`, '--from', 'alice@corp.example', '--to', 'bob@corp.example', '--data', path.join(OUTBOX, 'team-lunch.eml')]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/<-\s+250 .*relayed/);
    expect(relay.messages).toHaveLength(1);

    const exposed = await run('swaks', ['--server', `127.0.0.1:${proxy.port}`, '--from', 'events@corp.example', '--to', 'anna@alpha.test,bob@beta.test', '--data', MIXED]);
    expect(exposed.code).not.toBe(0);
    expect(exposed.stdout + exposed.stderr).toMatch(/<\*\*\s+550 5\.7\.1 /);
    expect(relay.messages).toHaveLength(1);

    const blocked = await proxy.waitFor((e) => e.verdict === 'block');
    expect(JSON.stringify(proxy.events)).not.toContain('anna@alpha.test');
    expect(JSON.stringify(blocked)).toContain('EXPOSED_RECIPIENTS');

    proxy.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
    proxies = proxies.filter((p) => p !== proxy);
  });
});

describe('journey: mailguard send through the mailguard proxy (two guards in a row)', () => {
  it('the split copies pass the proxy and reach the relay; the unfixed original is refused by send before the proxy sees it', async () => {
    const relay = await sink();
    const proxy = await spawnProxy(['--upstream', relay.url, ...POLICY]);
    proxies.push(proxy);
    const viaProxy = `smtp://127.0.0.1:${proxy.port}`;
    const blocked = await runCli(['send', MIXED, '--smtp', viaProxy, ...POLICY]);
    expect(blocked.code).toBe(1);
    expect(proxy.events.filter((e) => e.event === 'transaction')).toHaveLength(0);

    const split = await runCli(['send', MIXED, '--smtp', viaProxy, '--on-violation', 'split', '--format', 'json', ...POLICY]);
    expect(split.code).toBe(0);
    expect(json(split).summary.recipientsAccepted).toBe(ALL.length);
    expect(relay.messages.flatMap((m) => m.rcptTo).sort()).toEqual(ALL);
    // The proxy logs a transaction just after its reply: wait for every line.
    await proxy.waitFor(() => proxy.events.filter((e) => e.event === 'transaction').length >= relay.messages.length);
    const transactions = proxy.events.filter((e) => e.event === 'transaction');
    expect(transactions.length).toBe(relay.messages.length);
    expect(transactions.every((e) => e.verdict === 'pass' && e.action === 'relayed')).toBe(true);
  });
});

describe('journey: a cron script pipes mail into mailguard sendmail -t', () => {
  it('blocked with EX_DATAERR (65) and nothing relayed; with onViolation split each recipient gets a copy; Bcc never travels', async () => {
    const relay = await sink();
    const dir = workdir('sendmail');
    writeFileSync(path.join(dir, 'mailguard.config.json'), JSON.stringify({ internalDomains: ['corp.example'], smtp: relay.url }));
    const script = path.join(dir, 'report.sh');
    writeFileSync(
      script,
      '#!/bin/sh\n' +
        `printf 'From: cron@corp.example\\nTo: a@one.test, b@two.test, c@three.test, d@four.test, e@five.test\\nBcc: archive@corp.example\\nSubject: nightly\\n\\nall good\\n' | "${process.execPath}" "${BIN}" sendmail -t -i "$@"\n` +
        'echo "status=$?"\n',
      { mode: 0o755 },
    );
    // The administrator's wrapper names the system configuration; the script cannot choose it.
    const env = { MAILGUARD_SMTP_URL: '', MAILGUARD_SENDMAIL_CONFIG: path.join(dir, 'mailguard.config.json') };
    const blocked = await run('sh', [script], { cwd: dir, env });
    expect(blocked.stdout).toContain('status=65');
    expect(blocked.stderr).toContain('blocked by policy');
    expect(relay.attempts).toBe(0);
    // The script asking for a weaker policy is ignored with a warning.
    const asked = await run('sh', [script, '--on-violation', 'warn'], { cwd: dir, env });
    expect(asked.stdout).toContain('status=65');
    expect(asked.stderr).toContain('ignoring --on-violation');
    expect(relay.attempts).toBe(0);

    writeFileSync(path.join(dir, 'mailguard.config.json'), JSON.stringify({ internalDomains: ['corp.example'], smtp: relay.url, sendmail: { onViolation: 'split' } }));
    const split = await run('sh', [script], { cwd: dir, env });
    expect(split.stdout).toContain('status=0');
    const rcpts = relay.messages.flatMap((m) => m.rcptTo).sort();
    expect(rcpts).toEqual(['a@one.test', 'archive@corp.example', 'b@two.test', 'c@three.test', 'd@four.test', 'e@five.test']);
    for (const m of relay.messages) {
      expect(header(m.raw)).not.toMatch(/^Bcc:/im);
      expect(header(m.raw)).toMatch(/^Date: /m); // sendmail adds what a bare script leaves out
      expect(header(m.raw)).toMatch(/^Message-ID: /im);
    }
  });
});

describe('journey: a nodemailer send script installs mailguard and uses the plugin by package name', () => {
  it('block: sendMail rejects with EEXPOSED and nothing reaches the relay; bcc: one message, recipients only in the envelope', async () => {
    const relay = await sink();
    const project = workdir('nodemailer-project');
    mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, path.join(project, 'node_modules', 'mailguard'));
    symlinkSync(path.join(ROOT, 'node_modules', 'nodemailer'), path.join(project, 'node_modules', 'nodemailer'));
    writeFileSync(
      path.join(project, 'send.mjs'),
      `import nodemailer from 'nodemailer';
import { mailguard } from 'mailguard/nodemailer';
const [port, onViolation] = process.argv.slice(2);
const transporter = nodemailer.createTransport({ host: '127.0.0.1', port: Number(port), ignoreTLS: true });
transporter.use('compile', mailguard({ policy: { internalDomains: ['corp.example'] }, onViolation }));
const customers = ['Ann <ann@a1.test>', 'ben@b2.test', { name: 'Cé, Lia', address: 'cel@c3.test' }, 'd@d4.test', 'e@e5.test'];
try {
  const info = await transporter.sendMail({ from: 'sales@corp.example', to: customers, cc: 'boss@corp.example', subject: 'Offer', text: 'hi' });
  console.log(JSON.stringify({ sent: info.envelope }));
} catch (err) {
  console.log(JSON.stringify({ error: err.code, findings: (err.findings ?? []).map((f) => f.code) }));
}
transporter.close();
`,
    );
    const blocked = await run(process.execPath, ['send.mjs', String(relay.port), 'block'], { cwd: project });
    expect(blocked.stderr).toBe('');
    expect(JSON.parse(blocked.stdout)).toEqual({ error: 'EEXPOSED', findings: ['EXPOSED_RECIPIENTS'] });
    expect(relay.attempts).toBe(0);

    const bcc = await run(process.execPath, ['send.mjs', String(relay.port), 'bcc'], { cwd: project });
    expect(JSON.parse(bcc.stdout).sent.to.sort()).toEqual(['ann@a1.test', 'ben@b2.test', 'boss@corp.example', 'cel@c3.test', 'd@d4.test', 'e@e5.test']);
    expect(relay.messages).toHaveLength(1);
    const head = header(relay.messages[0]!.raw);
    expect(head).toContain('boss@corp.example');
    for (const external of ['ann@a1.test', 'ben@b2.test', 'cel@c3.test', 'd@d4.test', 'e@e5.test']) expect(head).not.toContain(external);
    expect(head).not.toMatch(/^Bcc:/im);
  });
});

describe('journey: audit of a Sent folder', () => {
  it('counts only the messages that went out exposed, in JSON, CSV and HTML', async () => {
    const dir = workdir('audit');
    const copies = path.join(dir, 'copies');
    expect((await runCli(['fix', MIXED, '--strategy', 'split', '-o', copies, ...POLICY])).code).toBe(0);
    const sent = [MIXED, path.join(OUTBOX, 'team-lunch.eml'), ...readdirSync(copies).map((f) => path.join(copies, f))];
    const mbox = path.join(dir, 'Sent.mbox');
    writeFileSync(
      mbox,
      sent
        .map((f) => {
          const text = readFileSync(f, 'utf8').replace(/^(>*From )/gm, '>$1');
          return `From MAILER-DAEMON Mon Nov  2 10:00:00 2026\n${text}${text.endsWith('\n') ? '' : '\n'}\n`;
        })
        .join(''),
    );
    const csv = path.join(dir, 'incidents.csv');
    const html = path.join(dir, 'audit.html');
    const r = await runCli(['audit', mbox, '--format', 'json', '--csv', csv, '--html', html, ...POLICY]);
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.summary.messages).toBe(sent.length);
    expect(doc.summary.incidents).toBe(1);
    expect(doc.summary.exposedAddresses).toBe(5);
    expect(doc.incidents[0]).toMatchObject({ source: `${mbox}#1`, exposedExternal: 5, subject: 'Invitation' });
    const rows = readFileSync(csv, 'utf8').trim().split(/\r?\n/);
    expect(rows).toHaveLength(2);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('Invitation');
    expect(page).not.toContain('anna@alpha.test'); // masked unless --no-redact
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });
});

describe('journey: a new user sets up a project and wires it into CI', () => {
  it('init writes a config that check then uses; SARIF to a file, GitHub annotations and step summary, explain for each code', async () => {
    const dir = workdir('ci');
    const init = await runCli(['init', '--internal-domain', 'corp.example'], { cwd: dir });
    expect(init.code).toBe(0);
    const again = await runCli(['init', '--internal-domain', 'corp.example'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    copyFileSync(MIXED, path.join(dir, 'invitation.eml'));
    copyFileSync(path.join(OUTBOX, 'team-lunch.eml'), path.join(dir, 'lunch.eml'));

    const human = await runCli(['check', '.'], { cwd: dir });
    expect(human.code).toBe(1);
    expect(human.stdout).not.toContain('internal domain inferred');
    expect(human.stdout).toContain('fix: mailguard fix invitation.eml --strategy bcc');

    const sarif = path.join(dir, 'mailguard.sarif');
    const s = await runCli(['check', '.', '--format', 'sarif', '--output', sarif], { cwd: dir });
    expect(s.code).toBe(1);
    expect(s.stdout).toBe('');
    const log = JSON.parse(readFileSync(sarif, 'utf8'));
    const results = log.runs[0].results as Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }>;
    const exposure = results.find((x) => x.ruleId === 'EXPOSED_RECIPIENTS')!;
    expect(exposure.locations[0]!.physicalLocation.artifactLocation.uri).toBe('invitation.eml');
    expect(exposure.locations[0]!.physicalLocation.region.startLine).toBe(2);
    expect(readFileSync(sarif, 'utf8')).not.toContain('anna@alpha.test');

    const summary = path.join(dir, 'step-summary.md');
    const gh = await runCli(['check', '.', '--format', 'github'], { cwd: dir, env: { GITHUB_STEP_SUMMARY: summary } });
    expect(gh.code).toBe(1);
    expect(gh.stdout).toMatch(/^::error file=invitation\.eml,line=2,/m);
    expect(gh.stdout).not.toContain('anna@alpha.test');
    expect(readFileSync(summary, 'utf8')).toContain('invitation.eml');

    for (const code of new Set(results.map((x) => x.ruleId))) {
      const explain = await runCli(['explain', code]);
      expect(explain.code).toBe(0);
      expect(explain.stdout).toContain(code);
    }
  });
});
