// check's "fix:" hint names a command that runs under check's policy: the policy options check
// was given on the command line are repeated in it (src/cli/policy-options.ts, policyArguments),
// quoted for a shell. Each row runs the hint's command exactly as printed (split into words as a
// shell would, no shell), checks its output again with check's options, and finds no exposed
// list left; the rows marked `without` also run the command with the options left out, and show
// that fix then does something else, so the row fails if the hint drops them. The built CLI,
// spawned as a user runs it, in a folder of its own (no configuration found but the one named).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { shellWords } from '../helpers/shell-words.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-fix-hint-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** n addresses, each at an organisation of its own. */
const orgs = (n: number) => Array.from({ length: n }, (_, i) => `p${i}@p${i}-org.example`);

interface CheckJson {
  results: Array<{ verdict: string; findings: Array<{ code: string; severity: string }> }>;
}

interface Row {
  name: string;
  /** The header's recipient fields (From is sender@corp.example). */
  to: string[];
  /** The options check is given (and the re-check of fix's output). */
  check: string[];
  /** What the hint's command must end with: the strategy and the policy options, quoted. */
  hint: string;
  /** An address that must stay in To after the fix (internal under check's policy). */
  staysInTo?: string;
  /** Files the row needs, relative to its folder. */
  files?: Record<string, string>;
  /** The row fails when the options are left out: the output, checked with check's options, still blocks or shows it in Bcc. */
  without?: true;
}

const ROWS: Row[] = [
  {
    // Told: corp.example and its subdomains are internal, so staff@mail.corp.example stays in To.
    // Left out: the domain is inferred from the sender, exactly corp.example, and staff@ moves to Bcc.
    name: 'an internal domain with a subdomain the inference does not count',
    to: ['staff@mail.corp.example', ...orgs(6)],
    check: ['--internal-domain', 'corp.example'],
    hint: '--strategy bcc --internal-domain corp.example',
    staysInTo: 'staff@mail.corp.example',
    without: true,
  },
  {
    name: 'two internal domains, given comma-separated',
    to: ['staff@corp2.example', ...orgs(6)],
    check: ['--internal-domain', 'corp.example,corp2.example'],
    hint: '--strategy bcc --internal-domain corp.example --internal-domain corp2.example',
    staysInTo: 'staff@corp2.example',
    without: true,
  },
  {
    // A sensitive list is split (never Bcc): the command says where the copies go.
    name: 'a sensitive list',
    to: orgs(2),
    check: ['--sensitive', '--internal-domain', 'corp.example'],
    hint: '--strategy split -o - --internal-domain corp.example --sensitive',
  },
  {
    name: 'a configuration file whose path has spaces',
    to: ['staff@mail.corp.example', ...orgs(2)],
    check: ['--config', 'my policy/mail guard.json'],
    hint: "--strategy bcc --config 'my policy/mail guard.json'",
    staysInTo: 'staff@mail.corp.example',
    files: { 'my policy/mail guard.json': JSON.stringify({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 2 }) },
    without: true,
  },
  {
    // Two organisations pass by default: left out, fix leaves the message as it is.
    name: 'a block threshold below the default',
    to: orgs(2),
    check: ['--block-at', '2', '--internal-domain', 'corp.example'],
    hint: '--strategy bcc --internal-domain corp.example --block-at 2',
    without: true,
  },
  {
    // Every other policy option, in addPolicyOptions' order; the options that do not change the
    // policy (--format, --no-color, --jobs, --quiet, --max-warnings, --redact) are not repeated.
    name: 'every other policy option, and options that are not policy',
    to: ['ann@partner.example', ...orgs(4)],
    check: [
      '--no-body-scan', '--rule', 'BCC_HEADER_PRESENT=off', '--block-addresses-at', '4', '--warn-addresses-at', '3',
      '--public-list', '*@lists.example', '--body-min-addresses', '5', '--trusted-domain', 'partner.example', '--internal-domain', 'corp.example',
      '--format', 'human', '--no-color', '--jobs', '1', '--max-warnings', '3', '--redact',
    ],
    hint: "--strategy bcc --internal-domain corp.example --trusted-domain partner.example --warn-addresses-at 3 --block-addresses-at 4 --public-list '*@lists.example' --rule BCC_HEADER_PRESENT=off --body-min-addresses 5 --no-body-scan",
    staysInTo: 'ann@partner.example',
  },
];

/** Runs `mailguard ...words` in `cwd` and returns what it wrote to stdout: the fixed draft, or an mbox of the split copies. */
async function runPrinted(words: string[], cwd: string): Promise<string> {
  expect(words[0]).toBe('mailguard');
  const run = await runCli(words.slice(1), { cwd });
  expect(run.code, `${words.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

/** The results of checking `file` with check's options (JSON). */
async function recheck(file: string, options: string[], cwd: string): Promise<CheckJson['results']> {
  const policyOnly = options.filter((o, i) => !['--format', '--jobs', '--max-warnings'].includes(o) && !['--format', '--jobs', '--max-warnings'].includes(options[i - 1] ?? ''));
  const run = await runCli(['check', file, ...policyOnly, '--format', 'json'], { cwd });
  expect(run.code, run.stderr).not.toBe(2);
  return (JSON.parse(run.stdout) as CheckJson).results;
}

const exposed = (results: CheckJson['results']) => results.some((r) => r.verdict === 'block' || r.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS' && f.severity === 'error'));
/** The To field of a draft (unfolded). */
const toField = (draft: string) => /^To:(.*(?:\r?\n[ \t].*)*)/m.exec(draft)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';

describe("check's fix hint repeats check's policy options", () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const dir = path.join(tmp, row.name.replace(/\W+/g, '-'));
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(row.files ?? {})) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    writeFileSync(path.join(dir, 'draft.eml'), `From: sender@corp.example\r\nTo: ${row.to.join(', ')}\r\nSubject: s\r\nMessage-ID: <m@corp.example>\r\n\r\nHello.\r\n`);

    const check = await runCli(['check', 'draft.eml', ...row.check], { cwd: dir });
    expect(check.code, check.stdout + check.stderr).toBe(1);
    const hints = check.stdout.split('\n').filter((l) => l.trim().startsWith('fix:'));
    expect(hints, check.stdout).toHaveLength(1);
    const printed = hints[0]!.trim().slice('fix:'.length).trim();
    expect(printed).toBe(`mailguard fix draft.eml ${row.hint}`);

    // Run as printed: its output, checked with check's options, shows no exposed list.
    const words = shellWords(printed);
    const out = await runPrinted(words, dir);
    const fixedFile = path.join(dir, words.includes('split') ? 'fixed.mbox' : 'fixed.eml');
    writeFileSync(fixedFile, out);
    const results = await recheck(fixedFile, row.check, dir);
    expect(results.length).toBeGreaterThan(0);
    expect(exposed(results), JSON.stringify(results)).toBe(false);
    if (row.staysInTo !== undefined) expect(toField(out)).toContain(row.staysInTo);

    if (row.without) {
      // The same command without the options: fix decides under another policy, and what it writes
      // is not what the hint promised (an internal address moved to Bcc, or the list left in To).
      const strategyEnd = words.indexOf('--strategy') + 2;
      const bare = await runPrinted(words.slice(0, strategyEnd), dir);
      const bareFile = path.join(dir, 'bare.eml');
      writeFileSync(bareFile, bare);
      const broken = exposed(await recheck(bareFile, row.check, dir)) || (row.staysInTo !== undefined && !toField(bare).includes(row.staysInTo));
      expect(broken, 'the options made no difference: this row does not show that the hint needs them').toBe(true);
    }
  });
});

// The other way round: when mailguard fix cannot cure a message, its hint names the check command
// that shows where, with the policy options fix was given (src/cli/actions/fix.ts). Each row runs
// fix, takes the command from its hint, runs it exactly as printed, and finds fix's verdict; the
// same command without the options reaches another verdict, so the row fails if the hint drops them.
interface FixRow {
  name: string;
  /** The header fields after From (sender@corp.example). */
  fields: string;
  /** fix's options (policy and not); the check command must repeat exactly the policy ones. */
  fix: string[];
  /** The printed command after `mailguard check `. */
  command: string;
  /** fix's verdict, which the printed command must report. */
  verdict: 'WARN' | 'BLOCK';
  files?: Record<string, string>;
  /** Read from stdin (`fix -`): the printed command is run with the same message on stdin. */
  stdin?: true;
}

const FIX_ROWS: FixRow[] = [
  {
    // The rewrite's output still shows the Reply-To list, which blocks at 2 organisations.
    name: 'still exposed under a block threshold below the default',
    fields: `To: ${orgs(2).join(', ')}\r\nReply-To: r0@r0-org.example, r1@r1-org.example`,
    fix: ['--internal-domain', 'corp.example', '--block-at', '2', '--dry-run'],
    command: 'draft.eml --internal-domain corp.example --block-at 2',
    verdict: 'BLOCK',
  },
  {
    // A warning-level list only in Keywords: no rewrite hides anyone (exposure-unchanged).
    name: 'a Keywords list under a warn threshold below the default',
    fields: `To: staff@corp.example\r\nKeywords: ${orgs(2).join(', ')}`,
    fix: ['--warn-at', '2', '--internal-domain', 'corp.example', '-o', 'out.eml'],
    command: 'draft.eml --internal-domain corp.example --warn-at 2',
    verdict: 'WARN',
  },
  {
    name: 'a configuration file whose path has spaces',
    fields: `To: ${orgs(2).join(', ')}\r\nX-Recipients: x0@x0-org.example, x1@x1-org.example`,
    fix: ['--config', 'my policy/mail guard.json', '--dry-run', '--format', 'json'],
    command: "draft.eml --config 'my policy/mail guard.json'",
    verdict: 'BLOCK',
    files: { 'my policy/mail guard.json': JSON.stringify({ internalDomains: ['corp.example'], warnAt: 2, blockAt: 2 }) },
  },
  {
    name: 'a sensitive list split, with a Reply-To left',
    fields: `To: ${orgs(1).join(', ')}\r\nReply-To: r0@r0-org.example, r1@r1-org.example`,
    fix: ['--strategy', 'split', '-o', 'copies/', '--sensitive', '--internal-domain', 'corp.example'],
    command: 'draft.eml --internal-domain corp.example --sensitive',
    verdict: 'BLOCK',
  },
  {
    name: 'a message on stdin',
    fields: `To: staff@corp.example\r\nComments: ${orgs(2).join(', ')}`,
    fix: ['-', '--warn-at', '2', '--internal-domain', 'corp.example'],
    command: '- --internal-domain corp.example --warn-at 2 (with the same message on stdin)',
    verdict: 'WARN',
    stdin: true,
  },
];

describe("fix's hint to check repeats fix's policy options", () => {
  it.each(FIX_ROWS.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const dir = path.join(tmp, `fix-${row.name.replace(/\W+/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(row.files ?? {})) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const draft = `From: sender@corp.example\r\n${row.fields}\r\nSubject: s\r\nMessage-ID: <m@corp.example>\r\n\r\nHello.\r\n`;
    writeFileSync(path.join(dir, 'draft.eml'), draft);
    const input = row.stdin ? { input: draft } : {};

    const fix = await runCli(['fix', ...(row.stdin ? [] : ['draft.eml']), ...row.fix], { cwd: dir, ...input });
    // Refused: the exit code that means "could not fix", and nothing written.
    expect(fix.code, fix.stdout + fix.stderr).toBe(2);
    // (-o DIR is created before the messages are decided: it stays empty.)
    const written = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name !== 'draft.eml' && !(path.join(path.relative(dir, e.parentPath), e.name) in (row.files ?? {})));
    expect(written.map((e) => e.name)).toEqual([]);
    const text = row.fix.includes('json') ? ((JSON.parse(fix.stdout) as { results: Array<{ hint?: string }> }).results[0]!.hint ?? '') : fix.stdout + fix.stderr;
    const printed = / run: (mailguard check .*)$/m.exec(text)?.[1];
    expect(printed, text).toBe(`mailguard check ${row.command}`);

    // Run as printed: the verdict fix reached.
    const words = shellWords(printed!.replace(/ \(with the same message on stdin\)$/, ''));
    expect(words[0]).toBe('mailguard');
    const check = await runCli(words.slice(1), { cwd: dir, ...input });
    expect(check.stdout.split('\n')[0], check.stdout + check.stderr).toMatch(new RegExp(`^${row.verdict} `));
    // Without the policy options: another verdict.
    const bare = await runCli(words.slice(1, 3), { cwd: dir, ...input });
    expect(bare.stdout.split('\n')[0], 'the options made no difference: this row does not show that the hint needs them').not.toMatch(new RegExp(`^${row.verdict} `));
  });
});
