// The built CLI on lists outside To and Cc: Apparently-To, and any other header field (the finding
// names it). Each row: a message written to a temporary .eml, the exit code, the verdict, the
// finding codes and the fields EXPOSED_RECIPIENTS names in the JSON report.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-header-fields-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const list = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`).join(', ');
const write = (name: string, fields: string): string => {
  const file = path.join(tmp, `${name}.eml`);
  writeFileSync(file, `From: Sender <sender@corp.example>\r\n${fields}\r\nSubject: s\r\nMessage-ID: <m@corp.example>\r\n\r\nHello.\r\n`);
  return file;
};

interface JsonFinding {
  code: string;
  message: string;
  args: { fields?: string[] };
}

describe('mailguard check: lists in fields other than To and Cc', () => {
  it.each<[string, string, number, string, string[], string[]]>([
    ['apparently-to', `To: staff@corp.example\r\nApparently-To: ${list(5)}`, 1, 'block', ['EXPOSED_RECIPIENTS'], ['apparently-to']],
    ['x-recipients', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`, 1, 'block', ['EXPOSED_RECIPIENTS'], ['x-recipients']],
    ['comments-free-text', `To: staff@corp.example\r\nComments: cc: ${list(12)} and the others`, 1, 'block', ['EXPOSED_RECIPIENTS'], ['comments']],
    ['keywords-warn', `To: staff@corp.example\r\nKeywords: ${list(3)}`, 0, 'warn', ['EXPOSED_RECIPIENTS'], ['keywords']],
    ['received-trace', `Received: from a.example by mx.corp.example for <${list(1)}>\r\nReceived: from b.example by a.example for <${list(1, 'q')}>\r\nTo: staff@corp.example\r\nReferences: <${list(1)}> <${list(1, 'q')}>`, 0, 'pass', [], []],
    ['comment-two', `To: staff@corp.example\r\nComments: ask ${list(2)} about it`, 0, 'pass', [], []],
  ])('%s', async (name, fields, code, verdict, codes, exposedIn) => {
    const file = write(name, fields);
    const r = await runCli(['check', file, '--format', 'json']);
    expect(r.code).toBe(code);
    const res = JSON.parse(r.stdout).results[0] as { verdict: string; findings: JsonFinding[] };
    expect(res.verdict).toBe(verdict);
    expect(res.findings.map((f) => f.code)).toEqual(codes);
    expect(res.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS')?.args.fields ?? []).toEqual(exposedIn);
  });

  it('human output names the field, masks addresses with --redact, and says a rewrite does not remove it', async () => {
    const file = write('x-recipients-human', `To: staff@corp.example\r\nX-Recipients: ${list(5)}`);
    const r = await runCli(['check', file, '--redact']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('visible in X-Recipients; X-Recipients is not a recipient field');
    expect(r.stdout).toContain('fix: the list in X-Recipients is not in a recipient field');
    expect(r.stdout).not.toContain('p0@p0-org.example');
    expect(r.stdout).not.toContain('--strategy bcc');
    // The summary line does not read "all internal" for a message blocked for a list elsewhere.
    expect(r.stdout).toContain('(1 visible recipient, all internal; 5 more external shown in the header)');
  });

  it('mailguard fix does not rewrite a list it cannot move, and says why', async () => {
    const file = write('x-recipients-fix', `To: ${list(5, 'a')}\r\nX-Recipients: ${list(5)}`);
    const r = await runCli(['fix', file, '--dry-run', '--format', 'json']);
    expect(r.code).toBe(2);
    const res = JSON.parse(r.stdout).results[0] as { action: string };
    expect(res.action).toBe('refused');
  });
});

describe('the fix the human report suggests is one mailguard fix carries out', () => {
  // Each row: the header (From and To included), extra flags, and the strategy check suggests
  // (undefined: it says why no rewrite cleans the message). fix --dry-run with that strategy (or
  // either strategy when none is suggested) must then rewrite (exit 0) or refuse (exit 2) to match.
  const authors = (n: number) => Array.from({ length: n }, (_, i) => `a${i}@a${i}-org.example`);
  it.each<[string, string, string[], 'bcc' | 'split' | undefined, RegExp | undefined]>([
    ['several authors in one From', `From: ${authors(5).join(', ')}\r\nSender: sender@corp.example\r\nTo: staff@corp.example`, [], undefined, /the list in From stays after a rewrite/],
    ['several From fields', `${authors(5).map((a) => `From: ${a}`).join('\r\n')}\r\nTo: staff@corp.example`, [], undefined, /the list in From stays after a rewrite/],
    ['a list in Reply-To', `From: sender@corp.example\r\nReply-To: ${list(5)}\r\nTo: staff@corp.example`, [], undefined, /the list in Reply-To stays after a rewrite/],
    ['Reply-To and Mail-Followup-To', `From: sender@corp.example\r\nReply-To: ${list(3)}\r\nMail-Followup-To: ${list(3, 'q')}\r\nTo: staff@corp.example`, [], undefined, /the list in Reply-To\/Mail-Followup-To stays/],
    ['To and the same list in From', `From: ${authors(5).join(', ')}\r\nSender: sender@corp.example\r\nTo: ${list(5)}`, [], undefined, /the list in From stays after a rewrite/],
    ['a sensitive list of two authors', `From: ${authors(2).join(', ')}\r\nSender: sender@corp.example\r\nTo: staff@corp.example`, ['--sensitive'], undefined, /the list in From stays after a rewrite/],
    // Kept: what stays is below the threshold, so fix cleans the message as suggested.
    ['a list in To, one external Reply-To', `From: sender@corp.example\r\nReply-To: help@desk.example\r\nTo: ${list(5)}`, [], 'bcc', undefined],
    ['a list in To and Cc', `From: sender@corp.example\r\nTo: ${list(3)}\r\nCc: ${list(3, 'q')}`, [], 'bcc', undefined],
    ['a sensitive list in To', `From: sender@corp.example\r\nTo: ${list(2)}`, ['--sensitive'], 'split', undefined],
  ])('%s', async (name, fields, flags, suggested, why) => {
    const file = path.join(tmp, `${name.replace(/\W+/g, '-')}.eml`);
    writeFileSync(file, `${fields}\r\nSubject: s\r\nMessage-ID: <m@corp.example>\r\n\r\nHello.\r\n`);
    const policy = ['--internal-domain', 'corp.example', ...flags];
    const check = await runCli(['check', file, ...policy]);
    expect(check.code).toBe(1);
    const hint = check.stdout.split('\n').find((l) => l.trim().startsWith('fix:'));
    // The command repeats check's policy options (a split says where its copies go).
    if (suggested) expect(hint).toMatch(new RegExp(`--strategy ${suggested}(?: -o -)? ${policy.join(' ').replace(/\./g, '\\.')}$`));
    else {
      expect(hint).not.toContain('--strategy');
      expect(hint).toMatch(why!);
    }
    for (const strategy of suggested ? [suggested] : (['bcc', 'split'] as const)) {
      const fix = await runCli(['fix', file, '--dry-run', '--strategy', strategy, '--format', 'json', ...policy]);
      expect(fix.code, `${strategy}: ${fix.stdout}`).toBe(suggested ? 0 : 2);
    }
  });
});
