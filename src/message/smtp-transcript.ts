// SMTP transcripts: the client side of a session (EHLO, MAIL FROM, RCPT TO, DATA, the message,
// the final dot, or BDAT chunks), possibly several transactions, with or without the server's
// replies. The RCPT TO list is the envelope. AUTH exchanges (the base64 lines after AUTH LOGIN,
// PLAIN, CRAM-MD5, XOAUTH2 ...) and the other commands a client really sends are read and skipped.

import { normaliseAddress } from './address-list.js';
import type { Envelope } from './envelope.js';

export interface SmtpTransaction {
  envelope: Envelope;
  /** The message with dot-stuffing undone, CRLF line ends as sent. */
  data: Uint8Array;
  /** 1-based line in the transcript where the message's first line stands, minus one. */
  lineOffset: number;
}

export interface SmtpTranscript {
  transactions: SmtpTransaction[];
  /** Problems that make the transcript (or one transaction) unusable; each names its line. */
  problems: Array<{ line: number; problem: string }>;
}

// Commands that do not affect the envelope or the message.
const IGNORED = new Set(['EHLO', 'HELO', 'LHLO', 'NOOP', 'QUIT', 'STARTTLS', 'VRFY', 'EXPN', 'HELP', 'XCLIENT', 'XFORWARD', 'ETRN', 'ATRN', 'TURN']);
/** Every verb read as a command: a line that is only one of these is never an AUTH continuation. */
const COMMANDS = new Set([...IGNORED, 'AUTH', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET']);

/** Client lines that follow AUTH <mechanism> without an initial response (with one: one fewer).
 * Undefined: an unknown mechanism, whose base64 lines are skipped while they look like base64. */
const AUTH_CONTINUATIONS: Record<string, number> = { LOGIN: 2, PLAIN: 1, 'CRAM-MD5': 1, XOAUTH2: 1, OAUTHBEARER: 1, EXTERNAL: 1, ANONYMOUS: 1 };
/** A continuation line: base64 (possibly empty, or "=" for an empty response) or "*" (cancel). */
const BASE64_LINE = /^(?:[A-Za-z0-9+/]+={0,2}|=|\*|)$/;

function pathArgument(rest: string): string | undefined {
  const m = /^\s*<([^>]*)>/.exec(rest) ?? /^\s*(\S+)/.exec(rest);
  return m ? m[1] : undefined;
}

/**
 * Whether text (the first 2 KB or so of an input) starts like an SMTP session: the first command
 * (EHLO, HELO, LHLO or MAIL FROM), maybe after the server's banner (220, several lines), written
 * plain, in the notation of the RFCs' examples ("C: " and "S: " before each line), or as swaks
 * logs it ("=== " notes, " -> " client, "<-  " server lines; "~>" and "<~" inside TLS).
 */
export function looksLikeSmtpTranscript(text: string): boolean {
  return (
    /^(?:(?:S: ?)?220[ -][^\r\n]*\r?\n){0,20}(?:C: ?)?(?:EHLO|HELO|LHLO|MAIL FROM:)/i.test(text) ||
    /^(?:(?:===|\*\*\*)[^\r\n]*\r?\n){0,20}(?:<[-~] +220[ -][^\r\n]*\r?\n){0,20} ?[-~]> (?:EHLO|HELO|LHLO|MAIL FROM:)/i.test(text)
  );
}

/** Who speaks on a line of a transcript written with prefixes: the RFCs' "C: "/"S: ", swaks's
 * " -> "/"<-  " (" ~> "/"<~  " inside TLS, "<** " for an error reply) and its "=== " notes. */
const SPEAKER_PREFIX = /^(?:([CS]):(?: |$)| ?([-~])> ?|<([-~]|\*\*) +|(?:===|\*\*\*|\*\*>)(?: |$))/;

/**
 * A transcript written with speaker prefixes, read as a plain one, line for line (line numbers
 * and line ends kept): client lines lose their prefix (and the one space after it), server lines
 * keep their reply (skipped as replies are), notes become empty lines. A line without a prefix is
 * kept as it is, so anything unexpected is still reported. Plain transcripts are returned as given.
 */
function withoutSpeakerPrefixes(text: string): string {
  const first = /^[^\r\n]*/.exec(text.replace(/^(?:\s*\r?\n)+/, ''))![0];
  if (!SPEAKER_PREFIX.test(first) || /^(?:EHLO|HELO|LHLO|MAIL FROM:|\d{3}[ -])/i.test(first)) return text;
  return text.replace(/^[^\r\n]*/gm, (line) => {
    const m = SPEAKER_PREFIX.exec(line);
    if (!m) return line;
    const rest = line.slice(m[0].length);
    if (m[1] === 'C' || m[2] !== undefined) return rest;
    // A server line: its reply code makes it skipped; anything else a server says, and a note, is
    // dropped, also inside DATA (an empty line there would end the message's header).
    if (m[1] === 'S' || m[3] !== undefined) return /^\d{3}(?:[ -]|$)/.test(rest) ? rest : NOTE_LINE;
    return NOTE_LINE;
  });
}

/** What a prefixed transcript's note or server remark becomes: a line no client sends, dropped. */
const NOTE_LINE = '\u0000\u0001note';

export function parseSmtpTranscript(bytes: Uint8Array): SmtpTranscript {
  const text = withoutSpeakerPrefixes(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
  const lines = text.split(/\r?\n/);
  // Where each line starts in `text` (BDAT counts bytes, not lines).
  const starts: number[] = [];
  for (let pos = 0, i = 0; i < lines.length; i++) {
    starts.push(pos);
    pos += lines[i]!.length;
    pos += text[pos] === '\r' ? 2 : 1;
  }
  // A trailing newline leaves one empty element that is not a line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  /** The transcript line each entry of `lines` is on (a BDAT chunk ending mid-line splits one). */
  const lineNos = lines.map((_, i) => i + 1);
  let bdat: string[] | undefined;
  let bdatLine = 0;
  const transactions: SmtpTransaction[] = [];
  const problems: SmtpTranscript['problems'] = [];
  let mailFrom: string | undefined;
  let rcptTo: string[] = [];
  let bad = false;
  /** BDAT chunks sent without a LAST chunk: the server delivers nothing, and what the transcript
   * holds of the message is not all of it (a log cut short, a client that gave up). Reported like
   * a DATA without its final dot, so the transcript is never passed with that message unread. */
  const unfinishedBdat = () => {
    if (bdat) problems.push({ line: bdatLine, problem: 'BDAT chunks without a LAST chunk: the message is incomplete' });
    bdat = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = lineNos[i]!;
    // Server replies, when a transcript includes them.
    if (/^\d{3}(?:[ -]|$)/.test(line)) continue;
    if (line.trim() === '' || line === NOTE_LINE) continue;
    const m = /^([A-Za-z]+)(?:\s+FROM:|\s+TO:)?(.*)$/i.exec(line);
    const verb = (m?.[1] ?? '').toUpperCase();
    if (/^MAIL\s+FROM:/i.test(line)) {
      unfinishedBdat();
      const addr = pathArgument(line.replace(/^MAIL\s+FROM:/i, ''));
      if (addr === undefined) {
        problems.push({ line: lineNo, problem: 'MAIL FROM without an address' });
        bad = true;
        continue;
      }
      const norm = addr === '' ? '' : normaliseAddress(addr);
      if (norm === undefined) {
        problems.push({ line: lineNo, problem: 'MAIL FROM address cannot be read unambiguously' });
        bad = true;
      }
      mailFrom = norm ?? addr;
      rcptTo = [];
      continue;
    }
    if (/^RCPT\s+TO:/i.test(line)) {
      const addr = pathArgument(line.replace(/^RCPT\s+TO:/i, ''));
      const norm = addr ? normaliseAddress(addr) : undefined;
      if (mailFrom === undefined) {
        problems.push({ line: lineNo, problem: 'RCPT TO before MAIL FROM' });
        bad = true;
      }
      if (norm === undefined) {
        problems.push({ line: lineNo, problem: 'RCPT TO address cannot be read unambiguously' });
        bad = true;
        continue;
      }
      rcptTo.push(norm);
      continue;
    }
    if (verb === 'RSET') {
      mailFrom = undefined;
      rcptTo = [];
      bad = false;
      bdat = undefined;
      continue;
    }
    if (verb === 'AUTH') {
      i = skipAuthExchange(lines, i);
      continue;
    }
    if (verb === 'BDAT') {
      // BDAT <size> [LAST]: exactly <size> bytes follow the command line (CHUNKING, RFC 3030).
      const b = /^BDAT\s+(\d+)(\s+LAST)?\s*$/i.exec(line);
      const start = starts[i + 1] ?? text.length;
      const size = b ? Number(b[1]) : NaN;
      const end = start + size;
      let next = starts.findIndex((p, k) => k > i && p >= end);
      // Real CHUNKING clients cut chunks anywhere, so a chunk may end inside a line of the
      // transcript: the next command starts right after it. That line is split there, when what
      // follows is a command, a reply or nothing (anything else is a size that does not match).
      const k = (next === -1 ? starts.length : next) - 1;
      if (b && Number.isSafeInteger(size) && end <= text.length && k > i && starts[k]! < end) {
        const lineEnd = starts[k]! + lines[k]!.length;
        const rest = end <= lineEnd ? text.slice(end, lineEnd) : '';
        if (rest === '' || isCommand(rest) || /^\d{3}(?:[ -]|$)/.test(rest)) {
          lines.splice(k + 1, 0, rest);
          starts.splice(k + 1, 0, end);
          lineNos.splice(k + 1, 0, lineNos[k]!);
          next = k + 1;
        }
      }
      if (!b || !Number.isSafeInteger(size) || end > text.length || (next !== -1 && starts[next] !== end) || (next === -1 && end !== text.length)) {
        problems.push({ line: lineNo, problem: b ? 'BDAT chunk does not end where a line starts, or runs past the end of the transcript' : 'BDAT without a chunk size' });
        // The rest is not read; this problem already says so.
        bdat = undefined;
        break;
      }
      if (!bdat) {
        bdat = [];
        bdatLine = lineNo;
      }
      bdat.push(text.slice(start, end));
      i = (next === -1 ? lines.length : next) - 1;
      if (b[2]) {
        if (mailFrom === undefined || rcptTo.length === 0) problems.push({ line: lineNo, problem: 'BDAT without MAIL FROM and RCPT TO' });
        else if (!bad) transactions.push({ envelope: { mailFrom, rcptTo }, data: Buffer.from(bdat.join(''), 'latin1'), lineOffset: bdatLine });
        mailFrom = undefined;
        rcptTo = [];
        bad = false;
        bdat = undefined;
      }
      continue;
    }
    if (verb === 'DATA' && line.trim().toUpperCase() === 'DATA') {
      unfinishedBdat();
      // Replies logged after DATA are not the message's first lines: "354 go ahead", and with
      // PIPELINING the 250s to MAIL FROM and RCPT TO, which the server sends after the client's DATA.
      let start = i + 1;
      let accepted = false;
      for (; start < lines.length && /^[2-5]\d\d(?:[ -]|$)/.test(lines[start]!); start++) if (lines[start]!.startsWith('354')) accepted = true;
      // A DATA the server refused (its last reply a 4xx or 5xx, no 354: no valid recipient, a
      // sequence error) has no data: the client sends none, and what follows is its next command,
      // not a message that runs to some later transaction's final dot.
      if (!accepted && start > i + 1 && /^[45]\d\d(?: |$)/.test(lines[start - 1]!)) {
        mailFrom = undefined;
        rcptTo = [];
        bad = false;
        i = start - 1;
        continue;
      }
      let end = -1;
      for (let j = start; j < lines.length; j++) {
        if (lines[j] === '.') {
          end = j;
          break;
        }
      }
      if (end === -1) {
        problems.push({ line: lineNo, problem: 'DATA without the final "." line: the message is incomplete' });
        break;
      }
      // A bare CR in the data: a server that ends DATA at <CR>.<CR> reads the rest as new commands
      // (SMTP smuggling, CVE-2023-51764), so what it delivers is not this one message. The proxy
      // refuses such data; a transcript holding it is reported, whatever its message says.
      for (let j = start; j < end; j++) {
        if (lines[j]!.includes('\r')) {
          problems.push({ line: lineNos[j]!, problem: 'a bare CR inside the message data: servers that end DATA at <CR>.<CR> read another transaction there (SMTP smuggling)' });
          break;
        }
      }
      if (mailFrom === undefined || rcptTo.length === 0) {
        problems.push({ line: lineNo, problem: 'DATA without MAIL FROM and RCPT TO' });
      } else if (!bad) {
        const body = lines
          .slice(start, end)
          .filter((l) => l !== NOTE_LINE)
          .map((l) => (l.startsWith('.') ? l.slice(1) : l))
          .join('\r\n');
        transactions.push({
          envelope: { mailFrom, rcptTo },
          data: Buffer.from(body.length > 0 ? `${body}\r\n` : '', 'latin1'),
          lineOffset: (lineNos[start] ?? lineNos.length + 1) - 1,
        });
      }
      mailFrom = undefined;
      rcptTo = [];
      bad = false;
      i = end;
      continue;
    }
    if (IGNORED.has(verb)) continue;
    problems.push({ line: lineNo, problem: `unknown command "${line.slice(0, 20)}"` });
  }
  unfinishedBdat();
  return { transactions, problems };
}

/** Whether a line is a command (a known verb alone, or a known verb and its arguments). */
function isCommand(line: string): boolean {
  const m = /^([A-Za-z]+)(?:[\s:]|$)/.exec(line.trim());
  return !!m && COMMANDS.has(m[1]!.toUpperCase());
}

/**
 * Skips an AUTH exchange starting at line `at` (the AUTH command): the client's continuation
 * lines (base64, or "*" to cancel) and any server replies between them. Returns the index of its
 * last line. With replies in the transcript, a reply other than 334 ends the exchange.
 */
function skipAuthExchange(lines: readonly string[], at: number): number {
  const args = lines[at]!.trim().split(/\s+/).slice(1);
  const mechanism = (args[0] ?? '').toUpperCase();
  const known = AUTH_CONTINUATIONS[mechanism];
  let left = known === undefined ? Infinity : Math.max(0, known - (args.length > 1 ? 1 : 0));
  let i = at;
  while (left > 0 && i + 1 < lines.length) {
    const next = lines[i + 1]!;
    if (/^\d{3}(?:[ -]|$)/.test(next)) {
      i++;
      // The server ended the exchange (235 accepted, 5xx refused): no more client lines.
      if (/^\d{3}(?: |$)/.test(next) && !next.startsWith('334')) return i;
      continue;
    }
    if (!BASE64_LINE.test(next.trim()) || isCommand(next)) break;
    i++;
    left--;
    if (next.trim() === '*') break;
  }
  return i;
}
