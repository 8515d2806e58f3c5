// IMAP folder URLs for `mailguard audit`: imap://USER@HOST[:PORT]/FOLDER and imaps://...
// Pure and cheap (no IMAP client is loaded here): the audit action tells URLs from paths with it
// and loads the IMAP adapter (src/io/imap.ts, imapflow) only when one is given.

import { MailguardError } from '../errors.js';

/** IMAP over TLS from the first byte (RFC 8314). */
export const IMAPS_DEFAULT_PORT = 993;
/** IMAP, upgraded with STARTTLS. */
export const IMAP_DEFAULT_PORT = 143;

export interface ImapTarget {
  /** true: imaps:// (TLS from the start); false: imap:// (STARTTLS, required unless loopback). */
  secure: boolean;
  host: string;
  port: number;
  user: string;
  /** The folder as the server names it ("Sent", "INBOX/Sent", "Sent Items"); '' means the folder marked \Sent. */
  folder: string;
  /** A loopback host: plaintext is allowed there when the server offers no STARTTLS. */
  loopback: boolean;
}

export function isImapUrl(text: string): boolean {
  return /^imaps?:\/\//i.test(text);
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The server and user part, without any secret: `imap://alice@host:143`. */
export function accountOf(t: ImapTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.secure ? 'imaps' : 'imap'}://${encodeURIComponent(t.user)}@${host}:${t.port}`;
}

/** How a folder is named in reports: the account and the folder (percent-encoded as a URL path). */
export function folderUrl(t: ImapTarget): string {
  return `${accountOf(t)}/${t.folder.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Reads an IMAP folder URL. A password in the URL is refused (it would sit in shell history and
 * process lists, and in every message that echoes the URL); the refusal never repeats it.
 * The user may come from MAILGUARD_IMAP_USER when the URL has none.
 */
export function parseImapUrl(raw: string, env: NodeJS.ProcessEnv = {}): ImapTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    // Never echo it: it may hold a password.
    throw new MailguardError('EUSAGE', 'an IMAP source is not a valid URL.', { hint: 'Write it as imaps://user@host/Sent or imap://user@host:143/Sent.' });
  }
  const secure = u.protocol.toLowerCase() === 'imaps:';
  if (u.password !== '') {
    throw new MailguardError('EUSAGE', `an IMAP URL must not contain a password (${secure ? 'imaps' : 'imap'}://${u.username ? `${decodeURIComponent(u.username)}:***` : '***'}@${u.hostname}/...); it was not used.`, {
      hint: 'Give it in MAILGUARD_IMAP_PASSWORD, in a file with --password-file, or at the prompt on a terminal. It is now in your shell history: consider changing it.',
    });
  }
  if (!u.hostname) throw new MailguardError('EUSAGE', 'an IMAP URL names no host.', { hint: 'Write it as imaps://user@host/Sent.' });
  // RFC 5092 allows ";AUTH=..." after the user name: the mechanism is chosen by the credentials given here.
  const user = decodeURIComponent(u.username).replace(/;auth=.*$/i, '') || env.MAILGUARD_IMAP_USER || '';
  if (user === '') {
    throw new MailguardError('EUSAGE', `the IMAP URL names no user (${secure ? 'imaps' : 'imap'}://${u.hostname}/...).`, {
      hint: 'Write it as imaps://user@host/Sent (an @ inside the user name as %40), or set MAILGUARD_IMAP_USER.',
    });
  }
  const port = u.port ? Number(u.port) : secure ? IMAPS_DEFAULT_PORT : IMAP_DEFAULT_PORT;
  const folder = u.pathname
    .replace(/^\//, '')
    .replace(/;.*$/, '')
    .split('/')
    .map((s) => decodeURIComponent(s))
    .join('/')
    .replace(/\/$/, '');
  if (u.search !== '' || u.hash !== '') {
    throw new MailguardError('EUSAGE', 'an IMAP URL takes no ?query or #fragment here.', { hint: 'Write it as imaps://user@host/Folder; use one URL per folder.' });
  }
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return { secure, host, port, user, folder, loopback: isLoopbackHost(host) };
}
