// sendmail -bs: SMTP on standard input and output, as Symfony Mailer (`sendmail://default` runs
// `/usr/sbin/sendmail -bs`) and Laravel (`-bs -i`) speak it. This file only gathers each
// transaction's envelope and bytes from the dialogue and turns the drop-in's sysexit for that
// message into the reply to its final dot; the check, the decision and the delivery are the ones
// of a message piped in (checkAndDeliver in src/cli/actions/sendmail.ts, called per transaction).
//
// A small reader of its own rather than smtp-server over a Duplex of stdin/stdout: smtp-server is
// built for network sockets. Its single write site only writes while `socket.readyState ===
// 'open'` (a net.Socket property a Duplex does not have), it arms socket timeouts, reads
// remoteAddress, and answers a client that writes before the greeting with "421 You talk too
// soon", while a program writing a whole session into a pipe (`printf ... | sendmail -bs`) is
// legitimate here. Faking a socket would tie the drop-in to those internals. The protocol needed
// is small (no AUTH, no STARTTLS, no BDAT, no DSN): commands are lines, and DATA ends at a lone
// dot, read by the same function that ends a message piped in (readUntilLoneDot).

import type { Envelope } from '../message/envelope.js';
import { normaliseAddress } from '../message/address-list.js';
import { formatSendmailNotice, formatSendmailReplyLines, SENDMAIL_NAME, type SendmailNotice } from '../report/sendmail.js';
import { SYSEXIT } from './exit-codes.js';
import { MAX_SENDMAIL_MESSAGE_BYTES, MessageTooLargeError, readUntilLoneDot } from './read-message.js';

/** A command line, CRLF included. RFC 5321 4.5.3.1.4 says 512; long addresses and parameters
 * stay far below this, and a client past it has lost track of the dialogue. */
const MAX_SMTP_COMMAND_BYTES = 4096;
/** RCPT TO commands in one transaction: Postfix's smtpd_recipient_limit default, as the proxy's
 * PROXY_MAX_RECIPIENTS; a larger list gets 452 and the client sends the rest in another transaction. */
const MAX_SMTP_RECIPIENTS = 1000;
/** The client's silence before the session is closed (RFC 5321 4.5.3.2.7: a server waits at least
 * 5 minutes for a command). Symfony pings with NOOP after 100 s idle and starts again on failure. */
const SMTP_IDLE_TIMEOUT_MS = 5 * 60 * 1000;
/** stderr written during a session. Symfony reads the child's stderr once at start and never again:
 * past the pipe's 64 KiB a blocking write would hang the session. The replies carry every reason. */
const SMTP_STDERR_BUDGET_BYTES = 16 * 1024;
/** One line of a reply (RFC 5321 4.5.3.1.5: 512 octets with the code and CRLF). */
const MAX_REPLY_TEXT = 480;
/** Lines of reason text in one reply. */
const MAX_REPLY_LINES = 24;

export interface SmtpSessionIo {
  stdin: AsyncIterable<Uint8Array>;
  stdout: (text: string) => void;
}

export interface SmtpSessionOptions {
  /** The name in the greeting and the EHLO reply. */
  hostname: string;
  /** Notices to stderr (the drop-in's own `say`: debug ones only with -v). */
  say: (n: SendmailNotice) => void;
  /** Checks and delivers one message with this envelope; its sysexit (0 only when the relay or the real sendmail took it). */
  deliver: (raw: Uint8Array, envelope: Envelope, say: (n: SendmailNotice) => void) => Promise<number>;
  maxMessageBytes?: number;
  maxRecipients?: number;
  idleTimeoutMs?: number;
}

interface Reply {
  code: number;
  /** Enhanced status code (RFC 3463), given on every line. */
  status?: string;
  lines: string[];
}

/** Printable ASCII only, bounded: a reply line can carry no line break and no 8-bit text. */
function replyText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[^\x20-\x7e]/g, '?').trimEnd();
  return clean.length > MAX_REPLY_TEXT ? `${clean.slice(0, MAX_REPLY_TEXT - 3)}...` : clean;
}

function formatReply(r: Reply): string {
  const lines = r.lines.length > 0 ? r.lines : [''];
  const prefix = r.status ? `${r.status} ` : '';
  return lines.map((l, i) => `${r.code}${i < lines.length - 1 ? '-' : ' '}${replyText(prefix + l)}`.trimEnd() + '\r\n').join('');
}

const reply = (code: number, status: string | undefined, ...lines: string[]): Reply => (status === undefined ? { code, lines } : { code, status, lines });

/** The reason lines for a reply: the notices the drop-in printed for this message, as a client may see them (src/report/sendmail.ts). */
function reasonLines(notices: readonly SendmailNotice[]): string[] {
  const lines = notices.flatMap(formatSendmailReplyLines);
  // Room for the last line of a 4xx (TRY_AGAIN_LATER).
  return lines.length > MAX_REPLY_LINES - 1 ? [...lines.slice(0, MAX_REPLY_LINES - 2), '...'] : lines;
}

/** The last line of every 4xx to a final dot: the message stays with the client, which should retry. */
const TRY_AGAIN_LATER = `Message not taken: try again later (the details are in ${SENDMAIL_NAME}'s log on stderr).`;

/**
 * The reply to the final dot for the drop-in's status of that message. Only 0 (the relay or the
 * real sendmail took it) is a 250; everything else keeps the message with the client: 4xx when a
 * retry may succeed, 5xx when it will not.
 */
function replyForStatus(status: number, notices: readonly SendmailNotice[]): Reply {
  if (status === SYSEXIT.OK) return reply(250, '2.0.0', `Delivered by ${SENDMAIL_NAME}`);
  const lines = reasonLines(notices);
  if (lines.length === 0) lines.push(`${SENDMAIL_NAME}: message not sent (status ${status})`);
  switch (status) {
    case SYSEXIT.DATAERR:
      return { code: 554, status: notices.some((n) => n.kind === 'blocked') ? '5.7.1' : '5.6.0', lines };
    case SYSEXIT.NOUSER:
      // The relay refused some recipients for good, at its RCPT, after this session had answered
      // the client's RCPT with 250; it may have taken the message for the others. -bs has one reply
      // for the whole transaction (RFC 5321 4.2.5; only LMTP answers per recipient), and none fits
      // all of them. A 250 takes responsibility for every recipient and then owes the sender a
      // non-delivery report (RFC 5321 3.6.3, 6.1): mailguard has no queue and sends none, so the
      // refusal would be silent. A 4xx asks the client to send it all again, which fails again for
      // the refused ones and repeats it for the others. So a 5xx, the transaction failed, with the
      // counts in the text (formatSendmailReplyLines): how many have it, how many were refused,
      // and not to send it again to everyone. X.1.0: an address caused it.
      return { code: 554, status: '5.1.0', lines };
    case SYSEXIT.UNAVAILABLE:
    case SYSEXIT.USAGE:
      return { code: 554, status: '5.0.0', lines };
    case SYSEXIT.CONFIG:
    case SYSEXIT.SOFTWARE:
      // A local problem (configuration, a bug): not sent; an administrator may fix it before the retry.
      return { code: 451, status: '4.3.0', lines: [...lines, TRY_AGAIN_LATER] };
    default:
      // 75 and anything unforeseen: not taken, the client may try again.
      return { code: 451, status: '4.0.0', lines: [...lines, TRY_AGAIN_LATER] };
  }
}

/** Reads stdin as chunks, with what a command read left over served first, and an idle timeout. */
class Input {
  private pending: Buffer[] = [];
  private readonly source: AsyncIterator<Uint8Array>;
  /** A read of stdin still waiting for the client: the idle timeout left it behind. */
  private reading: Promise<IteratorResult<Uint8Array>> | undefined;
  private done = false;
  timedOut = false;

  constructor(
    private readonly stdin: AsyncIterable<Uint8Array>,
    private readonly idleMs: number,
  ) {
    this.source = stdin[Symbol.asyncIterator]();
  }

  unread(b: Buffer): void {
    if (b.length > 0) this.pending.unshift(b);
  }

  /** The next chunk, or undefined at end of input (or after the idle timeout). */
  async next(): Promise<Buffer | undefined> {
    const p = this.pending.shift();
    if (p) return p;
    if (this.done) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<'idle'>((resolve) => {
      timer = setTimeout(() => resolve('idle'), this.idleMs);
    });
    try {
      this.reading ??= this.source.next();
      let r: IteratorResult<Uint8Array> | 'idle';
      try {
        r = await Promise.race([this.reading, idle]);
      } catch {
        // stdin failed (EIO, a reset socket): the client is gone, as at end of input.
        this.reading = undefined;
        this.done = true;
        return undefined;
      }
      if (r === 'idle') {
        this.timedOut = true;
        this.done = true;
        return undefined;
      }
      this.reading = undefined;
      if (r.done) {
        this.done = true;
        return undefined;
      }
      return Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Chunks for readUntilLoneDot; leaving early does not close stdin. */
  async *chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      const c = await this.next();
      if (c === undefined) return;
      yield c;
    }
  }

  /** One command line without its line break; 'long' past the limit (the line is skipped); undefined at end of input. */
  async line(): Promise<string | 'long' | undefined> {
    const parts: Buffer[] = [];
    let length = 0;
    let long = false;
    for (;;) {
      const c = await this.next();
      if (c === undefined) return undefined; // a last line without its line break is not a command
      const nl = c.indexOf(0x0a);
      const piece = nl === -1 ? c : c.subarray(0, nl);
      if (!long) {
        parts.push(piece);
        length += piece.length;
        if (length > MAX_SMTP_COMMAND_BYTES) long = true;
      }
      if (nl === -1) continue;
      this.unread(c.subarray(nl + 1));
      if (long) return 'long';
      const text = Buffer.concat(parts, length).toString('latin1');
      return text.endsWith('\r') ? text.slice(0, -1) : text;
    }
  }

  /** Stops reading stdin (after QUIT, a fatal reply or the idle timeout). */
  async close(): Promise<void> {
    this.done = true;
    const waiting = this.reading;
    if (waiting === undefined) {
      await this.source.return?.().catch(() => undefined);
      return;
    }
    // The idle timeout left a read waiting for a silent client: return() would wait behind it (an
    // async iterator answers one request at a time) and the open pipe would keep the process
    // alive, so the session would never end. The stream is destroyed instead.
    waiting.catch(() => undefined);
    const stream = this.stdin as Partial<{ destroy: () => void }>;
    if (typeof stream.destroy === 'function') stream.destroy();
  }
}

/** A path of MAIL FROM or RCPT TO as SMTP writes it: `<a@b.example>`, then parameters. */
const PATH_COMMAND = /^(MAIL FROM|RCPT TO):[ \t]*<([^<>]*)>((?:[ \t]+\S+)*)[ \t]*$/i;
/** What a path may hold: printable ASCII without the characters that make a list, a comment, a
 * display name or a quoted string; anything else is refused rather than read one way of several. */
const PLAIN_PATH = /^[^\s"(),;:<>\\]+$/;

type PathResult = { address: string } | { reply: Reply };

function readPath(path: string, role: 'sender' | 'recipient'): PathResult {
  if (path === '') return role === 'sender' ? { address: '' } : { reply: reply(501, '5.1.3', 'a recipient is needed') };
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(path)) return { reply: reply(553, '5.6.7', 'non-ASCII addresses need SMTPUTF8, which is not offered') };
  const address = PLAIN_PATH.test(path) ? normaliseAddress(path) : undefined;
  if (address === undefined || !address.includes('@')) {
    return { reply: reply(role === 'sender' ? 553 : 550, role === 'sender' ? '5.1.7' : '5.1.3', `a full address is needed, as user@example.org (mailguard does not guess a local domain)`) };
  }
  return { address };
}

/** How the session ended, for the exit status. */
interface SessionOutcome {
  /** Sysexit of the last message not taken; undefined when every finished message was taken. */
  lastFailure?: number;
  /** The input ended (or timed out) inside a transaction: that message was not sent. */
  unfinished: boolean;
  quit: boolean;
}

/** The exit status of a session: 0 only when every message the client finished was taken and none was left unfinished. */
function sessionExitStatus(o: SessionOutcome): number {
  if (o.lastFailure !== undefined) return o.lastFailure;
  return o.unfinished ? SYSEXIT.TEMPFAIL : SYSEXIT.OK;
}

/** Speaks SMTP on the given input and output until QUIT, end of input or the idle timeout. */
async function serveSmtp(io: SmtpSessionIo, options: SmtpSessionOptions): Promise<SessionOutcome> {
  const maxBytes = options.maxMessageBytes ?? MAX_SENDMAIL_MESSAGE_BYTES;
  const maxRecipients = options.maxRecipients ?? MAX_SMTP_RECIPIENTS;
  const input = new Input(io.stdin, options.idleTimeoutMs ?? SMTP_IDLE_TIMEOUT_MS);
  const send = (r: Reply) => io.stdout(formatReply(r));
  const outcome: SessionOutcome = { unfinished: false, quit: false };
  let stderrBudget = SMTP_STDERR_BUDGET_BYTES;
  const say = (n: SendmailNotice) => {
    if (stderrBudget <= 0) return;
    try {
      stderrBudget -= formatSendmailNotice(n).length;
      options.say(n);
      if (stderrBudget <= 0) options.say({ kind: 'quiet', budget: SMTP_STDERR_BUDGET_BYTES });
    } catch {
      // stderr is a courtesy (the replies carry every reason): a notice that cannot be written is dropped.
    }
  };
  let tx: { mailFrom: string; rcptTo: string[] } | undefined;

  send(reply(220, undefined, `${options.hostname} ESMTP ${SENDMAIL_NAME}`));
  try {
    for (;;) {
      const line = await input.line();
      if (line === undefined) break;
      if (line === 'long') {
        send(reply(500, '5.5.2', 'line too long'));
        continue;
      }
      // eslint-disable-next-line no-control-regex
      if (/[\r\0]/.test(line)) {
        send(reply(500, '5.5.2', 'a bare CR or NUL in a command'));
        continue;
      }
      const verb = (/^\S*/.exec(line)![0] ?? '').toUpperCase();
      const rest = line.slice(verb.length).trim();
      switch (verb) {
        case 'EHLO':
        case 'HELO': {
          if (rest === '') {
            send(reply(501, '5.5.4', `${verb} needs a domain`));
            break;
          }
          tx = undefined;
          send(verb === 'HELO' ? reply(250, undefined, options.hostname) : reply(250, undefined, options.hostname, 'PIPELINING', '8BITMIME', `SIZE ${maxBytes}`, 'ENHANCEDSTATUSCODES'));
          break;
        }
        case 'MAIL': {
          if (tx) {
            send(reply(503, '5.5.1', 'nested MAIL command'));
            break;
          }
          const m = PATH_COMMAND.exec(line);
          if (!m || m[1]!.toUpperCase() !== 'MAIL FROM') {
            send(reply(501, '5.5.4', 'syntax: MAIL FROM:<address>'));
            break;
          }
          const bad = mailParameterProblem(m[3]!, maxBytes);
          if (bad) {
            send(bad);
            break;
          }
          const path = readPath(m[2]!, 'sender');
          if ('reply' in path) {
            send(path.reply);
            break;
          }
          tx = { mailFrom: path.address, rcptTo: [] };
          send(reply(250, '2.1.0', 'Ok'));
          break;
        }
        case 'RCPT': {
          if (!tx) {
            send(reply(503, '5.5.1', 'MAIL first'));
            break;
          }
          const m = PATH_COMMAND.exec(line);
          if (!m || m[1]!.toUpperCase() !== 'RCPT TO') {
            send(reply(501, '5.5.4', 'syntax: RCPT TO:<address>'));
            break;
          }
          if (m[3]!.trim() !== '') {
            send(reply(555, '5.5.4', 'RCPT TO parameters are not supported'));
            break;
          }
          if (tx.rcptTo.length >= maxRecipients) {
            send(reply(452, '4.5.3', `too many recipients (at most ${maxRecipients} per message)`));
            break;
          }
          const path = readPath(m[2]!, 'recipient');
          if ('reply' in path) {
            send(path.reply);
            break;
          }
          tx.rcptTo.push(path.address);
          send(reply(250, '2.1.5', 'Ok'));
          break;
        }
        case 'DATA': {
          if (rest !== '') send(reply(501, '5.5.4', 'DATA takes no parameters'));
          else if (!tx) send(reply(503, '5.5.1', 'MAIL first'));
          else if (tx.rcptTo.length === 0) send(reply(554, '5.5.1', 'no valid recipients'));
          else {
            send(reply(354, undefined, 'End data with <CR><LF>.<CR><LF>'));
            const envelope: Envelope = { mailFrom: tx.mailFrom, rcptTo: tx.rcptTo };
            tx = undefined;
            let read;
            try {
              read = await readUntilLoneDot(input.chunks(), maxBytes);
            } catch (err) {
              // The rest of the data cannot be told from commands without reading it all, so the
              // session ends here with nothing sent: past the size limit a 552; anything else is
              // not the client's doing (a bug, memory), so a 451 4.3.0 with the error only on
              // stderr (masked there, src/report/sendmail.ts), and status 70.
              if (err instanceof MessageTooLargeError) {
                send(reply(552, '5.3.4', `message larger than ${maxBytes} bytes; closing`));
                outcome.lastFailure = SYSEXIT.DATAERR;
              } else {
                const notice: SendmailNotice = { kind: 'error', error: err };
                say(notice);
                send(replyForStatus(SYSEXIT.SOFTWARE, [notice]));
                outcome.lastFailure = SYSEXIT.SOFTWARE;
              }
              return outcome;
            }
            // Only a dot on a line of its own ends the data; one cut off by the end of input does not.
            if (read.ended === 'eof' || read.rest === undefined) {
              // The client left in the middle of the message (or was silent too long): nothing is sent.
              outcome.unfinished = true;
              break;
            }
            if (read.rest) input.unread(read.rest);
            const notices: SendmailNotice[] = [];
            const raw = unstuffDots(read.bytes);
            say({ kind: 'read', bytes: raw.length, ignoreDots: true });
            let status: number;
            let reasons = notices;
            try {
              status = await options.deliver(raw, envelope, (n) => {
                notices.push(n);
                say(n);
              });
            } catch (err) {
              // A bug, or a failure no step expected: the message is not known to be taken, so it is
              // not a 250 (it may have reached the relay: a 250 could lose it, a 4xx at worst repeats
              // it). The client gets its reply, the session goes on, stderr has the error in full.
              status = SYSEXIT.SOFTWARE;
              const notice: SendmailNotice = { kind: 'error', error: err };
              say(notice);
              reasons = [notice];
            }
            if (status !== SYSEXIT.OK) outcome.lastFailure = status;
            send(replyForStatus(status, reasons));
          }
          break;
        }
        case 'RSET':
          tx = undefined;
          send(reply(250, '2.0.0', 'Ok'));
          break;
        case 'NOOP':
          send(reply(250, '2.0.0', 'Ok'));
          break;
        case 'QUIT':
          send(reply(221, '2.0.0', 'Bye'));
          outcome.quit = true;
          return outcome;
        case 'VRFY':
        case 'EXPN':
        case 'HELP':
        case 'ETRN':
        case 'TURN':
        case 'AUTH':
        case 'STARTTLS':
        case 'BDAT':
          send(reply(502, '5.5.1', `${verb} is not implemented`));
          break;
        default:
          send(reply(500, '5.5.2', 'command not recognized'));
      }
      if (input.timedOut) break;
    }
    if (input.timedOut) send(reply(421, '4.4.2', `${options.hostname} idle too long; closing`));
    if (tx) outcome.unfinished = true;
    return outcome;
  } finally {
    await input.close();
  }
}

/** MAIL FROM's parameters: SIZE (refused past the limit) and BODY; anything else is not offered. */
function mailParameterProblem(params: string, maxBytes: number): Reply | undefined {
  for (const p of params.trim().split(/[ \t]+/).filter(Boolean)) {
    const [key = '', value] = p.split('=', 2);
    const k = key.toUpperCase();
    if (k === 'SIZE' && value !== undefined && /^\d{1,15}$/.test(value)) {
      if (Number(value) > maxBytes) return reply(552, '5.3.4', `message larger than ${maxBytes} bytes`);
    } else if (k === 'BODY' && value !== undefined && /^(7BIT|8BITMIME)$/i.test(value)) {
      // Both relayed as they are.
    } else {
      return reply(555, '5.5.4', `MAIL FROM parameter ${k} is not supported`);
    }
  }
  return undefined;
}

/** Undoes SMTP's dot-stuffing (RFC 5321 4.5.2): a line's leading "." is dropped. Every other byte is kept. */
export function unstuffDots(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  let lineStart = 0;
  while (lineStart < data.length) {
    if (data[lineStart] === 0x2e) {
      parts.push(data.subarray(from, lineStart));
      from = lineStart + 1;
    }
    const nl = data.indexOf(0x0a, lineStart);
    if (nl === -1) break;
    lineStart = nl + 1;
  }
  if (from === 0) return data;
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}

/** The whole -bs session: greeting to QUIT; returns the exit status. */
export async function runSmtpSession(io: SmtpSessionIo, options: SmtpSessionOptions): Promise<number> {
  return sessionExitStatus(await serveSmtp(io, options));
}

/** The greeting when the drop-in cannot start (configuration): 421, the client keeps its messages. */
export function notStartedReply(status: number): string {
  return formatReply(reply(421, '4.3.0', `${SENDMAIL_NAME} cannot take mail now (configuration error, status ${status}; see its stderr)`));
}
