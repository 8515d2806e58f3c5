// All wording of findings lives here. Rules produce codes and arguments; this turns them into
// sentences. Tests assert codes and arguments, not these sentences.

import { listInAttachment } from '../decide/modes.js';
import type { Finding, FindingCode } from '../findings.js';
import { isAddressField } from '../message/parse-message.js';
import { printable } from './printable.js';
import { maskAddress, maskText } from './redact.js';

const FIELD_NAMES: Record<string, string> = {
  to: 'To',
  cc: 'Cc',
  'apparently-to': 'Apparently-To',
  bcc: 'Bcc',
  'resent-to': 'Resent-To',
  'resent-cc': 'Resent-Cc',
  'resent-bcc': 'Resent-Bcc',
  'reply-to': 'Reply-To',
  'mail-followup-to': 'Mail-Followup-To',
  'mail-reply-to': 'Mail-Reply-To',
  from: 'From',
  sender: 'Sender',
  'resent-from': 'Resent-From',
  'resent-sender': 'Resent-Sender',
};

/** Longest field name shown: a field name may be a whole header line long. */
const MAX_SHOWN_FIELD_NAME = 60;

/** A field's name as people write it: `x-recipients` -> `X-Recipients`. */
export function fieldName(field: string): string {
  const known = FIELD_NAMES[field];
  if (known !== undefined) return known;
  const name = field.length > MAX_SHOWN_FIELD_NAME ? `${field.slice(0, MAX_SHOWN_FIELD_NAME)}...` : field;
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** The fields of an exposure that are not address fields (X-Recipients, Comments ...): no rewrite to Bcc moves a list there. */
export function fieldsNoRewriteMoves(fields: readonly string[]): string[] {
  return fields.filter((f) => !isAddressField(f));
}

const AMBIGUITY: Record<string, string> = {
  'unbalanced-quote': 'an unclosed quote',
  'unbalanced-comment': 'an unbalanced comment parenthesis',
  'unbalanced-angle': 'unbalanced angle brackets',
  'unbalanced-bracket': 'an unbalanced domain-literal bracket',
  'comment-too-deep': 'comments nested too deeply',
  'missing-separator': 'two addresses without a comma between them',
  'encoded-word-in-address': 'an encoded word (=?...?=) inside an address',
  'control-character': 'a control character (NUL, bare CR or LF, a Unicode line break)',
  'multiple-at': 'more than one @ outside quotes',
  'route-syntax': 'obsolete source-route syntax (<@relay:user@host>)',
  'missing-domain': 'an address without a domain',
  'missing-local-part': 'an address without a local part',
  'invalid-local-part': 'a local part that is not a dot-atom or one quoted string',
  'invalid-domain': 'an invalid domain',
  'idn-mismatch': 'an international domain whose written form differs from its normalised form',
  'mixed-script-domain': 'a domain label that mixes scripts (look-alike characters)',
  'invalid-utf8': 'bytes that are not valid UTF-8',
  'nested-group': 'a group inside a group',
  'unterminated-group': 'a group without its closing ";"',
  'comment-in-address': 'a comment inside an address',
  'routed-local-part': 'a local part with a routing character (%, ! or @) that some mail servers follow to another host',
  'invalid-character': 'a character not allowed in an address',
  'space-before-colon': 'white space between the field name and its colon',
  'too-many-addresses': 'more addresses than mailguard reads in one message',
  'parse-time-exceeded': 'more address syntax than mailguard reads within its time limit',
};

const MALFORMED: Record<string, string> = {
  'line-without-colon': 'a line in the header block is not a header field (no colon)',
  'whitespace-only-line': 'a line of only white space in the header block (some software ends the header there)',
  'leading-continuation': 'the header block starts with a continuation line',
  'bad-field-name': 'a header field name has characters that are not allowed',
  'line-too-long': 'a header line is longer than the limit',
  'field-too-long': 'a header field is longer than the limit',
  'header-too-large': 'the header block is larger than the limit',
  'too-many-fields': 'the header has more fields than the limit',
  'several-senders': 'a Sender field names more than one mailbox (it must name exactly the one who sent the message)',
  'foreign-line-break': 'a header field holds a line break that other mail software honours and mailguard does not, so they read different fields',
  'mixed-line-ends': 'the header ends in CR-only line breaks but LF line breaks follow: software that splits lines on LF reads a different header (lines after the blank line become header fields)',
};

const UNREADABLE: Record<string, string> = {
  empty: 'the input is empty',
  'no-header': 'no header fields: this is not an RFC 5322 message',
  'not-found': 'not found',
  unreadable: 'cannot be read',
  'bad-transcript': 'the SMTP transcript cannot be read',
  'bad-campaign': 'the campaign file cannot be read',
  'ambiguous-mbox': 'where the mailbox\'s messages begin and end cannot be told',
  'imap-connect': 'the IMAP server cannot be used',
  'imap-auth': 'the IMAP server refused the login',
  'imap-folder': 'the IMAP folder cannot be opened',
  'imap-incomplete': 'the IMAP folder was not read completely',
  'unclear-header': 'whom its header shows cannot be told (check flags it)',
};

export interface MessageOptions {
  redact: boolean;
  /** 'send': the report of mailguard send, which strips the Bcc field from what it relays. */
  context?: 'send';
  /** false: the sentence without the text it quotes from the message (findingExcerpt), for a
   * report that says several findings once and lists their excerpts after it. */
  excerpt?: boolean;
}

function list(addresses: string[], redact: boolean): string {
  return addresses.map((a) => (redact ? maskAddress(a) : a)).join(', ');
}

/** Why an input could not be read, from its reason code and detail (no code in the text). */
export function describeUnreadable(reason: string, detail: string | undefined): string {
  const what = UNREADABLE[reason] ?? reason;
  // The detail may quote the input (a transcript line, a file name).
  return detail ? `${what}: ${printable(detail)}` : what;
}

/**
 * The text a finding quotes from the message, for the codes whose sentence is otherwise the same
 * for every finding of one kind in one field (an address per problem: AMBIGUOUS_RECIPIENT).
 * Undefined for the others, whose sentences differ by what they count or name.
 */
export function findingExcerpt(f: Finding): string | undefined {
  return f.code === 'AMBIGUOUS_RECIPIENT' ? f.args.excerpt : undefined;
}

/** An excerpt as a report shows it: masked with `redact`, made printable. */
export function shownExcerpt(excerpt: string, redact: boolean): string {
  return printable(redact ? maskText(excerpt) : excerpt);
}

/**
 * One sentence describing a finding; what it quotes from the message is made printable. With
 * `redact`, every address in it is masked, whatever argument it came from: an attachment's,
 * sheet's or member's name, a detail quoting the input, a list address (a file named
 * `p1@org1.example, p2@org2.example ... .csv` printed all of them in GitHub annotations).
 * (maskText leaves an address masked already as it is.)
 */
export function describeFinding(f: Finding, options: MessageOptions): string {
  const text = printable(describeFindingText(f, options));
  return options.redact ? maskText(text) : text;
}

function describeFindingText(f: Finding, options: MessageOptions): string {
  switch (f.code) {
    case 'EXPOSED_RECIPIENTS': {
      const a = f.args;
      const fields = a.fields.map(fieldName).join('/');
      const org = a.parties === 1 ? 'organisation' : 'organisations';
      const addr = a.externalAddresses === 1 ? 'address' : 'addresses';
      const over = a.trigger === 'addresses' ? ` (${a.threshold} or more addresses, whatever their organisations)` : '';
      const unmoved = fieldsNoRewriteMoves(a.fields);
      const notMoved = unmoved.length === 0 ? '' : `; ${unmoved.map(fieldName).join('/')} ${unmoved.length === 1 ? 'is not a recipient field' : 'are not recipient fields'}, so moving recipients to Bcc does not remove the list`;
      return `${a.externalAddresses} external ${addr} from ${a.parties} ${org} visible in ${fields}${over}${a.sensitive ? ' (sensitive list)' : ''}${notMoved}`;
    }
    case 'PUBLIC_LIST_POST': {
      const a = f.args;
      const list = options.redact ? maskAddress(a.list) : a.list;
      return `a post to the public list ${list}: ${a.externalAddresses} external address${a.externalAddresses === 1 ? '' : 'es'} from ${a.parties} organisation${a.parties === 1 ? '' : 's'} in ${a.fields.map(fieldName).join('/')} are shown on purpose (not reported as exposure; --sensitive reports them)`;
    }
    case 'BCC_HEADER_PRESENT': {
      const carries = `the message carries a ${fieldName(f.args.field)} field with ${f.args.count} address${f.args.count === 1 ? '' : 'es'}`;
      if (options.context === 'send') return `${carries}; send removes the field from what it relays (the addresses stay in the envelope)`;
      if (f.args.context === 'draft') return `${carries}: a draft, which a mail client, sendmail -t or mailguard send strips before sending; relayed raw, every recipient would see them`;
      return `${carries} and is in transit; relayed as is, every recipient sees them`;
    }
    case 'AMBIGUOUS_RECIPIENT': {
      const what = AMBIGUITY[f.args.problem] ?? f.args.problem;
      const ex = f.args.excerpt && options.excerpt !== false ? `: ${shownExcerpt(f.args.excerpt, options.redact)}` : '';
      return `${fieldName(f.args.field)} has ${what}; mail software reads it in different ways${ex}`;
    }
    case 'DUPLICATE_RECIPIENT_FIELD':
      return `${f.args.count} ${fieldName(f.args.field)} fields (lines ${f.args.lines.join(', ')}); all are counted`;
    case 'MALFORMED_HEADER': {
      const what = MALFORMED[f.args.problem] ?? `malformed header (${f.args.problem})`;
      return f.args.detail !== undefined ? `${what} (${f.args.detail})` : what;
    }
    case 'EXPOSED_REPLY_ADDRESSES':
      return `${fieldName(f.args.field)} shows ${f.args.externalAddresses} external addresses from ${f.args.parties} organisations to every recipient`;
    case 'UNREADABLE_MESSAGE':
      // The detail may quote the input (a transcript line naming a recipient).
      return describeUnreadable(f.args.reason, f.args.detail !== undefined && options.redact ? maskText(f.args.detail) : f.args.detail);
    case 'ADDRESS_LIST_IN_BODY': {
      const a = f.args;
      const where = a.fileName !== undefined ? `the attachment "${shownName(a.fileName)}" (part ${a.part}, ${a.contentType})` : a.part === '1' ? `the body (${a.contentType})` : `body part ${a.part} (${a.contentType})`;
      const quoted = a.quotedAddresses > 0 ? `, ${a.quotedAddresses} of them in the quoted thread` : '';
      const cut = a.truncated ? ' in its scanned beginning' : '';
      return `${where} lists ${a.externalAddresses} external addresses from ${a.parties} organisation${a.parties === 1 ? '' : 's'}${cut}${quoted}; every recipient can read them`;
    }
    case 'ADDRESS_LIST_IN_ATTACHMENT': {
      const a = f.args;
      const n = a.externalAddresses.toLocaleString('en-GB');
      const place = a.outsideSheets ? 'outside every sheet (unused strings, comments or pivot caches)' : a.sheet !== undefined ? `in sheet '${a.sheet}'` : '';
      const hiddenWhere = a.hidden.map((h) => HIDDEN_PLACES[h] ?? h);
      const hidden = a.outsideSheets ? '' : hiddenWhere.length > 0 ? ` (${a.hiddenAddresses === a.externalAddresses ? '' : `${a.hiddenAddresses.toLocaleString('en-GB')} of them `}${hiddenWhere.join(', ')})` : '';
      const file = a.messageText ? `the message text inside ${attachmentName(a)}` : `${attachmentName(a)}${a.entry !== undefined ? ` (member "${shownName(a.entry)}")` : ''}`;
      return `${n} external addresses from ${a.parties} organisation${a.parties === 1 ? '' : 's'}${place ? ` ${place}` : ''}${hidden} of ${file}; every recipient can read them${a.sensitive ? ' (sensitive list)' : ''}`;
    }
    case 'EXPOSED_ATTENDEES': {
      const a = f.args;
      const what = a.method === 'REQUEST' || a.method === undefined ? 'calendar invitation' : `calendar ${a.method.toLowerCase()}`;
      const inside = a.entry !== undefined ? ` (member "${shownName(a.entry)}" of ${attachmentName(a)})` : a.fileName !== undefined ? ` ${attachmentName(a)}` : ` (part ${a.part})`;
      return `the ${what}${inside} shows ${a.externalAddresses} external attendee${a.externalAddresses === 1 ? '' : 's'} from ${a.parties} organisation${a.parties === 1 ? '' : 's'} to every invitee${a.sensitive ? ' (sensitive list)' : ''}`;
    }
    case 'INTERNAL_DOMAIN_INFERRED': {
      const a = f.args;
      const domains = a.domains.join(' or ');
      return `${a.sameDomainAddresses} visible addresses are at ${domains}, internal only because the internal domain was inferred from the sender (${fieldName(a.field)}); if ${domains} is a shared mail domain (an internet provider, a relay, an SMS gateway) rather than your organisation's own, they are external and shown to each other: set internalDomains (--internal-domain), or consumerDomains for a provider`;
    }
    case 'ATTACHMENT_NOT_SCANNED': {
      const a = f.args;
      const what = a.entry !== undefined ? `member "${shownName(a.entry)}" of ${attachmentName(a)}` : `${attachmentName(a)} (${a.contentType})`;
      const why = NOT_SCANNED[a.reason] ?? a.reason;
      return `${what} was not scanned for address lists: ${why}${a.detail !== undefined && a.reason !== 'encrypted' ? ` (${a.detail})` : ''}; it is not known to be clean`;
    }
  }
}

const HIDDEN_PLACES: Record<string, string> = {
  'hidden-sheet': 'hidden sheet',
  'very-hidden-sheet': 'very hidden sheet',
  'hidden-rows': 'in hidden rows',
  'hidden-columns': 'in hidden columns',
  'outside-used-range': 'outside the used range',
};

const NOT_SCANNED: Record<string, string> = {
  encrypted: 'it is encrypted (password-protected)',
  'too-large': 'it is larger than the scan reads',
  'too-many-entries': 'the archive has more entries than the scan opens',
  'compression-ratio': 'it inflates more than any real document does (a zip bomb?)',
  'nested-archive': 'an archive inside an archive is not opened',
  'unsupported-format': 'mailguard cannot read this format',
  'unsupported-compression': 'the archive uses a compression method mailguard cannot read',
  'unknown-format': 'the format is unknown',
  unreadable: 'it cannot be read (damaged or cut off)',
  truncated: 'the message was cut off inside it',
  'too-many-parts': 'the message has more MIME parts than the scan reads (256); this one and those after it were not read',
  'too-deep': 'it is nested deeper than the scan reads (8 levels)',
  'partly-read': 'it is longer than the scan reads of one part (bodyScan.maxPartBytes); only its beginning was read',
  'text-limit': 'the parts before it used up the text the scan reads of one message (2 MiB)',
};

/** What a rewrite leaves of a list in fields it does not move (a fix outlook's `left`): one
 * sentence for check's `then:` line and fix's hint. */
export function listLeftText(fields: readonly string[]): string {
  return `the list in ${fields.map(fieldName).join('/')} stays (no rewrite moves it): take the addresses out of ${fields.length === 1 ? 'that field' : 'those fields'} by hand and check again`;
}

/** Where a content list is, for contentLeftText: the attachment by name, the text, the invitation. */
function contentPlace(f: Finding): string {
  if (f.code === 'EXPOSED_ATTENDEES') return "the calendar invitation's attendee list";
  if (f.code !== 'ADDRESS_LIST_IN_BODY' && f.code !== 'ADDRESS_LIST_IN_ATTACHMENT') return 'the message';
  if (f.args.fileName !== undefined) return `the attachment "${shownName(f.args.fileName)}"`;
  if (f.code === 'ADDRESS_LIST_IN_ATTACHMENT') return `the attachment in part ${f.args.part}`;
  return f.args.part === '1' ? 'the message text' : `body part ${f.args.part}`;
}

/** What a rewrite leaves of lists in the message's content (a fix outlook's `contentLeft`): one
 * sentence for check's `then:` line and fix's hint. Bcc and split rewrite header fields only. */
export function contentLeftText(findings: readonly Finding[]): string {
  const places = [...new Set(findings.map(contentPlace))];
  const many = places.length > 1;
  const where = many ? `${places.slice(0, -1).join(', ')} and ${places[places.length - 1]}` : places[0]!;
  return printable(`the list${many ? 's' : ''} in ${where} ${many ? 'stay' : 'stays'} in every copy (a rewrite changes header fields only): take ${many ? 'them' : 'it'} out by hand and check again`);
}

/** Longest attachment name shown: file systems stop at 255, a crafted header does not. */
const MAX_SHOWN_NAME = 255;

function attachmentName(a: { fileName?: string; part: string }): string {
  if (a.fileName === undefined) return `the attachment in part ${a.part}`;
  return `the attachment "${shownName(a.fileName)}"`;
}

/** A file name as shown: its first MAX_SHOWN_NAME characters (a zip or TNEF member's name too). */
function shownName(name: string): string {
  return name.length > MAX_SHOWN_NAME ? `${name.slice(0, MAX_SHOWN_NAME)}...` : name;
}

/**
 * Why mailguard fix leaves a message alone although it could rewrite its header: the list travels
 * in an attachment or invitation that a header rewrite does not change. Undefined when none.
 */
export function unfixableByRewrite(findings: readonly Finding[]): string | undefined {
  const f = findings.find(listInAttachment);
  if (f === undefined) return undefined;
  if (f.code === 'EXPOSED_ATTENDEES') return 'the calendar invitation lists its attendees to every invitee, and moving recipients to Bcc does not change it: send one invitation per attendee, or hide the guest list before sending';
  if (f.code === 'ADDRESS_LIST_IN_ATTACHMENT') return `the address list is inside ${f.args.fileName !== undefined ? `the attachment "${shownName(f.args.fileName)}"` : 'an attachment'}, which a header rewrite cannot clean: remove the list (and hidden sheets, rows and columns) from the file and send again`;
  if (f.code === 'ADDRESS_LIST_IN_BODY') return `the address list is inside ${f.args.fileName !== undefined ? `the attachment "${shownName(f.args.fileName)}"` : 'an attachment'}, which a header rewrite cannot clean: remove the list from the file (or the file from the message) and send again`;
  return 'an attachment could not be scanned and the policy blocks what is not scanned: a header rewrite cannot make it safe';
}

/** Example addresses a finding quotes, for the human report. */
export function findingExamples(f: Finding): string[] {
  if (f.code === 'EXPOSED_RECIPIENTS' || f.code === 'EXPOSED_REPLY_ADDRESSES' || f.code === 'ADDRESS_LIST_IN_BODY' || f.code === 'ADDRESS_LIST_IN_ATTACHMENT' || f.code === 'EXPOSED_ATTENDEES' || f.code === 'INTERNAL_DOMAIN_INFERRED') return f.args.examples;
  return [];
}

export { list as formatAddressList };

/** Short titles per code (SARIF rule names, annotation titles). */
export const FINDING_TITLES: Record<FindingCode, string> = {
  EXPOSED_RECIPIENTS: 'Exposed recipient list',
  BCC_HEADER_PRESENT: 'Bcc field present',
  AMBIGUOUS_RECIPIENT: 'Ambiguous recipient',
  DUPLICATE_RECIPIENT_FIELD: 'Duplicate recipient field',
  MALFORMED_HEADER: 'Malformed header',
  EXPOSED_REPLY_ADDRESSES: 'Addresses exposed in reply fields',
  UNREADABLE_MESSAGE: 'Unreadable message',
  ADDRESS_LIST_IN_BODY: 'Address list in body or attachment',
  PUBLIC_LIST_POST: 'Post to a public mailing list',
  ADDRESS_LIST_IN_ATTACHMENT: 'Address list in a spreadsheet, document or archive',
  EXPOSED_ATTENDEES: 'Exposed attendee list in a calendar invitation',
  ATTACHMENT_NOT_SCANNED: 'Attachment not scanned',
  INTERNAL_DOMAIN_INFERRED: 'Many recipients internal by inference',
};

/** Why a delivery decision stopped a message (src/decide), in one sentence without a final stop. */
export function describeDeliveryReason(reason: { code: string; detail?: string; finding?: Finding }): string {
  switch (reason.code) {
    case 'policy':
      return 'the policy blocks it';
    case 'unreadable':
      return 'not a message that can be sent';
    case 'rewrite-refused':
      return (reason.detail ?? 'the rewrite cannot be done safely').replace(/\.$/, '');
    case 'still-exposed':
      return 'the rewritten message would still show a recipient list, so it was not sent';
    case 'no-recipients':
      return 'no recipients: To, Cc and Bcc are empty';
    case 'no-sender':
      return 'no envelope sender: the message has no readable From';
    case 'list-in-attachment':
      return (reason.finding && unfixableByRewrite([reason.finding])) ?? 'a list travels in an attachment, which a header rewrite cannot clean';
    default:
      return reason.detail ?? reason.code;
  }
}
