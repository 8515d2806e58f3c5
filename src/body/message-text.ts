// The reading of a message's text: its text parts (as src/body/mime.ts finds and decodes them) in,
// the addresses a reader sees in each out, split into what the sender wrote and the quoted thread.
// One reading for every message the scan meets: the message's own parts, a forwarded message
// (message/rfc822, an attached .eml), and a saved message inside an archive or an Outlook or TNEF
// item (src/body/attachments/index.ts). Pure; it imports no attachment reader, so both the body
// scan (scan.ts) and the attachment scan use it without importing each other.

import { COMPAT_AT, findAddresses } from './addresses.js';
import { decodeHtmlMarkup, htmlText, INVISIBLE } from './html-text.js';
import type { TextPart } from './mime.js';
import { splitQuoted } from './quoted.js';
import { unflowDelSp } from './flowed.js';
import { rtfText } from './rtf-text.js';
import { enrichedText, type EnrichedKind } from './enriched-text.js';

export interface PartAddresses {
  part: string;
  contentType: string;
  fileName?: string;
  /** Addresses in what the sender wrote (or in the attachment). */
  own: Set<string>;
  /** Addresses in the quoted thread: ">" lines, after a reply separator, inside a forwarded message. */
  quoted: Set<string>;
  truncated: boolean;
}

/** Text whose markup a reader renders away, other than HTML. */
type TextMarkup = 'rtf' | EnrichedKind;

/**
 * The addresses a reader sees in `text`: for HTML, those of the markup (mailto: links) and those
 * of its text once tags, comments and character references are gone (htmlText); for RTF,
 * text/enriched and text/richtext, those of the text as written and as rendered; for any text,
 * also with invisible characters (soft hyphen, zero-width space) removed.
 */
function addressesSeen(text: string, html: boolean, kind?: TextMarkup): Set<string> {
  const found = findAddresses(text);
  const rendered = kind === undefined ? text : kind === 'rtf' ? rtfText(text) : enrichedText(text, kind);
  const shown = html ? htmlText(text) : rendered.replace(INVISIBLE, '');
  if (shown !== text) findAddresses(shown, found);
  // Attribute values a reader is shown too (an image's alt text where images are blocked, a title
  // on hover, a mailto: link's addresses in the window it opens) with an "@" written as a character
  // reference: htmlText drops the tags, and the markup as written holds no "@".
  const markup = html && AT_REFERENCE.test(text) ? decodeHtmlMarkup(text) : text;
  if (markup !== text) findAddresses(markup, found);
  // A mailto: link with its "@" percent-encoded (mailto:p1%40org1.example%2Cp2%40..., as
  // encodeURIComponent writes an address): the mail program opens it with the addresses decoded.
  if (markup.includes('%40')) for (const link of markup.match(MAILTO_LINK) ?? []) findAddresses(percentDecoded(link), found);
  // Quoted-printable inside the text itself (vCard 2.1's EMAIL;ENCODING=QUOTED-PRINTABLE:a=40x.test,
  // read as "a@x.test" by every address book), its soft line breaks joined: a writer breaks a long
  // value anywhere, at its "@" too (p1= / =40org.example, p1@= / org.example).
  if (QUOTED_PRINTABLE_TEXT.test(shown)) findAddresses(decodeQuotedPrintableText(shown), found);
  return found;
}

/** Text that may hold quoted-printable: an "=40", or a value declared so (`;ENCODING=QUOTED-PRINTABLE:`), whose "@" may be written as it is. One search. */
const QUOTED_PRINTABLE_TEXT = /=40|quoted-printable/i;
/** A soft line break (white space between its "=" and the line end, a bare CR's included, as mime.ts's decoder reads it) or an escaped byte. */
const QUOTED_PRINTABLE_ESCAPE = /=[ \t]*(?:\r?\n|\r)|=([0-9A-Fa-f]{2})/g;

function decodeQuotedPrintableText(text: string): string {
  return text.replace(QUOTED_PRINTABLE_ESCAPE, (_m, hex: string | undefined) => (hex === undefined ? '' : String.fromCharCode(Number.parseInt(hex, 16))));
}

/** A character reference to "@" (&#64;, &#x40;, &commat;, leading zeros and no ";" included). */
const AT_REFERENCE = /&(?:#0*64(?!\d)|#x0*40(?![0-9a-f])|commat;)/i;
const MAILTO_LINK = /mailto:[^\s"'<>]+/gi;

function percentDecoded(link: string): string {
  try {
    return decodeURIComponent(link);
  } catch {
    return link.replace(/%40/g, '@');
  }
}

/** The addresses of each text part, the renderings of one multipart/alternative as one part. */
export function addressesOfTextParts(textParts: TextPart[]): PartAddresses[] {
  const out: PartAddresses[] = [];
  /** One entry per multipart/alternative: its renderings show the same list once. */
  const alternatives = new Map<string, PartAddresses>();
  for (const p of textParts) {
    // (A fullwidth or small commercial at reads as "@" too: findAddresses reads it in its NFKC form.)
    if (p.text.indexOf('@') === -1 && !(p.html && p.text.indexOf('&') !== -1) && p.text.indexOf('=40') === -1 && p.text.indexOf('%40') === -1 && !(p.rtf && p.text.indexOf('\\') !== -1) && !COMPAT_AT.test(p.text)) continue;
    const markup: TextMarkup | undefined = p.rtf ? 'rtf' : p.enriched;
    let own: Set<string>;
    let quoted: Set<string>;
    // Attachments are data, not conversation: everything in them is the sender's.
    if (p.forwarded) {
      own = new Set();
      quoted = addressesSeen(p.text, p.html, markup);
    } else if (p.fileName !== undefined && !p.html && p.contentType !== 'text/plain') {
      own = addressesSeen(p.text, false, markup);
      quoted = new Set();
    } else {
      const split = splitQuoted(p.text, p.html);
      own = addressesSeen(split.own, p.html, markup);
      quoted = addressesSeen(split.quoted, p.html, markup);
    }
    if (p.delSp) {
      // The lines as a format=flowed reader joins them, beside the lines as written (read above).
      const joined = unflowDelSp(p.text);
      const split = p.forwarded ? { own: '', quoted: joined } : splitQuoted(joined, false);
      for (const a of addressesSeen(split.own, false)) own.add(a);
      for (const a of addressesSeen(split.quoted, false)) if (!own.has(a)) quoted.add(a);
    }
    const same = p.alternative !== undefined ? alternatives.get(p.alternative) : undefined;
    if (same) {
      for (const a of own) same.own.add(a);
      for (const a of quoted) if (!same.own.has(a)) same.quoted.add(a);
      same.truncated ||= p.truncated;
      continue;
    }
    const entry: PartAddresses = { part: p.part, contentType: p.contentType, own, quoted, truncated: p.truncated };
    if (p.fileName !== undefined) entry.fileName = p.fileName;
    if (p.alternative !== undefined) alternatives.set(p.alternative, entry);
    out.push(entry);
  }
  return out;
}

/** Every address a reader of these text parts sees, the sender's and the quoted thread's. */
export function addressesOfMessageText(textParts: TextPart[]): Set<string> {
  const found = new Set<string>();
  for (const p of addressesOfTextParts(textParts)) {
    for (const a of p.own) found.add(a);
    for (const a of p.quoted) found.add(a);
  }
  return found;
}
