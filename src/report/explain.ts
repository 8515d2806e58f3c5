// Long explanations of each finding code: what it means, why it matters, how to fix it. Used by
// `mailguard explain CODE`, SARIF rule help and the README. Short titles live in messages.ts.

import { DEFAULT_SEVERITY, FINDING_CODES, type FindingCode } from '../findings.js';
import { FINDING_TITLES } from './messages.js';

export interface Explanation {
  code: FindingCode;
  title: string;
  /** What the finding means, in one or two sentences. */
  meaning: string;
  /** Why it matters: what goes wrong if the message is sent as is. */
  why: string;
  /** How to fix it, one step per entry. */
  fix: string[];
  /** Config lines that change how the code is reported. */
  settings: string[];
}

type ExplanationText = Omit<Explanation, 'code' | 'title'>;

// Partial so that a newly added code cannot break the build; tests/report require one per code.
export const EXPLANATIONS: Partial<Record<FindingCode, ExplanationText>> = {
  EXPOSED_RECIPIENTS: {
    meaning:
      'The external addresses every recipient sees (To, Cc, Apparently-To, Resent-To, Resent-Cc, Reply-To, Mail-Followup-To, several authors in From or Resent-From, several mailboxes in Sender (in one field, or in several From or Sender fields), addresses written inside display names, and a list in any other header field: X-Recipients, Comments, Keywords, Subject or a custom field that reads as a list of 2 or more addresses, with commas or without (<a@x> <b@y>, a@x b@y), or names 3 or more in free text; trace and identifier fields such as Received, Delivered-To, X-Original-To, DKIM-Signature, Message-ID, References and List-Unsubscribe are not counted) belong to several organisations (registrable domains; each address at a consumer mail provider counts as its own, each tenant of a hosting domain such as acme.zendesk.com too), or are many addresses whatever their organisations. It is a warning at warnAt organisations (default 3) or warnAddressesAt addresses (10), and an error at blockAt (5) or blockAddressesAt (25); with "sensitive" it is an error at 2 of either.',
    why:
      'Every recipient receives every visible address. A mailing to customers, patients, applicants or members that lists them in To or Cc discloses who is on the list to everyone on it: a personal-data breach in most jurisdictions (GDPR Art. 5 and 32, HIPAA), and a gift to spammers and phishers who reply to all.',
    fix: [
      'Put the external recipients in Bcc and an address of your own in To: mailguard fix FILE --strategy bcc',
      'Or send one message per recipient: mailguard fix FILE --strategy split (required for sensitive lists)',
      'For campaign files, give each recipient its own message object, or use "bcc" instead of "to"/"cc".',
      'A list in a field that is not a recipient field (the finding names it: X-Recipients, Comments ...) is not moved by either strategy: when it blocks, send, the proxy, the milter, sendmail and the plugin keep the message back even with onViolation bcc or split. Delete the field or the list in it.',
      'If these organisations are partners, list them in trustedDomains; if they are yours, in internalDomains.',
    ],
    settings: ['"internalDomains": ["corp.example"]', '"trustedDomains": ["partner.example"]', '"warnAt": 3, "blockAt": 5', '"warnAddressesAt": 10, "blockAddressesAt": 25', '"publicLists": ["list@lists.example.org"]', '"sensitive": true'],
  },
  BCC_HEADER_PRESENT: {
    meaning:
      'The message carries a Bcc or Resent-Bcc header field with addresses in it. In a message at rest (checked without an SMTP envelope: a draft a mail client opens and sends, a Sent-folder copy, what mailguard fix --strategy bcc writes) it is a note (info); in a message in transit (checked with an envelope by the proxy or from an SMTP transcript) it is a warning.',
    why:
      'Mail clients remove Bcc before sending, but a message relayed raw (an .eml handed to sendmail, a script that writes the header itself, an SMTP relay that does not strip it) delivers the field to every recipient, so the blind recipients are shown to all.',
    fix: [
      'Remove the Bcc field from the stored message and give its addresses to the sender as envelope recipients only.',
      'Let the sending library build the header and envelope (nodemailer leaves Bcc out of the header it writes).',
    ],
    settings: ['"rules": { "BCC_HEADER_PRESENT": "error" } to block instead of warn (drafts included)', '"rules": { "BCC_HEADER_PRESENT": "warning" } to warn about drafts too, where files are relayed raw'],
  },
  AMBIGUOUS_RECIPIENT: {
    meaning:
      'A recipient field uses syntax that mail software reads in different ways: an unclosed quote or bracket, two addresses without a comma, an encoded word or a control character inside an address, several @, source routes, or an international domain that is not in its normalised form or mixes look-alike scripts.',
    why:
      'The tool that checks a message and the tool that sends it must agree on who receives it. Where parsers disagree, a message can pass one check and reach different people, or hide an external address behind an internal-looking one. mailguard fails closed: it blocks rather than guess.',
    fix: [
      'Rewrite the field in plain RFC 5322 form: Name <local@domain>, addresses separated by commas, names with special characters in double quotes.',
      'Write international domains in one script, and check the address with its owner.',
      'In campaign files, give each address as { "name": ..., "address": ... } so no quoting is needed.',
    ],
    settings: ['"rules": { "AMBIGUOUS_RECIPIENT": "warning" } (not recommended)'],
  },
  DUPLICATE_RECIPIENT_FIELD: {
    meaning:
      'The message has more than one To, Cc or Bcc field. mailguard counts the addresses of all of them. Several Apparently-To fields are not reported: sendmail writes one per recipient, and they are read together as one list of visible recipients.',
    why:
      'RFC 5322 allows each of these fields once. Mail software that reads only the first or only the last field sees different recipients than the software that delivers the message, so a check can miss the addresses in the other field.',
    fix: ['Merge the fields into one, addresses separated by commas.'],
    settings: ['"rules": { "DUPLICATE_RECIPIENT_FIELD": "error" }'],
  },
  MALFORMED_HEADER: {
    meaning:
      'The header block cannot be delimited or read safely: a line without a colon, a line of only white space, a continuation line at the start, a bad field name, a line break that other software honours inside a field (a bare CR, VT, FF, FS/GS/RS, NEL, U+2028 or U+2029: Python\'s email package, used by Mailman and many scripts, splits fields there), or a line, field or header past mailguard\'s limits.',
    why:
      'Software disagrees about where a malformed header ends and which lines belong to which field. A recipient field that one program reads as part of the body or as another field can slip past a check and still be delivered.',
    fix: ['Regenerate the message with a mail library instead of writing the header by hand.', 'Fold long fields with a line break followed by a space, and end the header with one empty line.'],
    settings: [],
  },
  EXPOSED_REPLY_ADDRESSES: {
    meaning: 'Reply-To or Mail-Followup-To lists external addresses of several organisations.',
    why: 'These fields are shown to every recipient just like To and Cc, and replies go to all of them: the list is disclosed even though those addresses do not receive the original.',
    fix: ['Use one reply address of your own, or a list address, in Reply-To.'],
    settings: ['"rules": { "EXPOSED_REPLY_ADDRESSES": "error" }'],
  },
  UNREADABLE_MESSAGE: {
    meaning: 'The input is not a message mailguard can check: it is empty, missing, unreadable, has no header fields, or a campaign or transcript file cannot be read.',
    why: 'A file that cannot be checked cannot be shown to be safe. The check exits 2 so a CI step or send script stops instead of sending unchecked mail.',
    fix: ['Check the path and the file type (mailguard reads .eml, mbox, Maildir, SMTP transcripts and JSON campaign files).', 'For JSON campaign files, fix the syntax error at the line and column given.'],
    settings: [],
  },
  ADDRESS_LIST_IN_BODY: {
    meaning: 'A text part or a text-like attachment (CSV, vCard, a pasted list, a forwarded thread) holds at least bodyScan.minAddresses (default 10) distinct external addresses that the header does not already show.',
    why: 'Moving recipients to Bcc does not help when the list itself travels in the body or an attachment: every recipient can read it, and forwarding spreads it further.',
    fix: ['Remove the list from the body or attachment, or send it only to the internal people who need it.', 'Trim quoted threads that carry other people\'s addresses before forwarding.'],
    settings: ['"bodyScan": { "minAddresses": 10, "maxPartBytes": 1048576 }', '"rules": { "ADDRESS_LIST_IN_BODY": "off" }', '--no-body-scan on the command line'],
  },
  PUBLIC_LIST_POST: {
    meaning:
      'A visible recipient is a public mailing list named in publicLists (or --public-list). The message is a public post: the other people in To and Cc are shown on purpose, as in every patch series or list discussion, so this is a note (info) instead of EXPOSED_RECIPIENTS.',
    why: 'Blocking list traffic teaches people to switch the guard off. The list archive shows the same addresses anyway. With --sensitive (patients, applicants, members) the exposure is reported as usual.',
    fix: ['Nothing to fix for a public post. If the list is not public, remove it from publicLists.'],
    settings: ['"publicLists": ["linux-kernel@vger.kernel.org", "*@lists.example.org"]', '--public-list ADDR on the command line'],
  },
  ADDRESS_LIST_IN_ATTACHMENT: {
    meaning:
      'A sheet of a workbook (xlsx, ods), a document or presentation (docx, odt, pptx, odp), or a file inside a zip attachment holds at least bodyScan.minAddresses (default 10) distinct external addresses. Sheets are counted one by one, hidden and very hidden sheets, hidden rows and columns and cells outside the used range included, and the finding says which; parts of a workbook no sheet shows (unused strings, comments, pivot caches) count too. A warning, or an error when that many are hidden from view or the list is sensitive.',
    why: 'Half of recorded recipient-list breaches are spreadsheets: a workbook whose hidden tab or rows held thousands of applicants while the sender saw a short table. Every recipient can unhide them.',
    fix: ['Send only the rows and columns the recipients need: copy them into a new workbook rather than hiding the rest.', 'Delete hidden sheets, rows and columns (and pivot caches) before sending, or share the file through a system that controls access.'],
    settings: ['"bodyScan": { "minAddresses": 10 }', '"rules": { "ADDRESS_LIST_IN_ATTACHMENT": "error" }', '--sensitive (every such list blocks)', '--no-body-scan on the command line'],
  },
  EXPOSED_ATTENDEES: {
    meaning: 'A calendar invitation (a text/calendar part or an .ics file) lists external attendees and organiser from warnAt (warning) or blockAt (error) organisations, or warnAddressesAt (warning) or blockAddressesAt (error) external addresses whatever their organisations, counted like visible To and Cc recipients.',
    why: 'Calendar clients show every ATTENDEE of an invitation to every invitee, whatever the message\'s To and Cc say: inviting patients, applicants or customers to one event discloses all of them to each other.',
    fix: ['Send one invitation per external attendee, or use an event registration tool that does not list attendees.', 'Hide the guest list in the calendar program before sending, so the invitation carries only the recipient.'],
    settings: ['"warnAt": 3, "blockAt": 5, "warnAddressesAt": 10, "blockAddressesAt": 25 (the same thresholds as EXPOSED_RECIPIENTS)', '--sensitive (block at 2 organisations or 2 addresses)', '"rules": { "EXPOSED_ATTENDEES": "warning" }'],
  },
  INTERNAL_DOMAIN_INFERRED: {
    meaning:
      'No internal domain is configured, so it was inferred from the sender (From; Sender or Resent-From where they decide), and that inference makes warnAddressesAt (default 10) or more of the addresses every reader sees internal, so they are not counted as exposed. A note (info): the message passes, as mail from alice@acme.com to her colleagues at acme.com should.',
    why:
      'From the message alone, a company\'s own domain and a shared one that no provider list knows (an internet provider such as online.no, a booking or marketplace relay, an SMS gateway) look the same. Mailed from such a domain to its customers, every customer sees every other, and without this note the report would say "all internal".',
    fix: [
      'Configure your organisation\'s domains: "internalDomains": ["corp.example"] or --internal-domain corp.example (mailguard init writes it). Then nothing is inferred.',
      'If the domain is a shared provider, add it to consumerDomains (each address its own organisation) and send the message with the recipients in Bcc.',
    ],
    settings: ['"internalDomains": ["corp.example"]', '"consumerDomains": ["isp.example"]', '"rules": { "INTERNAL_DOMAIN_INFERRED": "error" } (block instead of guessing, where every sender must be configured)', '"rules": { "INTERNAL_DOMAIN_INFERRED": "off" }'],
  },
  ATTACHMENT_NOT_SCANNED: {
    meaning: 'An attachment or part that can hold a list could not be read: it is encrypted (S/MIME, PGP, a password), larger than the limits, inflates like a zip bomb, is an archive inside an archive (or inside an Outlook winmail.dat), is damaged, or is in a format mailguard does not read (PDF, legacy .xls/.doc, rar, 7z, yEnc, an unknown file type); or a text part was read only up to the size limits, or a multipart could not be split.',
    why: 'An unread attachment is not a clean one. Whether it may go out unread is a policy decision: by default it is info, a note that changes neither the verdict nor --max-warnings (a PDF in an ordinary draft passes); make it a warning to count it, or an error where lists must never leave unchecked.',
    fix: ['Send the data as csv, xlsx, ods, docx or odt, which are scanned.', 'For encrypted files, check their content before encrypting them; share the password by another channel.'],
    settings: [
      '"rules": { "ATTACHMENT_NOT_SCANNED": "warning" } (count it: verdict warn, --max-warnings)',
      '"rules": { "ATTACHMENT_NOT_SCANNED": "error" } (block what cannot be scanned)',
      '"rules": { "ATTACHMENT_NOT_SCANNED": "off" }',
    ],
  },
};

const GENERIC: ExplanationText = {
  meaning: 'A finding about the recipients or the header of the message.',
  why: 'See the message printed with the finding.',
  fix: ['Follow the advice printed with the finding.'],
  settings: [],
};

/** The explanation of one finding code. */
export function explainCode(code: FindingCode): Explanation {
  return { code, title: FINDING_TITLES[code] ?? code, ...(EXPLANATIONS[code] ?? GENERIC) };
}

export function allExplanations(): Explanation[] {
  return FINDING_CODES.map(explainCode);
}

/** Plain text for `mailguard explain CODE`. */
export function formatExplanation(e: Explanation): string {
  const lines = [
    `${e.code}: ${e.title} (default severity: ${e.code === 'EXPOSED_RECIPIENTS' || e.code === 'EXPOSED_ATTENDEES' ? 'warning at warnAt, error at blockAt' : e.code === 'ADDRESS_LIST_IN_ATTACHMENT' ? 'warning; error when hidden or sensitive' : DEFAULT_SEVERITY[e.code]})`,
    '',
    'What it means',
    ...wrap(e.meaning),
    '',
    'Why it matters',
    ...wrap(e.why),
    '',
    'How to fix it',
    ...e.fix.flatMap((f) => wrap(f, '  - ', '    ')),
  ];
  if (e.settings.length > 0) lines.push('', 'Settings (mailguard.config.json)', ...e.settings.map((s) => `  ${s}`));
  return `${lines.join('\n')}\n`;
}

/** Markdown help for SARIF rules (GitHub code scanning shows it beside each alert). */
export function explanationMarkdown(e: Explanation): string {
  const parts = [`**${e.title}** (\`${e.code}\`)`, '', e.meaning, '', '**Why it matters.** ' + e.why, '', '**How to fix it.**', '', ...e.fix.map((f) => `- ${f}`)];
  return parts.join('\n');
}

/** Plain-text help for SARIF rules. */
export function explanationText(e: Explanation): string {
  return `${e.meaning}\n\nWhy it matters: ${e.why}\n\nHow to fix it:\n${e.fix.map((f) => `- ${f}`).join('\n')}`;
}

const WRAP_COLUMNS = 96;

function wrap(text: string, first = '  ', rest = '  '): string[] {
  const out: string[] = [];
  let line = first;
  let prefixOnly = true;
  for (const word of text.split(/\s+/)) {
    if (!prefixOnly && line.length + 1 + word.length > WRAP_COLUMNS) {
      out.push(line);
      line = rest + word;
    } else {
      line += prefixOnly ? word : ` ${word}`;
    }
    prefixOnly = false;
  }
  out.push(line);
  return out;
}
