// What `mailguard fix` reports: per message whether it was rewritten, left untouched or refused,
// the plan of each rewrite and where its copies went. Pure formatters, data in and text out;
// src/cli/actions/fix.ts does the rewriting and the writing and hands the run here.

import type { Finding } from '../findings.js';
import type { RewritePlan } from '../rewrite/plan.js';
import { printable } from './human.js';
import { contentLeftText, fieldName, listLeftText } from './messages.js';
import { shellQuote } from './shell-quote.js';
import { maskAddress, maskText } from './redact.js';

/** The human plan lists at most this many addresses per message; the JSON plan lists all. */
export const MAX_PLAN_ADDRESSES = 20;
/** Version of the `fix --format json` document. */
export const FIX_JSON_VERSION = 1;

export type FixAction = 'rewritten' | 'untouched' | 'refused';

export interface FixOutput {
  /** Where the message was written (`-` for stdout), absent on --dry-run. */
  path?: string;
  /** The envelope of this output: who it is for. */
  recipients: string[];
}

export interface FixResult {
  source: string;
  action: FixAction;
  /** The check verdict of the input. */
  verdict: string;
  /** Why it was left untouched or refused. */
  reason?: string;
  hint?: string;
  plan?: RewritePlan;
  outputs: FixOutput[];
  /** The profile whose policy applied (from the draft's From; `default` the top level). */
  profile?: string;
}

/** One run of fix: what every format is made from. */
export interface FixReport {
  results: FixResult[];
  /** The directory or mbox the rewritten copies went to (-o), when only those were written there. */
  copiesIn?: string;
}

export interface FixFormatOptions {
  /** Mask recipient addresses (the default for fix; --no-redact shows them). */
  redact: boolean;
}

/** The JSON document of `fix --format json` (version 1; names are a contract, fields may be added). */
export interface FixJson {
  version: number;
  summary: { messages: number; rewritten: number; untouched: number; refused: number; written: number };
  results: FixResult[];
}

/** Why fix left a message as it was, or did not rewrite it: the results' `reason` and `hint`. */
export const FIX_REASONS = {
  /** Flagged, but not so that this strategy rewrites it (a warning below the rewrite's reach). */
  notRewritten: (verdict: string, exposure: boolean) => (exposure ? `verdict ${verdict}` : `no exposed recipients (verdict ${verdict})`),
  notAMessage: (why: string) => `not a message (${why}).`,
  /** Findings a To/Cc rewrite cannot cure (`policy`), or a rewrite that would still be blocked. */
  cannotCure: (codes: readonly string[], stillBlocked: boolean) =>
    `${codes.join(', ') || 'blocked'}: ${stillBlocked ? 'the rewritten message would still be blocked' : 'a rewrite of To/Cc does not cure it'}; the message was not rewritten.`,
  /** `check`: the check command that shows the same verdict (checkCommand), run after the edit. */
  cannotCureHint: (check: string) => `Fix it by hand; to see where, run: ${check}`,
  /** A warning-level list only in fields no rewrite moves (Keywords, Comments, X-Recipients ...): a rewrite would hide nobody. */
  exposureUnchanged: (fields: readonly string[]) =>
    `the list in ${fields.map(fieldName).join('/')} is not in a recipient field: a rewrite of To/Cc would move nobody out of view; the message was not rewritten.`,
  exposureUnchangedHint: (fields: readonly string[], check: string) => `Take the addresses out of ${fields.map(fieldName).join('/')} by hand, then run: ${check}`,
  /** Rewritten, but a list stays in fields no rewrite moves. */
  leftHint: (fields: readonly string[]) => `${capitalised(listLeftText(fields))}.`,
  /** Rewritten, but a list in the text, an attachment or an invitation (a warning) is in every copy. */
  contentLeftHint: (findings: readonly Finding[]) => `${capitalised(contentLeftText(findings))}.`,
  outlookMsg: 'an Outlook .msg is checked, not rewritten; move the recipients to Bcc in Outlook.',
  headerOnly: 'only the header of this message could be read.',
  notInPlace: 'cannot be rewritten in place: it is not a whole file of its own (a message in an mbox, a transcript, or stdin).',
  notInPlaceHint: 'Use -o DIR instead of --in-place.',
} as const;

/** A sentence of messages.ts started as a sentence of its own. */
function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The `mailguard check` command a hint names: `program` (src/cli/program-name.ts) and the words
 * after it (the input, then the policy options fix was given, src/cli/policy-options.ts
 * policyArguments), each quoted for a shell, so the command run as printed reaches fix's verdict.
 * A message read from stdin is checked from stdin again.
 */
export function checkCommand(program: string, words: readonly string[]): string {
  const command = `${program} ${words.map(shellQuote).join(' ')}`;
  return words[1] === '-' ? `${command} (with the same message on stdin)` : command;
}

export function toFixJson(results: readonly FixResult[], redact: boolean): FixJson {
  const mask = (a: string): string => (redact ? maskAddress(a) : a);
  const out = results.map((r): FixResult => {
    const copy: FixResult = { ...r, outputs: r.outputs.map((o) => ({ ...o, recipients: o.recipients.map(mask) })) };
    // The reason may quote a field (an unreadable address) and the hint name an attachment: masked
    // as the human report masks them.
    if (redact && r.reason !== undefined) copy.reason = maskText(r.reason);
    if (redact && r.hint !== undefined) copy.hint = maskText(r.hint);
    if (r.plan) {
      copy.plan = {
        ...r.plan,
        moved: r.plan.moved.map((m) => ({ ...m, address: mask(m.address) })),
        keptVisible: r.plan.keptVisible.map(mask),
        addedRecipients: r.plan.addedRecipients.map(mask),
      };
    }
    return copy;
  });
  return {
    version: FIX_JSON_VERSION,
    summary: {
      messages: results.length,
      rewritten: results.filter((r) => r.action === 'rewritten').length,
      untouched: results.filter((r) => r.action === 'untouched').length,
      refused: results.filter((r) => r.action === 'refused').length,
      written: results.reduce((n, r) => n + r.outputs.filter((o) => o.path !== undefined).length, 0),
    },
    results: out,
  };
}

export function formatFixJson(report: FixReport, options: FixFormatOptions): string {
  return `${JSON.stringify(toFixJson(report.results, options.redact), null, 2)}\n`;
}

function listAddresses(addresses: readonly string[], redact: boolean): string {
  const shown = addresses.slice(0, MAX_PLAN_ADDRESSES).map((a) => (redact ? maskAddress(a) : a));
  const more = addresses.length - shown.length;
  return shown.join(', ') + (more > 0 ? `, and ${more} more` : '');
}

export function formatFixHuman(report: FixReport, options: FixFormatOptions): string {
  const { results } = report;
  const redact = options.redact;
  const lines: string[] = [];
  for (const r of results) {
    if (r.action === 'untouched') {
      const copied = r.outputs[0]?.path;
      lines.push(`${printable(r.source)}: left untouched: ${r.reason ?? 'nothing to fix'}${copied ? ` (copied unchanged to ${printable(copied)})` : ''}`);
      continue;
    }
    if (r.action === 'refused') {
      // A reason may quote a field of the message (an unreadable address): masked with the rest.
      lines.push(`${printable(r.source)}: NOT rewritten: ${redact ? maskText(r.reason ?? 'refused') : (r.reason ?? 'refused')}`);
      if (r.hint) lines.push(`  ${redact ? maskText(r.hint) : r.hint}`);
      continue;
    }
    const plan = r.plan!;
    const written = r.outputs.filter((o) => o.path !== undefined);
    const where = written.length === 0 ? ' (nothing written)' : written.length === 1 ? ` -> ${printable(written[0]!.path!)}` : '';
    lines.push(`${printable(r.source)}: rewritten (${plan.strategy}), ${plan.messages} message${plan.messages === 1 ? '' : 's'}${where}`);
    if (plan.strategy === 'bcc') {
      if (plan.moved.length > 0) lines.push(`  moved to Bcc (${plan.moved.length}): ${listAddresses(plan.moved.map((m) => m.address), redact)}`);
      if (plan.keptVisible.length > 0) lines.push(`  still visible (${plan.keptVisible.length}): ${listAddresses(plan.keptVisible, redact)}`);
      if (plan.toPlaceholder) lines.push(`  To now shows ${plan.toPlaceholder === 'undisclosed' ? 'undisclosed-recipients:;' : plan.toPlaceholder === 'sender' ? 'the sender' : 'the --to address'}`);
      if (plan.addedRecipients.length > 0) lines.push(`  also receives it now (in To): ${listAddresses(plan.addedRecipients, redact)}`);
      lines.push('  The Bcc field is for a mail client that sends the draft; relaying code must strip it (mailguard send does).');
    } else {
      const shown = r.outputs.slice(0, MAX_PLAN_ADDRESSES);
      for (const [i, o] of shown.entries()) lines.push(`  message ${i + 1} for ${listAddresses(o.recipients, redact)}${o.path ? ` -> ${printable(o.path)}` : ''}`);
      if (r.outputs.length > shown.length) lines.push(`  ... and ${r.outputs.length - shown.length} more messages`);
    }
    // A hint may name an attachment, whose name may hold an address: masked with the rest.
    if (r.hint) lines.push(`  ${redact ? maskText(r.hint) : r.hint}`);
    if (plan.dkimBroken) {
      const by = plan.dkimDomains.length > 0 ? ` (d=${plan.dkimDomains.join(', ')})` : '';
      lines.push(
        plan.dkimRemoved > 0
          ? `  removed ${plan.dkimRemoved} DKIM signature${plan.dkimRemoved === 1 ? '' : 's'}${by} that covered a rewritten field`
          : `  a DKIM signature${by} covers a rewritten field and will no longer verify; re-sign, or use --remove-dkim`,
      );
    }
  }
  const count = (a: FixAction) => results.filter((r) => r.action === a).length;
  lines.push(`${results.length} message${results.length === 1 ? '' : 's'}: ${count('rewritten')} rewritten, ${count('untouched')} left untouched, ${count('refused')} not rewritten.`);
  const untouched = count('untouched');
  // -o DIR is not a fixed copy of the whole input: say so before someone sends DIR as the mailing.
  if (report.copiesIn !== undefined && untouched > 0) lines.push(`Only the rewritten messages were written to ${printable(report.copiesIn)}; the ${untouched} left untouched were not copied there.`);
  return `${lines.join('\n')}\n`;
}
