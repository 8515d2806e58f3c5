// Address masking for output that may be public: keep the domain (the organisation is what a
// reader needs) and the first character of the local part.

/** `jane.doe@corp.example` -> `j***@corp.example`. Addresses at IP literals keep the literal. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  const local = address.slice(0, at);
  // The first character: two UTF-16 units for a surrogate pair (no array of the whole local part).
  const c = local.charCodeAt(0);
  const pair = c >= 0xd800 && c <= 0xdbff && local.length > 1 && (local.charCodeAt(1) & 0xfc00) === 0xdc00;
  const first = local.startsWith('"') || pair ? local.slice(0, 2) : local.slice(0, 1);
  return `${first}***${address.slice(at)}`;
}

const EMAILISH = /[^\s<>(),;:"]+@[^\s<>(),;:"]+/g;

/** Masks every address-like token in free text (excerpts of malformed fields). */
export function maskText(text: string): string {
  return text.replace(EMAILISH, (m) => maskAddress(m));
}

/** A party name is an address for consumer providers; mask those. */
export function maskParty(party: string): string {
  return party.includes('@') ? maskAddress(party) : party;
}
