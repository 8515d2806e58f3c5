// UTF-16 text with or without a byte order mark. Windows writes UTF-16 (PowerShell's `>` and
// Out-File, Excel's "Unicode text", .NET's Encoding.Unicode); a mark is usual but not certain
// (Encoding.Unicode.GetBytes, iconv -t UTF-16LE, many exporters write none), and a list read as
// UTF-8 or latin1 there has a NUL between its letters: not one address is found in it.

/** Bytes looked at to tell UTF-16 without a byte order mark: a few lines of a list, a header
 * row of East Asian column names included. */
const UTF16_SNIFF_BYTES = 4096;

/** Share of the pairs looked at that must hold one zero byte, in the same place, for unmarked
 * bytes to be UTF-16: ASCII text (a header, JSON, a CSV of addresses) has it in every pair, a CSV
 * whose first row is Japanese column names in most; text in an 8-bit charset has no zero byte. */
const UTF16_MIN_SHARE = 0.25;

/** Pairs with the zero byte in the other place, or two zero bytes, may be at most this share of
 * those with it in the one: a binary file has them everywhere, UTF-16 text in one place (the other
 * in a few CJK characters, U+4E00). */
const UTF16_MAX_OTHER_SHARE = 0.125;

export interface Utf16Order {
  order: 'le' | 'be';
  /** The text starts with a byte order mark (two bytes to skip). */
  bom: boolean;
}

/**
 * The UTF-16 byte order of `bytes`: from its byte order mark, else from where the zero byte of
 * each pair is (ASCII letters in UTF-16LE are `a 00`, in UTF-16BE `00 a`). Undefined for other text.
 */
export function utf16Order(bytes: Uint8Array): Utf16Order | undefined {
  // FF FE 00 00 is UTF-32LE's mark, not UTF-16's.
  if (bytes[0] === 0xff && bytes[1] === 0xfe && !(bytes[2] === 0 && bytes[3] === 0)) return { order: 'le', bom: true };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { order: 'be', bom: true };
  const pairs = Math.min(bytes.length, UTF16_SNIFF_BYTES) >> 1;
  // Most text holds no zero byte at all: one native search, not a loop, for every file of a walk.
  if (pairs < 2 || !bytes.subarray(0, pairs * 2).includes(0)) return undefined;
  let le = 0;
  let be = 0;
  let both = 0;
  for (let p = 0; p < pairs; p++) {
    const a = bytes[2 * p]!;
    const b = bytes[2 * p + 1]!;
    if (a !== 0 && b === 0) le++;
    else if (a === 0 && b !== 0) be++;
    else if (a === 0) both++;
  }
  // Pairs of two zero bytes (UTF-32, a binary file's padding) are U+0000 in UTF-16: rare in text.
  const min = Math.max(2, pairs * UTF16_MIN_SHARE);
  if (le >= min && be + both <= le * UTF16_MAX_OTHER_SHARE) return { order: 'le', bom: false };
  if (be >= min && le + both <= be * UTF16_MAX_OTHER_SHARE) return { order: 'be', bom: false };
  return undefined;
}

/** UTF-16 text in `order`, without its byte order mark (an odd last byte dropped). */
export function decodeUtf16(bytes: Uint8Array, { order, bom }: Utf16Order): string {
  const skip = bom ? 2 : 0;
  const units = Buffer.from(bytes.buffer, bytes.byteOffset + skip, (bytes.byteLength - skip) & ~1);
  return (order === 'le' ? units : Buffer.from(units).swap16()).toString('utf16le');
}
