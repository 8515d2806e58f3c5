// Where an IMAP password or OAuth2 access token comes from: a file (--password-file,
// --access-token-file), else the environment (MAILGUARD_IMAP_PASSWORD, MAILGUARD_IMAP_ACCESS_TOKEN),
// else a prompt on a terminal with echo off. Never from the command line or the URL (refused in
// parseImapUrl), and never printed: errors name where a secret came from, not what it is.

import { readFile } from 'node:fs/promises';
import { MailguardError } from '../errors.js';
import type { ImapCredentials } from '../io/imap.js';

/** A secret file larger than this is not a password or token file. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

export interface CredentialFlags {
  passwordFile?: string;
  accessTokenFile?: string;
}

async function readSecretFile(file: string, flag: string): Promise<string> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_SECRET_FILE_BYTES) throw new Error(`larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (err) {
    throw new MailguardError('EUSAGE', `cannot read ${flag} ${file}: ${(err as Error).message}`);
  }
  // One trailing line end is the file's, not the secret's.
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new MailguardError('EUSAGE', `${flag} ${file} is empty.`);
  return secret;
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    let value = '';
    const finish = (err?: Error) => {
      input.setRawMode(wasRaw);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new MailguardError('EUSAGE', 'no password given (interrupted).'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

export async function resolveImapCredentials(flags: CredentialFlags, user: string, env: NodeJS.ProcessEnv = process.env): Promise<ImapCredentials> {
  if (flags.passwordFile !== undefined && flags.accessTokenFile !== undefined) {
    throw new MailguardError('EUSAGE', '--password-file and --access-token-file exclude each other.');
  }
  if (flags.accessTokenFile !== undefined) return { accessToken: await readSecretFile(flags.accessTokenFile, '--access-token-file') };
  if (flags.passwordFile !== undefined) return { password: await readSecretFile(flags.passwordFile, '--password-file') };
  if (env.MAILGUARD_IMAP_ACCESS_TOKEN) return { accessToken: env.MAILGUARD_IMAP_ACCESS_TOKEN };
  if (env.MAILGUARD_IMAP_PASSWORD) return { password: env.MAILGUARD_IMAP_PASSWORD };
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const password = await promptHidden(`IMAP password for ${user}: `);
    if (password === '') throw new MailguardError('EUSAGE', 'no password given.');
    return { password };
  }
  throw new MailguardError('EUSAGE', `no IMAP password for ${user}.`, {
    hint: 'Set MAILGUARD_IMAP_PASSWORD (or MAILGUARD_IMAP_ACCESS_TOKEN for OAuth2), or give --password-file FILE; on a terminal you are asked for it.',
  });
}
