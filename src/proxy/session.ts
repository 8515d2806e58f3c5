// One client session of the SMTP proxy: its transactions (MAIL, RCPT, DATA), the check, the
// relaying of the decided parts and the reply. The listener (server.ts) admits and closes
// sessions; this file does the work inside one, as smtp-server separates its server from its
// connections.
//
// The reply follows what the upstream did, never what it might still do: once the final dot has
// gone upstream the session waits for the upstream's answer (UPSTREAM_DATA_DONE_TIMEOUT_MS),
// and shutdown does not cut it. A split's copies go out one at a time; copies the upstream
// accepted are remembered (delivered-copies.ts), so a failure part-way is a 4xx whose retry
// delivers only the rest.

import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { sameEnvelope, type Envelope } from '../message/envelope.js';
import type { Profiles } from '../policy/profiles.js';
import { DataGuard } from './data-guard.js';
import type { DeliveredCopies } from './delivered-copies.js';
import { decideMessage, type Decision, type RelayPart } from './decide.js';
import { MAX_LOGGED_RECIPIENTS } from './limits.js';
import { REPLIES, replyLine, upstreamReply, type SmtpReply } from './replies.js';
import type { PreparedRelay, UpstreamClient, UpstreamOutcome } from './upstream.js';
import { logTime as now } from '../report/log-time.js';

export interface TransactionEvent {
  event: 'transaction';
  time: string;
  session: string;
  client: string;
  user?: string;
  /** The profile whose policy and mode applied (configuration `profiles`; `default` the top level). */
  profile?: string;
  from: string;
  recipients: number;
  to: string[];
  size: number;
  verdict: string;
  findings: string[];
  action: 'relayed' | 'rewritten-bcc' | 'split' | 'blocked' | 'rejected' | 'deferred' | 'refused-upstream' | 'aborted' | 'outcome-unknown';
  reply: string;
  upstream?: string;
  parts?: number;
  /** Split: copies the upstream accepted in this transaction, and copies skipped because an
   * earlier attempt delivered them. */
  delivered?: number;
  alreadyDelivered?: number;
  durationMs: number;
}

/** Bytes of messages held at once across sessions. */
export interface ByteBudget {
  readonly used: number;
  readonly max: number;
  take(n: number): boolean;
  give(n: number): void;
}

export function createByteBudget(max: number): ByteBudget {
  let used = 0;
  return {
    get used() {
      return used;
    },
    max,
    take(n) {
      if (used + n > max) return false;
      used += n;
      return true;
    },
    give(n) {
      used = Math.max(0, used - n);
    },
  };
}

/** What every session shares: settings, the upstream client, the memory of split copies. */
export interface SessionContext {
  /** The profiles, each with its policy (ALWAYS_BLOCK applied) and mode. */
  profiles: Profiles;
  maxMessageBytes: number;
  maxHeaderBytes: number;
  maxRecipients: number;
  upstreamClient: UpstreamClient;
  budget: ByteBudget;
  delivered: DeliveredCopies;
  /** Records what a relay attempt said about the upstream's health. */
  noteUpstream(outcome: UpstreamOutcome): void;
  /** The shutdown grace is over: start no further split copy. */
  graceOver(): boolean;
  mask(address: string): string;
  log(event: TransactionEvent): void;
  warn(message: string): void;
}

/** The state of one client connection the listener needs (idle or not, cut-able or not). */
export class ProxySession {
  readonly id: string;
  readonly remoteAddress: string;
  /** When the session last became idle (no transaction open); undefined inside a transaction. */
  idleSince: number | undefined;
  /** Receiving DATA from the client. */
  receiving = false;
  /** Between the end of DATA and the reply (checking, relaying). */
  busy = false;
  /** Message data of this session went upstream and its reply is awaited: never cut. */
  committed = false;
  /** The client's connection closed: a message of its that has not gone upstream is withdrawn
   * (the client never hears the reply and retries), and no further split copy is started. */
  clientGone = false;
  /** A reply to send and close with once the transaction in progress is answered. */
  closeAfterReply: SmtpReply | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  sessionTimer: NodeJS.Timeout | undefined;

  constructor(id: string, remoteAddress: string, now: number) {
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.idleSince = now;
  }

  /** Not inside a transaction: may be closed to make room. */
  get idle(): boolean {
    return this.idleSince !== undefined && !this.receiving && !this.busy;
  }

  clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.sessionTimer) clearTimeout(this.sessionTimer);
    this.idleTimer = undefined;
    this.sessionTimer = undefined;
  }
}

interface Handled {
  verdict: string;
  findings: string[];
  action: TransactionEvent['action'];
  /** The reply sent, or what happened instead when none was. */
  reply: SmtpReply | string;
  upstream?: string;
  parts?: number;
  delivered?: number;
  alreadyDelivered?: number;
  profile?: string;
}


function smtpError(r: SmtpReply): Error {
  return Object.assign(new Error(r.text), { responseCode: r.code });
}

function describeOutcome(o: UpstreamOutcome): string {
  if (o.kind === 'unreachable') return `${o.timedOut ? 'timed out' : 'unreachable'}: ${o.reason}`;
  if (o.kind === 'unknown') return `outcome unknown: ${o.reason}`;
  if (o.kind === 'withdrawn') return `withdrawn: ${o.reason}`;
  return `${o.code} ${o.response}`.replace(/^(\d{3}) \1 /, '$1 ');
}

/** The client declared SMTPUTF8 at MAIL FROM (this transaction's, not an earlier one's). */
function declaredSmtpUtf8(smtpSession: SMTPServerSession): boolean {
  const args = smtpSession.envelope.mailFrom ? (smtpSession.envelope.mailFrom.args as Record<string, unknown> | false) : false;
  return !!args && args['SMTPUTF8'] === true;
}

/** The SIZE a client declared at MAIL FROM, if any. */
function declaredSize(address: SMTPServerAddress): number | undefined {
  const args = address.args as Record<string, unknown> | false | undefined;
  const size = args ? args['SIZE'] : undefined;
  const n = typeof size === 'string' ? Number(size) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Relays the parts of a decision one at a time (the decision may produce them lazily) and picks
 * the reply from what the upstream did. `original` is the message as the client sent it (the
 * key of the split memory).
 */

/**
 * The upstream transaction opened while the client sends its message (UpstreamClient.prepare),
 * for a message the client declared 7-bit without SMTPUTF8: those are relayed with the envelope
 * as the client gave it unless the decision rewrites or splits them. 8-bit ones would need
 * BODY=8BITMIME, which MAIL FROM carries before the bytes are known.
 */
function prepareUpstream(ctx: SessionContext, smtpSession: SMTPServerSession, envelope: Envelope): PreparedRelay | undefined {
  const mailFrom = smtpSession.envelope.mailFrom;
  if (!mailFrom || envelope.rcptTo.length === 0) return undefined;
  const args = mailFrom.args as Record<string, unknown> | false | undefined;
  if (args && (args['SMTPUTF8'] !== undefined || (typeof args['BODY'] === 'string' && args['BODY'].toUpperCase() !== '7BIT'))) return undefined;
  const size = declaredSize(mailFrom);
  return ctx.upstreamClient.prepare(envelope, size !== undefined ? { size } : {});
}

async function relayParts(ctx: SessionContext, session: ProxySession, decision: Extract<Decision, { kind: 'relay' }>, envelope: Envelope, original: Uint8Array, smtpUtf8: boolean, prepared: PreparedRelay | undefined): Promise<Handled> {
  const split = decision.action === 'split';
  const key = split ? ctx.delivered.keyOf(original, envelope.mailFrom) : undefined;
  const codes = decision.findings.map((f) => f.code);
  const total = decision.partCount;
  let deliveredNow = 0;
  let alreadyDelivered = 0;
  let stopped: UpstreamOutcome | SmtpReply | undefined;
  let permanent: UpstreamOutcome | undefined;
  let last: UpstreamOutcome | undefined;
  const parts: Iterable<RelayPart> = decision.parts;
  /** Every recipient of the split's copies, for forgetting them once all went out. */
  const recipients: string[] = [];
  // Copies are made one at a time as the loop asks for them (decideDelivery's transactions()).
  for (const part of parts) {
    let rcptTo = part.envelope.rcptTo;
    if (key !== undefined) {
      recipients.push(...rcptTo);
      rcptTo = rcptTo.filter((r) => !ctx.delivered.has(key, r));
      if (rcptTo.length === 0) {
        alreadyDelivered++;
        continue;
      }
    }
    if (split && ctx.graceOver()) {
      stopped = REPLIES.shuttingDown();
      break;
    }
    if (session.clientGone) {
      stopped = { kind: 'withdrawn', reason: 'the client disconnected before the message went upstream' };
      break;
    }
    const hooks = {
      onDataSent: () => {
        session.committed = true;
      },
      withdraw: () => session.clientGone,
      smtpUtf8,
    };
    const partEnvelope = { mailFrom: part.envelope.mailFrom, rcptTo };
    // The transaction opened during DATA carries the message when the decision kept its envelope.
    const ahead = prepared && !split && sameEnvelope(prepared.envelope, partEnvelope) ? prepared : undefined;
    if (!ahead) prepared?.cancel('the decision changed the envelope');
    prepared = undefined;
    const outcome = ahead ? await ahead.relay(part.bytes, hooks) : await ctx.upstreamClient.relay(partEnvelope, part.bytes, hooks);
    session.committed = false;
    last = outcome;
    ctx.noteUpstream(outcome);
    if (outcome.kind === 'accepted') {
      deliveredNow++;
      if (key !== undefined) ctx.delivered.add(key, rcptTo);
      continue;
    }
    if (outcome.kind === 'unknown') ctx.warn(`outcome unknown: the upstream connection was lost after the message data (${outcome.reason}); the client is told 451 and its retry may deliver a second copy`);
    // A split copy refused for good: the other recipients still get theirs.
    if (split && outcome.kind === 'refused' && outcome.code >= 500 && outcome.stage !== 'auth' && outcome.stage !== 'other') {
      permanent ??= outcome;
      continue;
    }
    stopped = outcome;
    break;
  }

  const handled = (reply: SmtpReply, action: TransactionEvent['action']): Handled => {
    const h: Handled = { verdict: decision.verdict, findings: codes, action, reply };
    if (last) h.upstream = describeOutcome(last);
    if (split) {
      h.parts = total;
      h.delivered = deliveredNow;
      if (alreadyDelivered > 0) h.alreadyDelivered = alreadyDelivered;
    }
    return h;
  };
  const failure = stopped ?? permanent;
  if (!failure) {
    if (!split) return handled(upstreamReply(last!, envelope.rcptTo.length), decision.action);
    // Every copy is out and the client hears 250: this message is done, and the same bytes sent
    // again are a new message (delivered-copies.ts).
    if (key !== undefined) ctx.delivered.forget(key, recipients);
    const text = `2.0.0 Ok: relayed ${total} split copies${alreadyDelivered > 0 ? ` (${alreadyDelivered} delivered by an earlier attempt)` : ''}`;
    return handled({ code: 250, text: last ? `${text} (upstream: ${describeOutcome(last)})`.slice(0, 400) : text }, decision.action);
  }
  if ('kind' in failure && failure.kind === 'withdrawn') {
    // Nobody hears a reply; the log says what went out (a split's delivered copies are remembered
    // for the client's retry).
    const h = handled(REPLIES.internalError(), 'aborted');
    const sent = deliveredNow + alreadyDelivered;
    h.reply = `client disconnected before the message went upstream${split ? `; ${sent} of ${total} split copies delivered` : ''}; nothing more was relayed`;
    return h;
  }
  const failureReply = 'code' in failure && !('kind' in failure) ? failure : upstreamReply(failure as UpstreamOutcome, envelope.rcptTo.length);
  const unknown = 'kind' in failure && failure.kind === 'unknown';
  const action: TransactionEvent['action'] = unknown ? 'outcome-unknown' : failureReply.code < 500 ? 'deferred' : 'refused-upstream';
  if (deliveredNow + alreadyDelivered === 0) return handled(failureReply, action);
  // Part of a split went out and cannot be recalled: 4xx (never 5xx, the message was partly
  // delivered), and the memory makes the retry send only the copies not yet delivered.
  return handled(REPLIES.splitDeferred(deliveredNow + alreadyDelivered, total, failureReply, unknown), action);
}

async function handleMessage(ctx: SessionContext, session: ProxySession, guard: DataGuard, envelope: Envelope, authUser: string | undefined, smtpUtf8: boolean, prepared: PreparedRelay | undefined): Promise<Handled> {
  if (guard.dropped && !guard.oversized) return { verdict: 'unchecked', findings: [], action: 'deferred', reply: REPLIES.tooBusy() };
  const options: Parameters<typeof decideMessage>[2] = { profiles: ctx.profiles, maxHeaderBytes: ctx.maxHeaderBytes };
  if (authUser !== undefined) options.authUser = authUser;
  const decision = decideMessage(guard, envelope, options);
  if (decision.kind === 'reject') {
    const h: Handled = { verdict: decision.verdict, findings: decision.findings.map((f) => f.code), action: decision.action, reply: decision.reply };
    if (decision.profile !== undefined) h.profile = decision.profile;
    return h;
  }
  return { ...(await relayParts(ctx, session, decision, envelope, guard.message()!, smtpUtf8, prepared)), profile: decision.profile };
}

export type { Handled };

export function logTransaction(ctx: SessionContext, smtpSession: SMTPServerSession, envelope: Envelope, size: number, started: number, h: Handled): void {
  const event: TransactionEvent = {
    event: 'transaction',
    time: now(),
    session: smtpSession.id,
    client: smtpSession.remoteAddress,
    from: ctx.mask(envelope.mailFrom),
    recipients: envelope.rcptTo.length,
    to: envelope.rcptTo.slice(0, MAX_LOGGED_RECIPIENTS).map(ctx.mask),
    size,
    verdict: h.verdict,
    findings: h.findings,
    action: h.action,
    reply: typeof h.reply === 'string' ? h.reply : replyLine(h.reply),
    durationMs: Date.now() - started,
  };
  const user = smtpSession.user as unknown;
  if (typeof user === 'string') event.user = user;
  if (h.profile !== undefined) event.profile = h.profile;
  if (h.upstream !== undefined) event.upstream = h.upstream;
  if (h.parts !== undefined) event.parts = h.parts;
  if (h.delivered !== undefined) event.delivered = h.delivered;
  if (h.alreadyDelivered !== undefined) event.alreadyDelivered = h.alreadyDelivered;
  ctx.log(event);
}

/**
 * The MAIL FROM parameters the proxy carries out: SIZE (checked here), BODY (the upstream is told
 * 8BITMIME from the bytes themselves), SMTPUTF8 (advertised), AUTH (RFC 4954: informational, may
 * be ignored). Anything else the upstream would never see: DSN's RET and ENVID (DSN is not
 * advertised), REQUIRETLS (the upstream hop may be clear text), a client's own extensions.
 */
const MAIL_PARAMETERS_CARRIED = new Set(['SIZE', 'BODY', 'SMTPUTF8', 'AUTH']);
/** RCPT TO: none; DSN's NOTIFY and ORCPT are not advertised and would not reach the upstream. */
const RCPT_PARAMETERS_CARRIED = new Set<string>();

/** The first parameter of MAIL FROM or RCPT TO the proxy would not carry out, if any. Accepting
 * one (250) tells the client it is honoured: NOTIFY=SUCCESS that asks for a receipt that never
 * comes, REQUIRETLS relayed over a clear-text hop (RFC 5321 4.1.1.11: 555 instead). */
function parameterNotCarried(address: SMTPServerAddress, carried: ReadonlySet<string>): string | undefined {
  const args = address.args as Record<string, unknown> | false | undefined;
  if (!args) return undefined;
  return Object.keys(args).find((name) => !carried.has(name.toUpperCase()));
}

/** MAIL FROM: a parameter the proxy cannot carry is refused (555); a declared SIZE that does not
 * fit in the in-flight budget is deferred at once. */
export function checkMailFrom(ctx: SessionContext, address: SMTPServerAddress): SmtpReply | undefined {
  const unsupported = parameterNotCarried(address, MAIL_PARAMETERS_CARRIED);
  if (unsupported !== undefined) return REPLIES.parameterNotSupported('MAIL FROM', unsupported);
  const size = declaredSize(address);
  if (size !== undefined && size <= ctx.maxMessageBytes && ctx.budget.used + size > ctx.budget.max) return REPLIES.tooBusy();
  return undefined;
}

export function checkRcptTo(ctx: SessionContext, address: SMTPServerAddress, smtpSession: SMTPServerSession): SmtpReply | undefined {
  const unsupported = parameterNotCarried(address, RCPT_PARAMETERS_CARRIED);
  if (unsupported !== undefined) return REPLIES.parameterNotSupported('RCPT TO', unsupported);
  if (smtpSession.envelope.rcptTo.length >= ctx.maxRecipients) return REPLIES.tooManyRecipients(ctx.maxRecipients);
  return undefined;
}

/**
 * DATA: watches the bytes (size, bare line ends, the in-flight budget), then checks, relays and
 * answers. `respond` sends the reply (the listener decides what happens to the connection after).
 */
export function receiveData(ctx: SessionContext, session: ProxySession, stream: SMTPServerDataStream, smtpSession: SMTPServerSession, respond: (reply: SmtpReply) => void): void {
  const started = Date.now();
  session.receiving = true;
  const declared = smtpSession.envelope.mailFrom ? declaredSize(smtpSession.envelope.mailFrom) : undefined;
  const guard = new DataGuard(ctx.maxMessageBytes, declared);
  const envelope: Envelope = {
    mailFrom: smtpSession.envelope.mailFrom ? smtpSession.envelope.mailFrom.address : '',
    rcptTo: smtpSession.envelope.rcptTo.map((r) => r.address),
  };
  // Opened now, used after the check if the message goes as the client sent it (relayParts);
  // dropped otherwise, before any byte of the message went upstream.
  const prepared = prepareUpstream(ctx, smtpSession, envelope);
  let held = 0;
  const giveBack = () => {
    ctx.budget.give(held);
    held = 0;
  };
  let ended = false;
  stream.on('data', (chunk: Buffer) => {
    guard.push(chunk);
    if (guard.dropped || guard.oversized) return;
    // Each byte held counts once, from arrival to the reply; past the budget the message is
    // dropped (and answered 452 at its end), not buffered.
    if (ctx.budget.take(chunk.length)) held += chunk.length;
    else {
      guard.drop();
      giveBack();
    }
  });
  stream.on('error', () => {
    // The client went away mid-message: nothing to answer, nothing relayed.
    if (ended) return;
    ended = true;
    session.receiving = false;
    prepared?.cancel('the client disconnected during DATA');
    guard.release();
    giveBack();
    logTransaction(ctx, smtpSession, envelope, guard.bytes, started, { verdict: 'incomplete', findings: [], action: 'aborted', reply: 'client disconnected during DATA' });
  });
  stream.on('end', () => {
    if (ended) return;
    ended = true;
    session.receiving = false;
    session.busy = true;
    // Bytes past the size limit were not kept: give their budget back now.
    if (guard.oversized) giveBack();
    handleMessage(ctx, session, guard, envelope, typeof smtpSession.user === 'string' ? smtpSession.user : undefined, declaredSmtpUtf8(smtpSession), prepared)
      .catch((): Handled => ({ verdict: 'error', findings: [], action: 'deferred', reply: REPLIES.internalError() }))
      .then((done) => {
        // Not used (rejected, blocked, an error): dropped, nothing of the message went upstream.
        prepared?.cancel('the message was not relayed as sent');
        guard.release();
        giveBack();
        logTransaction(ctx, smtpSession, envelope, guard.bytes, started, done);
        respond(typeof done.reply === 'string' ? REPLIES.internalError() : done.reply);
      });
  });
}

export { smtpError };
