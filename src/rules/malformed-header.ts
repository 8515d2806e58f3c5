import type { Finding } from '../findings.js';
import { authorLists } from '../message/parse-message.js';
import type { Rule } from './context.js';

/** MALFORMED_HEADER: the header block cannot be delimited or read safely. One finding per kind. */
export const malformedHeader: Rule = ({ parsed, lineOffset }) => {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const p of parsed.header.problems) {
    if (seen.has(p.kind)) continue;
    seen.add(p.kind);
    const args: { problem: string; detail?: string } = { problem: p.kind };
    if (p.detail !== undefined) args.detail = p.detail;
    findings.push({ code: 'MALFORMED_HEADER', severity: 'error', line: p.line + lineOffset, args });
  }
  // A Sender names the one mailbox that sent the message (RFC 5322 3.6.2): several (in one field,
  // or in several Sender fields) are a list every reader sees under a field that should hold one address.
  for (const { field, entries } of authorLists(parsed)) {
    if ((field !== 'sender' && field !== 'resent-sender') || entries.length < 2 || seen.has(`several-senders:${field}`)) continue;
    seen.add(`several-senders:${field}`);
    findings.push({ code: 'MALFORMED_HEADER', severity: 'error', line: entries[0]!.line + lineOffset, args: { problem: 'several-senders', detail: field } });
  }
  return findings;
};
