import type { Finding } from '../findings.js';
import type { Rule } from './context.js';

/** DUPLICATE_RECIPIENT_FIELD: more than one To or Cc field (RFC 5322 allows one; all are counted). */
export const duplicateRecipientField: Rule = ({ parsed, lineOffset }) => {
  const findings: Finding[] = [];
  for (const key of ['to', 'cc', 'bcc'] as const) {
    const count = parsed.fieldCounts[key] ?? 0;
    if (count < 2) continue;
    const lines = parsed.header.fields.filter((f) => f.key === key).map((f) => f.line + lineOffset);
    findings.push({ code: 'DUPLICATE_RECIPIENT_FIELD', severity: 'warning', line: lines[1]!, args: { field: key, count, lines } });
  }
  return findings;
};
