// uuencode, the attachment encoding of mail before MIME that some clients still read: as a
// Content-Transfer-Encoding (x-uuencode) and as `begin 644 name` ... `end` blocks inside a text
// body, which Outlook and Thunderbird show as attachments. yEnc blocks (`=ybegin ... name=`) are
// only found, to be reported. Pure and bounded: at most `limit` bytes are decoded.
//
// Written here rather than taken from npm: the one decoder there (uue) reads only "\n" line ends
// (mail has CRLF), drops a whole file when a line lost its trailing spaces (mail transports strip
// them, and a space is uuencode's zero), has no output bound, and uses the removed `new Buffer`.

/**
 * The start of a line that opens a uuencoded file (`begin 644 `) or a yEnc file (`=ybegin `). The
 * rest of the line (the name) is read with indexOf, not by the pattern: a pattern that also
 * matched the name backtracked over every `name=` of a crafted line (quadratic: 210 KB took 42 s).
 */
const BEGIN_LINE = /^(?:begin[ \t]+[0-7]{3,4}[ \t]+|=ybegin[ \t])/gm;

export interface EncodedBlock {
  kind: 'uuencode' | 'yenc';
  name: string;
  /** Index just past the begin line (where the encoded lines start). */
  start: number;
}

/** The uuencoded and yEnc files written inside `text`, in order, at most `max`. */
export function findEncodedBlocks(text: string, max: number): EncodedBlock[] {
  const out: EncodedBlock[] = [];
  if (text.indexOf('begin ') === -1 && text.indexOf('begin\t') === -1) return out;
  BEGIN_LINE.lastIndex = 0;
  for (let m = BEGIN_LINE.exec(text); m !== null && out.length < max; m = BEGIN_LINE.exec(text)) {
    const lf = text.indexOf('\n', m.index);
    const lineEnd = lf === -1 ? text.length : lf;
    BEGIN_LINE.lastIndex = lineEnd;
    const kind = m[0].startsWith('=') ? 'yenc' : 'uuencode';
    let rest = text.slice(m.index + m[0].length, lineEnd);
    if (kind === 'yenc') {
      // The name is the last parameter: everything after the first " name=".
      const at = /(?:^|[ \t])name=/.exec(rest);
      if (!at) continue;
      rest = rest.slice(at.index + at[0].length);
    }
    const name = rest.trim();
    if (name === '') continue;
    out.push({ kind, name, start: lf === -1 ? text.length : lf + 1 });
  }
  return out;
}

/** One character's 6 bits: "`" and " " are both zero; a character past the line's end (a trailing
 * space the transport stripped) is zero too. */
function sixBits(text: string, i: number, lineEnd: number): number {
  return i < lineEnd ? (text.charCodeAt(i) - 0x20) & 0x3f : 0;
}

/**
 * Decodes the uuencoded lines of `text` from index `from` (the line after "begin") up to the
 * "end" line, a zero-length line or the end of the text, into at most `limit` bytes. `text` is
 * read as latin1 (one character per byte). `truncated`: the limit stopped it before the end.
 */
export function uudecode(text: string, from: number, limit: number): { bytes: Buffer; truncated: boolean } {
  // A line gives at most 3/4 of its characters and 3 bytes more (below): 1.5 bytes per character.
  const out = Buffer.allocUnsafe(Math.max(0, Math.min(limit, Math.ceil((text.length - from) * 1.5) + 3)));
  let o = 0;
  let pos = from;
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = text.length;
    const lineEnd = text.charCodeAt(eol - 1) === 0x0d && eol > pos ? eol - 1 : eol;
    // The length character says how many bytes the line holds; a line whose trailing spaces were
    // stripped is read with zeros for them, up to 3 bytes past what its characters carry.
    const n = Math.min(sixBits(text, pos, lineEnd), Math.floor(((lineEnd - pos - 1) * 3) / 4) + 3);
    if (lineEnd === pos || n === 0 || (lineEnd - pos === 3 && text.startsWith('end', pos))) return { bytes: out.subarray(0, o), truncated: false };
    for (let i = 0, c = pos + 1; i < n; i += 3, c += 4) {
      const v = (sixBits(text, c, lineEnd) << 18) | (sixBits(text, c + 1, lineEnd) << 12) | (sixBits(text, c + 2, lineEnd) << 6) | sixBits(text, c + 3, lineEnd);
      for (let k = 0; k < 3 && i + k < n; k++) {
        if (o >= limit) return { bytes: out.subarray(0, o), truncated: true };
        out[o++] = (v >> (16 - 8 * k)) & 0xff;
      }
    }
    pos = eol + 1;
  }
  return { bytes: out.subarray(0, o), truncated: false };
}
