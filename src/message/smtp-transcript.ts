// SMTP transcripts: the client side of a session (EHLO, MAIL FROM, RCPT TO, DATA, the message,
// the final dot), possibly several transactions. The RCPT TO list is the envelope.

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
const IGNORED = new Set(['EHLO', 'HELO', 'LHLO', 'NOOP', 'QUIT', 'STARTTLS', 'AUTH', 'VRFY', 'EXPN', 'HELP', 'XCLIENT', 'XFORWARD']);

function pathArgument(rest: string): string | undefined {
  const m = /^\s*<([^>]*)>/.exec(rest) ?? /^\s*(\S+)/.exec(rest);
  return m ? m[1] : undefined;
}

/** True when `bytes` looks like an SMTP client transcript. */
export function looksLikeSmtpTranscript(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 64)).toString('latin1');
  return /^(EHLO|HELO|LHLO|MAIL FROM:)/i.test(head);
}

export function parseSmtpTranscript(bytes: Uint8Array): SmtpTranscript {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const lines = text.split(/\r?\n/);
  // A trailing newline leaves one empty element that is not a line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const transactions: SmtpTransaction[] = [];
  const problems: SmtpTranscript['problems'] = [];
  let mailFrom: string | undefined;
  let rcptTo: string[] = [];
  let bad = false;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    // Server replies, when a transcript includes them.
    if (/^\d{3}(?:[ -]|$)/.test(line)) continue;
    if (line.trim() === '') continue;
    const m = /^([A-Za-z]+)(?:\s+FROM:|\s+TO:)?(.*)$/i.exec(line);
    const verb = (m?.[1] ?? '').toUpperCase();
    if (/^MAIL\s+FROM:/i.test(line)) {
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
      continue;
    }
    if (verb === 'DATA' && line.trim().toUpperCase() === 'DATA') {
      const start = i + 1;
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
      if (mailFrom === undefined || rcptTo.length === 0) {
        problems.push({ line: lineNo, problem: 'DATA without MAIL FROM and RCPT TO' });
      } else if (!bad) {
        const body = lines
          .slice(start, end)
          .map((l) => (l.startsWith('.') ? l.slice(1) : l))
          .join('\r\n');
        transactions.push({
          envelope: { mailFrom, rcptTo },
          data: Buffer.from(body.length > 0 ? `${body}\r\n` : '', 'latin1'),
          lineOffset: start,
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
  return { transactions, problems };
}
