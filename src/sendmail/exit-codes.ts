// sendmail's exit codes (sysexits.h). Programs that call sendmail read these: 75 means "try
// again later", anything else non-zero means the message was not accepted.

export const SYSEXIT = {
  /** Delivered (handed to the relay, or to the real sendmail). */
  OK: 0,
  /** Bad command line. */
  USAGE: 64,
  /** Blocked by policy, or the message cannot be read or rewritten safely. */
  DATAERR: 65,
  /** The relay refused some recipients permanently (the others received the message). */
  NOUSER: 67,
  /** The relay refused the message permanently. */
  UNAVAILABLE: 69,
  /** A bug in mailguard. */
  SOFTWARE: 70,
  /** The relay is unreachable, or refused for now: the caller should retry. */
  TEMPFAIL: 75,
  /** Bad configuration (config file, relay URL, credentials, --via-sendmail path). */
  CONFIG: 78,
} as const;

/** SMTP replies that mean the credentials or the relay settings are wrong, not the message. */
const AUTH_CODES = new Set([530, 534, 535, 538]);

/** What a delivery failure carries, whichever transport raised it. */
export interface FailureDetail {
  /** Worth retrying later (connection refused, 4xx, timeout). */
  transient?: boolean;
  /** The SMTP reply code, when the relay gave one. */
  responseCode?: number;
  /** The exit status of the real sendmail (--via-sendmail). */
  exitStatus?: number;
}

/** Reads the transient flag and SMTP code from an error, whatever name the adapter used. */
export function failureDetail(err: unknown): FailureDetail {
  const e = (err ?? {}) as Record<string, unknown>;
  const out: FailureDetail = {};
  if (typeof e.transient === 'boolean') out.transient = e.transient;
  for (const key of ['responseCode', 'smtpCode', 'statusCode']) {
    if (typeof e[key] === 'number') {
      out.responseCode = e[key] as number;
      break;
    }
  }
  if (typeof e.exitStatus === 'number') out.exitStatus = e.exitStatus;
  return out;
}

/** The sysexit for a failed delivery. */
export function sysexitForDelivery(detail: FailureDetail): number {
  if (detail.exitStatus !== undefined) return detail.exitStatus >= 64 && detail.exitStatus <= 78 ? detail.exitStatus : SYSEXIT.TEMPFAIL;
  if (detail.responseCode !== undefined && AUTH_CODES.has(detail.responseCode)) return SYSEXIT.CONFIG;
  if (detail.transient === true) return SYSEXIT.TEMPFAIL;
  if (detail.responseCode !== undefined) return detail.responseCode >= 400 && detail.responseCode < 500 ? SYSEXIT.TEMPFAIL : SYSEXIT.UNAVAILABLE;
  // No code and no flag: the relay could not be reached or the connection broke.
  return detail.transient === false ? SYSEXIT.UNAVAILABLE : SYSEXIT.TEMPFAIL;
}
