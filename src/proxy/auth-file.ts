// The proxy's AUTH users: a file of `user:hash` lines, hashes made with scrypt
// (`mailguard proxy --hash-password`). Plain-text passwords are refused.

import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MailguardError } from '../errors.js';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

/** scrypt cost for new hashes: twice Node's default N. Each AUTH then costs about 32 MB and
 * 50-100 ms here, affordable with PROXY_MAX_CLIENTS sessions authenticating at once. */
const SCRYPT_N = 2 ** 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SCRYPT_KEY_BYTES = 32;
const SCRYPT_SALT_BYTES = 16;
/** Highest N accepted from a file: a hostile or mistyped file must not make AUTH eat memory. */
const SCRYPT_MAX_N = 2 ** 20;

interface StoredHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export type AuthUsers = Map<string, StoredHash>;

function scryptMemory(n: number, r: number): number {
  return 128 * n * r + 1024 * 1024;
}

/** `scrypt$N$r$p$salt$key` (salt and key in base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const key = await scrypt(password, salt, SCRYPT_KEY_BYTES, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, maxmem: scryptMemory(SCRYPT_N, SCRYPT_R) });
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function parseHash(text: string): StoredHash | undefined {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  if (n < 2 || n > SCRYPT_MAX_N || (n & (n - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  const key = Buffer.from(m[5]!, 'base64');
  if (key.length < 16) return undefined;
  return { n, r, p, salt: Buffer.from(m[4]!, 'base64'), key };
}

/** Parses an auth file's text: `user:hash` per line, `#` comments and blank lines ignored. */
export function parseAuthFile(text: string, where: string): AuthUsers {
  const users: AuthUsers = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = colon > 0 ? line.slice(0, colon) : '';
    const hash = colon > 0 ? parseHash(line.slice(colon + 1).trim()) : undefined;
    if (!user || !hash) {
      throw new MailguardError('ECONFIG', `${where} line ${i + 1}: expected user:scrypt$N$r$p$salt$key.`, {
        hint: 'Make a hash with: mailguard proxy --hash-password (reads the password from stdin). Plain-text passwords are not accepted.',
      });
    }
    users.set(user, hash);
  });
  if (users.size === 0) throw new MailguardError('ECONFIG', `${where} has no users.`, { hint: 'Add user:hash lines; see mailguard proxy --help.' });
  return users;
}

export async function loadAuthFile(path: string): Promise<AuthUsers> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new MailguardError('ECONFIG', `cannot read the auth file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseAuthFile(text, path);
}

/** Checks a password in constant time per user; unknown users cost a hash too. */
export async function verifyPassword(users: AuthUsers, user: string, password: string): Promise<boolean> {
  const stored = users.get(user);
  const h = stored ?? { n: 2 ** 14, r: SCRYPT_R, p: SCRYPT_P, salt: Buffer.alloc(SCRYPT_SALT_BYTES), key: Buffer.alloc(SCRYPT_KEY_BYTES) };
  const key = await scrypt(password, h.salt, h.key.length, { N: h.n, r: h.r, p: h.p, maxmem: scryptMemory(h.n, h.r) });
  return stored !== undefined && timingSafeEqual(key, h.key);
}
