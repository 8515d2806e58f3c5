// What a reader sees of an HTML part, for the address scan: tags and comments gone, character
// references decoded, invisible characters dropped. A list written `a&#64;x.test`, `a<span>@</span>
// x.test` or `a@x&shy;.test` is shown by every mail client as `a@x.test`, and searching the raw
// markup missed it. Not a renderer (far more than needed): the scan looks for addresses, so
// block elements become line breaks (two addresses on two lines must stay two) and inline ones
// disappear. Character references are decoded by `entities` (htmlparser2's own decoder: every HTML
// name, and the legacy ones without ";" as browsers read them). The raw markup is still searched
// too (mailto: links), see scan.ts.

// Every pattern here runs in linear time on any input (a part is up to maxPartBytes): a tag ends
// at the next "<" or ">" (so unclosed ones cannot make each "<" scan to the end), a comment at
// its "-->" or the end.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `entities`' decodeHTML, loaded on the first HTML part with a reference (not at start-up). */
let decodeHTML: ((s: string) => string) | undefined;

/** Elements a browser lays out as their own line or cell. */
const BLOCK_TAG = /<\/?(?:address|article|aside|blockquote|br|caption|dd|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul)\b[^<>]*>/gi;
const COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const HIDDEN_OPEN = /<(script|style|title|head)\b/gi;
const TAG = /<\/?[a-z!?][^<>]*>/gi;
/** Characters no reader sees that would cut an address in two for the search. */
export const INVISIBLE = /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

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

/** HTML with its character references decoded, tags and all (attribute values read as a reader is shown them). */
export function decodeHtmlMarkup(html: string): string {
  return (decodeHTML ??= (require('entities') as typeof import('entities')).decodeHTML)(html);
}

/** The text of an HTML fragment as a reader sees it, roughly: for finding addresses only. */
export function htmlText(html: string): string {
  let t = withoutHidden(html.replace(COMMENT, '')).replace(BLOCK_TAG, '\n').replace(TAG, '');
  if (t.includes('&')) t = decodeHtmlMarkup(t);
  return t.replace(INVISIBLE, '');
}
