// The package as users get it: `npm pack` of a copy of the package's files with the dist/ this
// test run built (global setup; a second tsup build with declarations cost ~20 s of CPU), the
// tarball installed in an empty folder from npm's cache, then the CLI through npx, ESM import and
// CommonJS require of each entry, publint and arethetypeswrong on the tarball, and the production
// dependency tree. Plain `npm pack`, whose prepare script builds dist/ as pre-commit runs it, is
// tests/package/pre-commit.slow.test.ts (npm run test:slow); npm's stdout with a prepare script
// that prints is checked here on a small package with this repository's .npmrc.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runProcess } from '../helpers/cli.js';

const ENTRIES = [
  ['mailguard', ['checkMessage', 'createPolicy', 'parseAddressList', 'rewriteToBcc', 'MailguardError']],
  ['mailguard/nodemailer', ['mailguard', 'ExposedRecipientsError', 'guardMailData']],
  ['mailguard/smtp', ['startProxy', 'hashPassword', 'parseAuthFile']],
  ['mailguard/milter', ['startMilter', 'parseMilterListen', 'formatListen']],
] as const;

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; files: string[] };
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

let tmp: string;
let checkout: string;
let app: string;
let tarball: string;
let packStdout: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-pack-'));
  checkout = path.join(tmp, 'checkout');
  mkdirSync(checkout);
  for (const part of [...pkg.files, 'package.json', '.npmrc']) {
    cpSync(path.join(ROOT, part), path.join(checkout, part), { recursive: true });
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
  // dist/ is already built: --ignore-scripts skips prepare's rebuild.
  const packed = await runProcess('npm', ['pack', '--ignore-scripts'], { cwd: checkout, env: NPM_ENV, timeoutMs: 300_000 });
  expect(packed.code, packed.stderr).toBe(0);
  packStdout = packed.stdout;
  tarball = path.join(checkout, packStdout.trim());
  app = path.join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  // npm's cache holds every dependency after `npm ci`; the registry is asked only for what is missing.
  const installed = await runProcess('npm', ['install', '--prefer-offline', '--omit=dev', tarball], { cwd: app, env: NPM_ENV, timeoutMs: 300_000 });
  expect(installed.code, installed.stderr).toBe(0);
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm pack', () => {
  it('prints only the tarball name on stdout (pre-commit reads it as the file to install)', async () => {
    expect(packStdout).toBe(`${pkg.name}-${pkg.version}.tgz\n`);
    // With a prepare script that prints (ours runs tsup), as plain `npm pack` runs it: this
    // repository's .npmrc keeps the script's output off stdout.
    const probe = path.join(tmp, 'prepare-probe');
    mkdirSync(probe);
    cpSync(path.join(ROOT, '.npmrc'), path.join(probe, '.npmrc'));
    writeFileSync(path.join(probe, 'index.js'), '');
    writeFileSync(path.join(probe, 'package.json'), JSON.stringify({ name: 'prepare-probe', version: '1.0.0', files: ['index.js'], scripts: { prepare: 'echo prepare banner on stdout' } }));
    const packed = await runProcess('npm', ['pack'], { cwd: probe, env: NPM_ENV });
    expect(packed.code, packed.stderr).toBe(0);
    expect(packed.stdout).toBe('prepare-probe-1.0.0.tgz\n');
  });

  it('ships LICENSE, README, bins and both builds with their types; no sources, tests or stale chunks', async () => {
    const list = await runProcess('tar', ['tzf', tarball]);
    const files = list.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of ['LICENSE', 'README.md', 'SECURITY.md', 'package.json', 'bin/mailguard.js', 'bin/mailguard-sendmail.js']) expect(files).toContain(f);
    for (const [name] of ENTRIES) {
      const base = name === 'mailguard' ? 'index' : name.slice('mailguard/'.length);
      for (const ext of ['.js', '.cjs', '.d.ts', '.d.cts']) expect(files).toContain(`dist/${base}${ext}`);
    }
    expect(files.filter((f) => /^(src|tests|fixtures|bench|scripts)\//.test(f))).toEqual([]);
    // Every chunk in the tarball is one this build made (clean: true).
    const built = new Set(readdirSync(path.join(checkout, 'dist')).map((f) => `dist/${f}`));
    expect(files.filter((f) => f.startsWith('dist/') && !built.has(f))).toEqual([]);
    expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} mailguard contributors/);
  });

  it('publint (strict) and arethetypeswrong find nothing', async () => {
    const publint = await runProcess(path.join(ROOT, 'node_modules/.bin/publint'), ['--strict', checkout], { cwd: checkout, env: NPM_ENV, timeoutMs: 60_000 });
    expect(publint.code, publint.stdout + publint.stderr).toBe(0);
    expect(publint.stdout).not.toMatch(/Errors:|Warnings:/);
    const attw = await runProcess(path.join(ROOT, 'node_modules/.bin/attw'), [tarball, '--profile', 'node16', '--format', 'json'], { timeoutMs: 60_000 });
    expect(attw.code, attw.stdout.slice(0, 2000)).toBe(0);
    // node10 (TypeScript's moduleResolution "node") cannot see subpath exports; the node16 profile ignores it.
    const problems = Object.values(JSON.parse(attw.stdout).problems as Record<string, Array<{ resolutionKind?: string }>>).flat();
    expect(problems.filter((p) => p.resolutionKind !== 'node10')).toEqual([]);
  });
});

describe('the tarball installed in an empty folder', () => {
  it('npx mailguard check: blocks the exposed draft (exit 1), passes the clean one (exit 0)', async () => {
    const exposed = await runProcess('npx', ['--no-install', 'mailguard', 'check', path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml')], { cwd: app, env: { ...NPM_ENV, NO_COLOR: '1' } });
    expect(exposed.code, exposed.stderr).toBe(1);
    expect(exposed.stdout).toMatch(/^BLOCK .*spring-offer-to-customers\.eml/m);
    const clean = await runProcess('npx', ['--no-install', 'mailguard', 'check', path.join(ROOT, 'examples/outbox/team-lunch.eml')], { cwd: app, env: { ...NPM_ENV, NO_COLOR: '1' } });
    expect(clean.code, clean.stderr).toBe(0);
    // With the check bundle's code cache on (off in the rest of the tests): made, then used.
    const cacheHome = path.join(tmp, 'cache-home');
    for (let i = 0; i < 2; i++) {
      const cached = await runProcess('npx', ['--no-install', 'mailguard', 'check', path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml')], { cwd: app, env: { ...NPM_ENV, NO_COLOR: '1', MAILGUARD_NO_COMPILE_CACHE: undefined, XDG_CACHE_HOME: cacheHome } });
      expect({ code: cached.code, stdout: cached.stdout }).toEqual({ code: exposed.code, stdout: exposed.stdout });
    }
    if (!('enableCompileCache' in Module)) expect(readdirSync(path.join(cacheHome, 'mailguard'))).toHaveLength(1);
    const sendmail = await runProcess(path.join(app, 'node_modules/.bin/mailguard-sendmail'), ['--help'], { cwd: app });
    expect(sendmail.code).toBe(0);
  });

  it.each(ENTRIES)('%s: ESM import and CommonJS require expose the same names', async (name, names) => {
    const esm = await runProcess(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m).sort()))`], { cwd: app });
    expect(esm.code, esm.stderr).toBe(0);
    const cjs = await runProcess(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)})).sort()))`], { cwd: app });
    expect(cjs.code, cjs.stderr).toBe(0);
    const esmNames = JSON.parse(esm.stdout) as string[];
    expect(JSON.parse(cjs.stdout)).toEqual(esmNames.filter((n) => n !== 'module.exports'));
    for (const n of names) expect(esmNames).toContain(n);
  });

  it('CommonJS: a nodemailer-style script checks a draft with require("mailguard")', async () => {
    const script = `
      const { checkMessage, createPolicy } = require('mailguard');
      const { mailguard } = require('mailguard/nodemailer');
      const fs = require('fs');
      const policy = createPolicy({ internalDomains: ['corp.example'] });
      const r = checkMessage(fs.readFileSync(process.argv[1]), policy, { source: 'draft.eml' });
      console.log(r.verdict, r.findings.map((f) => f.code).join(','), typeof mailguard());`;
    const r = await runProcess(process.execPath, ['-e', script, path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml')], { cwd: app });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('block EXPOSED_RECIPIENTS function');
  });

  it('production install: only the declared dependencies and theirs; mailparser is not one', async () => {
    const ls = await runProcess('npm', ['ls', '--all', '--omit=dev', '--parseable'], { cwd: app, env: NPM_ENV });
    const dirs = ls.stdout.trim().split('\n').slice(1).map((d) => path.relative(path.join(app, 'node_modules'), d));
    expect(dirs).not.toContain('mailparser');
    // smtp-server pins an exact nodemailer (10.6.0 in smtp-server 3.21.6); it gets its own copy
    // when ours is newer. No other package brings one (mailparser did, with its own exact pin).
    expect(dirs.filter((d) => d.endsWith('nodemailer')).filter((d) => d !== 'nodemailer' && d !== 'smtp-server/node_modules/nodemailer')).toEqual([]);
    expect(dirs.filter((d) => !d.includes('/node_modules/')).sort()).toEqual(expect.arrayContaining(['mailguard', ...Object.keys(pkg.dependencies)].sort()));
    expect(existsSync(path.join(app, 'node_modules/mailguard/dist/index.cjs'))).toBe(true);
  });

  it('no unused dependency: the built code imports every package in "dependencies"', () => {
    const dist = path.join(app, 'node_modules/mailguard/dist');
    const code = readdirSync(dist).filter((f) => /\.c?js$/.test(f)).map((f) => readFileSync(path.join(dist, f), 'utf8')).join('\n');
    for (const dep of Object.keys(pkg.dependencies)) {
      expect(code, dep).toMatch(new RegExp(`(from |import\\(|require\\w*\\()["']${dep.replace(/[/.]/g, '\\$&')}(/[^"']*)?["']`));
    }
  });
});
