// mbox files (Thunderbird's extensionless `Sent`, Apple Mail's `Sent.mbox/mbox`, `mbox` exports):
// recognised by a `From ` line at the start, split into messages as the file streams.

import type { InputFormatDefinition, InputMessage } from './types.js';

export function looksLikeMbox(head: Uint8Array): boolean {
  return head.length >= 5 && head[0] === 0x46 && head[1] === 0x72 && head[2] === 0x6f && head[3] === 0x6d && head[4] === 0x20;
}

/**
 * A `From ` line as mbox writers make it: `From sender asctime-date` (`From a@b.example Mon Jan  1
 * 00:00:00 2024`, with an optional time zone). Such a line starts a message even without a blank
 * line before it: Python's mailbox module (and other readers) split there, so a message after it
 * must not be read as the body of the one before (its list would go unchecked).
 */
const FROM_LINE = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +\d{1,2}:\d{2}(?::\d{2})? +(?:[A-Z]{3,4} +)?\d{4}\s*$/;

/**
 * Splits an mbox stream into messages. Boundaries are `From ` lines at the start of the file or
 * after a blank line, and anywhere a line is a whole mbox `From ` line (FROM_LINE); `>From ` lines
 * are unescaped (mboxrd) when whole messages are kept.
 */
export async function* readMbox(stream: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, source: string, file: string | undefined, headersOnly: boolean): AsyncGenerator<InputMessage> {
  let index = 0;
  let lineNo = 0;
  let current: { lines: Buffer[]; fromLine: string; startLine: number; inHeader: boolean; size: number } | undefined;
  let prevBlank = true;
  let pending = Buffer.alloc(0);
  // The blank line before a `From ` separator belongs to the separator, so it is held back.
  let heldBlank: Buffer | undefined;

  const finish = (): InputMessage | undefined => {
    if (!current) return undefined;
    index++;
    const msg: InputMessage = {
      source: `${source}#${index}`,
      bytes: Buffer.concat(current.lines),
      complete: !headersOnly,
      format: 'mbox',
      lineOffset: current.startLine,
      mboxFromLine: current.fromLine,
    };
    if (file !== undefined) msg.path = file;
    current = undefined;
    return msg;
  };

  const onLine = (line: Buffer): InputMessage | undefined => {
    lineNo++;
    let content = line.length;
    if (content > 0 && line[content - 1] === 0x0a) content--;
    if (content > 0 && line[content - 1] === 0x0d) content--;
    const blank = content === 0;
    let done: InputMessage | undefined;
    if (line.length >= 5 && line[0] === 0x46 && line.toString('latin1', 0, 5) === 'From ' && (prevBlank || FROM_LINE.test(line.toString('latin1', 0, Math.min(content, 200))))) {
      heldBlank = undefined;
      done = finish();
      current = { lines: [], fromLine: line.toString('latin1', 0, content), startLine: lineNo, inHeader: true, size: 0 };
      prevBlank = false;
      return done;
    }
    if (!current) {
      // Text before the first `From ` line: not an mbox message; treat the file as one message.
      current = { lines: [], fromLine: '', startLine: lineNo - 1, inHeader: true, size: 0 };
    }
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
    return done;
  };

  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const data = pending.length > 0 ? Buffer.concat([pending, buf]) : buf;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl === -1) break;
      const msg = onLine(data.subarray(start, nl + 1));
      if (msg) yield msg;
      start = nl + 1;
    }
    pending = Buffer.from(data.subarray(start));
  }
  if (pending.length > 0) {
    const msg = onLine(pending);
    if (msg) yield msg;
  }
  const last = finish();
  if (last) yield last;
}

export const mbox: InputFormatDefinition = {
  name: 'mbox',
  description: 'mbox mailboxes (messages separated by "From " lines), streamed',
  sniff: (head) => looksLikeMbox(head),
  read: (src) => readMbox(src.stream(), src.source, src.file, src.options.headersOnly && !src.options.mboxBodies),
};
