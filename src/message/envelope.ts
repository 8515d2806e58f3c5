/** The SMTP envelope: who the message is from and who receives it, whatever the headers say. */
export interface Envelope {
  /** MAIL FROM; empty string for the null sender `<>`. */
  mailFrom: string;
  /** Every RCPT TO, in order. */
  rcptTo: string[];
}
