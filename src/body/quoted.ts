// Separates what the sender wrote from the quoted thread (">" lines, and everything after a
// reply or forward separator), so addresses quoted again and again count once per message.

export interface SplitText {
  own: string;
  quoted: string;
}

/**
 * Lines that start the quoted part of a reply or forward in common clients (en, de, fr). Letters
 * beyond ASCII are escapes (\u00fc u-umlaut, \u00e9 e-acute, \u00e0 a-grave): esbuild copies a regular
 * expression's characters as they are, and the check bundle must stay ASCII (tsup.config.ts).
 */
const SEPARATORS: RegExp[] = [
  /^-{2,}\s*(?:original message|forwarded message|urspr\u00fcngliche nachricht|weitergeleitete nachricht|message d'origine|message transf\u00e9r\u00e9)\s*-{2,}/i,
  /^begin forwarded message:/i,
  /^on .{1,300}wrote:\s*$/i,
  /^am .{1,300}schrieb.{0,200}:\s*$/i,
  /^le .{1,300}a \u00e9crit\s*:\s*$/i,
  /^_{10,}\s*$/,
];

/** Outlook quotes a thread as a header block: "From: ..." then "Sent:"/"Date:"/"To:" within a few lines. */
const OUTLOOK_FROM = /^\*?(?:from|von|de)\s*:\*?\s/i;
const OUTLOOK_NEXT = /^\*?(?:sent|date|gesendet|datum|envoy\u00e9|to|an|\u00e0|subject|betreff|objet)\s*:\*?\s/i;

/** Header lines quoted in threads whose `x@y` tokens are message identifiers, not addresses. */
const ID_FIELDS = /^(?:message-id|references|in-reply-to|content-id|x-[\w-]+)\s*:/i;
/** Such a line's value when it holds identifiers: `<id@host>` tokens with white space between
 * them, or one token. A value listing addresses (`a@x, b@y`, `Ann <a@x>; ...`) is text a reader
 * sees whatever the line starts with ("X-Attendees: ..."), and is read. */
const ID_VALUE = /^\s*(?:<[^<>\s]*>(?:\s*<[^<>\s]*>)*|[^\s,;<>]*)\s*$/;

/** Where quoted thread starts in HTML mail (Gmail, Outlook, Thunderbird, Apple Mail). */
const HTML_QUOTE = /<blockquote|class=["']?(?:gmail_quote|moz-cite-prefix|moz-forward-container)|id=["']?(?:divRplyFwdMsg|appendonsend)/i;

export function splitQuoted(text: string, html: boolean): SplitText {
  if (html) {
    const m = HTML_QUOTE.exec(text);
    return m ? { own: text.slice(0, m.index), quoted: text.slice(m.index) } : { own: text, quoted: '' };
  }
  const lines = text.includes('\r') ? text.split(/\r?\n|\r/) : text.split('\n');
  const own: string[] = [];
  const quoted: string[] = [];
  let inThread = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const bare = line.replace(/^[\s>]+/, '');
    const idField = ID_FIELDS.exec(bare);
    if (idField && ID_VALUE.test(bare.slice(idField[0].length))) continue;
    if (!inThread) {
      const trimmed = line.trim();
      if (SEPARATORS.some((re) => re.test(trimmed))) inThread = true;
      else if (OUTLOOK_FROM.test(trimmed) && lines.slice(i + 1, i + 4).some((l) => OUTLOOK_NEXT.test(l.trim()))) inThread = true;
    }
    if (inThread || /^\s*>/.test(line)) quoted.push(line);
    else own.push(line);
  }
  return { own: own.join('\n'), quoted: quoted.join('\n') };
}
