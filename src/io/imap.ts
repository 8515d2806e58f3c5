// The IMAP source of `mailguard audit`: reads the header block of every message in one or more
// folders through imapflow and yields them as inputs, like files. Loaded lazily (only when an
// imap:// or imaps:// URL is given), so file audits and check never load imapflow.
//
// With `wantWhole` (the audit's body scan), a message whose header it accepts is then fetched
// whole, BODY.PEEK[] (imapflow's `source`), after the rest of its header batch, in batches bounded
// by count and bytes, when its RFC822.SIZE is within the limit; over it, it is yielded
// header-only with `bodyNotRead`.
//
// Read-only by construction: folders are opened with EXAMINE (imapflow's readOnly), and headers
// and whole messages are fetched with BODY.PEEK, which never sets \Seen; nothing else is sent
// that could change a flag. A connection lost mid-folder is reopened (while each new one makes progress, and
// a bounded number of times in a row when none does) and the
// read continues with the UIDs not yet read, if the folder's UIDVALIDITY is unchanged; otherwise
// the folder is reported as not fully read. A folder that cannot be read is a failure item
// (exit 2), never "no exposure". Credentials never appear in what this yields or throws.

import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { InputItem } from './inputs.js';
import { MAX_SCANNED_MESSAGE_BYTES } from './read-whole.js';
import { bodyWorthScanning } from '../body/mime.js';
import { readHeaderBlock } from '../message/header-block.js';
import { accountOf, folderUrl, type ImapTarget } from './imap-url.js';

/** Messages per FETCH: big enough to stream, small enough that a lost connection re-reads little. */
export const IMAP_FETCH_BATCH = 500;
/** New connections in a row that read nothing, per folder, before it is reported as not fully read
 * (a connection that read messages before it was lost resets the count: the read advances). */
export const IMAP_RECONNECT_ATTEMPTS = 3;
/** First pause before reconnecting; doubled each time (250, 500, 1000 ms). */
const IMAP_RECONNECT_DELAY_MS = 250;
/** Connect and greeting timeout: a CLI should not wait imapflow's 90 s for a dead host. */
export const IMAP_CONNECT_TIMEOUT_MS = 30_000;
/** Inactivity on an open connection: a FETCH of 500 header blocks answers well within this. */
export const IMAP_SOCKET_TIMEOUT_MS = 120_000;
/** Whole messages fetched for the scan: the limit up to which a file is read whole (providers
 * refuse messages past 25-35 MB, so every sendable message is scanned). */
const IMAP_MAX_WHOLE_MESSAGE_BYTES = MAX_SCANNED_MESSAGE_BYTES;
/** Bytes of whole messages (by RFC822.SIZE) per FETCH: one batch in memory at most, whatever the
 * count, and a largest message still fits alone. */
const IMAP_WHOLE_BATCH_BYTES = MAX_SCANNED_MESSAGE_BYTES;
/** A header block larger than this is not a header block (imapflow's own caps are 1 GB). */
const IMAP_MAX_LITERAL_BYTES = 64 * 1024 * 1024;

export interface ImapCredentials {
  password?: string;
  /** An OAuth2 access token (XOAUTH2), for Microsoft 365 and Gmail. */
  accessToken?: string;
}

export interface ImapReadOptions {
  /** Called when a folder is opened, with the number of messages it holds (for progress). */
  onFolder?(source: string, messages: number): void;
  /**
   * Given a message's Date field alone (a header block holding only it, or none), whether its
   * whole header is needed. When set, messages it rejects are yielded with only that field.
   */
  keepDate?(dateOnlyHeader: Uint8Array): boolean;
  /** Given a message's header block, whether the body scan wants the whole message. */
  wantWhole?(header: Uint8Array): boolean;
  /** Whole messages larger than this are not fetched (default IMAP_MAX_WHOLE_MESSAGE_BYTES). */
  maxWholeBytes?: number;
  /** Test and bench knobs. */
  batchSize?: number;
  reconnectAttempts?: number;
  reconnectDelayMs?: number;
  connectTimeoutMs?: number;
}

/** The imapflow options for a target: TLS from the start for imaps://; STARTTLS required on imap:// unless the host is loopback. */
export function connectionOptions(target: ImapTarget, credentials: ImapCredentials, connectTimeoutMs = IMAP_CONNECT_TIMEOUT_MS): ImapFlowOptions {
  const options: ImapFlowOptions = {
    host: target.host,
    port: target.port,
    secure: target.secure,
    auth: credentials.accessToken !== undefined ? { user: target.user, accessToken: credentials.accessToken } : { user: target.user, pass: credentials.password ?? '' },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: connectTimeoutMs,
    greetingTimeout: connectTimeoutMs,
    socketTimeout: IMAP_SOCKET_TIMEOUT_MS,
    maxLiteralSize: IMAP_MAX_LITERAL_BYTES,
    clientInfo: { name: 'mailguard' },
  };
  // Loopback: opportunistic (a test or local server may offer no TLS); elsewhere the upgrade is required.
  if (!target.secure && !target.loopback) options.doSTARTTLS = true;
  return options;
}

interface ImapError extends Error {
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  responseText?: string;
  serverResponseCode?: string;
  mailboxMissing?: boolean;
  reason?: string;
}

/** Removes every form of the secrets an error could carry (plain, and in SASL PLAIN / XOAUTH2 base64). */
export function scrubSecrets(text: string, target: ImapTarget, credentials: ImapCredentials): string {
  let out = text;
  const secrets: string[] = [];
  for (const s of [credentials.password, credentials.accessToken]) {
    if (!s) continue;
    secrets.push(s, Buffer.from(`\u0000${target.user}\u0000${s}`).toString('base64'), Buffer.from(`user=${target.user}\u0001auth=Bearer ${s}\u0001\u0001`).toString('base64'));
  }
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

const CONNECTION_CODES = new Set(['NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS', 'ETIMEOUT', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT']);

/** A lost or dropped connection (worth reconnecting), as opposed to a refusal by the server. */
function isConnectionLoss(err: ImapError, client: ImapFlow | undefined): boolean {
  return CONNECTION_CODES.has(err.code ?? '') || (client !== undefined && !client.usable);
}

function describe(err: ImapError, target: ImapTarget, credentials: ImapCredentials): { reason: string; detail: string } {
  const text = (s: string) => scrubSecrets(s, target, credentials);
  if (err.authenticationFailed) {
    return { reason: 'imap-auth', detail: text(`${credentials.accessToken !== undefined ? 'the access token' : 'the password'} for ${target.user} was refused${err.responseText ? ` (${err.responseText})` : ''}`) };
  }
  const message = text(err.responseText || err.message || String(err));
  if (/STARTTLS/i.test(message) && !target.secure) {
    return { reason: 'imap-connect', detail: `${message}; imap:// to a host other than loopback requires STARTTLS (use imaps:// for TLS from the start)` };
  }
  if (err.tlsFailed || /certificate|CERT_|self[- ]signed/i.test(message)) {
    return { reason: 'imap-connect', detail: `TLS failed: ${message} (a private CA can be added with NODE_EXTRA_CA_CERTS=ca.pem)` };
  }
  return { reason: 'imap-connect', detail: `${message}${err.code && !message.includes(err.code) ? ` (${err.code})` : ''}` };
}

/** The UIDs `want` keeps, in FETCH batches of `size`. */
function* batches(uids: number[], size: number, want: (uid: number) => boolean): Generator<number[]> {
  let slice: number[] = [];
  for (const uid of uids) {
    if (!want(uid)) continue;
    slice.push(uid);
    if (slice.length >= size) {
      yield slice;
      slice = [];
    }
  }
  if (slice.length > 0) yield slice;
}

/** The rows to fetch whole, in FETCH batches of at most `size` messages and `bytes` bytes. */
function* wholeBatches(rows: HeaderRow[], size: number, bytes: number, max: number): Generator<HeaderRow[]> {
  let slice: HeaderRow[] = [];
  let sum = 0;
  for (const row of rows) {
    const n = row.size ?? max;
    if (slice.length > 0 && (slice.length >= size || sum + n > bytes)) {
      yield slice;
      slice = [];
      sum = 0;
    }
    slice.push(row);
    sum += n;
  }
  if (slice.length > 0) yield slice;
}

/** A message to fetch whole: its UID, RFC822.SIZE and the header block already read. */
interface HeaderRow {
  uid: number;
  size: number | undefined;
  header: Uint8Array;
}

const view = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Yields the header block of every message in the folders, grouped by account (one connection per account). */
export async function* readImapFolders(targets: ImapTarget[], credentials: ImapCredentials, options: ImapReadOptions = {}): AsyncGenerator<InputItem> {
  const byAccount = new Map<string, ImapTarget[]>();
  for (const t of targets) byAccount.set(accountOf(t), [...(byAccount.get(accountOf(t)) ?? []), t]);
  for (const folders of byAccount.values()) yield* readAccount(folders, credentials, options);
}

async function* readAccount(folders: ImapTarget[], credentials: ImapCredentials, options: ImapReadOptions): AsyncGenerator<InputItem> {
  const first = folders[0]!;
  const batch = Math.max(1, options.batchSize ?? IMAP_FETCH_BATCH);
  const attempts = options.reconnectAttempts ?? IMAP_RECONNECT_ATTEMPTS;
  const delay = options.reconnectDelayMs ?? IMAP_RECONNECT_DELAY_MS;
  const wantWhole = options.wantWhole;
  const maxWhole = Math.min(options.maxWholeBytes ?? IMAP_MAX_WHOLE_MESSAGE_BYTES, IMAP_MAX_WHOLE_MESSAGE_BYTES);
  let client: ImapFlow | undefined;

  const connect = async (): Promise<ImapFlow> => {
    const c = new ImapFlow(connectionOptions(first, credentials, options.connectTimeoutMs));
    // A dropped connection also emits 'error'; it is handled where the command fails.
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  const close = async () => {
    const c = client;
    client = undefined;
    if (!c) return;
    if (c.usable) await c.logout().catch(() => c.close());
    else c.close();
  };

  try {
    try {
      client = await connect();
    } catch (err) {
      const { reason, detail } = describe(err as ImapError, first, credentials);
      for (const t of folders) yield { source: folderUrl(t), failure: { reason, detail } };
      return;
    }
    for (const target of folders) {
      const source = folderUrl(target);
      let folder = target.folder;
      let uidValidity: bigint | undefined;
      let uids: number[] = [];
      const done = new Set<number>();
      /** UIDs whose Date field was read (the keepDate pass). */
      const dated = new Set<number>();
      /** Messages whose header was read and that wait to be fetched whole: kept across a lost
       * connection, so a reconnection does not read their headers again (and a connection that
       * read headers made progress, even when every message of the batch is wanted whole). */
      const wanted = new Map<number, HeaderRow>();
      let lost = 0;
      let losses = 0;
      let readAtLoss = 0;
      let lastError: ImapError | undefined;

      // Opens the folder read-only (EXAMINE) and, the first time, lists its UIDs.
      const open = async (): Promise<void> => {
        if (!client) client = await connect();
        if (folder === '') {
          const sent = (await client.list()).find((m) => m.specialUse === '\\Sent');
          if (!sent) throw Object.assign(new Error('no folder is marked as \\Sent on this server; name one in the URL (imaps://user@host/Sent)'), { code: 'NoSentFolder' });
          folder = sent.path;
        }
        const mailbox = await client.mailboxOpen(folder, { readOnly: true });
        if (uidValidity === undefined) {
          uidValidity = mailbox.uidValidity;
          uids = mailbox.exists === 0 ? [] : ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => a - b);
          options.onFolder?.(source, uids.length);
        } else if (mailbox.uidValidity !== uidValidity) {
          throw Object.assign(new Error('the folder changed while it was read (UIDVALIDITY differs after reconnecting)'), { code: 'UidValidityChanged' });
        }
      };

      // The messages waiting in `wanted`, whole. One the server does not return in a FETCH that
      // ended well (expunged meanwhile, or a server that skips it) was in the folder when its header
      // was read: it is checked on that header and its body reported not read, never dropped.
      async function* fetchWanted(): AsyncGenerator<InputItem> {
        for (const group of wholeBatches([...wanted.values()], batch, IMAP_WHOLE_BATCH_BYTES, maxWhole)) {
          for await (const msg of client!.fetch(group.map((r) => r.uid).join(','), { uid: true, source: true }, { uid: true })) {
            if (done.has(msg.uid) || !msg.source) continue;
            done.add(msg.uid);
            wanted.delete(msg.uid);
            yield { source: `${source};UID=${msg.uid}`, bytes: view(msg.source), complete: true, format: 'eml', lineOffset: 0 };
          }
          if (!client!.usable) throw Object.assign(new Error('the connection closed during FETCH'), { code: 'EConnectionClosed' });
          for (const r of group) {
            if (done.has(r.uid)) continue;
            done.add(r.uid);
            wanted.delete(r.uid);
            yield { source: `${source};UID=${r.uid}`, bytes: r.header, complete: false, format: 'eml', lineOffset: 0, bodyNotRead: { reason: 'unreadable', detail: 'the server returned its header but not the whole message (expunged meanwhile?); its body was not scanned' } };
          }
        }
      }

      let failed: { reason: string; detail: string } | undefined;
      for (;;) {
        try {
          await open();
          // With a date range: first only each message's Date and Resent-Date fields (a few dozen bytes), so
          // messages outside the range are counted without their whole header crossing the wire.
          if (options.keepDate) {
            for (const slice of batches(uids, batch, (uid) => !dated.has(uid) && !done.has(uid))) {
              for await (const msg of client!.fetch(slice.join(','), { uid: true, headers: ['date', 'resent-date'] }, { uid: true })) {
                if (dated.has(msg.uid) || done.has(msg.uid)) continue;
                dated.add(msg.uid);
                const bytes = msg.headers && msg.headers.length > 0 ? msg.headers : Buffer.from('\r\n');
                if (options.keepDate(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))) continue;
                // Outside the range (or undated, which a range leaves out): its Date field is all the audit reads.
                done.add(msg.uid);
                yield { source: `${source};UID=${msg.uid}`, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), complete: false, format: 'eml', lineOffset: 0 };
              }
              if (!client!.usable) throw Object.assign(new Error('the connection closed during FETCH'), { code: 'EConnectionClosed' });
            }
          }
          // Whole messages whose headers a lost connection left waiting are fetched first.
          yield* fetchWanted();
          for (const slice of batches(uids, batch, (uid) => !done.has(uid) && !wanted.has(uid))) {
            // Messages the scan wants whole wait for the second FETCH below; the rest are yielded
            // as they arrive, so a connection lost mid-batch still counts as progress.
            for await (const msg of client!.fetch(slice.join(','), { uid: true, headers: true, size: wantWhole !== undefined }, { uid: true })) {
              if (done.has(msg.uid) || wanted.has(msg.uid)) continue;
              const headers = msg.headers && msg.headers.length > 0 ? msg.headers : undefined;
              const itemSource = `${source};UID=${msg.uid}`;
              if (!headers) {
                done.add(msg.uid);
                yield { source: itemSource, failure: { reason: 'no-header', detail: 'the server returned no header for this message' } };
                continue;
              }
              // As readWholeForScan: only a header promising a body worth scanning, then the audit's choice.
              const whole = wantWhole !== undefined && bodyWorthScanning(readHeaderBlock(view(headers))) && wantWhole(view(headers));
              if (whole && (msg.size === undefined || msg.size <= maxWhole)) {
                wanted.set(msg.uid, { uid: msg.uid, size: msg.size, header: view(headers) });
                continue;
              }
              done.add(msg.uid);
              const item: InputItem = { source: itemSource, bytes: view(headers), complete: false, format: 'eml', lineOffset: 0 };
              // Over the limit: not fetched, and so not known to be clean.
              if (whole) item.bodyNotRead = { reason: 'too-large', detail: `${msg.size} bytes, over ${maxWhole}` };
              yield item;
            }
            // A FETCH that ended because the connection did is not a finished batch (UIDs missing
            // from a finished one were expunged meanwhile: no longer in the folder).
            if (!client!.usable) throw Object.assign(new Error('the connection closed during FETCH'), { code: 'EConnectionClosed' });
            // Then the wanted ones whole, after the rest of their batch.
            yield* fetchWanted();
          }
          break;
        } catch (err) {
          const e = err as ImapError;
          lastError = e;
          if (e.code === 'NoSentFolder' || e.code === 'UidValidityChanged') {
            failed = { reason: e.code === 'NoSentFolder' ? 'imap-folder' : 'imap-incomplete', detail: e.message };
            break;
          }
          if (!isConnectionLoss(e, client)) {
            // The server refused: the folder does not exist, or may not be read by this user.
            const opened = uidValidity !== undefined;
            failed = {
              reason: opened ? 'imap-incomplete' : 'imap-folder',
              detail: scrubSecrets(`${e.mailboxMissing ? 'no such folder' : e.responseText || e.message}${opened ? ` (read ${done.size} of ${uids.length} messages)` : ''}`, target, credentials),
            };
            break;
          }
          await close();
          losses++;
          // Progress: messages read, Date fields read, headers read of messages waiting to be fetched whole.
          const read = done.size + dated.size + wanted.size;
          if (read > readAtLoss) lost = 0;
          readAtLoss = read;
          if (lost++ >= attempts) {
            failed = { reason: 'imap-incomplete', detail: `${describe(e, target, credentials).detail}; read ${done.size} of ${uids.length} messages, the connection was lost ${losses} times` };
            break;
          }
          await sleep(delay * 2 ** (lost - 1));
        }
      }
      if (failed) {
        // A lost connection whose reconnection fails is reported once, here, for this folder.
        if (lastError?.authenticationFailed) failed = describe(lastError, target, credentials);
        yield { source, failure: failed };
      }
    }
  } finally {
    await close();
  }
}
