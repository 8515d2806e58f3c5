// Finds and reads the configuration file: mailguard.config.json, .mailguardrc.json, or a
// "mailguard" key in package.json, searched upward from the working directory.

import { statSync } from 'node:fs';
import { readFileAsync as readFile } from './fs-async.js';
import path from 'node:path';
import { MailguardError } from '../errors.js';
import { parseConfig, type MailguardConfig } from '../policy/config.js';

export const CONFIG_FILE_NAMES = ['mailguard.config.json', '.mailguardrc.json'] as const;

export interface LoadedConfig {
  config: MailguardConfig;
  /** The file it came from, undefined when none was found. */
  path?: string;
}

/** Where a JSON syntax error is, always as "line L, column C" (from V8's message when it says). */
export function jsonErrorPosition(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return `line ${lc[1]}, column ${lc[2]}`;
  // No position in the engine's message ("Unexpected end of JSON input", an unexpected token):
  // the end of the text, or the first occurrence of the token it names.
  const token = /Unexpected token '(.+?)'/.exec(message)?.[1];
  const at = token !== undefined && text.indexOf(token) !== -1 ? text.indexOf(token) : text.length;
  const pos = m ? Number(m[1]) : at;
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** Whether a file is certainly absent, asked without an exception (other failures: false). */
function isAbsent(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}

async function readJson(file: string): Promise<unknown | undefined> {
  // The search upward usually finds nothing: a rejected read builds an error object and its stack
  // for each of three names per directory, ~0.3M instructions each on a cold start (bench scenario 5).
  if (isAbsent(file)) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MailguardError('ECONFIG', `${file}: cannot be read (${(err as Error).message}).`);
  }
  return parseConfigText(text, file);
}

/**
 * The JSON of a configuration file's text, read the one way every configuration is read (the
 * files found or named here, and the drop-in sendmail's system file): a byte order mark dropped;
 * an empty file, invalid JSON, a key that would reach an object's prototype and a key set twice
 * refused (ECONFIG, naming `file`). `elsewhere` ends the hints: where else a configuration can come from.
 */
export function parseConfigText(text: string, file: string, elsewhere = ', or pass another file with --config'): unknown {
  // A byte order mark (a file saved by Windows Notepad) is not part of the JSON.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    throw new MailguardError('ECONFIG', `${file}: the file is empty (a configuration is a JSON object, e.g. {}).`, { hint: `Write {} or run mailguard init${elsewhere}.` });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new MailguardError('ECONFIG', `${file}: invalid JSON at ${jsonErrorPosition(text, err)}.`, { hint: `Fix the syntax${elsewhere}.` });
  }
  // JSON.parse keeps "__proto__" as an own key; spread or merged later it would change an
  // object's prototype (the run ended in an internal error). No setting has such a name.
  const check = (v: unknown, where: string): void => {
    if (typeof v !== 'object' || v === null) return;
    for (const k of Object.keys(v)) {
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') throw new MailguardError('ECONFIG', `${file}: "${where}${k}" is not a setting.`, { hint: 'Remove it; mailguard init writes every setting there is.' });
      check((v as Record<string, unknown>)[k], `${where}${k}.`);
    }
  };
  check(data, '');
  // In a package.json only mailguard's own section is mailguard's business.
  const dup = duplicateKey(text, path.basename(file) === 'package.json' ? (p) => p === 'mailguard' || p.startsWith('mailguard.') : undefined);
  if (dup) throw new MailguardError('ECONFIG', `${file}: "${dup}" is set twice; only the last one would count.`, { hint: 'Keep one of them.' });
  return data;
}

/**
 * The first key set twice in one object of valid JSON `text` (its path, `profiles.0.blockAt`), or
 * undefined. JSON.parse keeps the last one silently, so `"blockAt": 2, ... "blockAt": 50` would
 * read as 50 while the file shows 2 first. (No JSON library at hand reports duplicates; the text
 * is already known to be valid JSON, so a scan of strings and brackets is enough.)
 */
export function duplicateKey(text: string, counts: (path: string) => boolean = () => true): string | undefined {
  const stack: Array<{ keys: Set<string> | undefined; at: string; index: number }> = [];
  const path = () => stack.map((s) => s.at).filter((x) => x !== '').join('.');
  let pendingKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const value = JSON.parse(text.slice(i, j + 1)) as string;
      i = j;
      let k = j + 1;
      while (text[k] === ' ' || text[k] === '\t' || text[k] === '\n' || text[k] === '\r') k++;
      const top = stack[stack.length - 1];
      if (text[k] === ':' && top?.keys) {
        if (top.keys.has(value)) {
          const where = [path(), value].filter((x) => x !== '').join('.');
          if (counts(where)) return where;
        }
        top.keys.add(value);
        pendingKey = value;
      }
    } else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const at = parent === undefined ? '' : parent.keys ? (pendingKey ?? '') : String(parent.index);
      stack.push({ keys: c === '{' ? new Set() : undefined, at, index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
    }
  }
  return undefined;
}

/** The key of mailguard's section in a package.json. */
const PACKAGE_KEY = 'mailguard';

/**
 * mailguard's section of a parsed package.json, or undefined when it has none. A key that differs
 * only in case (`"mailGuard"`) is refused: npm keys are case-sensitive, so it would be skipped and
 * the policy fall back to the defaults (or a file further up) without a word.
 */
function packageSection(pkg: unknown, file: string): unknown {
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) return undefined;
  if (PACKAGE_KEY in pkg) return (pkg as Record<string, unknown>)[PACKAGE_KEY];
  const near = Object.keys(pkg).find((k) => k.toLowerCase() === PACKAGE_KEY);
  if (near !== undefined) throw new MailguardError('ECONFIG', `${file}: "${near}" is not read; mailguard's section is "${PACKAGE_KEY}" (lower case).`, { hint: `Rename the key to "${PACKAGE_KEY}".` });
  return undefined;
}

/**
 * The configurations in one directory, in the order discovery takes them: each of
 * CONFIG_FILE_NAMES that exists, then a package.json with a "mailguard" section (read and
 * validated as JSON). More than one means one of them would be ignored.
 */
export async function configsIn(dir: string): Promise<Array<{ file: string; data: unknown }>> {
  const found: Array<{ file: string; data: unknown }> = [];
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(dir, name);
    const data = await readJson(file);
    if (data !== undefined) found.push({ file, data });
  }
  const pkgFile = path.join(dir, 'package.json');
  let section: unknown;
  try {
    section = packageSection(await readJson(pkgFile), pkgFile);
  } catch (err) {
    // Beside a configuration file, a package.json that cannot be read is not mailguard's (it was
    // never read there); alone, its error is the answer.
    if (found.length === 0) throw err;
  }
  if (section !== undefined) found.push({ file: pkgFile, data: section });
  return found;
}

/** Loads `--config FILE`, or discovers a config upward from `cwd`. No file: an empty config. */
export async function loadConfig(options: { configPath?: string; cwd: string }): Promise<LoadedConfig> {
  if (options.configPath) {
    const file = path.resolve(options.cwd, options.configPath);
    const data = await readJson(file);
    if (data === undefined) throw new MailguardError('ECONFIG', `${options.configPath}: no such file.`, { hint: 'Check the path given to --config.' });
    if (path.basename(file) !== 'package.json') return { config: parseConfig(data, options.configPath), path: file };
    // A package.json named on purpose must hold mailguard's section: without one, the defaults
    // would apply in its place.
    const section = packageSection(data, options.configPath);
    if (section === undefined) throw new MailguardError('ECONFIG', `${options.configPath}: no "${PACKAGE_KEY}" section.`, { hint: `Put the configuration under "${PACKAGE_KEY}", or pass the file that holds it.` });
    return { config: parseConfig(section, `${options.configPath} ("${PACKAGE_KEY}" key)`), path: file };
  }
  let dir = path.resolve(options.cwd);
  for (;;) {
    const found = await configsIn(dir);
    if (found.length > 1) {
      // Discovery reads the first: a second one (a strict .mailguardrc.json beside the
      // mailguard.config.json that mailguard init wrote) would be ignored without a word.
      const names = found.map((f) => path.relative(options.cwd, f.file) || path.basename(f.file));
      throw new MailguardError('ECONFIG', `${names.join(' and ')} are both mailguard configurations; only ${names[0]} would be read.`, { hint: 'Merge them into one and remove the other, or choose one with --config.' });
    }
    const [one] = found;
    if (one !== undefined) {
      const name = path.relative(options.cwd, one.file) || path.basename(one.file);
      return { config: parseConfig(one.data, path.basename(one.file) === 'package.json' ? `${name} ("${PACKAGE_KEY}" key)` : name), path: one.file };
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { config: { policy: {}, sections: {} } };
}
