// Builds an mbox (mboxrd: body lines starting with "From " escaped) from fixture files.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES } from '../helpers/cli.js';

export const AUDIT_FIXTURES = readdirSync(FIXTURES)
  .filter((f) => f.startsWith('audit-') && f.endsWith('.eml'))
  .sort();

export function mboxOf(files: string[]): string {
  return files
    .map((f) => {
      const text = readFileSync(path.join(FIXTURES, f), 'utf8').replace(/\r\n/g, '\n');
      const escaped = text.replace(/^(>*From )/gm, '>$1');
      return `From sender@corp.example Mon Jan  1 00:00:00 2024\n${escaped.endsWith('\n') ? escaped : `${escaped}\n`}\n`;
    })
    .join('');
}

/** Minimal RFC 4180 reader for the tests (quoted cells, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\ufeff/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && s[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
