// What a message exposed besides its To/Cc, for the audit: lists in attachments, calendar
// invitations and (when the policy blocks them) the message text, and what could not be scanned.
// Read from the body scan's findings (src/rules/attachments.ts, src/rules/address-list-in-body.ts),
// so audit and check agree on every count. Pure.

import type { Finding } from '../findings.js';
import { MAX_EXAMPLE_ADDRESSES } from '../limits.js';
import { maskAddress, maskText } from '../report/redact.js';
import type { MessageResult, RecipientView } from '../result.js';
import { externalSummary } from '../rules/context.js';
import { exposureCounted } from '../rules/exposed-recipients.js';

/**
 * attachment: a sheet, document or zip member (ADDRESS_LIST_IN_ATTACHMENT), or a text attachment
 * such as a CSV or vCard file (ADDRESS_LIST_IN_BODY with a file name); invitation: a calendar's
 * attendees (EXPOSED_ATTENDEES); body: the message text (ADDRESS_LIST_IN_BODY without a file
 * name), an incident only when the policy makes that finding an error: a pasted thread or a
 * signature block lists addresses too, and only the policy knows when that is a leak.
 */
export type ExposureKind = 'attachment' | 'invitation' | 'body';

/** The kinds of an incident: `recipients` for To/Cc (EXPOSED_RECIPIENTS), then those of its exposures. */
export type IncidentKind = 'recipients' | ExposureKind;

export interface AuditExposure {
  kind: ExposureKind;
  /** MIME part number ("2", "1.3"). */
  part: string;
  fileName?: string;
  /** The member of a zip attachment. */
  entry?: string;
  /** The workbook sheet. */
  sheet?: string;
  /** The parts of a workbook outside every sheet (unused shared strings, comments). */
  outsideSheets?: boolean;
  /** As read: xlsx, ods, docx, odt, pptx, odp, zip, ics, csv ... */
  format: string;
  /** iCalendar METHOD (REQUEST, PUBLISH ...) of an invitation. */
  method?: string;
  /** Distinct external addresses listed that the header does not already show. */
  externalAddresses: number;
  /** Of them, found only where a reader does not see them (hidden sheets, rows, columns ...). */
  hiddenAddresses: number;
  /** Where: hidden-sheet, very-hidden-sheet, hidden-rows, hidden-columns, outside-used-range, not-in-any-sheet. */
  hidden: string[];
  parties: number;
  severity: 'error' | 'warning';
  examples: string[];
}

/** An attachment (or zip member) the audit could not read: not known to be clean. */
export interface AuditNotScanned {
  part: string;
  fileName?: string;
  entry?: string;
  /** encrypted, too-large, compression-ratio, unsupported-format, unknown-format, unreadable ... */
  reason: string;
  detail?: string;
}

function formatOfName(fileName: string | undefined, contentType: string): string {
  const dot = fileName?.lastIndexOf('.') ?? -1;
  if (fileName !== undefined && dot !== -1) return fileName.slice(dot + 1).toLowerCase();
  return contentType.slice(contentType.indexOf('/') + 1);
}

function exposureOf(f: Finding): AuditExposure | undefined {
  if (f.severity !== 'error' && f.severity !== 'warning') return undefined;
  const severity = f.severity;
  const with_ = (e: AuditExposure, a: { fileName?: string; entry?: string }): AuditExposure => {
    if (a.fileName !== undefined) e.fileName = a.fileName;
    if (a.entry !== undefined) e.entry = a.entry;
    return e;
  };
  switch (f.code) {
    case 'ADDRESS_LIST_IN_ATTACHMENT': {
      const a = f.args;
      const e = with_({ kind: 'attachment', part: a.part, format: a.format, externalAddresses: a.externalAddresses, hiddenAddresses: a.hiddenAddresses, hidden: a.hidden, parties: a.parties, severity, examples: a.examples }, a);
      if (a.sheet !== undefined) e.sheet = a.sheet;
      if (a.outsideSheets) e.outsideSheets = true;
      return e;
    }
    case 'EXPOSED_ATTENDEES': {
      const a = f.args;
      const e = with_({ kind: 'invitation', part: a.part, format: 'ics', externalAddresses: a.externalAddresses, hiddenAddresses: 0, hidden: [], parties: a.parties, severity, examples: a.examples }, a);
      if (a.method !== undefined) e.method = a.method;
      return e;
    }
    case 'ADDRESS_LIST_IN_BODY': {
      const a = f.args;
      // A list typed or pasted into the text is an incident only where the policy blocks it.
      if (a.fileName === undefined && severity !== 'error') return undefined;
      const kind: ExposureKind = a.fileName === undefined ? 'body' : 'attachment';
      return with_({ kind, part: a.part, format: kind === 'body' ? 'text' : formatOfName(a.fileName, a.contentType), externalAddresses: a.externalAddresses, hiddenAddresses: 0, hidden: [], parties: a.parties, severity, examples: a.examples }, a);
    }
    default:
      return undefined;
  }
}

/** The lists a message exposed in its attachments, invitations and text (empty for a header-only check). */
export function exposuresOf(result: MessageResult): AuditExposure[] {
  const out: AuditExposure[] = [];
  for (const f of result.findings) {
    const e = exposureOf(f);
    if (e) out.push(e);
  }
  return out;
}

/** What the scan could not read in a message (ATTACHMENT_NOT_SCANNED, whatever its severity). */
export function notScannedOf(result: MessageResult): AuditNotScanned[] {
  const out: AuditNotScanned[] = [];
  for (const f of result.findings) {
    if (f.code !== 'ATTACHMENT_NOT_SCANNED') continue;
    const n: AuditNotScanned = { part: f.args.part, reason: f.args.reason };
    if (f.args.fileName !== undefined) n.fileName = f.args.fileName;
    if (f.args.entry !== undefined) n.entry = f.args.entry;
    if (f.args.detail !== undefined) n.detail = f.args.detail;
    out.push(n);
  }
  return out;
}

/** The kinds of an incident, in a fixed order. */
export function incidentKinds(headerExposed: boolean, exposures: readonly AuditExposure[]): IncidentKind[] {
  const kinds: IncidentKind[] = headerExposed ? ['recipients'] : [];
  for (const k of ['attachment', 'invitation', 'body'] as const) if (exposures.some((e) => e.kind === k)) kinds.push(k);
  return kinds;
}

export function redactExposure(e: AuditExposure): AuditExposure {
  const r: AuditExposure = { ...e, examples: e.examples.map(maskAddress) };
  if (e.fileName !== undefined) r.fileName = maskText(e.fileName);
  if (e.entry !== undefined) r.entry = maskText(e.entry);
  if (e.sheet !== undefined) r.sheet = maskText(e.sheet);
  return r;
}

export function redactNotScanned(n: AuditNotScanned): AuditNotScanned {
  const r: AuditNotScanned = { ...n };
  if (n.fileName !== undefined) r.fileName = maskText(n.fileName);
  if (n.entry !== undefined) r.entry = maskText(n.entry);
  return r;
}

const HIDDEN_WORDS: Record<string, string> = {
  'hidden-sheet': 'hidden sheet',
  'very-hidden-sheet': 'very hidden sheet',
  'hidden-rows': 'hidden rows',
  'hidden-columns': 'hidden columns',
  'outside-used-range': 'outside the used range',
  'not-in-any-sheet': 'in no sheet',
};

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Where a list or a part is: `attachment 'list.xlsx', sheet 'Applicants'`, `invitation 'invite.ics'`, `message text (part 1)`. */
export function placeOf(e: { kind?: ExposureKind; part: string; fileName?: string; entry?: string; sheet?: string; outsideSheets?: boolean }): string {
  // Part '': the message itself, left unread (an IMAP message over the size limit).
  if (e.part === '') return 'the whole message';
  const name = e.fileName !== undefined ? ` '${e.fileName}'` : ` (part ${e.part})`;
  const head = e.kind === 'body' ? `message text (part ${e.part})` : `${e.kind === 'invitation' ? 'invitation' : 'attachment'}${name}`;
  const entry = e.entry !== undefined ? `, member '${e.entry}'` : '';
  const sheet = e.sheet !== undefined ? `, sheet '${e.sheet}'` : e.outsideSheets ? ', outside every sheet' : '';
  return `${head}${entry}${sheet}`;
}

/** One exposure in a line: `attachment 'list.xlsx', sheet 'Applicants' (hidden sheet): 5,000 external addresses (5,000 hidden) of 12 organisations`. */
export function describeExposure(e: AuditExposure): string {
  const hidden = e.hidden.length > 0 ? ` (${e.hidden.map((h) => HIDDEN_WORDS[h] ?? h).join(', ')})` : '';
  const method = e.method !== undefined ? ` ${e.method}` : '';
  const counted = e.kind === 'invitation' ? plural(e.externalAddresses, 'external attendee') : plural(e.externalAddresses, 'external address', 'external addresses');
  const ofHidden = e.hiddenAddresses > 0 ? ` (${e.hiddenAddresses.toLocaleString('en-US')} hidden)` : '';
  return `${placeOf(e)}${method}${hidden}: ${counted}${ofHidden} of ${plural(e.parties, 'organisation')}`;
}

const REASON_WORDS: Record<string, string> = {
  encrypted: 'encrypted',
  'too-large': 'over the size limit',
  'too-many-entries': 'too many archive entries',
  'compression-ratio': 'compression ratio over the limit (possible zip bomb)',
  'nested-archive': 'archive inside an archive',
  'unsupported-format': 'format not read',
  'unsupported-compression': 'compression not supported',
  'unknown-format': 'unknown format',
  unreadable: 'unreadable',
  truncated: 'cut off',
  'partly-read': 'read only in part (size limit)',
  'text-limit': 'not read (text limit per message)',
};

/** What could not be scanned and why: `attachment 'pay.xlsx': encrypted (xlsx)`. */
export function describeNotScanned(n: AuditNotScanned): string {
  const detail = n.detail !== undefined && n.reason !== 'unreadable' ? ` (${n.detail})` : '';
  return `${placeOf(n)}: ${REASON_WORDS[n.reason] ?? n.reason}${detail}`;
}

/**
 * The finding by which check says it cannot tell whom a message showed: its header cannot be
 * delimited or read safely (MALFORMED_HEADER), or a recipient field reads in different ways
 * (AMBIGUOUS_RECIPIENT), flagged under the message's policy (a rule turned off leaves none). check
 * blocks such a message; in the audit, one in which no incident was found is not known to be
 * clean, and is reported as not read with this finding as the reason.
 */
export function unclearHeaderOf(result: MessageResult): Finding | undefined {
  return result.findings.find((f) => (f.code === 'AMBIGUOUS_RECIPIENT' || f.code === 'MALFORMED_HEADER') && (f.severity === 'error' || f.severity === 'warning'));
}

/** What a message's header exposed, as check flags it, with the people counted. */
export interface HeaderExposure {
  severity: 'error' | 'warning';
  externalAddresses: number;
  parties: number;
  fields: string[];
  examples: string[];
  /** Everyone the finding counted (internal ones too). */
  counted: readonly RecipientView[];
}

/**
 * The header's exposure check flags: EXPOSED_RECIPIENTS; or, where a post to a configured public
 * list made that a public post (PUBLIC_LIST_POST, info), the EXPOSED_REPLY_ADDRESSES warnings:
 * the public post excuses the list's readers seeing each other, not a Reply-To or
 * Mail-Followup-To that shows customers of several organisations to all of them.
 */
export function headerExposureOf(result: MessageResult): HeaderExposure | undefined {
  const exposed = result.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS');
  if (exposed && exposed.code === 'EXPOSED_RECIPIENTS') {
    const a = exposed.args;
    return { severity: exposed.severity === 'error' ? 'error' : 'warning', externalAddresses: a.externalAddresses, parties: a.parties, fields: a.fields, examples: a.examples, counted: exposureCounted(result.recipients) };
  }
  const reply = result.findings.filter((f) => f.code === 'EXPOSED_REPLY_ADDRESSES' && f.severity !== 'info');
  if (exposed || reply.length === 0) return undefined;
  const fields = reply.map((f) => (f.code === 'EXPOSED_REPLY_ADDRESSES' ? f.args.field : ''));
  const counted = result.recipients.reply.filter((r) => fields.includes(r.field));
  const { addresses, parties } = externalSummary(counted);
  return { severity: reply.some((f) => f.severity === 'error') ? 'error' : 'warning', externalAddresses: addresses.length, parties, fields, examples: addresses.slice(0, MAX_EXAMPLE_ADDRESSES), counted };
}

/** Whether a message may be an incident (and so gets an ID): an exposed To/Cc, or a list in an
 * attachment, invitation or (blocking) text. List traffic is told apart by the aggregation. */
export function isIncident(result: MessageResult): boolean {
  if (result.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS') || headerExposureOf(result)) return true;
  return result.findings.some((f) => exposureOf(f) !== undefined);
}
