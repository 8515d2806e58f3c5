// The commands mailguard suggests are written the way it was started: `npx mailguard fix ...`
// from a project's node_modules/.bin (npx, npm scripts), `mailguard fix ...` from a link on PATH.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptSuggestions, invocationName } from '../../src/cli/program-name.js';
import { BIN, FIXTURES, runProcess } from '../helpers/cli.js';

describe('invocationName(argv)', () => {
  it.each([
    ['/home/u/project/node_modules/.bin/mailguard', 'npx mailguard'],
    ['/home/u/.npm/_npx/3f2a/node_modules/.bin/mailguard', 'npx mailguard'],
    ['/usr/local/bin/mailguard', 'mailguard'],
    ['/home/u/.npm-global/bin/mailguard', 'mailguard'],
    ['/home/u/mailguard/bin/mailguard.js', 'mailguard'],
    ['/home/u/project/.bin/mailguard', 'mailguard'],
  ])('%s -> %s', (script, name) => {
    expect(invocationName(['/usr/bin/node', script])).toBe(name);
  });
});

describe('adaptSuggestions(text, name)', () => {
  it.each([
    ['fix: mailguard fix draft.eml --strategy bcc', 'fix: npx mailguard fix draft.eml --strategy bcc'],
    ['Run "mailguard explain CODE" for one of them', 'Run "npx mailguard explain CODE" for one of them'],
    ['Next: mailguard check <paths>   (mailguard explain CODE explains a finding)', 'Next: npx mailguard check <paths>   (npx mailguard explain CODE explains a finding)'],
    ['Usage: mailguard check [options]', 'Usage: npx mailguard check [options]'],
    // Not a command: prose, file names, configuration keys, text already adapted.
    ['mailguard blocked this message', 'mailguard blocked this message'],
    ['written by mailguard init', 'written by npx mailguard init'],
    ['mailguard.config.json', 'mailguard.config.json'],
    ['npx mailguard fix a.eml', 'npx mailguard fix a.eml'],
    ['/opt/mailguard check', '/opt/mailguard check'],
    ['mailguard checks raw messages', 'mailguard checks raw messages'],
  ])('%s', (text, expected) => {
    expect(adaptSuggestions(text, 'npx mailguard')).toBe(expected);
  });

  it('started as mailguard: text unchanged', () => {
    expect(adaptSuggestions('fix: mailguard fix draft.eml', 'mailguard')).toBe('fix: mailguard fix draft.eml');
  });
});

describe('the built CLI started through a link', () => {
  let tmp: string;
  let local: string;
  let global: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-name-'));
    mkdirSync(path.join(tmp, 'project/node_modules/.bin'), { recursive: true });
    mkdirSync(path.join(tmp, 'prefix/bin'), { recursive: true });
    local = path.join(tmp, 'project/node_modules/.bin/mailguard');
    global = path.join(tmp, 'prefix/bin/mailguard');
    symlinkSync(BIN, local);
    symlinkSync(BIN, global);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const run = (bin: string, args: string[]) => runProcess(process.execPath, [bin, ...args], { cwd: FIXTURES, env: { ...process.env, NO_COLOR: '1' } });

  it('from node_modules/.bin (npx): fix hint, usage, error hint and explain say npx mailguard', async () => {
    const check = await run(local, ['check', 'customer-list-to.eml']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('fix: npx mailguard fix customer-list-to.eml --strategy bcc');
    const help = await run(local, ['check', '--help']);
    expect(help.stdout).toMatch(/^Usage: npx mailguard check /);
    expect(help.stdout).toContain('  npx mailguard check draft.eml\n');
    const bad = await run(local, ['check', 'customer-list-to.eml', '--rule', 'NOPE=off']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('See npx mailguard explain for the codes.');
    const explain = await run(local, ['explain', 'EXPOSED_RECIPIENTS']);
    expect(explain.stdout).toContain('npx mailguard fix FILE --strategy split');
    expect(explain.stdout).not.toMatch(/(?<!npx )mailguard fix/);
  });

  it('from a link on PATH (npm install -g, npm link): plain mailguard', async () => {
    const check = await run(global, ['check', 'customer-list-to.eml']);
    expect(check.stdout).toContain('fix: mailguard fix customer-list-to.eml --strategy bcc');
    expect(check.stdout).not.toContain('npx');
    const help = await run(global, ['check', '--help']);
    expect(help.stdout).toMatch(/^Usage: mailguard check /);
  });
});
