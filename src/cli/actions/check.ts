// mailguard check: inputs -> core check -> report -> exit code.

import path from 'node:path';
import { MailguardError } from '../../errors.js';
import { expandSpecs, isFailure, readEntries, readInputs, type NotMailFile } from '../../io/inputs.js';
import { CHECK_STREAMS } from '../../report/check-streams.js';
import { emptySummary, type Report } from '../../report/report.js';
import type { MessageResult } from '../../result.js';
import type { CheckFlags } from '../commands/check.js';
import { EXIT } from '../exit-codes.js';
import { appendStepSummary, resolveRedact, runsInCi, writeReport, writeReportPieces } from '../output.js';
import { policyArguments, profilesForCommand, resolveSettings } from '../policy-options.js';
import { createSpool, type Spool } from '../spool.js';
import { resolveProfile, type ResolvedProfile } from '../../policy/profiles.js';
import type { PolicyExplanationEntry } from '../../report/profile.js';
import { colorLevel, createProgress, loadColors, painterAt } from '../terminal.js';
import { checkContext, checkItems, identityOf, relativeToWorkspace, warningCount } from '../check-items.js';
import { canRunJobs, checkWithJobs, jobCount, type CheckedText } from '../check-jobs.js';
import { programName } from '../program-name.js';
import { printable } from '../../report/printable.js';
import { formatStderrNote } from '../../report/error-text.js';

/** Which inputs to read: the paths, or stdin when nothing was named and stdin is piped. */
export function inputSpecs(paths: string[]): string[] {
  if (paths.length > 0) return paths;
  if (process.stdin.isTTY) {
    throw new MailguardError('EUSAGE', 'no input given.', { hint: 'Name files, directories or globs, or pipe a message in (use - for stdin). See --help.' });
  }
  return ['-'];
}

/** Exit code from the totals and the number of warning findings (results are not kept). */
export function exitCodeFor(summary: Report['summary'], warnings: number, maxWarnings: number | undefined): number {
  if (summary.error > 0) return EXIT.ERROR;
  if (summary.block > 0) return EXIT.VIOLATION;
  if (maxWarnings !== undefined && warnings > maxWarnings) return EXIT.VIOLATION;
  return EXIT.OK;
}

/** A path relative to the workspace (else the working directory) when it lies under it. */
function relativePath(file: string, workspace: string | undefined, cwd: string): string {
  if (!path.isAbsolute(file)) return file;
  for (const root of [workspace, cwd]) {
    if (root === undefined || root === '') continue;
    const rel = path.relative(root, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    return rel.split(path.sep).join('/');
  }
  return file;
}

/**
 * Each result is formatted as it is produced and its text kept in a spool (memory, then a private
 * temporary file), never the result itself; the report is written once the totals that open it
 * are known. Memory is bounded by the largest message, not by the number of messages (issue 19).
 */
export async function runCheck(paths: string[], flags: CheckFlags): Promise<number> {
  const format = CHECK_STREAMS[flags.format];
  if (!format) {
    throw new MailguardError('EUSAGE', `the ${flags.format} format is not available in this build.`, { hint: `Available: ${Object.keys(CHECK_STREAMS).join(', ')}.` });
  }
  const settings = await resolveSettings(flags);
  if (flags.explainPolicy) return explainPolicy(paths, flags, settings);
  const specs = inputSpecs(paths);
  const publicFormat = format.masked;
  const stream = await format.load();
  // Masked by default in the formats often published, and in every format in CI (public logs).
  const redact = resolveRedact(flags.redact, settings.config.redact, publicFormat || runsInCi());
  const level = flags.format === 'human' && flags.output === undefined ? colorLevel(flags.color) : 0;
  // The fix hint's command repeats the policy options given here: fix then resolves the policy the
  // hint was decided under (check-items.ts decides it with these settings' profiles).
  const formatOptions = { redact, quiet: flags.quiet === true, fixCommand: `${programName()} fix`, fixArguments: policyArguments(flags) };
  const report = stream({ ...formatOptions, color: await painterAt(level) });
  const stepSummaryFile = flags.format === 'github' ? process.env.GITHUB_STEP_SUMMARY : undefined;
  const stepSummary = stepSummaryFile ? (await import('../../report/github.js')).streamGithubStepSummary({ redact, color: false }) : undefined;
  const spool = createSpool();
  const stepSpool = stepSummary ? createSpool() : undefined;
  try {
    const summary = emptySummary();
    let warnings = 0;
    const skipped: NotMailFile[] = [];
    const ctx = checkContext(flags, settings, skipped);
    const workspace = process.env.GITHUB_WORKSPACE;
    const textOf = (r: MessageResult): CheckedText => {
      if (publicFormat) relativeToWorkspace(r, workspace, process.cwd());
      return { text: report.result(r), verdict: r.verdict, warnings: warningCount(r), ...(stepSummary ? { result: r } : {}) };
    };
    const inputs = await expandSpecs(specs);
    // Many files on several cores (src/cli/check-jobs.ts) when the format can be written that way.
    // Asked for with --jobs only: a plain check looks for no worker bundle.
    const requested = jobCount(flags.jobs, inputs.length);
    const jobs = requested > 1 && report.parallel && !stepSummary && !inputs.some((e) => !('failure' in e) && e.path === '-') && canRunJobs() ? requested : 1;
    const texts: AsyncIterable<CheckedText & { result?: MessageResult }> =
      jobs > 1
        ? checkWithJobs(inputs, jobs, { flags, cwd: process.cwd(), format: { ...formatOptions, colorLevel: level }, workspace, publicFormat }, ctx, textOf, report.parallel!.place)
        : mapResults(checkItems(readEntries(inputs, ctx.readOptions), ctx), textOf);
    const progress = createProgress('checked');
    for await (const out of texts) {
      await spool.write(out.text);
      if (stepSummary) await stepSpool!.write(stepSummary.result(out.result!));
      summary.checked++;
      summary[out.verdict]++;
      warnings += out.warnings;
      progress.tick(summary.checked);
    }
    progress.done();
    await spool.end();
    await stepSpool?.end();
    if (publicFormat) for (const f of skipped) f.path = relativePath(f.path, process.env.GITHUB_WORKSPACE, process.cwd());
    // Files found that are not mail are named in the report itself, in every format.
    summary.notRead = skipped.length;
    const code = exitCodeFor(summary, warnings, flags.maxWarnings ?? settings.config.maxWarnings);
    // Set before writing: when the reader closes the pipe early (`check ... | head`), main.ts exits
    // on EPIPE with process.exitCode, and a blocked message must not come out as 0.
    process.exitCode = code;
    await writeReportPieces(around(report.finish(summary, skipped), spool), flags.output);
    if (stepSummary) await appendStepSummary(stepSummaryFile!, around(stepSummary.finish(summary, skipped), stepSpool!));
    return code;
  } finally {
    await spool.close();
    await stepSpool?.close();
  }
}

async function* mapResults<T>(results: AsyncIterable<MessageResult>, f: (r: MessageResult) => T): AsyncGenerator<T> {
  for await (const r of results) yield f(r);
}

/** A report's head, the spooled text of its results, and its tail. */
async function* around({ head, tail }: { head: string; tail: string }, spool: Spool): AsyncGenerator<string | Uint8Array> {
  if (head !== '') yield head;
  yield* spool.read();
  if (tail !== '') yield tail;
}

/** check --explain-policy: the profile each message gets, why, and the policy in force; nothing is checked. */
async function explainPolicy(paths: string[], flags: CheckFlags, settings: Awaited<ReturnType<typeof resolveSettings>>): Promise<number> {
  if (flags.format !== 'human' && flags.format !== 'json') {
    throw new MailguardError('EUSAGE', `--explain-policy prints human or json, not ${flags.format}.`, { hint: 'Use --format json for the machine form.' });
  }
  const profiles = profilesForCommand(settings.profiles, undefined, undefined, settings.config);
  const entries: PolicyExplanationEntry[] = [];
  const readOptions: Parameters<typeof readInputs>[1] = { headersOnly: true };
  if (flags.input) readOptions.format = flags.input;
  if (flags.contentRoot !== undefined) readOptions.contentRoot = flags.contentRoot;
  let failed = false;
  for await (const item of readInputs(inputSpecs(paths), readOptions)) {
    if (isFailure(item)) {
      failed = true;
      process.stderr.write(formatStderrNote(`mailguard: ${printable(item.source)}: cannot be read (${item.failure.reason}).\n`));
      continue;
    }
    const resolved: ResolvedProfile = resolveProfile(profiles, identityOf(item.bytes, flags, item.envelope?.mailFrom));
    entries.push({ source: item.source, resolved });
  }
  const { formatPolicyExplanation, formatPolicyExplanationJson } = await import('../../report/profile.js');
  const text = flags.format === 'json' ? formatPolicyExplanationJson(entries) : formatPolicyExplanation(entries, { color: flags.output === undefined && (await loadColors(flags.color)) });
  await writeReport(text, flags.output);
  return failed ? EXIT.ERROR : EXIT.OK;
}
