// Date and Subject of a message for the audit, from its header block. Pure.

import { decodeHeaderText, mayCarryAttachment } from '../body/mime.js';
import { MailguardError } from '../errors.js';
import { readHeaderBlock, unfold, type HeaderBlock, type HeaderField } from '../message/header-block.js';
import { parseMessage, VISIBLE_FIELDS } from '../message/parse-message.js';
import type { AuditMeta } from './aggregate.js';

/** Subjects are cut to this many characters in reports (a subject is a label, not content). */
export const MAX_SUBJECT_CHARS = 200;

/** An RFC 5322 date (comments removed), or undefined when it is not a date. */
export function parseMailDate(value: string): Date | undefined {
  const text = value.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  if (text === '') return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) return undefined;
  return new Date(t);
}

/** The date of an mbox `From sender Mon Nov  2 10:00:00 2026` line, read as UTC. */
export function parseFromLineDate(line: string): Date | undefined {
  const m = /^From \S+\s+(\w{3} \w{3}\s+\d{1,2} \d{1,2}:\d{2}(?::\d{2})? \d{4})/.exec(line);
  if (!m) return undefined;
  const t = Date.parse(`${m[1]} GMT`);
  return Number.isNaN(t) ? undefined : new Date(t);
}

export function readAuditMeta(bytes: Uint8Array, mboxFromLine?: string): AuditMeta {
  const header = readHeaderBlock(bytes);
  const meta: AuditMeta = {};
  const dateField = header.fields.find((f) => f.key === 'date');
  const date = dateField ? parseMailDate(unfold(dateField.rawValue, header.lineEnding)) : undefined;
  const fallback = mboxFromLine ?? header.mboxFromLine;
  const when = date ?? (fallback ? parseFromLineDate(fallback) : undefined);
  if (when) meta.date = when;
  const subjectField = header.fields.find((f) => f.key === 'subject');
  if (subjectField) {
    const subject = decodeHeaderText(unfold(subjectField.rawValue, header.lineEnding)).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
    meta.subject = subject.length > MAX_SUBJECT_CHARS ? `${subject.slice(0, MAX_SUBJECT_CHARS - 1)}…` : subject;
  }
  // A mailing list's own copy (RFC 2919 List-Id, RFC 2369 List-Post): list traffic, whose
  // visible recipients are the list's business, not the sender's exposure.
  const listFields = header.fields.filter((f) => f.key === 'list-id' || f.key === 'list-post');
  if (listFields.length > 0 && listShowsItself(bytes, header, listFields)) meta.listTraffic = true;
  // Read here, from the header block already parsed, so the audit decides on the scan for free.
  if (mayCarryAttachment(header)) meta.mayCarryAttachment = true;
  return meta;
}

/**
 * Whether the list the List-Id or List-Post fields name is itself a visible recipient (To, Cc ...):
 * its posting address (List-Post's mailto), its List-Id read as an address (`dev.lists.example.org`
 * for dev@lists.example.org), or an address at the list-id's host. A list's copy names the list it
 * went through; a bulk mailer's List-Id above a To of customers does not, and such a message was
 * never an incident. Read only for messages with those fields.
 */
function listShowsItself(bytes: Uint8Array, header: HeaderBlock, fields: readonly HeaderField[]): boolean {
  const posts = new Set<string>();
  const ids = new Set<string>();
  for (const f of fields) {
    const value = unfold(f.rawValue, header.lineEnding);
    if (f.key === 'list-post') {
      for (const m of value.matchAll(/<\s*mailto:([^>?\s]+)/gi)) {
        try {
          posts.add(decodeURIComponent(m[1]!).toLowerCase());
        } catch {
          posts.add(m[1]!.toLowerCase());
        }
      }
    } else {
      const id = (/<([^>]*)>/.exec(value)?.[1] ?? value).trim().toLowerCase();
      if (id.includes('.')) ids.add(id);
    }
  }
  const visible = new Set<string>(VISIBLE_FIELDS);
  for (const a of parseMessage(bytes, header).addresses) {
    if (!visible.has(a.field)) continue;
    const address = a.mailbox.address.toLowerCase();
    const at = address.lastIndexOf('@');
    const domain = address.slice(at + 1);
    if (posts.has(address) || ids.has(`${address.slice(0, at)}.${domain}`)) return true;
    for (const id of ids) if (id.slice(id.indexOf('.') + 1) === domain) return true;
  }
  return false;
}

/**
 * A --since / --until value: YYYY-MM-DD, YYYY-MM, or an ISO date-time. A day or month given
 * alone covers all of it: --until 2026-11 ends on 30 November 23:59:59.999 UTC.
 */
export function parseRangeDate(value: string, flag: '--since' | '--until'): Date {
  const end = flag === '--until';
  let m = /^(\d{4})-(\d{2})$/.exec(value);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    if (mo >= 1 && mo <= 12) return end ? new Date(Date.UTC(y, mo, 1) - 1) : new Date(Date.UTC(y, mo - 1, 1));
  }
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (d.toISOString().slice(0, 10) === value) return end ? new Date(d.getTime() + 86_400_000 - 1) : d;
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) {
    return new Date(Date.parse(value));
  }
  throw new MailguardError('EUSAGE', `${flag} takes a date such as 2026-11-02, 2026-11 or 2026-11-02T10:00:00Z (got "${value}").`);
}
