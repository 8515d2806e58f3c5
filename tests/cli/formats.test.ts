// Every command's output formats, from the built CLI as a user runs it: --help lists exactly the
// registry's choices (the option's and the Formats list), an unknown name is a usage error (exit 2)
// naming them, and each format of each command runs and prints what it says it prints.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_OPTION, formatChoices, type FormatCommand } from '../../src/report/formats.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';

const COMMANDS = Object.keys(FORMAT_OPTION) as FormatCommand[];
const optionName = (command: FormatCommand) => FORMAT_OPTION[command].flags.split(' ').find((s) => s.startsWith('--'))!;
const POLICY = ['--internal-domain', 'corp.example'];

describe('--help lists exactly the registry\'s formats', () => {
  it.each(COMMANDS)('%s', async (command) => {
    const r = await runCli([command, '--help'], { env: { COLUMNS: '80' } });
    expect(r.code).toBe(0);
    const flat = r.stdout.replace(/\s+/g, ' ');
    // The option's own choices, as commander prints them.
    const option = new RegExp(`${optionName(command)} <format> [^(]*\\(choices: ([^)]*?), default: "human"\\)`).exec(flat);
    expect(option, `${command} --help shows ${optionName(command)} with its choices`).not.toBeNull();
    expect(option![1]!.split(', ').map((c) => c.replace(/"/g, ''))).toEqual(formatChoices(command));
    // The Formats list: one line per format, in the registry's order, and nothing else.
    const list = new RegExp(`\\nFormats \\(${optionName(command)}\\):\\n((?: {2}\\S+ +\\S.*\\n)+)`).exec(r.stdout);
    expect(list, `${command} --help has a Formats list`).not.toBeNull();
    expect(list![1]!.trimEnd().split('\n').map((l) => l.trim().split(/\s+/)[0])).toEqual(formatChoices(command));
  });
});

describe('an unknown format is a usage error naming the choices', () => {
  const cases: Array<[string, string[], FormatCommand]> = [
    ['check', ['check', '--format', 'xml', 'fixtures/clean-internal.eml'], 'check'],
    ['check --format=csv (the fast path hands it to commander)', ['check', '--format=csv', 'fixtures/clean-internal.eml'], 'check'],
    ['check -f sarif2', ['check', '-f', 'sarif2', 'fixtures/clean-internal.eml'], 'check'],
    ['audit', ['audit', '--format', 'sarif', 'fixtures/audit-2026-01-internal.eml'], 'audit'],
    ['send', ['send', '--dry-run', '--format', 'csv', 'fixtures/send-clean.eml'], 'send'],
    ['fix', ['fix', '--dry-run', '--format', 'junit', 'fixtures/customer-list-cc.eml'], 'fix'],
    ['notify', ['notify', '--format', 'md', '--incident-file', 'x.csv', '--template', 'x.eml'], 'notify'],
    ['proxy', ['proxy', '--log', 'syslog', '--upstream', 'smtp://127.0.0.1:9'], 'proxy'],
    ['milter', ['milter', '--log', 'JSON', '--listen', 'inet:127.0.0.1:0'], 'milter'],
  ];
  it.each(cases)('%s', async (_name, args, command) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Allowed choices are ${formatChoices(command).join(', ')}.`);
  });
});

describe('each format of each command runs', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'mailguard-formats-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** What each format's output looks like, enough to tell one from another. */
  const looksLike: Record<string, (out: string) => void> = {
    human: (out) => {
      expect(out).not.toMatch(/^\s*[{<]/);
      expect(out).not.toContain('\u001b[');
    },
    json: (out) => expect(JSON.parse(out)).toHaveProperty('version'),
    // A BOM first, so spreadsheet programs read it as UTF-8.
    csv: (out) => expect(out.replace(/^\ufeff/, '').split('\n')[0]).toMatch(/^[a-z_]+(,[a-z_]+)+\r?$/i),
    sarif: (out) => expect(JSON.parse(out)).toMatchObject({ version: '2.1.0' }),
    github: (out) => expect(out).toMatch(/^::(error|warning|notice) /m),
    junit: (out) => expect(out).toMatch(/^<\?xml [^>]*\?>\s*<testsuites/),
  };

  const runs: Array<[FormatCommand, string[], number]> = [
    ['check', ['check', ...POLICY, 'fixtures/customer-list-cc.eml', 'fixtures/clean-internal.eml'], 1],
    ['audit', ['audit', ...POLICY, 'fixtures/customer-list-cc.eml', 'fixtures/clean-internal.eml'], 1],
    ['send', ['send', '--dry-run', ...POLICY, '--on-violation', 'bcc', 'fixtures/send-exposed.eml', 'fixtures/send-clean.eml'], 0],
    ['fix', ['fix', '--dry-run', ...POLICY, 'fixtures/customer-list-cc.eml', 'fixtures/clean-internal.eml'], 0],
  ];
  for (const [command, args, code] of runs) {
    it.each(formatChoices(command))(`${command} --format %s`, async (format) => {
      const r = await runCli([...args, '--format', format]);
      expect(r.code, r.stderr).toBe(code);
      looksLike[format]!(r.stdout);
      // Recipients are masked wherever the command masks by default.
      if (command !== 'check' || ['sarif', 'github', 'junit'].includes(format)) expect(r.stdout).not.toMatch(/\b(ann|ben|cy)@/);
    });
  }

  it.each(formatChoices('notify'))('notify --format %s (--dry-run)', async (format) => {
    const csv = path.join(tmp, 'people.csv');
    const template = path.join(tmp, 'notice.eml');
    await writeFile(csv, 'address,internal\r\nann.lee@alpha.test,false\r\nben.ray@beta.test,false\r\n');
    await writeFile(template, 'From: DPO <dpo@corp.example>\r\nSubject: About our email\r\n\r\nWe are sorry.\r\n');
    const r = await runCli(['notify', '--dry-run', '--incident-file', csv, '--template', template, '--format', format, ...POLICY]);
    expect(r.code, r.stderr).toBe(0);
    looksLike[format]!(r.stdout);
    expect(r.stdout).toContain('a***@alpha.test');
    expect(r.stdout).not.toContain('ann.lee@alpha.test');
  });

  /** Starts a daemon with its --log format and returns its first log line (the "listening" event). */
  async function firstLogLine(args: string[]): Promise<string> {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line; stderr: ${err}`)), 15_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl !== -1) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.on('close', () => reject(new Error(`exited; stderr: ${err}`)));
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    return line;
  }

  it.each([
    ['proxy', ['proxy', '--listen', '127.0.0.1:0', '--upstream', 'smtp://127.0.0.1:9']],
    ['milter', ['milter', '--listen', 'inet:127.0.0.1:0']],
  ] as const)('%s --log human and json: the same event, as text and as one JSON object', async (command, args) => {
    expect(formatChoices(command)).toEqual(['human', 'json']);
    const human = await firstLogLine([...args, '--log', 'human']);
    const json = await firstLogLine([...args, '--log', 'json']);
    // The upstream on port 9 is down: the proxy warns before it says it listens.
    expect(human).toMatch(/^\d{4}-\d\d-\d\dT\S+Z (listening on|warning: )/);
    const event = JSON.parse(json) as { event: string; time: string };
    expect(['listening', 'warning']).toContain(event.event);
    expect(human.startsWith(event.time.slice(0, 4))).toBe(true);
  });
});
