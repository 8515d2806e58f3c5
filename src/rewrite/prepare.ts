// What both strategies share: decide with the core whether a message may be rewritten at all.
// Anything the strict parser could not read unambiguously is refused, whatever the policy's rule
// settings say: a rewrite built on a guess would send to the guess.

import { checkMessage } from '../analyse.js';
import { MailguardError } from '../errors.js';
import type { Mailbox } from '../message/address-list.js';
import type { HeaderBlock } from '../message/header-block.js';
import { fieldLists, parseMessage, type ParsedMessage } from '../message/parse-message.js';
import type { Policy } from '../policy/policy.js';
import type { MessageResult } from '../result.js';

/** Fields the rewrite moves addresses between; a problem in any of them refuses the rewrite. (A From
 * that cannot be read only matters for --to sender, which then refuses on its own.) */
const READ_FIELDS = new Set(['to', 'cc', 'apparently-to', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc']);
/** The visible fields both strategies take recipients out of (Resent-* are refused instead). */
export const REWRITTEN_VISIBLE_FIELDS: ReadonlySet<string> = new Set(['to', 'cc', 'apparently-to']);
const RESENT_RECIPIENT_FIELDS = ['resent-to', 'resent-cc', 'resent-bcc'] as const;

export interface Prepared {
  result: MessageResult;
  parsed: ParsedMessage;
  /** The mailboxes and group names of the field at `index` in `parsed.header.fields`, as
   * parseField reads them (an address field, or a field with none: empty). */
  list(index: number): { mailboxes: Mailbox[]; groups: string[] };
}

/**
 * What a caller has made of the same bytes already: `result` is `checkMessage(bytes, policy)`
 * under the same policy object, without an envelope and without a line offset (the two options
 * that change what prepareRewrite reads of it: findings by draft or transit, and the line its
 * refusal names); the body scan and `source` do not matter here. `header` is `readHeaderBlock(bytes)`.
 */
export interface RewriteChecked {
  result: MessageResult;
  header: HeaderBlock;
  /** The parse `result` was made from (checkAndParse), when the caller kept it: not parsed again. */
  parsed?: ParsedMessage;
}

const NO_LIST: { mailboxes: Mailbox[]; groups: string[] } = { mailboxes: [], groups: [] };

/**
 * Checks `bytes` (or takes `checked`, the same check made already) and throws EREWRITE (with the
 * reason) unless it can be rewritten safely.
 */
export function prepareRewrite(bytes: Uint8Array, policy: Policy, checked?: RewriteChecked): Prepared {
  const result = checked?.result ?? checkMessage(bytes, policy);
  if (result.verdict === 'error') {
    const f = result.findings.find((x) => x.code === 'UNREADABLE_MESSAGE');
    const reason = f && f.code === 'UNREADABLE_MESSAGE' ? f.args.reason : 'unreadable';
    throw new MailguardError('EREWRITE', `not a message (${reason}); nothing to rewrite.`, { refusal: 'not-a-message' });
  }
  const parsed = checked?.parsed ?? parseMessage(bytes, checked?.header);
  const headerProblem = parsed.header.problems[0];
  const malformed = result.findings.find((f) => f.code === 'MALFORMED_HEADER');
  if (headerProblem || malformed) {
    const kind = headerProblem?.kind ?? (malformed?.code === 'MALFORMED_HEADER' ? malformed.args.problem : 'malformed');
    const line = headerProblem?.line ?? malformed?.line;
    throw new MailguardError('EREWRITE', `MALFORMED_HEADER: the header block cannot be read safely (${kind}${line ? `, line ${line}` : ''}); the message was not rewritten.`, {
      hint: 'Fix the header by hand (or in the program that wrote it), then run mailguard fix again.',
      refusal: 'malformed',
    });
  }
  const addressProblem = parsed.addressProblems.find((p) => READ_FIELDS.has(p.field));
  const spaced = parsed.spacedFieldNames.find((s) => READ_FIELDS.has(s.field));
  const ambiguous = result.findings.find((f) => f.code === 'AMBIGUOUS_RECIPIENT');
  if (addressProblem || spaced || parsed.truncated || ambiguous) {
    const what = addressProblem
      ? `${addressProblem.kind} in ${addressProblem.field}, line ${addressProblem.line}`
      : spaced
        ? `space-before-colon in ${spaced.field}, line ${spaced.line}`
        : parsed.truncated
          ? 'too many addresses'
          : ambiguous?.code === 'AMBIGUOUS_RECIPIENT'
            ? `${ambiguous.args.problem} in ${ambiguous.args.field}${ambiguous.line ? `, line ${ambiguous.line}` : ''}`
            : 'ambiguous';
    throw new MailguardError('EREWRITE', `AMBIGUOUS_RECIPIENT: recipients cannot be read unambiguously (${what}); the message was not rewritten.`, {
      hint: 'Correct the address syntax by hand, then run mailguard fix again; mailguard never rewrites from a guess.',
      refusal: 'ambiguous',
    });
  }
  if (RESENT_RECIPIENT_FIELDS.some((k) => (parsed.fieldCounts[k] ?? 0) > 0)) {
    throw new MailguardError('EREWRITE', 'the message is being resent (Resent-To/Cc/Bcc fields); resent messages are not rewritten.', {
      hint: 'Fix the original message instead, or resend each copy separately.',
      refusal: 'resent',
    });
  }
  // Read in full (a truncated parse is refused above): each field's list is the parse's own.
  const lists = fieldLists(parsed);
  if (lists === undefined) throw new Error('prepareRewrite: a truncated parse reached the rewrite');
  return { result, parsed, list: (index) => lists.get(index) ?? NO_LIST };
}
