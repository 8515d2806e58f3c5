import { ambiguousRecipient } from './ambiguous-recipient.js';
import { bccHeaderPresent } from './bcc-header.js';
import type { Rule } from './context.js';
import { duplicateRecipientField } from './duplicate-field.js';
import { exposedRecipients } from './exposed-recipients.js';
import { internalDomainInferred } from './internal-domain-inferred.js';
import { malformedHeader } from './malformed-header.js';
import { exposedReplyAddresses } from './reply-addresses.js';

/** Every header rule, in report order (most important first). */
export const RULES: readonly Rule[] = [
  malformedHeader,
  ambiguousRecipient,
  exposedRecipients,
  bccHeaderPresent,
  duplicateRecipientField,
  exposedReplyAddresses,
  internalDomainInferred,
];
