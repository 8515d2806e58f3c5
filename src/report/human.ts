// The human report: per message the verdict, what is exposed, a few addresses, and the fix.

import type { FixOutlook } from '../decide/fix.js';
import { listInAttachment, UNREADABLE_CODES } from '../decide/modes.js';
import type { Finding } from '../findings.js';
import { MAX_PROBLEMS_PER_FIELD } from '../limits.js';
import type { MessageResult } from '../result.js';
import { describeDeliveryReason, describeFinding, fieldName, fieldsNoRewriteMoves, findingExamples, findingExcerpt, formatAddressList, contentLeftText, listLeftText, shownExcerpt, unfixableByRewrite } from './messages.js';
import { MAX_NOT_READ_NAMED, type Formatter, type FormatOptions, type NotReadFile, type Report, type StreamFormatter } from './report.js';

/** The styles the human formats use. A chalk instance is one (the CLI passes `new Chalk({ level })`). */
export interface Painter {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const plain: Painter = { red: (s) => s, yellow: (s) => s, green: (s) => s, dim: (s) => s, bold: (s) => s };

/** The painter for a `color` option: the one handed in, or none. Colour is never a global. */
export function painter(color: Painter | false | undefined): Painter {
  return color || plain;
}

const MAX_HUMAN_EXAMPLES = 3;

import { printable } from './printable.js';
import { maskText } from './redact.js';
import { shellQuote } from './shell-quote.js';

export { printable };

function verdictLabel(r: MessageResult, p: Painter): string {
  switch (r.verdict) {
    case 'pass':
      return p.green('PASS');
    case 'warn':
      return p.yellow('WARN');
    case 'block':
      return p.red(p.bold('BLOCK'));
    case 'error':
      return p.red(p.bold('ERROR'));
  }
}

function recipientSummary(r: MessageResult): string {
  return `${visibleSummary(r)}${shownElsewhere(r)}`;
}

function visibleSummary(r: MessageResult): string {
  const v = r.recipients.visible;
  if (v.length === 0) return 'no visible recipients';
  const distinct = new Set(v.map((x) => x.address)).size;
  const external = r.recipients.externalAddresses;
  if (external === 0) return `${distinct} visible recipient${distinct === 1 ? '' : 's'}, all internal`;
  return `${distinct} visible recipient${distinct === 1 ? '' : 's'}, ${external} external from ${r.recipients.externalParties} organisation${r.recipients.externalParties === 1 ? '' : 's'}`;
}

/** External addresses shown outside the recipient fields (names, comments, X-Recipients ...), so a
 * message blocked for them does not read as "all internal". */
function shownElsewhere(r: MessageResult): string {
  const visible = new Set(r.recipients.visible.map((x) => x.address));
  const n = new Set(r.recipients.shown.filter((x) => !x.internal && !visible.has(x.address)).map((x) => x.address)).size;
  // Not "elsewhere": an address To shows that could not be read as a recipient (a look-alike
  // domain) is counted here too.
  return n === 0 ? '' : `; ${n} more external shown in the header`;
}

const NOT_INFERRED: Record<string, string> = {
  'no-sender': 'no readable sender address',
  'address-literal': 'the sender is an address literal',
  'public-suffix': 'the sender\'s domain is a public suffix such as com, co.uk or github.io',
  'consumer-provider': 'the sender uses a consumer mail provider',
  'several-authors': 'From names several authors and no Sender',
  'not-internal-in-every-profile': 'the sender\'s domain is not internal under every profile that applies',
};

export const formatHuman: Formatter = (report, options) => {
  const lines: string[] = [];
  for (const r of report.results) lines.push(...humanResultLines(r, options));
  lines.push(...humanTotalsLines(report.summary, report.notRead, lines.length > 0, options));
  return `${lines.join('\n')}\n`;
};

/** The same report result by result (see ReportStream). */
export const streamHuman: StreamFormatter = (options) => {
  let anyLines = false;
  const alone = (r: MessageResult) => {
    const lines = humanResultLines(r, options);
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  };
  const place = (text: string) => {
    if (text !== '') anyLines = true;
    return text;
  };
  return {
    result: (r) => place(alone(r)),
    parallel: { alone, place },
    finish(summary, notRead) {
      const lines = humanTotalsLines(summary, notRead, anyLines, options);
      return { head: '', tail: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
    },
  };
};

/** One message's lines (none for a pass with --quiet). */
function humanResultLines(r: MessageResult, options: FormatOptions): string[] {
  const p = painter(options.color);
  const lines: string[] = [];
  const fix = options.fixCommand ?? 'mailguard fix';
  const policy = (options.fixArguments ?? []).map((a) => ` ${shellQuote(a)}`).join('');
  if (options.quiet && r.verdict === 'pass') return lines;
  const summary = r.verdict === 'error' ? '' : ` ${p.dim(`(${recipientSummary(r)})`)}`;
  const profile = r.profile !== undefined ? ` ${p.dim(`[profile ${r.profile}]`)}` : '';
  lines.push(`${verdictLabel(r, p)} ${p.bold(printable(r.source))}${summary}${profile}`);
  for (const group of groupRepeatedFindings(r.findings)) {
    const f = group[0]!;
    const sev = f.severity === 'error' ? p.red('error  ') : f.severity === 'warning' ? p.yellow('warning') : p.dim('info   ');
    if (group.length > 1) {
      lines.push(`  ${sev} ${f.code}: ${describeRepeated(group, options.redact, p)}${p.dim(lineRange(group))}`);
      continue;
    }
    const at = f.line !== undefined ? p.dim(` (line ${f.line}${f.jsonPath !== undefined ? `, ${f.jsonPath}` : ''})`) : '';
    lines.push(`  ${sev} ${f.code}: ${describeFinding(f, { redact: options.redact })}${at}`);
    const examples = findingExamples(f);
    if (examples.length > 0) {
      const shown = examples.slice(0, MAX_HUMAN_EXAMPLES);
      const more =
        f.code === 'EXPOSED_RECIPIENTS' || f.code === 'ADDRESS_LIST_IN_BODY' || f.code === 'ADDRESS_LIST_IN_ATTACHMENT' || f.code === 'EXPOSED_ATTENDEES'
          ? f.args.externalAddresses - shown.length
          : f.code === 'INTERNAL_DOMAIN_INFERRED'
            ? f.args.sameDomainAddresses - shown.length
            : examples.length - shown.length;
      lines.push(`          ${p.dim('e.g.')} ${formatAddressList(shown, options.redact)}${more > 0 ? p.dim(` and ${more} more`) : ''}`);
    }
  }
  if (r.verdict !== 'error' && r.recipients.hidden.length > 0) {
    lines.push(`  ${p.dim(`${r.recipients.hidden.length} envelope recipient(s) not shown in the header (Bcc-style)`)}`);
  }
  if (r.internal.inferred && (r.recipients.externalAddresses > 0 || r.internal.notInferred !== undefined)) {
    const d = r.internal.domains.length > 0 ? `${r.internal.domains.join(', ')} (exactly; not their other subdomains)` : `none, so every address is external (${NOT_INFERRED[r.internal.notInferred ?? 'no-sender']})`;
    const from = r.internal.inferredFrom !== undefined && r.internal.inferredFrom !== 'from' ? ` (${fieldName(r.internal.inferredFrom)})` : '';
    lines.push(`  ${p.dim(`internal domain inferred from the sender${from}: ${d}; set internalDomains or --internal-domain to be sure`)}`);
  }
  const exposure = r.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS');
  // What mailguard fix would do is the check's data (r.fix, decided by fix's own decision,
  // src/decide/fix.ts): the hint only words it. Without it, no fix command is named.
  const wontFix = r.fix !== undefined && r.fix.outcome !== 'rewrite' ? fixRefusalText(r.fix) : undefined;
  const attachment = r.fix === undefined ? r.findings.find(listInAttachment) : undefined;
  // These sentences name attachments, whose names may hold addresses: masked as the findings are.
  const masked = (text: string) => (options.redact ? maskText(text) : text);
  if (wontFix) {
    lines.push(`  ${p.dim('fix:')} ${masked(wontFix)}`);
  } else if (attachment) {
    lines.push(`  ${p.dim('fix:')} ${masked(unfixableByRewrite([attachment]) ?? '')}`);
  } else if (exposure && r.fix && r.source !== '-' && !r.source.includes('#')) {
    // A split writes several messages and fix asks where: `-o -` (an mbox on stdout, as a bcc
    // rewrite of one file writes its draft there), so the command runs as printed.
    lines.push(`  ${p.dim('fix:')} ${fix} ${shellQuote(r.source)} --strategy ${r.fix.strategy}${r.fix.strategy === 'split' ? ' -o -' : ''}${policy}`);
  } else if (exposure?.jsonPath !== undefined) {
    lines.push(`  ${p.dim('fix:')} in ${exposure.jsonPath}, move the external addresses to "bcc", or give each recipient a message object of its own`);
  } else if (exposure) {
    const does = r.fix ? ` (${fix} --strategy ${r.fix.strategy}${policy} does the ${r.fix.strategy === 'bcc' ? 'first' : 'second'})` : '';
    lines.push(`  ${p.dim('fix:')} move the external addresses in ${exposure.code === 'EXPOSED_RECIPIENTS' ? exposure.args.fields.map(fieldName).join('/') : 'To/Cc'} to Bcc, or send one message per recipient${does}`);
  }
  // A rewrite that hides part of the list: what is left to do by hand.
  if (!wontFix && !attachment && exposure && r.fix?.left) lines.push(`  ${p.dim('then:')} ${listLeftText(r.fix.left)}`);
  // A list in the text or an attachment the policy lets through stays in what fix writes.
  if (!wontFix && !attachment && exposure && r.fix?.contentLeft) {
    lines.push(`  ${p.dim('then:')} ${masked(contentLeftText(r.fix.contentLeft))}`);
  }
  return lines;
}

/**
 * The findings in report order, those whose sentence differs only by the excerpt it quotes (same
 * code, severity, place in a campaign and arguments but the excerpt: one problem kind in one
 * field, an address each) gathered at the first one's place: a field of 20 look-alike domains is
 * one line, not 20 lines of one sentence with 20 addresses.
 */
function groupRepeatedFindings(findings: readonly Finding[]): Finding[][] {
  const groups: Finding[][] = [];
  const byKey = new Map<string, Finding[]>();
  for (const f of findings) {
    if (findingExcerpt(f) === undefined) {
      groups.push([f]);
      continue;
    }
    const key = JSON.stringify([f.code, f.severity, f.jsonPath ?? null, { ...f.args, excerpt: '' }]);
    const group = byKey.get(key);
    if (group) group.push(f);
    else {
      const created = [f];
      byKey.set(key, created);
      groups.push(created);
    }
  }
  return groups;
}

/** The sentence of repeated findings once, then a few of their excerpts (masked with --redact) and how many more. */
function describeRepeated(group: readonly Finding[], redact: boolean, p: Painter): string {
  const text = describeFinding(group[0]!, { redact, excerpt: false });
  const excerpts = group.map((f) => findingExcerpt(f) ?? '').filter((e) => e !== '');
  if (excerpts.length === 0) return text;
  const shown = excerpts.slice(0, MAX_HUMAN_EXAMPLES);
  const more = excerpts.length - shown.length;
  // The parser keeps MAX_PROBLEMS_PER_FIELD problems of a field: a group that reached it may stand for more.
  const atLeast = group.length >= MAX_PROBLEMS_PER_FIELD ? 'at least ' : '';
  return `${text}: ${p.dim('e.g.')} ${shown.map((e) => shownExcerpt(e, redact)).join(', ')}${more > 0 ? p.dim(` and ${atLeast}${more} more`) : ''}`;
}

/** ` (line 2)`, ` (lines 2-7)`: where repeated findings are, from the first line to the last (as a single finding's, none without a line). */
function lineRange(group: readonly Finding[]): string {
  const numbers = group.flatMap((f) => (f.line !== undefined ? [f.line] : []));
  if (numbers.length === 0) return '';
  const path = group[0]!.jsonPath !== undefined ? `, ${group[0]!.jsonPath}` : '';
  const first = Math.min(...numbers);
  const last = Math.max(...numbers);
  return ` (${first === last ? `line ${first}` : `lines ${first}-${last}`}${path})`;
}

/** Why mailguard fix would not rewrite the message (its outlook's refusal), as the hint says it. */
function fixRefusalText(outlook: FixOutlook): string {
  const refusal = outlook.refusal;
  const leaves = outlook.outcome === 'untouched' ? 'leave it as written' : 'refuse';
  switch (refusal?.code) {
    case undefined:
      return `mailguard fix would leave it as written`;
    case 'unreadable':
      return 'not a message mailguard fix can rewrite';
    case 'list-in-attachment':
      return unfixableByRewrite([refusal.finding]) ?? 'a list travels in an attachment, which a header rewrite cannot clean';
    case 'cannot-cure': {
      if (refusal.codes.some((c) => UNREADABLE_CODES.has(c))) return UNREADABLE_HEADER;
      const cured = refusal.codes.filter((c) => c !== 'EXPOSED_RECIPIENTS');
      return `${cured.join(', ')} ${cured.length === 1 ? 'blocks' : 'block'} it and a rewrite of To/Cc does not cure ${cured.length === 1 ? 'it' : 'them'}, so mailguard fix would ${leaves}: fix ${cured.length === 1 ? 'it' : 'them'} by hand first`;
    }
    case 'still-exposed': {
      const notMoved = fieldsNoRewriteMoves(refusal.fields);
      if (notMoved.length > 0) return `the list in ${notMoved.map(fieldName).join('/')} is not in a recipient field, and no rewrite to Bcc or split removes it: delete the field (or the list in it) and check again`;
      if (refusal.fields.length > 0) return `the list in ${refusal.fields.map(fieldName).join('/')} stays after a rewrite (bcc and split move only To, Cc and Apparently-To), so mailguard fix would ${leaves}: take the addresses out of ${refusal.fields.length === 1 ? 'that field' : 'those fields'} by hand and check again`;
      return `the rewritten message would still be blocked (${refusal.codes.join(', ')}), so mailguard fix would ${leaves}: fix it by hand; the findings above show where`;
    }
    case 'exposure-unchanged':
      return `the list in ${refusal.fields.map(fieldName).join('/')} is not in a recipient field: a rewrite to Bcc or a split moves nobody out of view, so mailguard fix would refuse: take the addresses out of ${refusal.fields.length === 1 ? 'that field' : 'those fields'} by hand and check again`;
    case 'rewrite-refused':
      if (refusal.refusal === 'resent') return 'resent messages are not rewritten: fix the original message, or resend one copy per recipient';
      if (refusal.refusal === 'ambiguous' || refusal.refusal === 'malformed') return UNREADABLE_HEADER;
      return `mailguard fix would ${leaves}: ${describeDeliveryReason({ code: 'rewrite-refused', ...(refusal.detail !== undefined ? { detail: refusal.detail } : {}) })}${refusal.hint !== undefined ? `. ${refusal.hint}` : ''}`;
    case 'other':
      return `mailguard fix would ${leaves}: ${describeDeliveryReason(refusal.reason)}`;
  }
}

const UNREADABLE_HEADER = 'mailguard fix does not rewrite an ambiguous or malformed header: correct the recipient fields by hand first';

/** The lines after the messages': the totals (left out after the lines of a single message) and the files not read. */
function humanTotalsLines(s: Report['summary'], notRead: readonly NotReadFile[], anyLines: boolean, options: FormatOptions): string[] {
  const p = painter(options.color);
  const lines: string[] = [];
  if (s.checked !== 1 || !anyLines || s.notRead > 0) {
    if (anyLines) lines.push('');
    const parts = [`${s.pass} pass`, `${s.warn} warn`, `${s.block} block`, `${s.error} error`];
    const notReadCount = s.notRead > 0 ? `; ${s.notRead} file${s.notRead === 1 ? '' : 's'} not read (not mail)` : '';
    lines.push(`${s.checked} message${s.checked === 1 ? '' : 's'} checked: ${parts.join(', ')}${notReadCount}`);
  }
  if (notRead.length > 0) {
    const shown = notRead.slice(0, MAX_NOT_READ_NAMED);
    lines.push(p.dim(`Not mail, not read (name them with --input FORMAT to read them anyway):`));
    for (const f of shown) lines.push(p.dim(`  ${printable(f.path)} (${f.kind})`));
    if (notRead.length > shown.length) lines.push(p.dim(`  and ${notRead.length - shown.length} more`));
  }
  return lines;
}
