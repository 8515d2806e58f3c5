// mailguard's library API: the pure core. Adapters (SMTP, nodemailer) are their own entries.

import { checkMessage as checkMessageIn, type CheckOptions } from './analyse.js';
import { MailguardError } from './errors.js';
import type { HeaderBlock } from './message/header-block.js';
import { isHeaderOf, locateBodyStart as locateBodyStartIn, readHeaderBlock as readHeaderBlockIn } from './message/header-block.js';
import { headerRecipients as headerRecipientsIn, type HeaderRecipientsOptions } from './message/header-recipients.js';
import { messageBytes, type MessageInput } from './message/input-bytes.js';
import { parseMessage as parseMessageIn, type ParsedMessage } from './message/parse-message.js';
import { parseSmtpTranscript as parseSmtpTranscriptIn, type SmtpTranscript } from './message/smtp-transcript.js';
import type { Policy } from './policy/policy.js';
import type { MessageResult } from './result.js';
import { editFields as editFieldsIn } from './rewrite/edit-fields.js';
import { rewriteToBcc as rewriteToBccIn, splitMessage as splitMessageIn, stripBcc as stripBccIn, type BccOptions, type RewritePlan, type SplitCopy, type SplitOptions } from './rewrite/index.js';

export { decideVerdict, unreadableResult, type CheckOptions } from './analyse.js';
export { MailguardError, type MailguardErrorCode } from './errors.js';
export { DEFAULT_SEVERITY, FINDING_CODES, type Finding, type FindingArgs, type FindingCode, type Severity } from './findings.js';
export { normaliseAddress, parseAddressList, type AddressList, type AddressProblem, type Mailbox } from './message/address-list.js';
export { normaliseDomain } from './message/domain.js';
export type { Envelope } from './message/envelope.js';
export { unfold, type HeaderBlock, type HeaderField } from './message/header-block.js';
export type { ParsedMessage } from './message/parse-message.js';
export type { SmtpTranscript, SmtpTransaction } from './message/smtp-transcript.js';
export { parseConfig, type MailguardConfig } from './policy/config.js';
export { createClassifier, registrableDomain } from './policy/classify.js';
export { createPolicy, DEFAULT_POLICY, effectiveThresholds, type Policy } from './policy/policy.js';
export { createReport, FORMATTERS, type Formatter, type FormatOptions, type Report } from './report/index.js';
export { toJsonReport, JSON_REPORT_VERSION, type JsonReport, type JsonResult } from './report/json.js';
export { describeFinding } from './report/messages.js';
export { maskAddress } from './report/redact.js';
export type { MessageResult, RecipientView, Verdict } from './result.js';
export type { BccOptions, MovedRecipient, RewritePlan, SplitCopy, SplitOptions } from './rewrite/index.js';
export type { MessageInput } from './message/input-bytes.js';

// The library's message-taking functions, for JavaScript callers: each reads the message as
// messageBytes does (a Buffer or Uint8Array as it is, a string as UTF-8, an ArrayBuffer or view as
// the bytes it covers) and refuses anything else with EUSAGE. The pipeline calls the modules
// themselves, with Uint8Arrays.

/**
 * A header handed in beside the message (to save reading it again) is used only when it is
 * readHeaderBlock's reading of these bytes: one read from another message (the one before an
 * edit) or built by hand describes other bytes, and a check made with it passed a message it
 * never read, a Bcc strip cut the wrong bytes and left the Bcc field in place. Refused (EUSAGE).
 */
function ownHeader<H extends HeaderBlock | undefined>(header: H, bytes: Uint8Array, name: string): H {
  if (header === undefined || (typeof header === 'object' && header !== null && isHeaderOf(header, bytes))) return header;
  throw new MailguardError('EUSAGE', `${name} was given a header that was not read from this message.`, {
    hint: 'Pass readHeaderBlock(message) of the same bytes, or leave the header out and let mailguard read it.',
  });
}

/** Checks one message (the verdict, findings and recipients); see CheckOptions. */
export function checkMessage(message: MessageInput, policy: Policy | Partial<Policy> = {}, options: CheckOptions = {}): MessageResult {
  const bytes = messageBytes(message, 'checkMessage');
  ownHeader(options.header, bytes, 'checkMessage');
  return checkMessageIn(bytes, policy, options);
}

/** Where the body starts (after the blank line), or -1 when the message has none. */
export function locateBodyStart(message: MessageInput): number {
  return locateBodyStartIn(messageBytes(message, 'locateBodyStart'));
}

/** The header block: its fields as written, where it ends, its line ends and problems. */
export function readHeaderBlock(message: MessageInput): HeaderBlock {
  return readHeaderBlockIn(messageBytes(message, 'readHeaderBlock'));
}

/** Every mailbox in every address field, and the address-syntax problems. */
export function parseMessage(message: MessageInput, header?: HeaderBlock): ParsedMessage {
  const bytes = messageBytes(message, 'parseMessage');
  return header === undefined ? parseMessageIn(bytes) : parseMessageIn(bytes, ownHeader(header, bytes, 'parseMessage'));
}

/** The transactions of an SMTP session transcript (a client's side, or both). */
export function parseSmtpTranscript(transcript: MessageInput): SmtpTranscript {
  return parseSmtpTranscriptIn(messageBytes(transcript, 'parseSmtpTranscript'));
}

/** The recipients the header names (To, Cc, Bcc, or the Resent- fields of the newest resending). */
export function headerRecipients(message: MessageInput | ParsedMessage, options: HeaderRecipientsOptions = {}): string[] {
  const parsed = typeof message === 'object' && message !== null && !ArrayBuffer.isView(message) && !(message instanceof ArrayBuffer) && Array.isArray((message as ParsedMessage).addresses);
  return headerRecipientsIn(parsed ? (message as ParsedMessage) : messageBytes(message, 'headerRecipients'), options);
}

/** The message with its external To/Cc recipients moved to Bcc, and what was moved. */
export function rewriteToBcc(message: MessageInput, policy: Policy, options: BccOptions = {}): { bytes: Uint8Array; plan: RewritePlan } {
  return rewriteToBccIn(messageBytes(message, 'rewriteToBcc'), policy, options);
}

/** One copy per recipient, each showing only that recipient. */
export function splitMessage(message: MessageInput, policy: Policy, options: SplitOptions = {}): { messages: SplitCopy[]; plan: RewritePlan } {
  return splitMessageIn(messageBytes(message, 'splitMessage'), policy, options);
}

/** The message without its Bcc and Resent-Bcc fields. */
export function stripBcc(message: MessageInput, header?: HeaderBlock): Uint8Array {
  const bytes = messageBytes(message, 'stripBcc');
  return header === undefined ? stripBccIn(bytes) : stripBccIn(bytes, ownHeader(header, bytes, 'stripBcc'));
}

/** The message with header fields edited in place (`header`: its readHeaderBlock). */
export function editFields(message: MessageInput, ...rest: Parameters<typeof editFieldsIn> extends [unknown, ...infer R] ? R : never): Uint8Array {
  const bytes = messageBytes(message, 'editFields');
  const [header, ...edits] = rest;
  return editFieldsIn(bytes, ownHeader(header, bytes, 'editFields'), ...edits);
}
