import type { Finding } from '../findings.js';
import { MAX_ADDRESSES_PER_MESSAGE, MAX_PARSE_MS } from '../limits.js';
import type { Rule } from './context.js';

/** Fields where ambiguity decides who receives or who is shown: errors. Sender fields are not checked here. */
const RECIPIENT_FIELDS = new Set(['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc', 'reply-to', 'mail-followup-to']);

const AUTHOR_FIELDS = new Set(['from', 'sender', 'resent-from', 'resent-sender']);

/** AMBIGUOUS_RECIPIENT: recipient syntax that mail software reads in different ways. */
export const ambiguousRecipient: Rule = ({ parsed, classifier, lineOffset }) => {
  const findings: Finding[] = [];
  // With no internal domain configured, the From address decides what is internal. If From is
  // ambiguous yet an address was read from it, that choice is a guess: fail closed. (A From with
  // no readable address, such as a bounce's `<>`, infers nothing, so everything counts as external.)
  // A resent message is inferred from its Resent-From / Resent-Sender instead.
  const deciding = classifier.inferredFrom?.startsWith('resent-') ? ['resent-from', 'resent-sender'] : ['from', 'sender'];
  const senderDecides = classifier.inferred && parsed.addresses.some((a) => deciding.includes(a.field));
  for (const p of parsed.addressProblems) {
    // Several authors or senders count toward exposure (issue 13, class 3): a list written in
    // them without commas is read as one mailbox by some software and as many by others.
    const hiddenList = p.kind === 'missing-separator' && AUTHOR_FIELDS.has(p.field);
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
  }
  return findings;
};
