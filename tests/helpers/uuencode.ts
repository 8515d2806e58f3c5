// uuencode for building test messages (mailguard only decodes it: src/body/uuencode.ts).

/** uuencode as the Unix program writes it (45 bytes a line, "`" for zero, a "`" line, then "end"). */
export function uuencode(bytes: Uint8Array, name: string, eol = '\n', zero = '`'): string {
  const ch = (v: number) => (v === 0 ? zero : String.fromCharCode(v + 0x20));
  let out = `begin 644 ${name}${eol}`;
  for (let i = 0; i < bytes.length; i += 45) {
    const line = bytes.subarray(i, i + 45);
    out += ch(line.length);
    for (let k = 0; k < line.length; k += 3) {
      const v = (line[k]! << 16) | ((line[k + 1] ?? 0) << 8) | (line[k + 2] ?? 0);
      out += ch((v >> 18) & 63) + ch((v >> 12) & 63) + ch((v >> 6) & 63) + ch(v & 63);
    }
    out += eol;
  }
  return `${out}${zero}${eol}end${eol}`;
}
