import type { Finding } from '../findings.js';
import { MAX_ADDRESSES_PER_MESSAGE, MAX_PARSE_MS } from '../limits.js';
import type { ParsedMessage } from '../message/parse-message.js';
import type { Rule } from './context.js';

/** Fields where ambiguity decides who receives or who is shown: errors. Sender fields are not checked here. */
const RECIPIENT_FIELDS = new Set(['to', 'cc', 'apparently-to', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc', 'reply-to', 'mail-followup-to', 'mail-reply-to']);

const AUTHOR_FIELDS = new Set(['from', 'sender', 'resent-from', 'resent-sender']);

/** Whether the `field` starting at `line` holds an encoded word, or at least two "@" and more than mailboxes read from it. */
function mayHideAddress(parsed: ParsedMessage, field: string, line: number): boolean {
  const f = parsed.header.fields.find((x) => x.key === field && x.line === line);
  if (!f) return true;
  if (f.rawValue.includes('=?')) return true;
  let ats = 0;
  for (let i = f.rawValue.indexOf('@'); i !== -1; i = f.rawValue.indexOf('@', i + 1)) ats++;
  let read = 0;
  for (const a of parsed.addresses) if (a.field === field && a.line === line) read++;
  // One author is the sender, shown anyway: only a second address can make a list.
  return ats > read && ats >= 2;
}

/** AMBIGUOUS_RECIPIENT: recipient syntax that mail software reads in different ways. */
export const ambiguousRecipient: Rule = ({ parsed, classifier, lineOffset, shownOver }) => {
  const findings: Finding[] = [];
  // With no internal domain configured, the From address decides what is internal. If From is
  // ambiguous yet an address was read from it, that choice is a guess: fail closed. (A From with
  // no readable address, such as a bounce's `<>`, infers nothing, so everything counts as external.)
  // A resent message is inferred from its Resent-From / Resent-Sender instead.
  const deciding = classifier.inferredFrom?.startsWith('resent-') ? ['resent-from', 'resent-sender'] : ['from', 'sender'];
  const senderDecides = classifier.inferred && parsed.addresses.some((a) => deciding.includes(a.field));
  /** mayHideAddress per author field (by field and line): it walks every address once. */
  const hiding = new Map<string, boolean>();
  for (const p of parsed.addressProblems) {
    // Several authors or senders count toward exposure (issue 13, class 3): a list written in
    // them without commas is read as one mailbox by some software and as many by others, and one
    // the parser could not read is not there for the count at all. So a problem in an author
    // field is an error when the field may hold a second address that was not read: two "@" or
    // more and fewer mailboxes, or an encoded word. (A bare local name, `From: MAILER-DAEMON`,
    // holds none; a broken field with one "@" holds at most the sender.)
    let hiddenList = false;
    if (AUTHOR_FIELDS.has(p.field)) {
      const key = `${p.field}:${p.line}`;
      let hides = hiding.get(key);
      if (hides === undefined) hiding.set(key, (hides = mayHideAddress(parsed, p.field, p.line)));
      hiddenList = p.kind === 'missing-separator' || hides;
    }
    if (!RECIPIENT_FIELDS.has(p.field) && !hiddenList && !(senderDecides && deciding.includes(p.field))) continue;
    findings.push({ code: 'AMBIGUOUS_RECIPIENT', severity: 'error', line: p.line + lineOffset, args: { field: p.field, problem: p.kind, excerpt: p.excerpt } });
  }
  for (const s of parsed.spacedFieldNames) {
    if (!RECIPIENT_FIELDS.has(s.field)) continue;
    findings.push({ code: 'AMBIGUOUS_RECIPIENT', severity: 'error', line: s.line + lineOffset, args: { field: s.field, problem: 'space-before-colon', excerpt: '' } });
  }
  if (parsed.timedOut) {
    findings.push({
      code: 'AMBIGUOUS_RECIPIENT',
      severity: 'error',
      args: { field: 'to', problem: 'parse-time-exceeded', excerpt: `more than ${MAX_PARSE_MS} ms` },
    });
  } else if (parsed.truncated) {
    findings.push({
      code: 'AMBIGUOUS_RECIPIENT',
      severity: 'error',
      args: { field: 'to', problem: 'too-many-addresses', excerpt: `more than ${MAX_ADDRESSES_PER_MESSAGE}` },
    });
  } else if (shownOver !== undefined) {
    // The mailboxes and the addresses written in names, comments and other fields together:
    // reading stopped where they passed the bound, so the count of what readers see is not known.
    findings.push({
      code: 'AMBIGUOUS_RECIPIENT',
      severity: 'error',
      line: shownOver.line + lineOffset,
      args: { field: shownOver.field, problem: 'too-many-addresses', excerpt: `more than ${MAX_ADDRESSES_PER_MESSAGE}` },
    });
  }
  return findings;
};
