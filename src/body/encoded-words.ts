// RFC 2047 encoded words in UTF-8, decoded exactly as libmime's decodeWords does, without loading
// libmime: its load (iconv-lite, encoding-japanese, a double-byte codec table built at start-up)
// cost about 200 million instructions, 40% of a `node -e 0` start, for every check of a draft
// with one encoded display name (bench scenario 5; callgrind). Text whose every "=?" opens a
// UTF-8 word takes this path; any other charset goes to libmime (mime.ts), which also keeps the
// rare cases (joining words of different charsets) in one place.
// tests/body/encoded-words.test.ts compares this with libmime on generated text.

/**
 * Whether every "=?" in `text` where libmime's patterns or a reader's could see a word
 * (`=?charset?B?` or `=?charset?Q?`, the charset empty too: Python decodes `=??B?...?=`) opens one
 * declared UTF-8, so its charset handling is UTF-8 throughout. Other "=?" (the end of base64
 * padding, "YQ==?=") cannot start a match of those patterns.
 */
export function onlyUtf8Words(text: string): boolean {
  for (let i = text.indexOf('=?'); i !== -1; i = text.indexOf('=?', i + 2)) {
    if (text.slice(i + 2, i + 8).toLowerCase() === 'utf-8?') continue;
    const q = text.indexOf('?', i + 2);
    if (q !== -1 && 'BbQq'.includes(text.charAt(q + 1) || '-') && text.charAt(q + 2) === '?') return false;
  }
  return true;
}

function hexDigit(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
}

/** libbase64's decode: segments between padding characters decoded one after another. */
function decodeBase64(input: string): Buffer {
  let str = input;
  if (/[^\u0000-\u00ff]/.test(str)) str = str.replace(/[^\u0000-\u00ff]+/g, '');
  const padPos = str.indexOf('=');
  if (padPos >= 0 && /[a-zA-Z0-9+/\-_]/.test(str.slice(padPos))) {
    const output = Buffer.alloc(Math.floor((str.length * 3) / 4));
    let length = 0;
    let start = 0;
    while (start <= str.length) {
      let end = str.indexOf('=', start);
      if (end < 0) end = str.length;
      if (end > start) length += output.write(str.substring(start, end), length, 'base64');
      start = end + 1;
    }
    return Buffer.from(output.subarray(0, length));
  }
  return Buffer.from(str, 'base64');
}

/** libmime's decodeWord for a UTF-8 word. */
function decodeUtf8Word(encoding: string, text: string): string {
  if (encoding.toUpperCase() === 'Q') {
    const buf = Buffer.from(text.replace(/=\s+([0-9a-fA-F])/g, '=$1').replace(/[_\s]/g, ' '));
    const bytes: number[] = [];
    for (let i = 0, len = buf.length; i < len; i++) {
      const c = buf[i]!;
      if (i <= len - 2 && c === 0x3d && hexDigit(buf[i + 1]) && hexDigit(buf[i + 2])) {
        bytes.push(parseInt(String.fromCharCode(buf[i + 1]!, buf[i + 2]!), 16));
        i += 2;
        continue;
      }
      bytes.push(c);
    }
    return Buffer.from(bytes).toString('utf-8');
  }
  return decodeBase64(text).toString('utf-8');
}

/** libmime's decodeWords for text where onlyUtf8Words holds (every charset normalises to UTF-8, so adjacent words always join). */
export function decodeUtf8Words(text: string): string {
  return text
    .replace(/(=\?([^?]+)\?[Bb]\?[^?]*\?=)\s*(?==\?([^?]+)\?[Bb]\?[^?]*\?=)/g, (_m, left: string) => `${left}__\x00JOIN\x00__`)
    .replace(/(=\?([^?]+)\?[Qq]\?[^?]*\?=)\s*(?==\?([^?]+)\?[Qq]\?[^?]*\?=)/g, (_m, left: string) => `${left}__\x00JOIN\x00__`)
    .replace(/(\?=)?__\x00JOIN\x00__(=\?([^?]+)\?[QqBb]\?)?/g, '')
    .replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?[^?]+\?[QqBb]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([\w_\-*]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, encoding: string, word: string) => decodeUtf8Word(encoding, word));
}
