// The registry of output formats: every command's choices, its formatters, the help lines and the
// README's table come from one table, and an unknown name is a usage error that lists the choices.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCheckArgs } from '../../src/cli/check-args.js';
import { MailguardError } from '../../src/errors.js';
import { FORMAT_OPTION, formatChoices, formatsHelp, formatsMarkdown, formatsOf, formatterFor, OUTPUT_FORMATS, type FormatCommand } from '../../src/report/formats.js';
import { CHECK_STREAMS } from '../../src/report/check-streams.js';
import { FORMATTERS, PUBLIC_FORMATS, STREAM_FORMATTERS } from '../../src/report/index.js';
import { ROOT } from '../helpers/cli.js';

const COMMANDS = Object.keys(FORMAT_OPTION) as FormatCommand[];
const EXPECTED: Record<FormatCommand, string[]> = {
  check: ['human', 'json', 'sarif', 'github', 'junit'],
  audit: ['human', 'json', 'csv'],
  send: ['human', 'json'],
  fix: ['human', 'json'],
  notify: ['human', 'json'],
  proxy: ['human', 'json'],
  milter: ['human', 'json'],
};

describe('the registry', () => {
  it.each(COMMANDS)('%s offers exactly its formats, human first (the default)', (command) => {
    expect(formatChoices(command)).toEqual(EXPECTED[command]);
  });

  it('names are unique, each has a one-line description and is offered by some command', () => {
    const names = OUTPUT_FORMATS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of OUTPUT_FORMATS) {
      expect(f.description).toMatch(/^\S.{10,70}$/);
      expect(Object.keys(f.commands).length).toBeGreaterThan(0);
    }
  });

  it('machine formats are the ones a script reads; only human has colour', () => {
    expect(OUTPUT_FORMATS.filter((f) => !f.machine).map((f) => f.name)).toEqual(['human']);
  });

  it("check's formatter table and its masked-by-default formats are the registry's", () => {
    expect(Object.keys(FORMATTERS)).toEqual(EXPECTED.check);
    for (const name of EXPECTED.check) expect(FORMATTERS[name]).toBe(formatterFor('check', name));
    expect([...PUBLIC_FORMATS].sort()).toEqual(['github', 'junit', 'sarif']);
  });

  it.each([
    ['send', 'sarif'],
    ['fix', 'csv'],
    ['proxy', 'junit'],
    ['check', 'csv'],
    ['milter', 'xml'],
    ['send', ''],
    ['fix', 'JSON'],
  ] as const)('%s has no format "%s": a usage error naming the choices', (command, name) => {
    let error: unknown;
    try {
      formatterFor(command, name);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MailguardError);
    expect((error as MailguardError).code).toBe('EUSAGE');
    expect((error as MailguardError).message).toContain(`"${name}"`);
    expect((error as MailguardError).hint).toBe(`Choose one of: ${formatChoices(command).join(', ')}.`);
  });

  it('audit and notify are registered by name and write their formats themselves', () => {
    for (const f of formatsOf('audit')) expect(f.commands.audit).toBe('own');
    for (const f of formatsOf('notify')) expect(f.commands.notify).toBe('own');
    expect(() => formatterFor('send', 'csv')).toThrow(MailguardError);
  });

  it('every other offer is a function', () => {
    for (const command of ['check', 'send', 'fix', 'proxy', 'milter'] as const) {
      for (const name of formatChoices(command)) expect(typeof formatterFor(command, name)).toBe('function');
    }
  });
});

describe('the check fast path takes the same --format names', () => {
  it.each(EXPECTED.check)('--format %s is read without commander', (name) => {
    expect(parseCheckArgs(['--format', name, 'a.eml'])?.flags.format).toBe(name);
    expect(parseCheckArgs([`--format=${name}`])?.flags.format).toBe(name);
  });

  it.each(['csv', 'xml', 'JSON', ''])('--format %j goes to commander (which names the choices)', (name) => {
    expect(parseCheckArgs(['--format', name, 'a.eml'])).toBeUndefined();
  });
});

describe('help and README text', () => {
  it.each(COMMANDS)('%s: one help line per format, with its description', (command) => {
    const lines = formatsHelp(command).split('\n').filter((l) => l.startsWith('  '));
    expect(lines.map((l) => l.trim().split(/\s+/)[0])).toEqual(EXPECTED[command]);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it("the proxy's and milter's help say a log line, not a document", () => {
    expect(formatsHelp('proxy')).toContain('one JSON object per event');
    expect(formatsHelp('check')).toContain('one JSON document with a version field');
  });

  it("README.md's table of formats is the registry's (MAILGUARD_UPDATE_DOCS=1 rewrites it)", async () => {
    const file = path.join(ROOT, 'README.md');
    const readme = await readFile(file, 'utf8');
    const block = /(<!-- formats:start[^>]*-->\n)([\s\S]*?)(\n<!-- formats:end -->)/.exec(readme);
    expect(block, 'README.md has no <!-- formats:start --> ... <!-- formats:end --> block').not.toBeNull();
    if (process.env.MAILGUARD_UPDATE_DOCS === '1' && block![2] !== formatsMarkdown()) {
      await writeFile(file, readme.replace(block![0], `${block![1]}${formatsMarkdown()}${block![3]}`));
      return;
    }
    expect(block![2]).toBe(formatsMarkdown());
  });
});

describe('streamed check formats', () => {
  it('every check format of the registry can also be written result by result (the CLI streams them)', () => {
    expect(Object.keys(STREAM_FORMATTERS).sort()).toEqual(formatChoices('check').sort());
  });

  it('the CLI\'s table (formatters loaded on use) loads the registry\'s formatter and masks the public formats', async () => {
    expect(Object.keys(CHECK_STREAMS).sort()).toEqual(Object.keys(STREAM_FORMATTERS).sort());
    for (const [name, entry] of Object.entries(CHECK_STREAMS)) {
      expect(await entry.load(), name).toBe(STREAM_FORMATTERS[name]);
      expect(entry.masked, name).toBe(PUBLIC_FORMATS.has(name));
    }
  });
});
