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
  return findings;
};
