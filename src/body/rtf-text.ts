// What a reader sees of an RTF part, for the address scan: control words and groups gone, escaped
// characters (\'40, \u64?) decoded. Not a renderer: the raw RTF is searched too (scan.ts); this
// only finds the addresses a word processor shows but the source writes in pieces
// (`a\'40x.test`, `a{\b @}x.test`). No maintained npm RTF reader is small and synchronous, and a
// few linear patterns are enough to see addresses.

/** \'hh and \uN (with its one-character fallback, usually "?"): decoded. */
const ESCAPE = /\\'([0-9a-fA-F]{2})|\\u(-?\d{1,6}) ?(?:\\'[0-9a-fA-F]{2}|[^\\{}])?/g;
/** Control words a reader sees as a break between two words (paragraph, line, tab, cell, row). */
const BREAK_WORD = /\\(?:par|pard|line|tab|cell|row|sect|page)(?![a-zA-Z])-?\d{0,10} ?/g;
/** Any other control word (with its parameter and delimiting space) or control symbol. */
const CONTROL = /\\[a-zA-Z]{1,32}-?\d{0,10} ?|\\[^a-zA-Z]/g;
/** Group braces and source line breaks, which RTF ignores. */
const IGNORED = /[{}\r\n]/g;

function unescape(_m: string, hex?: string, uni?: string): string {
  if (hex !== undefined) return String.fromCharCode(Number.parseInt(hex, 16));
  const n = Number(uni);
  return String.fromCharCode(n < 0 ? n + 65536 : n & 0xffff);
}

/** The text of an RTF document as a reader sees it, roughly: for finding addresses only. */
export function rtfText(rtf: string): string {
  let t = rtf;
  if (t.includes("\\'") || t.includes('\\u')) t = t.replace(ESCAPE, unescape);
  // Breaks are marked with NUL until the source's own line breaks (ignored by RTF) are gone.
  return t.replace(BREAK_WORD, '\0').replace(CONTROL, '').replace(IGNORED, '').replace(/\0/g, '\n');
}
