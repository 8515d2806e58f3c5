// What every input format shares: the items a reader yields, and the shape of a format in the
// registry (how it is recognised by content, how it is read).

import type { Envelope } from '../../message/envelope.js';

/** The formats mailguard reads; `--input` of check, audit and send takes these names. */
export type { InputFormat } from './names.js';
import type { InputFormat } from './names.js';

/** Where a header line of a campaign message came from. */
export interface HeaderLineOrigin {
  /** 1-based line in the JSON file. */
  line: number;
  /** JSON path of the field: `messages[3].cc`, `defaults.from`, `messages[3].headers`. */
  path: string;
}

export interface InputMessage {
  /** Stable name: the path as given, `path#N` (1-based) inside an mbox or transcript, `-` for stdin. */
  source: string;
  /** The message bytes: the header block (and maybe more) when headersOnly, else the whole message. */
  bytes: Uint8Array;
  /** The whole message is in `bytes`. */
  complete: boolean;
  format: InputFormat;
  /** The file the message came from (undefined for stdin). */
  path?: string;
  envelope?: Envelope;
  /** Line of the file just before the message's first line (mbox, transcripts). */
  lineOffset: number;
  /** The mbox `From ` line that preceded this message, if any (without line end). */
  mboxFromLine?: string;
  /** Its body was wanted for the scan but not read (IMAP: over the size limit): never clean. */
  bodyNotRead?: { reason: 'too-large' | 'unreadable'; detail: string };
  /**
   * JSON campaign message: `bytes` is what nodemailer builds from it (the header block when only
   * headers were asked for); origins map header fields into the JSON; `identityBytes` is the
   * message object, the journal's identity of the message.
   */
  campaign?: {
    jsonPath: string;
    origins: Map<string, HeaderLineOrigin>;
    messageLine: number;
    mail: Record<string, unknown>;
    identityBytes: Uint8Array;
    /**
     * Set when an address of to, cc or replyTo cannot be read unambiguously: `bytes` is then the strict header model
     * (one address per line, so the finding points at it), which every command blocks; these map
     * its lines into the JSON.
     */
    modelOrigins?: HeaderLineOrigin[];
  };
}

/** An input that could not be read: reported as verdict `error`, never skipped. */
export interface InputFailure {
  source: string;
  failure: { reason: string; detail: string };
  /** The file, when `source` names a part of it (`campaign.json#messages[3]`). */
  path?: string;
}

export type InputItem = InputMessage | InputFailure;

/** A file a directory walk or a glob found that is not mail: counted and named in every report. */
export interface NotMailFile {
  path: string;
  /** What it is instead, in words: "PNG image", "PDF document", "text, not a message". */
  kind: string;
}

export interface ReadInputsOptions {
  /** Read only the header block of each message (check, audit). */
  headersOnly: boolean;
  /** With headersOnly, still give whole messages where the format holds them in the same read
   * (mbox messages, JSON campaign messages composed whole): the body scan reads them. */
  bodies?: boolean;
  /** Read an input that starts as a message and shows an mbox separator (a `From ` line then a
   * header field) as a mailbox, as headersOnly does (check, audit): fix, whose outputs check reads
   * that way, rewrites each message, not the first header alone. */
  mailboxSeparators?: boolean;
  /** Force a format instead of detecting it. */
  format?: InputFormat;
  /** Where `-` reads from. */
  stdin?: NodeJS.ReadableStream;
  /** Files read at once. */
  concurrency?: number;
  /** false: no second thread reads small files ahead (head-prefetch.ts); the default reads ahead for many files. */
  prefetch?: boolean;
  /** Filled with the files found by a directory walk or glob that are not mail, in input order. */
  skipped?: NotMailFile[];
  /** Hidden files a walk finds (`.offer.eml`) are passed over, as they were before walks read
   * them: send delivers only what the user can see in the folder (check and fix read them). */
  passOverHidden?: boolean;
  /** Campaign content read from files (`{ "path": ... }`) must lie under this folder (default: the campaign file's). */
  contentRoot?: string;
}

/** One input read: its name, what was read of it so far, and how to get the rest. */
export interface ReadSource {
  /** The name results carry: the path as given, or `-`. */
  source: string;
  /** The file, undefined for stdin. */
  file?: string;
  /** At least the header block (or the whole input when `complete`). */
  head: Buffer;
  complete: boolean;
  options: ReadInputsOptions;
  /** The whole input as a stream, from its first byte (mbox is split as it streams). */
  stream(): AsyncIterable<Buffer> | Iterable<Buffer>;
  /** The whole input, at most MAX_MESSAGE_BYTES (throws past it). */
  whole(): Promise<Buffer>;
}

export interface InputFormatDefinition {
  name: InputFormat;
  /** For --help and documentation. */
  description: string;
  /**
   * Whether the first bytes of an input are this format. `strict` is set for files a directory
   * walk or a glob found, where a false positive would report a stranger's file as a bad message
   * (a package.json is not a campaign).
   */
  sniff(head: Uint8Array, strict: boolean): boolean;
  /** Reads the messages of one input; failures are yielded as items, never thrown. */
  read(src: ReadSource): AsyncGenerator<InputItem>;
}

export function failure(source: string, reason: string, detail: string): InputFailure {
  return { source, failure: { reason, detail } };
}

/** The whole input, or the failure that says why it could not be read (formats that need all of it). */
export async function wholeOrFailure(src: ReadSource): Promise<Buffer | InputFailure> {
  try {
    return src.complete ? src.head : await src.whole();
  } catch (err) {
    return failure(src.source, 'unreadable', errnoDetail(err));
  }
}

export function errnoDetail(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message ?? String(err);
}

/** The first `n` bytes as latin1 text (sniffing looks at a few hundred bytes at most). */
export function headText(head: Uint8Array, n: number): string {
  return Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, n)).toString('latin1');
}
