// Envelope recipients from a message's own header (sendmail -t semantics): To, Cc, Apparently-To
// and Bcc, or Resent-To, Resent-Cc and Resent-Bcc when the message is being resent. Apparently-To
// is shown like To (src/message/parse-message.ts), so the people it shows receive the message, and
// a Bcc rewrite that moves them out of it leaves the envelope as it was.

import { MailguardError } from '../errors.js';
import { parseMessage, type ParsedMessage } from './parse-message.js';

export interface HeaderRecipientsOptions {
  /** Use the Resent-* fields (RFC 5322 3.6.6). Default: when any Resent-* recipient field exists. */
  resent?: boolean;
}

/**
 * Every distinct recipient the header names, in order. Throws EREWRITE when a recipient field
 * is ambiguous: an envelope is never built from a guess.
 */
export function headerRecipients(bytes: Uint8Array | ParsedMessage, options: HeaderRecipientsOptions = {}): string[] {
  const parsed = bytes instanceof Uint8Array ? parseMessage(bytes) : bytes;
  const hasResent = parsed.addresses.some((a) => a.field.startsWith('resent-') && a.field !== 'resent-from' && a.field !== 'resent-sender');
  const resent = options.resent ?? hasResent;
  const fields = resent ? ['resent-to', 'resent-cc', 'resent-bcc'] : ['to', 'cc', 'apparently-to', 'bcc'];
  const bad = parsed.addressProblems.find((p) => fields.includes(p.field));
  if (bad || parsed.truncated) {
    throw new MailguardError('EREWRITE', `the ${bad?.field ?? 'recipient'} field cannot be read unambiguously (${bad?.kind ?? 'too many addresses'}); no envelope is built from it.`);
  }
  const out = new Set<string>();
  for (const a of parsed.addresses) if (fields.includes(a.field)) out.add(a.mailbox.address);
  return [...out];
}
