// The JSON report: a contract. Field names do not change within a version; new fields may be added.

import type { Finding } from '../findings.js';
import type { MessageResult, Verdict } from '../result.js';
import { jsonArrayAround, jsonArrayElement } from './json-pieces.js';
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
  /** Written inside a display name, comment or group name (shown, not a recipient). */
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
  if (Array.isArray(out.examples)) out.examples = (out.examples as string[]).map(maskAddress);
  if (typeof out.excerpt === 'string') out.excerpt = maskText(out.excerpt);
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
  return {
    result: (r) => jsonArrayElement(toJsonResult(r, options), 1, count++),
    finish(summary: Report['summary'], notRead: readonly NotReadFile[]) {
      const doc = JSON.stringify(toJsonReport({ results: [], summary, notRead: [...notRead] }, options), null, 2);
      const { open, close } = jsonArrayAround(doc, 'results', 1, count);
      return { head: open, tail: `${close}\n` };
    },
  };
};
