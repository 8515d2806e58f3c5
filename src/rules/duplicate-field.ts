import type { Finding } from '../findings.js';
import type { Rule } from './context.js';

/**
 * Fields RFC 5322 allows once, so a second one is read by some software and not by other.
 * Not Apparently-To: no RFC limits it, sendmail writes one per recipient to a message with no
 * To, Cc or Bcc, and sendmail -t (H_RCPT in its conf.c), like mailguard's headerRecipients, takes
 * every one as a recipient. All of them are read as one list (parse-message.ts counts each one's
 * mailboxes as visible, the rewrite moves them all), so several are the ordinary form, not a
 * warning. Not Resent-To/Cc/Bcc: a message resent twice
 * carries one block of them per resending.
 */
const ONCE_ONLY_RECIPIENT_FIELDS = ['to', 'cc', 'bcc'] as const;

/** DUPLICATE_RECIPIENT_FIELD: more than one To, Cc or Bcc field (all are counted). */
export const duplicateRecipientField: Rule = ({ parsed, lineOffset }) => {
  const findings: Finding[] = [];
  for (const key of ONCE_ONLY_RECIPIENT_FIELDS) {
    const count = parsed.fieldCounts[key] ?? 0;
    if (count < 2) continue;
    const lines = parsed.header.fields.filter((f) => f.key === key).map((f) => f.line + lineOffset);
    findings.push({ code: 'DUPLICATE_RECIPIENT_FIELD', severity: 'warning', line: lines[1]!, args: { field: key, count, lines } });
  }
  return findings;
};
