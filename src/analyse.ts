// The check pipeline's core: bytes and a policy in, a result out. Pure: no I/O, no printing.

import type { Finding, FindingCode } from './findings.js';
import { normaliseAddress } from './message/address-list.js';
import type { Envelope } from './message/envelope.js';
import { BLIND_FIELDS, parseMessage, REPLY_FIELDS, VISIBLE_FIELDS, type ParsedMessage } from './message/parse-message.js';
import { createClassifier, type Classifier } from './policy/classify.js';
import { createPolicy, isResolvedPolicy, type Policy } from './policy/policy.js';
import type { BodyScanOptions } from './body/settings.js';
import { addressListInBody } from './rules/address-list-in-body.js';
import { externalSummary, type RuleContext } from './rules/context.js';
import { RULES } from './rules/index.js';
import type { MessageResult, RecipientView, Verdict } from './result.js';

export interface CheckOptions {
  /** Stable name of the input, carried into the result. */
  source?: string;
  /** The SMTP envelope, when the input has one (transcripts, the proxy). */
  envelope?: Envelope;
  /** Added to header line numbers (the message's first line within its file, minus one). */
  lineOffset?: number;
  /**
   * Scan the body and text-like attachments for address lists (ADDRESS_LIST_IN_BODY). Default:
   * `policy.bodyScan` (absent in the library's default policy: nothing past the header is read).
   * Pass `false` when `bytes` may hold only part of the body (a header-only read).
   */
  body?: BodyScanOptions | false;
}

const VISIBLE = new Set<string>(VISIBLE_FIELDS);
const BLIND = new Set<string>(BLIND_FIELDS);
const REPLY = new Set<string>(REPLY_FIELDS);

/** The verdict for a list of findings. */
export function decideVerdict(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.code === 'UNREADABLE_MESSAGE')) return 'error';
  if (findings.some((f) => f.severity === 'error')) return 'block';
  if (findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'pass';
}

/** Applies per-code severity overrides from the policy. */
function applyRuleSettings(findings: Finding[], policy: Policy): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const setting = policy.rules[f.code as FindingCode];
    if (setting === 'off' && f.code !== 'UNREADABLE_MESSAGE') continue;
    if (setting === 'error' || setting === 'warning') out.push({ ...f, severity: setting } as Finding);
    else out.push(f);
  }
  return out;
}

/** The first readable From address's domain and address. */
function senderOf(parsed: ParsedMessage): { address: string; domain: string } | undefined {
  const from = parsed.addresses.find((a) => a.field === 'from') ?? parsed.addresses.find((a) => a.field === 'sender');
  return from ? { address: from.mailbox.address, domain: from.mailbox.domain } : undefined;
}

function view(entry: ParsedMessage['addresses'][number], classifier: Classifier, lineOffset: number): RecipientView {
  const { address, domain } = entry.mailbox;
  return {
    address,
    field: entry.field,
    internal: classifier.isInternal(domain),
    party: classifier.partyOf(address, domain),
    line: entry.line + lineOffset,
  };
}

/** A result for input that is not a message at all. */
export function unreadableResult(source: string, reason: string, detail?: string): MessageResult {
  const args: { reason: string; detail?: string } = { reason };
  if (detail !== undefined) args.detail = detail;
  return {
    source,
    verdict: 'error',
    findings: [{ code: 'UNREADABLE_MESSAGE', severity: 'error', args }],
    recipients: { visible: [], hidden: [], blind: [], reply: [], externalParties: 0, externalAddresses: 0 },
    internal: { domains: [], inferred: false },
  };
}

function notAMessage(bytes: Uint8Array, parsed: ParsedMessage): string | undefined {
  let nonSpace = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) {
      nonSpace = true;
      break;
    }
  }
  if (!nonSpace) return 'empty';
  if (parsed.header.fields.length === 0) return 'no-header';
  return undefined;
}

/**
 * Checks one message. `bytes` may hold the whole message or only its header block: nothing past
 * the blank line is read.
 */
export function checkMessage(bytes: Uint8Array, policyInput: Policy | Partial<Policy> = {}, options: CheckOptions = {}): MessageResult {
  const policy = isResolvedPolicy(policyInput) ? policyInput : createPolicy(policyInput);
  const source = options.source ?? '-';
  const lineOffset = options.lineOffset ?? 0;
  const parsed = parseMessage(bytes);
  const unreadable = notAMessage(bytes, parsed);
  if (unreadable) return unreadableResult(source, unreadable);

  const sender = senderOf(parsed);
  const classifier = createClassifier(policy, sender?.domain);
  const visible: RecipientView[] = [];
  const blind: RecipientView[] = [];
  const reply: RecipientView[] = [];
  for (const entry of parsed.addresses) {
    if (VISIBLE.has(entry.field)) visible.push(view(entry, classifier, lineOffset));
    else if (BLIND.has(entry.field)) blind.push(view(entry, classifier, lineOffset));
    else if (REPLY.has(entry.field)) reply.push(view(entry, classifier, lineOffset));
  }

  const ctx: RuleContext = { parsed, policy, classifier, visible, blind, reply, lineOffset };
  const raw = RULES.flatMap((rule) => rule(ctx));
  const body = options.body === false ? undefined : (options.body ?? policy.bodyScan);
  if (body && policy.rules.ADDRESS_LIST_IN_BODY !== 'off') raw.push(...addressListInBody(ctx, bytes, body));
  const findings = applyRuleSettings(raw, policy);

  const envelope = options.envelope;
  // The set of visible addresses is built only when there is an envelope to compare it with.
  const visibleSet = envelope ? new Set(visible.map((r) => r.address)) : undefined;
  // Envelope addresses come as the client wrote them (RCPT TO:<A@Corp.Example>): compared in the
  // same normalised form as header addresses, or as written when they are not one clean mailbox.
  const hidden = envelope
    ? [...new Set(envelope.rcptTo.map((a) => normaliseAddress(a) ?? a))]
        .filter((a) => !visibleSet!.has(a))
        .map((address) => ({ address, internal: classifier.isInternal(domainOf(address)) }))
    : [];
  // The same distinct addresses and parties the rules counted (one summary per list).
  const external = externalSummary(visible);

  const result: MessageResult = {
    source,
    verdict: decideVerdict(findings),
    findings,
    recipients: { visible, hidden, blind, reply, externalParties: external.parties.size, externalAddresses: external.addresses.length },
    internal: { domains: classifier.internalDomains, inferred: classifier.inferred },
  };
  if (sender) result.sender = sender.address;
  if (options.envelope) result.envelope = options.envelope;
  return result;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
