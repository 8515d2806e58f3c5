// mailguard fix: inputs -> core check -> rewrite (bcc or split) -> files. The rewriting itself
// is the pure core (src/rewrite); this adapter decides what to write where and prints the plan.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { decideFix, type FixOptions } from '../../decide/fix.js';
import type { DeliveryReason } from '../../decide/index.js';
import { MailguardError } from '../../errors.js';
import { isFailure, readInputs, type NotMailFile } from '../../io/inputs.js';
import { createOutputSet, type OutputSet, type StagedFile } from '../../io/output-set.js';
import { normaliseAddress } from '../../message/address-list.js';
import type { Envelope } from '../../message/envelope.js';
import { usesCrOnly } from '../../message/header-block.js';
import { checkCommand, FIX_REASONS, type FixOutput, type FixReport, type FixResult } from '../../report/fix.js';
import { formatterFor } from '../../report/formats.js';
import { describeDeliveryReason, describeUnreadable } from '../../report/messages.js';
import type { FixFlags } from '../commands/fix.js';
import { EXIT } from '../exit-codes.js';
import { policyArguments, resolveSettings } from '../policy-options.js';
import { programName } from '../program-name.js';
import { messageIdentity, resolveProfile } from '../../policy/profiles.js';
import { writeSkippedNote } from '../skipped-note.js';
import { inputSpecs } from './check.js';

interface Produced {
  result: FixResult;
  /** How many messages the rewrite makes (one for bcc, several for split). */
  count: number;
  /** Who each of them is for, in order. */
  recipients: string[][];
  /** The messages, made one at a time as they are written (a split's copies). */
  messages: () => Iterable<{ bytes: Uint8Array }>;
  /** The input file, when the message is a whole plain file (in-place is possible). */
  file?: string;
  /** The input bytes: passed through unchanged on stdout when one message is untouched. */
  original?: Uint8Array;
  /** Untouched, but a copy of it would not reach the people its envelope names (FixOutlook.uncopyable). */
  uncopyable?: DeliveryReason;
}

/** `dir/a.eml` -> `a`, `box.mbox#3` -> `box-3`, `-` -> `message`. */
export function outputStem(source: string): string {
  if (source === '-') return 'message';
  const hash = source.lastIndexOf('#');
  const file = hash === -1 ? source : source.slice(0, hash);
  const n = hash === -1 ? '' : `-${source.slice(hash + 1)}`;
  const base = path.basename(file).replace(/\.(eml|msg|mbox|mbx|smtp|txt)$/i, '');
  return `${base || 'message'}${n}`;
}

/** The mbox separator line for copies written by mailguard (asctime date, as mbox readers expect), without its line end. */
function mboxFromLine(now: Date): string {
  const s = now.toUTCString(); // "Sun, 29 Nov 2026 04:00:00 GMT"
  const [day, dd, mon, yyyy, time] = s.replace(',', '').split(' ');
  return `From mailguard@localhost ${day} ${mon} ${String(Number(dd)).padStart(2, ' ')} ${time} ${yyyy}`;
}

/** The line end an mbox entry of `bytes` is written with: a bare CR for a message whose lines end in one (a classic Mac OS
 * mailbox, which mbox readers split at CR), else LF. An LF around a CR-only message made its header end in CR with LF after. */
function mboxLineEnd(bytes: Uint8Array): '\r' | '\n' {
  return usesCrOnly(bytes) ? '\r' : '\n';
}

/** One message as an mboxrd entry: `From ` line, `>From ` quoting, a blank line after, in the message's line end (mboxLineEnd). */
export function toMboxEntry(bytes: Uint8Array, now: Date = new Date()): Buffer {
  const eol = mboxLineEnd(bytes);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let quoted = text.replace(/^(>*From )/gm, '>$1');
  if (!quoted.endsWith(eol)) quoted += eol;
  return Buffer.concat([Buffer.from(mboxFromLine(now) + eol, 'latin1'), Buffer.from(quoted, 'latin1'), Buffer.from(eol, 'latin1')]);
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The check command fix's hints name for `source`: its file (an mbox's, for a message in one;
 * `-` for stdin) and the policy options fix was given, so it reaches the verdict fix reached.
 */
function checkCommandFor(source: string, file: string | undefined, flags: FixFlags): string {
  return checkCommand(programName(), ['check', file ?? source, ...policyArguments(flags)]);
}

function decideOne(bytes: Uint8Array, source: string, file: string | undefined, envelope: Envelope | undefined, flags: FixFlags, settings: Awaited<ReturnType<typeof resolveSettings>>): Produced {
  const options: FixOptions = { strategy: flags.strategy, source };
  if (envelope) options.envelope = envelope;
  if (flags.strategy === 'split') {
    options.split = { removeDkim: flags.removeDkim === true };
    if (flags.messageIdDomain !== undefined) options.split.messageIdDomain = flags.messageIdDomain;
  } else {
    options.bcc = { to: flags.to, allToBcc: flags.allToBcc === true, removeDkim: flags.removeDkim === true };
  }
  // A draft has no transport identity: its From chooses the profile (the mode is fix's --strategy).
  const profile = resolveProfile(settings.profiles, messageIdentity(bytes));
  // The one decision (src/decide/fix.ts), the same check's human report words its hint from.
  const fix = decideFix(bytes, profile.policy, options);
  const decision = fix.decision;
  const check = decision.result;
  const result: FixResult = { source, action: 'untouched', verdict: check.verdict, outputs: [], profile: profile.name };
  const none: Produced = { result, count: 0, recipients: [], messages: () => [] };
  if (fix.outcome === 'rewrite') {
    result.action = 'rewritten';
    if (decision.rewrite) result.plan = decision.rewrite;
    const hints = [...(fix.left ? [FIX_REASONS.leftHint(fix.left)] : []), ...(fix.contentLeft ? [FIX_REASONS.contentLeftHint(fix.contentLeft)] : [])];
    if (hints.length > 0) result.hint = hints.join(' ');
    return { result, count: decision.transactionCount, recipients: decision.envelopes.map((e) => e.rcptTo), messages: () => decision.transactions() };
  }
  if (fix.outcome === 'untouched') {
    const exposure = check.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS');
    result.reason = FIX_REASONS.notRewritten(check.verdict, exposure);
    return fix.uncopyable ? { ...none, uncopyable: fix.uncopyable } : none;
  }
  result.action = 'refused';
  const refusal = fix.refusal;
  const reason = decision.reason;
  switch (refusal?.code) {
    case 'unreadable': {
      const f = check.findings.find((x) => x.code === 'UNREADABLE_MESSAGE');
      result.reason = FIX_REASONS.notAMessage(f?.code === 'UNREADABLE_MESSAGE' ? f.args.reason : 'unreadable');
      break;
    }
    case 'cannot-cure':
    case 'still-exposed':
      // The findings a rewrite cannot cure come first: they are why it was not rewritten.
      result.reason = FIX_REASONS.cannotCure(refusal.codes, refusal.code === 'still-exposed');
      result.hint = FIX_REASONS.cannotCureHint(checkCommandFor(source, file, flags));
      break;
    case 'exposure-unchanged':
      result.reason = FIX_REASONS.exposureUnchanged(refusal.fields);
      result.hint = FIX_REASONS.exposureUnchangedHint(refusal.fields, checkCommandFor(source, file, flags));
      break;
    default:
      if (reason) result.reason = `${describeDeliveryReason(reason)}.`;
  }
  if (refusal?.code !== 'list-in-attachment' && reason?.hint !== undefined) result.hint = reason.hint;
  return none;
}

/** Checks the flag combination before any input is read. */
function validateFlags(flags: FixFlags, sensitive: boolean): void {
  if (flags.strategy === 'bcc' && sensitive) {
    throw new MailguardError('EREWRITE', 'a sensitive list is not fixed with Bcc: one reply-all or one leaked Bcc field exposes everyone.', {
      hint: 'Use --strategy split: each recipient gets a copy of their own.',
    });
  }
  if (flags.inPlace && flags.output !== undefined) throw new MailguardError('EUSAGE', '--in-place and --output cannot be used together.');
  if (flags.strategy === 'split' && flags.inPlace) {
    throw new MailguardError('EUSAGE', '--in-place does not work with --strategy split: one input becomes several messages.', { hint: 'Give -o DIR (one .eml per copy) or -o FILE.mbox.' });
  }
  if (flags.strategy === 'split' && flags.output === undefined && !flags.dryRun) {
    throw new MailguardError('EUSAGE', '--strategy split writes several messages: say where.', { hint: 'Give -o DIR (one .eml per copy), -o FILE.mbox, or -o - for an mbox on stdout.' });
  }
  if (flags.strategy === 'split' && (flags.to !== 'undisclosed' || flags.allToBcc)) {
    throw new MailguardError('EUSAGE', '--to and --all-to-bcc apply to --strategy bcc only.');
  }
  if (flags.to !== 'undisclosed' && flags.to !== 'sender' && normaliseAddress(flags.to) === undefined) {
    throw new MailguardError('EUSAGE', `--to takes undisclosed, sender or one address (got "${flags.to}").`);
  }
}

type Target = { kind: 'stdout-message' } | { kind: 'file'; path: string } | { kind: 'dir'; path: string } | { kind: 'mbox'; path: string } | { kind: 'in-place' } | { kind: 'none' };

async function chooseTarget(flags: FixFlags, produced: Produced[]): Promise<Target> {
  if (flags.dryRun) return { kind: 'none' };
  if (flags.inPlace) return { kind: 'in-place' };
  const out = flags.output;
  if (flags.strategy === 'split') {
    if (out === '-' || /\.(mbox|mbx)$/i.test(out!)) return { kind: 'mbox', path: out! };
    return { kind: 'dir', path: out! };
  }
  const rewritten = produced.filter((p) => p.messages.length > 0).length;
  if (out === undefined || out === '-') {
    if (produced.length === 1) return { kind: 'stdout-message' };
    throw new MailguardError('EUSAGE', `${produced.length} messages were read: the rewritten ones need a place to go.`, { hint: 'Give -o DIR, --in-place, or --dry-run to see the plan only.' });
  }
  if (out.endsWith('/') || out.endsWith(path.sep) || (await isDirectory(out)) || rewritten > 1 || produced.length > 1) return { kind: 'dir', path: out };
  return { kind: 'file', path: out };
}

/** Refuses an -o directory that exists as something else or is named like a single .eml file; made only when a copy is written. */
async function checkOutputDirectory(dir: string, inputs: number): Promise<void> {
  let existing: Awaited<ReturnType<typeof stat>> | undefined;
  try {
    existing = await stat(dir);
  } catch {
    existing = undefined;
  }
  const hint = 'Give -o DIR (created if missing, one .eml per message), or -o FILE.mbox with --strategy split.';
  if (existing && !existing.isDirectory()) throw new MailguardError('EUSAGE', `-o ${dir} exists and is not a directory; the rewritten messages need a directory.`, { hint });
  if (!existing && /\.(eml|msg|txt)$/i.test(dir)) {
    const what = inputs > 1 ? `${inputs} messages were read` : 'the message is split into several';
    throw new MailguardError('EUSAGE', `${what}: -o ${dir} would have to be a directory, but it is named like one message file.`, { hint });
  }
}

/**
 * Writes every produced message; returns what goes to stdout (message bytes or an mbox), if anything.
 * Files go through one output set (src/io/output-set.ts): nothing is created, and no file the
 * user had is touched, unless a message is written, and nothing shows until every copy of the run
 * is whole; an error part-way (a full disk, a copy that cannot be made) leaves nothing behind.
 */
async function writeOutputs(target: Target, produced: Produced[]): Promise<Buffer | undefined> {
  if (target.kind === 'dir') await checkOutputDirectory(target.path, produced.length);
  const outputs = createOutputSet();
  try {
    const stdout = await stageOutputs(target, produced, outputs);
    await outputs.commit();
    return stdout;
  } catch (err) {
    await outputs.abort();
    throw err;
  }
}

async function stageOutputs(target: Target, produced: Produced[], outputs: OutputSet): Promise<Buffer | undefined> {
  const toStdout: Buffer[] = [];
  const mbox = openMboxSink(target, outputs);
  const used = new Set<string>();
  const unique = (stem: string): string => {
    let name = stem;
    for (let n = 2; used.has(name); n++) name = `${stem}~${n}`;
    used.add(name);
    return name;
  };
  let directoryMade = false;
  for (const p of produced) {
    if ((target.kind === 'stdout-message' || target.kind === 'file') && p.result.action === 'untouched' && p.original) {
      // One message in, one out: a message that needs no fix comes out as it went in, so
      // "fix a.eml -o b.eml && send b.eml" works either way. Unless the input's envelope names
      // other people than its header: a copy would not reach them, so none is written.
      if (p.uncopyable) {
        p.result.action = 'refused';
        p.result.reason = `${describeDeliveryReason(p.uncopyable)}.`;
        if (p.uncopyable.hint !== undefined) p.result.hint = p.uncopyable.hint;
        continue;
      }
      if (target.kind === 'file') await outputs.write(target.path, p.original);
      else toStdout.push(Buffer.from(p.original));
      p.result.outputs.push({ path: target.kind === 'file' ? target.path : '-', recipients: [] });
      continue;
    }
    if (p.count === 0) continue;
    if (target.kind === 'in-place' && p.file === undefined) {
      p.result.action = 'refused';
      p.result.reason = FIX_REASONS.notInPlace;
      p.result.hint = FIX_REASONS.notInPlaceHint;
      p.count = 0;
      continue;
    }
    if (target.kind === 'none') {
      // A dry run builds no copy: the plan and who each copy is for are enough.
      for (const recipients of p.recipients) p.result.outputs.push({ recipients });
      continue;
    }
    const stem = unique(outputStem(p.result.source));
    let i = 0;
    for (const m of p.messages()) {
      const output: FixOutput = { recipients: p.recipients[i]! };
      switch (target.kind) {
        case 'stdout-message':
          toStdout.push(Buffer.from(m.bytes));
          output.path = '-';
          break;
        case 'file':
          await outputs.write(target.path, m.bytes);
          output.path = target.path;
          break;
        case 'in-place':
          // Staged and renamed over the draft (a symlinked draft where it really lives, its mode kept).
          await outputs.write(p.file!, m.bytes);
          output.path = p.file!;
          break;
        case 'dir': {
          if (!directoryMade) await outputs.directory(target.path);
          directoryMade = true;
          const name = p.count > 1 ? `${stem}-${String(i + 1).padStart(3, '0')}.eml` : `${stem}.eml`;
          output.path = path.join(target.path, name);
          await outputs.write(output.path, m.bytes);
          break;
        }
        case 'mbox':
          await mbox.write(m.bytes);
          output.path = target.path === '-' ? '-' : `${target.path}#${mbox.count}`;
          break;
      }
      p.result.outputs.push(output);
      i++;
    }
  }
  // An mbox on stdout was written as it was made: the plan then goes to stderr.
  if (target.kind === 'mbox' && target.path === '-') return Buffer.alloc(0);
  return toStdout.length > 0 ? Buffer.concat(toStdout) : undefined;
}

/**
 * Where split copies go as an mbox: written one entry at a time, never gathered in memory; the file
 * is opened at its first entry. One mailbox has one line end: a copy whose lines end in a bare CR
 * beside copies with LF would be read as one long line or none, so such a run is refused.
 */
function openMboxSink(target: Target, outputs: OutputSet): { count: number; write(message: Uint8Array): Promise<void> } {
  let file: StagedFile | undefined;
  let lineEnd: string | undefined;
  const sink = {
    count: 0,
    async write(message: Uint8Array): Promise<void> {
      if (target.kind !== 'mbox') return;
      const eol = mboxLineEnd(message);
      if (lineEnd !== undefined && eol !== lineEnd) {
        throw new MailguardError('EUSAGE', 'copies whose lines end in a bare CR (a classic Mac OS message) and copies with LF line ends cannot share one mbox: mail programs read it with one line end.', {
          hint: 'Give -o DIR (one .eml per copy), or fix the CR-only messages in a run of their own.',
        });
      }
      lineEnd = eol;
      const entry = toMboxEntry(message);
      sink.count++;
      if (target.path === '-') return writeStream(process.stdout, entry);
      file ??= await outputs.file(target.path);
      await file.write(entry);
    },
  };
  return sink;
}

export async function runFix(paths: string[], flags: FixFlags): Promise<number> {
  const settings = await resolveSettings(flags);
  validateFlags(flags, settings.policy.sensitive);
  const specs = inputSpecs(paths);
  const produced: Produced[] = [];
  const skipped: NotMailFile[] = [];
  for await (const item of readInputs(specs, { headersOnly: false, mailboxSeparators: true, skipped })) {
    if (isFailure(item)) {
      produced.push({ result: { source: item.source, action: 'refused', verdict: 'error', reason: `${describeUnreadable(item.failure.reason, item.failure.detail)}.`, outputs: [] }, count: 0, recipients: [], messages: () => [] });
      continue;
    }
    if (!item.complete || item.format === 'msg') {
      // An Outlook .msg is read as a MIME rendering of its content: mailguard checks it but cannot write it back.
      const reason = item.format === 'msg' ? FIX_REASONS.outlookMsg : FIX_REASONS.headerOnly;
      produced.push({ result: { source: item.source, action: 'refused', verdict: 'error', reason, outputs: [] }, count: 0, recipients: [], messages: () => [] });
      continue;
    }
    const p = decideOne(item.bytes, item.source, item.path, item.envelope, flags, settings);
    if (item.format === 'eml' && item.path !== undefined && item.source === item.path) p.file = item.path;
    if (p.result.action === 'untouched') p.original = item.bytes;
    produced.push(p);
  }
  const target = await chooseTarget(flags, produced);
  let stdoutBytes: Buffer | undefined;
  try {
    stdoutBytes = await writeOutputs(target, produced);
  } catch (err) {
    if (err instanceof MailguardError) throw err;
    throw new MailguardError('EUSAGE', `cannot write the output: ${(err as Error).message}`, { cause: err });
  }
  const results = produced.map((p) => p.result);
  const report: FixReport = { results };
  if (target.kind === 'dir' || target.kind === 'mbox') report.copiesIn = target.path;
  const text = formatterFor('fix', flags.format)(report, { redact: flags.redact });
  // Stdout is the message channel (one message, or split's mbox on `-o -`): the plan goes to
  // stderr, also when nothing was written there (a refusal), so `fix x.eml > fixed.eml` or
  // `fix x.eml | sendmail -t` never receives the plan as if it were the message.
  const stdoutIsMessages = target.kind === 'stdout-message' || (target.kind === 'mbox' && target.path === '-');
  const planStream = stdoutBytes !== undefined || stdoutIsMessages ? process.stderr : process.stdout;
  const code = results.some((r) => r.action === 'refused') ? EXIT.ERROR : EXIT.OK;
  // Set before writing: a reader that closes the pipe early (`| head`) must not turn this into 0.
  process.exitCode = code;
  if (stdoutBytes !== undefined) await writeStream(process.stdout, stdoutBytes);
  await writeStream(planStream, text);
  writeSkippedNote(skipped);
  return code;
}

function writeStream(stream: NodeJS.WriteStream, data: string | Uint8Array): Promise<void> {
  const name = stream === process.stdout ? 'stdout' : 'stderr';
  return new Promise((resolve, reject) =>
    stream.write(data, (err) => {
      // EPIPE (the reader stopped early) is handled in main.ts; anything else is a usage problem, not a bug.
      if (!err || (err as NodeJS.ErrnoException).code === 'EPIPE') resolve();
      else reject(new MailguardError('EUSAGE', `cannot write to ${name}: ${err.message}`, { hint: 'Check where the output goes (a full disk, a closed or read-only file), or give -o FILE.' }));
    }),
  );
}
