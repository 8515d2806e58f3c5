// Broken input, as users hand it to the built CLI: empty, missing, truncated, binary, huge,
// symlinked, piped through process substitution, deleted while being read, bad flags and bad
// configuration. Each case must give the right exit code and a clear message, never a stack
// trace, and never let an exposed message pass unchecked.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, runCli, type RunResult } from '../helpers/cli.js';
import { copyCliForOtherUsers } from '../helpers/readable-copy.js';
import { isFailure, readInputs } from '../../src/io/inputs.js';

const EXPOSED = path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml');
const CLEAN = path.join(ROOT, 'examples/outbox/team-lunch.eml');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-qa-robust-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** No stack trace and no "internal error" reached the user. */
function expectNoCrash(r: RunResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stdout).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
}

/** Runs a bash command line (process substitution, pipes) with the built CLI as $MG. */
function bash(script: string, timeoutMs = 30_000, bin = BIN, cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', MG: `${process.execPath} ${bin}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('check: inputs that are not (whole) messages', () => {
  it('/dev/null and empty stdin: exit 2, "the input is empty"', async () => {
    const dev = await runCli(['check', '/dev/null']);
    expect(dev.code).toBe(2);
    expect(dev.stdout).toContain('ERROR /dev/null');
    expect(dev.stdout).toContain('the input is empty');
    expectNoCrash(dev);
    const stdin = await runCli(['check'], { input: '' });
    expect(stdin.code).toBe(2);
    expect(stdin.stdout).toContain('the input is empty');
    expectNoCrash(stdin);
  });

  it('a missing file, a directory with no mail, a glob that matches nothing: exit 2 with the reason', async () => {
    const empty = path.join(tmp, 'no-mail');
    mkdirSync(empty);
    writeFileSync(path.join(empty, 'notes.md'), '# not mail\n');
    const r = await runCli(['check', path.join(tmp, 'missing.eml'), empty, path.join(tmp, 'nothing-*.eml'), CLEAN]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/missing\.eml\n\s+error\s+UNREADABLE_MESSAGE: not found: no such file or directory/);
    expect(r.stdout).toMatch(/no-mail\n\s+error\s+UNREADABLE_MESSAGE: not found: no mail in this directory: 1 file, none of them a message/);
    expect(r.stdout).toContain('the pattern matched no file');
    // The readable message is still checked and counted.
    expect(r.stdout).toContain(`PASS ${CLEAN}`);
    expect(r.stdout).toContain('4 messages checked: 1 pass, 0 warn, 0 block, 3 error');
    expectNoCrash(r);
  });

  it('a binary file is not a message (exit 2); a header cut off mid-field still blocks (exit 1)', async () => {
    const bin = path.join(tmp, 'random.eml');
    // Deterministic "binary": every byte value, NULs and high bytes included.
    writeFileSync(bin, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) % 256)));
    const b = await runCli(['check', bin]);
    expect(b.code).toBe(2);
    expect(b.stdout).toMatch(/ERROR .*random\.eml\n\s+error\s+UNREADABLE_MESSAGE: no header fields: this is not an RFC 5322 message/);
    expectNoCrash(b);
    const t = await runCli(['check', path.join(FIXTURES, 'qa-truncated-header.eml'), '--format', 'json']);
    expect(t.code).toBe(1);
    const codes = JSON.parse(t.stdout).results[0].findings.map((f: { code: string }) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['MALFORMED_HEADER', 'EXPOSED_RECIPIENTS']));
  });

  it('huge headers are refused within the limits, quickly, without running out of memory', async () => {
    const longLine = path.join(tmp, 'long-line.eml');
    writeFileSync(longLine, `From: a@corp.example\nX-Long: ${'a'.repeat(5 * 1024 * 1024)}\nTo: b@corp.example\n\nbody\n`);
    const manyFields = path.join(tmp, 'many-fields.eml');
    writeFileSync(manyFields, `From: a@corp.example\nTo: b@corp.example\n${Array.from({ length: 12_000 }, (_, i) => `X-F${i}: v\n`).join('')}\nbody\n`);
    const manyRcpt = path.join(tmp, 'many-recipients.eml');
    writeFileSync(manyRcpt, `From: a@corp.example\nTo: ${Array.from({ length: 30_000 }, (_, i) => `u${i}@d${i}.test`).join(',\n ')}\n\nbody\n`);
    const started = Date.now();
    const r = await runCli(['check', longLine, manyFields, manyRcpt, '--format', 'json'], { timeoutMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.code).toBe(1);
    const [a, b, c] = JSON.parse(r.stdout).results;
    expect(a.findings[0]).toMatchObject({ code: 'MALFORMED_HEADER', line: 2 });
    expect(b.findings[0]).toMatchObject({ code: 'MALFORMED_HEADER' });
    expect(c.verdict).toBe('block');
    expect(c.recipients.externalAddresses).toBe(30_000);
    expectNoCrash(r);
  }, 90_000);

  it('a file name with a newline or an escape sequence cannot forge a line of the human report', async () => {
    const dir = path.join(tmp, 'odd-names');
    mkdirSync(dir);
    copyFileSync(EXPOSED, path.join(dir, 'x.eml\nPASS all-clear.eml'));
    copyFileSync(EXPOSED, path.join(dir, '\u001b[32mgreen.eml'));
    const r = await runCli(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/^PASS/m);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('x.eml\\x0aPASS all-clear.eml (12 visible recipients');
    // The suggested command is still one line a shell runs as is.
    expect(r.stdout).toContain("fix: mailguard fix $'");
    expect(r.stdout).toContain("/x.eml\\x0aPASS all-clear.eml' --strategy bcc");
  });

  it('the human report does not suggest a fix command that fix would refuse (malformed header, resent message)', async () => {
    const resent = path.join(tmp, 'resent.eml');
    writeFileSync(resent, 'Resent-From: fwd@corp.example\nResent-To: a@one.test, b@two.test, c@three.test, d@four.test, e@five.test\nFrom: orig@corp.example\nTo: team@corp.example\nSubject: resent\n\nbody\n');
    const malformed = path.join(FIXTURES, 'qa-truncated-header.eml');
    const r = await runCli(['check', resent, malformed]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('--strategy');
    expect(r.stdout).toContain('fix: resent messages are not rewritten');
    expect(r.stdout).toContain('fix: mailguard fix does not rewrite an ambiguous or malformed header');
    // And fix does refuse both, so the advice holds.
    const fix = await runCli(['fix', resent, malformed, '--dry-run']);
    expect(fix.code).toBe(2);
    expect(fix.stdout.match(/NOT rewritten/g)).toHaveLength(2);
  });

  it('a message without From says so instead of blaming a consumer mail provider', async () => {
    const r = await runCli(['check', path.join(FIXTURES, 'qa-no-from.eml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('internal domain inferred from the sender: none');
    expect(r.stdout).not.toContain('consumer mail provider');
  });
});

describe('check: directories with symlinks (a symlinked draft must not pass unchecked)', () => {
  it('follows symlinked files and directories, reports dangling links, survives loops', async () => {
    const dir = path.join(tmp, 'linked');
    mkdirSync(path.join(dir, 'real'), { recursive: true });
    symlinkSync(EXPOSED, path.join(dir, 'a-exposed.eml'));
    copyFileSync(CLEAN, path.join(dir, 'b-clean.eml'));
    symlinkSync(path.join(tmp, 'gone.eml'), path.join(dir, 'c-dangling.eml'));
    symlinkSync(path.join(ROOT, 'examples/outbox'), path.join(dir, 'd-outbox'));
    symlinkSync('..', path.join(dir, 'real', 'loop'));
    const r = await runCli(['check', dir, '--format', 'json']);
    const doc = JSON.parse(r.stdout);
    const bySource = new Map<string, string>(doc.results.map((x: { source: string; verdict: string }) => [path.relative(dir, x.source), x.verdict]));
    expect(bySource.get('a-exposed.eml')).toBe('block');
    expect(bySource.get('b-clean.eml')).toBe('pass');
    expect(bySource.get('c-dangling.eml')).toBe('error');
    expect(bySource.get(path.join('d-outbox', 'spring-offer-to-customers.eml'))).toBe('block');
    // The loop back to `dir` is not walked again.
    expect([...bySource.keys()].filter((s) => s.includes('loop'))).toEqual([]);
    expect(r.code).toBe(2);
    expectNoCrash(r);
  });

  it('a directory holding only a symlinked exposed draft blocks (exit 1)', async () => {
    const dir = path.join(tmp, 'only-link');
    mkdirSync(dir);
    symlinkSync(EXPOSED, path.join(dir, 'draft.eml'));
    const r = await runCli(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('BLOCK');
  });
});

describe('permissions', () => {
  it('an unreadable file and an unreadable sub-directory are reported; the rest is still checked', async () => {
    const dir = path.join(tmp, 'perm');
    mkdirSync(path.join(dir, 'locked'), { recursive: true });
    copyFileSync(EXPOSED, path.join(dir, 'a-exposed.eml'));
    copyFileSync(CLEAN, path.join(dir, 'b-secret.eml'));
    copyFileSync(CLEAN, path.join(dir, 'locked', 'c.eml'));
    chmodSync(tmp, 0o755);
    chmodSync(path.join(dir, 'b-secret.eml'), 0o000);
    chmodSync(path.join(dir, 'locked'), 0o000);
    // root reads everything: drop to nobody for the run (setpriv is in util-linux). nobody may
    // not be able to enter the checkout (a private home or temp dir), so it runs a readable copy.
    const asRoot = process.getuid?.() === 0;
    const asNobody = asRoot ? 'setpriv --reuid=65534 --regid=65534 --clear-groups ' : '';
    const install = asRoot ? copyCliForOtherUsers() : undefined;
    try {
      const r = await bash(`${asNobody}$MG check ${dir} --format json; echo "status=$?" >&2`, 30_000, install ? path.join(install, 'bin/mailguard.js') : BIN, install ?? ROOT);
      expect(r.stderr).toContain('status=2');
      expectNoCrash(r);
      const results = JSON.parse(r.stdout).results as Array<{ source: string; verdict: string; findings: Array<{ message: string }> }>;
      const by = new Map(results.map((x) => [path.relative(dir, x.source), x]));
      expect(by.get('a-exposed.eml')?.verdict).toBe('block');
      expect(by.get('b-secret.eml')?.verdict).toBe('error');
      expect(by.get('b-secret.eml')?.findings[0]?.message).toContain('permission denied');
      expect(by.get('locked')?.verdict).toBe('error');
      expect(by.get('locked')?.findings[0]?.message).toContain('permission denied');
    } finally {
      chmodSync(path.join(dir, 'locked'), 0o755);
      chmodSync(path.join(dir, 'b-secret.eml'), 0o644);
      if (install) rmSync(install, { recursive: true, force: true });
    }
  });
});

describe('globs expanded by mailguard (the GitHub Action passes them quoted)', () => {
  it('a directory matched by the pattern is walked, not skipped; absolute patterns give absolute names', async () => {
    const dir = path.join(tmp, 'glob-outbox');
    mkdirSync(path.join(dir, '2026'), { recursive: true });
    copyFileSync(CLEAN, path.join(dir, 'lunch.eml'));
    copyFileSync(EXPOSED, path.join(dir, '2026', 'offer.eml'));
    const r = await runCli(['check', path.join(dir, '*'), '--format', 'json']);
    const sources = JSON.parse(r.stdout).results.map((x: { source: string }) => x.source);
    expect(sources).toEqual([path.join(dir, '2026', 'offer.eml'), path.join(dir, 'lunch.eml')]);
    expect(r.code).toBe(1);
    // `**` matches the directory and the files in it: each file is checked once.
    const all = await runCli(['check', path.join(dir, '**'), '--format', 'json']);
    expect(JSON.parse(all.stdout).summary.checked).toBe(2);
  });
});

describe('pipes and process substitution (<(...)): read once, whole', () => {
  it('check, fix, send --dry-run and audit read /dev/fd/N', async () => {
    const r = await bash(
      `$MG check <(cat ${EXPOSED}); echo "check=$?"; ` +
        `$MG fix <(cat ${EXPOSED}) 2>/dev/null | grep -q '^Bcc: Customer 1' && echo fix-ok; ` +
        `$MG send --dry-run <(cat ${CLEAN}); echo "send=$?"; ` +
        `$MG audit <(cat ${path.join(FIXTURES, 'ci-campaign.mbox')}) --format json | grep -q '"incidents": 1,' && echo audit-ok; ` +
        `$MG check <(cat ${path.join(FIXTURES, 'ci-campaign.mbox')}) --format json | grep -q '"checked": 2,' && echo mbox-ok`,
    );
    expect(r.stdout).toMatch(/BLOCK \/dev\/fd\/\d+ \(12 visible recipients/);
    expect(r.stdout).toContain('check=1');
    expect(r.stdout).toContain('fix-ok');
    expect(r.stdout).toMatch(/would send\s+\/dev\/fd\/\d+\s+2 recipients/);
    expect(r.stdout).toContain('send=0');
    expect(r.stdout).toContain('audit-ok');
    expect(r.stdout).toContain('mbox-ok');
    expect(r.stdout).not.toContain('ESPIPE');
    expectNoCrash(r);
  });

  it('stdout on a full disk: exit 2 and one clear line, no stack trace (check, audit, explain)', async () => {
    const r = await bash(
      `$MG check ${EXPOSED} >/dev/full; echo "check=$?"; $MG check ${EXPOSED} --format sarif >/dev/full; echo "sarif=$?"; ` +
        `$MG audit ${EXPOSED} >/dev/full; echo "audit=$?"; $MG explain EXPOSED_RECIPIENTS >/dev/full; echo "explain=$?"`,
    );
    expect(r.stdout.trim().split('\n')).toEqual(['check=2', 'sarif=2', 'audit=2', 'explain=2']);
    expect(r.stderr.match(/mailguard: cannot write the report to stdout: ENOSPC/g)).toHaveLength(4);
    expectNoCrash(r);
  });

  it('a reader that closes the pipe early does not turn a blocked check into exit 0', async () => {
    const mbox = path.join(tmp, 'many.mbox');
    const one = 'From: s@corp.example\nTo: a@one.test, b@two.test, c@three.test, d@four.test, e@five.test\nSubject: x\n\nbody\n';
    writeFileSync(mbox, Array.from({ length: 3000 }, () => `From MAILER-DAEMON Mon Nov  2 10:00:00 2026\n${one}\n`).join(''));
    const r = await bash(`$MG check ${mbox} --format json | head -c 10 >/dev/null; echo "status=\${PIPESTATUS[0]}"`);
    expect(r.stdout.trim()).toBe('status=1');
    expectNoCrash(r);
  });

  // The report goes to descriptor 1 directly (src/cli/output.ts). A pipe that is non-blocking
  // fills up while its reader sleeps: EAGAIN, and the rest goes through process.stdout, which
  // waits. Here the parent Node makes the pipe it shares with the child non-blocking (creating its
  // own process.stdout does that) once the child has started; the human format's colour check
  // creates the child's process.stdout, which does the same.
  it.each([['json'], ['human']])('a full non-blocking pipe gets the whole report (%s), not an error', async (format) => {
    const mbox = path.join(tmp, `many-${format}.mbox`);
    const one = 'From: s@corp.example\nTo: a@one.test, b@two.test, c@three.test\nSubject: x\n\nbody\n';
    writeFileSync(mbox, Array.from({ length: 400 }, () => `From MAILER-DAEMON Mon Nov  2 10:00:00 2026\n${one}\n`).join(''));
    const whole = await runCli(['check', mbox, '--format', format]);
    expect(whole.stdout.length).toBeGreaterThan(2 * 65536); // more than a pipe holds
    const parent = `const c = require('child_process').spawn(process.execPath, [${JSON.stringify(BIN)}, 'check', ${JSON.stringify(mbox)}, '--format', '${format}'], { stdio: 'inherit' }); c.on('spawn', () => process.stdout.write('')); c.on('exit', (code) => { process.exitCode = code; });`;
    const r = await bash(`${JSON.stringify(process.execPath)} -e ${JSON.stringify(parent).replace(/\$/g, '\\$')} | (sleep 2; wc -c); echo "status=\${PIPESTATUS[0]}"`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split(/\s+/)).toEqual([String(Buffer.byteLength(whole.stdout)), `status=${whole.code}`]);
  });
});

describe('a file deleted while the inputs are being read', () => {
  it('is reported as unreadable; the files before and after are still read', async () => {
    const dir = path.join(tmp, 'deleted');
    mkdirSync(dir);
    for (let i = 0; i < 60; i++) copyFileSync(CLEAN, path.join(dir, `m${String(i).padStart(3, '0')}.eml`));
    const items = [];
    let deleted = false;
    for await (const item of readInputs([dir], { headersOnly: true, concurrency: 4 })) {
      items.push(item);
      if (!deleted) {
        // The directory is listed and the first reads are done: remove a file further on.
        unlinkSync(path.join(dir, 'm050.eml'));
        deleted = true;
      }
    }
    expect(items).toHaveLength(60);
    const failed = items.filter(isFailure);
    expect(failed.map((f) => f.source)).toEqual([path.join(dir, 'm050.eml')]);
    expect(failed[0]!.failure.detail).toBe('no such file or directory');
  });
});

describe('usage errors and --help for every command', () => {
  const COMMANDS = ['check', 'fix', 'send', 'proxy', 'audit', 'init', 'explain'];

  it.each(COMMANDS)('%s --help: usage on stdout, exit 0, nothing on stderr', async (cmd) => {
    const r = await runCli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: mailguard ${cmd} `));
    expect(r.stderr).toBe('');
  });

  it.each(COMMANDS)('%s --no-such-flag: exit 2, the flag named on stderr, nothing on stdout', async (cmd) => {
    const r = await runCli([cmd, '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
    expect(r.stdout).toBe('');
    expectNoCrash(r);
  });

  it('sendmail --help and an unknown option use sendmail conventions (exit 0, EX_USAGE 64)', async () => {
    const help = await runCli(['sendmail', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: mailguard sendmail');
    const bad = await runCli(['sendmail', '-t', '--no-such-flag'], { input: 'To: a@corp.example\n\nx\n' });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('unknown option --no-such-flag');
    expectNoCrash(bad);
  });

  it('no command is a usage error (exit 2, usage on stderr); asking for help is not', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: mailguard');
    expect(none.stdout).toBe('');
    expect((await runCli(['help', 'no-such-command'])).code).toBe(2);
    for (const args of [['help'], ['help', 'check'], ['--help'], ['--version']]) expect((await runCli(args)).code, args.join(' ')).toBe(0);
  });

  it('a misspelt command suggests the right one', async () => {
    const r = await runCli(['chek', 'x.eml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean check?');
  });
});

describe('bad configuration files: exit 2, the file and the problem named', () => {
  it.each([
    ['invalid JSON', '{ "internalDomains": ["corp.example"],\n', /invalid JSON at line 2, column 1/],
    ['an unknown key', '{ "internalDomain": ["corp.example"] }', /unknown key "internalDomain"[\s\S]*Allowed keys: .*internalDomains/],
    ['a wrong type', '{ "warnAt": "3" }', /"warnAt" must be a whole number/],
    ['warnAt above blockAt', '{ "warnAt": 9, "blockAt": 2 }', /warnAt \(9(, from [^)]+)?\) is above blockAt \(2/],
  ])('%s', async (_name, text, message) => {
    const file = path.join(tmp, `config-${_name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, text);
    for (const cmd of [['check', CLEAN], ['fix', CLEAN, '--dry-run'], ['audit', CLEAN]]) {
      const r = await runCli([...cmd, '--config', file]);
      expect(r.code, cmd.join(' ')).toBe(2);
      // (warnAt above blockAt does not say which file set them: finding F10 in the QA notes.)
      if (!_name.startsWith('warnAt')) expect(r.stderr).toContain(path.basename(file));
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expectNoCrash(r);
    }
  });

  it('a discovered config with a bad "mailguard" key in package.json', async () => {
    const dir = path.join(tmp, 'pkg');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "x", "mailguard": 5 }');
    const r = await runCli(['check', CLEAN], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('package.json ("mailguard" key): the configuration must be a JSON object');
  });

  it('--config naming a missing file or a directory', async () => {
    const missing = await runCli(['check', CLEAN, '--config', path.join(tmp, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: no such file\.\n\s+Check the path given to --config/);
    const dir = await runCli(['check', CLEAN, '--config', tmp]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain('cannot be read');
    expectNoCrash(dir);
  });
});

describe('machine formats: stdout is only the document, even with unreadable inputs', () => {
  it.each(['json', 'sarif', 'junit', 'github'])('%s', async (format) => {
    const r = await runCli(['check', '--format', format, EXPOSED, '/dev/null', path.join(tmp, 'missing.eml'), path.join(FIXTURES, 'qa-truncated-header.eml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    if (format === 'json' || format === 'sarif') expect(() => JSON.parse(r.stdout)).not.toThrow();
    if (format === 'junit') {
      expect(r.stdout.startsWith('<?xml')).toBe(true);
      expect(r.stdout.trimEnd().endsWith('</testsuites>')).toBe(true);
    }
    if (format === 'github') {
      for (const line of r.stdout.trimEnd().split('\n')) expect(line).toMatch(/^(::(error|warning|notice) |mailguard: )/);
    }
    // Public formats mask addresses by default (json is not public: not asserted there).
    if (format !== 'json') expect(r.stdout).not.toContain('c1@customer1.test');
  });

  it('--output to a directory, a missing directory or a full disk: exit 2, nothing half-written to stdout', async () => {
    for (const out of [tmp, path.join(tmp, 'no/such/dir/r.sarif'), '/dev/full']) {
      const r = await runCli(['check', EXPOSED, '--format', 'sarif', '--output', out]);
      expect(r.code, out).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`cannot write the report to ${out}`);
      expectNoCrash(r);
    }
  });
});
