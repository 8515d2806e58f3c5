// mbox files (Thunderbird's extensionless `Sent`, Apple Mail's `Sent.mbox/mbox`, `mbox` exports):
// recognised by a `From ` line at the start, split into messages as the file streams.

import { MAX_HEADER_LINE_BYTES } from '../../limits.js';
import { envelopeLineAt } from '../../message/header-block.js';
import { errnoDetail, failure, type InputFormatDefinition, type InputItem, type InputMessage, type ReadSource } from './types.js';

/** A file starting with a `From ` envelope line (after a UTF-8 byte order mark, which Windows tools
 * write). Not `From : a@x, b@y`: that is a From field to an SMTP server, and such a file is read as
 * one message whose header starts with it (envelopeLineAt). */
export function looksLikeMbox(head: Uint8Array): boolean {
  const i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  return envelopeLineAt(Buffer.from(head.buffer, head.byteOffset, head.byteLength), i);
}

/** A time zone in a `From ` line: a name (UTC, PST) or an offset (+0000, as Gmail's Takeout writes). */
const ZONE = '(?:[A-Z]{3,4}|[+-]\\d{4})';

/**
 * A `From ` line as mbox writers make it: `From sender asctime-date` (`From a@b.example Mon Jan  1
 * 00:00:00 2024`, with an optional time zone before or after the year). Such a line starts a
 * message even without a blank line before it: Python's mailbox module (and other readers) split
 * there, so a message after it must not be read as the body of the one before (its list would go
 * unchecked).
 */
const FROM_LINE = new RegExp(
  `^From \\S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\\d{1,2} +\\d{1,2}:\\d{2}(?::\\d{2})? +(?:${ZONE} +)?\\d{4}(?: +${ZONE})?\\s*$`,
);

/** A header field line (a name of printable characters, then a colon): what follows a `From `
 * line that starts a message, whatever its date looks like. */
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/** A `From ` line as a mailbox writer starts one: FROM_LINE, or `From ` then a sender that is an
 * address, MAILER-DAEMON or "-" (Thunderbird), then white space (showsMboxSeparator). */
function writtenFromLine(line: string): boolean {
  return FROM_LINE.test(line) || /^From (?:[^\s@]+@\S+|MAILER-DAEMON|-)[ \t]/.test(line);
}

/**
 * Whether text that starts as one message holds, past its first line, a line that mbox readers
 * (this one, Python's mailbox, Thunderbird) start a new message at: a `From ` line followed by a
 * header field (`From a@b.example Mon Jan  1 00:00:00 2024` then `To: ...`). Such input is a
 * mailbox whose first `From ` line is missing (lost in an export, cut off, concatenated after a
 * draft), piped in or not named as a mailbox: read as one message, the messages after that line
 * were body text and their lists went unchecked.
 */
export function showsMboxSeparator(head: Uint8Array): boolean {
  // Only a line as mbox writers make it counts here: a whole `From sender date` line, or `From `
  // and a sender (an address, MAILER-DAEMON, Thunderbird's "-"). A draft's prose ("From the desk
  // of Ann" above "Phone: ..." in a signature) is the one message it is: split there, its pieces
  // were reported as two messages, and a list in its body counted in two halves.
  // All of what was read is searched, and a file whose first read is not all of it is searched to
  // its end (inputs.ts): searched in its first 64 KiB only, a first message longer than that hid
  // the mailbox behind it, and the messages after it went unchecked.
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  // Lines end at LF, CRLF, or a bare CR (a classic Mac OS mailbox, which the reader splits too).
  for (let at = bytes.indexOf('From ', 1); at !== -1; at = bytes.indexOf('From ', at + 1)) {
    const before = bytes[at - 1];
    if (before !== 0x0a && before !== 0x0d) continue;
    let end = at + 5;
    while (end < bytes.length && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
    if (end === bytes.length) return false;
    const line = bytes.toString('latin1', at, Math.min(end, at + 200));
    end += bytes[end] === 0x0d && bytes[end + 1] === 0x0a ? 2 : 1;
    if (writtenFromLine(line) && FIELD_LINE.test(bytes.toString('latin1', end, Math.min(bytes.length, end + 200)))) return true;
  }
  return false;
}

/** Past this many bytes a Content-Length is not waited for (see startMessage): providers refuse
 * messages past 25-35 MB, and the body scan reads 48 MiB of one (src/io/read-whole.ts). */
const MAX_MBOX_COUNTED_BYTES = 48 * 1024 * 1024;

/** A Content-Length field of a message's own header (mboxcl, mboxcl2): the body's length in bytes. */
const CONTENT_LENGTH_FIELD = /^content-length[ \t]*:[ \t]*(\d{1,15})[ \t]*\r?\n?$/i;

/**
 * Splits an mbox stream into messages. Boundaries are `From ` lines at the start of the file or
 * after a blank line, anywhere a line is a whole mbox `From ` line (FROM_LINE), and a `From ` line
 * followed by a header field; `>From ` lines are unescaped (mboxrd) when whole messages are kept.
 *
 * An mboxcl2 file (mutt, Solaris mailx) does not escape `From ` lines in a body: its Content-Length
 * field says where the body ends, and readers that honour it (mutt, mailx) show one message where
 * the `From ` lines split several (as Python and Thunderbird read it), each holding part of its
 * list. Where a message's Content-Length is valid (it ends at the end of the file or before a
 * `From ` line, as mutt checks it) and a `From ` line inside the counted body splits it, the
 * readers disagree on what the messages are: that stretch is one failure, never pieces checked
 * apart. A Content-Length that is not valid is ignored, as mutt ignores it.
 */
export async function* readMbox(stream: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, source: string, file: string | undefined, headersOnly: boolean): AsyncGenerator<InputItem> {
  let index = 0;
  let lineNo = 0;
  /** Offset in the stream of the line being read. */
  let linePos = 0;
  let current:
    | { lines: Buffer[]; fromLine: string; startLine: number; inHeader: boolean; size: number; start: number; contentLength?: number; countedEnd?: number }
    | undefined;
  /**
   * Messages split off inside a counted body (see above), held until the stream shows whether the
   * Content-Length is valid: `end` is where it says the body ends; `valid` is set once known.
   */
  let counted: { end: number; startLine: number; splitLine: number; items: InputMessage[]; valid?: boolean; blankAt?: number } | undefined;
  let prevBlank = true;
  let pending = Buffer.alloc(0);
  // The blank line before a `From ` separator belongs to the separator, so it is held back.
  let heldBlank: Buffer | undefined;

  const finish = (): InputMessage | undefined => {
    if (!current) return undefined;
    if (counted && current.start < counted.end) {
      // Part of a stretch whose reading is not settled yet: its number is given when it is released.
      // A stretch already known to be one failure keeps nothing (its pieces are never checked).
      if (counted.valid !== true) counted.items.push(messageOf(current, 0));
      current = undefined;
      return undefined;
    }
    index++;
    const msg = messageOf(current, index);
    current = undefined;
    return msg;
  };

  const messageOf = (m: NonNullable<typeof current>, n: number): InputMessage => {
    const msg: InputMessage = {
      source: `${source}#${n}`,
      bytes: Buffer.concat(m.lines),
      complete: !headersOnly,
      format: 'mbox',
      lineOffset: m.startLine,
      mboxFromLine: m.fromLine,
    };
    if (file !== undefined) msg.path = file;
    return msg;
  };

  /**
   * Once the counted stretch is settled and every message starting in it is finished: its
   * messages as split, numbered now, when the Content-Length was not valid; else one failure.
   */
  const release = (atEnd: boolean): InputItem[] => {
    if (!counted || counted.valid === undefined || (!atEnd && current !== undefined && current.start < counted.end)) return [];
    const { items, valid, startLine, splitLine } = counted;
    counted = undefined;
    if (!valid) {
      return items.map((m) => {
        index++;
        return { ...m, source: `${source}#${index}` };
      });
    }
    index++;
    const detail =
      `the Content-Length of the message at line ${startLine + 1} counts its body past the "From " line at line ${splitLine}: ` +
      'readers that honour it (mutt, mailx) read one message there, readers that split at "From " lines (Python) several, so neither reading was checked';
    const item = failure(`${source}#${index}`, 'ambiguous-mbox', detail);
    return [file === undefined ? item : { ...item, path: file }];
  };

  /** Settles the counted stretch from the line starting at linePos: valid when a `From ` line starts
   * where the body ends, right there or after one blank line. */
  const settle = (line: Buffer, content: number): void => {
    if (!counted || counted.valid !== undefined) return;
    const isFrom = line.length >= 5 && line.toString('latin1', 0, 5) === 'From ';
    if (counted.blankAt !== undefined) counted.valid = isFrom;
    else if (linePos === counted.end && isFrom) counted.valid = true;
    else if (linePos === counted.end && content === 0) counted.blankAt = linePos;
    else if (linePos >= counted.end) counted.valid = false;
  };

  /** A `From ` line that starts a message if the next line is a header field (see FIELD_LINE), and its offset. */
  let candidate: Buffer | undefined;
  let candidatePos = 0;

  const startMessage = (line: Buffer, content: number, at: number): InputMessage | undefined => {
    heldBlank = undefined;
    // A split inside the body a valid Content-Length would count: held until that is known.
    if (!counted && current?.countedEnd !== undefined && at < current.countedEnd) {
      counted = { end: current.countedEnd, startLine: current.startLine, splitLine: lineNo, items: [] };
      // A body counted past what any provider sends is not waited for: the pieces held until its
      // end would be the rest of the file in memory (a forged Content-Length). It is one failure,
      // as a valid one would be; mutt would read one message there too.
      if (current.countedEnd - current.start > MAX_MBOX_COUNTED_BYTES) counted.valid = true;
    }
    const done = finish();
    current = { lines: [], fromLine: line.toString('latin1', 0, content), startLine: lineNo, inHeader: true, size: 0, start: at };
    prevBlank = false;
    return done;
  };

  const contentLength = (line: Buffer): number => {
    let content = line.length;
    if (content > 0 && line[content - 1] === 0x0a) content--;
    if (content > 0 && line[content - 1] === 0x0d) content--;
    return content;
  };

  const consume = (line: Buffer, allowCandidate: boolean, at: number): InputMessage | undefined => {
    lineNo++;
    // The first line of the file may carry a UTF-8 byte order mark.
    if (lineNo === 1 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) line = line.subarray(3);
    const content = contentLength(line);
    const blank = content === 0;
    if (line.length >= 5 && line[0] === 0x46 && line.toString('latin1', 0, 5) === 'From ') {
      if (prevBlank || FROM_LINE.test(line.toString('latin1', 0, Math.min(content, 200)))) return startMessage(line, content, at);
      // In a header block, `From  :` (a blank before the colon) is the From field.
      if (allowCandidate && !(current?.inHeader ?? false) && !/^From\s*:/.test(line.toString('latin1', 0, Math.min(content, 64)))) {
        // Decided by the next line.
        lineNo--;
        candidate = line;
        candidatePos = at;
        return undefined;
      }
    }
    if (!current) {
      // Text before the first `From ` line: not an mbox message; treat it as one message.
      current = { lines: [], fromLine: '', startLine: lineNo - 1, inHeader: true, size: 0, start: at };
    }
    if (current.inHeader && !blank && (line[0] === 0x43 || line[0] === 0x63)) {
      const m = CONTENT_LENGTH_FIELD.exec(line.toString('latin1', 0, Math.min(line.length, 80)));
      if (m) current.contentLength = Number(m[1]);
    }
    if (blank && current.inHeader && current.contentLength !== undefined) current.countedEnd = at + line.length + current.contentLength;
    if (heldBlank) {
      if (!headersOnly || current.inHeader) current.lines.push(heldBlank);
      heldBlank = undefined;
    }
    if (blank && !current.inHeader) {
      heldBlank = line;
    } else if (current.inHeader || !headersOnly) {
      let out = line;
      if (!headersOnly && !current.inHeader && line[0] === 0x3e && /^>+From /.test(line.toString('latin1', 0, Math.min(line.length, 64)))) out = line.subarray(1);
      current.lines.push(out);
    }
    if (blank && current.inHeader) current.inHeader = false;
    prevBlank = blank;
    return undefined;
  };

  /** One line; may yield two messages' worth of decisions when a held `From ` line is settled. */
  const onLine = (line: Buffer): InputItem[] => {
    const out: InputItem[] = [];
    if (candidate) {
      const held = candidate;
      candidate = undefined;
      if (FIELD_LINE.test(line.toString('latin1', 0, Math.min(line.length, 200)))) {
        lineNo++;
        const done = startMessage(held, contentLength(held), candidatePos);
        if (done) out.push(done);
      } else {
        const done = consume(held, false, candidatePos);
        if (done) out.push(done);
      }
    }
    settle(line, contentLength(line));
    const done = consume(line, true, linePos);
    linePos += line.length;
    if (done) out.push(done);
    out.push(...release(false));
    return out;
  };

  // A classic Mac OS mailbox ends its lines with a bare CR (its first line break is one): split
  // there too, as the header block reader does, or the whole file is one line (a From line and
  // nothing else) or, named as a mailbox without its first From line, one message whose later
  // messages' headers are body text.
  let crOnly: boolean | undefined;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const data = pending.length > 0 ? Buffer.concat([pending, buf]) : buf;
    crOnly ??= lineEndsAtCr(data);
    let start = 0;
    for (;;) {
      const end = crOnly ? crLineEnd(data, start) : data.indexOf(0x0a, start) + 1;
      if (end <= 0) break;
      yield* onLine(data.subarray(start, end));
      start = end;
    }
    pending = Buffer.from(data.subarray(start));
  }
  if (pending.length > 0) yield* onLine(pending);
  if (candidate) {
    const held = candidate;
    candidate = undefined;
    const done = consume(held, false, candidatePos);
    if (done) yield done;
  }
  // The counted body ends with the file (or before one last blank line): valid, as mutt reads it.
  if (counted && counted.valid === undefined) counted.valid = counted.blankAt !== undefined || linePos === counted.end;
  const last = finish();
  if (last) yield last;
  yield* release(true);
}

/** Whether the first line break of `data` is a bare CR; undefined until one is seen whole. */
function lineEndsAtCr(data: Buffer): boolean | undefined {
  const limit = Math.min(data.length, MAX_HEADER_LINE_BYTES);
  for (let i = 0; i < limit; i++) {
    if (data[i] === 0x0a) return false;
    if (data[i] === 0x0d) return i + 1 < data.length ? data[i + 1] !== 0x0a : undefined;
  }
  return data.length >= MAX_HEADER_LINE_BYTES ? false : undefined;
}

/** Where the line starting at `start` ends (past its CR, LF or CRLF) in a CR-only mailbox; -1 when
 * not yet known (no line break, or a CR that may be followed by an LF in the next chunk). */
function crLineEnd(data: Buffer, start: number): number {
  for (let i = start; i < data.length; i++) {
    if (data[i] === 0x0a) return i + 1;
    if (data[i] === 0x0d) return i + 1 < data.length ? (data[i + 1] === 0x0a ? i + 2 : i + 1) : -1;
  }
  return -1;
}

/**
 * The messages of a mailbox as it streams; a read that fails part-way (the file removed, moved
 * or cut off while it streams, an I/O error) ends in a failure for the mailbox, never a thrown
 * error that stops the run. The message being read when it failed is not yielded: its end was
 * never seen.
 */
async function* readMailbox(src: ReadSource): AsyncGenerator<InputItem> {
  try {
    yield* readMbox(src.stream(), src.source, src.file, src.options.headersOnly && !src.options.bodies);
  } catch (err) {
    const item = failure(src.source, 'unreadable', `${errnoDetail(err)}: the mailbox could not be read to its end, so the messages after the last one reported were not checked`);
    yield src.file === undefined ? item : { ...item, path: src.file };
  }
}

export const mbox: InputFormatDefinition = {
  name: 'mbox',
  description: 'mbox mailboxes (messages separated by "From " lines), streamed',
  sniff: (head) => looksLikeMbox(head),
  read: readMailbox,
};
