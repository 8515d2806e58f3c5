// mailguard audit: inputs (header blocks, mbox streamed) -> core check -> incidents -> reports.
// Results are dropped as soon as they are counted; incidents go to a spool (memory, then a
// private temporary file) as they are found and are read back for each report, so memory does not
// grow with the messages or the incidents (issue 19).

import path from 'node:path';
import { checkMessage, unreadableResult } from '../../analyse.js';
import { createAudit, type AuditIncident, type AuditMeta, type AuditOptions } from '../../audit/aggregate.js';
import { auditCsvPieces, csvCell } from '../../audit/csv.js';
import { formatAuditHtmlFrom, MAX_HTML_INCIDENT_ROWS } from '../../audit/html.js';
import { auditHumanPieces } from '../../audit/human.js';
import { auditJsonPieces } from '../../audit/json.js';
import { breachReport, describeIncident, formatBreachJson, formatBreachMarkdown, formatIncidentCsv, formatIncidentHuman, formatIncidentJson, incidentId, type IncidentDetail } from '../../audit/incident.js';
import { isIncident } from '../../audit/exposure.js';
import { isListTraffic, parseRangeDate, readAuditMeta } from '../../audit/meta.js';
import { MailguardError } from '../../errors.js';
import { formatStderrNote } from '../../report/error-text.js';
import { isImapUrl, parseImapUrl } from '../../io/imap-url.js';
import { isFailure, readInputs, type InputItem, type NotMailFile } from '../../io/inputs.js';
import { withWholeMessages } from '../../io/read-whole.js';
import { createOutputSet, type OutputSet } from '../../io/output-set.js';
import { bodyWorthScanning, writesEncodedFile } from '../../body/mime.js';
import { BODY_SCAN_CODES } from '../../findings.js';
import { readHeaderBlock, type HeaderBlock } from '../../message/header-block.js';
import { resolveImapCredentials } from '../imap-credentials.js';
import type { AuditFlags } from '../commands/audit.js';
import { EXIT } from '../exit-codes.js';
import { resolveRedact, writeReport, writeReportPieces } from '../output.js';
import { resolveSettings } from '../policy-options.js';
import { createSpool, type Spool } from '../spool.js';
import { messageIdentity, resolveProfile } from '../../policy/profiles.js';
import { createProgress, loadColors } from '../terminal.js';

/** Stages one export file in the run's output set: it shows only when the whole set is written. */
async function writeExport(file: string, text: string | AsyncIterable<string | Uint8Array>, what: string, outputs: OutputSet): Promise<void> {
  try {
    await writeReportPieces(typeof text === 'string' ? [text] : text, file, outputs);
  } catch (err) {
    const wrapped = `cannot write the report to ${file}: `;
    if (err instanceof MailguardError && !err.message.startsWith(wrapped)) throw err;
    const reason = (err as Error).message.startsWith(wrapped) ? (err as Error).message.slice(wrapped.length) : (err as Error).message;
    throw new MailguardError('EUSAGE', `cannot write the ${what} to ${file}: ${reason}`, { hint: 'Check that the directory exists and is writable.' });
  }
}

/** The incidents written to the spool (one JSON line each), read back in order. */
async function* readIncidents(spool: Spool): AsyncGenerator<AuditIncident> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const piece of spool.read()) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    // JSON.stringify escapes line breaks inside strings: each raw LF ends an incident.
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      yield JSON.parse(data.toString('utf8', start, nl)) as AuditIncident;
      start = nl + 1;
    }
    rest = Buffer.from(data.subarray(start));
  }
}

/** A report's head, each incident read back, and its tail. */
async function* aroundIncidents(head: string, each: (i: AuditIncident, index: number) => string, tail: string, spool: Spool): AsyncGenerator<string> {
  if (head !== '') yield head;
  let index = 0;
  let text = '';
  for await (const incident of readIncidents(spool)) {
    text += each(incident, index++);
    // Gathered into pieces of a useful size: one write per incident would be slow.
    if (text.length >= 1 << 16) {
      yield text;
      text = '';
    }
  }
  if (text !== '') yield text;
  if (tail !== '') yield tail;
}

/** The `audit` section of the config file: `{ "redact": true|false }` for every audit output. */
function auditSection(section: Record<string, unknown> | undefined, where: string): { redact?: boolean } {
  const out: { redact?: boolean } = {};
  for (const [key, value] of Object.entries(section ?? {})) {
    if (key !== 'redact') throw new MailguardError('ECONFIG', `${where}: unknown key "audit.${key}".`, { hint: 'Allowed keys in audit: redact.' });
    if (typeof value !== 'boolean') throw new MailguardError('ECONFIG', `${where}: "audit.redact" must be true or false (got ${JSON.stringify(value)}).`);
    out.redact = value;
  }
  return out;
}

/** Test knob only (tests/e2e/audit-imap-attachments.test.ts): lowers the size up to which an IMAP
 * message is fetched whole, so a small message can stand for one over the limit. */
const TEST_IMAP_MAX_WHOLE_BYTES_ENV = 'MAILGUARD_TEST_IMAP_MAX_WHOLE_BYTES';

/** The messages of every input: files first (as before), then IMAP folders (imapflow loaded only then).
 * With `bodies` (the body scan), mbox bodies are kept (a Maildir or .eml file is read whole
 * later, by withWholeMessages) and IMAP messages with a body worth scanning are fetched whole. */
async function* auditInputs(paths: string[], flags: AuditFlags, skipped: NotMailFile[], onFolder: (source: string, messages: number) => void, inRange: ((date: Date | undefined) => boolean) | undefined, bodies: boolean): AsyncGenerator<InputItem> {
  const files = paths.filter((p) => !isImapUrl(p));
  const targets = paths.filter(isImapUrl).map((u) => parseImapUrl(u, process.env));
  // Credentials are asked for before anything is read, so a prompt does not interrupt progress.
  const credentials = targets.length > 0 ? await resolveImapCredentials(flags, targets[0]!.user) : undefined;
  if (files.length > 0) {
    const readOptions: Parameters<typeof readInputs>[1] = { headersOnly: true, bodies, skipped };
    if (flags.input) readOptions.format = flags.input;
    yield* readInputs(files, readOptions);
  }
  if (targets.length > 0) {
    const { readImapFolders } = await import('../../io/imap.js');
    const imapOptions: Parameters<typeof readImapFolders>[2] = { onFolder };
    // With --since/--until, a message's whole header is fetched only when its date is in range.
    if (inRange) imapOptions.keepDate = (dateOnly) => inRange(readAuditMeta(dateOnly).date);
    if (bodies) imapOptions.wantWhole = () => true;
    const testLimit = Number(process.env[TEST_IMAP_MAX_WHOLE_BYTES_ENV]);
    if (testLimit > 0) imapOptions.maxWholeBytes = testLimit;
    yield* readImapFolders(targets, credentials!, imapOptions);
  }
}

/**
 * The audit finds exposed lists through EXPOSED_RECIPIENTS: with the rule off (a configuration
 * written for check, a profile, --rule) it would report "No message exposed external recipients"
 * of a folder full of them. Refused instead, naming where it is off and how to audit anyway.
 */
function refuseExposureOff(settings: Awaited<ReturnType<typeof resolveSettings>>, flags: AuditFlags): void {
  const { profiles } = settings;
  const off = [profiles.default, ...profiles.list].filter((p) => p.policy.rules.EXPOSED_RECIPIENTS === 'off');
  if (off.length === 0) return;
  const byFlag = (flags.rule ?? []).some((r) => r === 'EXPOSED_RECIPIENTS=off');
  const where = byFlag
    ? '--rule EXPOSED_RECIPIENTS=off'
    : `the configuration (${off.map((p) => (p === profiles.default ? 'top level' : `profile "${p.name}"`)).join(', ')}${settings.configPath !== undefined ? `, ${path.relative(process.cwd(), settings.configPath) || settings.configPath}` : ''})`;
  throw new MailguardError('ECONFIG', `the audit counts EXPOSED_RECIPIENTS findings, and ${where} turns that rule off: no exposed list could be found.`, {
    hint: byFlag ? 'Leave out --rule EXPOSED_RECIPIENTS=off.' : 'Audit with the rule on: add --rule EXPOSED_RECIPIENTS=warning (or error), or give another --config.',
  });
}

export async function runAudit(paths: string[], flags: AuditFlags): Promise<number> {
  const options: AuditOptions = {};
  if (flags.since !== undefined) options.since = parseRangeDate(flags.since, '--since');
  if (flags.until !== undefined) options.until = parseRangeDate(flags.until, '--until');
  if (options.since && options.until && options.since > options.until) {
    throw new MailguardError('EUSAGE', `--since (${flags.since}) is after --until (${flags.until}).`);
  }
  if (flags.breachReport !== undefined && flags.incident === undefined) {
    throw new MailguardError('EUSAGE', '--breach-report summarises one incident: give --incident ID too.', { hint: 'Run the audit first; every incident is listed with its ID.' });
  }
  if (flags.incident !== undefined && !/^[0-9a-f]{16}$/i.test(flags.incident)) {
    throw new MailguardError('EUSAGE', `--incident takes an incident ID of 16 hex digits, as the audit lists it (got "${flags.incident}").`);
  }
  const foundAt = flags.found !== undefined ? parseRangeDate(flags.found, '--since') : new Date();
  // Parsed now: a bad URL or a password in it is refused before anything is read.
  for (const p of paths) if (isImapUrl(p)) parseImapUrl(p, process.env);
  const settings = await resolveSettings(flags);
  refuseExposureOff(settings, flags);
  const section = auditSection(settings.config.sections.audit, flags.config ?? settings.configPath ?? 'config');
  const configuredRedact = section.redact ?? settings.config.redact;
  const spool = createSpool();
  try {
    return await auditWith(paths, flags, settings, options, configuredRedact, foundAt, spool);
  } finally {
    await spool.close();
  }
}

async function auditWith(paths: string[], flags: AuditFlags, settings: Awaited<ReturnType<typeof resolveSettings>>, options: AuditOptions, configuredRedact: boolean | undefined, foundAt: Date, spool: Spool): Promise<number> {
  const wanted = flags.incident?.toLowerCase();
  // Incidents found by the last message, written to the spool before the next one is read
  // (the detail of one incident, --incident, needs none of them).
  const found: string[] = [];
  options.onIncident = flags.incident !== undefined ? () => undefined : (incident) => found.push(`${JSON.stringify(incident)}\n`);
  if (flags.html !== undefined) options.keepFirst = MAX_HTML_INCIDENT_ROWS;
  const audit = createAudit(options);
  const progress = createProgress('audited');
  const skipped: NotMailFile[] = [];
  let read = 0;
  let total: number | undefined;
  let detail: IncidentDetail | undefined;
  const onFolder = (_source: string, messages: number) => {
    total = read + messages;
  };
  const ranged = options.since !== undefined || options.until !== undefined;
  // The same body scan as check (policy.bodyScan, --no-body-scan, --body-min-addresses): a list in
  // an attachment or an invitation is an incident as well as an exposed To/Cc. Only messages whose
  // header promises a body worth scanning are read past it (src/io/read-whole.ts).
  const profiles = settings.profiles;
  const scan = settings.bodyScan !== undefined && [profiles.default, ...profiles.list].some((p) => BODY_SCAN_CODES.some((c) => p.policy.rules[c] !== 'off'));
  // A list in the text alone is an incident only where a policy makes ADDRESS_LIST_IN_BODY an
  // error; otherwise a message of one text part is not scanned (measured: the scan of the
  // 10,000-draft folder's text parts cost 6-10% CPU for findings the audit would not report).
  const textBlocks = [profiles.default, ...profiles.list].some((p) => p.policy.rules.ADDRESS_LIST_IN_BODY === 'error');
  /** Whether a message's body is scanned: decided here for files and IMAP alike. A plain-text
   * message is read too (files, mbox and IMAP alike), and scanned only when it writes a file into
   * its text (uuencode, yEnc): Outlook, Thunderbird and check show that file as an attachment. */
  const scansBody = (meta: AuditMeta, whole: Uint8Array, header: HeaderBlock) => textBlocks || meta.mayCarryAttachment === true || writesEncodedFile(whole, header);
  const inputs = auditInputs(paths, flags, skipped, onFolder, ranged ? audit.inRange : undefined, scan);
  for await (const { item, whole } of withWholeMessages(inputs, scan, bodyWorthScanning)) {
    if (isFailure(item)) {
      audit.add(unreadableResult(item.source, item.failure.reason, item.failure.detail), {});
    } else {
      const header = readHeaderBlock(item.bytes);
      const meta = readAuditMeta(item.bytes, item.mboxFromLine, header);
      let result;
      // Messages outside --since/--until are counted, never checked.
      if (audit.inRange(meta.date)) {
        // Header-only bytes may hold part of the body: only what was read whole is scanned.
        // The header block read from the first bytes is the whole message's (the same offsets).
        const scanned = whole !== undefined && scansBody(meta, whole, header);
        // A body left unread (an IMAP message over the size limit) is reported not scanned, as check does.
        const notRead = scan && item.bodyNotRead !== undefined;
        const check: Parameters<typeof checkMessage>[2] = { source: item.source, lineOffset: item.lineOffset, body: scanned || notRead ? settings.bodyScan! : false };
        if (notRead) check.bodyNotRead = item.bodyNotRead!;
        if (item.envelope) check.envelope = item.envelope;
        // With profiles, the sender's (From; a transcript's MAIL FROM first) gives the policy.
        const profile = settings.profiles.list.length > 0 ? resolveProfile(settings.profiles, messageIdentity(item.bytes, { envelopeFrom: item.envelope?.mailFrom })) : undefined;
        const policy = profile?.policy ?? settings.policy;
        result = checkMessage(scanned ? whole : item.bytes, policy, check);
        if (profile) result.profile = profile.name;
        if (isListTraffic(meta, result, policy)) meta.listTraffic = true;
        if (isIncident(result)) {
          meta.id = incidentId(item.bytes);
          if (meta.id === wanted) {
            if (detail) detail.otherSources.push(item.source);
            else detail = describeIncident(meta.id, scanned ? whole : item.bytes, result, meta, scanned ? { policy, body: settings.bodyScan! } : undefined);
          }
        }
      }
      audit.add(result, meta);
      for (const line of found) await spool.write(line);
      found.length = 0;
    }
    progress.tick(++read, total !== undefined && total >= read ? total : undefined);
  }
  progress.done();
  await spool.end();
  for (const f of skipped) audit.notMail(f);
  const report = audit.finish();
  const incomplete = report.summary.unreadable > 0;
  if (incomplete && (flags.format !== 'human' || flags.output !== undefined || flags.incident !== undefined)) {
    process.stderr.write(`mailguard: ${report.summary.unreadable} input(s) could not be read; the audit is incomplete (exit 2).\n`);
    report.summary.unreadableSources.forEach((src, k) => process.stderr.write(formatStderrNote(`  ${src}: ${report.summary.unreadableReasons[k] ?? ''}\n`)));
  }
  // The people of an incident are shown only when --no-redact asks for it, whatever the config says.
  if (flags.incident !== undefined) return writeIncident(detail, flags, flags.redact !== false, foundAt, incomplete);

  const { summary, kept } = report;
  const redact = resolveRedact(flags.redact, configuredRedact, false);
  const csv = () => aroundIncidents(auditCsvPieces.head(), (i) => auditCsvPieces.incident(i, { redact }), auditCsvPieces.tail(summary, { redact }), spool);
  // --csv, --html and -o are one set: none shows until all are written, so a failure (an HTML
  // file in a missing directory) leaves no CSV beside it that reads as this audit's whole result.
  const outputs = createOutputSet();
  try {
    if (flags.csv !== undefined) await writeExport(flags.csv, csv(), 'CSV export', outputs);
    if (flags.html !== undefined) {
      const html = formatAuditHtmlFrom(summary, kept, { redact: resolveRedact(flags.redact, configuredRedact, true), generatedAt: new Date().toISOString(), inputs: paths });
      await writeExport(flags.html, html, 'HTML report', outputs);
    }
  } catch (err) {
    await outputs.abort();
    throw err;
  }
  const human = { redact, color: flags.output === undefined && (await loadColors(flags.color)) };
  const text =
    flags.format === 'json'
      ? aroundIncidents(auditJsonPieces.head(summary, { redact }), (i, index) => auditJsonPieces.incident(i, index, { redact }), auditJsonPieces.tail(summary), spool)
      : flags.format === 'csv'
        ? csv()
        : aroundIncidents(auditHumanPieces.head(summary, kept.worst, human), (i) => auditHumanPieces.incident(i, human), '', spool);
  const code = incomplete ? EXIT.ERROR : summary.incidents > 0 ? EXIT.VIOLATION : EXIT.OK;
  // Set before writing: a reader that closes the pipe early (`| head`) must not turn this into 0.
  process.exitCode = code;
  try {
    if (flags.output !== undefined && flags.output !== '-') await writeReportPieces(text, flags.output, outputs);
    await outputs.commit();
  } catch (err) {
    await outputs.abort();
    throw err;
  }
  // On stdout, after the files: as before, they are written by the time the report is read.
  if (flags.output === undefined || flags.output === '-') await writeReportPieces(text, flags.output);
  return code;
}

/** --incident ID: the detail (human, JSON, CSV) or the breach report of one incident. */
async function writeIncident(detail: IncidentDetail | undefined, flags: AuditFlags, redact: boolean, foundAt: Date, incomplete: boolean): Promise<number> {
  if (!detail) {
    throw new MailguardError(incomplete ? 'EINPUT' : 'EUSAGE', `no incident ${flags.incident} in ${incomplete ? 'what could be read (the audit is incomplete)' : 'these inputs'}.`, {
      hint: 'Incident IDs are listed by the audit (first column); run it on the same folders or files.',
    });
  }
  const text =
    flags.breachReport === 'json'
      ? formatBreachJson(breachReport(detail, foundAt))
      : flags.breachReport === 'md'
        ? formatBreachMarkdown(breachReport(detail, foundAt))
        : flags.format === 'json'
          ? formatIncidentJson(detail, redact)
          : flags.format === 'csv'
            ? formatIncidentCsv(detail, redact, csvCell)
            : formatIncidentHuman(detail, redact);
  const code = incomplete ? EXIT.ERROR : EXIT.VIOLATION;
  process.exitCode = code;
  await writeReport(text, flags.output);
  return code;
}
