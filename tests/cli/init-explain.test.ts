// mailguard init and mailguard explain through the built CLI.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FINDING_CODES } from '../../src/findings.js';
import { BIN, FIXTURES, runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh git repository whose user.email is `email` (none when undefined). HOME points inside,
 * so the developer's global git config cannot leak in. */
async function repo(email: string | undefined): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-init-'));
  dirs.push(dir);
  const env = { HOME: dir, XDG_CONFIG_HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(dir, '.gitconfig') };
  execFileSync('git', ['init', '-q'], { cwd: dir, env: { ...process.env, ...env } });
  if (email !== undefined) execFileSync('git', ['config', 'user.email', email], { cwd: dir, env: { ...process.env, ...env } });
  return { dir, env };
}

describe('mailguard init', () => {
  it.each([['gmail.com'], ['btinternet.com'], ['onmicrosoft.com'], ['co.uk']])('refuses --internal-domain %s (exit 2) and writes nothing', async (domain) => {
    const { dir, env } = await repo(undefined);
    const r = await runCli(['init', '--internal-domain', 'corp.example', '--internal-domain', domain, '--yes'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/internalDomains: ".*" is a (consumer mail provider|hosting domain|public suffix)/);
    await expect(readFile(path.join(dir, 'mailguard.config.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('guesses the internal domain from git user.email, writes a config check accepts, refuses to overwrite', async () => {
    const { dir, env } = await repo('dev@mail.corp-example.co.uk');
    const r = await runCli(['init'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('corp-example.co.uk');
    expect(r.stderr).toContain('Next: mailguard check <paths>');
    const file = path.join(dir, 'mailguard.config.json');
    const text = await readFile(file, 'utf8');
    const config = JSON.parse(text);
    expect(config.internalDomains).toEqual(['corp-example.co.uk']);
    expect(config['//'].join('\n')).toMatch(/git config user\.email/);

    // The written file is the config check finds and uses: the guessed domain is internal.
    await writeFile(path.join(dir, 'm.eml'), 'From: a@corp-example.co.uk\nTo: b@sales.corp-example.co.uk, c@x.test, d@y.test, e@z.test\n\n');
    const check = await runCli(['check', 'm.eml', '--format', 'json'], { cwd: dir, env });
    const doc = JSON.parse(check.stdout);
    expect(doc.results[0].internalDomains).toEqual(['corp-example.co.uk']);
    expect(doc.results[0].internalDomainsInferred).toBe(false);
    expect(doc.results[0].findings.map((f: { code: string; severity: string }) => [f.code, f.severity])).toEqual([['EXPOSED_RECIPIENTS', 'warning']]);

    const again = await runCli(['init', '--internal-domain', 'other.example'], { cwd: dir, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists.*does not overwrite/);
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  // A mailguard.config.json written beside a .mailguardrc.json (or a package.json section) was
  // read in its place: the defaults it holds replaced the stricter file without a word.
  it.each([
    ['.mailguardrc.json', '.mailguardrc.json', '{ "blockAt": 2, "warnAt": 2 }'],
    ['a package.json section', 'package.json', '{ "name": "x", "mailguard": { "blockAt": 2, "warnAt": 2 } }'],
  ])('does not write a second configuration beside %s', async (_, name, text) => {
    const { dir, env } = await repo('dev@corp.example');
    await writeFile(path.join(dir, name), text);
    const r = await runCli(['init', '--yes'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${name} is a mailguard configuration already; mailguard init does not write a second one beside it.`);
    await expect(readFile(path.join(dir, 'mailguard.config.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('a consumer-provider email is not an organisation: no domain guessed, none asked without a terminal', async () => {
    const { dir, env } = await repo('someone@gmail.com');
    const r = await runCli(['init'], { cwd: dir, env });
    expect(r.code).toBe(0);
    const config = JSON.parse(await readFile(path.join(dir, 'mailguard.config.json'), 'utf8'));
    expect(config.internalDomains).toEqual([]);
    expect(config['//'].join('\n')).toMatch(/none set/);
  });

  it('--internal-domain wins over the guess; -o writes elsewhere; bad domains are refused', async () => {
    const { dir, env } = await repo('dev@corp.example');
    const r = await runCli(['init', '--internal-domain', 'Corp.Example,@partner-owned.example', '-o', 'custom.json'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, 'custom.json'), 'utf8')).internalDomains).toEqual(['corp.example', 'partner-owned.example']);
    // check does not discover custom.json: the next step names it.
    expect(r.stderr).toContain('Next: mailguard check --config custom.json <paths>');
    const bad = await runCli(['init', '--internal-domain', 'not a domain', '-o', 'bad.json'], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"not a domain" is not a domain name');
  });
});

describe('mailguard init on a terminal', () => {
  it('asks for the internal domains when none can be guessed', async () => {
    const { dir, env } = await repo(undefined);
    // util-linux `script` gives the CLI a pseudo-terminal, as a developer's shell would.
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} init`, '/dev/null'], { cwd: dir, env: { ...process.env, ...env, NO_COLOR: '1' } });
    let out = '';
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('Internal domains') && !child.stdin.writableEnded) child.stdin.end('corp.example, Other.Example\n');
    });
    const code = await done;
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(out).toContain('Internal domains (comma-separated');
    const config = JSON.parse(await readFile(path.join(dir, 'mailguard.config.json'), 'utf8'));
    expect(config.internalDomains).toEqual(['corp.example', 'other.example']);
    expect(config['//'].join('\n')).toMatch(/as answered/);
  });
});

describe('mailguard explain', () => {
  it.each(FINDING_CODES.map((c) => [c]))('%s: meaning, why it matters, how to fix', async (code) => {
    const r = await runCli(['explain', code]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`${code}: `)).toBe(true);
    for (const heading of ['What it means', 'Why it matters', 'How to fix it']) expect(r.stdout).toContain(heading);
  });

  it('accepts lower case and dashes', async () => {
    const r = await runCli(['explain', 'bcc-header-present']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^BCC_HEADER_PRESENT: /);
  });

  it('an unknown code exits 2 and lists the codes', async () => {
    const r = await runCli(['explain', 'EXPOSED']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('unknown finding code "EXPOSED"');
    for (const code of FINDING_CODES) expect(r.stderr).toContain(code);
  });

  it('without a code lists them all, exit 0', async () => {
    const r = await runCli(['explain']);
    expect(r.code).toBe(0);
    for (const code of FINDING_CODES) expect(r.stdout).toContain(code);
  });

  it('the codes a check reports can all be explained', async () => {
    const r = await runCli(['check', path.join(FIXTURES, 'ci-several-findings.eml'), '--format', 'json']);
    for (const f of JSON.parse(r.stdout).results[0].findings) expect((await runCli(['explain', f.code])).code).toBe(0);
  });
});
