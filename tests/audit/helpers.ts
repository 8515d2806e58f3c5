// Builds an mbox (mboxrd: body lines starting with "From " escaped) from fixture files.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES } from '../helpers/cli.js';
import { parse } from 'csv-parse/sync';

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

/** The rows of a CSV report (csv-parse, the reader notify uses), byte-order mark removed. */
export function parseCsv(text: string): string[][] {
  return parse(text, { bom: true, relax_column_count: true }) as string[][];
}
