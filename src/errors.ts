// Typed errors. Deep code throws these; only the CLI entry maps them to exit codes.

export type MailguardErrorCode =
  | 'EUSAGE' // bad flags or arguments
  | 'ECONFIG' // the configuration file or a policy value is invalid
  | 'EINPUT' // an input could not be read
  | 'EEXPOSED' // a send was blocked by policy
  | 'ERELAY' // the relay failed
  | 'EREWRITE'; // a message cannot be rewritten safely

/**
 * Why a rewrite was refused, as data (EREWRITE): the decision carries it, so a report can say why
 * without reading the sentence. `other`: any refusal without its own kind (a control character, a
 * bad --to or Message-ID domain).
 */
export type RewriteRefusal = 'not-a-message' | 'malformed' | 'ambiguous' | 'resent' | 'sensitive-bcc' | 'envelope' | 'other';

export class MailguardError extends Error {
  readonly code: MailguardErrorCode;
  /** What the user can do about it, shown under the message. */
  readonly hint: string | undefined;
  /** EREWRITE: which refusal it is. */
  readonly refusal: RewriteRefusal | undefined;

  constructor(code: MailguardErrorCode, message: string, options: { hint?: string; cause?: unknown; refusal?: RewriteRefusal } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MailguardError';
    this.code = code;
    this.hint = options.hint;
    this.refusal = options.refusal;
  }
}
