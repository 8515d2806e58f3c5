// mailguard check: inputs -> core check -> report -> exit code.

import path from 'node:path';
import { checkMessage, unreadableResult } from '../../analyse.js';
import { withWholeMessages } from '../../body/read-message.js';
import { MailguardError } from '../../errors.js';
import { relocateToCampaign } from '../../io/campaign.js';
import { isFailure, readInputs } from '../../io/inputs.js';
import { githubStepSummary } from '../../report/github.js';
import { createReport, FORMATTERS, PUBLIC_FORMATS, summarise, type FormatOptions, type Report } from '../../report/index.js';
import { formatHumanResult, formatHumanSummary } from '../../report/human.js';
import { jsonReportPieces } from '../../report/json.js';
import type { MessageResult } from '../../result.js';
import type { CheckFlags } from '../commands/check.js';
import { EXIT } from '../exit-codes.js';
import { appendStepSummary, resolveRedact, writeReport, writeReportPieces } from '../output.js';
import { createSpool } from '../spool.js';
import { resolveSettings } from '../policy-options.js';
import { writeSkippedNote } from '../skipped-note.js';
import { createProgress, useColor } from '../terminal.js';

/** Which inputs to read: the paths, or stdin when nothing was named and stdin is piped. */
export function inputSpecs(paths: string[]): string[] {
  if (paths.length > 0) return paths;
  if (process.stdin.isTTY) {
    throw new MailguardError('EUSAGE', 'no input given.', { hint: 'Name files, directories or globs, or pipe a message in (use - for stdin). See --help.' });
  }
  return ['-'];
}

/** Exit code for a set of results. */
export function exitCodeFor(results: readonly MessageResult[], maxWarnings: number | undefined): number {
  const summary = summarise(results);
  const warnings = results.reduce((n, r) => n + r.findings.filter((f) => f.severity === 'warning').length, 0);
  return exitCodeForCounts(summary, warnings, maxWarnings);
}

/** Exit code from the totals alone (results written as they are produced are not kept). */
export function exitCodeForCounts(summary: Report['summary'], warnings: number, maxWarnings: number | undefined): number {
  if (summary.error > 0) return EXIT.ERROR;
  if (summary.block > 0) return EXIT.VIOLATION;
  if (maxWarnings !== undefined && warnings > maxWarnings) return EXIT.VIOLATION;
  return EXIT.OK;
}

/**
 * Formats written message by message (to a private temporary file, put together at the end), so
 * memory does not grow with the number of messages. The others (SARIF, JUnit, GitHub) keep every
 * result until the end.
 */
const STREAMED: Record<string, { result(r: MessageResult, options: FormatOptions, index: number, written: number): string; head(summary: Report['summary'], count: number): string; tail(summary: Report['summary'], count: number, written: number): string }> = {
  human: {
    result(r, options) {
      const lines = formatHumanResult(r, options);
      return lines.length > 0 ? `${lines.join('\n')}\n` : '';
    },
    head: () => '',
    tail(summary, _count, written) {
      const lines = formatHumanSummary(summary, written > 0);
      return lines.length > 0 ? `${lines.join('\n')}\n` : written > 0 ? '' : '\n';
    },
  },
  json: {
    result: (r, options, index) => jsonReportPieces.result(r, options, index),
    head: (summary, count) => jsonReportPieces.head(summary, count),
    tail: (_summary, count) => jsonReportPieces.tail(count),
  },
};

/**
 * Code scanning and annotations attach only to repository-relative paths: an absolute path
 * under GITHUB_WORKSPACE (else the working directory) becomes relative to it; others stay.
 */
export function relativeToWorkspace(r: MessageResult, workspace: string | undefined, cwd: string): void {
  const file = r.file ?? (r.source === '-' ? undefined : r.source.replace(/#\d+$/, ''));
  if (file === undefined || !path.isAbsolute(file)) return;
  for (const root of [workspace, cwd]) {
    if (root === undefined || root === '') continue;
    const rel = path.relative(root, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    const relSlashed = rel.split(path.sep).join('/');
    if (r.source.startsWith(file)) r.source = relSlashed + r.source.slice(file.length);
    if (r.file !== undefined) r.file = relSlashed;
    return;
  }
}

export async function runCheck(paths: string[], flags: CheckFlags): Promise<number> {
  const formatter = FORMATTERS[flags.format];
  if (!formatter) {
    throw new MailguardError('EUSAGE', `the ${flags.format} format is not available in this build.`, { hint: `Available: ${Object.keys(FORMATTERS).join(', ')}.` });
  }
  const settings = await resolveSettings(flags);
  const streamed = STREAMED[flags.format];
  if (streamed) return runCheckStreamed(paths, flags, settings, streamed);
  const specs = inputSpecs(paths);
  const results: MessageResult[] = [];
  const progress = createProgress('checked');
  const skipped: string[] = [];
  for await (const result of checkInputs(specs, flags, settings, skipped)) {
    results.push(result);
    progress.tick(results.length);
  }
  progress.done();
  if (PUBLIC_FORMATS.has(flags.format)) for (const r of results) relativeToWorkspace(r, process.env.GITHUB_WORKSPACE, process.cwd());
  const report = createReport(results);
  const human = flags.format === 'human';
  const redact = resolveRedact(flags.redact, settings.config.redact, PUBLIC_FORMATS.has(flags.format));
  const text = formatter(report, {
    redact,
    color: human && flags.output === undefined && useColor(flags.color),
    quiet: flags.quiet === true,
  });
  const code = exitCodeFor(results, flags.maxWarnings ?? settings.config.maxWarnings);
  // Set before writing: when the reader closes the pipe early (`check ... | head`), main.ts exits
  // on EPIPE with process.exitCode, and a blocked message must not come out as 0.
  process.exitCode = code;
  await writeReport(text, flags.output);
  writeSkippedNote(skipped);
  if (flags.format === 'github' && process.env.GITHUB_STEP_SUMMARY) await appendStepSummary(process.env.GITHUB_STEP_SUMMARY, githubStepSummary(report, { redact }));
  return code;
}

type Settings = Awaited<ReturnType<typeof resolveSettings>>;

/** Every input checked, one result at a time. */
async function* checkInputs(specs: string[], flags: CheckFlags, settings: Settings, skipped: string[]): AsyncGenerator<MessageResult> {
  // The body scan (ADDRESS_LIST_IN_BODY) reads past the header only where the header promises text.
  const scan = settings.bodyScan !== undefined && settings.policy.rules.ADDRESS_LIST_IN_BODY !== 'off';
  const readOptions: Parameters<typeof readInputs>[1] = { headersOnly: true, mboxBodies: scan, skipped };
  if (flags.input) readOptions.format = flags.input;
  for await (const { item, whole } of withWholeMessages(readInputs(specs, readOptions), scan)) {
    if (isFailure(item)) {
      const failed = unreadableResult(item.source, item.failure.reason, item.failure.detail);
      if (item.path !== undefined) failed.file = item.path;
      yield failed;
    } else {
      const options: Parameters<typeof checkMessage>[2] = { source: item.source, lineOffset: item.lineOffset };
      if (item.envelope) options.envelope = item.envelope;
      // Header-only bytes may hold part of the body: scan only what was read whole.
      options.body = whole ? settings.bodyScan! : false;
      let result = checkMessage(whole ?? item.bytes, settings.policy, options);
      if (item.campaign) result = relocateToCampaign(result, item.campaign.origins, item.campaign.jsonPath);
      if (item.path !== undefined) result.file = item.path;
      yield result;
    }
  }
}

/** check with a streamed format: each result is formatted as it is produced and not kept. */
async function runCheckStreamed(paths: string[], flags: CheckFlags, settings: Settings, format: (typeof STREAMED)[string]): Promise<number> {
  const specs = inputSpecs(paths);
  const human = flags.format === 'human';
  const options: FormatOptions = {
    redact: resolveRedact(flags.redact, settings.config.redact, PUBLIC_FORMATS.has(flags.format)),
    color: human && flags.output === undefined && useColor(flags.color),
    quiet: flags.quiet === true,
  };
  const summary: Report['summary'] = { checked: 0, pass: 0, warn: 0, block: 0, error: 0 };
  let warnings = 0;
  let written = 0;
  const progress = createProgress('checked');
  const skipped: string[] = [];
  const spool = await createSpool();
  try {
    for await (const result of checkInputs(specs, flags, settings, skipped)) {
      if (PUBLIC_FORMATS.has(flags.format)) relativeToWorkspace(result, process.env.GITHUB_WORKSPACE, process.cwd());
      const text = format.result(result, options, summary.checked, written);
      if (text !== '') {
        written++;
        await spool.write(text);
      }
      summary.checked++;
      summary[result.verdict]++;
      for (const f of result.findings) if (f.severity === 'warning') warnings++;
      progress.tick(summary.checked);
    }
    progress.done();
    const code = exitCodeForCounts(summary, warnings, flags.maxWarnings ?? settings.config.maxWarnings);
    // Set before writing: when the reader closes the pipe early (`check ... | head`), main.ts exits
    // on EPIPE with process.exitCode, and a blocked message must not come out as 0.
    process.exitCode = code;
    const count = summary.checked;
    async function* pieces(): AsyncGenerator<string> {
      const head = format.head(summary, count);
      if (head !== '') yield head;
      yield* spool.read();
      yield format.tail(summary, count, written);
    }
    await writeReportPieces(pieces(), flags.output);
    writeSkippedNote(skipped);
    return code;
  } finally {
    await spool.close();
  }
}
