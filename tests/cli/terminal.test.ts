// Colour is decided once, in the CLI, from flags and environment; the human formatters get a
// chalk instance (or false) and stay pure.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, createReport } from '../../src/index.js';
import { loadColors } from '../../src/cli/terminal.js';
import { formatHuman } from '../../src/report/human.js';
import { ROOT } from '../helpers/cli.js';

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;

describe('loadColors(flag, stream, env) (chalk imported on use)', () => {
  it.each([
    ['a pipe, no variables', undefined, pipe, {}, 0],
    ['a TTY', undefined, tty, {}, 1],
    ['a TTY with NO_COLOR=1', undefined, tty, { NO_COLOR: '1' }, 0],
    ['a TTY with NO_COLOR empty (ignored, as no-color.org says)', undefined, tty, { NO_COLOR: '' }, 1],
    ['a TTY with --no-color', false, tty, {}, 0],
    ['a pipe with FORCE_COLOR=1', undefined, pipe, { FORCE_COLOR: '1' }, 1],
    ['a pipe with FORCE_COLOR empty', undefined, pipe, { FORCE_COLOR: '' }, 1],
    ['a pipe with FORCE_COLOR=3', undefined, pipe, { FORCE_COLOR: '3' }, 3],
    ['a TTY with FORCE_COLOR=0', undefined, tty, { FORCE_COLOR: '0' }, 0],
    ['a TTY with FORCE_COLOR=false', undefined, tty, { FORCE_COLOR: 'false' }, 0],
    ['FORCE_COLOR=1 and NO_COLOR=1: NO_COLOR wins', undefined, pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }, 0],
    ['FORCE_COLOR=1 and --no-color: the flag wins', false, pipe, { FORCE_COLOR: '1' }, 0],
  ] as const)('%s: level %i', async (_name, flag, stream, env, level) => {
    const c = await loadColors(flag, stream, env);
    if (level === 0) expect(c).toBe(false);
    else expect((c as ChalkInstance).level).toBe(level);
  });
});

describe('formatHuman with a chalk painter', () => {
  const policy = createPolicy({ internalDomains: ['corp.example'] });
  const exposed = checkMessage(readFileSync(path.join(ROOT, 'examples/outbox/spring-offer-to-customers.eml')), policy, { source: 'draft.eml' });
  const clean = checkMessage(Buffer.from('From: a@corp.example\r\nTo: b@corp.example\r\nSubject: s\r\n\r\nhi\r\n'), policy, { source: 'lunch.eml' });
  const report = createReport([exposed, clean]);

  it('level 1: verdicts in red bold / green with the basic SGR codes', () => {
    const text = formatHuman(report, { redact: true, color: new Chalk({ level: 1 }) });
    expect(text).toContain('\u001b[31m\u001b[1mBLOCK\u001b[22m\u001b[39m');
    expect(text).toContain('\u001b[32mPASS\u001b[39m');
    expect(text).toContain('\u001b[2m');
  });

  it.each([[false as const], [new Chalk({ level: 0 })]])('no colour (%#): not one escape, same words', (color) => {
    const text = formatHuman(report, { redact: true, color });
    expect(text).not.toContain('\u001b');
    expect(text).toMatch(/^BLOCK draft\.eml/m);
    expect(text).toMatch(/^PASS lunch\.eml/m);
  });
});
