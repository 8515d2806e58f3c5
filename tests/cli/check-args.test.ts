// The `mailguard check` fast path (src/cli/check-args.ts) against commander: for every argv the
// fast path accepts, commander must give the action the same paths and flags; and the built CLI
// must print the same and exit the same with the fast path on and off (MAILGUARD_NO_FAST_PATH=1),
// errors and help included.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCheckArgs } from '../../src/cli/check-args.js';
import { buildProgram } from '../../src/cli/program.js';
import { FIXTURES, runCli } from '../helpers/cli.js';

/** What commander hands the check action for `mailguard check ...args`, or the error it throws. */
async function commanderParse(args: string[]): Promise<{ paths: string[]; flags: Record<string, unknown> } | { error: string }> {
  const program = buildProgram();
  const silent = { writeOut: () => {}, writeErr: () => {} };
  program.configureOutput(silent);
  const check = program.commands.find((c) => c.name() === 'check')!;
  check.configureOutput(silent);
  let captured: { paths: string[]; flags: Record<string, unknown> } | undefined;
  check.action((paths: string[], flags: Record<string, unknown>) => {
    captured = { paths, flags: { ...flags } };
  });
  try {
    await program.parseAsync(['node', 'mailguard', 'check', ...args]);
  } catch (err) {
    return { error: (err as Error).message };
  }
  return captured ?? { error: 'no action' };
}

// Every flag of check, good and bad values, both spellings, and things only commander handles.
const piece = fc.constantFrom<string[]>(
  ['draft.eml'], ['outbox/'], ['-'], ['a b.eml'], ['*.eml'],
  ['--format', 'json'], ['-f', 'sarif'], ['--format=github'], ['--format', 'jsn'], ['-fjson'], ['--format'], ['--format='],
  ['--output', 'out.txt'], ['-o', 'r.json'], ['--output=x'], ['--output', '-x'], ['--output='],
  ['--input', 'mbox'], ['--input=smtp'], ['--input', 'pdf'],
  ['--max-warnings', '0'], ['--max-warnings', '3'], ['--max-warnings=07'], ['--max-warnings', '-1'], ['--max-warnings', 'x'],
  ['-q'], ['--quiet'], ['--quiet=yes'], ['--redact'], ['--no-redact'], ['--no-color'], ['--color'],
  ['-c', 'mailguard.config.json'], ['--config=other.json'],
  ['--internal-domain', 'corp.example'], ['--internal-domain', 'a.example,b.example'], ['--internal-domain=c.example'], ['--internal-domain', ','], ['--internal-domain', ' '],
  ['--trusted-domain', 'partner.example'], ['--trusted-domain', ''],
  ['--warn-at', '2'], ['--warn-at', '0'], ['--block-at', '4'], ['--block-at=9'], ['--block-at', '1.5'],
  ['--sensitive'], ['--rule', 'BCC_HEADER_PRESENT=off'], ['--rule=EXPOSED_RECIPIENTS=error,X=y'], ['--rule', ''],
  ['--body-min-addresses', '5'], ['--body-min-addresses', '0'], ['--no-body-scan'], ['--body-scan'],
  ['--'], ['-h'], ['--help'], ['-V'], ['--unknown'], ['-x'], ['--format', 'json', '--format', 'human'],
);

describe('check fast path: the same paths and flags as commander', () => {
  it('on the documented examples', async () => {
    for (const args of [
      ['draft.eml'],
      ['outbox/', '--internal-domain', 'corp.example', '--format', 'json'],
      ['-', '--sensitive'],
      ['one.eml', '--internal-domain', 'corp.example', '--format', 'json'],
    ]) {
      const fast = parseCheckArgs(args);
      expect(fast, args.join(' ')).toBeDefined();
      expect({ paths: fast!.paths, flags: { ...fast!.flags } }).toStrictEqual(await commanderParse(args));
    }
  });

  it('on 3,000 generated argument lists: whenever the fast path takes one, commander agrees', async () => {
    let taken = 0;
    let declined = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 7 }), async (pieces) => {
        const args = pieces.flat();
        const fast = parseCheckArgs(args);
        if (fast === undefined) {
          declined++;
          return;
        }
        taken++;
        expect({ paths: fast.paths, flags: { ...fast.flags } }).toStrictEqual(await commanderParse(args));
      }),
      { numRuns: 3_000 },
    );
    // Both ways are exercised: most plain lists take the fast path, the odd ones go to commander.
    expect(taken).toBeGreaterThan(300);
    expect(declined).toBeGreaterThan(300);
  });

  it.each([
    [['--help']], [['-h']], [['--', '-x.eml']], [['-fjson', 'x.eml']], [['--format', 'jsn', 'x.eml']], [['--unknown', 'x.eml']],
    [['x.eml', '--format']], [['x.eml', '--output', '-o']], [['--max-warnings', 'x', 'x.eml']], [['--internal-domain', ',', 'x.eml']],
  ])('declines %j (commander reports it)', (args) => {
    expect(parseCheckArgs(args)).toBeUndefined();
  });
});

describe('the built CLI prints and exits the same with the fast path on and off', () => {
  const fixture = (name: string) => path.join(FIXTURES, name);
  const cases: string[][] = [
    [fixture('ambiguous-unclosed-quote.eml'), '--format', 'json'],
    [fixture('bcc-present.eml'), '--internal-domain', 'corp.example', '--format', 'json'],
    [fixture('bcc-present.eml'), '--internal-domain=corp.example', '-f', 'sarif', '--no-redact'],
    [FIXTURES, '--format', 'junit', '-q', '--rule', 'BCC_HEADER_PRESENT=off'],
    [FIXTURES, '--warn-at', '2', '--block-at', '3', '--no-body-scan', '--format=github'],
    [fixture('body-csv-attachment.eml'), '--body-min-addresses', '3', '--sensitive', '--no-color'],
    [fixture('bcc-present.eml'), '--max-warnings', '0', '--redact'],
    [fixture('bcc-present.eml'), '--warn-at', '6', '--block-at', '2'],
    [fixture('bcc-present.eml'), '--rule', 'NOPE=off'],
    [fixture('bcc-present.eml'), '--config', 'missing.json'],
    ['no-such-file.eml', '--format', 'json'],
    ['--format', 'jsn', fixture('bcc-present.eml')],
    ['--help'],
  ];
  it.each(cases)('mailguard check %s ...', async (...args) => {
    const fast = await runCli(['check', ...args]);
    const slow = await runCli(['check', ...args], { env: { MAILGUARD_NO_FAST_PATH: '1' } });
    expect(fast.code).toBe(slow.code);
    expect(fast.stdout).toBe(slow.stdout);
    expect(fast.stderr).toBe(slow.stderr);
  });
});
