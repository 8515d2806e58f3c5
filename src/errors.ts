// Typed errors. Deep code throws these; only the CLI entry maps them to exit codes.

export type MailguardErrorCode =
  | 'EUSAGE' // bad flags or arguments
  | 'ECONFIG' // the configuration file or a policy value is invalid
  | 'EINPUT' // an input could not be read
  | 'EEXPOSED' // a send was blocked by policy
  | 'ERELAY' // the relay failed
  | 'EREWRITE'; // a message cannot be rewritten safely

export class MailguardError extends Error {
  readonly code: MailguardErrorCode;
  /** What the user can do about it, shown under the message. */
  readonly hint: string | undefined;

  constructor(code: MailguardErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MailguardError';
    this.code = code;
    this.hint = options.hint;
  }
}
