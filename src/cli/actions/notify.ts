// mailguard notify: the people of one incident (audit --incident CSV or JSON) + a template ->
// one checked notice per person (src/audit/notice.ts) -> send's journal -> relay, or copies
// written for review. Sequential: each acceptance is on disk before the next notice starts.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { checkNoticeTemplate, noticeCopies } from '../../audit/notice.js';
import { MailguardError } from '../../errors.js';
import { normaliseAddress } from '../../message/address-list.js';
import { readHeaderBlock } from '../../message/header-block.js';
import { createOutputSet } from '../../io/output-set.js';
import type { Journal } from '../../relay/journal.js';
import type { Relay } from '../../relay/index.js';
import { headerSender } from '../../decide/index.js';
import { maskAddress, maskText } from '../../report/redact.js';
import type { NotifyFlags } from '../commands/notify.js';
import { EXIT } from '../exit-codes.js';
import { writeReport } from '../output.js';
import { resolveSettings } from '../policy-options.js';
import { createProgress } from '../terminal.js';

/** Version of the `notify --format json` document. */
export const NOTIFY_JSON_VERSION = 1;
/** An incident file larger than this is not one incident's people. */
const MAX_INCIDENT_FILE_BYTES = 64 * 1024 * 1024;

export type NoticeStatus = 'sent' | 'skipped' | 'failed' | 'written' | 'dry-run';

export interface NoticeResult {
  person: string;
  status: NoticeStatus;
  file?: string;
  response?: string;
  error?: string;
  header?: string;
}

interface Person {
  address: string;
  internal: boolean;
}

/** RFC 4180 rows of an incident CSV (csv-parse: quoted fields with commas, quotes and line
 *  breaks, CRLF or LF, a byte-order mark); rows that are all blank are dropped. */
function parseCsv(text: string, file: string): string[][] {
  try {
    return parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new MailguardError('EUSAGE', `${file} is not a readable CSV file: ${(err as Error).message}`, {
      hint: 'Write it again with mailguard audit ... --incident ID --no-redact --format csv.',
    });
  }
}

const MASKED = /\*\*\*@/;

/** The people in an incident file: audit --incident CSV (columns address[, internal]) or JSON. */
export function readPeople(text: string, file: string): Person[] {
  const refuseMasked = () => {
    throw new MailguardError('EUSAGE', `${file} has masked addresses (j***@example.com); nobody can be notified from it.`, {
      hint: 'Write it again with mailguard audit ... --incident ID --no-redact --format csv.',
    });
  };
  const raw: Array<{ address: string; internal: boolean; where: string }> = [];
  if (/^\s*\{/.test(text.replace(/^\ufeff/, ''))) {
    let doc: { redacted?: unknown; incident?: { exposed?: unknown } };
    try {
      doc = JSON.parse(text.replace(/^\ufeff/, '')) as typeof doc;
    } catch (err) {
      throw new MailguardError('EUSAGE', `${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (doc.redacted === true) refuseMasked();
    const exposed = doc.incident?.exposed;
    if (!Array.isArray(exposed)) throw new MailguardError('EUSAGE', `${file} is not an incident from mailguard audit --incident ID --format json (no incident.exposed list).`);
    exposed.forEach((p: { address?: unknown; internal?: unknown }, i) => {
      if (typeof p?.address !== 'string') throw new MailguardError('EUSAGE', `${file}: incident.exposed[${i}] has no address.`);
      raw.push({ address: p.address, internal: p.internal === true, where: `incident.exposed[${i}]` });
    });
  } else {
    const rows = parseCsv(text, file).filter((r) => r.some((c) => c.trim() !== ''));
    const head = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
    const col = head.indexOf('address');
    if (col === -1) throw new MailguardError('EUSAGE', `${file} has no "address" column.`, { hint: 'Use the CSV of mailguard audit ... --incident ID --no-redact --format csv.' });
    const internalCol = head.indexOf('internal');
    rows.slice(1).forEach((r, i) => {
      raw.push({ address: (r[col] ?? '').trim(), internal: internalCol !== -1 && /^(yes|true|1)$/i.test((r[internalCol] ?? '').trim()), where: `row ${i + 2}` });
    });
  }
  if (raw.some((p) => MASKED.test(p.address))) refuseMasked();
  const seen = new Set<string>();
  const out: Person[] = [];
  for (const p of raw) {
    const address = normaliseAddress(p.address);
    if (address === undefined) throw new MailguardError('EUSAGE', `${file}, ${p.where}: "${maskText(p.address)}" is not one address; nothing was sent.`);
    if (seen.has(address)) continue;
    seen.add(address);
    out.push({ address, internal: p.internal });
  }
  if (out.length === 0) throw new MailguardError('EUSAGE', `${file} names nobody to notify.`);
  return out;
}

async function readInput(file: string, what: string): Promise<Buffer> {
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_INCIDENT_FILE_BYTES) throw new Error(`larger than ${MAX_INCIDENT_FILE_BYTES} bytes`);
    return bytes;
  } catch (err) {
    throw new MailguardError('EUSAGE', `cannot read the ${what} ${file}: ${(err as Error).message}`);
  }
}

function headerText(bytes: Uint8Array): string {
  const header = readHeaderBlock(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, header.headerEnd).toString('latin1');
}

export async function runNotify(flags: NotifyFlags): Promise<number> {
  if (flags.dryRun && flags.output !== undefined) throw new MailguardError('EUSAGE', '--dry-run and -o exclude each other: -o already sends nothing.');
  const settings = await resolveSettings(flags);
  const people = readPeople((await readInput(flags.incidentFile, 'incident file')).toString('utf8'), flags.incidentFile);
  const template = await readInput(flags.template, 'template');
  const chosen = people.filter((p) => flags.includeInternal || !p.internal).map((p) => p.address);
  const leftOut = people.length - chosen.length;
  if (chosen.length === 0) throw new MailguardError('EUSAGE', `${flags.incidentFile} names only internal addresses.`, { hint: 'Add --include-internal to notify them.' });
  // Refused before anything is opened or sent (noticeCopies checks it too).
  checkNoticeTemplate(template, chosen);
  const notices = noticeCopies(template, chosen, settings.policy, { date: new Date() });
  let mailFrom = flags.from !== undefined ? normaliseAddress(flags.from) : headerSender(template);
  if (flags.from !== undefined && mailFrom === undefined) throw new MailguardError('EUSAGE', `--from takes one address (got "${flags.from}").`);
  if (mailFrom === undefined) throw new MailguardError('EUSAGE', 'the template has no readable From, so there is no envelope sender.', { hint: 'Add a From field to the template, or give --from ADDRESS.' });
  mailFrom = mailFrom ?? '';

  const sending = !flags.dryRun && flags.output === undefined;
  const journalFile = flags.journal ?? `${flags.incidentFile}.journal`;
  const { messageIdentity, openJournal } = await import('../../relay/journal.js');
  // The notice's identity is the template: one notice per person per template, whatever the list.
  const identity = messageIdentity(template);
  const journal: Journal = await openJournal(journalFile, { readOnly: !sending });
  const done = journal.accepted(identity);
  const results: NoticeResult[] = [];
  const progress = createProgress('notified');
  let relay: Relay | undefined;
  let stopped: string | undefined;
  // Ctrl-C: the notice in flight finishes and is journaled, no new one starts. A second one quits.
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('mailguard: interrupted; finishing the notice in flight (Ctrl-C again to quit now).\n');
  };
  if (sending) process.on('SIGINT', onInterrupt);
  // The copies for review (-o DIR) are one set: a notice that cannot be made part-way (it would
  // not show exactly one person) leaves no directory of the first notices that reads as all of them.
  const review = createOutputSet();
  let directoryMade = false;
  try {
    if (sending) {
      const { createRelay, resolveSmtpSettings } = await import('../../relay/index.js');
      const options = resolveSmtpSettings(flags.smtp, settings.config, process.env);
      if (flags.rate !== undefined) options.rateLimitPerSecond = flags.rate;
      relay = await createRelay(options);
    }
    let n = 0;
    for (const notice of notices) {
      n++;
      const r: NoticeResult = { person: notice.person, status: 'sent' };
      results.push(r);
      if (done.has(notice.person)) {
        r.status = 'skipped';
      } else if (flags.output !== undefined) {
        const file = path.join(flags.output, `notice-${String(n).padStart(5, '0')}.eml`);
        if (!directoryMade) {
          try {
            await review.directory(flags.output);
          } catch (err) {
            throw new MailguardError('EUSAGE', `cannot create ${flags.output}: ${(err as Error).message}`);
          }
          directoryMade = true;
        }
        try {
          await review.write(file, notice.bytes);
        } catch (err) {
          throw new MailguardError('EUSAGE', `cannot write ${file}: ${(err as Error).message}`);
        }
        r.status = 'written';
        r.file = file;
      } else if (flags.dryRun) {
        r.status = 'dry-run';
        r.header = headerText(notice.bytes);
      } else if (stopped !== undefined || interrupted) {
        r.status = 'failed';
        r.error = stopped ?? 'interrupted before this was sent';
      } else {
        try {
          const delivery = await relay!.deliver(notice.bytes, { mailFrom, rcptTo: [notice.person] });
          if (delivery.accepted.length > 0) {
            await journal.record({ source: flags.template, messageId: identity.messageId, sha256: identity.sha256, recipients: delivery.accepted, response: delivery.response });
            r.response = delivery.response;
          } else {
            r.status = 'failed';
            r.error = delivery.rejected[0]?.response ?? 'refused';
          }
        } catch (err) {
          const { RelayError } = await import('../../relay/index.js');
          if (!(err instanceof RelayError)) throw err;
          r.status = 'failed';
          r.error = err.message;
          // Nothing answers: the rest would only pile up the same failure.
          if (err.transient && err.responseCode === undefined) stopped = err.message;
        }
      }
      progress.tick(n, chosen.length);
    }
    try {
      await review.commit();
    } catch (err) {
      throw new MailguardError('EUSAGE', `cannot write the notices to ${flags.output}: ${(err as Error).message}`);
    }
  } catch (err) {
    await review.abort();
    throw err;
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.done();
    await relay?.close();
    await journal.close();
  }

  const count = (s: NoticeStatus) => results.filter((r) => r.status === s).length;
  const summary = { people: chosen.length, internalLeftOut: leftOut, sent: count('sent'), skipped: count('skipped'), failed: count('failed'), written: count('written'), dryRun: count('dry-run') };
  const redact = flags.redact !== false;
  const m = (a: string) => (redact ? maskAddress(a) : a);
  const text =
    flags.format === 'json'
      ? `${JSON.stringify({ version: NOTIFY_JSON_VERSION, journal: sending ? journalFile : null, results: results.map((r) => ({ ...r, person: m(r.person), ...(r.header !== undefined ? { header: redact ? maskText(r.header) : r.header } : {}), ...(r.error !== undefined ? { error: redact ? maskText(r.error) : r.error } : {}) })), summary }, null, 2)}\n`
      : formatHuman(results, summary, { m, redact, journal: sending ? journalFile : undefined, stopped });
  const code = summary.failed > 0 ? EXIT.ERROR : EXIT.OK;
  process.exitCode = code;
  await writeReport(text, undefined);
  return code;
}

function formatHuman(
  results: NoticeResult[],
  s: { people: number; internalLeftOut: number; sent: number; skipped: number; failed: number; written: number; dryRun: number },
  o: { m: (a: string) => string; redact: boolean; journal: string | undefined; stopped: string | undefined },
): string {
  const lines: string[] = [];
  for (const r of results) {
    switch (r.status) {
      case 'sent':
        lines.push(`sent     ${o.m(r.person)}`);
        break;
      case 'skipped':
        lines.push(`skipped  ${o.m(r.person)}  already notified (journal)`);
        break;
      case 'written':
        lines.push(`written  ${o.m(r.person)}  ${r.file}`);
        break;
      case 'failed':
        lines.push(`failed   ${o.m(r.person)}  ${o.redact ? maskText(r.error ?? '') : (r.error ?? '')}`);
        break;
      case 'dry-run':
        lines.push(`would send to ${o.m(r.person)}`, ...(o.redact ? maskText(r.header ?? '') : (r.header ?? '')).replace(/(\r?\n)+$/, '').split(/\r?\n/).map((l) => `  | ${l}`), '');
        break;
    }
  }
  const parts = [
    s.sent ? `${s.sent} sent` : '',
    s.skipped ? `${s.skipped} already sent (skipped)` : '',
    s.written ? `${s.written} written for review` : '',
    s.dryRun ? `${s.dryRun} would be sent (--dry-run: nothing was sent)` : '',
    s.failed ? `${s.failed} failed` : '',
  ].filter(Boolean);
  lines.push(`${s.people} ${s.people === 1 ? 'person' : 'people'} to notify: ${parts.join(', ') || 'nothing to do'}.${s.internalLeftOut ? ` ${s.internalLeftOut} internal address(es) left out (--include-internal).` : ''}`);
  if (s.failed > 0 && o.journal) lines.push(`Run the same command again to retry; the journal ${o.journal} skips who was notified.`);
  if (o.stopped) lines.push(`Stopped early: the relay did not answer (${o.redact ? maskText(o.stopped) : o.stopped}).`);
  return `${lines.join('\n')}\n`;
}
