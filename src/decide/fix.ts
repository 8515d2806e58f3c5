// What `mailguard fix` does with one message, decided once. The fix command carries it out and
// check's human report words its "fix:" hint from it, so the hint never suggests a rewrite that
// fix then refuses, nor says fix refuses one it would do: both read the same delivery decision
// (decideDelivery, output `draft`: the rewrite is made and its output checked again), not a
// second reading of the findings. Pure: bytes and a policy in, data out.

import type { RewriteRefusal } from '../errors.js';
import type { Finding } from '../findings.js';
import type { Envelope } from '../message/envelope.js';
import type { Policy } from '../policy/policy.js';
import type { MessageResult } from '../result.js';
import type { BccOptions, SplitOptions } from '../rewrite/plan.js';
import { REWRITTEN_VISIBLE_FIELDS } from '../rewrite/prepare.js';
import { exposureCounted } from '../rules/exposed-recipients.js';
import { decideDelivery, envelopeUnlikeCopy, type CheckedMessage, type DecideOptions, type DeliveryDecision, type DeliveryReason } from './index.js';

export type FixStrategy = 'bcc' | 'split';

/** The strategy fix is suggested with: a sensitive list is never fixed with Bcc (one reply-all exposes everyone). */
export function suggestedFixStrategy(policy: Pick<Policy, 'sensitive'>): FixStrategy {
  return policy.sensitive ? 'split' : 'bcc';
}

/** Why fix does not rewrite a message, as data; the wording is the reports' (src/report/). */
export type FixRefusal =
  /** Not a message (no header fields). */
  | { code: 'unreadable' }
  /** A list travels in an attachment or invitation, which no header rewrite changes. */
  | { code: 'list-in-attachment'; finding: Finding }
  /** Findings that block the message and that a rewrite of To/Cc does not cure (an ambiguous or malformed header first). */
  | { code: 'cannot-cure'; codes: string[] }
  /**
   * The rewritten message would still be blocked: `fields` are the fields of the exposure the
   * rewrite's own output shows, but those the rewrite wrote (Reply-To, From, X-Recipients, a
   * display name's field ...; To/Cc only when nothing else is left), `codes` every finding that
   * blocks that output.
   */
  | { code: 'still-exposed'; fields: string[]; codes: string[] }
  /**
   * A warning-level list the rewrite would not change: an output shows every external address
   * the message shows, because they are in `fields` (Keywords, Comments, X-Recipients, Reply-To
   * ...), which neither bcc nor split moves. Writing that output would claim a fix that hides
   * nobody: the fields are edited by hand instead.
   */
  | { code: 'exposure-unchanged'; fields: string[] }
  /** The rewrite refused the message (resent, ambiguous, sensitive with bcc ...): its kind and its own sentence. */
  | { code: 'rewrite-refused'; refusal: RewriteRefusal; detail?: string; hint?: string }
  /** Anything else the decision stops a draft for (no recipients left to give a copy). */
  | { code: 'other'; reason: DeliveryReason };

export interface FixOutlook {
  /** The strategy decided with. */
  strategy: FixStrategy;
  /**
   * rewrite: fix writes the rewritten message(s). untouched: fix leaves it as written (exit 0), a
   * `refusal` saying why an exposure stays. refuse: fix refuses it (exit 2), `refusal` says why.
   */
  outcome: 'rewrite' | 'untouched' | 'refuse';
  refusal?: FixRefusal;
  /**
   * rewrite only: the fields whose list the rewritten output still shows (an exposure the rewrite
   * reduced but did not end: a list in Keywords beside the To it cleaned), which no rewrite moves
   * and which are edited by hand. Absent when the output shows no exposed list.
   */
  left?: string[];
  /**
   * rewrite only: the lists the message's text, attachments or invitation show (warnings the
   * policy lets through), which every output carries as they were: bcc and split rewrite header
   * fields only. Absent when there are none.
   */
  contentLeft?: Finding[];
  /**
   * untouched only: why the message cannot be copied as a draft either (fix's one-message output
   * copies a message it leaves untouched): the input carries an envelope (an SMTP transcript's
   * RCPT TO, a campaign's bcc) that names other people than its header, and a draft reaches only
   * those its header names. Absent when a copy reaches the people the message reaches.
   */
  uncopyable?: DeliveryReason;
}

export interface FixDecision extends FixOutlook {
  /** The delivery decision behind it: what fix carries out (its transactions are the drafts). */
  decision: DeliveryDecision;
}

export interface FixOptions {
  strategy: FixStrategy;
  source?: string;
  /** Options of the bcc rewrite (fix's --to, --all-to-bcc, --remove-dkim). */
  bcc?: BccOptions;
  /** Options of the split (fix's --message-id-domain, --remove-dkim). */
  split?: SplitOptions;
  /** A check the caller made of `bytes` already: the decision's own check when it is the same (DecideOptions.checked). */
  checked?: CheckedMessage;
  /** The envelope the input carries (an SMTP transcript's, a campaign's with bcc): a draft that cannot carry it is refused. */
  envelope?: Envelope;
}

/** Blocking findings in the order fix names them: the ones a rewrite cannot cure first. */
function blockingCodes(blocking: readonly Finding[]): string[] {
  return [...new Set(blocking.map((f) => f.code))].sort((a, b) => Number(a === 'EXPOSED_RECIPIENTS') - Number(b === 'EXPOSED_RECIPIENTS'));
}

function refusalOf(reason: DeliveryReason, blocking: readonly Finding[]): FixRefusal {
  switch (reason.code) {
    case 'unreadable':
      return { code: 'unreadable' };
    case 'list-in-attachment':
      return reason.finding ? { code: 'list-in-attachment', finding: reason.finding } : { code: 'other', reason };
    case 'policy':
      return { code: 'cannot-cure', codes: blockingCodes(blocking) };
    case 'still-exposed': {
      const fields: string[] = [];
      for (const f of blocking) if (f.code === 'EXPOSED_RECIPIENTS') for (const field of f.args.fields) if (!fields.includes(field)) fields.push(field);
      // A split copy's To shows its own recipient, counted with what stayed: name what stayed.
      const stayed = fields.filter((f) => !REWRITTEN_VISIBLE_FIELDS.has(f));
      return { code: 'still-exposed', fields: stayed.length > 0 ? stayed : fields, codes: blockingCodes(blocking) };
    }
    case 'rewrite-refused': {
      const out: FixRefusal = { code: 'rewrite-refused', refusal: reason.refusal ?? 'other' };
      if (reason.detail !== undefined) out.detail = reason.detail;
      if (reason.hint !== undefined) out.hint = reason.hint;
      return out;
    }
    default:
      return { code: 'other', reason };
  }
}

/** The external addresses an exposure counts in a check result (lower case). */
function exposedAddresses(result: MessageResult): Set<string> {
  const out = new Set<string>();
  for (const r of exposureCounted(result.recipients)) if (!r.internal) out.add(r.address.toLowerCase());
  return out;
}

/** The fields of an exposure but those both strategies take recipients out of (a split copy's To shows its own recipient). */
const fieldsLeftInView = (fields: readonly string[]): string[] => fields.filter((f) => !REWRITTEN_VISIBLE_FIELDS.has(f));

/**
 * What a rewrite the delivery decision made leaves of the message's exposure, read from the
 * checks of its outputs the decision made (DeliveryDecision.outputChecks: each output's header
 * under the delivery policy): `unchanged` when one output still shows every external address the
 * message showed (the rewrite hides nobody), else the fields an output still shows an exposed
 * list in. Every output is looked at, also when the message's exposure names only To, Cc or
 * Apparently-To: an address counted there once can be shown elsewhere too (an X-Recipients field
 * beside a split copy's own To) or inside a colleague's display name that bcc keeps in To.
 */
function exposureAfterRewrite(decision: DeliveryDecision): { unchanged: boolean; fields: string[] } | undefined {
  const before = decision.result;
  const exposure = before.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS');
  if (exposure?.code !== 'EXPOSED_RECIPIENTS') return undefined;
  let shown: Set<string> | undefined;
  const fields: string[] = [];
  let unchanged = false;
  for (const after of decision.outputChecks ?? []) {
    const left = after.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS');
    if (left?.code !== 'EXPOSED_RECIPIENTS') continue;
    // A split copy's To shows its own recipient, counted with what stayed: name what stayed, or
    // To itself when the list stays there (in a display name).
    const stayed = fieldsLeftInView(left.args.fields);
    for (const f of stayed.length > 0 ? stayed : left.args.fields) if (!fields.includes(f)) fields.push(f);
    shown ??= exposedAddresses(before);
    const still = exposedAddresses(after);
    if ([...shown].every((a) => still.has(a))) unchanged = true;
  }
  if (unchanged) return { unchanged, fields: fields.length > 0 ? fields : exposure.args.fields };
  return fields.length > 0 ? { unchanged, fields } : undefined;
}

/** Codes of a list shown in the message's content (text, attachment, invitation), which no rewrite of the header changes. */
const CONTENT_LIST_CODES: ReadonlySet<string> = new Set(['ADDRESS_LIST_IN_BODY', 'ADDRESS_LIST_IN_ATTACHMENT', 'EXPOSED_ATTENDEES']);

/** The content lists a rewrite of `result`'s message leaves in every output (not info notes). */
function contentLists(result: MessageResult): Finding[] | undefined {
  const found = result.findings.filter((f) => CONTENT_LIST_CODES.has(f.code) && f.severity !== 'info');
  return found.length > 0 ? found : undefined;
}

/** What fix does with `bytes` under `policy` with `options.strategy`. Never throws for a message's content. */
export function decideFix(bytes: Uint8Array, policy: Policy, options: FixOptions): FixDecision {
  const decideOptions: DecideOptions = { onViolation: options.strategy, output: 'draft' };
  if (options.source !== undefined) decideOptions.source = options.source;
  if (options.bcc) decideOptions.bcc = options.bcc;
  if (options.split) decideOptions.split = options.split;
  if (options.checked) decideOptions.checked = options.checked;
  if (options.envelope) decideOptions.envelope = options.envelope;
  const decision = decideDelivery(bytes, policy, decideOptions);
  const strategy = options.strategy;
  // fix cannot clean an attachment: a decision that left one in place (sent as written, or
  // refused) is a refusal here.
  if (decision.reason?.code === 'list-in-attachment') return { strategy, outcome: 'refuse', refusal: refusalOf(decision.reason, decision.blocking), decision };
  switch (decision.action) {
    case 'rewrite':
    case 'split': {
      // A rewrite that hides nobody is no fix: refused, naming the fields to edit by hand. One
      // that hides some of the list says which fields still show the rest.
      const after = exposureAfterRewrite(decision);
      if (after?.unchanged) return { strategy, outcome: 'refuse', refusal: { code: 'exposure-unchanged', fields: after.fields }, decision };
      // A list in the text or an attachment that the policy lets through (a warning) is in every
      // output as it was: a fix that says nothing of it would read as "nothing exposed now".
      const rewrite: FixDecision = after ? { strategy, outcome: 'rewrite', left: after.fields, decision } : { strategy, outcome: 'rewrite', decision };
      const content = contentLists(decision.result);
      if (content) rewrite.contentLeft = content;
      return rewrite;
    }
    case 'send': {
      const untouched: FixDecision = decision.reason ? { strategy, outcome: 'untouched', refusal: refusalOf(decision.reason, decision.blocking), decision } : { strategy, outcome: 'untouched', decision };
      const uncopyable = options.envelope ? envelopeUnlikeCopy(bytes, options.envelope, decision.result) : undefined;
      if (uncopyable) untouched.uncopyable = uncopyable;
      return untouched;
    }
    default:
      return { strategy, outcome: 'refuse', refusal: refusalOf(decision.reason ?? { code: 'policy' }, decision.blocking), decision };
  }
}

/**
 * The outlook alone (no decision, no transactions): what check's human report is handed. `checked`:
 * check's own result for these bytes, reused where it is the decision's check (DecideOptions.checked);
 * `envelope`: the one the input carries, as fix is handed it.
 */
export function fixOutlook(bytes: Uint8Array, policy: Policy, checked?: CheckedMessage, envelope?: Envelope): FixOutlook {
  const options: FixOptions = { strategy: suggestedFixStrategy(policy) };
  if (checked) options.checked = checked;
  if (envelope) options.envelope = envelope;
  const { strategy, outcome, refusal, left, contentLeft } = decideFix(bytes, policy, options);
  const outlook: FixOutlook = refusal ? { strategy, outcome, refusal } : { strategy, outcome };
  if (left) outlook.left = left;
  if (contentLeft) outlook.contentLeft = contentLeft;
  return outlook;
}
