// mailguard/nodemailer: a nodemailer 'compile' plugin that checks every sendMail() before the
// message is built. It blocks an exposed recipient list (the error's code is EEXPOSED and it
// carries the findings) or moves external To/Cc recipients to Bcc in `mail.data`.
//
//   import { mailguard } from 'mailguard/nodemailer';
//   transporter.use('compile', mailguard({ policy: { internalDomains: ['corp.example'] }, onViolation: 'bcc' }));
//
// It loads the pure core only: no SMTP server, and not even nodemailer (the caller has that).

import { checkMessage } from '../analyse.js';
import { MailguardError } from '../errors.js';
import type { Finding } from '../findings.js';
import { headerRecipients } from '../message/header-recipients.js';
import { parseAddressList } from '../message/address-list.js';
import { createPolicy, isResolvedPolicy, type Policy } from '../policy/policy.js';
import { headerSender } from '../decide/index.js';
import { describeFinding } from '../report/messages.js';
import type { MessageResult } from '../result.js';
import { rewriteToBcc } from '../rewrite/bcc.js';
import { stripBcc } from '../rewrite/strip-bcc.js';

/** One address as nodemailer takes it. */
export type AddressInput = string | { name?: string; address?: string };
/** nodemailer takes one address, a list, or lists nested in lists. */
export type AddressesInput = AddressInput | readonly AddressesInput[];

/** The part of nodemailer's `mail.data` (Mail.Options) the plugin reads and edits. */
export interface MailData {
  from?: AddressesInput;
  sender?: AddressesInput;
  to?: AddressesInput;
  cc?: AddressesInput;
  bcc?: AddressesInput;
  replyTo?: AddressesInput;
  raw?: unknown;
  envelope?: unknown;
}

export interface MailguardPluginOptions {
  /** The policy: internal domains, thresholds, rules (defaults as for `mailguard check`). */
  policy?: Partial<Policy>;
  /** `block` (default): sendMail fails with EEXPOSED. `bcc`: external To/Cc move to Bcc. */
  onViolation?: 'block' | 'bcc';
}

/** The error sendMail fails with when the plugin blocks a message. */
export class ExposedRecipientsError extends MailguardError {
  /** The findings that block the message (coded data; see mailguard's FINDING_CODES). */
  readonly findings: Finding[];
  /** The whole check result. */
  readonly result: MessageResult;

  constructor(result: MessageResult, findings: Finding[], hint: string) {
    const first = findings[0];
    super('EEXPOSED', `mailguard blocked this message: ${first ? describeFinding(first, { redact: true }) : 'the policy blocks it'}.`, { hint });
    this.name = 'ExposedRecipientsError';
    this.findings = findings;
    this.result = result;
  }
}

const UNSAFE = new Set(['AMBIGUOUS_RECIPIENT', 'MALFORMED_HEADER']);

/** No header line break can come from a value: a name with CR LF must not add fields. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

function formatAddress(a: AddressInput): string {
  if (typeof a === 'string') return oneLine(a);
  if (!a || typeof a.address !== 'string' || a.address === '') throw new MailguardError('EUSAGE', 'an address object must have an "address" string.');
  const name = a.name ? oneLine(a.name) : '';
  return name ? `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}" <${oneLine(a.address)}>` : oneLine(a.address);
}

function asList(v: AddressesInput | undefined | null): AddressInput[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [v as AddressInput];
  return (v as readonly AddressesInput[]).flatMap((x) => asList(x));
}

/** The header block a message with these addresses would have, for the check. */
function headerFor(data: MailData): Uint8Array {
  const lines: string[] = [];
  const add = (name: string, v: AddressesInput | undefined) => {
    const list = asList(v);
    if (list.length > 0) lines.push(`${name}: ${list.map(formatAddress).join(', ')}`);
  };
  add('From', data.from);
  add('Sender', data.sender);
  add('To', data.to);
  add('Cc', data.cc);
  add('Bcc', data.bcc);
  add('Reply-To', data.replyTo);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
}

function rawBytes(raw: unknown): Uint8Array | undefined {
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  if (raw instanceof Uint8Array) return raw;
  return undefined;
}

/**
 * Moves the external recipients of To and Cc into Bcc. Each To/Cc entry is kept as given when
 * it holds no external address; a string listing several addresses is split into its mailboxes.
 */
function moveExternalToBcc(data: MailData, result: MessageResult): void {
  const internal = new Map(result.recipients.visible.map((r) => [r.address, r.internal]));
  const moved: AddressInput[] = [];
  for (const key of ['to', 'cc'] as const) {
    const kept: AddressInput[] = [];
    for (const entry of asList(data[key])) {
      const parsed = parseAddressList(formatAddress(entry));
      const externals = parsed.mailboxes.filter((m) => internal.get(m.address) === false);
      if (externals.length === 0) {
        kept.push(entry);
        continue;
      }
      if (typeof entry !== 'string') {
        moved.push(entry);
        continue;
      }
      for (const m of parsed.mailboxes) (internal.get(m.address) === false ? moved : kept).push(m.source);
    }
    if (kept.length > 0) data[key] = kept;
    else delete data[key];
  }
  if (moved.length === 0) return;
  data.bcc = [...asList(data.bcc), ...moved];
  // A message with no visible recipient still says who it is for, as mail clients do.
  if (data.to === undefined) data.to = 'undisclosed-recipients:;';
}

function blockedHint(mode: 'block' | 'bcc'): string {
  return mode === 'block'
    ? 'Put the external recipients in bcc, send one message per recipient, or use mailguard({ onViolation: "bcc" }).'
    : 'The recipients cannot be rewritten safely; fix the addresses or send one message per recipient.';
}

/**
 * nodemailer sends raw bytes as they are and never reads recipients from them: without an
 * envelope (or to/cc/bcc) it has none, and a Bcc field would reach every recipient. So the
 * envelope is made explicit from the header, and the Bcc field goes.
 */
function sendRawSafely(data: MailData, bytes: Uint8Array): void {
  const hasAddressData = data.to !== undefined || data.cc !== undefined || data.bcc !== undefined;
  if (data.envelope === undefined && !hasAddressData) {
    const from = headerSender(bytes);
    const to = headerRecipients(bytes);
    data.envelope = from === undefined ? { to } : { from, to };
  }
  const stripped = stripBcc(bytes);
  if (stripped !== bytes || typeof data.raw === 'string') data.raw = Buffer.from(stripped);
}

/** Checks (and in bcc mode rewrites) one sendMail() call's data. Throws ExposedRecipientsError. */
export function guardMailData(data: MailData, policy: Policy, mode: 'block' | 'bcc'): void {
  const raw = data.raw === undefined ? undefined : rawBytes(data.raw);
  if (data.raw !== undefined && raw === undefined) {
    throw new MailguardError('EUSAGE', 'mailguard checks raw messages given as a string or Buffer, not as a stream or path.', { hint: 'Read the message into a Buffer first.' });
  }
  const result = checkMessage(raw ?? headerFor(data), policy, { source: 'sendMail' });
  const errors = result.findings.filter((f) => f.severity === 'error');
  const exposed = result.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS');
  const unsafe = result.findings.some((f) => UNSAFE.has(f.code));
  const rewrite = mode === 'bcc' && exposed && !unsafe && (result.verdict === 'block' || result.verdict === 'warn');
  if (!rewrite) {
    if (result.verdict === 'block' || result.verdict === 'error') throw new ExposedRecipientsError(result, errors, blockedHint(mode));
    if (raw) sendRawSafely(data, raw);
    return;
  }
  if (raw) {
    const rewritten = rewriteToBcc(raw, policy);
    const after = checkMessage(rewritten.bytes, policy, { source: 'sendMail' });
    if (after.verdict === 'block') throw new ExposedRecipientsError(after, after.findings.filter((f) => f.severity === 'error'), blockedHint(mode));
    sendRawSafely(data, rewritten.bytes);
    return;
  }
  moveExternalToBcc(data, result);
  const after = checkMessage(headerFor(data), policy, { source: 'sendMail' });
  if (after.verdict === 'block') throw new ExposedRecipientsError(after, after.findings.filter((f) => f.severity === 'error'), blockedHint(mode));
}

/** nodemailer's plugin signature: `(mail, callback)`, where `mail.data` holds the sendMail options. */
export type CompilePlugin = (mail: { data: MailData }, callback: (err?: Error | null) => void) => void;

/** A nodemailer 'compile' plugin: `transporter.use('compile', mailguard({ policy, onViolation }))`. */
export function mailguard(options: MailguardPluginOptions = {}): CompilePlugin {
  const policy = options.policy && isResolvedPolicy(options.policy) ? options.policy : createPolicy(options.policy ?? {});
  const mode = options.onViolation ?? 'block';
  if (mode !== 'block' && mode !== 'bcc') throw new MailguardError('EUSAGE', `onViolation must be "block" or "bcc" (got ${JSON.stringify(mode)}).`);
  if (mode === 'bcc' && policy.sensitive) {
    throw new MailguardError('EUSAGE', 'a sensitive list is not fixed with Bcc: one reply-all or one leaked Bcc field exposes everyone.', { hint: 'Use onViolation: "block" and send one message per recipient.' });
  }
  return (mail, callback) => {
    try {
      guardMailData(mail.data, policy, mode);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  };
}

export default mailguard;
