// Address masking for output that may be public: keep the domain (the organisation is what a
// reader needs) and the first character of the local part.

/** `jane.doe@corp.example` -> `j***@corp.example`. Addresses at IP literals keep the literal. */
export function maskAddress(address: string): string {
  let at = address.lastIndexOf('@');
  // A fullwidth or small commercial at is an at to readers too (LOCAL_BEFORE_AT below).
  if (at < 0) at = Math.max(address.lastIndexOf('\uFF20'), address.lastIndexOf('\uFE6B'));
  if (at <= 0) return '***';
  const local = address.slice(0, at);
  // The first character: two UTF-16 units for a surrogate pair (no array of the whole local part).
  const c = local.charCodeAt(0);
  const pair = c >= 0xd800 && c <= 0xdbff && local.length > 1 && (local.charCodeAt(1) & 0xfc00) === 0xdc00;
  const first = local.startsWith('"') || pair ? local.slice(0, 2) : local.slice(0, 1);
  return `${first}***${address.slice(at)}`;
}

/**
 * The local part before an `@` in free text, however it is written: a plain word, a quoted string
 * (`"jane doe"@`), with blanks (`mary.major @`) or comments (`john(x)@`) between it and the `@`.
 * Malformed fields are where such forms occur, and the excerpts shown are of malformed fields.
 * A fullwidth or small commercial at (U+FF20, U+FE6B) is an at too: readers show `jane＠x.test` as
 * an address, and the analysis counts it as one (findAddresses reads it in its NFKC form).
 */
const LOCAL_BEFORE_AT = /("[^"\r\n]*"|[^\s<>(),;:"@\uFF20\uFE6B]+)((?:[ \t]*\([^()\r\n]*\))*[ \t]*)([@\uFF20\uFE6B])/g;
const ANY_AT = /[@\uFF20\uFE6B]/;

/** The first character of a local part (two for a quoted one), then `***`. */
function maskLocal(local: string): string {
  return `${maskAddress(`${local}@x`).slice(0, -2)}${local.startsWith('"') ? '"' : ''}`;
}

/** Masks every address-like token in free text (excerpts of malformed fields): each local part
 * before an `@` keeps its first character, comments between it and the `@` are hidden. */
export function maskText(text: string): string {
  if (!ANY_AT.test(text)) return text;
  return text.replace(LOCAL_BEFORE_AT, (_m, local: string, between: string, at: string) => `${maskLocal(local)}${between.replace(/\([^()]*\)/g, '(***)')}${at}`);
}

/**
 * A name that is an address in some cases, masked as one address when it is: a party (an address
 * for consumer providers), an SMTP AUTH user name (often the sender's address).
 */
export function maskParty(party: string): string {
  return ANY_AT.test(party) ? maskAddress(party) : party;
}
