// Date and Subject of a message for the audit, from its header block. Pure.

import { decodeHeaderText, mayCarryAttachment } from '../body/mime.js';
import { MailguardError } from '../errors.js';
import { readHeaderBlock, unfold, type HeaderBlock, type HeaderField } from '../message/header-block.js';
import { parseMessage, VISIBLE_FIELDS } from '../message/parse-message.js';
import { isHostOfPeople, type Policy } from '../policy/policy.js';
import type { MessageResult } from '../result.js';
import { exposureLevelBesideList } from '../rules/exposed-recipients.js';
import type { AuditMeta } from './aggregate.js';
import { headerExposureOf } from './exposure.js';

/** Subjects are cut to this many characters in reports (a subject is a label, not content). */
export const MAX_SUBJECT_CHARS = 200;

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
/** RFC 5322 zone names (obs-zone): US zones and UT/GMT; a single military letter is read as -0000. */
const NAMED_ZONES: Record<string, number> = { ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };
const ZONE = String.raw`(?:([+-])(\d{2})(\d{2})|([A-Za-z]{1,5}))`;
/** [day-of-week ","] day month year hour ":" minute [":" second] zone [a zone name after it, as "-0500 EST"]. */
const RFC5322_DATE = new RegExp(String.raw`^(?:([A-Za-z]+)\s*,?\s*|,\s*)?(\d{1,2})[\s-]+([A-Za-z]+)[\s-]+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*${ZONE}(?:\s+[A-Za-z]{1,5})?$`);
/** asctime, as some scripts write it, with a zone: `Wed Sep 30 19:56:38 2020 +1000`, `Fri May 24 10:35:57 EDT 1991`. */
const ASCTIME_DATE = new RegExp(String.raw`^([A-Za-z]+)\s+([A-Za-z]+)\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:(\d{4})\s+${ZONE}|${ZONE}\s+(\d{4}))$`);
/** ISO 8601 with its offset: `2016-07-19 11:54:24 +0200`, `2026-11-02T10:00:00Z`. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:([+-])(\d{2}):?(\d{2})|(Z|UTC|GMT))$/i;

function monthOf(name: string): number {
  const lower = name.toLowerCase();
  // Jan, January, Sept: a month's name or its first three (four) letters, nothing else.
  return MONTH_NAMES.findIndex((m) => m === lower || ((lower.length === 3 || lower === 'sept') && m.startsWith(lower)));
}

/** Minutes east of UTC, or undefined for what is no zone (+02, -600, CEST: not RFC 5322). */
function zoneMinutes(sign: string | undefined, hh: string | undefined, mm: string | undefined, name: string | undefined): number | undefined {
  if (sign !== undefined) return Number(mm) > 59 ? undefined : (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm));
  const n = name?.toLowerCase();
  if (n === undefined) return undefined;
  if (n in NAMED_ZONES) return NAMED_ZONES[n];
  return /^[a-ik-z]$/.test(n) ? 0 : undefined;
}

function utcDate(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: number | undefined): Date | undefined {
  if (zone === undefined || month < 0 || year < 1900 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const t = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  // 31 Nov, 30 Feb: no such day (Date.UTC would roll it into the next month).
  if (new Date(t).getUTCDate() !== day) return undefined;
  return new Date(t - zone * 60_000);
}

/**
 * An RFC 5322 date (comments removed; two- and three-digit years as RFC 5322 4.3 reads them), an
 * asctime or ISO 8601 date with its zone, or undefined when it is not a date. Not Date.parse: its
 * guesses make a date of anything ending in a number ("Sent from my iPhone 5" is 1 May 2001,
 * "1" is 2001, "Mon, 2 Nov 0000" is 2000, 31 Nov is 1 December) and read a date without a zone in
 * the machine's time zone, so a message with a broken Date fell outside a --since range, unaudited
 * and counted as out of range. Without a readable date with its zone it is undated: audited
 * whatever the range.
 */
export function parseMailDate(value: string): Date | undefined {
  const text = value.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  let m = RFC5322_DATE.exec(text);
  if (m) {
    const [, dow, d, mon, y, hh, mm, ss, sign, zh, zm, name] = m;
    if (dow !== undefined && !/^(?:mon|tue|wed|thu|fri|sat|sun)/i.test(dow)) return undefined;
    let year = Number(y);
    if (y!.length === 2) year += year < 50 ? 2000 : 1900;
    else if (y!.length === 3) year += 1900;
    return utcDate(year, monthOf(mon!), Number(d), Number(hh), Number(mm), Number(ss ?? 0), zoneMinutes(sign, zh, zm, name));
  }
  m = ASCTIME_DATE.exec(text);
  if (m) {
    const [, dow, mon, d, hh, mm, ss, y1, s1, h1, m1, n1, s2, h2, m2, n2, y2] = m;
    if (!/^(?:mon|tue|wed|thu|fri|sat|sun)/i.test(dow!)) return undefined;
    const zone = y1 !== undefined ? zoneMinutes(s1, h1, m1, n1) : zoneMinutes(s2, h2, m2, n2);
    return utcDate(Number(y1 ?? y2), monthOf(mon!), Number(d), Number(hh), Number(mm), Number(ss ?? 0), zone);
  }
  m = ISO_DATE.exec(text);
  if (m) {
    const [, y, mo, d, hh, mm, ss, sign, zh, zm, utc] = m;
    return utcDate(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm), Number(ss ?? 0), utc !== undefined ? 0 : zoneMinutes(sign, zh, zm, undefined));
  }
  return undefined;
}

/** The date of an mbox `From sender Mon Nov  2 10:00:00 2026` line, read as UTC. A day the month
 * does not have (Nov 31) is no date: Date.parse rolled it into the next month, out of a range. */
export function parseFromLineDate(line: string): Date | undefined {
  const m = /^From \S+\s+(?:mon|tue|wed|thu|fri|sat|sun) (\w{3})\s+(\d{1,2}) (\d{1,2}):(\d{2})(?::(\d{2}))? (\d{4})/i.exec(line);
  if (!m) return undefined;
  const [, mon, d, hh, mm, ss, y] = m;
  return utcDate(Number(y), monthOf(mon!), Number(d), Number(hh), Number(mm), Number(ss ?? 0), 0);
}

/**
 * When a message was last sent: its Date, or the newest Resent-Date of a message resent (RFC 5322
 * 3.6.6: each resending adds a block, and the copy in a Sent folder is that of its last sending,
 * whose Resent-To check reads). Undefined (undated, audited whatever the range) when a date cannot
 * be read for certain: a Date or Resent-Date field that does not read as a date, or two Date
 * fields that name different times (which one a reader shows depends on the reader). Only the
 * first Date was read, so a message resent to customers in the range, or whose second Date was
 * in it, was counted out of range and never checked.
 */
function sendingDate(header: HeaderBlock): Date | undefined {
  const dates = header.fields.filter((f) => f.key === 'date' || f.key === 'resent-date');
  let latest: Date | undefined;
  let original: number | undefined;
  for (const f of dates) {
    const date = parseMailDate(unfold(f.rawValue, header.lineEnding));
    if (date === undefined) return undefined;
    if (f.key === 'date') {
      if (original !== undefined && original !== date.getTime()) return undefined;
      original = date.getTime();
    }
    if (latest === undefined || date > latest) latest = date;
  }
  return latest;
}

export function readAuditMeta(bytes: Uint8Array, mboxFromLine?: string, header: HeaderBlock = readHeaderBlock(bytes)): AuditMeta {
  const meta: AuditMeta = {};
  const fallback = mboxFromLine ?? header.mboxFromLine;
  const when = sendingDate(header) ?? (fallback ? parseFromLineDate(fallback) : undefined);
  if (when) meta.date = when;
  const subjectField = header.fields.find((f) => f.key === 'subject');
  if (subjectField) {
    const subject = decodeHeaderText(unfold(subjectField.rawValue, header.lineEnding)).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
    meta.subject = subject.length > MAX_SUBJECT_CHARS ? `${subject.slice(0, MAX_SUBJECT_CHARS - 1)}…` : subject;
  }
  // A mailing list's own copy (RFC 2919 List-Id, RFC 2369 List-Post) may be list traffic: the
  // list's addresses are the list's business, not the sender's exposure (settled by isListTraffic, once check has measured the message).
  const listFields = header.fields.filter((f) => f.key === 'list-id' || f.key === 'list-post');
  if (listFields.length > 0) {
    const named = listNamed(header, listFields);
    if (named !== undefined && listShowsItself(bytes, header, named)) meta.list = named;
  }
  // Read here, from the header block already parsed, so the audit decides on the scan for free.
  if (mayCarryAttachment(header)) meta.mayCarryAttachment = true;
  return meta;
}

export interface ListNames {
  /** Whether an address is one the list fields name: List-Post's mailto, or the List-Id read as an address. */
  isNamed(address: string): boolean;
  /** Whether an address is at a List-Id's host (`lists.example.org` for dev.lists.example.org) that is no mail provider's or public suffix. */
  isAtHost(address: string): boolean;
}

/** The addresses and hosts the List-Id and List-Post fields name; undefined when they name more than one list. */
function listNamed(header: HeaderBlock, fields: readonly HeaderField[]): ListNames | undefined {
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
  // One list's copy names one list (RFC 2919: one List-Id). Several ids or posting addresses name
  // no one list, and each would excuse what it names: such a message is measured as check does.
  if (ids.size > 1 || posts.size > 1) return undefined;
  const isNamed = (address: string): boolean => {
    const lower = address.toLowerCase();
    const at = lower.lastIndexOf('@');
    return posts.has(lower) || (at > 0 && ids.has(`${lower.slice(0, at)}.${lower.slice(at + 1)}`));
  };
  const hosts = new Set([...ids].map((id) => id.slice(id.indexOf('.') + 1)).filter((h) => h.includes('.') && !isHostOfPeople(h)));
  const isAtHost = (address: string): boolean => hosts.has(address.slice(address.lastIndexOf('@') + 1).toLowerCase());
  return { isNamed, isAtHost };
}

/**
 * Whether the list the List-Id or List-Post fields name is itself a visible recipient (To, Cc ...):
 * its posting address (List-Post's mailto), its List-Id read as an address (`dev.lists.example.org`
 * for dev@lists.example.org), or an address at the list-id's host. A list's copy names the list it
 * went through; a bulk mailer's List-Id above a To of customers does not, and such a message was
 * never list traffic. Read only for messages with those fields.
 */
function listShowsItself(bytes: Uint8Array, header: HeaderBlock, names: ListNames): boolean {
  const visible = new Set<string>(VISIBLE_FIELDS);
  for (const a of parseMessage(bytes, header).addresses) {
    if (!visible.has(a.field)) continue;
    const address = a.mailbox.address.toLowerCase();
    if (names.isNamed(address) || names.isAtHost(address)) return true;
  }
  return false;
}

/**
 * Whether a message that shows its list (meta.list) is list traffic: the list's header excuses
 * only the addresses it names. What else the message shows (customers in Cc beside the newsletter's
 * address, a Reply-To list, people at the list's host or at a mail provider) is measured as check
 * measures it (EXPOSED_RECIPIENTS' count and thresholds, under the message's policy); an exposure
 * there makes the message an incident like any other. A reply to a list with one or two people in
 * Cc stays list traffic, and so does a post to a configured public list (--public-list, publicLists).
 */
export function isListTraffic(meta: AuditMeta, result: MessageResult, policy: Policy): boolean {
  if (meta.list === undefined) return false;
  // A post to a configured public list: check's own verdict, already made (PUBLIC_LIST_POST),
  // unless check still flags a reply field the public post does not excuse.
  if (result.findings.some((f) => f.code === 'PUBLIC_LIST_POST')) return headerExposureOf(result) === undefined;
  return exposureLevelBesideList(result.recipients, policy, meta.list) === undefined;
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
