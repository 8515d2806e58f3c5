// The drop-in sendmail: the program that sends does not set the policy. A caller's arguments (a
// PHP mail() fifth argument, a script's "$@") and its working directory (a cloned repository's
// package.json, a .mailguardrc.json) never weaken the guard, choose the relay or run a program;
// only the system configuration does, and only when its owner and mode say nobody else could
// have written it. Spawns the built mailguard-sendmail against a recording SMTP sink.
import { existsSync } from 'node:fs';
import { chmod, chown, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/cli.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';
import { runSendmail, scratchDir, writeRecordingSendmail } from '../sendmail/run-sendmail.js';

const POLICY = { internalDomains: ['corp.example'], warnAt: 2, blockAt: 3 };
const EXPOSED = readFile(path.join(FIXTURES, 'sendmail-exposed.eml'));
const CLEAN = 'From: Dev <dev@corp.example>\nTo: a@x1.test\nSubject: hello\n\nline 1\n';
/** What a weaker policy in the caller's hands would look like. */
const RULES_OFF = { rules: { EXPOSED_RECIPIENTS: 'off' }, onViolation: 'warn', blockAt: 100, warnAt: 100 };

let sinks: Sink[] = [];
let scratch: { dir: string; cleanup: () => Promise<void> } | undefined;
afterEach(async () => {
  for (const s of sinks) await s.close();
  sinks = [];
  await scratch?.cleanup();
  scratch = undefined;
});

async function setup(config: object = {}): Promise<{ sink: Sink; dir: string }> {
  const sink = await startSink();
  sinks.push(sink);
  scratch = await scratchDir({ ...POLICY, smtp: sink.url, ...config });
  return { sink, dir: scratch.dir };
}

describe('caller arguments never set the policy', () => {
  const weakening: Array<[string, string[]]> = [
    ['PHP mail() fifth argument: -f x --on-violation=warn', ['-t', '-i', '-f', 'sales@corp.example', '--on-violation=warn']],
    ['--on-violation warn (separate value)', ['-t', '-i', '--on-violation', 'warn']],
    ['--rule EXPOSED_RECIPIENTS=off', ['-t', '-i', '--rule', 'EXPOSED_RECIPIENTS=off']],
    ['--block-at 100 --warn-at 100', ['-t', '-i', '--block-at=100', '--warn-at=100']],
    ['--trusted-domain for every customer', ['-t', '-i', ...[1, 2, 3, 4, 5, 6].flatMap((n) => ['--trusted-domain', `customer${n}.test`])]],
    ['--internal-domain test', ['-t', '-i', '--internal-domain', 'test']],
  ];
  it.each(weakening)('%s: still blocked (65), the option named in a warning, nothing relayed', async (_name, args) => {
    const { sink, dir } = await setup();
    const r = await runSendmail(args, { input: await EXPOSED, cwd: dir });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('blocked by policy');
    expect(r.stderr).toMatch(/ignoring --[a-z-]+: the drop-in sendmail takes its policy/);
    expect(sink.attempts).toBe(0);
  });

  it('--config naming a weaker file is ignored', async () => {
    const { sink, dir } = await setup();
    await writeFile(path.join(dir, 'weak.json'), JSON.stringify({ ...RULES_OFF, smtp: sink.url }));
    const r = await runSendmail(['-t', '-i', '--config', path.join(dir, 'weak.json')], { input: await EXPOSED, cwd: dir });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('ignoring --config');
    expect(sink.attempts).toBe(0);
  });

  it('--smtp and --via-sendmail cannot redirect delivery or run a program', async () => {
    const { sink, dir } = await setup();
    const other = await startSink();
    sinks.push(other);
    const fake = await writeRecordingSendmail(dir);
    const r = await runSendmail(['-t', '-i', '--smtp', other.url, '--via-sendmail', fake.path], { input: CLEAN, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('ignoring --smtp');
    expect(r.stderr).toContain('ignoring --via-sendmail');
    expect(sink.messages).toHaveLength(1);
    expect(other.attempts).toBe(0);
    expect(existsSync(fake.message)).toBe(false);
  });

  it('--spool cannot make mailguard write where the caller says', async () => {
    const { dir } = await setup();
    const r = await runSendmail(['-t', '-i', '--spool', path.join(dir, 'caller-spool')], { input: await EXPOSED, cwd: dir });
    expect(r.code).toBe(65);
    expect(existsSync(path.join(dir, 'caller-spool'))).toBe(false);
  });

  const afterRecipient: Array<[string, string[]]> = [
    ['--on-violation=warn after a recipient', ['-i', '-f', 'sales@corp.example', 'anna@customer1.test', '--on-violation=warn']],
    ['--rule after a recipient', ['-i', 'anna@customer1.test', '--rule', 'EXPOSED_RECIPIENTS=off']],
    ['-t after a recipient', ['-i', 'anna@customer1.test', '-t']],
  ];
  it.each(afterRecipient)('%s: a recipient (as sendmail reads it), refused as an address, nothing relayed', async (_name, args) => {
    const { sink, dir } = await setup();
    const r = await runSendmail(args, { input: await EXPOSED, cwd: dir });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/is not a recipient address/);
    expect(r.stderr).not.toContain('ignoring');
    expect(sink.attempts).toBe(0);
  });
});

describe('the working directory is not a configuration', () => {
  const files: Array<[string, string, (c: object) => string]> = [
    ['package.json "mailguard" with the rule off', 'package.json', (c) => JSON.stringify({ name: 'cloned', mailguard: c })],
    ['.mailguardrc.json', '.mailguardrc.json', (c) => JSON.stringify(c)],
    ['mailguard.config.json in a parent folder', '../mailguard.config.json', (c) => JSON.stringify(c)],
  ];
  it.each(files)('%s: ignored, the system configuration blocks', async (_name, file, write) => {
    const sink = await startSink();
    sinks.push(sink);
    scratch = await scratchDir();
    const system = path.join(scratch.dir, 'system.json');
    await writeFile(system, JSON.stringify({ ...POLICY, smtp: sink.url }));
    const cwd = path.join(scratch.dir, 'repo');
    await (await import('node:fs/promises')).mkdir(cwd);
    await writeFile(path.join(cwd, file), write({ ...RULES_OFF, smtp: sink.url }));
    const r = await runSendmail(['-t', '-i'], { input: await EXPOSED, cwd, env: { MAILGUARD_SENDMAIL_CONFIG: system } });
    expect(r.code).toBe(65);
    expect(sink.attempts).toBe(0);
  });

  it('without a system configuration, a package.json in the working directory gives no relay (78), not its settings', async () => {
    const sink = await startSink();
    sinks.push(sink);
    scratch = await scratchDir();
    await writeFile(path.join(scratch.dir, 'package.json'), JSON.stringify({ mailguard: { ...RULES_OFF, smtp: sink.url } }));
    // The fixed path /etc/mailguard/sendmail.json does not exist on the test machine.
    expect(existsSync('/etc/mailguard/sendmail.json')).toBe(false);
    const r = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: scratch.dir });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('no way to deliver');
    expect(sink.attempts).toBe(0);
  });
});

describe('the system configuration must be the administrator\'s', () => {
  it('group- or world-writable: refused with 78, nothing relayed', async () => {
    const { sink, dir } = await setup();
    for (const mode of [0o664, 0o646, 0o666]) {
      await chmod(path.join(dir, 'mailguard.config.json'), mode);
      const r = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: dir });
      expect(r.code, mode.toString(8)).toBe(78);
      expect(r.stderr).toContain('writable by group or others');
    }
    await chmod(path.join(dir, 'mailguard.config.json'), 0o644);
    expect((await runSendmail(['-t', '-i'], { input: CLEAN, cwd: dir })).code).toBe(0);
    expect(sink.messages).toHaveLength(1);
  });

  it.runIf(process.getuid?.() === 0)('owned by another user: refused with 78', async () => {
    const { sink, dir } = await setup();
    await chown(path.join(dir, 'mailguard.config.json'), 65534, 65534);
    const r = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: dir });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('owned by user 65534');
    expect(sink.attempts).toBe(0);
  });

  it('a named file that is missing, a directory or a FIFO: refused with 78', async () => {
    const { sink, dir } = await setup();
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    for (const named of [path.join(dir, 'missing.json'), dir, path.join(dir, 'fifo')]) {
      const r = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: dir, env: { MAILGUARD_SENDMAIL_CONFIG: named } });
      expect(r.code, named).toBe(78);
    }
    expect(sink.attempts).toBe(0);
  });
});
