// Input adapter: turns paths, directories, globs and stdin into messages (bytes plus a stable
// source name). This file expands the inputs and keeps their order; what each file is and how it
// is read comes from the format registry (src/io/formats/), by content, never by name. Reads only
// header blocks when asked to, so a 100 MB message costs its header.

import { readdirAsync as readdir, realpathAsync as realpath, statAsync as stat } from './fs-async.js';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { describeNotMail, formatByName, sniffFormat, type InputFormatDefinition } from './formats/index.js';
import { eml, looksLikeMessageAfterNoise, namedLikeMailbox, showsRecipientField, showsRecipients } from './formats/eml.js';
import { showsMboxSeparator } from './formats/mbox.js';
import { errnoDetail, failure, type InputFailure, type InputItem, type ReadInputsOptions } from './formats/types.js';
import { fileSource, MAX_MESSAGE_BYTES, readHead, readStdin, searchFile } from './read-bytes.js';
import { utf16Order } from '../message/utf16.js';
import { PREFETCH_MIN_FILES, startHeadPrefetch, type HeadPrefetch } from './head-prefetch.js';

export type { InputFailure, InputFormat, InputItem, InputMessage, NotMailFile, ReadInputsOptions } from './formats/types.js';

/**
 * File name endings that say "this is mail" when the content does not: such a file found by a
 * walk is read (and reported unreadable if it is not a message), never counted as not mail.
 */
const MAIL_EXTENSIONS = new Set(['.eml', '.msg', '.mbox', '.mbx', '.smtp', '.mbs']);

/** A mail file compressed (`Sent-2025.mbox.gz`, `draft.eml.xz`): mail that cannot be read as it
 * is, so a walk reports it (with the way to read it) instead of counting it as not mail. */
const COMPRESSED_MAIL = /\.(?:eml|msg|mbox|mbx|smtp|mbs|emlx)\.(?:gz|bz2|xz|zst|lz4|z|zip|7z)$/i;

/** Whether a file's name says it is mail, whatever its content. */
function namedAsMail(file: string | undefined): boolean {
  return file !== undefined && (MAIL_EXTENSIONS.has(path.extname(file).toLowerCase()) || COMPRESSED_MAIL.test(file));
}

/** Source code by its name's extension: programs, never a message or a campaign file. */
const PROGRAM_EXTENSIONS = new Set([
  '.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx', '.py', '.rb', '.php', '.java', '.kt', '.go', '.rs', '.c', '.h',
  '.cc', '.cpp', '.hpp', '.cs', '.swift', '.scala', '.pl', '.pm', '.lua', '.sh', '.bash', '.zsh', '.ps1', '.vue', '.svelte',
]);

function isProgramSource(file: string | undefined): boolean {
  return file !== undefined && PROGRAM_EXTENSIONS.has(path.extname(file).toLowerCase());
}

/** A file to read; `found` when a directory walk or a glob found it rather than the user naming it. */
export interface FileEntry {
  path: string;
  found?: boolean;
  /**
   * A hidden file a walk found (`.offer.eml`, `.campaign.json`): read, and checked when it is mail,
   * but passed over in silence when it is not (`.DS_Store`, `.gitkeep`) or cannot be read (an
   * editor's lock link), as before hidden files were read at all.
   */
  hidden?: boolean;
  /** A walk found something other than a regular file (a FIFO, a socket, a device, or a link to
   * one): never opened (a FIFO without a writer blocks, a device never ends), but counted as not
   * read, in words, so the report says what it left out. */
  special?: string;
  /** A path named by the user that is not a regular file (a FIFO, `<(generate)`, a device): read
   * by the main thread only, never opened ahead by another (head-prefetch.ts). */
  notRegular?: boolean;
  /** The directory or pattern the user named that found it: if none of its files is mail, that is reported. */
  group?: { spec: string; kind: 'directory' | 'pattern'; files: number; hidden?: number };
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Whether a directory is a Maildir (or one of its Maildir++ folders): it has `cur/`. */
const isMaildir = (names: ReadonlySet<string>, dirs: ReadonlySet<string>) => dirs.has('cur') && names.has('cur');

/**
 * Files a mail store keeps beside its messages (indexes, folder lists): not mail, and not a
 * draft anyone missed, so not counted. Maildir (Dovecot, Courier), Apple Mail's `X.mbox/`
 * bundle, Thunderbird's `X.msf` index beside its mbox `X`.
 */
function isStoreFile(dir: string, name: string, names: ReadonlySet<string>, maildir: boolean): boolean {
  if (maildir && /^(?:dovecot|courierimap|maildirfolder$|subscriptions$)/.test(name)) return true;
  if (/\.mbox$/i.test(path.basename(dir)) && (name === 'Info.plist' || name === 'table_of_contents')) return true;
  return name.endsWith('.msf') && names.has(name.slice(0, -4));
}

/**
 * Lists every file below a directory, sorted, for the reader to sniff. Hidden files, `.git`,
 * `node_modules`, a Maildir's `tmp/` (messages still being delivered) and a mail store's own
 * index files are passed over. A directory that cannot be listed (permissions) is a failure in
 * the list, not an exception: the files around it are still read and it is reported.
 */
export async function walkDirectory(dir: string): Promise<Array<FileEntry | InputFailure>> {
  const out: Array<FileEntry | InputFailure> = [];
  const list = async (d: string): Promise<Dirent[] | undefined> => {
    try {
      return await readdir(d, { withFileTypes: true });
    } catch (err) {
      out.push(failure(d, 'unreadable', errnoDetail(err)));
      return undefined;
    }
  };
  // Real paths of the directories visited: a symlinked directory is walked once (no loops).
  const visited = new Set<string>();
  const visit = async (d: string): Promise<void> => {
    const real = await realpath(d).catch(() => d);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = await list(d);
    if (!entries) return;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const names = new Set(entries.map((e) => e.name));
    const kinds = new Map<string, 'dir' | 'file' | string>();
    for (const e of entries) {
      // No await for plain entries: a walk of 10,000 drafts stays as cheap as before.
      kinds.set(e.name, e.isDirectory() ? 'dir' : e.isFile() ? 'file' : e.isSymbolicLink() ? await linkKind(path.join(d, e.name)) : specialKind(e));
    }
    const dirs = new Set([...kinds].filter(([, k]) => k === 'dir').map(([n]) => n));
    const maildir = isMaildir(names, dirs);
    for (const e of entries) {
      const p = path.join(d, e.name);
      const k = kinds.get(e.name);
      if (k === 'dir') {
        if (e.name === 'node_modules' || e.name === '.git') continue;
        if (maildir && e.name === 'tmp') continue;
        await visit(p);
      } else if (k === 'file' && !isStoreFile(d, e.name, names, maildir)) {
        // Hidden files (.gitkeep, .DS_Store) are read too: a draft or campaign saved as
        // `.offer.eml` was passed over unread. One that is not mail is not counted (hidden).
        out.push(e.name.startsWith('.') ? { path: p, found: true, hidden: true } : { path: p, found: true });
      } else if (k !== undefined && k !== 'file') {
        // A FIFO, socket or device (or a link to one): not opened, but named as not read. It was
        // dropped without a word, so a FIFO `offer.eml` in an outbox left a report of nothing
        // exposed that did not say it was never read.
        out.push(e.name.startsWith('.') ? { path: p, found: true, hidden: true, special: k } : { path: p, found: true, special: k });
      }
    }
  };
  await visit(dir);
  return out;
}

/** What a symbolic link leads to: symlinks are followed (a symlinked draft skipped would pass
 * unchecked). A link that cannot be resolved counts as a file, so reading it fails and it is
 * reported, not skipped. */
async function linkKind(p: string, by?: string): Promise<'dir' | 'file' | string> {
  try {
    const st = await stat(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : specialKind(st, by);
  } catch {
    return 'file';
  }
}

/** A folder's entries, listed once per expansion (`listings`); none when it cannot be listed. */
function cachedListing(listings: Map<string, Promise<Dirent[]>>, d: string): Promise<Dirent[]> {
  let l = listings.get(d);
  if (!l) {
    l = readdir(d, { withFileTypes: true }).catch(() => []);
    listings.set(d, l);
  }
  return l;
}

/** What an entry that is neither a file nor a directory is, in words for the report. */
function specialKind(e: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }, by = 'a directory walk'): string {
  const what = e.isFIFO() ? 'named pipe (FIFO)' : e.isSocket() ? 'socket' : e.isCharacterDevice() || e.isBlockDevice() ? 'device' : 'special file';
  return `${what}: ${by} does not open it (name it to read it)`;
}

/**
 * The FIFOs, sockets and devices a pattern matches beside what it matched, each with its kind.
 * tinyglobby's walker (fdir) lists only files, links and directories, so a quoted `outbox/*`
 * left a FIFO `offer.eml` out without a word, where a walk of outbox/ names it as not read. The
 * folders the pattern reaches are listed again (the listing is the one passedOverByWalk keeps) and
 * their special entries tested with the pattern as tinyglobby tests it (picomatch, no dot files),
 * in the form tinyglobby gives its matches (relative to the working directory, or absolute).
 * A pattern that matches only such entries is an error, as a folder of them is (no mail).
 */
async function specialMatches(spec: string, matches: string[], listings: Map<string, Promise<Dirent[]>>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const { glob } = await import('tinyglobby');
  // The folders the pattern's last part is matched in: those of its matches, and those its folder
  // part matches (a folder holding only a FIFO has no match to lead to it).
  const dirs = new Set(matches.map((m) => path.dirname(m.endsWith('/') ? m.slice(0, -1) : m)));
  const parent = path.dirname(spec);
  if (!GLOB_CHARS.test(parent)) dirs.add(parent);
  else {
    const more = await glob(parent, { onlyDirectories: true, dot: false, expandDirectories: false, absolute: path.isAbsolute(spec) }).catch(() => []);
    for (const d of more) dirs.add(d.length > 1 && d.endsWith('/') ? d.slice(0, -1) : d);
  }
  const { default: picomatch } = await import('picomatch');
  const isMatch = picomatch(spec, { dot: false });
  for (const d of dirs) {
    for (const e of await cachedListing(listings, d)) {
      if (e.isFile() || e.isDirectory()) continue;
      const p = path.join(d, e.name);
      // A link tinyglobby lists itself (to a file or a directory, or one it cannot resolve) is a match already.
      const kind = e.isSymbolicLink() ? await linkKind(p, 'a pattern') : specialKind(e, 'a pattern');
      if (kind !== 'dir' && kind !== 'file' && isMatch(p)) found.set(p, kind);
    }
  }
  return found;
}

/** Whether a directory walk of the file's folder would pass over this file (see walkDirectory). */
async function passedOverByWalk(file: string, isFile: boolean, listings: Map<string, Promise<Dirent[]>>): Promise<boolean> {
  const listing = (d: string) => cachedListing(listings, d);
  const maildirAt = async (d: string) => {
    const l = await listing(d);
    return isMaildir(new Set(l.map((e) => e.name)), new Set(l.filter((e) => e.isDirectory()).map((e) => e.name)));
  };
  const dir = path.dirname(file);
  // A Maildir's tmp/ (messages still being delivered), and what is in it.
  if (!isFile && path.basename(file) === 'tmp' && (await maildirAt(dir))) return true;
  if (!isFile) return false;
  if (path.basename(dir) === 'tmp' && (await maildirAt(path.dirname(dir)))) return true;
  const here = await listing(dir);
  return isStoreFile(dir, path.basename(file), new Set(here.map((e) => e.name)), await maildirAt(dir));
}

/** Expands the user's input specs into file paths (and `-`), keeping their order. */
export async function expandSpecs(specs: string[]): Promise<Array<FileEntry | InputFailure>> {
  const out: Array<FileEntry | InputFailure> = [];
  for (const spec of specs) {
    if (spec === '-') {
      out.push({ path: '-' });
      continue;
    }
    let st;
    try {
      st = await stat(spec);
    } catch (err) {
      if (GLOB_CHARS.test(spec)) {
        const { glob } = await import('tinyglobby');
        // Directories matched are walked like directories named on the command line (a quoted
        // `outbox/*` must not skip outbox/2026/); a file matched twice is read once. Files a
        // pattern matched are sniffed like files a walk found: one that is not mail is counted.
        const matches = await glob(spec, { onlyFiles: false, dot: false, expandDirectories: false, absolute: path.isAbsolute(spec) });
        const listings = new Map<string, Promise<Dirent[]>>();
        const specials = await specialMatches(spec, matches, listings);
        const all = [...matches, ...specials.keys()].sort();
        if (all.length === 0) out.push(failure(spec, 'not-found', 'the pattern matched no file'));
        const seen = new Set<string>();
        const group: NonNullable<FileEntry['group']> = { spec, kind: 'pattern', files: 0 };
        for (const m of all) {
          const special = specials.get(m);
          // A file the pattern matched is passed over when a walk of its folder would pass over it
          // (a Maildir's tmp/ and index files, Apple Mail's Info.plist), so counts agree.
          if (special === undefined && (await passedOverByWalk(m.endsWith('/') ? m.slice(0, -1) : m, !m.endsWith('/'), listings))) continue;
          const found: Array<FileEntry | InputFailure> =
            special !== undefined ? [{ path: m, found: true, special }] : m.endsWith('/') ? await walkDirectory(m.slice(0, -1) || '/') : [{ path: m, found: true }];
          for (const f of found) {
            if (!('failure' in f)) {
              if (seen.has(f.path)) continue;
              seen.add(f.path);
              f.group = group;
              group.files++;
              if (f.hidden) group.hidden = (group.hidden ?? 0) + 1;
            }
            out.push(f);
          }
        }
        continue;
      }
      out.push(failure(spec, 'not-found', errnoDetail(err)));
      continue;
    }
    if (st.isDirectory()) {
      const found = await walkDirectory(spec);
      if (found.length === 0) out.push(failure(spec, 'not-found', 'no files in this directory'));
      const group: NonNullable<FileEntry['group']> = { spec, kind: 'directory', files: 0 };
      for (const f of found) {
        if (!('failure' in f)) {
          f.group = group;
          group.files++;
          if (f.hidden) group.hidden = (group.hidden ?? 0) + 1;
        }
        out.push(f);
      }
    } else {
      out.push(st.isFile() ? { path: spec } : { path: spec, notRegular: true });
    }
  }
  return out;
}

/** Searches the whole input when what was read of it is not all of it (searchFile); undefined
 * when the head is the whole input, or for stdin (read whole before its format is settled). */
type SearchWhole = ((test: (window: Buffer, at: number) => boolean, limit?: number) => boolean | 'too-large') | undefined;

/** Whether a message input is read for the mailboxes it may hide (see chooseFormat): check and audit, and fix. */
const readsSeparators = (options: ReadInputsOptions) => options.headersOnly || options.mailboxSeparators === true;

/** Whether an input that starts as a message shows an mbox separator (showsMboxSeparator) in its
 * head, or anywhere after it: where the first separator falls (past the first read of a message
 * longer than 64 KiB) must not decide whether the messages after it are read. */
function showsSeparator(head: Uint8Array, searchWhole: SearchWhole): boolean {
  return showsMboxSeparator(head) || searchWhole?.((window) => showsMboxSeparator(window)) === true;
}

/**
 * Whether a file no format recognises shows recipients (showsRecipients, its first 4 KiB), or, a
 * text file (not an image or an archive, whose bytes match anything by chance), a recipient field
 * line naming an address anywhere: a draft behind a pasted log or banner of any length. Past MAX_MESSAGE_BYTES unsearched, it is read
 * as a message too, which fails closed on its start, rather than counted as not mail.
 */
function showsRecipientsAnywhere(head: Uint8Array, searchWhole: SearchWhole): boolean {
  if (showsRecipients(head)) return true;
  const utf16 = utf16Order(head);
  if (utf16 === undefined && !/^(?:text|JSON|XML|HTML)/.test(describeNotMail(head))) return false;
  if (showsRecipientField(head, utf16)) return true;
  if (searchWhole === undefined) return false;
  const found = searchWhole((window, at) => showsRecipientField(window, utf16 && (at === 0 ? utf16 : { ...utf16, bom: false })), MAX_MESSAGE_BYTES);
  return found !== false;
}

/**
 * Whether an archive a walk found holds mail by its names: a zip entry named as mail (its central
 * directory or local headers, searched through the whole file), or a gzip file whose own header
 * names the file it compressed as mail (`gzip d.eml`, renamed `backup.gz`). Counted as not mail,
 * zipped drafts passed a walk unread with exit 0, where a `.eml.gz` is reported; such an archive
 * is now reported as mail that cannot be read as it is.
 */
function archiveNamesMail(head: Buffer, searchWhole: SearchWhole): boolean {
  if (head[0] === 0x1f && head[1] === 0x8b && head[2] === 8 && (head[3]! & 0x08) !== 0) {
    let at = 10;
    if ((head[3]! & 0x04) !== 0) at += 2 + (head.readUInt16LE(at) || 0);
    const end = head.indexOf(0, at);
    return end !== -1 && namedAsMail(head.toString('latin1', at, end));
  }
  if (!(head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4)) return false;
  const entryNamesMail = (window: Buffer): boolean => {
    for (const [signature, lengthAt, nameAt] of [['PK\x01\x02', 28, 46], ['PK\x03\x04', 26, 30]] as const) {
      for (let i = window.indexOf(signature, 0, 'latin1'); i !== -1 && i + nameAt <= window.length; i = window.indexOf(signature, i + 4, 'latin1')) {
        const name = window.toString('latin1', i + nameAt, Math.min(window.length, i + nameAt + window.readUInt16LE(i + lengthAt)));
        if (namedAsMail(name) || /\.emlx$/i.test(name)) return true;
      }
    }
    return false;
  };
  return entryNamesMail(head) || searchWhole?.(entryNamesMail) === true;
}

/**
 * The format to read an input with: the one forced, else the one its content shows. A file a
 * walk or glob found that nothing recognises is not mail (undefined), unless its name says it is
 * mail or its text shows recipients as mail does; a file named by the user is read as a message
 * and reported if it is not one.
 */
function chooseFormat(head: Uint8Array, file: string | undefined, found: boolean, options: ReadInputsOptions, searchWhole?: SearchWhole): InputFormatDefinition | undefined {
  if (options.format) {
    // Forced to be one message, an input that shows a mailbox's separators (see below) is still
    // read as a mailbox where it would be unforced: read as one message, the messages after its
    // first were body text and their lists went unchecked (`check --input eml` on a folder, as the
    // report's hint for files not read says, passed a Sent mailbox on its first message).
    if (options.format === 'eml' && readsSeparators(options) && showsSeparator(head, searchWhole)) return formatByName('mbox');
    return formatByName(options.format);
  }
  const sniffed = sniffFormat(head, found);
  // A file named as a mailbox that starts with a message rather than a `From ` line (its first
  // separator missing) is read as one: mail programs show the messages after the first with
  // their own recipients. The mbox reader takes the text before the first `From ` line as a message.
  if (sniffed === eml && namedLikeMailbox(file)) return formatByName('mbox');
  if (sniffed && sniffed !== eml) return sniffed;
  // A file that shows recipients as mail does is read like one named: what cannot be read is
  // reported (exit 2), never counted as not mail while its list goes unchecked. Not a program's
  // source (a test or a send script that names its recipients): mailguard does not run code, and a
  // walk of a repository reported every such file as an unreadable message; it stays named as not
  // mail in the report.
  if (!sniffed && found && !namedAsMail(file) && !looksLikeMessageAfterNoise(head) && (isProgramSource(file) || !showsRecipientsAnywhere(head, searchWhole)) && !archiveNamesMail(Buffer.from(head.buffer, head.byteOffset, head.byteLength), searchWhole)) return undefined;
  // Read as a message, it must not hide a mailbox: a `From ` line that mbox readers start a
  // message at, followed by a header field, makes the input a mailbox whose first separator is
  // missing (see showsMboxSeparator). Checked and audited as one, as a file named as a mailbox
  // is, so the messages after that line are checked with their own recipients; and by fix, whose
  // output check reads the same way (the first header rewritten alone left the next message's list
  // in the file it wrote). Not for send, which reads the whole input: it sends the one message it is.
  if (readsSeparators(options) && showsSeparator(head, searchWhole)) return formatByName('mbox');
  return eml;
}

/** Keeps a file that is not mail out of the results: counted and named in the report instead. */
function notMail(entry: FileEntry, kind: string, options: ReadInputsOptions): InputItem[] {
  if (!entry.hidden) options.skipped?.push({ path: entry.path, kind });
  return [];
}

/** Reads one input: small ones into a list, streams (mbox, stdin) as a generator read in turn. */
async function openOne(entry: FileEntry, options: ReadInputsOptions, prefetched?: Buffer): Promise<InputItem[] | AsyncGenerator<InputItem>> {
  const file = entry.path;
  if (entry.hidden && options.passOverHidden) return [];
  if (entry.special !== undefined) return notMail(entry, entry.special, options);
  if (file === '-') return readStdin(options, (head) => chooseFormat(head, undefined, false, options)!);
  let head: { bytes: Buffer; complete: boolean };
  try {
    // A small regular file another thread read whole is what readHead would return for it.
    head = prefetched ? { bytes: prefetched, complete: true } : readHead(file);
  } catch (err) {
    // A hidden file that cannot be read (an editor's lock link `.#draft.eml`) is passed over, as
    // hidden files always were; anything else is reported.
    return entry.hidden ? [] : [failure(file, 'unreadable', errnoDetail(err))];
  }
  const found = entry.found === true;
  // A file that cannot be searched to its end (removed, cut off meanwhile) is read as if the search
  // had found what it looked for: that read reports it, rather than the head deciding alone.
  // Not a device or a pipe: /dev/zero has no end to search to.
  const searchWhole: SearchWhole = head.complete || entry.notRegular
    ? undefined
    : (test, limit) => {
        try {
          return searchFile(file, test, limit);
        } catch {
          return true;
        }
      };
  const format = chooseFormat(head.bytes, file, found, options, searchWhole);
  if (format === undefined) return notMail(entry, describeNotMail(head.bytes), options);
  // A file the user named that is plainly something else (an image, a PDF) is an error naming it.
  if (format === eml && !options.format && head.bytes.length > 0 && !eml.sniff(head.bytes, false)) {
    const kind = describeNotMail(head.bytes);
    if (!kind.startsWith('text') && kind !== 'binary file') return [failure(file, 'not-mail', `a ${kind}, not a mail message`)];
  }
  // The common case, a draft whose header is read: the item the eml reader would yield, without
  // a generator per file (bench scenario 1).
  if (format === eml && (head.complete || options.headersOnly)) return [{ source: file, path: file, bytes: head.bytes, complete: head.complete, format: 'eml', lineOffset: 0 }];
  const items = format.read(fileSource(file, head, options));
  if (format.name === 'mbox') return items;
  const out: InputItem[] = [];
  for await (const item of items) {
    // An OLE file a walk found that holds no Outlook message (a Word document) is not mail.
    if (found && 'failure' in item && item.failure.reason === 'not-mail') return notMail(entry, item.failure.detail.replace(/^an? /, '').replace(/, not a mail message$/, ''), options);
    out.push(item);
  }
  return out;
}

/**
 * Reads every input in order. Files are read `concurrency` at a time; results keep input order.
 * Failures are yielded as items, never thrown, so one bad file cannot hide the others. Files a
 * walk or glob found that are not mail go to `options.skipped`.
 */
export async function* readInputs(specs: string[], options: ReadInputsOptions): AsyncGenerator<InputItem> {
  yield* readEntries(await expandSpecs(specs), options);
}

/** Reads one expanded input: its items (a list, or a generator for streams: mbox, stdin). */
export async function openEntry(entry: FileEntry | InputFailure, options: ReadInputsOptions, prefetched?: Buffer): Promise<InputItem[] | AsyncGenerator<InputItem>> {
  if ('failure' in entry) return [entry];
  return openOne(entry, options, prefetched);
}

/** What a prefetching thread may read ahead: plain files by path; null for the rest. */
function prefetchPath(entry: FileEntry | InputFailure, options: ReadInputsOptions): string | null {
  if ('failure' in entry || entry.special !== undefined || entry.notRegular || entry.path === '-' || (entry.hidden && options.passOverHidden)) return null;
  return entry.path;
}

/** readInputs over inputs already expanded (expandSpecs). */
export async function* readEntries(expanded: ReadonlyArray<FileEntry | InputFailure>, options: ReadInputsOptions): AsyncGenerator<InputItem> {
  const concurrency = Math.max(1, options.concurrency ?? 16);
  // Many files: a second thread reads the small ones ahead (head-prefetch.ts).
  const prefetch = expanded.length >= PREFETCH_MIN_FILES && options.prefetch !== false ? await startHeadPrefetch(expanded.map((e) => prefetchPath(e, options))) : undefined;
  try {
    yield* readWindow(expanded, options, concurrency, prefetch);
  } finally {
    prefetch?.close();
  }
}

async function* readWindow(expanded: ReadonlyArray<FileEntry | InputFailure>, options: ReadInputsOptions, concurrency: number, prefetch: HeadPrefetch | undefined): AsyncGenerator<InputItem> {
  // A window of in-flight reads; each holds the items one input yields, in order.
  const window: Array<Promise<InputItem[] | AsyncGenerator<InputItem>>> = [];
  let next = 0;
  const fill = () => {
    while (window.length < concurrency && next < expanded.length) {
      const index = next++;
      window.push(openEntry(expanded[index]!, options, prefetch?.take(index)));
    }
  };
  fill();
  const groups = createGroupTally();
  let done = 0;
  while (window.length > 0) {
    const items = await window.shift()!;
    const entry = expanded[done++]!;
    fill();
    let count = 0;
    // Streams (mbox, stdin) are yielded as they are read, in bounded memory.
    for await (const item of items) {
      count++;
      yield item;
    }
    const none = groups.after(entry, count);
    if (none) yield none;
  }
}

/**
 * Per directory or pattern named: files left to read, and whether any gave a message or failure.
 * `after` is told each entry's item count in input order; when the last file of a directory or
 * pattern of which no file was mail is done, it returns the failure to report: nothing was
 * checked there, which is not a pass.
 */
export function createGroupTally(): { after(entry: FileEntry | InputFailure, items: number): InputFailure | undefined } {
  const groups = new Map<FileEntry['group'], { left: number; items: number }>();
  return {
    after(entry, items) {
      const group = 'failure' in entry ? undefined : entry.group;
      if (group === undefined) return undefined;
      const g = groups.get(group) ?? { left: group.files, items: 0 };
      groups.set(group, g);
      g.left--;
      g.items += items;
      if (g.left !== 0 || g.items !== 0) return undefined;
      const where = group.kind === 'directory' ? 'this directory' : 'the files the pattern matched';
      // Hidden files that are not mail are not named in the report, so not counted here either.
      const files = group.files - (group.hidden ?? 0);
      if (files === 0) return failure(group.spec, 'not-found', `no files in ${where}`);
      return failure(group.spec, 'not-found', `no mail in ${where}: ${files === 1 ? '1 file' : `${files} files`}, none of them a message`);
    },
  };
}

export function isFailure(item: InputItem): item is InputFailure {
  return 'failure' in item;
}
