// mailguard/nodemailer: a nodemailer 'compile' plugin that checks every sendMail() before it is
// sent. It checks what nodemailer will really write: the message is compiled with nodemailer's
// own composer (every field, those from `headers` too), a `raw` message is checked as it is, and
// the envelope is the one nodemailer delivers to (`envelope`, else every To, Cc and Bcc it
// writes). It blocks an exposed recipient list (the error's code is EEXPOSED and it carries the
// findings), or in bcc mode sends the rewritten message the decision (src/decide) made and checked:
// `raw` becomes those bytes and `envelope` their recipients (to, cc, bcc and headers leave
// mail.data, so no transport can compose the old list from it). `warn` sends and reports nothing.
//
//   import { mailguard } from 'mailguard/nodemailer';
//   transporter.use('compile', mailguard({ policy: { internalDomains: ['corp.example'] }, onViolation: 'bcc' }));
//
// It loads the pure core and, when a message is checked, nodemailer's composer (the caller has
// nodemailer); no SMTP server.

import { readFile, stat } from 'node:fs/promises';
import { pipeline, Transform, type Readable } from 'node:stream';
import { composeLikeNodemailer, rawValueBytes } from '../io/compose.js';
import { sameEnvelope, type Envelope } from '../message/envelope.js';
import { MailguardError } from '../errors.js';
import type { Finding } from '../findings.js';
import { readHeaderBlock } from '../message/header-block.js';
import { BLIND_FIELDS } from '../message/parse-message.js';
import { DEFAULT_BODY_MIN_ADDRESSES, DEFAULT_MAX_PART_BYTES } from '../body/settings.js';
import { createPolicy, isResolvedPolicy, type Policy } from '../policy/policy.js';
import { assertOnViolation, decideDelivery, envelopeKey, type DecideOptions, type DeliveryDecision, type Transaction } from '../decide/index.js';
import { ADAPTER_MODES, isOnViolation } from '../decide/modes.js';
import { describeDeliveryReason, describeFinding } from '../report/messages.js';
import { checks, parseConfig, parsePolicyGiven, parseSection, type KeyCheck } from '../policy/config.js';
import { bindOnViolation, buildProfiles, messageIdentity, resolveProfile, type Profiles } from '../policy/profiles.js';
import type { MessageResult } from '../result.js';

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
  /** Per-message SMTP credentials (nodemailer's `auth`). */
  auth?: unknown;
  /** Further fields nodemailer writes (object or array form); checked as written. */
  headers?: unknown;
}

/** The plugin's policy: a partial Policy, where `bodyScan: false` turns the body scan off. */
export type PluginPolicy = Omit<Partial<Policy>, 'bodyScan'> & { bodyScan?: Policy['bodyScan'] | false };

export interface MailguardPluginOptions {
  /** The policy: internal domains, thresholds, rules, body scan (defaults as for `mailguard check`:
   * the body scan is on unless `bodyScan: false`). A policy made by createPolicy is used as it is. */
  policy?: PluginPolicy;
  /** `block` (default): sendMail fails with EEXPOSED. `bcc`: external To/Cc move to Bcc. */
  onViolation?: PluginMode;
  /**
   * Profiles as in the configuration file (`{ name, match, ...overrides }`, README "Profiles"):
   * each message gets its sender's. The sender: `authUser` below, else the message's own
   * `auth.user`, else the transport's; then the envelope sender given in `envelope`; then From.
   */
  profiles?: unknown[];
  /** The authenticated user (your application's logged-in user), or a function of the message data. */
  authUser?: string | ((data: MailData) => string | undefined);
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

/** What the stream contents of one message may add up to when they are read to be checked. */
const MAX_STREAM_CONTENT_BYTES = MAX_RAW_FILE_BYTES;

function isStream(v: unknown): v is NodeJS.ReadableStream {
  return typeof v === 'object' && v !== null && typeof (v as { pipe?: unknown }).pipe === 'function' && typeof (v as { on?: unknown }).on === 'function';
}

/** sendMail's keys whose value is one content: a string, bytes, a stream, or an object describing it. */
const CONTENT_KEYS = ['text', 'html', 'watchHtml', 'amp', 'icalEvent'] as const;
/** sendMail's keys holding content descriptors: a list, or one object (nodemailer takes it as a list of one). */
const CONTENT_LIST_KEYS = ['attachments', 'alternatives'] as const;
/** Where a descriptor (an attachment, an alternative, `{ content }`, `{ raw }`) holds what nodemailer reads: its body, or a whole MIME part. */
const DESCRIPTOR_SLOTS = ['content', 'raw'] as const;

/** An object describing content (not the content itself: no string, bytes or stream). */
function isDescriptor(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !isStream(v);
}

/** The items of a content list key: a list, or one object. */
function listItems(v: unknown): unknown[] {
  if (v === undefined || v === null || v === false) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * Content given as a stream (a text, an alternative, an attachment, an invitation, a raw MIME
 * part) is read once into a Buffer that replaces it, so the message checked and the one nodemailer
 * then builds hold the same bytes; composing the message to check it would otherwise use the
 * stream up, and nodemailer's own build fail (ESTREAM). New objects and arrays: the caller's are
 * not changed.
 */
async function bufferStreams(data: MailData): Promise<void> {
  let total = 0;
  const read = async (stream: NodeJS.ReadableStream): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += b.length;
      if (total > MAX_STREAM_CONTENT_BYTES) {
        (stream as { destroy?: () => void }).destroy?.();
        throw new MailguardError('EUSAGE', `the message's stream contents are larger than ${MAX_STREAM_CONTENT_BYTES / 1024 / 1024} MiB, more than mailguard reads to check them.`, { hint: 'Give large attachments as { path } instead of a stream.' });
      }
      chunks.push(b);
    }
    return Buffer.concat(chunks);
  };
  /** A content value (text, html ...), or a descriptor whose `content` or `raw` is a stream. */
  const resolve = async (v: unknown): Promise<unknown> => {
    if (isStream(v)) return read(v);
    if (!isDescriptor(v)) return v;
    let copy: Record<string, unknown> | undefined;
    for (const slot of DESCRIPTOR_SLOTS) {
      const inner = v[slot];
      if (isStream(inner)) {
        copy ??= { ...v };
        copy[slot] = await read(inner);
      }
    }
    return copy ?? v;
  };
  const record = data as Record<string, unknown>;
  for (const key of CONTENT_KEYS) {
    if (record[key] !== undefined) record[key] = await resolve(record[key]);
  }
  for (const key of CONTENT_LIST_KEYS) {
    const items = listItems(record[key]);
    if (items.length === 0) continue;
    const resolved: unknown[] = [];
    for (const item of items) resolved.push(await resolve(item));
    record[key] = resolved;
  }
}

/**
 * Whether nodemailer reads some of the content only when it builds the message: a `path` or `href`
 * anywhere it takes content (a content field, an attachment or an alternative, one object or a
 * list), on the descriptor itself or as its `content` or `raw`.
 */
function readsContentAtSend(data: MailData): boolean {
  const record = data as Record<string, unknown>;
  const isReference = (v: unknown) => isDescriptor(v) && (typeof v.path === 'string' || typeof v.href === 'string');
  const readsAtSend = (v: unknown) => isReference(v) || (isDescriptor(v) && DESCRIPTOR_SLOTS.some((slot) => isReference(v[slot])));
  return CONTENT_KEYS.some((k) => readsAtSend(record[k])) || CONTENT_LIST_KEYS.some((k) => listItems(record[k]).some(readsAtSend));
}

/** What nodemailer will write and deliver to for this data: bytes (the header, or a raw message) and envelope. */
async function compose(data: MailData, whole = false, keepBcc = false): Promise<{ bytes: Uint8Array; envelope: Envelope; raw: boolean }> {
  try {
    // Attachments by path or URL are read as nodemailer will read them to send the message.
    return await composeLikeNodemailer(data as Record<string, unknown>, { headersOnly: !whole, contentAccess: true, keepBcc });
  } catch (err) {
    if (err instanceof MailguardError && err.code === 'EINPUT') throw new MailguardError('EUSAGE', err.message, err.hint !== undefined ? { hint: err.hint } : {});
    throw err;
  }
}

/** What the plugin can carry out: one sendMail is one message, so no split. */
export type PluginMode = (typeof ADAPTER_MODES.plugin)[number];

function blockedHint(mode: PluginMode): string {
  return mode === 'block'
    ? 'Put the external recipients in bcc, send one message per recipient, or use mailguard({ onViolation: "bcc" }).'
    : 'The recipients cannot be rewritten safely; fix the addresses or send one message per recipient.';
}

/**
 * nodemailer sends raw bytes as they are and never reads recipients from them: without an
 * envelope (or to/cc/bcc) it has none, and a Bcc field would reach every recipient. So the raw
 * message becomes the decision's bytes (no Bcc field, no leading BOM or mbox `From ` line, which
 * the decision read past and never relays), and without an envelope of its own it gets the
 * decision's: the recipients to/cc/bcc name, else those its header names.
 */
function sendRawAsDecided(data: MailData, raw: Uint8Array, t: Transaction): void {
  // nodemailer sends a string or bytes; `{ content }` it cannot send (its raw node streams the object).
  const bytes = t.bytes !== raw || !(data.raw instanceof Uint8Array) ? Buffer.from(t.bytes) : data.raw;
  // An envelope the caller gave is nodemailer's; otherwise the decision's (from to/cc/bcc, or the header).
  sendAsBytes(data, bytes, data.envelope === undefined ? t.envelope : undefined);
}

/**
 * The message goes out as these bytes (`raw`, which nodemailer sends as it is) to this envelope
 * (undefined: the caller's own `envelope`, kept), and mail.data keeps no other account of its
 * recipients: `to`, `cc`, `bcc` and `headers` are removed. Beside `raw` nodemailer's stream
 * transports never read them, but a transport that composes the message from the data instead
 * (nodemailer's JSON transport, an HTTP API transport calling mail.normalize() or reading
 * mail.data) would write the To and Cc lists, or the Resent-Bcc field, the decision took out,
 * while sendMail succeeded. Without them such a transport has no list to write. `asComposed`:
 * the bytes are the very ones nodemailer composed from this data (raw only so that content read
 * at send time is what was checked); the data then describes them and is kept.
 */
function sendAsBytes(data: MailData, bytes: Uint8Array, envelope: Envelope | undefined, asComposed = false): void {
  data.raw = bytes;
  if (envelope) data.envelope = envelope.mailFrom === '' ? { to: envelope.rcptTo } : { from: envelope.mailFrom, to: envelope.rcptTo };
  if (asComposed) return;
  delete data.to;
  delete data.cc;
  delete data.bcc;
  delete data.headers;
}

/**
 * Whether the transport delivers the message with nodemailer's Bcc field in it: its Sendmail
 * transport does (keepBcc, "sendmail strips this header line by itself"), but it names the
 * recipients on the command line without -t, where Exim and Courier leave a Bcc field in place
 * for every recipient to read (Postfix removes it).
 */
function transportWritesBcc(mailer: unknown): boolean {
  const transporter = typeof mailer === 'object' && mailer !== null ? (mailer as { transporter?: { name?: unknown } }).transporter : undefined;
  return transporter?.name === 'Sendmail';
}

/**
 * Checks (and in bcc mode rewrites) one sendMail() call's data. Rejects with ExposedRecipientsError.
 * `writesBcc`: the transport writes nodemailer's Bcc field into what it delivers (transportWritesBcc).
 */
export async function guardMailData(data: MailData, policy: Policy, mode: PluginMode, profiles?: Profiles, authUser?: string, writesBcc = false): Promise<void> {
  await rawFromPath(data);
  if (data.raw !== undefined && data.raw !== null && data.raw !== false && data.raw !== '' && rawValueBytes(data.raw) === undefined) {
    throw new MailguardError('EUSAGE', 'mailguard checks raw messages given as a string, a Buffer or a file path, not as a stream or URL.', { hint: 'Read the message into a Buffer first.' });
  }
  // In bcc mode the rewritten message is sent as decided, and with a body scan the body is what
  // is looked at (an invitation's attendees, a pasted list, an attachment): the whole message is
  // composed then, for whichever profile the sender turns out to have. Otherwise the header is.
  const wants = (p: Policy, m: string | undefined) => m === 'bcc' || Boolean(p.bodyScan);
  const whole = wants(policy, mode) || (profiles !== undefined && [profiles.default, ...profiles.list].some((p) => wants(p.policy, p.onViolation ?? mode)));
  if (whole) await bufferStreams(data);
  // As the transport will write it: with nodemailer's Bcc field where the transport keeps it.
  const composed = await compose(data, whole, writesBcc);
  // The one decision (src/decide) on the bytes nodemailer will write and the envelope it will use;
  // this adapter only carries it out. A raw message without envelope or addresses has none yet.
  const envelope = composed.envelope.rcptTo.length > 0 ? composed.envelope : undefined;
  // The sender's profile: the authenticated user, an explicit envelope sender, then From.
  const explicitFrom = typeof data.envelope === 'object' && data.envelope !== null ? (data.envelope as { from?: unknown }).from : undefined;
  const profile = profiles ? resolveProfile(profiles, messageIdentity(composed.bytes, { authUser, envelopeFrom: typeof explicitFrom === 'string' ? explicitFrom : undefined })) : undefined;
  if (profile) {
    policy = profile.policy;
    mode = profile.onViolation as PluginMode;
  }
  // The address options as written go to the decision too: nodemailer's repairs must not hide
  // what two programs would read differently.
  const writtenAs = rawValueBytes(data.raw) === undefined ? modelHeader(data) : undefined;
  const decideOptions = (): DecideOptions => {
    const o: DecideOptions = { onViolation: mode, source: 'sendMail' };
    if (envelope) o.envelope = envelope;
    if (writtenAs) o.writtenAs = writtenAs;
    return o;
  };
  const decision = decideDelivery(composed.bytes, policy, decideOptions());
  if (profile) decision.result.profile = profile.name;
  switch (decision.action) {
    case 'send': {
      if (composed.raw) {
        sendRawAsDecided(data, composed.bytes, [...decision.transactions()][0]!);
        return;
      }
      // nodemailer drops `bcc` but writes fields given in `headers` as they are: a Resent-Bcc
      // there would reach every recipient. When the decision's bytes differ from nodemailer's
      // (it stripped such a field), what is sent is what was decided, as raw bytes.
      // Content nodemailer reads when it sends (a file path, a URL) could differ the second time
      // (a URL fetched again, a file changed): the bytes checked are the bytes sent, as raw.
      if (whole && readsContentAtSend(data)) {
        await sendDecided(data, policy, mode, { decision, bytes: composed.bytes });
        return;
      }
      // A Bcc or Resent-Bcc field in what the transport writes (`headers`, or nodemailer's own
      // Bcc field where the transport keeps it) is stripped by the decision: its bytes differ.
      const [t] = [...decision.transactions()];
      if (t && t.bytes !== composed.bytes) {
        // The same edit on the data first: without the blind fields in `headers`, nodemailer
        // composes the message itself (as compose() did, its List-*, priority and X-Mailer fields
        // included), and what it writes then needs no edit, to the same recipients (a Bcc in
        // `headers` is in nodemailer's envelope). Otherwise the decided bytes go out as they are.
        const kept = withoutBlindHeaders(data.headers);
        if (kept !== undefined) {
          const edited = { ...data, headers: kept };
          const again = await compose(edited, whole, writesBcc);
          const redo = decideDelivery(again.bytes, policy, decideOptions());
          const [t2] = [...redo.transactions()];
          if (redo.action === 'send' && t2 !== undefined && t2.bytes === again.bytes && sameEnvelope(again.envelope, composed.envelope)) {
            data.headers = kept;
            return;
          }
        }
        await sendDecided(data, policy, mode, whole ? { decision, bytes: composed.bytes } : undefined);
      }
      return;
    }
    case 'rewrite': {
      // What goes out is exactly what was decided and checked: the rewritten bytes and envelope.
      const [t] = [...decision.transactions()];
      sendAsBytes(data, Buffer.from(t!.bytes), t!.envelope);
      return;
    }
    default:
      throw blockedError(decision, mode);
  }
}

/** The error a decision that sends nothing fails sendMail with. */
function blockedError(decision: DeliveryDecision, mode: PluginMode): ExposedRecipientsError {
  const blocking = decision.blocking.length > 0 ? decision.blocking : decision.result.findings.filter((f) => f.severity === 'error');
  return new ExposedRecipientsError(decision.result, blocking, decision.reason && decision.reason.code !== 'policy' ? `${describeDeliveryReason(decision.reason)}. ${blockedHint(mode)}` : blockedHint(mode));
}

/** `headers` (object or array form) without its Bcc and Resent-Bcc fields, or undefined when it has none. */
function withoutBlindHeaders(headers: unknown): unknown {
  const blind = (key: unknown) => typeof key === 'string' && (BLIND_FIELDS as readonly string[]).includes(key.trim().toLowerCase());
  if (Array.isArray(headers)) {
    const kept = headers.filter((h) => !(typeof h === 'object' && h !== null && blind((h as { key?: unknown }).key)));
    return kept.length === headers.length ? undefined : kept;
  }
  if (typeof headers !== 'object' || headers === null) return undefined;
  if (!Object.keys(headers).some(blind)) return undefined;
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !blind(k)));
}


/**
 * Sends the decision's bytes instead of letting nodemailer compose the message: `raw` becomes the
 * whole message as decided (composed whole here when only the header was), `envelope` its
 * transaction's. A decision made again on the whole message must still be `send`.
 */
async function sendDecided(data: MailData, policy: Policy, mode: PluginMode, whole: { decision: ReturnType<typeof decideDelivery>; bytes: Uint8Array } | undefined): Promise<void> {
  let decision = whole?.decision;
  if (!decision) {
    const full = await compose(data, true);
    decision = decideDelivery(full.bytes, policy, full.envelope.rcptTo.length > 0 ? { onViolation: mode, envelope: full.envelope, source: 'sendMail' } : { onViolation: mode, source: 'sendMail' });
    if (decision.action !== 'send') {
      const blocking = decision.blocking.length > 0 ? decision.blocking : decision.result.findings.filter((f) => f.severity === 'error');
      throw new ExposedRecipientsError(decision.result, blocking, blockedHint(mode));
    }
  }
  const [t] = [...decision.transactions()];
  sendAsBytes(data, Buffer.from(t!.bytes), t!.envelope, t!.bytes === whole?.bytes);
}

/**
 * The compiled message nodemailer's transports read: its envelope, and its bytes through
 * createReadStream (build() too); `keepBcc` is set by the transports that write nodemailer's own
 * Bcc field (sendmail, stream, JSON).
 */
interface CompiledMessage {
  getEnvelope(): { from?: string | false; to?: string[] };
  createReadStream(...args: unknown[]): Readable;
  keepBcc?: boolean;
}

function isCompiledMessage(v: unknown): v is CompiledMessage {
  return typeof v === 'object' && v !== null && typeof (v as CompiledMessage).createReadStream === 'function' && typeof (v as CompiledMessage).getEnvelope === 'function';
}

/** Decides the bytes and envelope a transport is about to send: an error stops them, undefined lets them go. */
type FinalCheck = (bytes: Uint8Array, envelope: Envelope, keepsBcc: boolean) => Error | undefined;

/**
 * What the compile-time check cannot see: compile plugins registered after mailguard's, and
 * 'stream' plugins, change `mail.data` or the compiled message (setHeader, a transform, a process
 * function) after the check, and nodemailer sends what they made. So every stream a transport reads
 * the message from (createReadStream, which build() uses too) is held whole and decided again, with
 * the envelope the transport uses, before its first byte goes on: a message that would not be sent
 * as it is fails sendMail (its stream errors; an SMTP transport never ends the DATA it opened).
 * A message nodemailer compiles in place of this one (a plugin that sets `mail.message`) is
 * watched the same way, and so is the data mail.normalize() hands a transport that composes the
 * message itself.
 */
function watchWhatIsSent(mail: { message?: unknown; normalize?: unknown }, check: FinalCheck): void {
  const watch = (message: unknown) => {
    if (!isCompiledMessage(message)) return;
    const create = message.createReadStream.bind(message);
    message.createReadStream = (...args: unknown[]) => {
      const chunks: Buffer[] = [];
      const held = new Transform({
        transform(chunk: Buffer | string, _encoding, done) {
          chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
          done();
        },
        flush(done) {
          const bytes = Buffer.concat(chunks);
          chunks.length = 0;
          let failed: Error | undefined;
          try {
            const e = message.getEnvelope();
            failed = check(bytes, { mailFrom: typeof e.from === 'string' ? e.from : '', rcptTo: [...(e.to ?? [])] }, message.keepBcc === true);
          } catch (err) {
            failed = err instanceof Error ? err : new MailguardError('EUSAGE', `mailguard could not check this message: ${String(err)} was thrown.`);
          }
          if (failed) done(failed);
          else done(null, bytes);
        },
      });
      // The source's errors reach the stream the transport reads (pipeline destroys every stage).
      return pipeline(create(...args), held, () => {});
    };
  };
  let current = mail.message;
  watch(current);
  Object.defineProperty(mail, 'message', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set(value: unknown) {
      current = value;
      watch(value);
    },
  });
  // Transports that compose the message themselves (nodemailer's JSON transport, HTTP API
  // transports) read no stream: they take mail.normalize()'s data, the fields as plugins after
  // mailguard left them (its address fields read from the compiled message). That data is
  // composed as nodemailer writes it and decided the same way before the transport gets it.
  const normalize = mail.normalize;
  if (typeof normalize !== 'function') return;
  mail.normalize = (callback: (err: Error | null, data?: Record<string, unknown>) => void) =>
    normalize.call(mail, (err: Error | null, data: Record<string, unknown>) => {
      if (err) return callback(err);
      composeLikeNodemailer({ ...data }, { headersOnly: false }).then(
        (composed) => {
          let failed: Error | undefined;
          try {
            failed = check(composed.bytes, composed.envelope, false);
          } catch (e) {
            failed = e instanceof Error ? e : new MailguardError('EUSAGE', `mailguard could not check this message: ${String(e)} was thrown.`);
          }
          if (failed) callback(failed);
          else callback(null, data);
        },
        (e: unknown) => callback(e instanceof Error ? e : new MailguardError('EUSAGE', `mailguard could not check this message: ${String(e)} was thrown.`)),
      );
    });
}

/** The same recipients, compared as envelope addresses (order and spelling of case aside). */
function sameRecipients(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a.map(envelopeKey));
  const y = new Set(b.map(envelopeKey));
  return x.size === y.size && [...x].every((r) => y.has(r));
}

/**
 * The final check: the decision made again on what the transport sends, for the sender's profile
 * as those bytes and that envelope show it. Only `send` of these very bytes to these recipients
 * lets them go; a decision that would block, refuse, rewrite, or strip a field (a Bcc or
 * Resent-Bcc a later plugin wrote) stops them. The stream and JSON transports keep nodemailer's
 * own Bcc field (keepBcc) and hand the message back, so a stripped Bcc field alone is not a
 * difference there; a Resent-Bcc is (nodemailer has none of its own), and so is any Bcc field
 * the Sendmail transport would deliver (`deliversBcc`: sendmail without -t leaves it for every
 * recipient to read under Exim and Courier; the compile-time check never lets one reach it).
 */
function finalCheck(policy: Policy, mode: PluginMode, profiles: Profiles | undefined, authUser: string | undefined, deliversBcc: boolean): FinalCheck {
  return (bytes, envelope, keepsBcc) => {
    const profile = profiles ? resolveProfile(profiles, messageIdentity(bytes, { authUser, envelopeFrom: envelope.mailFrom })) : undefined;
    const p = profile?.policy ?? policy;
    const m = (profile?.onViolation ?? mode) as PluginMode;
    const options: DecideOptions = { onViolation: m, source: 'sendMail' };
    if (envelope.rcptTo.length > 0) options.envelope = envelope;
    const decision = decideDelivery(bytes, p, options);
    if (profile) decision.result.profile = profile.name;
    if (decision.action !== 'send') return blockedError(decision, m);
    const [t] = [...decision.transactions()];
    const bccByDesign = keepsBcc && !deliversBcc && !readHeaderBlock(bytes).fields.some((f) => f.key === 'resent-bcc');
    if (t !== undefined && (t.bytes === bytes || bccByDesign) && sameRecipients(t.envelope.rcptTo, envelope.rcptTo)) return undefined;
    return new MailguardError('EUSAGE', 'mailguard stopped this message: what nodemailer was about to send is not what mailguard decided to send (a plugin after mailguard changed its recipients or wrote a Bcc or Resent-Bcc field).', {
      hint: "Register mailguard with transporter.use('compile', mailguard(...)) after every other compile plugin, and let no 'stream' plugin change recipients.",
    });
  };
}

/**
 * nodemailer's plugin signature: `(mail, callback)`, where `mail.data` holds the sendMail options;
 * `mail.message` is the compiled message once nodemailer built it (a 'stream' plugin sees it).
 */
export type CompilePlugin = (mail: { data: MailData; mailer?: unknown; message?: unknown }, callback: (err?: Error | null) => void) => void;

/** The user name of nodemailer auth settings (`{ user }`), if any. */
function userOf(auth: unknown): string | undefined {
  const user = typeof auth === 'object' && auth !== null ? (auth as { user?: unknown }).user : undefined;
  return typeof user === 'string' && user !== '' ? user : undefined;
}

/**
 * The plugin's policy reads the body as `mailguard check` does (an invitation's attendees, a
 * pasted list, a spreadsheet attached): every other adapter decides with the scan on, and the same
 * settings must give the same decision. `bodyScan: false` turns it off; settings given are kept.
 */
function withDefaultBodyScan(given: PluginPolicy | undefined): Partial<Policy> {
  // Validated as createPolicy validates it (its keys read once, none inherited), named as given.
  const { bodyScan, ...rest } = given === undefined ? {} : (parsePolicyGiven(given, 'mailguard({ policy })') as PluginPolicy);
  if (bodyScan === false) return rest;
  return { ...rest, bodyScan: bodyScan ?? { minAddresses: DEFAULT_BODY_MIN_ADDRESSES, maxPartBytes: DEFAULT_MAX_PART_BYTES } };
}

/**
 * The plugin's options, checked as the configuration's sections are: an unknown (misspelt) option
 * is refused, not ignored. `policy`, `onViolation` and `profiles` are checked below, each with
 * its own wording; an option left undefined is not given (its default: block, no profiles).
 */
const PLUGIN_OPTION_KEYS: Record<string, KeyCheck> = {
  policy: () => undefined,
  onViolation: () => undefined,
  profiles: () => undefined,
  authUser: (v, k, w) => (typeof v === 'function' ? undefined : checks.string(v, k, w)),
};

/** Checks the plugin's options (a plain object of known options); throws ECONFIG naming the option. */
function checkPluginOptions(options: unknown): void {
  checks.object(options, 'options', 'mailguard(options)');
  parseSection(Object.fromEntries(Object.entries(options as object).filter(([, v]) => v !== undefined)), '', PLUGIN_OPTION_KEYS, 'mailguard(options)');
}

/** A nodemailer 'compile' plugin: `transporter.use('compile', mailguard({ policy, onViolation }))`. */
export function mailguard(options: MailguardPluginOptions = {}): CompilePlugin {
  // Options given in code are a usage error (EUSAGE) when wrong, as the profiles' are; refused when
  // the plugin is made, never at send time.
  let partial: Partial<Policy>;
  let policy: Policy;
  try {
    checkPluginOptions(options);
    partial = options.policy && isResolvedPolicy(options.policy) ? options.policy : withDefaultBodyScan(options.policy);
    policy = isResolvedPolicy(partial) ? partial : createPolicy(partial);
  } catch (err) {
    if (err instanceof MailguardError) throw new MailguardError('EUSAGE', err.message, err.hint !== undefined ? { hint: err.hint } : {});
    throw err;
  }
  const mode = options.onViolation ?? 'block';
  if (!isOnViolation(mode)) throw new MailguardError('EUSAGE', `onViolation must be one of ${ADAPTER_MODES.plugin.map((m) => `"${m}"`).join(', ')} (got ${JSON.stringify(mode)}).`);
  // Refused when the plugin is made, never at send time (split: one sendMail is one message).
  try {
    assertOnViolation(mode, policy, { name: 'the nodemailer plugin', modes: ADAPTER_MODES.plugin });
  } catch (err) {
    if (err instanceof MailguardError) throw new MailguardError('EUSAGE', err.message, err.hint !== undefined ? { hint: err.hint } : {});
    throw err;
  }
  let profiles: Profiles | undefined;
  if (options.profiles !== undefined) {
    try {
      const config = parseConfig({ profiles: options.profiles }, 'mailguard({ profiles })');
      const built = buildProfiles(policy, partial, config.profiles ?? [], 'mailguard({ profiles })');
      profiles = bindOnViolation(built, (own) => own ?? mode);
      for (const p of profiles.list) assertOnViolation(p.onViolation!, p.policy, { name: `the nodemailer plugin (profile "${p.name}")`, modes: ADAPTER_MODES.plugin });
    } catch (err) {
      if (err instanceof MailguardError) throw new MailguardError('EUSAGE', err.message, err.hint !== undefined ? { hint: err.hint } : {});
      throw err;
    }
  }
  return (mail, callback) => {
    // Registered as a 'stream' plugin it runs after nodemailer compiled mail.data into the message
    // it sends: a rewrite or a stripped Bcc field written into mail.data then changes nothing, and
    // the check reads the data, not that message. Every sendMail fails instead (fail closed).
    if (mail.message !== undefined && mail.message !== null) {
      callback(
        new MailguardError('EUSAGE', "mailguard runs as a 'compile' plugin: here nodemailer had already built the message, so what it sends could not be checked or changed.", {
          hint: "Register it with transporter.use('compile', mailguard(...)), after any other compile plugin.",
        }),
      );
      return;
    }
    // Whatever goes wrong fails this sendMail through its callback: a throw here (the caller's
    // authUser function) would escape nodemailer's plugin chain, and a rejection that is no Error
    // (undefined) would read as "passed".
    const fail = (err: unknown) => callback(err instanceof Error ? err : new MailguardError('EUSAGE', `mailguard could not check this message: ${String(err)} was thrown.`));
    let checked: Promise<void>;
    try {
      const given = typeof options.authUser === 'function' ? options.authUser(mail.data) : options.authUser;
      // The function's answer chooses the profile: anything but a user name (or undefined, none)
      // is a mistake in the caller's code, said plainly rather than as a TypeError deep inside.
      if (given !== undefined && typeof given !== 'string') {
        throw new MailguardError('EUSAGE', `mailguard's authUser function returned ${given === null ? 'null' : Array.isArray(given) ? 'an array' : `${typeof given === 'object' ? 'an' : 'a'} ${typeof given}`}, not a user name.`, { hint: 'Return the sending user as a string, or undefined when there is none.' });
      }
      // nodemailer's Mail: `transporter.auth` (SMTP) and `options.auth`, read loosely (other transports have neither).
      const mailer = (mail.mailer ?? {}) as { transporter?: { auth?: unknown }; options?: { auth?: unknown } };
      const authUser = given ?? userOf(mail.data.auth) ?? userOf(mailer.transporter?.auth) ?? userOf(mailer.options?.auth);
      const writesBcc = transportWritesBcc(mail.mailer);
      checked = guardMailData(mail.data, policy, mode, profiles, authUser, writesBcc).then(() => watchWhatIsSent(mail, finalCheck(policy, mode, profiles, authUser, writesBcc)));
    } catch (err) {
      fail(err);
      return;
    }
    checked.then(() => callback(), fail);
  };
}

export default mailguard;
