// One incident in detail, for the people who must notify and report it: a stable ID derived from
// the message, everyone whose address was shown, and a breach-report summary. Pure.

import { createHash } from 'node:crypto';
import { classifierFor } from '../analyse.js';
import { decodeHeaderText } from '../body/mime.js';
import { scanMessage, type MessageScan } from '../body/scan.js';
import type { BodyScanOptions } from '../body/settings.js';
import type { Policy } from '../policy/policy.js';
import { readHeaderBlock, unfold } from '../message/header-block.js';
import { parseMessage, REPLY_FIELDS, VISIBLE_FIELDS } from '../message/parse-message.js';
import { exposureCounted } from '../rules/exposed-recipients.js';
import { printable } from '../report/printable.js';
import { maskAddress, maskText } from '../report/redact.js';
import type { MessageResult } from '../result.js';
import type { AuditMeta } from './aggregate.js';
import { describeExposure, describeNotScanned, exposuresOf, headerExposureOf, incidentKinds, notScannedOf, placeOf, redactExposure, redactNotScanned, type AuditExposure, type AuditNotScanned, type IncidentKind } from './exposure.js';

/** Hex digits of an incident ID: 64 bits, unique among any one organisation's sent mail. */
export const INCIDENT_ID_HEX = 16;
/** Version of the incident and breach-report JSON documents. */
export const INCIDENT_JSON_VERSION = 1;

/** The fields an incident ID is derived from: the same message read from a file or over IMAP gets the same ID. */
const ID_FIELDS = ['message-id', 'date', 'from', 'to', 'cc'] as const;
/**
 * The other fields that tell one sending of a message from another: each resending (RFC 5322
 * 3.6.6) and an Apparently-To show other people under the same Message-ID, Date, From, To and Cc.
 * Without them two resendings to different customers had one ID, and `--incident ID` listed the
 * people of the first only.
 */
const SENDING_FIELDS = ['apparently-to', 'resent-message-id', 'resent-date', 'resent-from', 'resent-to', 'resent-cc'] as const;

/**
 * The ID of the incident a message is: a hash of its Message-ID, Date, From, To and Cc, unfolded
 * and with white space collapsed, so line endings (LF in a Maildir file, CRLF over IMAP) and
 * folding do not change it. Stable across runs; a message without Message-ID is still told apart
 * by its date, sender and recipients.
 */
export function incidentId(bytes: Uint8Array): string {
  const header = readHeaderBlock(bytes);
  const hash = createHash('sha256');
  for (const key of [...ID_FIELDS, ...SENDING_FIELDS]) {
    const values = header.fields.filter((f) => f.key === key).map((f) => unfold(f.rawValue, header.lineEnding).replace(/\s+/g, ' ').trim());
    // Hashed only when present, so the ID of a message without them stays what it was.
    if (values.length === 0 && (SENDING_FIELDS as readonly string[]).includes(key)) continue;
    hash.update(`${key}\u0000${values.join('\u0001')}\u0000`);
  }
  return hash.digest('hex').slice(0, INCIDENT_ID_HEX);
}

export interface ExposedPerson {
  address: string;
  /** The display name shown with it (decoded), '' when none. */
  name: string;
  /** The field it was shown in (to, cc, resent-to, resent-cc), or the kind of list it was in (attachment, invitation, body). */
  field: string;
  /** Registrable domain, or the address itself at a consumer provider. */
  organisation: string;
  internal: boolean;
  /** For a list in an attachment, invitation or text: where (`attachment 'a.xlsx', sheet 'S'`). */
  location?: string;
}

export interface IncidentDetail {
  id: string;
  /** Where the message was found (first), and any other copies of it. */
  source: string;
  otherSources: string[];
  messageId: string;
  /** When it was sent (Date field, ISO UTC); null when unreadable. */
  date: string | null;
  subject: string;
  sender: string | null;
  severity: 'error' | 'warning';
  /** Everyone shown in To/Cc and the other fields the exposure counted (internal recipients too: their addresses were shown as well). */
  exposed: ExposedPerson[];
  /** External addresses shown, and their organisations. */
  exposedExternal: number;
  parties: number;
  /** Recipients who received the list: visible plus Bcc (and envelope-only). */
  recipients: number;
  /** Whether display names were shown with the addresses. */
  namesShown: boolean;
  /** What it exposed: recipients (To/Cc), attachment, invitation, body. */
  kinds: IncidentKind[];
  /** The lists in attachments, invitations and the text (their people are in `exposed`, with `location`). */
  exposures: AuditExposure[];
  /** Attachments that could not be scanned: who else they list is not known. */
  notScanned: AuditNotScanned[];
}

/** The body scan's settings and policy, for the people of lists in attachments (absent: header only). */
export interface ListScan {
  policy: Policy;
  body: BodyScanOptions;
}

/** The addresses of one exposure in the scan, as the rules counted them (before classification). */
function addressesOf(scan: MessageScan, e: AuditExposure): Iterable<string> {
  if (e.kind === 'body' || (e.kind === 'attachment' && e.format !== undefined && scan.parts.some((p) => p.part === e.part))) {
    const part = scan.parts.find((p) => p.part === e.part);
    if (part) return [...part.own, ...part.quoted];
  }
  const att = scan.attachments.find((a) => a.part === e.part);
  if (!att) return [];
  if (e.kind === 'invitation') return att.scan.calendars.filter((c) => c.entry === e.entry).flatMap((c) => c.attendees);
  const units = att.scan.units.filter((u) => u.location.entry === e.entry && u.location.sheet === e.sheet && !!u.location.rest === !!e.outsideSheets);
  return units.flatMap((u) => [...u.addresses]);
}

/**
 * Everyone listed in the incident's attachments, invitations and text: the external addresses the
 * rules counted (not the header's, not internal ones), each once, with where it was first found.
 * The message is scanned again: only for the one incident asked for, never during the audit.
 */
function listedPeople(bytes: Uint8Array, exposures: readonly AuditExposure[], lists: ListScan): ExposedPerson[] {
  const parsed = parseMessage(bytes);
  const classifier = classifierFor(parsed, lists.policy);
  const inHeader = new Set(parsed.addresses.map((a) => a.mailbox.address.toLowerCase()));
  const scan = scanMessage(bytes, lists.body, parsed.header);
  const seen = new Set<string>();
  const out: ExposedPerson[] = [];
  for (const e of exposures) {
    const location = placeOf(e);
    for (const address of addressesOf(scan, e)) {
      const domain = address.slice(address.lastIndexOf('@') + 1);
      if (seen.has(address) || inHeader.has(address) || classifier.isInternal(domain)) continue;
      seen.add(address);
      out.push({ address, name: '', field: e.kind, organisation: classifier.partyOf(address, domain), internal: false, location });
    }
  }
  return out;
}

function displayName(raw: string): string {
  let name = raw.trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  return decodeHeaderText(name).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

function messageIdOf(bytes: Uint8Array): string {
  const header = readHeaderBlock(bytes);
  const f = header.fields.find((x) => x.key === 'message-id');
  return f ? unfold(f.rawValue, header.lineEnding).replace(/\s+/g, ' ').trim() : '';
}

/** The detail of one incident, from the message (whole, for lists in attachments) and its check result. */
export function describeIncident(id: string, bytes: Uint8Array, result: MessageResult, meta: AuditMeta, lists?: ListScan): IncidentDetail {
  const parsed = parseMessage(bytes);
  const header = meta.listTraffic ? undefined : headerExposureOf(result);
  const headerExposed = header !== undefined;
  const exposures = exposuresOf(result);
  const visible = new Set<string>([...VISIBLE_FIELDS, ...REPLY_FIELDS]);
  const names = new Map<string, string>();
  for (const a of parsed.addresses) {
    if (!visible.has(a.field) || names.has(a.mailbox.address)) continue;
    names.set(a.mailbox.address, displayName(a.mailbox.rawName));
  }
  const exposed: ExposedPerson[] = [];
  const seen = new Set<string>();
  // An incident of an attachment alone did not expose its To/Cc: the people are the list's. The
  // header's people are everyone its exposure counted: To/Cc and the other addresses every reader
  // sees (Reply-To, in display names, a list in X-Recipients or Comments: `field` names where).
  for (const r of header ? header.counted : exposures.length === 0 ? exposureCounted(result.recipients) : []) {
    if (seen.has(r.address)) continue;
    seen.add(r.address);
    exposed.push({ address: r.address, name: names.get(r.address) ?? '', field: r.field, organisation: r.party, internal: r.internal });
  }
  const all = new Set<string>([...result.recipients.visible, ...result.recipients.blind].map((r) => r.address));
  for (const h of result.recipients.hidden) all.add(h.address);
  const listed = exposures.length > 0 && lists ? listedPeople(bytes, exposures, lists) : [];
  for (const p of listed) if (!seen.has(p.address)) exposed.push(p);
  const severity = header?.severity === 'error' || exposures.some((e) => e.severity === 'error') ? 'error' : 'warning';
  return {
    id,
    source: result.source,
    otherSources: [],
    messageId: messageIdOf(bytes),
    date: meta.date ? meta.date.toISOString() : null,
    subject: meta.subject ?? '',
    sender: result.sender ?? null,
    severity,
    exposed,
    // The rule's counts (visible and shown addresses), as the audit's list of incidents gives them.
    exposedExternal: (header ? header.externalAddresses : 0) + listed.length,
    parties: header ? header.parties : 0,
    recipients: all.size,
    namesShown: exposed.some((p) => p.name !== ''),
    kinds: incidentKinds(headerExposed, exposures),
    exposures,
    notScanned: notScannedOf(result),
  };
}

function maskName(name: string): string {
  return name === '' ? '' : `${[...name][0]}***`;
}

export function redactDetail(d: IncidentDetail): IncidentDetail {
  return {
    ...d,
    sender: d.sender === null ? null : maskAddress(d.sender),
    // A subject or Message-ID can hold an address too (`list for frank.q@zeta.test`).
    subject: maskText(d.subject),
    messageId: maskText(d.messageId),
    exposed: d.exposed.map((p) => ({ ...p, address: maskAddress(p.address), name: maskName(p.name), organisation: p.organisation.includes('@') ? maskAddress(p.organisation) : p.organisation })),
    exposures: d.exposures.map(redactExposure),
    notScanned: d.notScanned.map(redactNotScanned),
  };
}

/** Columns are only ever added at the end (notify reads them by name). */
export const INCIDENT_CSV_COLUMNS = ['incident', 'address', 'name', 'field', 'organisation', 'internal', 'location'] as const;

export interface IncidentJson {
  version: typeof INCIDENT_JSON_VERSION;
  /** Addresses are masked: not usable to notify (run with --no-redact). */
  redacted: boolean;
  incident: IncidentDetail;
}

export function formatIncidentJson(d: IncidentDetail, redact: boolean): string {
  const doc: IncidentJson = { version: INCIDENT_JSON_VERSION, redacted: redact, incident: redact ? redactDetail(d) : d };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function formatIncidentCsv(d: IncidentDetail, redact: boolean, cell: (v: string | number | null) => string): string {
  const r = redact ? redactDetail(d) : d;
  const rows = [INCIDENT_CSV_COLUMNS.join(',')];
  for (const p of r.exposed) rows.push([r.id, p.address, p.name, p.field, p.organisation, p.internal ? 'yes' : 'no', p.location ?? ''].map(cell).join(','));
  return `\ufeff${rows.join('\r\n')}\r\n`;
}

export function formatIncidentHuman(d: IncidentDetail, redact: boolean): string {
  const r = redact ? redactDetail(d) : d;
  const inHeader = r.exposed.filter((p) => p.location === undefined);
  const external = inHeader.filter((p) => !p.internal);
  const out = [
    `Incident ${r.id}`,
    `  message   ${r.source}${r.otherSources.length ? ` (also ${r.otherSources.join(', ')})` : ''}`,
    `  sent      ${r.date ?? 'undated'} by ${r.sender ?? '(unknown sender)'}`,
    `  subject   ${r.subject || '(no subject)'}`,
  ];
  if (r.kinds.length === 0 || r.kinds.includes('recipients')) out.push(`  exposed   ${external.length} external addresses of ${r.parties} organisations, shown to ${r.recipients} recipients`);
  for (const e of r.exposures) out.push(`  ${e.kind === 'invitation' ? 'invited' : 'listed '}   ${describeExposure(e)}, sent to ${r.recipients} recipients`);
  for (const n of r.notScanned) out.push(`  not scanned  ${describeNotScanned(n)}: who else it lists is not known`);
  if (inHeader.length > 0) {
    const fields = new Set(inHeader.map((p) => p.field));
    const heading = [...fields].every((f) => f === 'to' || f === 'cc') ? 'Everyone shown in To/Cc:' : 'Everyone shown in the header (each with its field):';
    out.push('', heading, ...inHeader.map((p) => `  ${p.address}${p.name ? ` (${p.name})` : ''}  ${p.field}  ${p.organisation}${p.internal ? '  internal' : ''}`));
  }
  const locations = [...new Set(r.exposed.filter((p) => p.location !== undefined).map((p) => p.location!))];
  for (const where of locations) {
    out.push('', `Everyone listed in the ${where}:`, ...r.exposed.filter((p) => p.location === where).map((p) => `  ${p.address}  ${p.organisation}`));
  }
  if (redact) out.push('', 'Addresses are masked; run with --no-redact for the list to notify.');
  // Each line is made printable on its own: a line break in a subject, a name or an attachment's
  // name cannot add a line (the lines are joined after).
  return `${out.map(printable).join('\n')}\n`;
}

export interface BreachReport {
  version: typeof INCIDENT_JSON_VERSION;
  incident: string;
  /** What was exposed: kinds of personal data. */
  dataExposed: string[];
  /** External people whose addresses were shown; internal ones counted apart. */
  peopleExposed: number;
  internalExposed: number;
  /** People who received the message and so saw the list. */
  recipients: number;
  /** External organisations, with how many of their people; private mailboxes grouped by provider. */
  organisations: Array<{ name: string; people: number; private: boolean }>;
  /** When it was sent (ISO), and when it was found (ISO). */
  sentAt: string | null;
  foundAt: string;
  sender: string | null;
  subject: string;
  messageId: string;
  source: string;
  fields: string[];
  /** What it exposed: recipients (To/Cc), attachment, invitation, body. */
  kinds: IncidentKind[];
  /** The lists in attachments, invitations and the text (sheet, hidden flag, counts; examples masked). */
  exposures: AuditExposure[];
  /** Attachments that could not be scanned: the people counted may be fewer than those exposed. */
  notScanned: AuditNotScanned[];
}

export function breachReport(d: IncidentDetail, foundAt: Date): BreachReport {
  const external = d.exposed.filter((p) => !p.internal);
  const orgs = new Map<string, { name: string; people: number; private: boolean }>();
  for (const p of external) {
    const priv = p.organisation.includes('@');
    const name = priv ? p.organisation.slice(p.organisation.lastIndexOf('@') + 1) : p.organisation;
    const key = `${priv ? 'p' : 'o'}:${name}`;
    const o = orgs.get(key) ?? { name, people: 0, private: priv };
    o.people++;
    orgs.set(key, o);
  }
  return {
    version: INCIDENT_JSON_VERSION,
    incident: d.id,
    dataExposed: [
      'email addresses',
      ...(d.namesShown ? ['names shown with them'] : []),
      ...(d.kinds.length === 0 || d.kinds.includes('recipients') ? ['the fact of being a recipient of this message'] : []),
      ...(d.exposures.some((e) => e.kind !== 'invitation') ? ['the fact of being listed in a file or text sent with this message (what else the list held is in the attachment)'] : []),
      ...(d.exposures.some((e) => e.kind === 'invitation') ? ['the fact of being invited to the same event'] : []),
    ],
    peopleExposed: external.length,
    internalExposed: d.exposed.length - external.length,
    recipients: d.recipients,
    organisations: [...orgs.values()].sort((a, b) => b.people - a.people || (a.name < b.name ? -1 : 1)),
    sentAt: d.date,
    foundAt: foundAt.toISOString(),
    // This summary names no individual: addresses in the sender, the subject (`list for
    // frank.q@zeta.test`) and the Message-ID are masked too.
    sender: d.sender === null ? null : maskAddress(d.sender),
    subject: maskText(d.subject),
    messageId: maskText(d.messageId),
    source: d.source,
    fields: [...new Set(d.exposed.filter((p) => p.location === undefined).map((p) => p.field))],
    kinds: d.kinds,
    // Examples masked: this summary names no individual.
    exposures: d.exposures.map(redactExposure),
    notScanned: d.notScanned.map(redactNotScanned),
  };
}

export function formatBreachJson(b: BreachReport): string {
  return `${JSON.stringify(b, null, 2)}\n`;
}

const mdEscape = (s: string) => s.replace(/[\\`*_{}[\]<>()#+|!-]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, ' ');

export function formatBreachMarkdown(b: BreachReport): string {
  const fieldNames: Record<string, string> = { to: 'To', cc: 'Cc', 'apparently-to': 'Apparently-To', 'resent-to': 'Resent-To', 'resent-cc': 'Resent-Cc', 'reply-to': 'Reply-To', 'mail-followup-to': 'Mail-Followup-To', 'mail-reply-to': 'Mail-Reply-To' };
  const happened: string[] = [];
  if (b.kinds.length === 0 || b.kinds.includes('recipients')) happened.push(`An email showed its recipients' addresses to every recipient (in ${b.fields.map((f) => fieldNames[f] ?? f).join(', ')}) instead of hiding them (Bcc).`);
  for (const e of b.exposures) {
    happened.push(e.kind === 'invitation' ? `A calendar invitation showed every attendee to every invitee: ${mdEscape(describeExposure(e))}.` : `An email carried a list of addresses: ${mdEscape(describeExposure(e))}.`);
  }
  for (const n of b.notScanned) happened.push(`Not scanned: ${mdEscape(describeNotScanned(n))}; it may list more people.`);
  const lines = [
    `# Personal data breach: ${b.kinds.length === 0 || b.kinds.includes('recipients') ? 'recipient list' : 'address list'} exposed (incident ${b.incident})`,
    '',
    '| | |',
    '|---|---|',
    `| What happened | ${happened.join(' ')} |`,
    `| Data exposed | ${b.dataExposed.join('; ')} |`,
    `| People affected | ${b.peopleExposed} external${b.internalExposed ? ` (and ${b.internalExposed} internal)` : ''} |`,
    `| Shown to | ${b.recipients} recipients |`,
    `| Organisations | ${b.organisations.length} |`,
    `| Sent | ${b.sentAt ?? 'unknown (no readable Date)'} |`,
    `| Found | ${b.foundAt} |`,
    `| Sender | ${mdEscape(b.sender ?? 'unknown')} |`,
    `| Subject | ${mdEscape(b.subject || '(none)')} |`,
    `| Message-ID | ${mdEscape(b.messageId || '(none)')} |`,
    `| Found in | ${mdEscape(b.source)} |`,
    '',
    '## Organisations whose people were exposed',
    '',
    '| Organisation | People |',
    '|---|---:|',
    ...b.organisations.map((o) => `| ${mdEscape(o.private ? `private addresses at ${o.name}` : o.name)} | ${o.people} |`),
    '',
    'The list of the people affected (for notifying them) is produced separately with `mailguard audit ... --incident ' + b.incident + ' --no-redact --format csv`; this summary names no individual.',
  ];
  return `${lines.join('\n')}\n`;
}
