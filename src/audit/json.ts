// The audit's JSON document: a contract (version 1; names do not change, fields may be added).

import { maskAddress, maskText } from '../report/redact.js';
import type { AuditIncident, AuditReport, AuditSummary } from './aggregate.js';
import { redactExposure, redactNotScanned } from './exposure.js';

export const AUDIT_JSON_VERSION = 1;

export interface AuditJson {
  version: typeof AUDIT_JSON_VERSION;
  summary: AuditSummary;
  incidents: AuditIncident[];
}

export interface AuditFormatOptions {
  /** Mask addresses (sender, examples, addresses in subjects). */
  redact: boolean;
}

export function redactIncident(i: AuditIncident): AuditIncident {
  return {
    ...i,
    subject: maskText(i.subject),
    sender: i.sender === null ? null : maskAddress(i.sender),
    examples: i.examples.map(maskAddress),
    exposures: i.exposures.map(redactExposure),
    notScanned: i.notScanned.map(redactNotScanned),
  };
}

/** The report with addresses masked when asked. */
export function applyRedaction(report: AuditReport, options: AuditFormatOptions): AuditReport {
  if (!options.redact) return report;
  return {
    summary: {
      ...report.summary,
      repeatSenders: report.summary.repeatSenders.map((s) => ({ ...s, sender: s.sender.includes('@') ? maskAddress(s.sender) : s.sender })),
      notScannedMessages: report.summary.notScannedMessages.map((m) => ({ ...m, parts: m.parts.map(redactNotScanned) })),
    },
    incidents: report.incidents.map(redactIncident),
  };
}

export function toAuditJson(report: AuditReport, options: AuditFormatOptions): AuditJson {
  const r = applyRedaction(report, options);
  return { version: AUDIT_JSON_VERSION, summary: r.summary, incidents: r.incidents };
}

export function formatAuditJson(report: AuditReport, options: AuditFormatOptions): string {
  return `${JSON.stringify(toAuditJson(report, options), null, 2)}\n`;
}

/** The summary as the report shows it (repeat senders masked when asked). */
export function redactSummary(summary: AuditSummary, options: AuditFormatOptions): AuditSummary {
  return applyRedaction({ summary, incidents: [] }, options).summary;
}

/**
 * The same document in pieces, for incidents written as they are read back: head, then each
 * incident (in order, `index` from 0), then tail; byte for byte what formatAuditJson writes.
 */
export const auditJsonPieces = {
  head(summary: AuditSummary, options: AuditFormatOptions): string {
    const s = JSON.stringify(redactSummary(summary, options), null, 2).replace(/\n/g, '\n  ');
    return `{\n  "version": ${AUDIT_JSON_VERSION},\n  "summary": ${s},\n  "incidents": [${summary.incidents === 0 ? '' : '\n'}`;
  },
  incident(i: AuditIncident, index: number, options: AuditFormatOptions): string {
    const text = JSON.stringify(options.redact ? redactIncident(i) : i, null, 2).replace(/\n/g, '\n    ');
    return `${index === 0 ? '' : ',\n'}    ${text}`;
  },
  tail(summary: AuditSummary): string {
    return summary.incidents === 0 ? ']\n}\n' : '\n  ]\n}\n';
  },
};
