// The `mailguard check` fast path: reads the argv of a plain check exactly as commander would,
// without loading commander (its files and node:child_process are about a tenth of a cold start,
// bench scenario 5). It understands only the common spellings below; anything else (help, an
// unknown or misspelt flag, `--`, `-fjson`, a missing or bad value, a value that starts with a
// dash) returns undefined, and main.ts hands the argv to commander, which then prints the same
// usage error or help as always. So the fast path never reports an error of its own, and its
// flags equal commander's: tests/cli/check-args.test.ts compares both over many combinations.

import type { CheckFlags } from './commands/check.js';
import { collect, collectDomains, parseCount } from './policy-options.js';

// These mirror the options of commands/check.ts and addPolicyOptions (policy-options.ts): a flag
// added there and not here only means that flag goes through commander.
const FORMATS = new Set(['human', 'json', 'sarif', 'github', 'junit']);
const INPUTS = new Set(['eml', 'mbox', 'smtp', 'json']);

type Flags = CheckFlags & Record<string, unknown>;
type ValueFlag = (flags: Flags, value: string) => boolean;

const set =
  (key: string, parse: (value: string) => unknown = (v) => v): ValueFlag =>
  (flags, value) => {
    flags[key] = parse(value);
    return true;
  };
const choice =
  (key: string, choices: Set<string>): ValueFlag =>
  (flags, value) => {
    if (!choices.has(value)) return false;
    flags[key] = value;
    return true;
  };
const accumulate =
  (key: string, parse: (value: string, previous: string[] | undefined) => string[]): ValueFlag =>
  (flags, value) => {
    flags[key] = parse(value, flags[key] as string[] | undefined);
    return true;
  };

/** Flags that take a value: `--name value` or `--name=value` (and the short form's `-x value`). */
const VALUE_FLAGS: Record<string, ValueFlag> = {
  '--format': choice('format', FORMATS),
  '--output': set('output'),
  '--input': choice('input', INPUTS),
  '--max-warnings': set('maxWarnings', parseCount('--max-warnings', 0)),
  '--config': set('config'),
  '--internal-domain': accumulate('internalDomain', collectDomains('--internal-domain')),
  '--trusted-domain': accumulate('trustedDomain', collectDomains('--trusted-domain')),
  '--warn-at': set('warnAt', parseCount('--warn-at')),
  '--block-at': set('blockAt', parseCount('--block-at')),
  '--rule': accumulate('rule', collect),
  '--body-min-addresses': set('bodyMinAddresses', parseCount('--body-min-addresses')),
  '--jobs': set('jobs', parseCount('--jobs')),
};
const SHORT: Record<string, string> = { '-f': '--format', '-o': '--output', '-c': '--config', '-q': '--quiet', '-j': '--jobs' };

/** Flags without a value, and what each sets. */
const SWITCHES: Record<string, [string, boolean]> = {
  '--quiet': ['quiet', true],
  '--redact': ['redact', true],
  '--no-redact': ['redact', false],
  '--no-color': ['color', false],
  '--sensitive': ['sensitive', true],
  '--no-body-scan': ['bodyScan', false],
};

/**
 * The paths and flags of `mailguard check ARGS`, as commander would give them to the action, or
 * undefined when the arguments need commander (anything unusual, and every error).
 */
export function parseCheckArgs(args: readonly string[]): { paths: string[]; flags: CheckFlags } | undefined {
  // commander's defaults: --format's, and `true` for a negatable flag defined only as --no-*.
  const flags: Flags = { format: 'human', color: true, bodyScan: true };
  const paths: string[] = [];
  try {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '-' || !arg.startsWith('-')) {
        paths.push(arg);
        continue;
      }
      const name = SHORT[arg] ?? arg;
      const sw = SWITCHES[name];
      if (sw) {
        flags[sw[0]] = sw[1];
        continue;
      }
      const eq = name.startsWith('--') ? name.indexOf('=') : -1;
      const flagName = eq === -1 ? name : name.slice(0, eq);
      const apply = VALUE_FLAGS[flagName];
      if (!apply) return undefined;
      let value: string | undefined;
      if (eq !== -1) value = name.slice(eq + 1);
      else {
        value = args[++i];
        // A missing value is a usage error; one that starts with a dash is left to commander too.
        if (value === undefined || value.startsWith('-')) return undefined;
      }
      if (!apply(flags, value)) return undefined;
    }
  } catch {
    // A value parser refused the value: commander runs the same parser and reports it.
    return undefined;
  }
  return { paths, flags };
}
