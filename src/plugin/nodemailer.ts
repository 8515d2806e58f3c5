// mailguard/nodemailer: a nodemailer 'compile' plugin that checks every sendMail() before it is
// sent. It checks what nodemailer will really write: the message is compiled with nodemailer's
// own composer (every field, those from `headers` too), a `raw` message is checked as it is, and
// the envelope is the one nodemailer delivers to (`envelope`, else every To, Cc and Bcc it
// writes). It blocks an exposed recipient list (the error's code is EEXPOSED and it carries the
// findings) or moves external To/Cc recipients to Bcc in `mail.data`.
//
//   import { mailguard } from 'mailguard/nodemailer';
//   transporter.use('compile', mailguard({ policy: { internalDomains: ['corp.example'] }, onViolation: 'bcc' }));
//
// It loads the pure core and, when a message is checked, nodemailer's composer (the caller has
// nodemailer); no SMTP server.

import { readFile, stat } from 'node:fs/promises';
import { checkMessage } from '../analyse.js';
import { composeLikeNodemailer, rawValueBytes } from '../io/compose.js';
import type { Envelope } from '../message/envelope.js';
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
  /** Further fields nodemailer writes (object or array form); checked as written. */
  headers?: unknown;
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

/**
 * The header the address options describe, read with mailguard's strict parser. nodemailer's
 * parser repairs what it cannot read (an unclosed quote, a missing separator), so a message it
 * compiles can look clean while the caller wrote something two programs read differently: the
 * strict reading fails closed on that, before the compiled bytes are checked.
 */
function modelHeader(data: MailData): Uint8Array {
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

/** The most of a raw message given as `{ path }` that is read (as `mailguard check` reads one message). */
const MAX_RAW_FILE_BYTES = 160 * 1024 * 1024;

/**
 * A raw message given as `{ path }` is read once, here, and handed to nodemailer as bytes: what
 * is checked is what is sent, even if the file changes afterwards.
 */
async function rawFromPath(data: MailData): Promise<void> {
  const raw = data.raw;
  if (typeof raw !== 'object' || raw === null || raw instanceof Uint8Array) return;
  const file = (raw as { path?: unknown }).path;
  if (typeof file !== 'string' || /^data:/i.test(file)) return;
  const st = await stat(file).catch((err: Error) => {
    throw new MailguardError('EUSAGE', `the raw message ${file} cannot be read: ${err.message}`);
  });
  if (!st.isFile()) throw new MailguardError('EUSAGE', `the raw message ${file} is not a regular file.`);
  if (st.size > MAX_RAW_FILE_BYTES) throw new MailguardError('EUSAGE', `the raw message ${file} is larger than ${MAX_RAW_FILE_BYTES / 1024 / 1024} MiB.`);
  data.raw = await readFile(file);
}

/** What nodemailer will write and deliver to for this data: bytes (the header, or a raw message) and envelope. */
async function compose(data: MailData): Promise<{ bytes: Uint8Array; envelope: Envelope; raw: boolean }> {
  try {
    return await composeLikeNodemailer(data as Record<string, unknown>, { headersOnly: true });
  } catch (err) {
    if (err instanceof MailguardError && err.code === 'EINPUT') throw new MailguardError('EUSAGE', err.message, err.hint !== undefined ? { hint: err.hint } : {});
    throw err;
  }
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

/** Checks (and in bcc mode rewrites) one sendMail() call's data. Rejects with ExposedRecipientsError. */
export async function guardMailData(data: MailData, policy: Policy, mode: 'block' | 'bcc'): Promise<void> {
  await rawFromPath(data);
  if (data.raw !== undefined && data.raw !== null && data.raw !== false && data.raw !== '' && rawValueBytes(data.raw) === undefined) {
    throw new MailguardError('EUSAGE', 'mailguard checks raw messages given as a string, a Buffer or a file path, not as a stream or URL.', { hint: 'Read the message into a Buffer first.' });
  }
  if (rawValueBytes(data.raw) === undefined) {
    const model = checkMessage(modelHeader(data), policy, { source: 'sendMail' });
    const unreadable = model.findings.filter((f) => UNSAFE.has(f.code) && f.severity === 'error');
    if (unreadable.length > 0) throw new ExposedRecipientsError(model, unreadable, blockedHint(mode));
  }
  const composed = await compose(data);
  // A raw message without envelope or addresses has none yet (sendRawSafely gives it the header's).
  const result = checkMessage(composed.bytes, policy, composed.envelope.rcptTo.length > 0 ? { source: 'sendMail', envelope: composed.envelope } : { source: 'sendMail' });
  const errors = result.findings.filter((f) => f.severity === 'error');
  const exposed = result.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS');
  const unsafe = result.findings.some((f) => UNSAFE.has(f.code));
  const rewrite = mode === 'bcc' && exposed && !unsafe && (result.verdict === 'block' || result.verdict === 'warn');
  const raw = composed.raw ? composed.bytes : undefined;
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
  // The rewritten data is compiled and checked again: a list in `headers` or an envelope
  // nodemailer would still write or use is caught here.
  const again = await compose(data);
  const after = checkMessage(again.bytes, policy, { source: 'sendMail', envelope: again.envelope });
  if (after.verdict === 'block' || after.verdict === 'error') throw new ExposedRecipientsError(after, after.findings.filter((f) => f.severity === 'error'), blockedHint(mode));
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
    guardMailData(mail.data, policy, mode).then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  };
}

export default mailguard;
