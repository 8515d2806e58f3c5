// mailguard audit: inputs (header blocks, mbox streamed) -> core check -> incidents -> reports.
// Results are dropped as soon as they are counted; only incidents are kept.

import { writeFile } from 'node:fs/promises';
import { checkMessage, unreadableResult } from '../../analyse.js';
import { createAudit, type AuditOptions } from '../../audit/aggregate.js';
import { formatAuditCsv } from '../../audit/csv.js';
import { formatAuditHtml } from '../../audit/html.js';
import { formatAuditHuman } from '../../audit/human.js';
import { formatAuditJson } from '../../audit/json.js';
import { parseRangeDate, readAuditMeta } from '../../audit/meta.js';
import { MailguardError } from '../../errors.js';
import { isFailure, readInputs } from '../../io/inputs.js';
import type { AuditFlags } from '../commands/audit.js';
import { EXIT } from '../exit-codes.js';
import { resolveRedact, writeReport } from '../output.js';
import { writeSkippedNote } from '../skipped-note.js';
import { resolveSettings } from '../policy-options.js';
import { colors, createProgress } from '../terminal.js';

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
  }
  progress.done();
  const report = audit.finish();
  const redact = resolveRedact(flags.redact, configuredRedact, false);
  if (flags.csv !== undefined) await writeExport(flags.csv, formatAuditCsv(report, { redact }), 'CSV export');
  if (flags.html !== undefined) {
    const html = formatAuditHtml(report, { redact: resolveRedact(flags.redact, configuredRedact, true), generatedAt: new Date().toISOString(), inputs: paths });
    await writeExport(flags.html, html, 'HTML report');
  }
  const text =
    flags.format === 'json'
      ? formatAuditJson(report, { redact })
      : formatAuditHuman(report, { redact, color: flags.output === undefined && colors(flags.color) });
  const code = report.summary.unreadable > 0 ? EXIT.ERROR : report.summary.incidents > 0 ? EXIT.VIOLATION : EXIT.OK;
  // Set before writing: a reader that closes the pipe early (`| head`) must not turn this into 0.
  process.exitCode = code;
  await writeReport(text, flags.output);
  writeSkippedNote(skipped);
  return code;
}
