// mailguard check: inputs -> core check -> report -> exit code.

import path from 'node:path';
import { checkMessage, unreadableResult } from '../../analyse.js';
import { withWholeMessages } from '../../io/read-whole.js';
import { MailguardError } from '../../errors.js';
import { BODY_SCAN_CODES } from '../../findings.js';
import { relocateComposedToCampaign, relocateToCampaign } from '../../io/campaign.js';
import { isFailure, readInputs, type NotMailFile } from '../../io/inputs.js';
import { CHECK_STREAMS } from '../../report/check-streams.js';
import { emptySummary, type Report } from '../../report/report.js';
import type { MessageResult } from '../../result.js';
import type { CheckFlags } from '../commands/check.js';
import { EXIT } from '../exit-codes.js';
import { appendStepSummary, resolveRedact, runsInCi, writeReport, writeReportPieces } from '../output.js';
import { profilesForCommand, resolveSettings } from '../policy-options.js';
import { createSpool, type Spool } from '../spool.js';
import { messageIdentity, resolveProfile, type ResolvedProfile } from '../../policy/profiles.js';
import type { PolicyExplanationEntry } from '../../report/profile.js';
import { createProgress, loadColors } from '../terminal.js';
import { programName } from '../program-name.js';
import { printable } from '../../report/printable.js';

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

type Settings = Awaited<ReturnType<typeof resolveSettings>>;

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
  const report = stream({
    redact,
    color: flags.format === 'human' && flags.output === undefined && (await loadColors(flags.color)),
    quiet: flags.quiet === true,
    fixCommand: `${programName()} fix`,
  });
  const stepSummaryFile = flags.format === 'github' ? process.env.GITHUB_STEP_SUMMARY : undefined;
  const stepSummary = stepSummaryFile ? (await import('../../report/github.js')).streamGithubStepSummary({ redact, color: false }) : undefined;
  const spool = createSpool();
  const stepSpool = stepSummary ? createSpool() : undefined;
  try {
    const summary = emptySummary();
    let warnings = 0;
    const skipped: NotMailFile[] = [];
    const progress = createProgress('checked');
    for await (const result of checkInputs(specs, flags, settings, skipped)) {
      if (publicFormat) relativeToWorkspace(result, process.env.GITHUB_WORKSPACE, process.cwd());
      await spool.write(report.result(result));
      if (stepSummary) await stepSpool!.write(stepSummary.result(result));
      summary.checked++;
      summary[result.verdict]++;
      for (const f of result.findings) if (f.severity === 'warning') warnings++;
      progress.tick(summary.checked);
    }
    progress.done();
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

/** A report's head, the spooled text of its results, and its tail. */
async function* around({ head, tail }: { head: string; tail: string }, spool: Spool): AsyncGenerator<string | Uint8Array> {
  if (head !== '') yield head;
  yield* spool.read();
  if (tail !== '') yield tail;
}

/** Every input checked, one result at a time. */
async function* checkInputs(specs: string[], flags: CheckFlags, settings: Settings, skipped: NotMailFile[]): AsyncGenerator<MessageResult> {
  const profiles = settings.profiles;
  const profiled = profiles.list.length > 0;
  // The body scan reads past the header only where the header promises text or an attachment it opens.
  const scan = settings.bodyScan !== undefined && [profiles.default, ...profiles.list].some((p) => BODY_SCAN_CODES.some((c) => p.policy.rules[c] !== 'off'));
  const readOptions: Parameters<typeof readInputs>[1] = { headersOnly: true, mboxBodies: scan, skipped };
  if (flags.input) readOptions.format = flags.input;
  if (flags.contentRoot !== undefined) readOptions.contentRoot = flags.contentRoot;
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
      if (whole && item.bodyNotRead) options.bodyNotRead = item.bodyNotRead;
      // With profiles, the sender's profile (src/policy/profiles.ts) gives the policy.
      const resolved = profiled ? resolveProfile(profiles, identityOf(item.bytes, flags, item.envelope?.mailFrom)) : undefined;
      let result = checkMessage(whole ?? item.bytes, resolved?.policy ?? settings.policy, options);
      if (resolved) result.profile = resolved.name;
      if (item.campaign) {
        const c = item.campaign;
        result = c.modelOrigins ? relocateToCampaign(result, c.modelOrigins, c.jsonPath) : relocateComposedToCampaign(result, item.bytes, c.origins, c.jsonPath, c.messageLine);
      }
      if (item.path !== undefined) result.file = item.path;
      yield result;
    }
  }
}

/** Who sends a message being checked: its From, and what --auth-user, --envelope-from (or a transcript's MAIL FROM) say. */
function identityOf(bytes: Uint8Array, flags: CheckFlags, mailFrom: string | undefined) {
  return messageIdentity(bytes, { authUser: flags.authUser, envelopeFrom: flags.envelopeFrom ?? mailFrom });
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
      process.stderr.write(`mailguard: ${printable(item.source)}: cannot be read (${item.failure.reason}).\n`);
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
