// check with several jobs (src/cli/check-jobs.ts): worker threads check runs of the inputs and the
// main thread writes their texts in input order. The report and the exit code must be byte for byte
// those of one thread, whatever the inputs: messages that pass, warn and block, unreadable and
// not-mail files, an mbox read by the main thread at its turn, campaigns, a directory of which no
// file is mail spanning several runs, a path that does not exist. The built CLI, spawned.
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS_RUN_INPUTS, jobCount } from '../../src/cli/check-jobs.js';
import { BIN, FIXTURES, ROOT, runCli, runProcess } from '../helpers/cli.js';

let dir: string;
let inputs: string[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-jobs-'));
  // Every fixture, three times over (more runs than workers, and runs that end mid-folder).
  for (const copy of ['a', 'b', 'c']) await cp(FIXTURES, path.join(dir, 'mail', copy), { recursive: true });
  // A folder of which no file is mail, longer than a run: its "no mail here" is the tally's.
  await mkdir(path.join(dir, 'notes'));
  for (let i = 0; i < JOBS_RUN_INPUTS * 2 + 7; i++) await writeFile(path.join(dir, 'notes', `note-${String(i).padStart(3, '0')}.txt`), `note ${i}\nnothing to see\n`);
  // Several mailboxes between the drafts: streams, which the main thread reads.
  for (let i = 0; i < 3; i++) await cp(path.join(FIXTURES, 'ci-campaign.mbox'), path.join(dir, 'mail', 'b', `box-${i}.mbox`));
  inputs = [path.join(dir, 'mail'), path.join(dir, 'notes'), path.join(dir, 'missing.eml'), path.join(FIXTURES, 'customer-list-cc.eml')];
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('check --jobs: the same report and exit code as one thread', () => {
  it.each([
    ['json', ['--format', 'json']],
    ['human', []],
    ['human, quiet', ['-q']],
    ['json, no body scan, a policy', ['--format', 'json', '--no-body-scan', '--internal-domain', 'example.com', '--block-at', '2']],
    ['json, masked', ['--format', 'json', '--redact']],
  ])('%s', async (_name, flags) => {
    const one = await runCli(['check', ...inputs, ...flags, '--jobs', '1'], { timeoutMs: 60_000 });
    const three = await runCli(['check', ...inputs, ...flags, '--jobs', '3'], { timeoutMs: 60_000 });
    expect(one.stdout.length).toBeGreaterThan(1000);
    expect(three.stderr).toBe(one.stderr);
    expect(three.code).toBe(one.code);
    expect(three.stdout).toBe(one.stdout);
    // The inputs hold blocked and unreadable messages: exit 2 (an input could not be checked).
    expect(one.code).toBe(2);
  }, 120_000);

  it('the json report counts what a thread checked: every file, the mailboxes\' messages, the folder without mail, the missing path', async () => {
    const r = await runCli(['check', ...inputs, '--format', 'json', '--jobs', '2'], { timeoutMs: 60_000 });
    const report = JSON.parse(r.stdout) as { summary: Record<string, number>; results: Array<{ source: string; verdict: string }>; notRead: unknown[] };
    expect(report.summary.checked).toBe(report.results.length);
    expect(report.results.filter((x) => x.source.includes('box-1.mbox#')).length).toBeGreaterThan(1);
    expect(report.results.some((x) => x.source === path.join(dir, 'notes') && x.verdict === 'error')).toBe(true);
    expect(report.results.some((x) => x.source === path.join(dir, 'missing.eml') && x.verdict === 'error')).toBe(true);
    expect(report.summary.notRead).toBe(report.notRead.length);
    expect(report.notRead.length).toBeGreaterThanOrEqual(JOBS_RUN_INPUTS * 2 + 7);
  }, 60_000);

  it('warnings are counted per result across runs: --max-warnings one below and at their number', async () => {
    const warns = path.join(dir, 'warns');
    await mkdir(warns);
    const n = JOBS_RUN_INPUTS * 2 + 5;
    for (let i = 0; i < n; i++) await cp(path.join(ROOT, 'examples', 'outbox', 'partner-update.eml'), path.join(warns, `w-${i}.eml`));
    for (const [max, code] of [[n - 1, 1], [n, 0]] as const) {
      const one = await runCli(['check', warns, '--max-warnings', String(max), '--jobs', '1'], { timeoutMs: 60_000 });
      const three = await runCli(['check', warns, '--max-warnings', String(max), '--jobs', '3'], { timeoutMs: 60_000 });
      expect([one.code, three.code]).toEqual([code, code]);
    }
  }, 120_000);

  it('really runs worker threads: one CPU profile per thread (main + 3)', async () => {
    const profiles = path.join(dir, 'profiles');
    // --cpu-prof is refused in NODE_OPTIONS: given to node itself (each worker writes its own).
    await runProcess(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profiles}`, BIN, 'check', path.join(dir, 'mail'), '--format', 'json', '--jobs', '3'], { timeoutMs: 60_000 });
    expect((await readdir(profiles)).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(4);
  }, 60_000);

  it('--jobs takes a whole number from 1', async () => {
    const r = await runCli(['check', path.join(FIXTURES, 'clean-internal.eml'), '--jobs', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--jobs takes a whole number, 1 or more/);
  });
});

describe('jobCount', () => {
  it.each<[number | undefined, number, number]>([
    // requested, inputs -> workers
    [undefined, 10_000, 1],
    [1, 10_000, 1],
    [4, 10_000, 4],
    [4, JOBS_RUN_INPUTS * 2, 2],
    [3, 10, 1],
    [1000, 1_000_000, 64],
  ])('--jobs %s, %i inputs: %i', (requested, n, expected) => {
    expect(jobCount(requested, n)).toBe(expected);
  });
});
