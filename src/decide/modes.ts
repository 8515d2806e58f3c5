// The on-violation modes, apart from the decision so the configuration can name them without
// loading the rewrite code (check's start-up never pays for it).

import type { Finding } from '../findings.js';

/** Every on-violation mode, with one meaning everywhere (src/decide/index.ts, README). */
export const ON_VIOLATION_MODES = ['block', 'warn', 'bcc', 'split', 'hold'] as const;
export type OnViolation = (typeof ON_VIOLATION_MODES)[number];

/** A finding that shows a list no header rewrite can hide (in an attachment, an invitation, or an attachment that could not be read and must not go unread). */
export function listInAttachment(f: Finding): boolean {
  return (
    f.code === 'EXPOSED_ATTENDEES' ||
    f.code === 'ADDRESS_LIST_IN_ATTACHMENT' ||
    // A text-like file (CSV, vCard, a uuencoded list.csv) is read as text, but it is an attached
    // file all the same: a workbook of the same customers is ADDRESS_LIST_IN_ATTACHMENT.
    (f.code === 'ADDRESS_LIST_IN_BODY' && f.args.fileName !== undefined) ||
    (f.code === 'ATTACHMENT_NOT_SCANNED' && f.severity === 'error')
  );
}

/**
 * Findings that say the message cannot be read for certain (who sees whom is not known): whatever
 * the mode, warn included, a message with one of them as an error is not sent.
 */
export const UNREADABLE_FINDINGS = ['AMBIGUOUS_RECIPIENT', 'MALFORMED_HEADER'] as const;
export const UNREADABLE_CODES: ReadonlySet<string> = new Set(UNREADABLE_FINDINGS);

export function isOnViolation(s: unknown): s is OnViolation {
  return typeof s === 'string' && (ON_VIOLATION_MODES as readonly string[]).includes(s);
}

/**
 * The modes each delivery adapter can carry out. A mode outside its list is refused at start-up
 * (assertOnViolation), never discovered at send time. Split makes several messages of one, which
 * a milter (one SMTP transaction) and the nodemailer plugin (one sendMail) cannot; hold needs a
 * hold queue, which only the milter has (Postfix's).
 */
export const ADAPTER_MODES = {
  send: ['block', 'warn', 'bcc', 'split'],
  sendmail: ['block', 'warn', 'bcc', 'split'],
  proxy: ['block', 'warn', 'bcc', 'split'],
  plugin: ['block', 'warn', 'bcc'],
  milter: ['block', 'warn', 'bcc', 'hold'],
} as const satisfies Record<string, readonly OnViolation[]>;
