// The built CLI on a field with many problems of one kind (an address each): the human report says
// the sentence once with a few of the addresses, how many more and where; the machine formats keep
// every finding. Each row: the header fields after From, the report's AMBIGUOUS_RECIPIENT lines.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const IDN = 'AMBIGUOUS_RECIPIENT: To has an international domain whose written form differs from its normalised form; mail software reads it in different ways';
const MIXED = 'AMBIGUOUS_RECIPIENT: To has a domain label that mixes scripts (look-alike characters); mail software reads it in different ways';
const CC_IDN = IDN.replace(': To has', ': Cc has');

/** `n` addresses at fullwidth (look-alike) domains: u0@ＢＡＮＫ0.com ... */
const fullwidth = (n: number, local = 'u', from = 0) => Array.from({ length: n }, (_, i) => `${local}${from + i}@ＢＡＮＫ${from + i}.com`);
/** `n` addresses whose domain mixes a Cyrillic "а" into Latin: m0@pаypal0.com ... */
const mixedScript = (n: number) => Array.from({ length: n }, (_, i) => `m${i}@p\u0430ypal${i}.com`);

const message = (fields: string) => `From: a@corp.example\r\n${fields}\r\nSubject: x\r\n\r\nhi\r\n`;
const ambiguousLines = (stdout: string) => stdout.split('\n').filter((l) => l.includes('AMBIGUOUS_RECIPIENT'));

describe('mailguard check: repeated findings of one kind in one field are one human line', () => {
  it.each<[string, string, string[]]>([
    ['30 look-alike domains in To (20 problems kept)', `To: ${fullwidth(30).join(', ')}`, [`  error   ${IDN}: e.g. u0@ＢＡＮＫ0.com, u1@ＢＡＮＫ1.com, u2@ＢＡＮＫ2.com and at least 17 more (line 2)`]],
    [
      'two kinds in one field: a line each',
      `To: ${[...fullwidth(4), ...mixedScript(3)].join(', ')}`,
      [`  error   ${IDN}: e.g. u0@ＢＡＮＫ0.com, u1@ＢＡＮＫ1.com, u2@ＢＡＮＫ2.com and 1 more (line 2)`, `  error   ${MIXED}: e.g. m0@p\u0430ypal0.com, m1@p\u0430ypal1.com, m2@p\u0430ypal2.com (line 2)`],
    ],
    [
      'To and Cc: a line each',
      `To: ${fullwidth(4).join(', ')}\r\nCc: ${fullwidth(2, 'c', 10).join(', ')}`,
      [`  error   ${IDN}: e.g. u0@ＢＡＮＫ0.com, u1@ＢＡＮＫ1.com, u2@ＢＡＮＫ2.com and 1 more (line 2)`, `  error   ${CC_IDN}: e.g. c10@ＢＡＮＫ10.com, c11@ＢＡＮＫ11.com (line 3)`],
    ],
    [
      'two To fields: from the first line to the last',
      `To: ${fullwidth(2).join(', ')}\r\nCc: staff@corp.example\r\nTo: ${fullwidth(2, 'v', 5).join(', ')}`,
      [`  error   ${IDN}: e.g. u0@ＢＡＮＫ0.com, u1@ＢＡＮＫ1.com, v5@ＢＡＮＫ5.com and 1 more (lines 2-4)`],
    ],
    [
      'a single problem keeps its own line, beside a grouped one',
      `To: ${fullwidth(4).join(', ')}\r\nCc: ${fullwidth(1, 'c', 10).join(', ')}`,
      [`  error   ${IDN}: e.g. u0@ＢＡＮＫ0.com, u1@ＢＡＮＫ1.com, u2@ＢＡＮＫ2.com and 1 more (line 2)`, `  error   ${CC_IDN}: c10@ＢＡＮＫ10.com (line 3)`],
    ],
  ])('%s', async (_name, fields, expected) => {
    const r = await runCli(['check', '-'], { input: message(fields) });
    expect(r.code).toBe(1);
    expect(ambiguousLines(r.stdout)).toEqual(expected);
  });

  it('the summary counts look-alike addresses To shows without calling them shown elsewhere', async () => {
    const r = await runCli(['check', '-'], { input: message(`To: ${fullwidth(30).join(', ')}`) });
    expect(r.stdout).toContain('(no visible recipients; 30 more external shown in the header)');
    expect(r.stdout).not.toContain('elsewhere');
  });

  it('--redact masks the examples', async () => {
    const r = await runCli(['check', '-', '--redact'], { input: message(`To: ${fullwidth(30).join(', ')}`) });
    expect(ambiguousLines(r.stdout)).toEqual([`  error   ${IDN}: e.g. u***@ＢＡＮＫ0.com, u***@ＢＡＮＫ1.com, u***@ＢＡＮＫ2.com and at least 17 more (line 2)`]);
    expect(r.stdout).not.toMatch(/u\d+@/);
  });

  it('--format json still lists every finding with its own excerpt (the human report groups them)', async () => {
    const input = message(`To: ${fullwidth(30).join(', ')}`);
    const [json, human] = await Promise.all([runCli(['check', '-', '--format', 'json'], { input }), runCli(['check', '-'], { input })]);
    const findings = (JSON.parse(json.stdout).results[0].findings as { code: string; args: { excerpt?: string }; line?: number }[]).filter((f) => f.code === 'AMBIGUOUS_RECIPIENT');
    expect(findings.map((f) => f.args.excerpt)).toEqual(fullwidth(20));
    expect(findings.every((f) => f.line === 2)).toBe(true);
    expect(ambiguousLines(human.stdout)).toHaveLength(1);
  });
});
