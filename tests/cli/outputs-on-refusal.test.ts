// "Nothing half-written, nothing left behind on refusal": every command that takes an output path,
// spawned as a user runs it on real directories. A refused message leaves no file or directory it
// would have made and no earlier output changed; a write that fails part-way (a file size limit,
// EFBIG, set with `ulimit -f`) leaves neither a cut-off file nor a truncated earlier one; a run
// that succeeds writes its whole output. Outputs are staged beside their names (src/io/output-set.ts).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { BIN, FIXTURES, runCli, runProcess } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-outputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fx = (name: string): string => path.join(FIXTURES, name);
const AMBIGUOUS = fx('fix-ambiguous.eml');
const LIST = fx('customer-list-to.eml');
const POLICY = ['--internal-domain', 'corp.example'];
const OLD = 'an earlier output the user keeps\n';
let n = 0;
/** A fresh directory per case, so what a run leaves behind is all that is in it. */
const caseDir = (): string => {
  const dir = path.join(tmp, `case-${++n}`);
  mkdirSync(dir);
  return dir;
};
/** Runs the built CLI with files limited to `blocks` 512-byte blocks (dash's `ulimit -f`): a write past it fails with EFBIG. */
const runLimited = (blocks: number, args: string[]) =>
  runProcess('sh', ['-c', `ulimit -f ${blocks}; exec "$0" "$@"`, process.execPath, BIN, ...args], { env: { ...process.env, NO_COLOR: '1', MAILGUARD_NO_COMPILE_CACHE: '1' } });
/** A draft with a long body: its rewritten copy is larger than the limit runLimited sets. */
const bigDraft = (dir: string): string => {
  const file = path.join(dir, 'big.eml');
  writeFileSync(file, Buffer.concat([readFileSync(LIST), Buffer.from(`${'All work and no play.\r\n'.repeat(400)}`)]));
  return file;
};

describe('fix: a refused message leaves no output behind', () => {
  it('-o DIR/: no directory is made, and an existing one is left as it was', async () => {
    const dir = caseDir();
    const out = path.join(dir, 'copies/');
    const r = await runCli(['fix', AMBIGUOUS, '-o', out, ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('NOT rewritten: AMBIGUOUS_RECIPIENT');
    expect(readdirSync(dir)).toEqual([]);
    const split = await runCli(['fix', AMBIGUOUS, '--strategy', 'split', '-o', path.join(dir, 'split'), ...POLICY]);
    expect(split.code).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
    mkdirSync(path.join(dir, 'kept'));
    writeFileSync(path.join(dir, 'kept', 'fix-ambiguous.eml'), OLD);
    const again = await runCli(['fix', AMBIGUOUS, '-o', path.join(dir, 'kept/'), ...POLICY]);
    expect(again.code).toBe(2);
    expect(readdirSync(path.join(dir, 'kept'))).toEqual(['fix-ambiguous.eml']);
    expect(readFileSync(path.join(dir, 'kept', 'fix-ambiguous.eml'), 'utf8')).toBe(OLD);
  });

  it('-o FILE.mbox (split): no file is made, and an existing mbox is not truncated', async () => {
    const dir = caseDir();
    const r = await runCli(['fix', AMBIGUOUS, '--strategy', 'split', '-o', path.join(dir, 'copies.mbox'), ...POLICY]);
    expect(r.code).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
    const box = path.join(dir, 'old.mbox');
    writeFileSync(box, OLD);
    const again = await runCli(['fix', AMBIGUOUS, '--strategy', 'split', '-o', box, ...POLICY]);
    expect(again.code).toBe(2);
    expect(readFileSync(box, 'utf8')).toBe(OLD);
    expect(readdirSync(dir)).toEqual(['old.mbox']);
  });

  it('-o - (split to stdout): nothing on stdout, the plan on stderr', async () => {
    // Already so before outputs were staged (the mbox on stdout is written entry by entry): kept as a guard.
    const r = await runCli(['fix', AMBIGUOUS, '--strategy', 'split', '-o', '-', ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('NOT rewritten: AMBIGUOUS_RECIPIENT');
  });

  it('a refused message among others: the others are written, the refused one leaves nothing', async () => {
    const dir = caseDir();
    const box = path.join(dir, 'copies.mbox');
    const r = await runCli(['fix', AMBIGUOUS, LIST, '--strategy', 'split', '-o', box, ...POLICY]);
    expect(r.code).toBe(2);
    expect(readdirSync(dir)).toEqual(['copies.mbox']);
    expect(readFileSync(box, 'latin1').match(/^From /gm)).toHaveLength(12);
  });
});

describe('fix: a write that fails part-way leaves no cut-off output and no truncated earlier one', () => {
  it('-o FILE: the earlier file is unchanged', async () => {
    const dir = caseDir();
    const draft = bigDraft(dir);
    const out = path.join(dir, 'fixed.eml');
    writeFileSync(out, OLD);
    const r = await runLimited(2, ['fix', draft, '-o', out, ...POLICY]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('cannot write the output');
    expect(readFileSync(out, 'utf8')).toBe(OLD);
    expect(readdirSync(dir).sort()).toEqual(['big.eml', 'fixed.eml']);
  });

  it('-o DIR (split): no copy and no directory when one copy cannot be written', async () => {
    const dir = caseDir();
    const draft = bigDraft(dir);
    const r = await runLimited(2, ['fix', draft, '--strategy', 'split', '-o', path.join(dir, 'copies'), ...POLICY]);
    expect(r.code, r.stderr).toBe(2);
    expect(readdirSync(dir)).toEqual(['big.eml']);
  });

  it('-o FILE.mbox (split): the earlier mbox is unchanged', async () => {
    const dir = caseDir();
    const draft = bigDraft(dir);
    const box = path.join(dir, 'copies.mbox');
    writeFileSync(box, OLD);
    const r = await runLimited(2, ['fix', draft, '--strategy', 'split', '-o', box, ...POLICY]);
    expect(r.code, r.stderr).toBe(2);
    expect(readFileSync(box, 'utf8')).toBe(OLD);
    expect(readdirSync(dir).sort()).toEqual(['big.eml', 'copies.mbox']);
  });

  it('--in-place over several drafts: none is rewritten when one cannot be', async () => {
    const dir = caseDir();
    const small = path.join(dir, 'small.eml');
    writeFileSync(small, readFileSync(LIST));
    const big = bigDraft(dir);
    const before = readFileSync(big);
    const r = await runLimited(2, ['fix', small, big, '--in-place', ...POLICY]);
    expect(r.code, r.stderr).toBe(2);
    expect(readFileSync(small).equals(readFileSync(LIST))).toBe(true);
    expect(readFileSync(big).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['big.eml', 'small.eml']);
  });
});

describe('fix: a run that succeeds writes the whole output, and nothing else', () => {
  const policy = createPolicy({ internalDomains: ['corp.example'] });
  it('-o DIR, -o FILE.mbox, -o FILE, -o -', async () => {
    const dir = caseDir();
    const copies = path.join(dir, 'copies');
    expect((await runCli(['fix', LIST, '--strategy', 'split', '-o', copies, ...POLICY])).code).toBe(0);
    const names = readdirSync(copies);
    expect(names).toHaveLength(12);
    for (const name of names) expect(checkMessage(readFileSync(path.join(copies, name)), policy).recipients.visible).toHaveLength(1);
    const box = path.join(dir, 'copies.mbox');
    writeFileSync(box, OLD);
    expect((await runCli(['fix', LIST, '--strategy', 'split', '-o', box, ...POLICY])).code).toBe(0);
    expect(readFileSync(box, 'latin1').match(/^From /gm)).toHaveLength(12);
    expect(readFileSync(box, 'latin1')).not.toContain(OLD);
    const file = path.join(dir, 'fixed.eml');
    writeFileSync(file, OLD);
    expect((await runCli(['fix', LIST, '-o', file, ...POLICY])).code).toBe(0);
    expect(checkMessage(readFileSync(file), policy).findings.map((f) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
    const stdout = await runCli(['fix', LIST, '-o', '-', ...POLICY]);
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toContain('To: undisclosed-recipients:;');
    expect(readdirSync(dir).sort()).toEqual(['copies', 'copies.mbox', 'fixed.eml']);
  });
});

describe('check --output', () => {
  it('a report that cannot be written whole leaves the earlier report unchanged, and no new file', async () => {
    const dir = caseDir();
    const inputs = path.join(dir, 'outbox');
    mkdirSync(inputs);
    for (let i = 0; i < 20; i++) writeFileSync(path.join(inputs, `m${i}.eml`), readFileSync(LIST));
    const report = path.join(dir, 'report.json');
    writeFileSync(report, OLD);
    const r = await runLimited(2, ['check', inputs, '--format', 'json', '-o', report, ...POLICY]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('cannot write the report to');
    expect(readFileSync(report, 'utf8')).toBe(OLD);
    const fresh = path.join(dir, 'fresh.json');
    expect((await runLimited(2, ['check', inputs, '--format', 'json', '-o', fresh, ...POLICY])).code).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['outbox', 'report.json']);
    // Without the limit the whole report is written over the old one.
    const whole = await runCli(['check', inputs, '--format', 'json', '-o', report, ...POLICY]);
    expect(whole.code).toBe(1);
    expect(JSON.parse(readFileSync(report, 'utf8')).summary.checked).toBe(20);
    expect(readdirSync(dir).sort()).toEqual(['outbox', 'report.json']);
  });
});

describe('audit: --csv, --html and -o are one set', () => {
  it('an output that cannot be written leaves the others as they were', async () => {
    const dir = caseDir();
    const csv = path.join(dir, 'incidents.csv');
    const report = path.join(dir, 'audit.json');
    writeFileSync(csv, OLD);
    writeFileSync(report, OLD);
    const r = await runCli(['audit', LIST, '--csv', csv, '--html', path.join(dir, 'no-dir', 'audit.html'), '--format', 'json', '-o', report, ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot write the HTML report');
    expect(readFileSync(csv, 'utf8')).toBe(OLD);
    expect(readFileSync(report, 'utf8')).toBe(OLD);
    expect(readdirSync(dir).sort()).toEqual(['audit.json', 'incidents.csv']);
    const ok = await runCli(['audit', LIST, '--csv', csv, '--html', path.join(dir, 'audit.html'), '--format', 'json', '-o', report, ...POLICY]);
    expect(ok.code).toBe(1);
    expect(JSON.parse(readFileSync(report, 'utf8')).summary.incidents).toBe(1);
    expect(readFileSync(csv, 'utf8')).toContain('customer-list-to.eml');
    expect(readdirSync(dir).sort()).toEqual(['audit.html', 'audit.json', 'incidents.csv']);
  });
});

describe('notify -o DIR', () => {
  it('a notice that cannot be written leaves none of the others', async () => {
    const dir = caseDir();
    const people = path.join(dir, 'people.csv');
    const template = path.join(dir, 'notice.eml');
    writeFileSync(people, 'address,internal\r\nann.lee@alpha.test,false\r\nben.ray@beta.test,false\r\ncy.fox@gamma.test,false\r\n');
    writeFileSync(template, 'From: DPO <dpo@corp.example>\r\nSubject: About our email\r\n\r\nWe are sorry.\r\n');
    const review = path.join(dir, 'review');
    // The second notice's name is taken by a directory: it cannot be written.
    mkdirSync(path.join(review, 'notice-00002.eml'), { recursive: true });
    const r = await runCli(['notify', '--incident-file', people, '--template', template, '-o', review, ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot write');
    expect(readdirSync(review)).toEqual(['notice-00002.eml']);
    rmSync(review, { recursive: true });
    const ok = await runCli(['notify', '--incident-file', people, '--template', template, '-o', review, ...POLICY]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(review)).toEqual(['notice-00001.eml', 'notice-00002.eml', 'notice-00003.eml']);
    expect(readdirSync(dir).sort()).toEqual(['notice.eml', 'people.csv', 'review']);
  });
});

describe('send --journal', () => {
  it('a run that sends nothing leaves no journal it made; an existing journal is kept', async () => {
    const dir = caseDir();
    const journal = path.join(dir, 'send.journal');
    const r = await runCli(['send', LIST, '--journal', journal, '--smtp', 'smtp://127.0.0.1:9', '--on-violation', 'block', ...POLICY]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('blocked');
    expect(existsSync(journal)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(journal, '');
    expect((await runCli(['send', LIST, '--journal', journal, '--smtp', 'smtp://127.0.0.1:9', '--on-violation', 'block', ...POLICY])).code).toBe(1);
    expect(readdirSync(dir)).toEqual(['send.journal']);
  });
});
