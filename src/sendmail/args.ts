// The sendmail command line, parsed the way sendmail and Postfix's sendmail(1) read it: getopt
// style (clustered flags, `-fSENDER` or `-f SENDER`, `-oi`), then recipients. Pure: argv in,
// options out; unknown-but-common sendmail options are collected as notes, never fatal.

import { MailguardError } from '../errors.js';
import type { DsnRequest } from '../message/envelope.js';

export interface SendmailArgs {
  /** -t: take recipients from To, Cc and Bcc (or the Resent-* fields), and remove Bcc. */
  extractRecipients: boolean;
  /** -i, -oi, -O IgnoreDots: a lone "." line does not end the message. */
  ignoreDots: boolean;
  /** -f / -r: the envelope sender as given ('' for the null sender <>). */
  sender?: string;
  /** -F: the sender's full name, used when the message has no From field. */
  fullName?: string;
  /** -N, -R, -V: delivery status notifications asked for, carried to the relay or the real sendmail. */
  dsn: DsnRequest;
  /** Recipients named on the command line, as written (each may hold a comma-separated list). */
  recipients: string[];
  /** Sendmail options accepted and ignored, for debug output. */
  ignored: string[];
  /**
   * mailguard policy, relay and delivery options given by the caller (`--on-violation=warn`,
   * `--smtp`, `--config`, `--via-sendmail` ...), as written. They are never applied: the program
   * that sends is not the one that sets policy (a PHP mail() fifth argument or a script could
   * otherwise switch the guard off); the command warns that it ignored them.
   */
  callerPolicyOptions: string[];
  /** -bs: SMTP on stdin and stdout (src/sendmail/smtp-stdio.ts); the envelope comes from the dialogue. */
  smtpOnStdio: boolean;
  /** -v, --debug: notes on stderr. */
  debug: boolean;
  help: boolean;
}

/** Single-letter options that take a value (getopt "x:"), from sendmail 8 and Postfix sendmail. */
const WITH_VALUE = new Set([...'ABbCDdeFfhLMNOopQqRrVX']);
/** Single-letter flags accepted and ignored: -c -G -m -n -s -U -x (and -v, -t, -i handled below). */
const IGNORED_FLAGS = new Set([...'cGmnsUx']);
/** -b modes mailguard does: deliver a message (-bm), and the same over SMTP on stdin/stdout (-bs). */
const DELIVER_MODE = 'm';
const SMTP_MODE = 's';
/**
 * Names sendmail answers to with another mode, whatever the arguments (sendmail 8; Postfix's
 * sendmail.c reads mailq and newaliases): the MTA links them to its sendmail (Debian:
 * /usr/bin/mailq -> ../sbin/sendmail), so mailguard installed as sendmail is run under them.
 */
const NAME_MODES: ReadonlyMap<string, string> = new Map([
  ['mailq', 'p'],
  ['newaliases', 'i'],
  ['hoststat', 'h'],
  ['purgestat', 'H'],
  ['smtpd', 'd'],
]);
/** The hint for a mode mailguard does not do. */
const MODE_HINT = "Use the MTA's own commands for queue, alias and daemon modes (Postfix: postqueue -p, newaliases.postfix or postalias, postfix start).";

/**
 * mailguard's own options of other commands that set policy, relay or delivery program. Given to
 * the drop-in sendmail they are named in a warning and ignored (their value too, when it is a
 * separate word), never applied.
 */
export const CALLER_POLICY_OPTIONS: ReadonlySet<string> = new Set(['config', 'smtp', 'on-violation', 'via-sendmail', 'spool', 'internal-domain', 'trusted-domain', 'warn-at', 'block-at', 'rule', 'sensitive', 'public-list', 'max-visible', 'no-body-scan', 'body-min-addresses']);
/** Of those, the ones that are flags (no value). */
const CALLER_POLICY_FLAGS = new Set(['sensitive', 'no-body-scan']);

const usage = (message: string, hint = 'Run "mailguard sendmail --help" for the options.') => new MailguardError('EUSAGE', message, { hint });

/** `<a@b>` -> `a@b`, `<>` -> '' (the null sender), anything else as given. */
export function unbracket(address: string): string {
  const t = address.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

const DSN_NOTIFY = new Set(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY']);
/** RFC 3461 4.4: an ENVID is at most 100 characters (of printable ASCII, as xtext carries it). */
const MAX_ENVID_LENGTH = 100;

/** -N: never, or a comma-separated list of success, failure and delay (Postfix accepts spaces after the commas). */
function parseNotify(value: string): NonNullable<DsnRequest['notify']> {
  const list = value.split(',').map((v) => v.trim().toUpperCase());
  if (list.some((v) => !DSN_NOTIFY.has(v)) || (list.length > 1 && list.includes('NEVER'))) {
    throw usage(`-N ${value}: give never, or one or more of success, failure and delay, comma-separated.`);
  }
  return [...new Set(list)] as NonNullable<DsnRequest['notify']>;
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
    case 'N':
      out.dsn.notify = parseNotify(value);
      return;
    case 'R': {
      const ret = value.trim().toUpperCase();
      if (ret !== 'FULL' && ret !== 'HDRS') throw usage(`-R ${value}: give hdrs (return only the header in a bounce) or full.`);
      out.dsn.ret = ret;
      return;
    }
    case 'V':
      if (value.length > MAX_ENVID_LENGTH || !/^[\x21-\x7e]+$/.test(value)) throw usage(`-V: the envelope id must be 1 to ${MAX_ENVID_LENGTH} printable characters without spaces.`);
      out.dsn.envid = value;
      return;
    case 'b':
      // The last -b wins, as in sendmail.
      if (value !== DELIVER_MODE && value !== SMTP_MODE) throw usage(`-b${value} is not supported: mailguard sendmail only delivers a message (-bm, or -bs over SMTP).`, MODE_HINT);
      out.smtpOnStdio = value === SMTP_MODE;
      return;
    case 'q':
      // Not --spool: the drop-in ignores the caller's policy and delivery options.
      throw usage('-q (queue runs) is not supported: mailguard sendmail keeps no queue.', 'Undeliverable messages exit 75 so the caller retries; "sendmail": { "spool" } in the system configuration keeps a copy for review.');
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

/**
 * `programName`: the name the command was run as (the basename of argv[0]); mailq, newaliases and
 * the other names of NAME_MODES are those modes, refused before any message is read.
 */
export function parseSendmailArgs(argv: readonly string[], programName?: string): SendmailArgs {
  const named = programName === undefined ? undefined : NAME_MODES.get(programName);
  if (named !== undefined) {
    throw usage(`${programName} (sendmail -b${named}) is not supported: mailguard is installed as sendmail here and only delivers a message.`, MODE_HINT);
  }
  const out: SendmailArgs = {
    extractRecipients: false,
    ignoreDots: false,
    dsn: {},
    recipients: [],
    ignored: [],
    callerPolicyOptions: [],
    smtpOnStdio: false,
    debug: false,
    help: false,
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    // Options end at the first recipient, as sendmail and Postfix's sendmail read them (getopt
    // with "+"): `sendmail user@x --on-violation=warn` names two recipients, the second invalid.
    if (!arg.startsWith('-') || arg === '-') break;
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
      if (!CALLER_POLICY_OPTIONS.has(name)) throw usage(`unknown option --${name}.`);
      out.callerPolicyOptions.push(`--${name}`);
      // Its value, when written as a separate word, is the option's, not a recipient.
      if (eq === -1 && !CALLER_POLICY_FLAGS.has(name) && i + 1 < argv.length) i++;
      continue;
    }
    // A cluster of single-letter options: -ti, -oi, -fsender, -f sender.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      if (WITH_VALUE.has(letter)) {
        let value = arg.slice(j + 1);
        // -q stands alone (a queue run now) or carries its value attached (-q30m, -qIid), as
        // sendmail and Postfix read it: the next word is never its value.
        if (value === '' && letter !== 'q') {
          const next = argv[i + 1];
          if (next === undefined) throw usage(`-${letter} needs a value.`);
          value = next;
          i++;
        }
        applyShort(out, letter, value);
        break;
      }
      // -I: initialise the alias database, as -bi (sendmail 8, Postfix); not a message to wait for.
      if (letter === 'I') throw usage('-I (newaliases) is not supported: mailguard sendmail only delivers a message (-bm).', MODE_HINT);
      if (letter === 't') out.extractRecipients = true;
      else if (letter === 'i') out.ignoreDots = true;
      else if (letter === 'v') out.debug = true;
      else if (IGNORED_FLAGS.has(letter)) out.ignored.push(`-${letter}`);
      else throw usage(`unknown sendmail option -${letter}.`);
    }
  }
  // From the first recipient (or after "--") every word is a recipient, even one starting with "-".
  out.recipients.push(...argv.slice(i));
  if (out.smtpOnStdio) {
    // The SMTP dialogue names sender and recipients; a second source would leave unclear which counts.
    const envelopeOption = out.extractRecipients ? '-t' : out.sender !== undefined ? '-f' : out.recipients.length > 0 ? 'recipients on the command line' : undefined;
    if (envelopeOption) throw usage(`-bs takes the envelope from the SMTP dialogue (MAIL FROM, RCPT TO): ${envelopeOption} cannot be given with it.`, 'Drop it, or pipe the message without -bs.');
  }
  return out;
}
