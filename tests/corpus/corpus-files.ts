// The real-mail corpus beside the project (../shared/corpus): every file but SOURCES.md.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

export const CORPUS_DIR = path.resolve(ROOT, '../shared/corpus');

/** Every message file of the corpus, sorted, as absolute paths. Throws when the corpus is absent. */
export function corpusFiles(): string[] {
  if (!existsSync(CORPUS_DIR)) throw new Error(`the corpus is not at ${CORPUS_DIR}; npm run test:corpus needs ../shared/corpus beside the project`);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && p !== path.join(CORPUS_DIR, 'SOURCES.md')) out.push(p);
    }
  };
  walk(CORPUS_DIR);
  return out.sort();
}

/** A corpus path relative to the corpus directory, for messages and summaries. */
export function corpusName(file: string): string {
  return path.relative(CORPUS_DIR, file);
}
