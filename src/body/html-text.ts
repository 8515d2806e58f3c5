// What a reader sees of an HTML part, for the address scan: tags and comments gone, character
// references decoded, invisible characters dropped. A list written `a&#64;x.test`, `a<span>@</span>
// x.test` or `a@x&shy;.test` is shown by every mail client as `a@x.test`, and searching the raw
// markup missed it. Not a renderer (no library needed for this): the scan looks for addresses, so
// block elements become line breaks (two addresses on two lines must stay two) and inline ones
// disappear. The raw markup is still searched too (mailto: links), see scan.ts.

/** Elements a browser lays out as their own line or cell. */
// Every pattern here runs in linear time on any input (a part is up to maxPartBytes): a tag ends
// at the next "<" or ">" (so unclosed ones cannot make each "<" scan to the end), a comment at
// its "-->" or the end.
const BLOCK_TAG = /<\/?(?:address|article|aside|blockquote|br|caption|dd|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul)\b[^<>]*>/gi;
const COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const HIDDEN_OPEN = /<(script|style|title|head)\b/gi;
const TAG = /<\/?[a-z!?][^<>]*>/gi;
const REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));?/g;

/** Named references that can stand in an address or around one (HTML's names). */
const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  commat: '@',
  period: '.',
  hyphen: '-',
  dash: '-',
  lowbar: '_',
  plus: '+',
  equals: '=',
  excl: '!',
  num: '#',
  dollar: '$',
  percnt: '%',
  ast: '*',
  sol: '/',
  quest: '?',
  Hat: '^',
  grave: '`',
  lbrace: '{',
  rbrace: '}',
  verbar: '|',
  vert: '|',
  tilde: '~',
  comma: ',',
  colon: ':',
  semi: ';',
  shy: '',
  zwj: '',
  zwnj: '',
  lrm: '',
  rlm: '',
  NoBreak: '',
  ZeroWidthSpace: '',
};

/** Characters no reader sees that would cut an address in two for the search. */
export const INVISIBLE = /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

function reference(whole: string, dec: string | undefined, hex: string | undefined, name: string | undefined): string {
  if (name !== undefined) return NAMED[name] ?? whole;
  const cp = dec !== undefined ? Number(dec) : Number.parseInt(hex!, 16);
  if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(cp);
}

/** `html` without the elements no reader sees (script, style, title, head), each up to its end tag
 * (or to the end, as a browser reads an unclosed one); one pass. */
function withoutHidden(html: string): string {
  HIDDEN_OPEN.lastIndex = 0;
  let out = '';
  let from = 0;
  for (let m = HIDDEN_OPEN.exec(html); m !== null; m = HIDDEN_OPEN.exec(html)) {
    out += `${html.slice(from, m.index)} `;
    const close = new RegExp(`</${m[1]}\\s*>`, 'gi');
    close.lastIndex = HIDDEN_OPEN.lastIndex;
    const end = close.exec(html);
    if (end === null) return out;
    from = HIDDEN_OPEN.lastIndex = end.index + end[0].length;
  }
  return from === 0 ? html : out + html.slice(from);
}

/** The text of an HTML fragment as a reader sees it, roughly: for finding addresses only. */
export function htmlText(html: string): string {
  let t = withoutHidden(html.replace(COMMENT, '')).replace(BLOCK_TAG, '\n').replace(TAG, '');
  if (t.includes('&')) t = t.replace(REFERENCE, reference);
  return t.replace(INVISIBLE, '');
}
