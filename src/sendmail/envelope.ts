// From the sendmail command line and the message to an SMTP envelope, and the header fields
// sendmail adds when a program leaves them out (From, Date, Message-ID). Pure: every input,
// including the clock and the message id, is handed in.

import { MailguardError } from '../errors.js';
import { parseAddressList, normaliseAddress } from '../message/address-list.js';
import type { Envelope } from '../message/envelope.js';
import { headerRecipients } from '../message/header-recipients.js';
import { parseMessage } from '../message/parse-message.js';
import { editFields, headerNewline } from '../rewrite/edit-fields.js';
import { stripLeadingEnvelope } from '../rewrite/strip-bcc.js';
import type { SendmailArgs } from './args.js';

/** Right part of an added Message-ID when the sender has no usable domain (RFC 2606: never resolves). */
export const MESSAGE_ID_FALLBACK_DOMAIN = 'mailguard.invalid';

/** The fields -t reads recipients from (src/message/header-recipients.ts), as their names are written. */
const RECIPIENT_FIELD_NAMES: ReadonlyMap<string, string> = new Map([
  ['to', 'To'],
  ['cc', 'Cc'],
  ['apparently-to', 'Apparently-To'],
  ['bcc', 'Bcc'],
  ['resent-to', 'Resent-To'],
  ['resent-cc', 'Resent-Cc'],
  ['resent-bcc', 'Resent-Bcc'],
]);

/** Recipients named on the command line; each word may hold several, comma-separated. */
export function commandLineRecipients(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const word of words) {
    const parsed = parseAddressList(Buffer.from(word, 'utf8').toString('latin1'));
    const unqualified = parsed.problems.some((p) => p.kind === 'missing-domain');
    if (parsed.problems.length > 0 || parsed.mailboxes.length === 0) {
      throw new MailguardError('EUSAGE', `"${word}" is not a recipient address mailguard can deliver to${unqualified ? ' (no domain)' : ''}.`, {
        hint: unqualified ? 'Give a full address (for cron: MAILTO=you@example.org); mailguard does not guess a local domain.' : 'Give addresses such as user@example.org.',
      });
    }
    for (const m of parsed.mailboxes) out.push(m.address);
  }
  return out;
}

export interface SendmailMessage {
  /** The message to check and deliver: missing From / Date / Message-ID added; Bcc kept for the decision, which strips it from every relayed copy. */
  bytes: Uint8Array;
  envelope: Envelope;
  /** Header fields that were added (names), for debug output. */
  added: string[];
}

export interface PrepareOptions {
  /** The envelope sender when neither -f nor the message gives one (config `sendmail.from`). */
  defaultSender?: string;
  /** Last resort, as sendmail and Postfix do for cron and mailx: the login name at this host (user@host.example). */
  loginSender?: string;
  /** For a missing Date field. */
  now: Date;
  /** For a missing Message-ID field: its unique left part; the right part is the sender's domain. */
  messageIdLocal: string;
}

const RFC2822_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const RFC2822_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 5322 date in UTC: `Sun, 29 Nov 2026 04:05:06 +0000`. */
export function formatRfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${RFC2822_DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${RFC2822_MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** A display name as a quoted string, or an RFC 2047 encoded word when it is not ASCII. */
function displayName(raw: string): string {
  // Control characters (a line break in -F would start a new header field) become spaces.
  // eslint-disable-next-line no-control-regex
  const name = raw.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
}

/**
 * A -f that is a login name, not an address (cronie runs `sendmail ... -t -f root`): sendmail and
 * Postfix add their own domain to it. mailguard guesses none, so it counts as no -f at all. A
 * login name as POSIX writes one (not starting with "-": `-f -t` is a command line gone wrong).
 */
const BARE_LOCAL_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*\$?$/;

function validSender(value: string, where: string): string {
  if (value === '') return '';
  const address = normaliseAddress(value);
  if (!address) throw new MailguardError('EUSAGE', `${where} "${value}" is not an email address.`, { hint: 'Give the sender as user@example.org (or <> for the null sender).' });
  return address;
}

/**
 * Builds what will be checked and delivered. With -t the recipients come from To, Cc, Apparently-To and Bcc
 * (Resent-* when resent) plus the command line. Bcc fields are removed from whatever is relayed,
 * as Postfix does (src/decide strips them), because a relayed Bcc field shows every blind recipient.
 */
export function prepareSendmailMessage(input: Uint8Array, args: SendmailArgs, options: PrepareOptions): SendmailMessage {
  // A BOM or a leading mbox `From ` line (cron, mailx) is not part of the message: never relayed.
  const raw = stripLeadingEnvelope(input).bytes;
  const parsed = parseMessage(raw);
  const recipients = new Set<string>();
  if (args.extractRecipients) {
    try {
      for (const r of headerRecipients(parsed)) recipients.add(r);
    } catch (err) {
      if (!(err instanceof MailguardError)) throw err;
      // An address without a domain ("root", as cron and logwatch write it): said as the command line says it.
      const problems = parsed.addressProblems.filter((p) => RECIPIENT_FIELD_NAMES.has(p.field));
      const local = problems[0];
      if (local && !parsed.truncated && problems.every((p) => p.kind === 'missing-domain')) {
        throw new MailguardError('EINPUT', `-t: the ${RECIPIENT_FIELD_NAMES.get(local.field)} field names a recipient without a domain (cron and logwatch write "root"); mailguard does not guess a local domain.`, {
          hint: 'Give a full address in the program that sends (cron: MAILTO=ops@example.org; logwatch: MailTo = ops@example.org), or name the recipients on the command line.',
        });
      }
      throw new MailguardError('EINPUT', `-t: ${err.message}`, { hint: 'Fix the recipient field, or name the recipients on the command line without -t.' });
    }
  }
  for (const r of commandLineRecipients(args.recipients)) recipients.add(r);
  if (recipients.size === 0) {
    throw args.extractRecipients
      ? new MailguardError('EINPUT', 'no recipients: -t found no To, Cc, Apparently-To or Bcc address in the message, and none were named on the command line.')
      : new MailguardError('EUSAGE', 'no recipients given.', { hint: 'Name recipients after the options, or use -t to take them from the message header.' });
  }

  const fromField = parsed.addresses.find((a) => a.field === 'from') ?? parsed.addresses.find((a) => a.field === 'sender');
  let mailFrom: string | undefined;
  const localSender = args.sender !== undefined && BARE_LOCAL_NAME.test(args.sender);
  if (args.sender !== undefined && !localSender) mailFrom = validSender(args.sender, '-f');
  else if (options.defaultSender !== undefined) mailFrom = validSender(options.defaultSender, 'sendmail.from');
  else if (fromField) mailFrom = fromField.mailbox.address;
  else if (options.loginSender !== undefined) mailFrom = normaliseAddress(options.loginSender);
  if (mailFrom === undefined) {
    const why = parsed.header.fields.some((f) => f.key === 'from') ? 'the From field holds no full address (cron writes "root")' : 'the message has no From field';
    const f = localSender ? '-f names a local user without a domain (cronie passes -f root; mailguard does not guess a domain)' : 'no -f was given';
    // Not the caller's command line (64 would say so): this host needs a sender configured once (78).
    throw new MailguardError('ECONFIG', `no envelope sender: ${why}, ${f}, and this host has no domain to add to the login name.`, {
      hint: 'Set "sendmail": { "from": "cron@host.example" } in the configuration once, or pass -f you@example.org.',
    });
  }

  // Header fields sendmail would add; written at the end of the header block.
  const header = parsed.header;
  const has = (key: string) => header.fields.some((f) => f.key === key);
  const nl = headerNewline(header);
  const added: string[] = [];
  const insert: Uint8Array[] = [];
  const addField = (name: string, value: string) => {
    added.push(name);
    insert.push(Buffer.from(`${name}: ${value}${nl}`, 'utf8'));
  };
  if (!has('from') && mailFrom !== '') addField('From', args.fullName ? `${displayName(args.fullName)} <${mailFrom}>` : mailFrom);
  if (!has('date')) addField('Date', formatRfc5322Date(options.now));
  if (!has('message-id')) {
    const senderDomain = (fromField?.mailbox.domain ?? mailFrom.slice(mailFrom.lastIndexOf('@') + 1)) || MESSAGE_ID_FALLBACK_DOMAIN;
    addField('Message-ID', `<${options.messageIdLocal}@${senderDomain.startsWith('[') ? MESSAGE_ID_FALLBACK_DOMAIN : senderDomain}>`);
  }

  // Bcc stays for the decision (src/decide): it tells a blind recipient from an envelope-only one
  // (a split gives the first a copy addressed to them, as send and the proxy do), and every
  // relayed output strips it.
  const bytes = insert.length > 0 && header.fields.length > 0 ? editFields(raw, header, [], insert) : raw;
  return { bytes, envelope: { mailFrom, rcptTo: [...recipients] }, added };
}
