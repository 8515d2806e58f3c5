// mailguard send: inputs -> plan (check, block or rewrite, envelope) -> journal -> relay -> report.
// The deciding is the pure decideDelivery (src/decide); this adapter does the I/O.

import { MailguardError } from '../../errors.js';
import { isFailure, readInputs, type InputItem, type NotMailFile } from '../../io/inputs.js';
import { normaliseAddress } from '../../message/address-list.js';
import { readHeaderBlock } from '../../message/header-block.js';
import { undeclaredCjkCharsets } from '../../body/addresses.js';
import { decodeBytes } from '../../body/mime.js';
import { assertOnViolation, type DeliveryDecision, type OnViolation } from '../../decide/index.js';
import { ADAPTER_MODES } from '../../decide/modes.js';
import { parseSendConfig, type SendConfig } from '../../relay/config.js';
import type { Journal } from '../../relay/journal.js';
import type { Relay, RelayOptions } from '../../relay/index.js';
import { describeDeliveryReason, describeUnreadable } from '../../report/messages.js';
import { formatterFor } from '../../report/formats.js';
import { describeSendStop, SEND_REFUSALS, summariseSend, type SendAction, type SendReport, type SendResult, type SendTransaction } from '../../report/send.js';
import type { SendFlags } from '../commands/send.js';
import { EXIT } from '../exit-codes.js';
import { writeReport } from '../output.js';
import { profilesForCommand, resolveOnViolation, resolveSettings } from '../policy-options.js';
import { messageIdentity as senderIdentity, resolveProfile } from '../../policy/profiles.js';
import { writeSkippedNote } from '../skipped-note.js';
import { createProgress } from '../terminal.js';
import { inputSpecs } from './check.js';

/** Messages handed to the relay per pooled connection at once (one being sent, one waiting). */
export const MESSAGES_IN_FLIGHT_PER_CONNECTION = 2;

/** Reads flags, then the config's "send" section, into the relay settings; throws before any input is read. */
async function relaySettings(flags: SendFlags, config: Awaited<ReturnType<typeof resolveSettings>>['config'], section: SendConfig): Promise<RelayOptions> {
  const { resolveSmtpSettings } = await import('../../relay/index.js');
  const options = resolveSmtpSettings(flags.smtp, config, process.env);
  const pool = flags.pool ?? section.pool;
  const rate = flags.rate ?? section.rate;
  const retries = flags.retries ?? section.retries;
  const timeout = flags.timeout ?? section.timeout;
  if (pool !== undefined) options.pool = pool;
  if (rate !== undefined) options.rateLimitPerSecond = rate;
  if (retries !== undefined) options.retries = retries;
  if (timeout !== undefined) options.connectionTimeoutMs = timeout * 1000;
  return options;
}

/** What send can carry out (hold needs a hold queue: the milter has Postfix's). */
const SEND_CAPABILITIES = { name: 'mailguard send', modes: ADAPTER_MODES.send };

function validate(flags: SendFlags, configuredFrom: string | undefined): string | undefined {
  const given = flags.from ?? configuredFrom;
  if (given === undefined) return undefined;
  if (given === '' || given === '<>') return '';
  const from = normaliseAddress(given);
  if (from === undefined) {
    if (flags.from !== undefined) throw new MailguardError('EUSAGE', `--from takes one address (got "${flags.from}").`);
    throw new MailguardError('ECONFIG', `"send.from" must be one address (got ${JSON.stringify(given)}).`);
  }
  return from;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The header block the dry run shows, as a reader shows its raw 8-bit text: each line in UTF-8
 * where it is UTF-8 (JÃ¼rgen was Jürgen read as latin1), in the East Asian charset whose fullwidth
 * at it writes (as the analysis reads it), else latin1. Read as latin1, `p1＠x.test` in UTF-8 or
 * Shift_JIS had no at the masking knew, so its local part was shown whole.
 */
function headerText(bytes: Uint8Array): string {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, readHeaderBlock(bytes).headerEnd);
  let text = '';
  for (let start = 0; start < header.length; ) {
    const lf = header.indexOf(0x0a, start);
    const end = lf === -1 ? header.length : lf + 1;
    const line = header.subarray(start, end);
    start = end;
    try {
      text += UTF8.decode(line);
    } catch {
      const cjk = undeclaredCjkCharsets(line)[0];
      text += cjk === undefined ? line.toString('latin1') : decodeBytes(line, cjk);
    }
  }
  return text;
}

export async function runSend(paths: string[], flags: SendFlags): Promise<number> {
  const settings = await resolveSettings(flags);
  const section = parseSendConfig(settings.config.sections.send, settings.configPath ?? 'configuration');
  const mode: OnViolation = resolveOnViolation(flags.onViolation, section.onViolation, settings.config);
  // Each profile's mode, checked at start-up: a profile send cannot carry out is refused before any message.
  const profiles = profilesForCommand(settings.profiles, flags.onViolation, section.onViolation, settings.config, (m, p) => assertOnViolation(m, p.policy, SEND_CAPABILITIES));
  const mailFrom = validate(flags, section.from);
  const relayOptions = flags.dryRun ? undefined : await relaySettings(flags, settings.config, section);
  const specs = inputSpecs(paths);
  const { decideDelivery } = await import('../../decide/index.js');
  const { messageIdentity, openJournal } = await import('../../relay/journal.js');
  const journal: Journal | undefined = flags.journal ? await openJournal(flags.journal, { readOnly: flags.dryRun === true }) : undefined;
  let relay: Relay | undefined;
  const results: SendResult[] = [];
  const skipped: NotMailFile[] = [];
  const progress = createProgress('sent');
  let stoppedBy: string | undefined;
  // A flaky relay (dropped connections, 421s) still gets the batch while it accepts messages; the
  // run stops once it has accepted nothing for RELAY_GIVE_UP_AFTER_MS.
  const { RELAY_DEAD_AFTER_MESSAGES, RELAY_GIVE_UP_AFTER_MS, RelayError } = await import('../../relay/index.js');
  let anyAccepted = false;
  let lastAcceptedAt = Date.now();
  /** Messages in a row that failed with no answer from the relay, since the last acceptance. */
  let unanswered = 0;
  /** Decides after a failed or fully refused attempt whether the batch goes on. */
  const noteFailure = (err: InstanceType<typeof RelayError> | undefined) => {
    if (stoppedBy !== undefined) return;
    if (err?.transient && err.responseCode === undefined) unanswered++;
    const quiet = Date.now() - lastAcceptedAt;
    if (quiet >= RELAY_GIVE_UP_AFTER_MS) {
      stoppedBy = describeSendStop({ kind: 'relay-quiet', seconds: Math.round(quiet / 1000), ...(err ? { last: err.message } : {}) });
    } else if (!anyAccepted && unanswered >= RELAY_DEAD_AFTER_MESSAGES) {
      // Nothing answers and nothing was ever accepted: the rest would only pile up the same failure.
      stoppedBy = describeSendStop({ kind: 'relay-silent', ...(err ? { last: err.message } : {}) });
    }
  };
  // Ctrl-C: no new message is started; those in flight finish and are journaled. A second one quits.
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('mailguard: interrupted; finishing the messages in flight (Ctrl-C again to quit now).\n');
  };
  if (!flags.dryRun) process.on('SIGINT', onInterrupt);

  try {
    if (relayOptions) {
      const { createRelay } = await import('../../relay/index.js');
      relay = await createRelay(relayOptions);
    }
    // A hidden draft in a folder is checked by check, not sent by send (it never was).
    const readOptions: Parameters<typeof readInputs>[1] = { headersOnly: false, skipped, passOverHidden: true };
    if (flags.input) readOptions.format = flags.input;
    if (flags.contentRoot !== undefined) readOptions.contentRoot = flags.contentRoot;
    const items = readInputs(specs, readOptions);
    let index = 0;
    let finished = 0;

    /** Transcripts with a line that cannot be read: none of their transactions is sent, so a file
     * is never reported refused after part of it went out (a caller retrying on exit 2 would
     * send that part twice). The failure comes before the file's transactions. */
    const refusedTranscripts = new Map<string, string>();
    const handle = async (item: InputItem, slot: number): Promise<void> => {
      const whole = item.source.replace(/#\d+$/, '');
      if (!isFailure(item) && item.source !== whole && refusedTranscripts.has(whole)) {
        results[slot] = { source: item.source, verdict: 'error', action: 'refused', findings: [], reason: SEND_REFUSALS.transcriptLine(refusedTranscripts.get(whole)!), transactions: [] };
        return;
      }
      if (isFailure(item)) {
        if (item.failure.reason === 'bad-transcript') refusedTranscripts.set(item.source, describeUnreadable(item.failure.reason, item.failure.detail));
        results[slot] = { source: item.source, verdict: 'error', action: 'refused', findings: [], reason: describeUnreadable(item.failure.reason, item.failure.detail), transactions: [] };
        return;
      }
      // A JSON campaign message was built by nodemailer's composer as it reads it; its identity is the object.
      const bytes = item.bytes;
      const identityBytes = item.campaign ? item.campaign.identityBytes : item.bytes;
      // An Outlook .msg is read as a MIME rendering of its content (formats/msg.ts): checked, never sent.
      if (!item.complete || item.format === 'msg') {
        results[slot] = { source: item.source, verdict: 'error', action: 'refused', findings: [], reason: item.format === 'msg' ? SEND_REFUSALS.outlookMsg : SEND_REFUSALS.headerOnly, transactions: [] };
        return;
      }
      // The sender's profile: the envelope sender send was given (--from, send.from, a transcript's MAIL FROM) before From.
      const profile = resolveProfile(profiles, senderIdentity(bytes, { envelopeFrom: mailFrom || item.envelope?.mailFrom }));
      const decideOptions: Parameters<typeof decideDelivery>[2] = { onViolation: profile.onViolation!, source: item.source, lineOffset: item.lineOffset };
      if (item.envelope) decideOptions.envelope = item.envelope;
      if (mailFrom !== undefined) decideOptions.mailFrom = mailFrom;
      const plan: DeliveryDecision = decideDelivery(bytes, profile.policy, decideOptions);
      const sending = plan.action === 'send' || plan.action === 'rewrite' || plan.action === 'split';
      const result: SendResult = {
        source: item.source,
        verdict: plan.verdict,
        action: plan.action === 'block' || plan.action === 'hold' ? 'blocked' : plan.action === 'refuse' ? 'refused' : flags.dryRun ? 'dry-run' : 'sent',
        // A Bcc field is stripped before sending, so its warning does not apply to what is sent.
        findings: sending ? plan.result.findings.filter((f) => f.severity === 'warning' && f.code !== 'BCC_HEADER_PRESENT').concat(plan.blocking) : plan.blocking,
        profile: profile.name,
        onViolation: profile.onViolation!,
        transactions: [],
      };
      if (plan.rewrite) result.rewrite = plan.rewrite.strategy;
      // A policy block is described by its findings; other stops by their reason.
      if (plan.reason !== undefined && plan.reason.code !== 'policy') result.reason = `${describeDeliveryReason(plan.reason)}.`;
      if (plan.reason?.hint !== undefined) result.hint = plan.reason.hint;
      results[slot] = result;
      if (!sending) return;

      const identity = messageIdentity(identityBytes);
      const done = journal?.accepted(identity);
      for (const t of plan.transactions()) {
        const skipped = done ? t.envelope.rcptTo.filter((r) => done.has(r)) : [];
        const rcptTo = t.envelope.rcptTo.filter((r) => !skipped.includes(r));
        const tx: SendTransaction = { mailFrom: t.envelope.mailFrom, recipients: t.envelope.rcptTo, accepted: [], rejected: [], skipped };
        result.transactions.push(tx);
        if (flags.dryRun) {
          tx.header = headerText(t.bytes);
          continue;
        }
        if (rcptTo.length === 0) continue;
        if (stoppedBy !== undefined || interrupted) {
          tx.error = stoppedBy ?? 'interrupted before this was sent';
          continue;
        }
        try {
          const delivery = await relay!.deliver(
            t.bytes,
            { mailFrom: t.envelope.mailFrom, rcptTo },
            {
              // Journaled as soon as the server accepted them, before any retry of the others:
              // the only window left is between the server's 250 and this fsync.
              onAccepted: async (accepted, response) => {
                anyAccepted = true;
                unanswered = 0;
                lastAcceptedAt = Date.now();
                if (journal) await journal.record({ source: item.source, messageId: identity.messageId, sha256: identity.sha256, recipients: accepted, response });
              },
            },
          );
          tx.accepted = delivery.accepted;
          tx.rejected = delivery.rejected;
          tx.response = delivery.response;
          if (delivery.accepted.length === 0) noteFailure(undefined);
        } catch (err) {
          if (!(err instanceof RelayError)) throw err;
          // "Maybe delivered" says what to do before any rerun: a journal cannot know either.
          tx.error = err.outcomeUnknown && err.hint ? `${err.message}. ${err.hint}` : err.message;
          noteFailure(err);
        }
      }
      result.action = actionOf(result, flags.dryRun === true);
    };

    const worker = async (): Promise<void> => {
      for (;;) {
        if (stoppedBy !== undefined || interrupted) return;
        const next = await items.next();
        if (next.done) return;
        const slot = index++;
        await handle(next.value, slot);
        progress.tick(++finished);
      }
    };
    // Two messages in hand per connection: the next one is planned and queued while the relay
    // answers the last (measured on loopback, 1,000 small messages, one connection: 4.3 s with
    // one in hand, 3.1-3.3 s with two; the rest is round trips).
    await Promise.all(Array.from({ length: Math.max(1, relayOptions?.pool ?? 1) * MESSAGES_IN_FLIGHT_PER_CONNECTION }, worker));
    if (stoppedBy !== undefined || interrupted) await items.return(undefined);
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.done();
    await relay?.close();
    await journal?.close();
  }

  const report: SendReport = { onViolation: mode, dryRun: flags.dryRun === true, journal: flags.journal, stopped: stoppedBy, interrupted, results, summary: summariseSend(results), profiled: profiles.list.length > 0 };
  const text = formatterFor('send', flags.format)(report, { redact: flags.redact !== false, quiet: flags.quiet === true });
  const code =
    results.some((r) => r.action === 'failed' || r.action === 'partial' || r.action === 'refused') || stoppedBy !== undefined || interrupted
      ? EXIT.ERROR
      : results.some((r) => r.action === 'blocked')
        ? EXIT.VIOLATION
        : EXIT.OK;
  // Set before writing: a reader that closes the pipe early (`| head`) must not turn this into 0.
  process.exitCode = code;
  await writeReport(text, undefined);
  writeSkippedNote(skipped);
  return code;
}

function actionOf(result: SendResult, dryRun: boolean): SendAction {
  if (dryRun) return 'dry-run';
  const txs = result.transactions;
  const accepted = txs.reduce((n, t) => n + t.accepted.length, 0);
  const skipped = txs.reduce((n, t) => n + t.skipped.length, 0);
  const problems = txs.some((t) => t.rejected.length > 0 || t.error !== undefined);
  if (!problems) return accepted === 0 && skipped > 0 ? 'skipped' : 'sent';
  return accepted + skipped === 0 ? 'failed' : 'partial';
}
