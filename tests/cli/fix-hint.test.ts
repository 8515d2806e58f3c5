// The "fix:" hint of check's human report and what `mailguard fix` then does must agree, for every
// shape of exposure: a hint that names `mailguard fix FILE --strategy S` is a command that
// rewrites the message (exit 0) into output that no longer blocks for an exposed list; a hint that
// says fix will not rewrite it is one fix refuses (exit 2). Both come from one decision
// (src/decide/fix.ts); each row fails if the report and the command drift apart. The built CLI,
// spawned as a user runs it.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { policyArguments } from '../../src/cli/policy-options.js';
import { runCli } from '../helpers/cli.js';
import { shellWords } from '../helpers/shell-words.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-fix-hint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** n addresses, each at an organisation of its own. */
const orgs = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`);
/** n addresses at one organisation. */
const oneOrg = (n: number, tag = 'm') => Array.from({ length: n }, (_, i) => `${tag}${i}@one-org.example`);
const list = (xs: string[]) => xs.join(', ');

/** `left`: the rewrite hides only part of the list; the hint's `then:` line names what stays. */
type Expected = { strategy: 'bcc' | 'split'; left?: RegExp } | { refused: RegExp };

// Each row: the header (From and To included), extra policy flags, and what the hint must say:
// the strategy of the command it names, or why fix does not rewrite the message.
const ROWS: Array<[string, string, string[], Expected]> = [
  ['plain exposed To list', `From: sender@corp.example\r\nTo: ${list(orgs(6))}`, [], { strategy: 'bcc' }],
  ['exposed list in Cc', `From: sender@corp.example\r\nTo: staff@corp.example\r\nCc: ${list(orgs(6))}`, [], { strategy: 'bcc' }],
  ['list in Apparently-To', `From: sender@corp.example\r\nTo: staff@corp.example\r\nApparently-To: ${list(orgs(6))}`, [], { strategy: 'bcc' }],
  ['a warning-level list (3 organisations)', `From: sender@corp.example\r\nTo: ${list(orgs(3))}`, [], { strategy: 'bcc' }],
  ['ambiguous header (unclosed quote)', `From: sender@corp.example\r\nTo: "Unclosed <${orgs(1)[0]}>, ${list(orgs(6, 'q'))}`, [], { refused: /ambiguous or malformed header/ }],
  ['malformed header (a line that is no field)', `From: sender@corp.example\r\nTo: ${list(orgs(6))}\r\nDa`, [], { refused: /ambiguous or malformed header/ }],
  ['list in X-Recipients, To internal', `From: sender@corp.example\r\nTo: staff@corp.example\r\nX-Recipients: ${list(orgs(6))}`, [], { refused: /the list in X-Recipients is not in a recipient field/ }],
  ['list in X-Recipients and in To', `From: sender@corp.example\r\nTo: ${list(orgs(6, 'a'))}\r\nX-Recipients: ${list(orgs(6))}`, [], { refused: /the list in X-Recipients is not in a recipient field/ }],
  ['Resent-To list', `Resent-From: fwd@corp.example\r\nResent-To: ${list(orgs(6))}\r\nFrom: orig@corp.example\r\nTo: team@corp.example`, [], { refused: /resent messages are not rewritten/ }],
  ['list in Reply-To left after the rewrite', `From: sender@corp.example\r\nReply-To: ${list(orgs(5, 'r'))}\r\nTo: ${list(orgs(6))}`, [], { refused: /the list in Reply-To stays after a rewrite/ }],
  ['addresses in From display names left after the rewrite', `From: "${list(orgs(5, 'd'))}" <sender@corp.example>\r\nTo: ${list(orgs(6))}`, [], { refused: /the list in From stays after a rewrite/ }],
  ['several authors left after the rewrite', `From: ${list(orgs(5, 'w'))}\r\nSender: sender@corp.example\r\nTo: ${list(orgs(6))}`, [], { refused: /the list in From stays after a rewrite/ }],
  // What stays after the rewrite is below both thresholds: fix cleans the message.
  ['Reply-To below the threshold once To is gone', `From: sender@corp.example\r\nReply-To: ${list(orgs(2, 'r'))}\r\nTo: ${list(orgs(3))}`, [], { strategy: 'bcc' }],
  // Blocked by organisations (To: 5), while what stays is 25 addresses of one organisation: the
  // rewrite's output blocks by addresses, so fix refuses although one organisation is left.
  ['blocked by parties, left blocks by addresses', `From: sender@corp.example\r\nReply-To: ${list(oneOrg(25))}\r\nTo: ${list(orgs(5))}`, [], { refused: /the list in Reply-To stays after a rewrite/ }],
  // Blocked by addresses (30 of one organisation), what stays is 24 addresses of it: below 25,
  // still a warning (10 or more), which the hint names as left to edit by hand.
  ['blocked by addresses, left below it', `From: sender@corp.example\r\nReply-To: ${list(oneOrg(24))}\r\nTo: ${list(oneOrg(6, 'n'))}`, [], { strategy: 'bcc', left: /^then: the list in Reply-To stays/ }],
  ['sensitive list: split', `From: sender@corp.example\r\nTo: ${list(orgs(2))}`, ['--sensitive'], { strategy: 'split' }],
  // A warning-level list only in fields no rewrite moves: fix would hide nobody, so it refuses (exit 2).
  ['warning-level list only in Keywords', `From: sender@corp.example\r\nTo: staff@corp.example\r\nKeywords: ${list(orgs(3))}`, [], { refused: /the list in Keywords is not in a recipient field: a rewrite to Bcc or a split moves nobody out of view/ }],
  ['warning-level list only in Comments', `From: sender@corp.example\r\nTo: staff@corp.example\r\nComments: ${list(orgs(3))}`, [], { refused: /the list in Comments is not in a recipient field: a rewrite to Bcc or a split moves nobody/ }],
  ['warning-level list only in X-Recipients', `From: sender@corp.example\r\nTo: staff@corp.example\r\nX-Recipients: ${list(orgs(3))}`, [], { refused: /the list in X-Recipients is not in a recipient field: a rewrite to Bcc or a split moves nobody/ }],
  ['warning-level list only in Reply-To', `From: sender@corp.example\r\nReply-To: ${list(orgs(3, 'r'))}\r\nTo: staff@corp.example`, [], { refused: /the list in Reply-To is not in a recipient field: a rewrite to Bcc or a split moves nobody/ }],
  ['To recipient also listed in Keywords', `From: sender@corp.example\r\nTo: p0@p0-org.example\r\nKeywords: ${list(orgs(3))}`, [], { refused: /the list in Keywords is not in a recipient field/ }],
  // bcc helps partly: it cleans To, and the hint names the Keywords list left to edit by hand.
  ['To list and a Keywords list', `From: sender@corp.example\r\nTo: ${list(orgs(2, 't'))}\r\nKeywords: ${list(orgs(3))}`, [], { strategy: 'bcc', left: /^then: the list in Keywords stays \(no rewrite moves it\)/ }],
  ['blocked To list and a warning-level Comments list', `From: sender@corp.example\r\nTo: ${list(orgs(6, 't'))}\r\nComments: ${list(orgs(3))}`, [], { strategy: 'bcc', left: /^then: the list in Comments stays/ }],
  ['sensitive list with a Reply-To left', `From: sender@corp.example\r\nReply-To: ${list(orgs(2, 'r'))}\r\nTo: ${list(orgs(2))}`, ['--sensitive'], { refused: /the list in Reply-To stays after a rewrite/ }],
];

interface FixJson {
  results: Array<{ action: string; hint?: string; outputs: Array<{ path?: string }> }>;
}
interface CheckJson {
  results: Array<{ verdict: string; findings: Array<{ code: string; severity: string }> }>;
}

describe('check\'s fix hint and what mailguard fix does agree', () => {
  it.each(ROWS)('%s', async (name, fields, flags, expected) => {
    const stem = name.replace(/\W+/g, '-');
    const file = path.join(tmp, `${stem}.eml`);
    writeFileSync(file, `${fields}\r\nSubject: s\r\nMessage-ID: <m@corp.example>\r\n\r\nHello.\r\n`);
    const policy = ['--internal-domain', 'corp.example', ...flags];

    const check = await runCli(['check', file, ...policy]);
    expect(check.code, check.stdout + check.stderr).not.toBe(2);
    const hints = check.stdout.split('\n').filter((l) => l.trim().startsWith('fix:'));
    expect(hints, check.stdout).toHaveLength(1);
    const hint = hints[0]!.trim();
    const command = /^fix: mailguard fix (\S+) --strategy (bcc|split)(?: -o -)? (.*)$/.exec(hint);

    if (command) {
      // The row says which strategy; the command must name this very file, and check's policy.
      expect('strategy' in expected && expected.strategy, hint).toBe(command[2]);
      // What the rewrite leaves in view, on a line of its own (none when it hides the whole list).
      const then = check.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('then:'));
      if ('strategy' in expected && expected.left) {
        expect(then, check.stdout).toHaveLength(1);
        expect(then[0]).toMatch(expected.left);
      } else expect(then, check.stdout).toEqual([]);
      expect(command[1]).toBe(file);
      expect(shellWords(command[3]!)).toEqual(policyArguments(flags.includes('--sensitive') ? { internalDomain: ['corp.example'], sensitive: true } : { internalDomain: ['corp.example'] }));
      // The printed command as it is (its -o moved to a folder, and its plan as JSON).
      const out = path.join(tmp, `${stem}-out`);
      const fix = await runCli([...shellWords(hint.slice('fix: mailguard '.length)), '-o', `${out}/`, '--format', 'json']);
      expect(fix.code, `the hint says "${hint}", fix says: ${fix.stdout}${fix.stderr}`).toBe(0);
      const result = (JSON.parse(fix.stdout) as FixJson).results[0]!;
      expect(result.action).toBe('rewritten');
      // fix says the same of what stays.
      if ('strategy' in expected && expected.left) expect(result.hint).toMatch(/^The list in \S+ stays \(no rewrite moves it\)/);
      else expect(result.hint).toBeUndefined();
      // Its output no longer blocks for an exposed list (checked as the user would: the copies in -o).
      const copies = readdirSync(out).map((f) => path.join(out, f));
      expect(copies.length).toBeGreaterThan(0);
      for (const copy of copies) {
        const after = await runCli(['check', copy, '--format', 'json', ...policy]);
        const res = (JSON.parse(after.stdout) as CheckJson).results[0]!;
        expect(res.verdict, `${copy}: ${after.stdout}`).not.toBe('block');
        expect(res.findings.filter((f) => f.code === 'EXPOSED_RECIPIENTS' && f.severity === 'error')).toEqual([]);
      }
    } else {
      expect(hint).not.toContain('--strategy');
      expect('refused' in expected, `the hint names no command: ${hint}`).toBe(true);
      if ('refused' in expected) expect(hint).toMatch(expected.refused);
      // fix refuses it, with the strategy the report decided with and (bcc being allowed) the other.
      for (const strategy of flags.includes('--sensitive') ? ['split'] : ['bcc', 'split']) {
        const fix = await runCli(['fix', file, '--dry-run', '--strategy', strategy, '--format', 'json', ...policy]);
        expect(fix.code, `the hint says "${hint}", fix --strategy ${strategy} says: ${fix.stdout}${fix.stderr}`).toBe(2);
        expect((JSON.parse(fix.stdout) as FixJson).results[0]!.action).toBe('refused');
      }
    }
  });
});
