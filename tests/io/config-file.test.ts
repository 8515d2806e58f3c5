// Discovery of the configuration (src/io/config-file.ts): one configuration per directory, and a
// package.json read only through its "mailguard" section. A second file, a misspelt section or a
// package.json without one fell back to other settings (the defaults) without a word.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import { loadConfig } from '../../src/io/config-file.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh directory holding `files` (name -> text), with a project/ below it. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-config-'));
  dirs.push(dir);
  await mkdir(path.join(dir, 'project'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function refusal(options: Parameters<typeof loadConfig>[0]): Promise<string> {
  try {
    await loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(MailguardError);
    expect((err as MailguardError).code).toBe('ECONFIG');
    return (err as Error).message;
  }
  throw new Error('accepted');
}

const STRICT = '{ "blockAt": 2, "warnAt": 2 }';
const LAX = '{ "internalDomains": ["corp.example"] }';

describe('loadConfig: one configuration per directory', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ['mailguard.config.json beside .mailguardrc.json', { 'mailguard.config.json': LAX, '.mailguardrc.json': STRICT }, /mailguard\.config\.json and \.mailguardrc\.json are both mailguard configurations; only mailguard\.config\.json would be read/],
    ['mailguard.config.json beside a package.json section', { 'mailguard.config.json': LAX, 'package.json': `{ "name": "x", "mailguard": ${STRICT} }` }, /mailguard\.config\.json and package\.json are both/],
    ['.mailguardrc.json beside a package.json section', { '.mailguardrc.json': LAX, 'package.json': `{ "mailguard": ${STRICT} }` }, /\.mailguardrc\.json and package\.json are both/],
    ['all three', { 'mailguard.config.json': LAX, '.mailguardrc.json': STRICT, 'package.json': `{ "mailguard": ${STRICT} }` }, /mailguard\.config\.json and \.mailguardrc\.json and package\.json are both/],
  ])('refuses %s, naming both', async (_, files, message) => {
    const dir = await tree(files);
    expect(await refusal({ cwd: dir })).toMatch(message);
  });

  it.each([['mailGuard'], ['MailGuard'], ['MAILGUARD']])('refuses a package.json section named %s (found or named)', async (key) => {
    const dir = await tree({ 'package.json': `{ "name": "x", "${key}": ${STRICT} }`, 'mailguard.config.json': LAX });
    // Below the lax file's directory, the package.json of a nearer directory with the misspelt key.
    await writeFile(path.join(dir, 'project', 'package.json'), `{ "${key}": ${STRICT} }`);
    expect(await refusal({ cwd: path.join(dir, 'project') })).toContain(`"${key}" is not read; mailguard's section is "mailguard"`);
    expect(await refusal({ cwd: dir, configPath: 'project/package.json' })).toContain(`"${key}" is not read`);
  });

  it('refuses a package.json named with --config that has no mailguard section', async () => {
    const dir = await tree({ 'package.json': '{ "name": "x" }' });
    expect(await refusal({ cwd: dir, configPath: 'package.json' })).toBe('package.json: no "mailguard" section.');
  });

  it('still reads one configuration, a package.json section, a parent directory, and a file beside a broken package.json', async () => {
    const one = await tree({ '.mailguardrc.json': STRICT });
    expect((await loadConfig({ cwd: one })).config.policy).toEqual({ blockAt: 2, warnAt: 2 });
    const pkg = await tree({ 'package.json': `{ "name": "x", "mailguard": ${STRICT} }` });
    expect((await loadConfig({ cwd: pkg })).config.policy).toEqual({ blockAt: 2, warnAt: 2 });
    // A package.json without a section is passed over: the parent's configuration applies.
    const up = await tree({ 'mailguard.config.json': STRICT });
    await writeFile(path.join(up, 'project', 'package.json'), '{ "name": "app" }');
    expect((await loadConfig({ cwd: path.join(up, 'project') })).config.policy).toEqual({ blockAt: 2, warnAt: 2 });
    const broken = await tree({ 'mailguard.config.json': STRICT, 'package.json': '{ "name": ' });
    expect((await loadConfig({ cwd: broken })).config.policy).toEqual({ blockAt: 2, warnAt: 2 });
    expect((await loadConfig({ cwd: broken, configPath: 'mailguard.config.json' })).config.policy).toEqual({ blockAt: 2, warnAt: 2 });
  });
});
