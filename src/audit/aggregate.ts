// The exposure audit's aggregation: message results in, incidents and totals out. Pure. Keeps
// only incidents (and the distinct exposed addresses), never whole results. With `onIncident`,
// incidents are handed out as they are found (the CLI keeps them in a temporary file) and only the
// few the reports show apart (the worst, the first rows of the HTML page) are kept, so memory does
// not grow with the incidents either.

import { DEFAULT_PROFILE } from '../policy/config.js';
import { describeFinding, describeUnreadable } from '../report/messages.js';
import type { MessageResult } from '../result.js';
import { exposuresOf, headerExposureOf, incidentKinds, isIncident, notScannedOf, unclearHeaderOf, type AuditExposure, type AuditNotScanned, type IncidentKind } from './exposure.js';
import type { ListNames } from './meta.js';

/** Incidents listed as "worst" (most external addresses exposed). */
export const WORST_INCIDENTS = 10;

/** Unreadable inputs named in the report; past this only the count grows. */
export const MAX_LISTED_UNREADABLE = 100;

export interface AuditIncident {
  /** Stable ID derived from the message (see incidentId), for `audit --incident ID`; '' when not given. */
  id: string;
  /** The message: a path, `path#N` inside an mbox, `imap://user@host:port/Folder;UID=N`. */
  source: string;
  /** ISO 8601 (UTC) from the Date field (or the mbox From_ line); null when neither can be read. */
  date: string | null;
  subject: string;
  /** The From address; null when it cannot be read. */
  sender: string | null;
  /** Distinct external addresses visible in To/Cc/Resent-To/Resent-Cc, plus those listed in each
   * exposure (attachment sheet, invitation, text part: counted per list). */
  exposedExternal: number;
  /** External organisations among them (per list, like the addresses). */
  parties: number;
  /** Distinct recipients: visible plus Bcc (and envelope-only recipients, for SMTP input). */
  recipients: number;
  severity: 'error' | 'warning';
  /** The visible fields that held external addresses (none when only an attachment exposed a list). */
  fields: string[];
  /** A few of the exposed addresses (To/Cc first, else the first list's). */
  examples: string[];
  /** The profile whose policy checked it (configuration `profiles`; `default` the top level). */
  profile: string;
  /** What it exposed: `recipients` (To/Cc), `attachment`, `invitation`, `body`. */
  kinds: IncidentKind[];
  /** The lists in its attachments, invitations and text, each with where it was (sheet, hidden ...). */
  exposures: AuditExposure[];
  /** Its attachments that could not be scanned (not known to be clean). */
  notScanned: AuditNotScanned[];
}

/** A message with attachments the audit could not scan. */
export interface AuditNotScannedMessage {
  source: string;
  parts: AuditNotScanned[];
}

export interface AuditProfile {
  profile: string;
  incidents: number;
  exposedAddresses: number;
}

export interface AuditMonth {
  /** YYYY-MM (UTC). */
  month: string;
  incidents: number;
  /** Sum over the month's incidents of the addresses each exposed. */
  exposedAddresses: number;
}

export interface AuditSender {
  sender: string;
  incidents: number;
  exposedAddresses: number;
}

export interface AuditSummary {
  /** Messages audited (in the date range). */
  messages: number;
  incidents: number;
  /** Distinct external addresses exposed across all incidents. */
  exposedAddresses: number;
  /** Distinct external organisations exposed across all incidents. */
  exposedParties: number;
  /** Messages with List-Id or List-Post that show their list and expose nothing beside it (mailing-list traffic), counted apart. */
  listTraffic: number;
  /** Of those, how many check flags for the list itself (the list counted as an organisation beside the one or two people shown). */
  listTrafficExposing: number;
  /** Inputs that could not be read as messages. */
  unreadable: number;
  unreadableSources: string[];
  /** Files found (directory walk, glob) that are not mail and were not read. */
  notRead: number;
  /** The first of them, with what each is instead ("PNG image"). */
  notReadFiles: Array<{ path: string; kind: string }>;
  /** Why each listed input could not be read (same order as unreadableSources). */
  unreadableReasons: string[];
  /** Messages left out because they are outside --since/--until. */
  outOfRange: number;
  /** Messages without a readable date (kept when a date range is given: they may fall in it). */
  undated: number;
  since: string | null;
  until: string | null;
  firstIncident: string | null;
  lastIncident: string | null;
  /** Incidents per month, in month order (months without incidents are left out). */
  months: AuditMonth[];
  /** Incidents without a date. */
  undatedIncidents: number;
  /** Senders with more than one incident, most incidents first. */
  repeatSenders: AuditSender[];
  /** Indexes into `incidents` of the worst incidents, worst first. */
  worst: number[];
  /** Incidents grouped by the profile that applied, most incidents first. */
  profiles: AuditProfile[];
  /** Incidents with a list in an attachment, an invitation or (when the policy blocks it) the text. */
  attachmentIncidents: number;
  /** External addresses listed in those lists (counted per list: a sheet, an invitation, a part). */
  listedAddresses: number;
  /** Messages with an attachment that could not be scanned (encrypted, over a limit ...): not known to be clean. */
  notScanned: number;
  /** The first of them, with what could not be read. */
  notScannedMessages: AuditNotScannedMessage[];
}

export interface AuditReport {
  summary: AuditSummary;
  incidents: AuditIncident[];
}

export interface AuditMeta {
  /** The incident ID of the message (computed by the caller for messages with an incident). */
  id?: string;
  date?: Date;
  subject?: string;
  /** Its List-Id or List-Post names a list among its visible recipients: the list's addresses. */
  list?: ListNames;
  /** Mailing-list traffic, counted apart from incidents: its list shows itself, and nothing beside the
   * list's own addresses makes an exposure (isListTraffic, src/audit/meta.ts). */
  listTraffic?: boolean;
  /** Its header says it may carry an attachment or invitation (more than one plain or HTML text part). */
  mayCarryAttachment?: boolean;
}

export interface AuditOptions {
  since?: Date;
  until?: Date;
  /** Receives each incident as it is found; the audit then keeps only the worst ones and the
   * first `keepFirst` (finish() returns those in `kept`, and `incidents` empty). */
  onIncident?: (incident: AuditIncident) => void;
  keepFirst?: number;
}

/** The incidents the reports show apart from the list of all of them. */
export interface KeptIncidents {
  /** The worst incidents, in the order of summary.worst. */
  worst: AuditIncident[];
  /** The first incidents, in order (up to keepFirst). */
  first: AuditIncident[];
}

export interface Audit {
  /** Whether a message dated `date` is inside the range (an undated one always is: it may be). */
  inRange(date: Date | undefined): boolean;
  /** Adds one message: its result (undefined only for a message outside the range, which is not checked) and its date and subject. */
  add(result: MessageResult | undefined, meta: AuditMeta): void;
  /** Counts a file found that is not mail. */
  notMail(file: { path: string; kind: string }): void;
  finish(): AuditReport & { kept: KeptIncidents };
}

/**
 * A copy that holds no slice of a larger string: an address or subject kept for the totals must
 * not keep its whole header block alive. (Concatenation flattens into a new string; the copy is
 * taken only for strings kept across messages.)
 */
function own(s: string): string {
  return s.length < 13 ? s : (` ${s}`).slice(1);
}

function ownIncident(i: AuditIncident): AuditIncident {
  return {
    ...i,
    source: own(i.source),
    subject: own(i.subject),
    sender: i.sender === null ? null : own(i.sender),
    fields: i.fields.map(own),
    examples: i.examples.map(own),
    exposures: i.exposures.map((e) => ({ ...e, examples: e.examples.map(own) })),
  };
}

function monthOf(iso: string): string {
  return iso.slice(0, 7);
}

export function createAudit(options: AuditOptions = {}): Audit {
  const incidents: AuditIncident[] = [];
  const streaming = options.onIncident !== undefined;
  const keepFirst = options.keepFirst ?? 0;
  const first: AuditIncident[] = [];
  /** With onIncident: the worst so far, worst first (most exposed, then earliest). */
  let worstKept: Array<{ index: number; incident: AuditIncident }> = [];
  let count = 0;
  let firstDate: string | null = null;
  let lastDate: string | null = null;
  const exposed = new Set<string>();
  const parties = new Set<string>();
  const months = new Map<string, AuditMonth>();
  const senders = new Map<string, AuditSender>();
  const profiles = new Map<string, AuditProfile>();
  const unreadableSources: string[] = [];
  const unreadableReasons: string[] = [];
  let messages = 0;
  let listTraffic = 0;
  let listTrafficExposing = 0;
  let unreadable = 0;
  let outOfRange = 0;
  const notReadFiles: Array<{ path: string; kind: string }> = [];
  let notRead = 0;
  let undated = 0;
  let undatedIncidents = 0;
  let attachmentIncidents = 0;
  let listedAddresses = 0;
  let notScanned = 0;
  const notScannedMessages: AuditNotScannedMessage[] = [];
  const ranged = options.since !== undefined || options.until !== undefined;

  const inRange = (date: Date | undefined): boolean => {
    if (!ranged) return true;
    // A message whose date cannot be read may lie in the range: an audit that left it out could
    // miss an exposure in the months asked about, so it is kept (and counted as undated).
    if (date === undefined) return true;
    if (options.since && date < options.since) return false;
    if (options.until && date > options.until) return false;
    return true;
  };

  return {
    inRange,
    add(result, meta) {
      const notRead = (source: string, reason: string) => {
        unreadable++;
        if (unreadableSources.length < MAX_LISTED_UNREADABLE) {
          unreadableSources.push(source);
          unreadableReasons.push(reason);
        }
      };
      if (result && result.verdict === 'error' && result.findings.some((f) => f.code === 'UNREADABLE_MESSAGE')) {
        const f = result.findings.find((x) => x.code === 'UNREADABLE_MESSAGE');
        notRead(result.source, f && f.code === 'UNREADABLE_MESSAGE' ? describeUnreadable(f.args.reason, f.args.detail) : 'cannot be read');
        return;
      }
      if (meta.date === undefined) undated++;
      if (!inRange(meta.date)) {
        if (meta.date !== undefined) outOfRange++;
        return;
      }
      if (!result) return;
      // check blocks a header it cannot read (who saw whom cannot be told): without an incident
      // found in it, the message is not known to be clean, and the audit is incomplete.
      const unclear = unclearHeaderOf(result);
      if (unclear && !isIncident(result)) {
        notRead(result.source, describeUnreadable('unclear-header', describeFinding(unclear, { redact: true })));
        return;
      }
      messages++;
      // Not scanned is never clean: counted for every message, incident or not.
      const unscanned = notScannedOf(result);
      if (unscanned.length > 0) {
        notScanned++;
        if (notScannedMessages.length < MAX_LISTED_UNREADABLE) notScannedMessages.push({ source: own(result.source), parts: unscanned });
      }
      const header = headerExposureOf(result);
      const exposures = exposuresOf(result);
      if (meta.listTraffic) {
        listTraffic++;
        if (header) listTrafficExposing++;
        // A list's To/Cc is the list's business; a spreadsheet or invitation it carries is not.
        if (exposures.length === 0) return;
      }
      const finding = meta.listTraffic ? undefined : header;
      if (!finding && exposures.length === 0) return;
      if (finding) {
        // Everyone the finding counted: To/Cc, the reply fields and the other addresses shown.
        for (const r of finding.counted) {
          if (r.internal) continue;
          if (!exposed.has(r.address)) exposed.add(own(r.address));
          if (!parties.has(r.party)) parties.add(own(r.party));
        }
      }
      const all = new Set<string>();
      for (const r of result.recipients.visible) all.add(r.address);
      for (const r of result.recipients.blind) all.add(r.address);
      for (const h of result.recipients.hidden) all.add(h.address);
      const date = meta.date ? meta.date.toISOString() : null;
      const listed = exposures.reduce((n, e) => n + e.externalAddresses, 0);
      const severity = finding?.severity === 'error' || exposures.some((e) => e.severity === 'error') ? 'error' : 'warning';
      const incident: AuditIncident = {
        id: meta.id ?? '',
        source: result.source,
        date,
        subject: meta.subject ?? '',
        sender: result.sender ?? null,
        exposedExternal: (finding ? finding.externalAddresses : 0) + listed,
        parties: (finding ? finding.parties : 0) + exposures.reduce((n, e) => n + e.parties, 0),
        recipients: all.size,
        severity,
        fields: finding ? finding.fields : [],
        examples: finding ? finding.examples : (exposures[0]?.examples ?? []),
        profile: result.profile ?? DEFAULT_PROFILE,
        kinds: incidentKinds(finding !== undefined, exposures),
        exposures,
        notScanned: unscanned,
      };
      if (exposures.length > 0) {
        attachmentIncidents++;
        listedAddresses += listed;
      }
      const index = count++;
      if (date !== null) {
        if (firstDate === null || date < firstDate) firstDate = date;
        if (lastDate === null || date > lastDate) lastDate = date;
      }
      if (streaming) {
        options.onIncident!(incident);
        const last = worstKept[worstKept.length - 1];
        const keep = worstKept.length < WORST_INCIDENTS || incident.exposedExternal > last!.incident.exposedExternal;
        if (first.length < keepFirst || keep) {
          const copy = ownIncident(incident);
          if (first.length < keepFirst) first.push(copy);
          if (keep) {
            worstKept.push({ index, incident: copy });
            // Stable: equal counts keep input order, as the sort over all incidents does.
            worstKept.sort((a, b) => b.incident.exposedExternal - a.incident.exposedExternal || a.index - b.index);
            worstKept = worstKept.slice(0, WORST_INCIDENTS);
          }
        }
      } else incidents.push(incident);
      const byProfile = profiles.get(incident.profile) ?? { profile: incident.profile, incidents: 0, exposedAddresses: 0 };
      byProfile.incidents++;
      byProfile.exposedAddresses += incident.exposedExternal;
      profiles.set(incident.profile, byProfile);
      if (date) {
        const key = monthOf(date);
        const m = months.get(key) ?? { month: key, incidents: 0, exposedAddresses: 0 };
        m.incidents++;
        m.exposedAddresses += incident.exposedExternal;
        months.set(key, m);
      } else undatedIncidents++;
      const senderKey = incident.sender ?? '(unknown sender)';
      const s = senders.get(senderKey) ?? { sender: own(senderKey), incidents: 0, exposedAddresses: 0 };
      s.incidents++;
      s.exposedAddresses += incident.exposedExternal;
      senders.set(senderKey, s);
    },
    notMail(file) {
      notRead++;
      if (notReadFiles.length < MAX_LISTED_UNREADABLE) notReadFiles.push({ path: file.path, kind: file.kind });
    },
    finish() {
      const worst = streaming
        ? worstKept.map((w) => w.index)
        : incidents
            .map((_, i) => i)
            .sort((a, b) => incidents[b]!.exposedExternal - incidents[a]!.exposedExternal || a - b)
            .slice(0, WORST_INCIDENTS);
      const kept: KeptIncidents = streaming ? { worst: worstKept.map((w) => w.incident), first } : { worst: worst.map((i) => incidents[i]!), first: incidents.slice(0, keepFirst) };
      return {
        summary: {
          messages,
          incidents: count,
          exposedAddresses: exposed.size,
          exposedParties: parties.size,
          listTraffic,
          listTrafficExposing,
          unreadable,
          unreadableSources,
          notRead,
          notReadFiles,
          unreadableReasons,
          outOfRange,
          undated,
          since: options.since ? options.since.toISOString() : null,
          until: options.until ? options.until.toISOString() : null,
          firstIncident: firstDate,
          lastIncident: lastDate,
          months: [...months.values()].sort((a, b) => (a.month < b.month ? -1 : 1)),
          undatedIncidents,
          repeatSenders: [...senders.values()].filter((s) => s.incidents > 1).sort((a, b) => b.incidents - a.incidents || b.exposedAddresses - a.exposedAddresses || (a.sender < b.sender ? -1 : 1)),
          worst,
          profiles: [...profiles.values()].sort((a, b) => b.incidents - a.incidents || (a.profile < b.profile ? -1 : 1)),
          attachmentIncidents,
          listedAddresses,
          notScanned,
          notScannedMessages,
        },
        incidents,
        kept,
      };
    },
  };
}

/** Every month from `first` to `last` (YYYY-MM), for a time axis with gaps shown. */
export function monthRange(first: string, last: string): string[] {
  const out: string[] = [];
  let [y, m] = first.split('-').map(Number) as [number, number];
  const [ly, lm] = last.split('-').map(Number) as [number, number];
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}
