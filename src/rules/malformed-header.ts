import type { Finding } from '../findings.js';
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
  // A Sender names the one mailbox that sent the message (RFC 5322 3.6.2): several are a list
  // every reader sees under a field that should hold one address.
  const senders = new Map<number, { field: string; line: number; count: number }>();
  for (const a of parsed.addresses) {
    if (a.field !== 'sender' && a.field !== 'resent-sender') continue;
    const e = senders.get(a.fieldIndex);
    if (e) e.count++;
    else senders.set(a.fieldIndex, { field: a.field, line: a.line, count: 1 });
  }
  for (const s of senders.values()) {
    if (s.count < 2 || seen.has(`several-senders:${s.field}`)) continue;
    seen.add(`several-senders:${s.field}`);
    findings.push({ code: 'MALFORMED_HEADER', severity: 'error', line: s.line + lineOffset, args: { problem: 'several-senders', detail: s.field } });
  }
  return findings;
};
