// The check pipeline's core: bytes and a policy in, a result out. Pure: no I/O, no printing.

import { BODY_SCAN_CODES, DEFAULT_SEVERITY, type Finding, type FindingCode } from './findings.js';
import { normaliseAddress } from './message/address-list.js';
import type { Envelope } from './message/envelope.js';
import { messageBytes, type MessageInput } from './message/input-bytes.js';
import { unfoldField, type HeaderBlock } from './message/header-block.js';
import { fileNameList, otherFieldLists, type OtherFieldLists } from './message/other-fields.js';
import { authorLists, BLIND_FIELDS, parseMessage, REPLY_FIELDS, VISIBLE_FIELDS, type ParsedMessage } from './message/parse-message.js';
import { addressesInHeaderText, COMPAT_AT, findAddresses, holdsCompatAt } from './body/addresses.js';
import { decodeHeaderText, parseHeaderParams } from './body/mime.js';
import { createClassifier, type Classifier, type InferenceSource } from './policy/classify.js';
import { createPolicy, isResolvedPolicy, type Policy } from './policy/policy.js';
import type { BodyScanOptions } from './body/settings.js';
import { scanMessage, type ShownFileName } from './body/scan.js';
import { addressListInBody } from './rules/address-list-in-body.js';
import { attachmentFindings } from './rules/attachments.js';
import { externalSummary, headerAddresses, type RuleContext } from './rules/context.js';
import { RULES } from './rules/index.js';
import type { MessageResult, RecipientView, Verdict } from './result.js';
import { MAX_ADDRESSES_PER_MESSAGE } from './limits.js';

export interface CheckOptions {
  /** Stable name of the input, carried into the result. */
  source?: string;
  /** The SMTP envelope, when the input has one (transcripts, the proxy). */
  envelope?: Envelope;
  /** Added to header line numbers (the message's first line within its file, minus one). */
  lineOffset?: number;
  /**
   * Scan the body and attachments for address lists and invitations (ADDRESS_LIST_IN_BODY,
   * ADDRESS_LIST_IN_ATTACHMENT, EXPOSED_ATTENDEES, ATTACHMENT_NOT_SCANNED). Default:
   * `policy.bodyScan` (absent in the library's default policy: nothing past the header is read).
   * Pass `false` when `bytes` may hold only part of the body (a header-only read).
   */
  body?: BodyScanOptions | false;
  /**
   * The reader did not read (all of) the body it was asked to scan (an IMAP message over its size
   * limit; a file over MAX_SCANNED_MESSAGE_BYTES, of which only a prefix is given): with `body`,
   * one ATTACHMENT_NOT_SCANNED for the whole message (part ''), so it is never clean.
   */
  bodyNotRead?: { reason: 'too-large' | 'unreadable'; detail: string };
  /** `readHeaderBlock(bytes)`, when the caller has read it already (the decision shares it with the Bcc strip). */
  header?: HeaderBlock;
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
    else if (setting === 'at-least-warning' && f.severity === 'info') out.push({ ...f, severity: 'warning' } as Finding);
    else out.push(f);
  }
  return out;
}

/** The first readable From address's domain and address. */
function senderOf(parsed: ParsedMessage): { address: string; domain: string } | undefined {
  const from = parsed.addresses.find((a) => a.field === 'from') ?? parsed.addresses.find((a) => a.field === 'sender');
  return from ? { address: from.mailbox.address, domain: from.mailbox.domain } : undefined;
}

type Entry = ParsedMessage['addresses'][number];

/** The first author list of kind `key` (authorLists: every From field together, the topmost
 * Resent-From block alone). */
function firstAuthors(lists: ReturnType<typeof authorLists>, key: string): Entry[] {
  return lists.find((l) => l.field === key)?.entries ?? [];
}

/**
 * Whom internal domains are inferred from, when none is configured. A resent message: the
 * resender (Resent-From, the topmost block). Otherwise From; with several authors (in one field
 * or in several From fields), the Sender who sent it (RFC 5322 3.6.2), and without a Sender
 * nobody: the authors could be anyone's.
 */
function inferenceSource(parsed: ParsedMessage): InferenceSource {
  const resent = (parsed.fieldCounts['resent-from'] ?? 0) > 0;
  const [authorKey, senderKey] = resent ? ['resent-from', 'resent-sender'] : ['from', 'sender'];
  const lists = authorLists(parsed);
  const authors = firstAuthors(lists, authorKey);
  const senders = firstAuthors(lists, senderKey);
  if (authors.length === 1) return { field: authorKey, domain: authors[0]!.mailbox.domain };
  if (senders.length >= 1) return { field: senderKey, domain: senders[0]!.mailbox.domain };
  return authors.length > 1 ? { field: authorKey, severalAuthors: true } : { field: authorKey };
}

/** The classifier checkMessage uses for a parsed message (configured, or inferred from its sender), for callers that classify more of it (audit --incident). */
export function classifierFor(parsed: ParsedMessage, policy: Policy): Classifier {
  return createClassifier(policy, inferenceSource(parsed));
}

function view(entry: Entry, classifier: Classifier, lineOffset: number): RecipientView {
  const { address, domain } = entry.mailbox;
  return {
    address,
    field: entry.field,
    internal: classifier.isInternal(domain),
    party: classifier.partyOf(address, domain),
    line: entry.line + lineOffset,
  };
}

function nameView(address: string, field: string, line: number, classifier: Classifier): RecipientView {
  const domain = domainOf(address);
  return { address, field, internal: classifier.isInternal(domain), party: classifier.partyOf(address, domain), line, inDisplayName: true };
}

/** A display name written only as RFC 2047 words in UTF-8, whitespace between them: the form mail
 * clients write. Its decoding joins and decodes those words and touches nothing around them. */
const UTF8_WORDS_ONLY = /^=\?utf-8\?[bq]\?[^?\s]*\?=(?:[ \t]+=\?utf-8\?[bq]\?[^?\s]*\?=)*$/i;
/** What follows such a name in its mailbox: `<addr-spec>` with no "?" (so no encoded word). */
const ANGLE_ADDR_REST = /^[ \t]*<[^?]*>$/;
/** An addr-spec that findAddresses reads as written, or not at all: local-part characters it takes,
 * not starting with a character it strips ('.'), domain characters ending in a letter or digit. */
const PLAIN_SPEC = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*@[A-Za-z0-9.-]*[A-Za-z0-9]$/;
/** Short enough that findAddresses's length bounds (MAX_LOCAL_PART_BYTES, MAX_DOMAIN_BYTES) never cut it. */
const PLAIN_SPEC_MAX = 250;
const NONE: ReadonlySet<string> = new Set();
/** Display name (as written) -> whether its decoded text holds an "@". Names repeat across the
 * messages of a folder (the same colleagues), and decoding one cost more than parsing its whole
 * mailbox (bench scenario 1: a sixth of the check). Decoding is pure, so caching changes nothing. */
const decodedNameHoldsAt = new Map<string, boolean>();
/** Bounds the cache: a header of 100,000 distinct names must not keep them all. */
const NAME_CACHE_ENTRIES = 4_096;

/**
 * The addresses `addressesInHeaderText(source + ' ' + rawName)` finds, without decoding the mailbox when it
 * is `W <addr-spec>` with W only UTF-8 encoded words whose decoded text holds no "@" (undefined
 * when it is not). Then the decoded text is decode(W), the `<addr-spec>` as written (no "?" in it:
 * no word opens, closes or joins there), a space and decode(W) again; its only "@" is the
 * addr-spec's, whose address ends at the angle brackets; so the same addresses are found in the
 * `<addr-spec>` part alone. (The differential check of BENCHMARKS.md, issue 18, holds it.)
 */
function addressesInEncodedMailbox(source: string, rawName: string, own: string): ReadonlySet<string> | undefined {
  if (!source.startsWith(rawName) || !UTF8_WORDS_ONLY.test(rawName)) return undefined;
  const rest = source.slice(rawName.length);
  if (!ANGLE_ADDR_REST.test(rest)) return undefined;
  let holdsAt = decodedNameHoldsAt.get(rawName);
  if (holdsAt === undefined) {
    const decoded = decodeHeaderText(rawName);
    holdsAt = decoded.includes('@') || COMPAT_AT.test(decoded);
    if (decodedNameHoldsAt.size >= NAME_CACHE_ENTRIES) decodedNameHoldsAt.clear();
    // A copy: a slice of the field would keep the whole field alive with the cache.
    decodedNameHoldsAt.set(` ${rawName}`.slice(1), holdsAt);
  }
  if (holdsAt) return undefined;
  // The mailbox's own address written plainly: findAddresses finds it (lower-cased: `own`) or
  // nothing, and the caller drops `own`; searching it again cost as much as the rest of this check.
  const spec = rest.slice(rest.indexOf('<') + 1, -1);
  if (spec.length <= PLAIN_SPEC_MAX && PLAIN_SPEC.test(spec) && spec.toLowerCase() === own) return NONE;
  return findAddresses(/[\x80-\xff]/.test(rest) ? Buffer.from(rest, 'latin1').toString('utf8') : rest);
}

/** Fields whose every address is shown to every reader as a recipient or a reply address. */
const EXPOSING: ReadonlySet<string> = new Set([...VISIBLE_FIELDS, ...REPLY_FIELDS]);

/** The addresses of the message's mailboxes, lower-cased, and those shown so far (indexed loops,
 * no spread: see checkMessage's loop). */
function knownAddresses(parsed: ParsedMessage, shown: readonly RecipientView[]): Set<string> {
  const known = new Set<string>();
  const { addresses } = parsed;
  for (let i = 0; i < addresses.length; i++) known.add(addresses[i]!.mailbox.address.toLowerCase());
  for (let i = 0; i < shown.length; i++) known.add(shown[i]!.address);
  return known;
}

/**
 * Addresses every reader sees besides To/Cc and the reply fields: several authors in From (one
 * field or several) or Resent-From, several mailboxes in Sender (likewise) or Resent-Sender, and addresses written inside a display
 * name, comment or group name (`"c0@a.test, c1@b.test" <news@corp.example>`) of any field but Bcc,
 * and lists in fields that are not address fields (src/message/other-fields.ts).
 * A display name that is the mailbox's own address (`"bob@x.test" <bob@x.test>`) adds nothing.
 * They count toward MAX_ADDRESSES_PER_MESSAGE with the mailboxes: past it, reading stops and
 * `over` names the field where it stopped (AMBIGUOUS_RECIPIENT too-many-addresses). Without the
 * bound, a comment, a display name or a Keywords field of 600,000 addresses (8 MB, within the size
 * limits) took 4 to 6 s to read in full, for a message already blocked.
 */
function shownAddresses(parsed: ParsedMessage, classifier: Classifier, lineOffset: number, fileNames: readonly ShownFileName[] = []): ShownAddresses {
  const shown: RecipientView[] = [];
  let left = MAX_ADDRESSES_PER_MESSAGE - parsed.addresses.length;
  let over: ShownAddresses['over'];
  /** Adds one view; false (and `over` set) once the message's addresses are past the bound. */
  const add = (v: RecipientView, field: string, line: number): boolean => {
    if (left <= 0) {
      over ??= { field, line };
      return false;
    }
    left--;
    shown.push(v);
    return true;
  };
  // Several authors or senders (authorLists: all From fields are one list, all Sender fields another).
  const severalAuthors = new Set<Entry>();
  for (const list of authorLists(parsed)) if (list.entries.length > 1) for (const a of list.entries) severalAuthors.add(a);
  const { addresses } = parsed;
  for (let i = 0; i < addresses.length && over === undefined; i++) {
    const a = addresses[i]!;
    if (BLIND.has(a.field)) continue;
    if (severalAuthors.has(a)) shown.push(view(a, classifier, lineOffset));
    const { source, rawName, address } = a.mailbox;
    // Two @ in what was written for one mailbox, an encoded name, or a fullwidth or small at in
    // its name or its local part (`p1＠org1.test@corp.example` shows p1@org1.test to every reader,
    // though it is delivered at corp.example): something besides its own address may be written
    // there. (Two indexOf calls per mailbox keep huge lists cheap; a lastIndexOf is a runtime
    // call, and cost as much as the rest of this loop: bench scenario 1.)
    const firstAt = source.indexOf('@');
    const oneAt = firstAt === -1 || source.indexOf('@', firstAt + 1) === -1;
    if (oneAt && !rawName.includes('=?') && !holdsCompatAt(source)) continue;
    const own = address.toLowerCase();
    // At most `left` besides its own address, and one more to know there are more.
    const written = (oneAt && addressesInEncodedMailbox(source, rawName, own)) || addressesInHeaderText(`${source} ${rawName}`, new Set(), undefined, left + 1);
    for (const found of written) {
      if (found !== own && !add(nameView(found, a.field, a.line + lineOffset, classifier), a.field, a.line)) break;
    }
  }
  for (const g of parsed.groupNames) {
    if (BLIND.has(g.field) || over !== undefined) continue;
    for (const found of addressesInHeaderText(g.name, new Set(), undefined, left)) {
      if (!add(nameView(found, g.field, g.line + lineOffset, classifier), g.field, g.line)) break;
    }
  }
  // Comments anywhere in a field but Bcc (a comment inside a mailbox's own text was searched with
  // it above): a mailbox's own address, or one already listed, repeated there adds nothing.
  let known: Set<string> | undefined;
  const readAgain = new Set<number>();
  for (const c of parsed.comments) {
    if (BLIND.has(c.field) || over !== undefined) continue;
    known ??= knownAddresses(parsed, shown);
    const added: string[] = [];
    addressesInHeaderText(c.text, known, added, known.size + left);
    for (let i = 0; i < added.length; i++) if (!add(nameView(added[i]!, c.field, c.line + lineOffset, classifier), c.field, c.line)) break;
  }
  // A recipient or reply field that cannot be read whole (semicolons or spaces between addresses,
  // an unclosed quote): the parser stops at the problem, yet every reader is shown the field's
  // text, every address in it. AMBIGUOUS_RECIPIENT blocks such a message before it is sent; these
  // count the addresses it shows, which a sent copy exposed (an audit found no incident in a Sent
  // folder of such messages). Only fields with a problem pay for the search.
  for (const p of parsed.addressProblems) {
    if (!EXPOSING.has(p.field) || readAgain.has(p.line) || over !== undefined) continue;
    known ??= knownAddresses(parsed, shown);
    readAgain.add(p.line);
    for (const f of parsed.header.fields) {
      if (f.key !== p.field || f.line !== p.line) continue;
      // Into `known` at once: one set of a header's 250,000 addresses, not two (bench scenario 11).
      const added: string[] = [];
      addressesInHeaderText(unfoldField(f, parsed.header.lineEnding), known, added, known.size + left);
      for (let i = 0; i < added.length; i++) if (!add(nameView(added[i]!, p.field, p.line + lineOffset, classifier), p.field, p.line)) break;
    }
  }
  // Lists in fields that are not address fields (X-Recipients, Comments, Subject ...): an address
  // a reader sees in To or Cc already, or in a display name, adds nothing; one in Bcc does (the
  // field shows a blind recipient).
  // Read up to the whole bound (what they repeat of the header adds nothing); `add` keeps the count.
  const others = over === undefined ? otherFieldLists(parsed.header) : NO_LISTS;
  // Past the bound in these fields, what was read is still counted, up to the bound (`add`).
  if (others.lists.length > 0) {
    const seen = new Set([...headerAddresses(parsed), ...shown.map((v) => v.address)]);
    for (const o of others.lists) {
      for (const found of o.addresses) {
        if (seen.has(found)) continue;
        seen.add(found);
        if (!add(nameView(found, o.key, o.line + lineOffset, classifier), o.key, o.line)) break;
      }
    }
  }
  if (others.over !== undefined) over ??= others.over;
  // The names of the message's own attachments (found by the body scan), which every reader shows
  // in its attachment list: each read as the message's own file name is (fileNameList), at the
  // line of the Content-Type that makes the message multipart. As for other fields, an address To
  // or Cc shows already adds nothing; one in Bcc does.
  if (fileNames.length > 0 && over === undefined) {
    const seen = new Set([...headerAddresses(parsed), ...shown.map((v) => v.address)]);
    const line = parsed.header.fields.find((f) => f.key === 'content-type')?.line ?? 0;
    for (const { name, field } of fileNames) {
      for (const found of fileNameList(name) ?? []) {
        if (seen.has(found)) continue;
        seen.add(found);
        if (!add(nameView(found, field, line + lineOffset, classifier), field, line)) break;
      }
      if (over !== undefined) break;
    }
  }
  return over === undefined ? { views: shown } : { views: shown, over };
}

interface ShownAddresses {
  views: RecipientView[];
  /** Where reading stopped at MAX_ADDRESSES_PER_MESSAGE (field and header-relative line). */
  over?: { field: string; line: number };
}

const NO_LISTS: OtherFieldLists = { lists: [] };


/** A result for input that is not a message at all. */
export function unreadableResult(source: string, reason: string, detail?: string): MessageResult {
  const args: { reason: string; detail?: string } = { reason };
  if (detail !== undefined) args.detail = detail;
  return {
    source,
    verdict: 'error',
    findings: [{ code: 'UNREADABLE_MESSAGE', severity: 'error', args }],
    recipients: { visible: [], hidden: [], blind: [], reply: [], shown: [], externalParties: 0, externalAddresses: 0 },
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
 * the blank line is read (without the body scan), but for one look after a CR-only header: an LF
 * there makes the header malformed (mixed-line-ends), so give such a message whole. A string is
 * the message's text (UTF-8).
 */
export function checkMessage(input: MessageInput, policyInput: Policy | Partial<Policy> = {}, options: CheckOptions = {}): MessageResult {
  return checkAndParse(input, policyInput, options).result;
}

/**
 * checkMessage, and the parse of the header it was made from: for a caller that goes on to
 * rewrite the message (decideDelivery, check's fix hint), which would otherwise parse it again
 * (RewriteChecked in src/rewrite/prepare.ts).
 */
export function checkAndParse(input: MessageInput, policyInput: Policy | Partial<Policy> = {}, options: CheckOptions = {}): { result: MessageResult; parsed: ParsedMessage } {
  const bytes = messageBytes(input, 'checkMessage');
  const policy = isResolvedPolicy(policyInput) ? policyInput : createPolicy(policyInput);
  const source = options.source ?? '-';
  const lineOffset = options.lineOffset ?? 0;
  const parsed = parseMessage(bytes, options.header);
  const unreadable = notAMessage(bytes, parsed);
  if (unreadable) return { result: unreadableResult(source, unreadable), parsed };

  const sender = senderOf(parsed);
  const classifier = createClassifier(policy, inferenceSource(parsed));
  const visible: RecipientView[] = [];
  const blind: RecipientView[] = [];
  const reply: RecipientView[] = [];
  // Indexed loops over the address list (here and in the other per-address passes): a for-of
  // loop run once per message stays in V8's first tiers, where each step allocates an iterator
  // result, 40 bytes per address per pass (bench scenario 11, a heap-sampling profile).
  const { addresses } = parsed;
  for (let i = 0; i < addresses.length; i++) {
    const entry = addresses[i]!;
    if (VISIBLE.has(entry.field)) visible.push(view(entry, classifier, lineOffset));
    else if (BLIND.has(entry.field)) blind.push(view(entry, classifier, lineOffset));
    else if (REPLY.has(entry.field)) reply.push(view(entry, classifier, lineOffset));
  }

  const body = options.body === false ? undefined : (options.body ?? policy.bodyScan);
  const bodyPresent = parsed.header.hasBlankLine && parsed.header.bodyStart < bytes.length;
  // Scanned before the rules run: the names of the attachments are shown addresses.
  const scanned = body && bodyPresent && BODY_SCAN_CODES.some((c) => policy.rules[c] !== 'off') ? scanMessage(bytes, body, parsed.header) : undefined;
  const { views: shown, over: shownOver } = shownAddresses(parsed, classifier, lineOffset, scanned?.fileNames);
  // Checked with an SMTP envelope (the proxy, a transcript): in transit. Otherwise a message at
  // rest: a draft, a Sent-folder copy (clients keep Bcc there), the output of fix --strategy bcc.
  const draft = !options.envelope;
  // The same distinct addresses and parties the rules count (one summary per list).
  const external = externalSummary(visible);
  const ctx: RuleContext = { parsed, policy, classifier, visible, blind, reply, shown, draft, lineOffset, visibleSummary: external };
  if (shownOver !== undefined) ctx.shownOver = shownOver;
  // Envelope addresses come as the client wrote them (RCPT TO:<A@Corp.Example>): compared in the
  // same normalised form as header addresses, or as written when they are not one clean mailbox.
  const rcptTo = options.envelope ? options.envelope.rcptTo.map((a) => normaliseAddress(a) ?? a) : undefined;
  if (rcptTo !== undefined && policy.publicLists.length > 0) ctx.envelopeRecipients = new Set(rcptTo.map((a) => a.toLowerCase()));
  const raw: Finding[] = [];
  for (const rule of RULES) for (const f of rule(ctx)) raw.push(f);
  if (body && scanned) {
    raw.push(...addressListInBody(ctx, scanned.parts, body), ...attachmentFindings(ctx, scanned.attachments, body));
  }
  // Reported whether or not the bytes given are whole: a body that could not be read again is
  // checked on its header, and still never taken as clean.
  if (options.bodyNotRead) {
    const { reason, detail } = options.bodyNotRead;
    const contentType = parseHeaderParams((parsed.header.fields.find((f) => f.key === 'content-type')?.rawValue ?? 'text/plain').replace(/\r?\n/g, '')).type;
    raw.push({ code: 'ATTACHMENT_NOT_SCANNED', severity: DEFAULT_SEVERITY.ATTACHMENT_NOT_SCANNED, args: { part: '', contentType, reason, detail } });
  }
  const findings = applyRuleSettings(raw, policy);

  const envelope = options.envelope;
  // The set of visible addresses is built only when there is an envelope to compare it with.
  const visibleSet = envelope ? new Set(visible.map((r) => r.address)) : undefined;
  const hidden = rcptTo
    ? [...new Set(rcptTo)]
        .filter((a) => !visibleSet!.has(a))
        .map((address) => ({ address, internal: classifier.isInternal(domainOf(address)) }))
    : [];

  const result: MessageResult = {
    source,
    verdict: decideVerdict(findings),
    findings,
    recipients: { visible, hidden, blind, reply, shown, externalParties: external.parties, externalAddresses: external.addresses.length },
    internal: { domains: classifier.internalDomains, inferred: classifier.inferred },
  };
  if (classifier.inferredFrom !== undefined) result.internal.inferredFrom = classifier.inferredFrom;
  if (classifier.notInferred !== undefined) result.internal.notInferred = classifier.notInferred;
  if (sender) result.sender = sender.address;
  if (options.envelope) result.envelope = options.envelope;
  return { result, parsed };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
