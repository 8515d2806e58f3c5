// The JSON report: a contract. Field names do not change within a version; new fields may be added.

import type { Finding } from '../findings.js';
import type { MessageResult, Verdict } from '../result.js';
import { describeFinding } from './messages.js';
import { maskAddress, maskParty, maskText } from './redact.js';
import type { Formatter, FormatOptions, Report } from './report.js';

export const JSON_REPORT_VERSION = 1;

export interface JsonRecipient {
  address: string;
  field: string;
  internal: boolean;
  party: string;
  line: number;
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
    externalParties: number;
    externalAddresses: number;
  };
  sender?: string;
  internalDomains: string[];
  internalDomainsInferred: boolean;
  envelope?: { mailFrom: string; rcptTo: string[] };
}

export interface JsonReport {
  version: typeof JSON_REPORT_VERSION;
  summary: { checked: number; pass: number; warn: number; block: number; error: number };
  results: JsonResult[];
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
    results: report.results.map((r) => toJsonResult(r, options)),
  };
}

/** One message's entry in `results`. */
export function toJsonResult(r: MessageResult, options: Pick<FormatOptions, 'redact'>): JsonResult {
  const redact = options.redact;
  const addr = (a: string) => (redact ? maskAddress(a) : a);
  const recipient = (x: JsonRecipient): JsonRecipient => ({ address: addr(x.address), field: x.field, internal: x.internal, party: redact ? maskParty(x.party) : x.party, line: x.line });
  {
    {
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
          externalParties: r.recipients.externalParties,
          externalAddresses: r.recipients.externalAddresses,
        },
        internalDomains: r.internal.domains,
        internalDomainsInferred: r.internal.inferred,
      };
      if (r.sender !== undefined) out.sender = addr(r.sender);
      if (r.envelope) out.envelope = { mailFrom: r.envelope.mailFrom === '' ? '' : addr(r.envelope.mailFrom), rcptTo: r.envelope.rcptTo.map(addr) };
      return out;
    }
  }
}

export const formatJson: Formatter = (report, options) => `${JSON.stringify(toJsonReport(report, options), null, 2)}\n`;

/**
 * The same document in pieces, for writing results as they are produced: `result` for each one
 * (in order), then `head` and `tail` around them once the summary is known. head + the results +
 * tail is byte for byte what formatJson writes.
 */
export const jsonReportPieces = {
  result(r: MessageResult, options: Pick<FormatOptions, 'redact'>, index: number): string {
    const text = JSON.stringify(toJsonResult(r, options), null, 2).replace(/\n/g, '\n    ');
    return `${index === 0 ? '' : ',\n'}    ${text}`;
  },
  head(summary: Report['summary'], count: number): string {
    const s = JSON.stringify({ ...summary }, null, 2).replace(/\n/g, '\n  ');
    return `{\n  "version": ${JSON_REPORT_VERSION},\n  "summary": ${s},\n  "results": [${count === 0 ? '' : '\n'}`;
  },
  tail(count: number): string {
    return count === 0 ? ']\n}\n' : '\n  ]\n}\n';
  },
};
