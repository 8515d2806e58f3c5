// format=flowed (RFC 3676) as the readers that know it show it: a line ending in a space goes on
// in the next line of the same quote depth. With DelSp=yes that space is the generator's, deleted
// when the lines are joined, so a generator may break a line anywhere, inside an address too.

/**
 * The lines of flowed text with DelSp=yes joined as a reader joins them (4.2: quote depth kept,
 * space-stuffing removed, the signature separator "-- " never flowed). Lines that do not flow are
 * as written.
 */
export function unflowDelSp(text: string): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  const emit = (depth: number, t: string): number => out.push(depth > 0 ? `${'>'.repeat(depth)} ${t}` : t);
  let open: { depth: number; text: string } | undefined;
  for (const line of lines) {
    let depth = 0;
    while (line.charCodeAt(depth) === 0x3e) depth++;
    let content = line.slice(depth);
    if (content.startsWith(' ')) content = content.slice(1);
    if (open !== undefined && open.depth !== depth) {
      emit(open.depth, open.text);
      open = undefined;
    }
    const flows = content.endsWith(' ') && content !== '-- ';
    const joined = (open?.text ?? '') + (flows ? content.slice(0, -1) : content);
    if (flows) open = { depth, text: joined };
    else {
      emit(depth, joined);
      open = undefined;
    }
  }
  if (open !== undefined) emit(open.depth, open.text);
  return out.join('\n');
}
