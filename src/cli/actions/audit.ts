// mailguard audit: inputs (header blocks, mbox streamed) -> core check -> incidents -> reports.
// Results are dropped as soon as they are counted; incidents go to a private temporary file as
// they are found and are read back for each report, so memory grows with neither.

import { writeFile } from 'node:fs/promises';
import { checkMessage, unreadableResult } from '../../analyse.js';
import { createAudit, type AuditIncident, type AuditOptions } from '../../audit/aggregate.js';
import { auditCsvPieces } from '../../audit/csv.js';
import { formatAuditHtmlFrom, MAX_HTML_INCIDENT_ROWS } from '../../audit/html.js';
import { auditHumanPieces } from '../../audit/human.js';
import { auditJsonPieces } from '../../audit/json.js';
import { parseRangeDate, readAuditMeta } from '../../audit/meta.js';
import { MailguardError } from '../../errors.js';
import { isFailure, readInputs } from '../../io/inputs.js';
import type { AuditFlags } from '../commands/audit.js';
import { EXIT } from '../exit-codes.js';
import { resolveRedact, writeReportPieces } from '../output.js';
import { createSpool, type Spool } from '../spool.js';
import { writeSkippedNote } from '../skipped-note.js';
import { resolveSettings } from '../policy-options.js';
import { createProgress, useColor } from '../terminal.js';

/** The incidents written to the spool, read back in order. */
async function* readIncidents(spool: Spool): AsyncGenerator<AuditIncident> {
  let rest = '';
  for await (const chunk of spool.read()) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line !== '') yield JSON.parse(line) as AuditIncident;
  }
  if (rest !== '') yield JSON.parse(rest) as AuditIncident;
}

async function writeExport(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (err) {
    throw new MailguardError('EUSAGE', `cannot write the ${what} to ${file}: ${(err as Error).message}`, { hint: 'Check that the directory exists and is writable.' });
  }
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

export async function runAudit(paths: string[], flags: AuditFlags): Promise<number> {
  const options: AuditOptions = {};
  if (flags.since !== undefined) options.since = parseRangeDate(flags.since, '--since');
  if (flags.until !== undefined) options.until = parseRangeDate(flags.until, '--until');
  if (options.since && options.until && options.since > options.until) {
    throw new MailguardError('EUSAGE', `--since (${flags.since}) is after --until (${flags.until}).`);
  }
  const settings = await resolveSettings(flags);
  const section = auditSection(settings.config.sections.audit, flags.config ?? settings.configPath ?? 'config');
  const configuredRedact = section.redact ?? settings.config.redact;
  const spool = await createSpool();
  let spooled: Promise<void> = Promise.resolve();
  options.keepFirst = MAX_HTML_INCIDENT_ROWS;
  // Written in order; the next message is read while the last incident is written.
  options.onIncident = (incident) => {
    const line = `${JSON.stringify(incident)}\n`;
    spooled = spooled.then(() => spool.write(line));
  };
  try {
    return await auditWith(paths, flags, settings, options, configuredRedact, spool, () => spooled);
  } finally {
    await spool.close();
  }
}

async function auditWith(
  paths: string[],
  flags: AuditFlags,
  settings: Awaited<ReturnType<typeof resolveSettings>>,
  options: AuditOptions,
  configuredRedact: boolean | undefined,
  spool: Spool,
  spooled: () => Promise<void>,
): Promise<number> {
  const audit = createAudit(options);
  const progress = createProgress('audited');
  const skipped: string[] = [];
  const readOptions: Parameters<typeof readInputs>[1] = { headersOnly: true, skipped };
  if (flags.input) readOptions.format = flags.input;
  let read = 0;
  for await (const item of readInputs(paths, readOptions)) {
    if (isFailure(item)) {
      audit.add(unreadableResult(item.source, item.failure.reason, item.failure.detail), {});
    } else {
      const meta = readAuditMeta(item.bytes, item.mboxFromLine);
      let result;
      // Messages outside --since/--until are counted, never checked.
      if (audit.inRange(meta.date)) {
        // Header only: an incident is an exposed header; bodies are check's business.
        const check: Parameters<typeof checkMessage>[2] = { source: item.source, lineOffset: item.lineOffset, body: false };
        if (item.envelope) check.envelope = item.envelope;
        result = checkMessage(item.bytes, settings.policy, check);
      }
      audit.add(result, meta);
    }
    progress.tick(++read);
    // Keep the spool's writes from piling up behind a fast reader.
    if (read % 1000 === 0) await spooled();
  }
  progress.done();
  await spooled();
  const report = audit.finish();
  const { summary, kept } = report;
  const redact = resolveRedact(flags.redact, configuredRedact, false);
  if (flags.csv !== undefined) {
    const csv = flags.csv;
    await writeExportPieces(csv, 'CSV export', async function* () {
      yield auditCsvPieces.head();
      for await (const i of readIncidents(spool)) yield auditCsvPieces.incident(i, { redact });
    });
  }
  if (flags.html !== undefined) {
    const html = formatAuditHtmlFrom(summary, kept, { redact: resolveRedact(flags.redact, configuredRedact, true), generatedAt: new Date().toISOString(), inputs: paths });
    await writeExport(flags.html, html, 'HTML report');
  }
  const code = summary.unreadable > 0 ? EXIT.ERROR : summary.incidents > 0 ? EXIT.VIOLATION : EXIT.OK;
  // Set before writing: a reader that closes the pipe early (`| head`) must not turn this into 0.
  process.exitCode = code;
  const json = flags.format === 'json';
  const humanOptions = { redact, color: flags.output === undefined && useColor(flags.color) };
  async function* pieces(): AsyncGenerator<string> {
    yield json ? auditJsonPieces.head(summary, { redact }) : auditHumanPieces.head(summary, kept.worst, humanOptions);
    let index = 0;
    for await (const i of readIncidents(spool)) yield json ? auditJsonPieces.incident(i, index++, { redact }) : auditHumanPieces.incident(i, humanOptions);
    if (json) yield auditJsonPieces.tail(summary);
  }
  await writeReportPieces(pieces(), flags.output);
  writeSkippedNote(skipped);
  return code;
}

async function writeExportPieces(file: string, what: string, pieces: () => AsyncGenerator<string>): Promise<void> {
  try {
    await writeReportPieces(pieces(), file);
  } catch (err) {
    throw new MailguardError('EUSAGE', `cannot write the ${what} to ${file}: ${(err as Error).message.replace(/^cannot write the report to [^:]*: /, '')}`, { hint: 'Check that the directory exists and is writable.' });
  }
}
