// The notice to the people an incident exposed: one copy per person, each showing only that
// person, built with the split rewrite from the template plus everyone in Bcc. Pure.
//
// The template is refused if it shows any recipient list, whatever the policy says: recipients
// in To/Cc/Bcc, a Reply-To or Mail-Followup-To with more than one address, a body listing
// addresses, or any affected person's address anywhere in it (an apology to "everyone blind
// copied here" is the second exposure). Each copy is checked again before it is handed on.

import { DEFAULT_MAX_PART_BYTES } from '../body/settings.js';
import { scanMessage } from '../body/scan.js';
import { checkMessage } from '../analyse.js';
import { MailguardError } from '../errors.js';
import { findAddresses } from '../body/addresses.js';
import { decodeHeaderText } from '../body/mime.js';
import { readHeaderBlock, unfold } from '../message/header-block.js';
import { parseMessage } from '../message/parse-message.js';
import type { Policy } from '../policy/policy.js';
import { planSplit } from '../rewrite/split.js';

/** People per template-plus-Bcc message handed to the split: keeps each split's memory small. */
export const NOTICE_SPLIT_BATCH = 200;
/** Addresses a template body may show (say, the data-protection officer's): more is a list. */
export const NOTICE_MAX_BODY_ADDRESSES = 1;

const RECIPIENT_FIELDS = new Set(['to', 'cc', 'apparently-to', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc']);
const REPLY_FIELDS = new Set(['reply-to', 'mail-followup-to', 'mail-reply-to']);
/** Fields whose addresses are the sender's, or identifiers that look like addresses (Message-ID). */
const HEADER_ADDRESS_FIELDS = new Set([...RECIPIENT_FIELDS, ...REPLY_FIELDS, 'from', 'sender', 'return-path', 'message-id', 'in-reply-to', 'references', 'dkim-signature', 'received', 'list-unsubscribe', 'list-post', 'list-help']);

export interface Notice {
  person: string;
  bytes: Uint8Array;
}

/** Throws EUSAGE naming the reason when the template shows, or could show, a recipient list. */
export function checkNoticeTemplate(template: Uint8Array, people: string[]): void {
  const header = readHeaderBlock(template);
  if (header.problems.length > 0 || !header.hasBlankLine) {
    throw new MailguardError('EUSAGE', `the notice template is not a message whose header can be read safely (${header.problems[0]?.kind ?? 'no blank line after the header'}).`);
  }
  const parsed = parseMessage(template);
  const shown = parsed.addresses.filter((a) => RECIPIENT_FIELDS.has(a.field));
  if (shown.length > 0 || parsed.addressProblems.some((p) => RECIPIENT_FIELDS.has(p.field))) {
    throw new MailguardError('EUSAGE', `the notice template names recipients (${[...new Set(shown.map((a) => a.field))].join(', ') || 'an unreadable recipient field'}); it must name none.`, {
      hint: 'Remove To, Cc and Bcc from the template: mailguard notify addresses each copy to one person.',
    });
  }
  for (const field of REPLY_FIELDS) {
    const n = parsed.addresses.filter((a) => a.field === field).length;
    if (n > 1) throw new MailguardError('EUSAGE', `the notice template's ${field} lists ${n} addresses; every recipient would see them.`, { hint: 'Give one reply address (the data-protection contact).' });
  }
  const lower = new Set(people.map((p) => p.toLowerCase()));
  const text = Buffer.from(template.buffer, template.byteOffset, template.byteLength).toString('latin1').toLowerCase();
  const named = people.find((p) => text.includes(p.toLowerCase()));
  if (named !== undefined) {
    throw new MailguardError('EUSAGE', 'the notice template contains the address of a person it is sent to; each would see it.', { hint: 'Write the template without any recipient address.' });
  }
  const inBody = new Set<string>();
  for (const part of scanMessage(template, { maxPartBytes: DEFAULT_MAX_PART_BYTES }, header).parts) {
    for (const a of [...part.own, ...part.quoted]) inBody.add(a.toLowerCase());
  }
  // Addresses written in other header fields (a Subject, Comments, X-*), encoded words decoded.
  for (const f of header.fields) {
    if (HEADER_ADDRESS_FIELDS.has(f.key)) continue;
    for (const a of findAddresses(decodeHeaderText(unfold(f.rawValue, header.lineEnding)))) inBody.add(a.toLowerCase());
  }
  const decodedNamed = [...inBody].find((a) => lower.has(a));
  if (decodedNamed !== undefined) {
    throw new MailguardError('EUSAGE', 'the notice template contains the address of a person it is sent to; each would see it.', { hint: 'Write the template without any recipient address.' });
  }
  if (inBody.size > NOTICE_MAX_BODY_ADDRESSES) {
    throw new MailguardError('EUSAGE', `the notice template shows ${inBody.size} addresses in its text (body or header fields); a notice shows at most ${NOTICE_MAX_BODY_ADDRESSES} (a contact address).`, {
      hint: 'Remove the list (a quoted thread, a forwarded message, a Subject or other header field counts too).',
    });
  }
}

/** RFC 5322 date-time, in UTC: `Tue, 03 Feb 2026 10:00:00 +0000`. */
export function formatMailDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * The template with a Bcc field naming `people` (and a Date field when it has none), inserted at
 * the end of its header in its own line ending.
 */
function withBcc(template: Uint8Array, people: string[], date: Date): Uint8Array {
  const header = readHeaderBlock(template);
  const eol = header.lineEnding === 'crlf' ? '\r\n' : '\n';
  const dated = header.fields.some((f) => f.key === 'date') ? '' : `Date: ${formatMailDate(date)}${eol}`;
  // Addresses are the parser's latin1 view of their bytes: written back as latin1, they are those bytes.
  const field = Buffer.from(`${dated}Bcc: ${people.join(`,${eol} `)}${eol}`, 'latin1');
  const t = Buffer.from(template.buffer, template.byteOffset, template.byteLength);
  return Buffer.concat([t.subarray(0, header.headerEnd), field, t.subarray(header.headerEnd)]);
}

/**
 * One notice per person (addresses as normalised by the parser), in the order given, made one at
 * a time as they are taken (memory: one batch's plan, not every copy); `date` is used when the
 * template has no Date field. Each copy is checked: it must show exactly its person and carry no
 * Bcc field; anything else is refused. The template is checked before the first copy.
 */
export function* noticeCopies(template: Uint8Array, people: string[], policy: Policy, options: { date: Date; messageIdDomain?: string }): Generator<Notice> {
  checkNoticeTemplate(template, people);
  for (let i = 0; i < people.length; i += NOTICE_SPLIT_BATCH) {
    const batch = people.slice(i, i + NOTICE_SPLIT_BATCH);
    const split = planSplit(withBcc(template, batch, options.date), policy, options.messageIdDomain !== undefined ? { messageIdDomain: options.messageIdDomain } : {});
    for (let k = 0; k < split.copies.length; k++) {
      const recipients = split.copies[k]!.recipients;
      const person = recipients.length === 1 ? recipients[0]! : undefined;
      const bytes = split.render(k);
      const check = checkMessage(bytes, policy);
      const visible = [...new Set(check.recipients.visible.map((r) => r.address))];
      if (person === undefined || check.recipients.blind.length > 0 || visible.length !== 1 || visible[0] !== person) {
        throw new MailguardError('EREWRITE', 'a notice copy would not show exactly one person; nothing more was sent.', { hint: 'This is a bug; please report it with the template.' });
      }
      yield { person, bytes };
    }
  }
}

/** Every notice at once (see noticeCopies). */
export function buildNotices(template: Uint8Array, people: string[], policy: Policy, options: { date: Date; messageIdDomain?: string }): Notice[] {
  return [...noticeCopies(template, people, policy, options)];
}
