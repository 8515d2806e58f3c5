// A JSON document with one long array (check's results, SARIF's results, audit's incidents)
// written element by element: the text before the first element and after the last come from
// JSON.stringify of the document with that array empty, so what surrounds the elements is the
// document builder's own output. Pure.

/**
 * The text around the array at `key` in `doc` (JSON.stringify(document, null, 2) with that array
 * empty), where `key` belongs to an object whose keys are indented by `depth` levels. With
 * `count` elements, open + jsonArrayElement(0) + ... + jsonArrayElement(count - 1) + close is
 * JSON.stringify of the document holding them. JSON.stringify escapes line breaks inside strings,
 * so a line break followed by this indentation and key is the key itself, never data.
 */
export function jsonArrayAround(doc: string, key: string, depth: number, count: number): { open: string; close: string } {
  const indent = '  '.repeat(depth);
  const marker = `\n${indent}${JSON.stringify(key)}: []`;
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`jsonArrayAround: no empty "${key}" array at depth ${depth}`);
  const before = doc.slice(0, at + marker.length - 1);
  const after = doc.slice(at + marker.length - 1);
  return count === 0 ? { open: before, close: after } : { open: `${before}\n`, close: `\n${indent}${after}` };
}

/** Element `index` of the array jsonArrayAround surrounds (same `depth`), with its separator. */
export function jsonArrayElement(value: unknown, depth: number, index: number): string {
  const indent = '  '.repeat(depth + 1);
  return `${index === 0 ? '' : ',\n'}${indent}${JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`)}`;
}
