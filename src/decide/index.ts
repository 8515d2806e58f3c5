// The one decision every delivery path carries out: what happens to a message, given its bytes,
// the policy and the on-violation mode. Pure: bytes and settings in, a decision (data) out, in
// the spirit of changesets' assembleReleasePlan. send, the proxy, the drop-in sendmail, the
// nodemailer plugin, fix and the milter only translate it into SMTP transactions, replies,
// sysexits, errors or files; none of them decides anything about a flagged message itself.
//
// Semantics, defined here once (README "What onViolation does"):
// - A message that cannot be read, or whose recipients cannot be read unambiguously where the
//   delivery needs them, is refused: nothing is sent (fail closed).
// - block (default): a message whose verdict is `block` is not sent.
// - warn: it is sent as written, and the caller reports the findings it sent anyway.
// - hold: it is kept for a person to release (only adapters with a hold queue: the milter).
// - bcc / split: a message that shows an exposed list (EXPOSED_RECIPIENTS at warning or error
//   level) is rewritten: external To/Cc recipients move to Bcc, or each recipient gets a copy of
//   their own. Every output is checked again with the full policy; if the rewrite cannot be done
//   or its output would still be blocked, a block-level message is blocked (or refused when the
//   rewrite cannot be done safely) and a warn-level one is sent as written, as without the mode.
// - A sensitive list is never fixed with Bcc (rewriteToBcc refuses it): one reply-all exposes all.
// - Relayed bytes never carry a Bcc or Resent-Bcc field; each transaction has an explicit envelope.
//   With an envelope (SMTP, sendmail without -t), nobody outside it receives anything; envelope
//   recipients no header shows get a copy that shows no recipient at all (split) or are kept in
//   the envelope (bcc, as written).

import { checkAndParse, checkMessage, type CheckOptions } from '../analyse.js';
import { bytesHoldCompatAt } from '../body/addresses.js';
import { MailguardError, type RewriteRefusal } from '../errors.js';
import { BODY_SCAN_CODES, type Finding } from '../findings.js';
import { normaliseAddress } from '../message/address-list.js';
import type { Envelope } from '../message/envelope.js';
import { locateBodyStart, readHeaderBlock, type HeaderBlock, type HeaderProblemKind } from '../message/header-block.js';
import { headerRecipients } from '../message/header-recipients.js';
import { parseMessage, type ParsedMessage } from '../message/parse-message.js';
import { createPolicy, type Policy } from '../policy/policy.js';
import type { MessageResult, Verdict } from '../result.js';
import { rewriteToBcc } from '../rewrite/bcc.js';
import type { BccOptions, RewritePlan, SplitOptions } from '../rewrite/plan.js';
import type { RewriteChecked } from '../rewrite/prepare.js';
import { planSplit, type LazySplit } from '../rewrite/split.js';
import { stripBcc, stripLeadingEnvelope } from '../rewrite/strip-bcc.js';

import { listInAttachment, UNREADABLE_CODES, UNREADABLE_FINDINGS, type OnViolation } from './modes.js';

export { isOnViolation, listInAttachment, ON_VIOLATION_MODES, type OnViolation } from './modes.js';

/**
 * What the decision tells the adapter to do.
 * - send: relay the transactions (the message as written, without Bcc).
 * - rewrite: relay the transactions (the message with external recipients moved to Bcc).
 * - split: relay the transactions (one copy per recipient, made one at a time).
 * - block: the policy blocks it; nothing is sent (exit 1, SMTP 550).
 * - hold: keep it for review (milter quarantine); nothing is sent now.
 * - refuse: it cannot be sent safely (unreadable, ambiguous, no recipients); nothing is sent.
 */
export type DeliveryAction = 'send' | 'rewrite' | 'split' | 'block' | 'hold' | 'refuse';

/** Why a message is blocked, held or refused, as data; the wording is the adapter's report's. */
export type ReasonCode =
  /** The policy blocks it (the blocking findings say why). */
  | 'policy'
  /** Not a message: empty, no header fields. */
  | 'unreadable'
  /** The rewrite the mode asks for cannot be done safely (ambiguous, malformed, resent, sensitive + bcc). */
  | 'rewrite-refused'
  /** The rewritten output would still be blocked (a list in Reply-To, From, a display name ...). */
  | 'still-exposed'
  /** No recipient to send to. */
  | 'no-recipients'
  /** No envelope sender could be found. */
  | 'no-sender'
  /** bcc/split asked for, but a list travels in an attachment or invitation: no header rewrite cures it. */
  | 'list-in-attachment';

export interface DeliveryReason {
  code: ReasonCode;
  /** The finding behind the reason (list-in-attachment). */
  finding?: Finding;
  /** A sentence for people (from the rewrite's refusal), when there is one. */
  detail?: string;
  /** rewrite-refused: which refusal, as data (resent, ambiguous ...). */
  refusal?: RewriteRefusal;
  hint?: string;
}

export interface Transaction {
  /** The bytes to send. Relay output: never a Bcc or Resent-Bcc field. */
  bytes: Uint8Array;
  envelope: Envelope;
}

export interface DecideOptions {
  onViolation: OnViolation;
  /** The envelope the message came with (SMTP, transcript, sendmail); else read from the header. */
  envelope?: Envelope;
  /** MAIL FROM to use instead of the envelope's or the header's sender. */
  mailFrom?: string;
  /** Source name carried into the check result. */
  source?: string;
  /** Line offset of the message within its file, for the check result. */
  lineOffset?: number;
  /**
   * `relay` (default): transactions for SMTP (Bcc stripped, envelope required).
   * `draft`: the rewritten message for a mail client to send (fix): a Bcc field is kept, no
   * envelope sender is needed.
   */
  output?: 'relay' | 'draft';
  /** Options of the bcc rewrite (fix's --to, --all-to-bcc, --remove-dkim). */
  bcc?: BccOptions;
  /** Options of the split (fix's --message-id-domain, --remove-dkim). */
  split?: SplitOptions;
  /**
   * Where the caller put the blank line between a header and a body it was handed apart (the
   * milter: the MTA sends header fields and body separately). Whether the sender wrote a blank
   * line there is then not known: Postfix ends the header at the first line that is not a header
   * field (a `.`, a `From ` line, a stray word) and delivers the lines after it as they are,
   * with no blank line, where many readers show the fields that follow as header fields. The
   * decision is then made on the stricter of the two readings (see `headerMayContinue`).
   */
  assumedBlankLineAt?: number;
  /**
   * The recipient fields as the caller wrote them, when a library composed `message` from them
   * (the nodemailer plugin: nodemailer repairs an unclosed quote or a missing separator, so its
   * bytes can read clean where the caller wrote something two programs read differently). If
   * they cannot be read unambiguously, the message is blocked, in every mode.
   */
  writtenAs?: Uint8Array;
  /**
   * A check the caller already made of this message (check's fix hint: the 200,000-recipient
   * header's second reading was a fifth of the command's time). Used instead of the decision's own
   * check only where it is that same computation (`reusableCheck`); otherwise ignored.
   */
  checked?: CheckedMessage;
}

/**
 * One call of `checkMessage(bytes, policy, options)` and what it returned, as the caller made it.
 * `result` must be unmodified (a copy made before the caller set `file` or `fix` on its own), and
 * `bytes` and `policy` unchanged since.
 */
export interface CheckedMessage {
  bytes: Uint8Array;
  policy: Policy;
  options: CheckOptions;
  result: MessageResult;
  /** The parse behind `result` (checkAndParse), when the caller kept it: a rewrite reads it instead of parsing again. */
  parsed?: ParsedMessage;
}

export interface DeliveryDecision {
  action: DeliveryAction;
  /** The verdict of the message as it came in. */
  verdict: Verdict;
  /** The check of the message as it came in. */
  result: MessageResult;
  /** Set when action is block, hold or refuse; on send, why a wanted rewrite was not done; on
   * rewrite and split, a list in an attachment or invitation the rewrite left in place. */
  reason?: DeliveryReason;
  /** The findings that block it; with onViolation warn, the ones it is sent despite. */
  blocking: Finding[];
  /** The violation was sent anyway because onViolation is warn. */
  warnedOnly: boolean;
  /** The rewrite done (rewrite, split). */
  rewrite?: RewritePlan;
  /** rewrite, split: the checks of what the recipients are shown (each output's header, Bcc
   * stripped, under the delivery policy), as the decision made them before passing the rewrite.
   * What fix reads for what a rewrite leaves of an exposure (src/decide/fix.ts). */
  outputChecks?: readonly MessageResult[];
  /** How many transactions `transactions()` yields. */
  transactionCount: number;
  /** Who each transaction is for, in order, without building any bytes (for plans and dry runs). */
  envelopes: Envelope[];
  /**
   * The transactions, built one at a time: a split's copies are made only when iterated, so
   * memory stays at one copy whatever the number of recipients. Every output was already checked.
   */
  transactions(): Iterable<Transaction>;
}

const NONE: Iterable<Transaction> = [];

/** The envelope sender a message's header gives: Resent-Sender/Resent-From when resent, else Sender, From. */
export function headerSender(bytes: Uint8Array): string | undefined {
  const parsed = parseMessage(bytes);
  const first = (field: string) => parsed.addresses.find((a) => a.field === field)?.mailbox.address;
  const resent = parsed.addresses.some((a) => a.field === 'resent-to' || a.field === 'resent-cc' || a.field === 'resent-bcc');
  if (resent) return first('resent-sender') ?? first('resent-from') ?? first('sender') ?? first('from');
  return first('sender') ?? first('from');
}

/**
 * An address in the form envelope and header addresses are compared in: the parser's normal form
 * (A-label domain, no trailing dot), lower-cased whole: local parts are case-sensitive in theory,
 * but no mail system in use treats ANN@ and ann@ as two people.
 */
export function envelopeKey(address: string): string {
  return (normaliseAddress(address) ?? address.trim()).toLowerCase();
}

/**
 * Why a draft cannot carry `envelope`: it names recipients the header (To, Cc, Apparently-To,
 * Bcc) does not, or the header names some it does not (compared as envelopeKey compares them).
 * Undefined when both name the same people. `draft`: a rewrite's output, or the message copied
 * as written (fix's one-message output of a message it leaves untouched).
 */
function envelopeUnlikeHeader(envelope: Envelope, named: Iterable<string>, draft: 'rewritten' | 'copy' = 'rewritten'): DeliveryReason | undefined {
  const header = new Set([...named].map(envelopeKey));
  const rcpt = new Set(envelope.rcptTo.map(envelopeKey));
  const onlyEnvelope = [...rcpt].filter((k) => !header.has(k)).length;
  const onlyHeader = [...header].filter((k) => !rcpt.has(k)).length;
  if (onlyEnvelope === 0 && onlyHeader === 0) return undefined;
  const what = [
    onlyEnvelope > 0 ? `${onlyEnvelope} recipient${onlyEnvelope === 1 ? '' : 's'} of its envelope ${onlyEnvelope === 1 ? 'is' : 'are'} in no To, Cc or Bcc field` : '',
    onlyHeader > 0 ? `${onlyHeader} recipient${onlyHeader === 1 ? '' : 's'} its header names ${onlyHeader === 1 ? 'is' : 'are'} not in its envelope` : '',
  ].filter(Boolean);
  return {
    code: 'rewrite-refused',
    refusal: 'envelope',
    detail: `${what.join(', and ')}: a ${draft === 'rewritten' ? 'rewritten draft' : 'copy of it as a draft'} reaches only the recipients its header names, so it would not reach the people this message reaches.`,
    hint: draft === 'rewritten' ? 'Rewrite it where it is sent with its envelope: mailguard send --on-violation bcc (or split) with this input.' : 'Send it with its envelope: mailguard send with this input.',
  };
}

/**
 * Why `message`, copied as a draft, would not reach the people `envelope` names: a copy reaches
 * the recipients its header names as send and sendmail -t read them (Resent-* when resent; To,
 * Cc, Apparently-To and Bcc otherwise). `result`: the decision's check of it, read instead when
 * the header's recipients cannot be read for certain. Undefined when both name the same people.
 */
export function envelopeUnlikeCopy(message: Uint8Array, envelope: Envelope, result: MessageResult): DeliveryReason | undefined {
  let named: string[];
  try {
    named = headerRecipients(stripLeadingEnvelope(message).bytes);
  } catch {
    named = [...result.recipients.visible, ...result.recipients.blind].map((r) => r.address);
  }
  return envelopeUnlikeHeader(envelope, named, 'copy');
}

/** A rewritten draft whose header mailguard's reader cannot read whole (a limit it crosses): check would refuse it. */
function draftUnreadable(kind: HeaderProblemKind): DeliveryReason {
  return {
    code: 'rewrite-refused',
    refusal: 'other',
    detail: `the rewritten draft, its Bcc field included, would cross a limit of mailguard's header reader (${kind}), so check would refuse it`,
    hint: 'Remove header fields the message does not need, or send the list in several messages.',
  };
}

/** The header block of `bytes` (and its blank line) alone: enough to re-check a rewrite's output. */
function headerOnly(bytes: Uint8Array): Uint8Array {
  const start = locateBodyStart(bytes);
  return start === -1 ? bytes : bytes.subarray(0, start);
}

/**
 * Whether two readings of a header block are the same: the header alone (a prefix of the message,
 * to its blank line) read as the whole message was, field for field, with no problem in either.
 * Its fields' bytes are then the message's, so its parse and check are the message's too.
 */
function sameReading(a: HeaderBlock, b: HeaderBlock): boolean {
  if (a.fieldsStart !== b.fieldsStart || a.headerEnd !== b.headerEnd || a.bodyStart !== b.bodyStart || a.hasBlankLine !== b.hasBlankLine) return false;
  if (a.lineEnding !== b.lineEnding || a.mboxFromLine !== b.mboxFromLine || a.problems.length !== 0 || b.problems.length !== 0 || a.fields.length !== b.fields.length) return false;
  for (let i = 0; i < a.fields.length; i++) {
    const x = a.fields[i]!;
    const y = b.fields[i]!;
    if (x.start !== y.start || x.end !== y.end || x.line !== y.line || x.key !== y.key || x.name !== y.name || x.spaceBeforeColon !== y.spaceBeforeColon) return false;
  }
  return true;
}

/** Whether a rewritten output may go out: nothing in it would block, nothing unreadable. */
function checkOutput(bytes: Uint8Array, policy: Policy, envelope: Envelope | undefined): MessageResult {
  const options: Parameters<typeof checkMessage>[2] = { body: false };
  if (envelope) options.envelope = envelope;
  return checkMessage(headerOnly(bytes), policy, options);
}

/** Whether an output's check blocks it. */
function blocks(after: MessageResult): boolean {
  return after.verdict === 'block' || after.verdict === 'error';
}

function rewriteRefusal(err: unknown): DeliveryReason {
  if (err instanceof MailguardError && (err.code === 'EREWRITE' || err.code === 'ECONFIG')) {
    const reason: DeliveryReason = { code: 'rewrite-refused', detail: err.message, refusal: err.refusal ?? 'other' };
    if (err.hint !== undefined) reason.hint = err.hint;
    return reason;
  }
  throw err;
}

/** A first line that would have ended a header (RFC 5322 field names are printable ASCII but colon, then the colon). */
const ENDS_A_HEADER = /^(?![\t \r\n]|[\x21-\x39\x3b-\x7e]+[\t ]*:)/;

/** How much of a body the milter keeps when no policy scans bodies and the body's first paragraph
 * has ended (src/milter/session.ts): that paragraph is what a reader may take for more header
 * fields, and is kept whole, however long (within the milter's body limit). */
export const CONTINUED_HEADER_MAX_BYTES = 256 * 1024;

/** Where the first paragraph of `body` ends: the offset just past the line end before its first
 * blank line (LF or CRLF line ends), or -1 when the body has no blank line. */
export function firstParagraphEnd(body: Uint8Array): number {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const lf = buf.indexOf('\n\n', 0, 'latin1');
  const crlf = buf.indexOf('\n\r\n', 0, 'latin1');
  const end = lf === -1 ? crlf : crlf === -1 ? lf : Math.min(lf, crlf);
  return end === -1 ? -1 : end + 1;
}

/**
 * Whether header text may show an address, as the check decides which fields to read (an "@", a
 * fullwidth or small commercial at, or an encoded word that may decode to one): without one, no
 * reader finds an address there, and the second reading is not made.
 */
function mayShowAddress(text: Buffer): boolean {
  return text.includes(0x40) || bytesHoldCompatAt(text) || text.includes('=?', 0, 'latin1');
}

/**
 * The message as delivered when no blank line was written at `at` (the header ended at the body's
 * first line), if that reading shows recipients the policy blocks; else undefined. The body's
 * first paragraph is what a reader may take for more header fields; when nothing in it may show
 * an address (mayShowAddress) no reader finds one there, and a body that starts with a blank line, a header field or a
 * folded line had a blank line before it (no MTA ends a header there). The reading's own MALFORMED_HEADER (the line that ended the header) is not enough:
 * only what it exposes is (a memo that starts `To: all staff` is not refused).
 */
export function headerMayContinue(input: Uint8Array, at: number, policy: Policy, envelope: Envelope | undefined): Uint8Array | undefined {
  if (at < 0 || at + 2 > input.length || input[at] !== 0x0d || input[at + 1] !== 0x0a) return undefined;
  const body = input.subarray(at + 2);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Only a line that is neither a header field nor a folded line ends a header: if the body
  // starts with one of those (or a blank line), the sender wrote the blank line before it.
  if (!ENDS_A_HEADER.test(buf.toString('latin1', 0, Math.min(buf.length, 1000)))) return undefined;
  // The whole paragraph, however long: a reader that reads on past the line that ended the header
  // reads to the blank line, so a list written after padding (300 KB of fields without an "@")
  // is read as well. One pass over bytes the caller holds anyway; a paragraph that cannot show an
  // address (a base64 body: no "@" and no "=?") is not read as a header.
  const end = firstParagraphEnd(buf);
  const paragraph = end === -1 ? buf : buf.subarray(0, end);
  if (!mayShowAddress(paragraph)) return undefined;
  const joined = Buffer.concat([input.subarray(0, at), paragraph, Buffer.from('\r\n')]);
  const options: Parameters<typeof checkMessage>[2] = { body: false };
  if (envelope) options.envelope = envelope;
  const reading = checkMessage(joined, policy, options);
  const exposes = reading.findings.some((f) => f.severity === 'error' && (!UNREADABLE_CODES.has(f.code) || stoppedAtLimit(f)));
  return exposes ? Buffer.concat([input.subarray(0, at), body]) : undefined;
}

/** Where reading a header stops before its end (src/limits.ts): what lies past it is not read. */
const READING_LIMIT_PROBLEMS: ReadonlySet<string> = new Set<HeaderProblemKind | 'too-many-addresses' | 'parse-time-exceeded'>(['too-many-fields', 'header-too-large', 'line-too-long', 'field-too-long', 'too-many-addresses', 'parse-time-exceeded']);

/**
 * A finding that says the reading stopped at a limit. The continued reading's other unreadable
 * findings (the line that ended the header, a memo's `To: all staff`) do not refuse a message,
 * but a reading cut short has not shown that the rest exposes nobody: 10,000 padding fields and
 * then the list would otherwise pass.
 */
function stoppedAtLimit(f: Finding): boolean {
  const problem = (f.args as { problem?: unknown }).problem;
  return typeof problem === 'string' && READING_LIMIT_PROBLEMS.has(problem);
}

/** Per policy, the one its deliveries are decided with (deliveryPolicy). */
const deliveryPolicies = new WeakMap<Policy, Policy>();

/** The unreadable-recipient rules a policy relaxes (below error, or off): they still block deliveries. */
export function relaxedUnreadableRules(policy: Policy): string[] {
  return UNREADABLE_FINDINGS.filter((code) => policy.rules[code] !== undefined && policy.rules[code] !== 'error');
}

/**
 * The policy deliveries are decided with: what mail software reads in different ways
 * (UNREADABLE_FINDINGS) is an error whatever the configuration says, which relaxes them for
 * check's and audit's reports only. Made once per policy.
 */
export function deliveryPolicy(policy: Policy): Policy {
  if (relaxedUnreadableRules(policy).length === 0) return policy;
  let strict = deliveryPolicies.get(policy);
  if (!strict) {
    const rules = { ...policy.rules };
    for (const code of UNREADABLE_FINDINGS) rules[code] = 'error';
    strict = createPolicy({ ...policy, rules });
    deliveryPolicies.set(policy, strict);
  }
  return strict;
}

/** Same length and the same bytes (the same view costs nothing). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset) return true;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * The caller's check (`options.checked`) when it is the check the decision makes itself:
 * `checkMessage(bytes, policy, { source, envelope, lineOffset })`, with the body scan the policy
 * sets. Everything that result depends on must then be equal:
 * - the bytes: the message as handed over, nothing dropped before it (no BOM or `From ` line,
 *   which moves the line numbers; no reading of an assumed blank line), the same content;
 * - the policy: the very object `deliveryPolicy` gives (a relaxed one gives another);
 * - the envelope (the same object, or none for both): it decides draft or transit and `hidden`;
 * - the line offset: every finding's and recipient's line;
 * - the body scan: the same options, unless no scan runs on these bytes under this policy (no
 *   body after a blank line, or every body rule off), whatever either was asked for;
 * - nothing the decision's check does not do: no `bodyNotRead` (a finding of its own), no header
 *   handed in (it could be another message's).
 * `source` is carried into the result and into nothing else: the result is given the decision's.
 * `writtenAs` does not change this check, but a caller that hands it is not one that has checked
 * the same bytes: ignored then too. The parse-time backstop (MAX_PARSE_MS) is the one input not
 * in the list: a reused result that passed it is kept, as check reported it.
 */
function reusableCheck(options: DecideOptions, message: Uint8Array, bytes: Uint8Array, policy: Policy, block: HeaderBlock): { result: MessageResult; parsed?: ParsedMessage } | undefined {
  const checked = options.checked;
  if (checked === undefined) return undefined;
  const given = checked.options;
  if (options.assumedBlankLineAt !== undefined || options.writtenAs !== undefined) return undefined;
  if (bytes !== message || checked.policy !== policy || given.envelope !== options.envelope) return undefined;
  if ((given.lineOffset ?? 0) !== (options.lineOffset ?? 0)) return undefined;
  if (given.bodyNotRead !== undefined || given.header !== undefined) return undefined;
  if (!sameBytes(checked.bytes, bytes)) return undefined;
  // checkMessage's own terms: the scan runs with `body` when a body follows a blank line and a body rule is on.
  const scanned = given.body === false ? undefined : (given.body ?? policy.bodyScan);
  const scans = block.hasBlankLine && block.bodyStart < bytes.length && BODY_SCAN_CODES.some((c) => policy.rules[c] !== 'off');
  if (scans && scanned !== policy.bodyScan) return undefined;
  const source = options.source ?? '-';
  const result = checked.result.source === source ? checked.result : { ...checked.result, source };
  return checked.parsed === undefined ? { result } : { result, parsed: checked.parsed };
}

/** Decides what is delivered for one message. Never throws for a message's content. */
export function decideDelivery(message: Uint8Array, configured: Policy, options: DecideOptions): DeliveryDecision {
  const policy = deliveryPolicy(configured);
  // Handed a header and a body apart: the stricter reading of where the header ended.
  const input = options.assumedBlankLineAt === undefined ? message : (headerMayContinue(message, options.assumedBlankLineAt, policy, options.envelope) ?? message);
  // A BOM or a leading mbox `From ` line is not part of the message: never relayed.
  const { bytes, lines: dropped } = stripLeadingEnvelope(input);
  // Read once for the check and the Bcc strip of the message as written (a third of the milter's
  // header reading per message, bench scenario 9).
  const block = readHeaderBlock(bytes);
  const checkOptions: Parameters<typeof checkMessage>[2] = { header: block };
  if (options.source !== undefined) checkOptions.source = options.source;
  if (options.envelope) checkOptions.envelope = options.envelope;
  if (options.lineOffset !== undefined || dropped > 0) checkOptions.lineOffset = (options.lineOffset ?? 0) + dropped;
  const { result, parsed } = reusableCheck(options, message, bytes, policy, block) ?? checkAndParse(bytes, policy, checkOptions);
  const verdict = result.verdict;
  const errors = result.findings.filter((f) => f.severity === 'error');
  const relay = (options.output ?? 'relay') === 'relay';
  const mode = options.onViolation;

  // Decisions are object literals of one shape each, not spreads of a shared base: a spread builds
  // its object property by property (a map transition each), which showed in the milter's and the
  // proxy's CPU per message (bench scenario 9). The key order is the one the spreads gave.
  const stop = (action: 'block' | 'hold' | 'refuse', reason: DeliveryReason, blocking: Finding[] = errors): DeliveryDecision => ({ verdict, result, warnedOnly: false, transactionCount: 0, envelopes: [], transactions: () => NONE, action, reason, blocking });

  if (verdict === 'error') return stop('refuse', { code: 'unreadable' });
  if (options.writtenAs !== undefined) {
    const written = checkMessage(options.writtenAs, policy, { body: false });
    const unreadable = written.findings.filter((f) => f.severity === 'error' && UNREADABLE_CODES.has(f.code));
    if (unreadable.length > 0) return stop('block', { code: 'policy' }, unreadable);
  }

  const violation = verdict === 'block';
  const exposed = result.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS');
  // Only an exposed list can be rewritten away; any other blocking finding stays.
  const curable = errors.every((f) => f.code === 'EXPOSED_RECIPIENTS');
  const wantsRewrite = (mode === 'bcc' || mode === 'split') && exposed;

  // A list in an attachment or an invitation survives any header rewrite: a message the policy
  // blocks for it is refused in bcc and split, as no rewrite cures it (the reason says why).
  const inAttachment = mode === 'bcc' || mode === 'split' ? result.findings.find(listInAttachment) : undefined;
  if (inAttachment && violation) return stop('refuse', { code: 'list-in-attachment', finding: inAttachment });
  if (violation && mode === 'block') return stop('block', { code: 'policy' });
  // Warn sends an exposure the sender chose to be warned about; a header that cannot be read for
  // certain is not an exposure it can accept knowingly (nobody knows what the readers see).
  if (violation && mode === 'warn' && errors.some((f) => UNREADABLE_CODES.has(f.code))) return stop('block', { code: 'policy' });
  if (violation && mode === 'hold') return stop('hold', { code: 'policy' });
  if (violation && wantsRewrite && !curable) return stop('block', { code: 'policy' });
  if (violation && !wantsRewrite && mode !== 'warn') return stop('block', { code: 'policy' });

  const mailFrom = (final: Uint8Array): string | undefined => options.mailFrom ?? options.envelope?.mailFrom ?? headerSender(final);
  const warnedOnly = violation && mode === 'warn';
  const asWritten = (): DeliveryDecision => {
    let envelope: Envelope;
    if (relay) {
      let rcptTo: string[];
      try {
        rcptTo = options.envelope ? [...new Set(options.envelope.rcptTo)] : headerRecipients(bytes);
      } catch (err) {
        return stop('refuse', rewriteRefusal(err));
      }
      if (rcptTo.length === 0) return stop('refuse', { code: 'no-recipients' });
      const from = mailFrom(bytes);
      if (from === undefined) return stop('refuse', { code: 'no-sender', hint: 'Give --from ADDRESS.' });
      envelope = { mailFrom: from, rcptTo };
    } else {
      envelope = { mailFrom: '', rcptTo: result.recipients.visible.map((r) => r.address) };
    }
    const out = relay ? stripBcc(bytes, block) : bytes;
    return { verdict, result, warnedOnly, transactionCount: 1, envelopes: [envelope], transactions: () => [{ bytes: out, envelope }], action: 'send', blocking: warnedOnly ? errors : [] };
  };

  // Below a violation such a list may go (as with block), but the header's own exposed list is
  // still rewritten away when the mode asks for it: the decision then says what it left in place.
  const attachmentNote: DeliveryReason | undefined = inAttachment ? { code: 'list-in-attachment', finding: inAttachment } : undefined;
  if (attachmentNote && !wantsRewrite) return { ...asWritten(), reason: attachmentNote };
  if (!wantsRewrite) return asWritten();

  // A draft reaches the recipients its header names, nobody else: an envelope that names others
  // (a transcript's RCPT TO, a campaign's bcc) or leaves some out cannot be written as one.
  if (!relay && options.envelope) {
    const unlike = envelopeUnlikeHeader(options.envelope, [...result.recipients.visible, ...result.recipients.blind].map((r) => r.address));
    if (unlike !== undefined) return stop('refuse', unlike);
  }

  // The rewrite's own check of the bytes is this decision's, when made without an envelope or a
  // line offset (RewriteChecked): a draft's, as fix and check's hint decide. (For a header of
  // 200,000 recipients the rewrite checked and parsed it again, and parsed each field a third time.)
  const sameCheck: RewriteChecked | undefined = !checkOptions.envelope && (checkOptions.lineOffset ?? 0) === 0 ? { result, header: block } : undefined;
  if (sameCheck !== undefined && parsed !== undefined) sameCheck.parsed = parsed;

  // The rewrite could not cure the message: block it if it was a violation, else send it as
  // written, saying why the rewrite was not done (fix words its "left as written" from it).
  const notCured = (reason: DeliveryReason, after?: MessageResult): DeliveryDecision => {
    if (!violation) {
      const sent = asWritten();
      return sent.action === 'send' ? { ...sent, reason } : sent;
    }
    if (reason.code === 'rewrite-refused') return stop('refuse', reason);
    return stop('block', reason, after ? after.findings.filter((f) => f.severity === 'error') : errors);
  };

  if (mode === 'bcc') {
    let rewritten: ReturnType<typeof rewriteToBcc>;
    try {
      rewritten = rewriteToBcc(bytes, policy, options.bcc, sameCheck);
    } catch (err) {
      return notCured(rewriteRefusal(err));
    }
    const out = relay ? stripBcc(rewritten.bytes) : rewritten.bytes;
    let envelope: Envelope;
    if (relay) {
      let rcptTo: string[];
      try {
        rcptTo = options.envelope ? [...new Set([...options.envelope.rcptTo, ...rewritten.plan.addedRecipients])] : headerRecipients(rewritten.bytes);
      } catch (err) {
        return notCured(rewriteRefusal(err));
      }
      if (rcptTo.length === 0) return stop('refuse', { code: 'no-recipients' });
      const from = mailFrom(rewritten.bytes);
      if (from === undefined) return stop('refuse', { code: 'no-sender', hint: 'Give --from ADDRESS.' });
      envelope = { mailFrom: from, rcptTo };
    } else {
      const plan = rewritten.plan;
      envelope = { mailFrom: '', rcptTo: [...new Set([...plan.keptVisible, ...plan.moved.map((m) => m.address), ...result.recipients.blind.map((r) => r.address), ...plan.addedRecipients])] };
    }
    // The output is what recipients see: it must not block under the full policy. (A draft keeps
    // its Bcc field for the mail client; the re-check reads it as the relay would send it.)
    const after = checkOutput(stripBcc(rewritten.bytes), policy, relay ? envelope : undefined);
    if (blocks(after)) return notCured({ code: 'still-exposed' }, after);
    // A draft is also read as written, Bcc field and all: gathering To, Cc and Apparently-To into
    // one new field can take it past the header reader's limits, and check would refuse the draft.
    if (!relay) {
      const unreadable = readHeaderBlock(headerOnly(rewritten.bytes)).problems[0];
      if (unreadable) return notCured(draftUnreadable(unreadable.kind));
    }
    const done: DeliveryDecision = { verdict, result, warnedOnly: false, transactionCount: 1, envelopes: [envelope], transactions: () => [{ bytes: out, envelope }], action: 'rewrite', blocking: [], rewrite: rewritten.plan, outputChecks: [after] };
    if (attachmentNote) done.reason = attachmentNote;
    return done;
  }

  // split
  let split: LazySplit;
  try {
    split = planSplit(bytes, policy, options.split, sameCheck);
  } catch (err) {
    return notCured(rewriteRefusal(err));
  }
  const from = relay ? mailFrom(bytes) : '';
  if (from === undefined) return stop('refuse', { code: 'no-sender', hint: 'Give --from ADDRESS.' });

  // Which copies go out, and to whom. With an envelope, a copy goes only to the envelope
  // recipients its header shows (compared in normal form, sent as the client wrote them).
  type Planned = { copy: number; rcptTo: string[] } | { copy: 'blind'; rcptTo: string[] };
  const planned: Planned[] = [];
  if (options.envelope) {
    const byKey = new Map<string, string>();
    for (const r of options.envelope.rcptTo) if (!byKey.has(envelopeKey(r))) byKey.set(envelopeKey(r), r);
    const covered = new Set<string>();
    split.copies.forEach((c, copy) => {
      const rcptTo: string[] = [];
      for (const r of c.recipients) {
        const key = envelopeKey(r);
        const original = byKey.get(key);
        if (original !== undefined && !covered.has(key)) {
          covered.add(key);
          rcptTo.push(original);
        }
      }
      if (rcptTo.length > 0) planned.push({ copy, rcptTo });
    });
    // Envelope recipients no copy shows (blind copies): one copy that shows no recipient at all.
    const hidden = [...byKey].filter(([key]) => !covered.has(key)).map(([, original]) => original);
    if (hidden.length > 0) planned.push({ copy: 'blind', rcptTo: hidden });
  } else {
    split.copies.forEach((c, copy) => planned.push({ copy, rcptTo: c.recipients }));
  }
  if (planned.length === 0) return stop('refuse', { code: 'no-recipients' });

  const blindCopy = (source: Uint8Array): Uint8Array => rewriteToBcc(source, { ...policy, sensitive: false }, { allToBcc: true }).bytes;
  // Every copy is checked before any is sent (a copy that fails after others went out could not
  // be recalled). The check reads each copy's header alone, built from the header block, so no
  // body is copied here.
  const header = headerOnly(bytes);
  let headerSplit: LazySplit;
  const outputChecks: MessageResult[] = [];
  try {
    // The message's own check and parse serve the header alone where it reads the same (it
    // does but for a CR-only header, which is told from the line ends of the whole message).
    const headerBlock = sameCheck === undefined ? undefined : readHeaderBlock(header);
    const headerCheck = sameCheck !== undefined && headerBlock !== undefined && sameReading(headerBlock, block) ? { ...sameCheck, header: headerBlock } : undefined;
    headerSplit = planSplit(header, policy, { ...options.split, messageIdDomain: options.split?.messageIdDomain ?? 'mailguard.invalid' }, headerCheck);
    for (const p of planned) {
      const copyHeader = p.copy === 'blind' ? blindCopy(header) : headerSplit.render(p.copy);
      const after = checkOutput(stripBcc(copyHeader), policy, relay ? { mailFrom: from, rcptTo: p.rcptTo } : undefined);
      if (blocks(after)) return notCured({ code: 'still-exposed' }, after);
      outputChecks.push(after);
    }
  } catch (err) {
    return notCured(rewriteRefusal(err));
  }

  const envelopes = planned.map((p) => ({ mailFrom: from, rcptTo: p.rcptTo }));
  function* transactions(): Generator<Transaction> {
    for (const [i, p] of planned.entries()) {
      const copy = p.copy === 'blind' ? blindCopy(bytes) : split.render(p.copy);
      yield { bytes: relay ? stripBcc(copy) : copy, envelope: envelopes[i]! };
    }
  }
  const done: DeliveryDecision = { verdict, result, warnedOnly: false, transactionCount: planned.length, envelopes, transactions, action: 'split', blocking: [], rewrite: split.plan, outputChecks };
  if (attachmentNote) done.reason = attachmentNote;
  return done;
}

/** What an adapter can carry out; a mode outside it is refused at start-up, not at send time. */
export interface AdapterCapabilities {
  /** The adapter's name in messages: `mailguard proxy`, `the nodemailer plugin`. */
  name: string;
  modes: readonly OnViolation[];
}

/** Throws ECONFIG at start-up when the adapter cannot do `mode`, or the policy forbids it. */
export function assertOnViolation(mode: OnViolation, policy: Pick<Policy, 'sensitive'>, adapter: AdapterCapabilities): void {
  if (!adapter.modes.includes(mode)) {
    const why: Partial<Record<OnViolation, string>> = {
      split: 'one message cannot become several here',
      hold: 'it has no hold queue (the milter uses Postfix\'s)',
    };
    throw new MailguardError('ECONFIG', `${adapter.name} cannot do onViolation "${mode}"${why[mode] ? `: ${why[mode]}` : ''}.`, {
      hint: `Use one of ${adapter.modes.map((m) => `"${m}"`).join(', ')}.`,
    });
  }
  if (mode === 'bcc' && policy.sensitive) {
    throw new MailguardError('ECONFIG', 'a sensitive list is not fixed with Bcc: one reply-all or one leaked Bcc field exposes everyone.', {
      hint: 'Use onViolation "split" (each recipient gets a copy of their own) or "block".',
    });
  }
}
