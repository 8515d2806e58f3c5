// The sendmail command line, parsed the way sendmail and Postfix's sendmail(1) read it: getopt
// style (clustered flags, `-fSENDER` or `-f SENDER`, `-oi`), then recipients. Pure: argv in,
// options out; unknown-but-common sendmail options are collected as notes, never fatal.

import { MailguardError } from '../errors.js';
import type { OnViolation } from '../policy/config.js';

export interface SendmailArgs {
  /** -t: take recipients from To, Cc and Bcc (or the Resent-* fields), and remove Bcc. */
  extractRecipients: boolean;
  /** -i, -oi, -O IgnoreDots: a lone "." line does not end the message. */
  ignoreDots: boolean;
  /** -f / -r: the envelope sender as given ('' for the null sender <>). */
  sender?: string;
  /** -F: the sender's full name, used when the message has no From field. */
  fullName?: string;
  /** Recipients named on the command line, as written (each may hold a comma-separated list). */
  recipients: string[];
  /** Sendmail options accepted and ignored, for debug output. */
  ignored: string[];
  /** -v, --debug: notes on stderr. */
  debug: boolean;
  help: boolean;
  // mailguard's own long options.
  config?: string;
  smtp?: string;
  onViolation?: OnViolation;
  viaSendmail?: string;
  spool?: string;
  internalDomain: string[];
  trustedDomain: string[];
  warnAt?: number;
  blockAt?: number;
  sensitive: boolean;
  rule: string[];
}

/** Single-letter options that take a value (getopt "x:"), from sendmail 8 and Postfix sendmail. */
const WITH_VALUE = new Set([...'ABbCDdeFfhLMNOopQqRrVX']);
/** Single-letter flags accepted and ignored: -c -G -I -m -n -s -U -x (and -v, -t, -i handled below). */
const IGNORED_FLAGS = new Set([...'cGImnsUx']);
/** -b modes: only "deliver a message" (-bm) is something mailguard does. */
const DELIVER_MODE = 'm';

const ON_VIOLATION: readonly OnViolation[] = ['block', 'bcc', 'split', 'warn'];

type LongKey = 'config' | 'smtp' | 'on-violation' | 'via-sendmail' | 'spool' | 'internal-domain' | 'trusted-domain' | 'warn-at' | 'block-at' | 'rule';
const LONG_WITH_VALUE = new Set<string>(['config', 'smtp', 'on-violation', 'via-sendmail', 'spool', 'internal-domain', 'trusted-domain', 'warn-at', 'block-at', 'rule']);

const usage = (message: string, hint = 'Run "mailguard sendmail --help" for the options.') => new MailguardError('EUSAGE', message, { hint });

function count(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw usage(`--${name} takes a whole number, 1 or more (got "${value}").`);
  return Number(value);
}

const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

/** `<a@b>` -> `a@b`, `<>` -> '' (the null sender), anything else as given. */
export function unbracket(address: string): string {
  const t = address.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

function applyLong(out: SendmailArgs, key: LongKey, value: string): void {
  switch (key) {
    case 'config':
      out.config = value;
      break;
    case 'smtp':
      out.smtp = value;
      break;
    case 'on-violation':
      if (!(ON_VIOLATION as readonly string[]).includes(value)) throw usage(`--on-violation takes ${ON_VIOLATION.join(', ')} (got "${value}").`);
      out.onViolation = value as OnViolation;
      break;
    case 'via-sendmail':
      out.viaSendmail = value;
      break;
    case 'spool':
      out.spool = value;
      break;
    case 'internal-domain':
      out.internalDomain.push(...list(value));
      break;
    case 'trusted-domain':
      out.trustedDomain.push(...list(value));
      break;
    case 'warn-at':
      out.warnAt = count(key, value);
      break;
    case 'block-at':
      out.blockAt = count(key, value);
      break;
    case 'rule':
      out.rule.push(...list(value));
      break;
  }
}

/** Applies one single-letter option that takes a value. */
function applyShort(out: SendmailArgs, letter: string, value: string): void {
  switch (letter) {
    case 'f':
    case 'r':
      out.sender = unbracket(value);
      return;
    case 'F':
      out.fullName = value;
      return;
    case 'b':
      if (value !== DELIVER_MODE) {
        throw usage(`-b${value} is not supported: mailguard sendmail only delivers a message (-bm).`, 'Use the real sendmail for queue, alias and daemon modes.');
      }
      return;
    case 'q':
      throw usage('-q (queue runs) is not supported: mailguard sendmail keeps no queue.', 'Undeliverable messages exit 75 so the caller retries; --spool DIR keeps a copy for review.');
    case 'o':
      // -oi (and -o i): IgnoreDots. Everything else (-oem, -odi, -oQ/dir, -oXXX) is accepted and ignored.
      if (value === 'i') out.ignoreDots = true;
      else out.ignored.push(`-o${value}`);
      return;
    case 'O': {
      const [name = '', setting] = value.split('=', 2);
      if (name.trim().toLowerCase() === 'ignoredots') out.ignoreDots = setting === undefined || /^(t|true|y|yes|1)$/i.test(setting.trim());
      else out.ignored.push(`-O${value}`);
      return;
    }
    default:
      out.ignored.push(`-${letter}${value}`);
  }
}

export function parseSendmailArgs(argv: readonly string[]): SendmailArgs {
  const out: SendmailArgs = {
    extractRecipients: false,
    ignoreDots: false,
    recipients: [],
    ignored: [],
    debug: false,
    help: false,
    internalDomain: [],
    trustedDomain: [],
    sensitive: false,
    rule: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      if (name === 'help') {
        out.help = true;
        continue;
      }
      if (name === 'debug') {
        out.debug = true;
        continue;
      }
      if (name === 'sensitive') {
        out.sensitive = true;
        continue;
      }
      if (!LONG_WITH_VALUE.has(name)) throw usage(`unknown option --${name}.`);
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined) throw usage(`--${name} needs a value.`);
      applyLong(out, name as LongKey, value);
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      // Options may follow recipients, as glibc getopt allows (`sendmail user -oi`).
      out.recipients.push(arg);
      continue;
    }
    // A cluster of single-letter options: -ti, -oi, -fsender, -f sender.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      if (WITH_VALUE.has(letter)) {
        let value = arg.slice(j + 1);
        if (value === '') {
          const next = argv[i + 1];
          if (next === undefined) throw usage(`-${letter} needs a value.`);
          value = next;
          i++;
        }
        applyShort(out, letter, value);
        break;
      }
      if (letter === 't') out.extractRecipients = true;
      else if (letter === 'i') out.ignoreDots = true;
      else if (letter === 'v') out.debug = true;
      else if (IGNORED_FLAGS.has(letter)) out.ignored.push(`-${letter}`);
      else throw usage(`unknown sendmail option -${letter}.`);
    }
  }
  // After "--" everything is a recipient, even a word starting with "-".
  out.recipients.push(...argv.slice(i));
  return out;
}
