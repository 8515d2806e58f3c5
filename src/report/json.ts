// The JSON report: a contract. Field names do not change within a version; new fields may be added.

import type { Finding } from '../findings.js';
import type { MessageResult, RecipientView, Verdict } from '../result.js';
import { jsonArrayAround } from './json-pieces.js';
import { DEFAULT_PROFILE } from '../policy/config.js';
import { describeFinding } from './messages.js';
import { maskAddress, maskParty, maskText } from './redact.js';
import type { Formatter, FormatOptions, NotReadFile, Report, StreamFormatter } from './report.js';

export const JSON_REPORT_VERSION = 1;

export interface JsonRecipient {
  address: string;
  field: string;
  internal: boolean;
  party: string;
  line: number;
  /** Written inside a display name, comment or group name, or in a field that is not an address field (shown, not a recipient). */
  inDisplayName?: true;
}

export interface JsonFinding {
  code: Finding['code'];
  severity: Finding['severity'];
  message: string;
  line?: number;
  /** Where in a campaign JSON file: `messages[3].cc`. */
  jsonPath?: string;
  /** The finding's coded arguments (see FindingArgs). */
  args: Record<string, unknown>;
}

export interface JsonResult {
  source: string;
  verdict: Verdict;
  findings: JsonFinding[];
  recipients: {
    visible: JsonRecipient[];
    hidden: Array<{ address: string; internal: boolean }>;
    bcc: JsonRecipient[];
    reply: JsonRecipient[];
    /** Other addresses every reader sees (several authors, several senders, addresses in display names); `inDisplayName` marks the latter. */
    shown: JsonRecipient[];
    externalParties: number;
    externalAddresses: number;
  };
  sender?: string;
  internalDomains: string[];
  internalDomainsInferred: boolean;
  /** With inference: the field it was read from (from, sender, resent-from, resent-sender). */
  internalDomainsInferredFrom?: string;
  /** With inference and no internal domain: why (no-sender, address-literal, public-suffix, consumer-provider, several-authors, not-internal-in-every-profile); nothing is internal. */
  internalDomainsNotInferred?: string;
  envelope?: { mailFrom: string; rcptTo: string[] };
  /** The profile whose policy applied (`default`: the top level; `a+b`: a merged with the stricter b). */
  profile: string;
}

export interface JsonReport {
  version: typeof JSON_REPORT_VERSION;
  /** `notRead`: files found (directory walk, glob) that are not mail and were not read. */
  summary: { checked: number; pass: number; warn: number; block: number; error: number; notRead: number };
  results: JsonResult[];
  /** Each file not read, with what it is instead ("PNG image"). */
  notRead: Array<{ path: string; kind: string }>;
}

function maskArgs(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  // Every string, not only the examples and excerpts: an attachment's or sheet's name, a detail
  // quoting the input, a list's address can hold addresses too (describeFinding does the same).
  for (const key of Object.keys(out)) {
    const v = out[key];
    if (typeof v === 'string') out[key] = maskText(v);
    else if (Array.isArray(v)) out[key] = v.map((x: unknown) => (typeof x !== 'string' ? x : key === 'examples' ? maskAddress(x) : maskText(x)));
  }
  return out;
}

/** Builds the JSON document (pure; printing is the CLI's job). */
export function toJsonReport(report: Report, options: Pick<FormatOptions, 'redact'>): JsonReport {
  return {
    version: JSON_REPORT_VERSION,
    summary: { ...report.summary },
    notRead: report.notRead.map((f) => ({ path: f.path, kind: f.kind })),
    results: report.results.map((r) => toJsonResult(r, options)),
  };
}

/** One message's entry in the document's `results`. */
export function toJsonResult(r: MessageResult, options: Pick<FormatOptions, 'redact'>): JsonResult {
  const redact = options.redact;
  const addr = (a: string) => (redact ? maskAddress(a) : a);
  const recipient = (x: JsonRecipient): JsonRecipient => {
    const out: JsonRecipient = { address: addr(x.address), field: x.field, internal: x.internal, party: redact ? maskParty(x.party) : x.party, line: x.line };
    if (x.inDisplayName) out.inDisplayName = true;
    return out;
  };
  const out: JsonResult = {
    source: r.source,
    verdict: r.verdict,
    findings: r.findings.map((f) => {
      const jf: JsonFinding = { code: f.code, severity: f.severity, message: describeFinding(f, { redact }), args: redact ? maskArgs(f.args) : { ...f.args } };
      if (f.line !== undefined) jf.line = f.line;
      if (f.jsonPath !== undefined) jf.jsonPath = f.jsonPath;
      return jf;
    }),
    recipients: {
      visible: r.recipients.visible.map(recipient),
      hidden: r.recipients.hidden.map((h) => ({ address: addr(h.address), internal: h.internal })),
      bcc: r.recipients.blind.map(recipient),
      reply: r.recipients.reply.map(recipient),
      shown: r.recipients.shown.map(recipient),
      externalParties: r.recipients.externalParties,
      externalAddresses: r.recipients.externalAddresses,
    },
    internalDomains: r.internal.domains,
    internalDomainsInferred: r.internal.inferred,
    profile: r.profile ?? DEFAULT_PROFILE,
  };
  if (r.internal.inferredFrom !== undefined) out.internalDomainsInferredFrom = r.internal.inferredFrom;
  if (r.internal.notInferred !== undefined) out.internalDomainsNotInferred = r.internal.notInferred;
  if (r.sender !== undefined) out.sender = addr(r.sender);
  if (r.envelope) out.envelope = { mailFrom: r.envelope.mailFrom === '' ? '' : addr(r.envelope.mailFrom), rcptTo: r.envelope.rcptTo.map(addr) };
  return out;
}

export const formatJson: Formatter = (report, options) => `${JSON.stringify(toJsonReport(report, options), null, 2)}\n`;

/** The same document result by result (see ReportStream): the results, then what surrounds them. */
export const streamJson: StreamFormatter = (options) => {
  let count = 0;
  const alone = (r: MessageResult) => jsonResultText(r, options.redact);
  const place = (text: string) => `${count++ === 0 ? '' : ',\n'}${text}`;
  return {
    result: (r) => place(alone(r)),
    parallel: { alone, place },
    finish(summary: Report['summary'], notRead: readonly NotReadFile[]) {
      const doc = JSON.stringify(toJsonReport({ results: [], summary, notRead: [...notRead] }, options), null, 2);
      const { open, close } = jsonArrayAround(doc, 'results', 1, count);
      return { head: open, tail: `${close}\n` };
    },
  };
};

// jsonResultText writes what jsonArrayElement(toJsonResult(r, options), 1, i) writes (without the
// separator), straight from the MessageResult: for 10,000 drafts (bench scenario 2) building the
// JsonResult objects, pretty-printing them and re-indenting the text with a regex cost about 280 ms
// of a 2.2 s run, plus much of its 480 ms of garbage collection. tests/report/json-text.test.ts
// holds it byte for byte to that path. The indentation below is the element's, at depth 1 of the
// document (`results`' elements): 4 spaces, and 2 more per level inside it.

const I4 = '    ';
const I6 = `\n${' '.repeat(6)}`;
const I8 = `\n${' '.repeat(8)}`;
const I10 = `\n${' '.repeat(10)}`;
const I12 = `\n${' '.repeat(12)}`;
const I14 = `\n${' '.repeat(14)}`;

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const str = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/** One result of `results`, with its indentation and no separator. */
function jsonResultText(r: MessageResult, redact: boolean): string {
  const addr = (a: string) => (redact ? maskAddress(a) : a);
  let t = `${I4}{${I6}"source": ${str(r.source)},${I6}"verdict": ${str(r.verdict)},${I6}"findings": `;
  if (r.findings.length === 0) t += '[]';
  else {
    t += '[';
    for (let i = 0; i < r.findings.length; i++) {
      const f = r.findings[i]!;
      t += `${i === 0 ? '' : ','}${I8}{${I10}"code": ${str(f.code)},${I10}"severity": ${str(f.severity)},${I10}"message": ${str(describeFinding(f, { redact }))},${I10}"args": ${argsText(redact ? maskArgs(f.args) : f.args)}`;
      if (f.line !== undefined) t += `,${I10}"line": ${JSON.stringify(f.line)}`;
      if (f.jsonPath !== undefined) t += `,${I10}"jsonPath": ${str(f.jsonPath)}`;
      t += `${I8}}`;
    }
    t += `${I6}]`;
  }
  const rs = r.recipients;
  t += `,${I6}"recipients": {${I8}"visible": ${recipientsText(rs.visible, redact)},${I8}"hidden": `;
  if (rs.hidden.length === 0) t += '[]';
  else {
    t += '[';
    for (let i = 0; i < rs.hidden.length; i++) {
      const h = rs.hidden[i]!;
      t += `${i === 0 ? '' : ','}${I10}{${I12}"address": ${str(addr(h.address))},${I12}"internal": ${h.internal}${I10}}`;
    }
    t += `${I8}]`;
  }
  t += `,${I8}"bcc": ${recipientsText(rs.blind, redact)},${I8}"reply": ${recipientsText(rs.reply, redact)},${I8}"shown": ${recipientsText(rs.shown, redact)}`;
  t += `,${I8}"externalParties": ${JSON.stringify(rs.externalParties)},${I8}"externalAddresses": ${JSON.stringify(rs.externalAddresses)}${I6}}`;
  t += `,${I6}"internalDomains": ${stringsText(r.internal.domains, I8, I6)},${I6}"internalDomainsInferred": ${r.internal.inferred},${I6}"profile": ${str(r.profile ?? DEFAULT_PROFILE)}`;
  if (r.internal.inferredFrom !== undefined) t += `,${I6}"internalDomainsInferredFrom": ${str(r.internal.inferredFrom)}`;
  if (r.internal.notInferred !== undefined) t += `,${I6}"internalDomainsNotInferred": ${str(r.internal.notInferred)}`;
  if (r.sender !== undefined) t += `,${I6}"sender": ${str(addr(r.sender))}`;
  if (r.envelope) {
    const rcptTo = redact ? r.envelope.rcptTo.map(maskAddress) : r.envelope.rcptTo;
    t += `,${I6}"envelope": {${I8}"mailFrom": ${str(r.envelope.mailFrom === '' ? '' : addr(r.envelope.mailFrom))},${I8}"rcptTo": ${stringsText(rcptTo, I10, I8)}${I6}}`;
  }
  return `${t}\n${I4}}`;
}

/** A list of strings; `inner` and `outer` are a line break and the indentation of its elements and of its closing bracket. */
function stringsText(list: readonly string[], inner: string, outer: string): string {
  if (list.length === 0) return '[]';
  let t = '[';
  for (let i = 0; i < list.length; i++) t += `${i === 0 ? '' : ','}${inner}${str(list[i]!)}`;
  return `${t}${outer}]`;
}

function recipientsText(list: readonly RecipientView[], redact: boolean): string {
  if (list.length === 0) return '[]';
  if (list.length <= RECIPIENTS_PER_CHUNK) {
    let t = '[';
    for (let i = 0; i < list.length; i++) t += recipientText(list[i]!, i, redact);
    return `${t}${I8}]`;
  }
  // Longer lists are joined into a flat string every RECIPIENTS_PER_CHUNK entries: one string
  // grown by `+=` is a rope of ten pieces per recipient, every piece alive until the text is
  // written, and for 250,000 recipients the young generation's collections copied that rope again
  // and again (4.5 s of a 13 s run, then 1.5 s flattening it to write it). A joined chunk is one
  // flat string with no pointers in it; the pieces die at once.
  const chunks: string[] = [];
  let part: string[] = [];
  for (let i = 0; i < list.length; i++) {
    part.push(recipientText(list[i]!, i, redact));
    if (part.length === RECIPIENTS_PER_CHUNK) {
      chunks.push(part.join(''));
      part = [];
    }
  }
  chunks.push(part.join(''));
  return `[${chunks.join('')}${I8}]`;
}

/** One element of recipientsText's list, with the comma before it. */
function recipientText(x: RecipientView, i: number, redact: boolean): string {
  const t = `${i === 0 ? '' : ','}${I10}{${I12}"address": ${str(redact ? maskAddress(x.address) : x.address)},${I12}"field": ${str(x.field)},${I12}"internal": ${x.internal},${I12}"party": ${str(redact ? maskParty(x.party) : x.party)},${I12}"line": ${JSON.stringify(x.line)}`;
  return x.inDisplayName ? `${t},${I12}"inDisplayName": true${I10}}` : `${t}${I10}}`;
}

/** Recipients per flat piece of recipientsText: about 200 KB of text. */
const RECIPIENTS_PER_CHUNK = 1_024;

/**
 * A finding's args (keys at 12 spaces). Strings, numbers, booleans and lists of strings are
 * written here; any other value (a plugin's nested object, a list of numbers) is JSON.stringify's
 * own text, re-indented, as is an args value that is not a plain object.
 */
function allStrings(list: unknown[]): boolean {
  // A for loop, not every(): a hole in the list is not a string (JSON.stringify writes null).
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return false;
  return true;
}

function argsText(args: Record<string, unknown>): string {
  if (args === null || typeof args !== 'object' || Array.isArray(args) || typeof args.toJSON === 'function') {
    return JSON.stringify({ ...args }, null, 2).replace(/\n/g, I10);
  }
  let t = '';
  for (const key of Object.keys(args)) {
    const v = args[key];
    let text: string | undefined;
    if (typeof v === 'string') text = str(v);
    else if (typeof v === 'number' || typeof v === 'boolean') text = JSON.stringify(v);
    else if (Array.isArray(v) && allStrings(v)) text = stringsText(v as string[], I14, I12);
    else text = (JSON.stringify(v, null, 2) as string | undefined)?.replace(/\n/g, I12);
    if (text === undefined) continue; // undefined, a function: JSON.stringify leaves the key out
    t += `${t === '' ? '{' : ','}${I12}${str(key)}: ${text}`;
  }
  return t === '' ? '{}' : `${t}${I10}}`;
}
