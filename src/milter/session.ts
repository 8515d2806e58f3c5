// One MTA connection: negotiates, collects each message (envelope, header fields, body when the
// policy reads bodies) within the limits, and answers at end of body with the decision. Pure: a
// command in, the replies to write out (the server does the I/O, timers and logging).

import { CONTINUED_HEADER_MAX_BYTES, firstParagraphEnd } from '../decide/index.js';
import type { Envelope } from '../message/envelope.js';
import { createPolicy, type Policy } from '../policy/policy.js';
import { bindOnViolation, createProfiles, type Profiles } from '../policy/profiles.js';
import { REPLIES, type SmtpReply } from '../proxy/replies.js';
import { MILTER_PROTOCOL_VERSION, SMFIF, SMFIM, SMFIP, type MilterCommand, type MilterReply } from './codec.js';
import { answerMessage, type MilterViolationAction } from './decide.js';
import { headerBytes, type MilterField } from './header-edits.js';
import { MILTER_MAX_BODY_BYTES, MILTER_MAX_HEADER_BYTES, MILTER_MAX_HEADER_FIELDS, MILTER_MAX_RECIPIENTS } from './limits.js';

export interface SessionOptions {
  /** The profiles, each with its policy and mode (src/policy/profiles.ts); without, `policy` and `onViolation` alone. */
  profiles?: Profiles;
  policy?: Policy;
  onViolation?: MilterViolationAction;
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
  maxRecipients?: number;
  /**
   * How the MTA reaches us. Over a unix socket the milter asks for no reply before the end of the
   * message (and for no HELO, DATA or unknown-command events at all); over TCP it answers every
   * envelope step (see ENVELOPE_STEPS_UNANSWERED for why). Default 'inet'.
   */
  transport?: 'inet' | 'unix';
}

/** What one message came to, for the log line. */
export interface MessageOutcome {
  queueId?: string;
  from: string;
  to: string[];
  recipients: number;
  size: number;
  verdict: string;
  findings: string[];
  action: 'accepted' | 'sent-despite' | 'rewritten-bcc' | 'held' | 'blocked' | 'rejected' | 'tempfailed';
  reply: string;
  edits: number;
  error?: string;
  durationMs: number;
  /** The profile whose policy and mode applied (not set when the message was not decided). */
  profile?: string;
}

export interface StepResult {
  replies: MilterReply[];
  /** The MTA said QUIT: close the connection. */
  close?: boolean;
  /** A message was answered. */
  message?: MessageOutcome;
}

/** Actions asked for: header changes for bcc (and removing Bcc fields), quarantine for hold. */
const WANTED_ACTIONS = SMFIF.ADDHDRS | SMFIF.CHGHDRS | SMFIF.QUARANTINE;

/**
 * Header values with their leading white space (exact bytes), and no reply per header field, to
 * the end of the header or per body chunk: those packets reach us in one burst, flushed together
 * with the end-of-body packet that does want a reply. Every other step is answered (continue), even though the answer
 * carries no information: a packet that wants no reply and is followed by a pause (skipping DATA
 * or HELO still sends their macros; no reply to RCPT before the client's DATA) leaves Postfix's
 * next write behind Nagle's algorithm and our delayed ACK, about 40 ms per message (measured on
 * Postfix 3.7: +45 ms median with SMFIP_NODATA, +1 ms with this set).
 */
const WANTED_PROTOCOL = SMFIP.NR_HDR | SMFIP.NR_EOH | SMFIP.NR_BODY | SMFIP.HDR_LEADSPC;

/**
 * Over a unix socket, also no reply to connect, MAIL and RCPT, and no HELO, DATA or unknown-command
 * events (unused): Postfix then waits for the milter once per message (end of body) instead of at
 * every envelope step. A unix socket has no Nagle's algorithm, so the unanswered packets cost
 * nothing; over TCP they do (above), which Postfix's side of the socket decides, not ours.
 * Measured with bench scenario 9 (Postfix 3.7, 2 cores): milter wake-ups per message from about 5
 * to 2, and its CPU per message down by a third (BENCHMARKS.md).
 */
const ENVELOPE_STEPS_UNANSWERED = SMFIP.NR_CONN | SMFIP.NR_MAIL | SMFIP.NR_RCPT | SMFIP.NOHELO | SMFIP.NODATA | SMFIP.NOUNKNOWN;

/**
 * The macros read, each at the one stage it is read (SMFIF_SETSYMLIST, protocol version 6): the
 * SMTP AUTH user at MAIL (profiles) and the queue id at end of message (the log line; Postfix
 * has it from DATA on). Every other stage asks for a name no MTA defines, so nothing is sent:
 * Postfix treats an empty list as "use main.cf's list" (milter.c MILTER_MACRO_EVAL), and by
 * default that sends the queue id again before every header field and the envelope's
 * {rcpt_addr} {rcpt_host} {rcpt_mailer} before every RCPT. Postfix still sends one MACRO packet
 * per event, only empty (milter8.c); the session reads macros wherever they come, so an MTA that
 * ignores the lists (sends its defaults) changes nothing but the bytes.
 */
const NO_MACRO = '{mailguard_none}';
const WANTED_MACROS: ReadonlyArray<[stage: number, names: string]> = [
  [SMFIM.CONNECT, NO_MACRO],
  [SMFIM.HELO, NO_MACRO],
  [SMFIM.ENVFROM, '{auth_authen}'],
  [SMFIM.ENVRCPT, NO_MACRO],
  [SMFIM.DATA, NO_MACRO],
  [SMFIM.EOH, NO_MACRO],
  [SMFIM.EOM, 'i'],
];

const NO_REPLY_FLAG: Partial<Record<MilterCommand['kind'], number>> = {
  connect: SMFIP.NR_CONN,
  helo: SMFIP.NR_HELO,
  mail: SMFIP.NR_MAIL,
  rcpt: SMFIP.NR_RCPT,
  data: SMFIP.NR_DATA,
  unknown: SMFIP.NR_UNKN,
  header: SMFIP.NR_HDR,
  eoh: SMFIP.NR_EOH,
  body: SMFIP.NR_BODY,
};

function unbracket(address: string): string {
  const a = address.trim();
  return a.startsWith('<') && a.endsWith('>') ? a.slice(1, -1) : a;
}

export class MilterSession {
  /** Negotiated protocol and actions (0 before OPTNEG). */
  protocol = 0;
  actions = 0;
  client = '';
  private readonly readBody: boolean;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private readonly maxRecipients: number;
  private readonly transport: 'inet' | 'unix';

  // The message in progress.
  private readonly profiles: Profiles;
  private mailFrom: string | undefined;
  /** The SMTP AUTH user of the message in progress ({auth_authen}). */
  private authUser: string | undefined;
  private rcptTo: string[] = [];
  private rcptCount = 0;
  private fields: MilterField[] = [];
  private headerSize = 0;
  private body: Uint8Array[] = [];
  private bodySize = 0;
  private refusal: SmtpReply | undefined;
  /** The body kept so far holds a blank line: its first paragraph has ended. */
  private paragraphEnded = false;
  /** The last bytes kept, for a blank line split across body chunks. */
  private bodyTail: Buffer = Buffer.alloc(0);
  private answered = false;
  private queueId: string | undefined;
  /** When the message started (MAIL), for the per-message time limit and the log. */
  started: number | undefined;

  constructor(options: SessionOptions) {
    this.profiles = options.profiles ?? bindOnViolation(createProfiles(options.policy ?? createPolicy()), () => options.onViolation ?? 'block');
    this.readBody = [this.profiles.default, ...this.profiles.list].some((p) => p.policy.bodyScan !== undefined);
    this.maxHeaderBytes = options.maxHeaderBytes ?? MILTER_MAX_HEADER_BYTES;
    this.maxBodyBytes = options.maxBodyBytes ?? MILTER_MAX_BODY_BYTES;
    this.maxRecipients = options.maxRecipients ?? MILTER_MAX_RECIPIENTS;
    this.transport = options.transport ?? 'inet';
  }

  /** A message is between MAIL and its answer. */
  get inMessage(): boolean {
    return this.started !== undefined && !this.answered;
  }

  private reset(): void {
    this.mailFrom = undefined;
    this.rcptTo = [];
    this.rcptCount = 0;
    this.fields = [];
    this.headerSize = 0;
    this.body = [];
    this.bodySize = 0;
    this.refusal = undefined;
    this.paragraphEnded = false;
    this.bodyTail = Buffer.alloc(0);
    this.answered = false;
    this.queueId = undefined;
    this.started = undefined;
  }

  private expectsReply(kind: MilterCommand['kind']): boolean {
    const flag = NO_REPLY_FLAG[kind];
    return flag !== undefined && (this.protocol & flag) === 0;
  }

  /** Handles one command. `now` is the clock (ms), handed in to keep this pure. */
  handle(cmd: MilterCommand, now: number): StepResult {
    switch (cmd.kind) {
      case 'optneg': {
        // The body is asked for even when no policy scans bodies: its first paragraph may be
        // header fields to readers (the header ended at a line that is not one; src/decide).
        const protocol = WANTED_PROTOCOL | (this.transport === 'unix' ? ENVELOPE_STEPS_UNANSWERED : 0);
        this.protocol = protocol & cmd.protocol;
        const version = Math.min(cmd.version, MILTER_PROTOCOL_VERSION);
        // Macro lists are a version 6 feature, sent only to an MTA that offers it.
        const symlist = version >= 6 && (cmd.actions & SMFIF.SETSYMLIST) !== 0;
        this.actions = (WANTED_ACTIONS | (symlist ? SMFIF.SETSYMLIST : 0)) & cmd.actions;
        const reply: MilterReply = { kind: 'optneg', version, actions: this.actions, protocol: this.protocol };
        if (symlist) reply.macros = WANTED_MACROS.map(([stage, names]) => [stage, names]);
        return { replies: [reply] };
      }
      case 'macro':
        for (const [name, value] of cmd.macros) {
          if (name === 'i' && value) this.queueId = value;
          // Postfix sends it with the MAIL macros (milter_mail_macros has it by default).
          if ((name === '{auth_authen}' || name === 'auth_authen') && cmd.command === 'M') this.authUser = value || undefined;
        }
        return { replies: [] };
      case 'connect':
        this.client = cmd.family === 'unknown' ? cmd.hostname : `${cmd.hostname}[${cmd.address}]`;
        return this.cont(cmd.kind);
      case 'mail': {
        const queueId = this.queueId;
        this.reset();
        if (queueId) this.queueId = queueId;
        this.started = now;
        this.mailFrom = unbracket(cmd.args[0] ?? '');
        return this.cont(cmd.kind);
      }
      case 'rcpt':
        if (this.rcptTo.length < this.maxRecipients) {
          this.rcptCount++;
          this.rcptTo.push(unbracket(cmd.args[0] ?? ''));
          return this.cont(cmd.kind);
        }
        // Past the limit: this recipient is deferred (the client sends it in another
        // transaction), as the proxy does; without a reply to RCPT, the whole message is refused.
        if (this.expectsReply('rcpt')) {
          const r = REPLIES.tooManyRecipients(this.maxRecipients);
          return { replies: [{ kind: 'replycode', code: r.code, text: r.text }] };
        }
        this.rcptCount++;
        this.refuse(REPLIES.tooManyRecipients(this.maxRecipients), 550, '5.5.3');
        return this.cont(cmd.kind);
      case 'header':
        if (!this.refusal) {
          const size = cmd.name.length + cmd.value.length + 3;
          if (this.headerSize + size > this.maxHeaderBytes || this.fields.length >= MILTER_MAX_HEADER_FIELDS) {
            this.refuse(REPLIES.headerTooBig(this.maxHeaderBytes));
            this.fields = [];
          } else {
            this.headerSize += size;
            this.fields.push({ name: cmd.name, value: cmd.value });
          }
        }
        return this.earlyOrContinue(cmd.kind);
      case 'body':
        if (!this.readBody) {
          // Only the part a reader may take for more header fields is kept: the body's first
          // paragraph, whole (src/decide reads all of it), and at least CONTINUED_HEADER_MAX_BYTES.
          // A first paragraph longer than the body limit cannot be read: refused as too big.
          if (!this.refusal && (!this.paragraphEnded || this.bodySize < CONTINUED_HEADER_MAX_BYTES)) {
            if (this.bodySize + cmd.chunk.length > this.maxBodyBytes && !this.paragraphEnded) {
              this.refuse(REPLIES.tooBig(this.maxBodyBytes));
              this.body = [];
            } else {
              this.body.push(Buffer.from(cmd.chunk));
              this.noteParagraphEnd(cmd.chunk);
            }
          }
          this.bodySize += cmd.chunk.length;
        } else if (!this.refusal) {
          if (this.bodySize + cmd.chunk.length > this.maxBodyBytes) {
            this.refuse(REPLIES.tooBig(this.maxBodyBytes));
            this.body = [];
          } else {
            // Copied: the chunk is a view into the connection's read buffer.
            this.body.push(Buffer.from(cmd.chunk));
            this.bodySize += cmd.chunk.length;
          }
        }
        return this.earlyOrContinue(cmd.kind);
      case 'eoh':
      case 'helo':
      case 'data':
      case 'unknown':
        return this.earlyOrContinue(cmd.kind);
      case 'eob': {
        const step = this.endOfMessage(now);
        // The id came with this message's end (the `i` macro); the next message has its own.
        this.queueId = undefined;
        return step;
      }
      case 'abort': {
        this.reset();
        return { replies: [] };
      }
      case 'quit':
        return { replies: [], close: true };
      case 'quit-nc':
        // A new SMTP session follows on this connection: nothing of this one may carry over (an
        // {auth_authen} user left here would choose the next sender's profile).
        this.reset();
        this.client = '';
        this.authUser = undefined;
        this.queueId = undefined;
        return { replies: [] };
    }
  }

  /** Notes whether the body kept so far (its last bytes, then `chunk`) holds a blank line. */
  private noteParagraphEnd(chunk: Uint8Array): void {
    if (this.paragraphEnded) return;
    const seen = Buffer.concat([this.bodyTail, chunk]);
    if (firstParagraphEnd(seen) !== -1) this.paragraphEnded = true;
    else this.bodyTail = Buffer.from(seen.subarray(Math.max(0, seen.length - 2)));
  }

  private cont(kind: MilterCommand['kind']): StepResult {
    return { replies: this.expectsReply(kind) ? [{ kind: 'continue' }] : [] };
  }

  /** A refusal is answered at the first command that wants a reply; else continue. */
  private earlyOrContinue(kind: MilterCommand['kind']): StepResult {
    if (!this.expectsReply(kind)) return { replies: [] };
    if (this.refusal && this.started !== undefined && !this.answered) {
      this.answered = true;
      return { replies: [{ kind: 'replycode', code: this.refusal.code, text: this.refusal.text }] };
    }
    return { replies: [{ kind: 'continue' }] };
  }

  private refuse(r: SmtpReply, code?: number, enhanced?: string): void {
    if (this.refusal) return;
    this.refusal = code !== undefined && enhanced !== undefined ? { code, text: r.text.replace(/^\d\.\d+\.\d+/, enhanced) } : r;
  }

  /**
   * What the message in progress came to, for the log (also on failure): its envelope and size,
   * then how it was answered. One object literal of one shape (a spread of a summary built it
   * property by property; bench scenario 9). A queue id not known is undefined, which the log's
   * JSON leaves out as it left out the missing key.
   */
  private outcome(now: number, verdict: string, findings: string[], action: MessageOutcome['action'], reply: string, edits: number, profile?: string): MessageOutcome {
    return {
      from: this.mailFrom ?? '',
      to: this.rcptTo,
      recipients: this.rcptCount,
      size: this.headerSize + this.bodySize,
      durationMs: this.started === undefined ? 0 : now - this.started,
      queueId: this.queueId || undefined,
      verdict,
      findings,
      profile,
      action,
      reply,
      edits,
    };
  }

  /** Tempfail for the message in progress (internal error): never accept on failure. */
  failMessage(now: number, error: string): StepResult {
    const message = this.outcome(now, 'error', [], 'tempfailed', 'tempfail', 0);
    message.error = error;
    this.answered = true;
    return { replies: [{ kind: 'tempfail' }], message };
  }

  private endOfMessage(now: number): StepResult {
    if (this.answered) return { replies: [{ kind: 'continue' }] };
    this.answered = true;
    if (this.refusal) {
      const r = this.refusal;
      return { replies: [{ kind: 'replycode', code: r.code, text: r.text }], message: this.outcome(now, 'invalid', [], 'rejected', `${r.code} ${r.text}`, 0) };
    }
    const leadingSpace = (this.protocol & SMFIP.HDR_LEADSPC) !== 0;
    const header = headerBytes(this.fields, leadingSpace);
    const bytes = Buffer.concat([header, Buffer.from('\r\n'), ...this.body]);
    const envelope: Envelope = { mailFrom: this.mailFrom ?? '', rcptTo: this.rcptTo };
    try {
      const answerOptions: Parameters<typeof answerMessage>[3] = {
        profiles: this.profiles,
        leadingSpace,
        canEditHeader: (this.actions & (SMFIF.CHGHDRS | SMFIF.ADDHDRS)) === (SMFIF.CHGHDRS | SMFIF.ADDHDRS),
        canQuarantine: (this.actions & SMFIF.QUARANTINE) !== 0,
        header,
      };
      if (this.authUser !== undefined) answerOptions.authUser = this.authUser;
      const a = answerMessage(this.fields, bytes, envelope, answerOptions);
      return { replies: a.replies, message: this.outcome(now, a.verdict, a.findings, a.action, a.reply, a.edits, a.profile) };
    } catch (err) {
      this.answered = false;
      return this.failMessage(now, (err as Error).message);
    }
  }
}
