// Text from a message (an attachment's name, a transcript line, a subject, a file name) as a
// report shows it: it cannot forge lines, move the cursor, hide what follows, reorder what is
// read, or start a CI runner's command. Used by every report that prints such text.

/**
 * Control characters (C0, DEL, C1), bidirectional controls and the Unicode line and paragraph
 * separators are written as `\xNN` / `\uNNNN`; `##[` (the legacy GitHub Actions command prefix,
 * acted on anywhere in a line) as `#\x23[`. A line break from a message would otherwise start a
 * `::error` or `::add-mask::` line in an Actions log, and an escape sequence could redraw a BLOCK
 * as a PASS on a terminal.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|##\[/g, (c) =>
    c === '##[' ? '#\\x23[' : c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A quoted value of a log line: a quote or backslash in it (a reply quoting the message) is
 * escaped, so it cannot end the value and forge key=value pairs after it. */
export function quoted(v: string): string {
  return `"${printable(v.replace(/["\\]/g, (c) => `\\${c}`))}"`;
}
