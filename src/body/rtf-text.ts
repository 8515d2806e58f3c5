// What a reader sees of an RTF part, for the address scan: control words and groups gone, escaped
// characters (\'40, \u64?) decoded. Not a renderer: the raw RTF is searched too (scan.ts); this
// only finds the addresses a word processor shows but the source writes in pieces
// (`a\'40x.test`, `a{\b @}x.test`). No maintained npm RTF reader is small and synchronous, and a
// few linear patterns are enough to see addresses.

/** \'hh, \uN and \ucN (how many fallback characters follow each \uN). */
const ESCAPE = /\\'([0-9a-fA-F]{2})|\\u(-?\d{1,6}) ?|\\uc(\d{1,2}) ?/g;
/** One fallback character after \uN: an escaped byte or a character that is not markup. */
const FALLBACK = /\\'[0-9a-fA-F]{2}|[^\\{}]/y;
/** Control words a reader sees as a break between two words (paragraph, line, tab, cell, row). */
const BREAK_WORD = /\\(?:par|pard|line|tab|cell|row|sect|page)(?![a-zA-Z])-?\d{0,10} ?/g;
/** Any other control word (with its parameter and delimiting space) or control symbol. */
const CONTROL = /\\[a-zA-Z]{1,32}-?\d{0,10} ?|\\[^a-zA-Z]/g;
/** Group braces and source line breaks, which RTF ignores. */
const IGNORED = /[{}\r\n]/g;

/** The East Asian double-byte code pages (\ansicpgN): a character escaped as two \'hh in a row. */
const DOUBLE_BYTE: Record<string, string> = { '932': 'shift_jis', '936': 'gbk', '949': 'euc-kr', '950': 'big5' };

/** Decodes the escapes of `rtf`: \'hh as bytes of the document's code page (two at a time in a
 * double-byte one: Japanese Word writes "＠" as \'81\'97), \uN as its character followed by the
 * \ucN fallback characters it stands for, which are skipped (Word writes \uc2\u-224\'81\'97). */
function unescapeRtf(rtf: string): string {
  const cp = /\\ansicpg(\d{3,5})/.exec(rtf)?.[1];
  const label = cp === undefined ? undefined : DOUBLE_BYTE[cp];
  const decoder = label === undefined ? undefined : new TextDecoder(label);
  let out = '';
  let from = 0;
  let skip = 1;
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length === 0) return;
    out += decoder ? decoder.decode(Uint8Array.from(bytes)) : Buffer.from(bytes).toString('latin1');
    bytes = [];
  };
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(rtf); m !== null; m = ESCAPE.exec(rtf)) {
    // Bytes escaped one after another are one run (a double-byte character is two of them).
    if (m.index !== from) flush();
    out += rtf.slice(from, m.index);
    from = ESCAPE.lastIndex;
    if (m[1] !== undefined) {
      bytes.push(Number.parseInt(m[1], 16));
      continue;
    }
    flush();
    if (m[3] !== undefined) {
      skip = Number(m[3]);
      continue;
    }
    const n = Number(m[2]);
    out += String.fromCharCode(n < 0 ? n + 65536 : n & 0xffff);
    for (let k = 0; k < skip; k++) {
      FALLBACK.lastIndex = from;
      const f = FALLBACK.exec(rtf);
      if (f === null) break;
      from = FALLBACK.lastIndex;
    }
    ESCAPE.lastIndex = from;
  }
  flush();
  return out + rtf.slice(from);
}

/** The text of an RTF document as a reader sees it, roughly: for finding addresses only. */
export function rtfText(rtf: string): string {
  let t = rtf;
  if (t.includes("\\'") || t.includes('\\u')) t = unescapeRtf(t);
  // Breaks are marked with NUL until the source's own line breaks (ignored by RTF) are gone.
  return t.replace(BREAK_WORD, '\0').replace(CONTROL, '').replace(IGNORED, '').replace(/\0/g, '\n');
}
