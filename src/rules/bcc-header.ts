import type { Finding } from '../findings.js';
import type { Rule } from './context.js';

/**
 * BCC_HEADER_PRESENT: a Bcc / Resent-Bcc field with addresses would reveal every blind recipient
 * if the message were relayed as it is. A message at rest (checked without an SMTP envelope: a
 * draft, a Sent-folder copy, which mail clients keep with its Bcc) is what a mail client opens and
 * sends, and every sender that builds the envelope from the header (mail clients, sendmail -t,
 * mailguard send) strips the field: a note (info), so the output of mailguard fix --strategy bcc
 * checks clean. A message in transit (an SMTP envelope: the proxy, a transcript) is relayed raw:
 * a warning. Where files are relayed raw, set the rule to "warning" or "error".
 */
export const bccHeaderPresent: Rule = ({ blind, draft }) => {
  const byField = new Map<string, { count: number; line: number }>();
  for (const r of blind) {
    const entry = byField.get(r.field);
    if (entry) entry.count++;
    else byField.set(r.field, { count: 1, line: r.line });
  }
  return [...byField].map(([field, { count, line }]): Finding => ({
    code: 'BCC_HEADER_PRESENT',
    severity: draft ? 'info' : 'warning',
    line,
    args: { field, count, context: draft ? 'draft' : 'in-transit' },
  }));
};
