// mailguard's library API: the pure core. Adapters (SMTP, nodemailer) are their own entries.

export { checkMessage, decideVerdict, unreadableResult, type CheckOptions } from './analyse.js';
export { MailguardError, type MailguardErrorCode } from './errors.js';
export { DEFAULT_SEVERITY, FINDING_CODES, type Finding, type FindingArgs, type FindingCode, type Severity } from './findings.js';
export { normaliseAddress, parseAddressList, type AddressList, type AddressProblem, type Mailbox } from './message/address-list.js';
export { normaliseDomain } from './message/domain.js';
export type { Envelope } from './message/envelope.js';
export { locateBodyStart, readHeaderBlock, unfold, type HeaderBlock, type HeaderField } from './message/header-block.js';
export { parseMessage, type ParsedMessage } from './message/parse-message.js';
export { parseSmtpTranscript, type SmtpTranscript, type SmtpTransaction } from './message/smtp-transcript.js';
export { parseConfig, type MailguardConfig } from './policy/config.js';
export { createClassifier, registrableDomain } from './policy/classify.js';
export { createPolicy, DEFAULT_POLICY, effectiveThresholds, type Policy } from './policy/policy.js';
export { createReport, FORMATTERS, type Formatter, type FormatOptions, type Report } from './report/index.js';
export { toJsonReport, JSON_REPORT_VERSION, type JsonReport, type JsonResult } from './report/json.js';
export { describeFinding } from './report/messages.js';
export { maskAddress } from './report/redact.js';
export type { MessageResult, RecipientView, Verdict } from './result.js';
export { headerRecipients } from './message/header-recipients.js';
export { rewriteToBcc, splitMessage, stripBcc, type BccOptions, type MovedRecipient, type RewritePlan, type SplitCopy, type SplitOptions } from './rewrite/index.js';
export { editFields } from './rewrite/edit-fields.js';
