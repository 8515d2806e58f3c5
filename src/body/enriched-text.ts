// What a reader of a text/enriched (RFC 1896) or text/richtext (RFC 1341) part sees, for the
// address scan: formatting commands gone (`p1<bold>@</bold>org1.test` shows as p1@org1.test),
// enriched's <param> text not shown, its "<<" a "<", richtext's <lt> a "<" and <nl> a line break.
// Not a renderer: the text as written is searched too (message-text.ts), for the clients that
// show these types as plain text. One linear pass: a <param> left open runs to the end.

/** "<<", a <param> up to its end, or a command (RFC 1896: a name of letters, digits and "-", at most 60). */
const ENRICHED = /<<|<param>[\s\S]*?(?:<\/param>|$)|<\/?[a-z0-9-]{1,60}>/gi;
/** <lt>, <nl>, or any other command. */
const RICHTEXT = /<\/?[a-z0-9-]{1,60}>/gi;

export type EnrichedKind = 'enriched' | 'richtext';

/** The content types read so, and how. */
export function enrichedKind(type: string): EnrichedKind | undefined {
  return type === 'text/enriched' ? 'enriched' : type === 'text/richtext' ? 'richtext' : undefined;
}

export function enrichedText(text: string, kind: EnrichedKind): string {
  if (kind === 'enriched') return text.replace(ENRICHED, (m) => (m === '<<' ? '<' : ''));
  return text.replace(RICHTEXT, (m) => {
    const name = m.toLowerCase();
    return name === '<lt>' ? '<' : name === '<nl>' ? '\n' : '';
  });
}
