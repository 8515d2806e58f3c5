import type { Finding } from '../findings.js';
import type { Rule } from './context.js';

/** BCC_HEADER_PRESENT: a Bcc / Resent-Bcc field with addresses would reveal every blind recipient. */
export const bccHeaderPresent: Rule = ({ blind }) => {
  const byField = new Map<string, { count: number; line: number }>();
  for (const r of blind) {
    const entry = byField.get(r.field);
    if (entry) entry.count++;
    else byField.set(r.field, { count: 1, line: r.line });
  }
  return [...byField].map(([field, { count, line }]): Finding => ({
    code: 'BCC_HEADER_PRESENT',
    severity: 'warning',
    line,
    args: { field, count },
  }));
};
