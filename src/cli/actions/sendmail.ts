// mailguard sendmail: a drop-in sendmail. Reads a message on stdin the way sendmail does, checks
// it with the configured policy, applies the on-violation action and delivers through the SMTP
// relay (or a real sendmail binary). Exit codes are sysexits, mapped here and only here, because
// callers of sendmail read them: nothing is sent unless everything before delivery succeeded.

import { deliveredCopiesDirectory, openDeliveredCopies } from '../../sendmail/delivered-copies.js';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { MailguardError } from '../../errors.js';
import type { DsnRequest, Envelope } from '../../message/envelope.js';
import { parseConfig, type OnViolation } from '../../policy/config.js';
import type { Policy } from '../../policy/policy.js';
import type { RelayOptions, resolveSmtpSettings } from '../../relay/index.js';
import { formatSendmailNotice, isDebugNotice, spoolBlockedDetail, temporarilyRefused, type SendmailNotice } from '../../report/sendmail.js';
import { parseSendmailArgs, type SendmailArgs } from '../../sendmail/args.js';
import { parseSendmailConfig, readSystemConfigFile, SYSTEM_CONFIG_ENV, SYSTEM_CONFIG_PATH, VIA_SENDMAIL_MARK_ENV } from '../../sendmail/config.js';
import { ADAPTER_MODES } from '../../decide/modes.js';
import { assertOnViolation, decideDelivery, type DeliveryDecision, type Transaction as Delivery } from '../../decide/index.js';
import { prepareSendmailMessage } from '../../sendmail/envelope.js';
import { failureDetail, SYSEXIT, sysexitForDelivery } from '../../sendmail/exit-codes.js';
import { readSendmailMessage } from '../../sendmail/read-message.js';
import { spoolMessage, type SpoolRecord } from '../../sendmail/spool.js';
import { parseConfigText, type LoadedConfig } from '../../io/config-file.js';
import { messageIdentity, resolveProfile, type Profiles } from '../../policy/profiles.js';
import { profilesForCommand, resolveOnViolation, settingsFromConfig } from '../policy-options.js';

export interface SendmailIo {
  stdin: AsyncIterable<Uint8Array>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The name the command was run as (argv[0]'s basename): mailq and newaliases are other modes. */
  programName?: string;
}

export const defaultIo = (): SendmailIo => ({
  stdin: process.stdin,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
});

export const SENDMAIL_USAGE = `Usage: mailguard sendmail [options] [--] [recipients...]
       mailguard-sendmail [options] [--] [recipients...]

A drop-in sendmail: reads a message on stdin, checks it with the mailguard
policy, applies the on-violation action (block, bcc, split, warn) and delivers
it through the SMTP relay, or through a real sendmail binary.

Sendmail options (they end at the first recipient; later words are recipients):
  -t             recipients from To, Cc and Bcc (Bcc is removed); command-line
                 ones are added
  -i, -oi        a line with a single "." is not the end of the message
  -f SENDER      envelope sender (also -fSENDER, -r SENDER; <> for the null
                 sender)
  -F NAME        sender's full name, for a From field added when there is none
  -bm            deliver a message (the default)
  -bs            speak SMTP on stdin/stdout (Symfony Mailer, Laravel): the
                 envelope is MAIL FROM and RCPT TO; each message is checked
                 and delivered before the reply to its final dot (250 only
                 once delivered); no -t, -f or recipients with it
  -v             notes on stderr (same as --debug)
  -N NOTIFY -R RET -V ENVID
                 delivery status notifications (never, or success,
                 failure,delay; hdrs or full; an id), passed on
  accepted and ignored: -oXXX -B... -odi -oem -X... -C... -h N -U -m -n
  refused (64): other modes (-bp -bi -I -bv -bd -q), and running as
                 mailq or newaliases
  --debug        notes on stderr
  --help         this text

Policy, relay and delivery program come only from the system configuration,
${SYSTEM_CONFIG_PATH} (the format of mailguard.config.json; owned by root
or the user running mailguard, not writable by group or others), or the file
named by ${SYSTEM_CONFIG_ENV}, which is for the administrator's wrapper
script. The caller's options --on-violation, --smtp, --config, --via-sendmail,
--spool, --rule, --warn-at, --block-at, --internal-domain, --trusted-domain and
--sensitive are ignored with a warning, and no configuration is looked for in
the working directory: the program that sends does not set the policy.
The relay may also come from MAILGUARD_SMTP_URL in the environment.
The configuration's "sendmail" section may set smtp, viaSendmail,
viaSendmailTimeout, onViolation, spool and from.

Exit codes (sysexits): 0 delivered; 64 bad command line; 65 blocked by policy
or unreadable message; 67 the relay refused some recipients; 69 the relay
refused the message; 70 internal error; 75 relay unreachable or temporary
refusal (try again later); 78 configuration error. With -bs each message's
outcome is its SMTP reply, and the status is 0 when every message was
delivered, else that of the last one not delivered (75 when the input ended
inside one).

Examples:
  git config sendemail.sendmailCmd "mailguard-sendmail"
  printf 'To: a@example.org\\nSubject: hi\\n\\nhello\\n' | mailguard sendmail -t -i
  mailguard sendmail -oi -f me@corp.example -- a@example.org b@example.net \\
    < message.eml
`;

/** The user running the drop-in, as the system knows it (the profiles' authUser). */
function loginUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.LOGNAME ?? process.env.USER;
  }
}

/** user@host as sendmail uses it when nothing names a sender; only with a host name that has a domain. */
function loginSender(): string | undefined {
  const user = loginUser();
  const host = os.hostname();
  return user && host.includes('.') ? `${user}@${host}` : undefined;
}

/** Where the message goes: a relay's settings or a binary; resolved before stdin is read. */
type Transport = { kind: 'relay'; options: RelayOptions; label: string } | { kind: 'binary'; path: string; label: string; timeoutMs?: number };

interface Deliverer {
  deliver(d: Delivery): Promise<{ accepted: string[]; rejected: Array<{ address: string; response: string }> }>;
  close(): Promise<void>;
}

/** `dsn`: the caller's -N, -R and -V, asked for every copy. */
async function openDeliverer(t: Transport, dsn: DsnRequest): Promise<Deliverer> {
  if (t.kind === 'binary') {
    const { deliverViaSendmail } = await import('../../sendmail/via-sendmail.js');
    return {
      deliver: async (d) => {
        await deliverViaSendmail(t.path, d.bytes, d.envelope, { dsn, ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}) });
        return { accepted: d.envelope.rcptTo, rejected: [] };
      },
      close: async () => {},
    };
  }
  const { createRelay } = await import('../../relay/index.js');
  const relay = await createRelay({ ...t.options, dsn });
  return { deliver: (d) => relay.deliver(d.bytes, d.envelope), close: () => relay.close() };
}

/** The exit status for an error raised before or during delivery. */
function sysexitFor(err: unknown): number {
  if (!(err instanceof MailguardError)) return SYSEXIT.SOFTWARE;
  switch (err.code) {
    case 'EUSAGE':
      return SYSEXIT.USAGE;
    case 'ECONFIG':
      return SYSEXIT.CONFIG;
    case 'EINPUT':
    case 'EEXPOSED':
    case 'EREWRITE':
      return SYSEXIT.DATAERR;
    case 'ERELAY':
      return sysexitForDelivery(failureDetail(err));
  }
}

/** What the drop-in sendmail can carry out (hold needs a hold queue: use the milter). */
const SENDMAIL_CAPABILITIES = { name: 'mailguard sendmail', modes: ADAPTER_MODES.sendmail };

/** Keeps the message for review when a spool is configured; a spool failure is reported, not fatal. */
async function keep(spool: string | undefined, raw: Uint8Array, record: SpoolRecord, io: SendmailIo): Promise<void> {
  if (!spool) return;
  try {
    const file = await spoolMessage(spool, raw, record);
    io.stderr(formatSendmailNotice({ kind: 'kept', file }));
  } catch (err) {
    io.stderr(formatSendmailNotice({ kind: 'not-kept', spool, problem: (err as Error).message }));
  }
}

function resolveTransport(
  section: { viaSendmail?: string; viaSendmailTimeout?: number; smtp?: string },
  resolveSmtp: typeof resolveSmtpSettings,
  config: Parameters<typeof resolveSmtpSettings>[1],
  env: NodeJS.ProcessEnv,
): Transport {
  if (section.viaSendmail !== undefined) {
    return { kind: 'binary', path: section.viaSendmail, label: section.viaSendmail, ...(section.viaSendmailTimeout !== undefined ? { timeoutMs: section.viaSendmailTimeout * 1000 } : {}) };
  }
  // MAILGUARD_SMTP_URL (set by the administrator's environment), then "sendmail.smtp", then the top-level "smtp".
  const flag = env.MAILGUARD_SMTP_URL ? undefined : section.smtp;
  try {
    const options = resolveSmtp(flag, config, env);
    return { kind: 'relay', options, label: options.url };
  } catch (err) {
    if (err instanceof MailguardError && err.code === 'EUSAGE') {
      throw new MailguardError('ECONFIG', err.message === 'no SMTP relay given.' ? 'no way to deliver: no SMTP relay and no sendmail binary configured.' : err.message, {
        hint: `Set "smtp" (or "sendmail": { "smtp" | "viaSendmail" }) in ${SYSTEM_CONFIG_PATH}, or MAILGUARD_SMTP_URL in the environment.`,
      });
    }
    throw err;
  }
}

/** The system configuration file, parsed; an empty configuration when the fixed path does not exist. */
async function loadSystemConfig(env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  const file = await readSystemConfigFile(env);
  if (file.text === undefined) return { config: { policy: {}, sections: {} } };
  // Read as every configuration file is (a key set twice, or one reaching a prototype, refused).
  const data = parseConfigText(file.text, file.path, '');
  return { config: parseConfig(data, file.path), path: file.path };
}

/** What the system configuration says, resolved once before any message is read. */
interface SendmailSetup {
  policy: Policy;
  onViolation: OnViolation;
  profiles: Profiles;
  spool: string | undefined;
  from: string | undefined;
  transport: Transport;
}

type Say = (n: SendmailNotice) => void;

/** Step 1: the configuration; a sysexit (64, 78, 70) when it cannot be used. */
async function loadSetup(io: SendmailIo, say: Say): Promise<SendmailSetup | number> {
  // Before reading anything: a bad setup fails fast with 78. Only the system file counts;
  // nothing is discovered from the working directory (a cloned repository's package.json must
  // not switch the guard off).
  let setup: SendmailSetup;
  try {
    if (io.env[VIA_SENDMAIL_MARK_ENV]) {
      throw new MailguardError('ECONFIG', 'viaSendmail runs mailguard-sendmail itself: this run was started by mailguard-sendmail\'s own viaSendmail, and would start the next one without end.', {
        hint: `Point "sendmail": { "viaSendmail" } in ${SYSTEM_CONFIG_PATH} at the MTA's own sendmail binary (kept under another name when mailguard-sendmail is linked as /usr/sbin/sendmail), or use "smtp".`,
      });
    }
    const loaded = await loadSystemConfig(io.env);
    const settings = settingsFromConfig(loaded, {});
    const section = parseSendmailConfig(settings.config.sections.sendmail, settings.configPath ?? 'configuration');
    const { resolveSmtpSettings: resolveSmtp } = await import('../../relay/index.js');
    setup = {
      policy: settings.policy,
      onViolation: resolveOnViolation(undefined, section.onViolation, settings.config),
      // Each profile's mode, checked here: a profile the drop-in cannot carry out fails with 78 at once.
      profiles: profilesForCommand(settings.profiles, undefined, section.onViolation, settings.config, (m, p) => assertOnViolation(m, p.policy, SENDMAIL_CAPABILITIES)),
      spool: section.spool,
      from: section.from,
      transport: resolveTransport(section, resolveSmtp, settings.config, io.env),
    };
    assertOnViolation(setup.onViolation, setup.policy, SENDMAIL_CAPABILITIES);
    say({ kind: 'setup', configPath: settings.configPath, systemPath: SYSTEM_CONFIG_PATH, onViolation: setup.onViolation, transport: setup.transport.kind, label: setup.transport.label });
  } catch (err) {
    say({ kind: 'error', error: err });
    return err instanceof MailguardError && err.code === 'EUSAGE' ? SYSEXIT.USAGE : err instanceof MailguardError ? SYSEXIT.CONFIG : SYSEXIT.SOFTWARE;
  }
  return setup;
}

/**
 * Steps 3 and 4 for one message read (from stdin, or one -bs transaction with its envelope in
 * `args`): envelope, check, the decision, and delivery as decided. Returns the sysexit; every
 * notice goes through `say`.
 */
async function checkAndDeliver(raw: Uint8Array, args: SendmailArgs, setup: SendmailSetup, say: Say, io: SendmailIo): Promise<number> {
  // 3. Envelope, check and the on-violation action: all decided before anything is sent.
  let decision: DeliveryDecision;
  let envelope: Envelope | undefined;
  let profileName = 'default';
  let onViolation = setup.onViolation;
  try {
    const prepareOptions: Parameters<typeof prepareSendmailMessage>[2] = { now: new Date(), messageIdLocal: `${Date.now().toString(36)}.${randomBytes(8).toString('hex')}.mailguard` };
    if (setup.from !== undefined) prepareOptions.defaultSender = setup.from;
    const login = loginSender();
    if (login !== undefined) prepareOptions.loginSender = login;
    const prepared = prepareSendmailMessage(raw, args, prepareOptions);
    envelope = prepared.envelope;
    if (prepared.added.length > 0) say({ kind: 'added', fields: prepared.added });
    say({ kind: 'envelope', mailFrom: prepared.envelope.mailFrom, recipients: prepared.envelope.rcptTo.length });
    // The profile: the login user (the system knows it), then the envelope sender, then From.
    const profile = resolveProfile(setup.profiles, messageIdentity(prepared.bytes, { authUser: loginUser(), envelopeFrom: prepared.envelope.mailFrom }));
    profileName = profile.name;
    onViolation = profile.onViolation!;
    say({ kind: 'profile', profile: profile.name, onViolation });
    decision = decideDelivery(prepared.bytes, profile.policy, { onViolation, envelope: prepared.envelope, source: 'stdin' });
  } catch (err) {
    say({ kind: 'error', error: err });
    const status = sysexitFor(err);
    await keep(setup.spool, raw, { reason: status === SYSEXIT.DATAERR ? 'unreadable' : 'undeliverable', detail: err instanceof Error ? err.message : String(err), exitStatus: status }, io);
    return status;
  }
  const codes = decision.result.findings.map((f) => f.code);
  if (decision.action === 'refuse' && decision.reason?.code === 'unreadable') {
    const f = decision.result.findings.find((x) => x.code === 'UNREADABLE_MESSAGE');
    say(f ? { kind: 'unreadable', finding: f } : { kind: 'unreadable' });
    await keep(setup.spool, raw, { reason: 'unreadable', detail: 'not a message', envelope: envelope!, findings: codes, exitStatus: SYSEXIT.DATAERR }, io);
    return SYSEXIT.DATAERR;
  }
  if (decision.action === 'block' || decision.action === 'refuse' || decision.action === 'hold') {
    say({ kind: 'blocked', blocking: decision.blocking, reason: decision.reason, onViolation, profile: profileName });
    await keep(setup.spool, raw, { reason: 'blocked', profile: profileName, detail: spoolBlockedDetail(decision.reason), envelope: envelope!, findings: codes, exitStatus: SYSEXIT.DATAERR }, io);
    return SYSEXIT.DATAERR;
  }
  if (decision.warnedOnly) say({ kind: 'warned', findings: decision.result.findings.filter((f) => f.severity === 'error'), profile: profileName });
  const total = decision.transactionCount;
  if (decision.rewrite) say(decision.rewrite.strategy === 'bcc' ? { kind: 'rewritten', strategy: 'bcc', moved: decision.rewrite.moved.length } : { kind: 'rewritten', strategy: 'split', copies: total });
  for (const finding of decision.result.findings) if (finding.severity === 'warning') say({ kind: 'warning', finding });

  // 4. Delivery. A failure before the first message is accepted leaves nothing sent. A split
  // goes copy by copy: copies an earlier attempt delivered are skipped, and when one fails
  // part-way the copies out are remembered for the caller's retry (src/sendmail/delivered-copies.ts).
  // One message to several recipients can be delivered part-way too (the relay defers some at
  // RCPT and takes the message for the others): the recipients that have it are remembered alike.
  let deliverer: Deliverer | undefined;
  let delivered = 0;
  let earlier = 0;
  const refusedRecipients: Array<{ address: string; response: string }> = [];
  let accepted = 0;
  const acceptedAddresses: string[] = [];
  const memory = total > 1 || envelope!.rcptTo.length > 1 ? await openDeliveredCopies(deliveredCopiesDirectory(setup.spool), raw, envelope!) : undefined;
  /** Remembers the copies out after a part-way failure; undefined when nothing went out (nothing to remember). */
  const remember = async () => (memory && delivered + earlier > 0 ? memory.save(acceptedAddresses) : undefined);
  try {
    deliverer = await openDeliverer(setup.transport, args.dsn);
    for (const d of decision.transactions()) {
      const rcptTo = memory ? d.envelope.rcptTo.filter((r) => !memory.delivered.has(r.toLowerCase())) : d.envelope.rcptTo;
      if (rcptTo.length === 0) {
        earlier++;
        continue;
      }
      const outcome = await deliverer.deliver(rcptTo === d.envelope.rcptTo ? d : { ...d, envelope: { ...d.envelope, rcptTo } });
      refusedRecipients.push(...outcome.rejected);
      accepted += outcome.accepted.length;
      acceptedAddresses.push(...outcome.accepted);
      delivered++;
      // Written as each copy goes out, not only at a failure: a run killed between copies (a
      // caller's time limit, SIGKILL) writes nothing then, and its retry would send them again.
      if (memory && total > 1) await memory.save(acceptedAddresses);
    }
  } catch (err) {
    const status = sysexitFor(err);
    const delivery: { delivered: number; total: number; tempfail: boolean; earlier?: number; remembered?: boolean; spool: boolean } = { delivered, total, tempfail: status === SYSEXIT.TEMPFAIL, spool: setup.spool !== undefined };
    if (earlier > 0) delivery.earlier = earlier;
    const remembered = await remember();
    if (remembered !== undefined) delivery.remembered = remembered;
    say({ kind: 'error', error: err, delivery });
    await keep(setup.spool, raw, { reason: 'undeliverable', detail: err instanceof Error ? err.message : String(err), envelope: envelope!, findings: codes, exitStatus: status }, io);
    return status;
  } finally {
    await deliverer?.close().catch(() => {});
  }
  if (refusedRecipients.length > 0) {
    // Any recipient refused only for now (after the relay's own retries) is worth the caller's
    // retry, even when others were refused for good: 67 would tell it not to retry, and that
    // recipient would never get the message. The retry sends it only to those without it; the
    // ones refused for good are refused again, and once nothing is left for now the status is 67.
    const temporary = refusedRecipients.some((r) => temporarilyRefused([r]));
    // One message refused for good for some recipients (67) is not remembered: the caller is told
    // not to retry, and the same bytes sent again later (a daily job's identical text) are a new message.
    const remembered = temporary || total > 1 ? await remember() : undefined;
    say({ kind: 'refused-recipients', refused: refusedRecipients, accepted, split: total > 1, ...(remembered !== undefined ? { remembered } : {}) });
    const status = temporary ? SYSEXIT.TEMPFAIL : SYSEXIT.NOUSER;
    await keep(setup.spool, raw, { reason: 'undeliverable', detail: `refused: ${refusedRecipients.map((r) => r.address).join(', ')}`, envelope: envelope!, findings: codes, exitStatus: status }, io);
    return status;
  }
  // Every copy is out: the same bytes sent again later are a new message.
  await memory?.forget();
  say({ kind: 'delivered', messages: total, via: setup.transport.label, ...(earlier > 0 ? { earlier } : {}) });
  return SYSEXIT.OK;
}

/** Runs the command; returns the sysexit status. Never throws. */
export async function runSendmail(argv: readonly string[], io: SendmailIo = defaultIo()): Promise<number> {
  let args: SendmailArgs;
  try {
    args = parseSendmailArgs(argv, io.programName);
  } catch (err) {
    io.stderr(formatSendmailNotice({ kind: 'error', error: err }));
    return sysexitFor(err);
  }
  if (args.help) {
    io.stdout(SENDMAIL_USAGE);
    return SYSEXIT.OK;
  }
  const debug = args.debug || (io.env.MAILGUARD_DEBUG !== undefined && io.env.MAILGUARD_DEBUG !== '' && io.env.MAILGUARD_DEBUG !== '0');
  /** Writes a notice to stderr; one for -v/--debug only when that is on. */
  const say = (n: SendmailNotice) => {
    if (debug || !isDebugNotice(n)) io.stderr(formatSendmailNotice(n));
  };
  for (const option of args.ignored) say({ kind: 'ignored-option', option });

  // The caller does not set policy: its mailguard options are named and ignored.
  for (const option of args.callerPolicyOptions) {
    say({ kind: 'caller-policy-option', option, configPath: SYSTEM_CONFIG_PATH });
  }

  const setup = await loadSetup(io, say);
  if (typeof setup === 'number') {
    // A client of -bs waits for a greeting: it learns at once that nothing will be taken.
    if (args.smtpOnStdio) io.stdout((await import('../../sendmail/smtp-stdio.js')).notStartedReply(setup));
    return setup;
  }
  if (args.smtpOnStdio) {
    const { runSmtpSession } = await import('../../sendmail/smtp-stdio.js');
    return runSmtpSession(io, {
      hostname: os.hostname(),
      say,
      deliver: (raw, envelope, sayForMessage) => checkAndDeliver(raw, { ...args, sender: envelope.mailFrom, recipients: envelope.rcptTo, extractRecipients: false }, setup, sayForMessage, io),
    });
  }

  // 2. The message.
  let raw: Uint8Array;
  try {
    raw = await readSendmailMessage(io.stdin, { ignoreDots: args.ignoreDots });
  } catch (err) {
    say({ kind: 'error', error: err instanceof MailguardError ? err : new MailguardError('EINPUT', `cannot read the message from stdin (${(err as Error).message}).`) });
    return SYSEXIT.DATAERR;
  }
  say({ kind: 'read', bytes: raw.length, ignoreDots: args.ignoreDots });

  try {
    return await checkAndDeliver(raw, args, setup, say, io);
  } catch (err) {
    // A bug, or a failure no step expected: a sysexit all the same (an unhandled rejection ended
    // the process with status 1, which callers do not read as "try again"). With -bs the session
    // catches it and answers 451 (src/sendmail/smtp-stdio.ts).
    say({ kind: 'error', error: err });
    return SYSEXIT.SOFTWARE;
  }
}

