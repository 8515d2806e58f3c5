/** Delivery status notifications asked for (RFC 3461: sendmail -N, -R, -V); what is absent is not asked. */
export interface DsnRequest {
  /** NOTIFY for every recipient: NEVER alone, or some of SUCCESS, FAILURE, DELAY. */
  notify?: Array<'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY'>;
  /** RET: a bounce returns the whole message or its header only. */
  ret?: 'FULL' | 'HDRS';
  /** ENVID: the sender's own identifier, returned in every notification. */
  envid?: string;
}

/** The SMTP envelope: who the message is from and who receives it, whatever the headers say. */
export interface Envelope {
  /** MAIL FROM; empty string for the null sender `<>`. */
  mailFrom: string;
  /** Every RCPT TO, in order. */
  rcptTo: string[];
}

/** The same MAIL FROM and the same RCPT TO list, in order (compared as written). */
export function sameEnvelope(a: Envelope, b: Envelope): boolean {
  return a.mailFrom === b.mailFrom && a.rcptTo.length === b.rcptTo.length && a.rcptTo.every((r, i) => r === b.rcptTo[i]);
}
