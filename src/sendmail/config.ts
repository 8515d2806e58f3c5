// The "sendmail" section of the configuration file. Pure: validates and returns typed settings.

import { MailguardError } from '../errors.js';
import { checks, parseSection, type KeyCheck, type OnViolation } from '../policy/config.js';

export interface SendmailConfig {
  /** SMTP relay URL for this command only (else the top-level "smtp" or MAILGUARD_SMTP_URL). */
  smtp?: string;
  /** What to do with a violating message (else the top-level "onViolation", else block). */
  onViolation?: OnViolation;
  /** Hand the final message to this sendmail-compatible binary instead of an SMTP relay. */
  viaSendmail?: string;
  /** Seconds viaSendmail may take before it is stopped (else VIA_SENDMAIL_TIMEOUT_MS). */
  viaSendmailTimeout?: number;
  /** Keep blocked and undeliverable messages in this directory for review. */
  spool?: string;
  /** The envelope sender when no -f is given (else the message's From). */
  from?: string;
}

/** The section's keys and their checks (the JSON Schema's "sendmail" lists the same). */
export const SENDMAIL_SECTION: Record<string, KeyCheck> = {
  smtp: checks.string,
  onViolation: checks.onViolation,
  viaSendmail: checks.string,
  viaSendmailTimeout: checks.positiveInt,
  spool: checks.string,
  from: checks.string,
};

/**
 * Set in the environment of the binary viaSendmail runs. Seen on start, it means viaSendmail ran
 * mailguard-sendmail again (a link installed as /usr/sbin/sendmail named as viaSendmail, or a
 * wrapper): each run would start the next, every one holding the message, without end.
 */
export const VIA_SENDMAIL_MARK_ENV = 'MAILGUARD_SENDMAIL_VIA';

export function parseSendmailConfig(section: Record<string, unknown> | undefined, where = 'configuration'): SendmailConfig {
  return parseSection(section, 'sendmail', SENDMAIL_SECTION, where) as SendmailConfig;
}

// --- The system configuration -------------------------------------------------------------------
// The drop-in sendmail is run by whoever sends mail: a PHP form handler, cron, git send-email in
// a cloned repository. None of them may choose the policy that guards their own mail, so the
// policy, the relay and the delivery program come from one file the administrator owns, never
// from the caller's arguments or working directory.

/** Where the drop-in sendmail reads its configuration (the format of mailguard.config.json). */
export const SYSTEM_CONFIG_PATH = '/etc/mailguard/sendmail.json';

/**
 * Names another system configuration file. For the administrator's wrapper script (and tests),
 * which sets it before running mailguard-sendmail; the file it names passes the same ownership
 * checks as the fixed path.
 */
export const SYSTEM_CONFIG_ENV = 'MAILGUARD_SENDMAIL_CONFIG';

/** Group- and world-writable permission bits: anyone but the owner could change the policy. */
const WRITABLE_BY_OTHERS = 0o022;

export interface SystemConfigFile {
  /** The file's text, undefined when the fixed path does not exist. */
  text?: string;
  path: string;
  /** Where the path came from, for messages. */
  origin: 'fixed' | 'env';
}

/**
 * Reads the system configuration file, refusing (ECONFIG) one that is not a regular file, is
 * owned by someone other than root or the user running mailguard, or is writable by group or
 * others. The checks are made on the opened file, so a swap after the check reads nothing else.
 * A missing file at the fixed path means "no system configuration" (defaults, relay from the
 * environment); a missing file named by the environment variable is an error.
 */
export async function readSystemConfigFile(env: NodeJS.ProcessEnv, uid: number | undefined = process.getuid?.()): Promise<SystemConfigFile> {
  const { open } = await import('node:fs/promises');
  const { constants } = await import('node:fs');
  const named = env[SYSTEM_CONFIG_ENV];
  const origin = named !== undefined && named !== '' ? 'env' : 'fixed';
  const file = origin === 'env' ? named! : SYSTEM_CONFIG_PATH;
  const where = origin === 'env' ? `${file} (named by ${SYSTEM_CONFIG_ENV})` : file;
  let handle;
  try {
    // O_NONBLOCK: a FIFO planted at the path must not hang the caller; it is refused below.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && origin === 'fixed') return { path: file, origin };
    throw new MailguardError('ECONFIG', `${where}: cannot be read (${code === 'ENOENT' ? 'no such file' : (err as Error).message}).`, {
      hint: `The drop-in sendmail's configuration is ${SYSTEM_CONFIG_PATH}, or the file ${SYSTEM_CONFIG_ENV} names.`,
    });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new MailguardError('ECONFIG', `${where}: not a regular file.`);
    if (st.uid !== 0 && st.uid !== uid) {
      throw new MailguardError('ECONFIG', `${where}: owned by user ${st.uid}, not by root or the user running mailguard; refusing a policy someone else can change.`, {
        hint: `chown root ${file}`,
      });
    }
    if ((st.mode & WRITABLE_BY_OTHERS) !== 0) {
      throw new MailguardError('ECONFIG', `${where}: writable by group or others (mode ${(st.mode & 0o777).toString(8)}); refusing a policy someone else can change.`, {
        hint: `chmod go-w ${file}`,
      });
    }
    if (st.size > MAX_SYSTEM_CONFIG_BYTES) throw new MailguardError('ECONFIG', `${where}: larger than ${MAX_SYSTEM_CONFIG_BYTES} bytes.`);
    return { text: await handle.readFile('utf8'), path: file, origin };
  } finally {
    await handle.close();
  }
}

/** A configuration is a few hundred bytes; a bigger file is not one. */
const MAX_SYSTEM_CONFIG_BYTES = 1024 * 1024;
