// The per-message work of `mailguard check`, shared by the main thread and check's worker threads
// (check-jobs.ts): input items -> results, with the sender's profile and campaign locations.

import path from 'node:path';
import { checkAndParse, unreadableResult, type CheckOptions } from '../analyse.js';
import type { CheckedMessage } from '../decide/index.js';
import { listInAttachment } from '../decide/modes.js';
import { BODY_SCAN_CODES, type Finding } from '../findings.js';
import { relocateComposedToCampaign, relocateToCampaign } from '../io/campaign.js';
import type { InputItem, NotMailFile, ReadInputsOptions } from '../io/inputs.js';
import { withWholeMessages } from '../io/read-whole.js';
import { locateBodyStart } from '../message/header-block.js';
import { messageIdentity, resolveProfile } from '../policy/profiles.js';
import type { MessageResult } from '../result.js';
import type { CheckFlags } from './commands/check.js';
import type { resolveSettings } from './policy-options.js';

export type Settings = Awaited<ReturnType<typeof resolveSettings>>;

export interface CheckContext {
  flags: CheckFlags;
  settings: Settings;
  /** The body scan reads past the header only where the header promises text or an attachment it opens. */
  scan: boolean;
  readOptions: ReadInputsOptions;
  /** The report words a fix hint (human): each result with a list gets what fix would do with it. */
  fixHints: boolean;
}

export function checkContext(flags: CheckFlags, settings: Settings, skipped: NotMailFile[]): CheckContext {
  const profiles = settings.profiles;
  const scan = settings.bodyScan !== undefined && [profiles.default, ...profiles.list].some((p) => BODY_SCAN_CODES.some((c) => p.policy.rules[c] !== 'off'));
  const readOptions: ReadInputsOptions = { headersOnly: true, bodies: scan, skipped };
  if (flags.input) readOptions.format = flags.input;
  if (flags.contentRoot !== undefined) readOptions.contentRoot = flags.contentRoot;
  return { flags, settings, scan, readOptions, fixHints: flags.format === 'human' };
}

/** Messages this process (or worker thread) has checked: whether its code is worth caching. */
let checkedHere = 0;
export function checkedInThisProcess(): number {
  return checkedHere;
}

/** Every item checked, one result at a time, in order. */
export async function* checkItems(items: AsyncIterable<InputItem> | Iterable<InputItem>, ctx: CheckContext): AsyncGenerator<MessageResult> {
  const { flags, settings } = ctx;
  const profiles = settings.profiles;
  const profiled = profiles.list.length > 0;
  for await (const { item, whole } of withWholeMessages(items, ctx.scan)) {
    if ('failure' in item) {
      const failed = unreadableResult(item.source, item.failure.reason, item.failure.detail);
      if (item.path !== undefined) failed.file = item.path;
      yield failed;
      continue;
    }
    const options: CheckOptions = { source: item.source, lineOffset: item.lineOffset };
    if (item.envelope) options.envelope = item.envelope;
    // Header-only bytes may hold part of the body: scan only what was read whole.
    options.body = whole ? settings.bodyScan! : false;
    if (item.bodyNotRead) options.bodyNotRead = item.bodyNotRead;
    // With profiles, the sender's profile (src/policy/profiles.ts) gives the policy.
    const resolved = profiled ? resolveProfile(profiles, identityOf(item.bytes, flags, item.envelope?.mailFrom)) : undefined;
    const checkedBytes = whole ?? item.bytes;
    const checkedPolicy = resolved?.policy ?? settings.policy;
    const made = checkAndParse(checkedBytes, checkedPolicy, options);
    let result = made.result;
    // This check as made, for the fix hint's decision to reuse where it would make the same one
    // (decideDelivery's reusableCheck): a copy, as the result is given its profile and file below;
    // made only for a message that gets a hint (without one the decision simply checks again).
    const checked: CheckedMessage | undefined = ctx.fixHints && result.findings.some(needsFixHint) ? { bytes: checkedBytes, policy: checkedPolicy, options, result: { ...result }, parsed: made.parsed } : undefined;
    if (resolved) result.profile = resolved.name;
    if (item.campaign) {
      const c = item.campaign;
      result = c.modelOrigins ? relocateToCampaign(result, c.modelOrigins, c.jsonPath) : relocateComposedToCampaign(result, item.bytes, c.origins, c.jsonPath, c.messageLine);
    }
    if (item.path !== undefined) result.file = item.path;
    if (ctx.fixHints && result.findings.some(needsFixHint)) {
      // What fix would do, decided by fix's own decision (loaded on first use: a check that finds
      // no list never loads the rewrite), on the bytes and the profile fix would read: the whole
      // message, else its header alone (header-only bytes may hold part of a body).
      const { fixOutlook } = await import('../decide/fix.js');
      const bytes = whole ?? headerPart(item.bytes);
      // (Without profiles the policy is the top level's: no need to read the sender, which parses
      // the whole header again, 250,000 addresses for the largest.)
      result.fix = fixOutlook(bytes, profiled ? resolveProfile(profiles, messageIdentity(bytes)).policy : profiles.default.policy, checked, item.envelope);
    }
    checkedHere++;
    yield result;
  }
}

/** A finding the human report's fix hint is about: an exposed list, or a list no header rewrite reaches. */
function needsFixHint(f: Finding): boolean {
  return f.code === 'EXPOSED_RECIPIENTS' || listInAttachment(f);
}

/** The header block of `bytes` and its blank line (all of it when no blank line ends a header). */
function headerPart(bytes: Uint8Array): Uint8Array {
  const start = locateBodyStart(bytes);
  return start === -1 ? bytes : bytes.subarray(0, start);
}

/** Warning findings of a result (check's --max-warnings counts them). */
export function warningCount(r: MessageResult): number {
  let n = 0;
  for (const f of r.findings) if (f.severity === 'warning') n++;
  return n;
}

/** Who sends a message being checked: its From, and what --auth-user, --envelope-from (or a transcript's MAIL FROM) say. */
export function identityOf(bytes: Uint8Array, flags: CheckFlags, mailFrom: string | undefined) {
  return messageIdentity(bytes, { authUser: flags.authUser, envelopeFrom: flags.envelopeFrom ?? mailFrom });
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
