// policyArguments (src/cli/policy-options.ts) turns the policy flags back into command-line words
// for the commands mailguard prints (check's fix hint): parsed again by fix, they give the flags
// they were made from, every policy option addPolicyOptions defines included, so a new option
// that is not repeated fails here.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addPolicyOptions, policyArguments, type PolicyFlags } from '../../src/cli/policy-options.js';
import { buildProgram } from '../../src/cli/program.js';

/** The flags commander hands `mailguard fix` for `args`. */
async function fixFlags(args: string[]): Promise<Record<string, unknown>> {
  const program = buildProgram();
  const fix = program.commands.find((c) => c.name() === 'fix')!;
  let flags: Record<string, unknown> = {};
  fix.action((_paths: string[], f: Record<string, unknown>) => {
    flags = { ...f };
  });
  await program.parseAsync(['node', 'mailguard', 'fix', 'draft.eml', ...args]);
  return flags;
}

const POLICY_KEYS = addPolicyOptions(new Command()).options.map((o) => o.attributeName());
const policyOf = (flags: Record<string, unknown>) => Object.fromEntries(POLICY_KEYS.filter((k) => flags[k] !== undefined).map((k) => [k, flags[k]]));

// Each row: the policy options as a user gives them (any spelling), and the words printed.
const ROWS: Array<[string, string[], string[]]> = [
  ['nothing', [], []],
  ['defaults of the negatable flag', ['--format', 'json'], []],
  ['comma-separated domains, one word each', ['--internal-domain', 'a.example, b.example', '--trusted-domain=p.example'], ['--internal-domain', 'a.example', '--internal-domain', 'b.example', '--trusted-domain', 'p.example']],
  [
    'every policy option, out of order',
    ['--no-body-scan', '--body-min-addresses', '7', '--rule', 'BCC_HEADER_PRESENT=off,INTERNAL_DOMAIN_INFERRED=error', '--sensitive', '--public-list', '*@l.example', '--block-addresses-at', '30', '--warn-addresses-at', '12', '--block-at', '6', '--warn-at', '4', '--trusted-domain', 'p.example', '--internal-domain', 'c.example', '-c', 'my config.json'],
    ['--config', 'my config.json', '--internal-domain', 'c.example', '--trusted-domain', 'p.example', '--warn-at', '4', '--block-at', '6', '--warn-addresses-at', '12', '--block-addresses-at', '30', '--public-list', '*@l.example', '--sensitive', '--rule', 'BCC_HEADER_PRESENT=off', '--rule', 'INTERNAL_DOMAIN_INFERRED=error', '--body-min-addresses', '7', '--no-body-scan'],
  ],
  ['a configuration path that begins with a dash', ['--config=-odd.json'], ['--config=-odd.json']],
];

describe('policyArguments', () => {
  it.each(ROWS)('%s', async (_name, given, words) => {
    const flags = await fixFlags(given);
    expect(policyArguments(flags as PolicyFlags)).toEqual(words);
    expect(policyOf(await fixFlags(words))).toEqual(policyOf(flags));
  });

  it('repeats every option addPolicyOptions defines', async () => {
    const row = ROWS.find(([name]) => name === 'every policy option, out of order')!;
    const printed = new Set(policyArguments((await fixFlags(row[1])) as PolicyFlags).filter((w) => w.startsWith('--')));
    const defined = addPolicyOptions(new Command()).options.map((o) => o.long!);
    expect(defined.filter((long) => !printed.has(long))).toEqual([]);
  });
});
