// Calendar invitations (text/calendar parts, .ics files): ATTENDEE and ORGANIZER of every
// component are shown to every invitee, and so is the invitation's text (its description, which
// Outlook and Google Calendar show as the invitation's body, summary, location, comments). Parsed
// with ical.js (loaded on first use), which unfolds lines, unescapes text and reads quoted
// parameters as calendar clients do.

import { createRequire } from 'node:module';
import { findAddresses, textMayShowAt } from '../addresses.js';
import { htmlText } from '../html-text.js';
import type { CalendarScan } from './types.js';

const require = createRequire(import.meta.url);

interface IcalProperty {
  name: string;
  getFirstValue(): unknown;
  getValues(): unknown[];
  getParameter(name: string): unknown;
}
interface IcalComponent {
  name: string;
  getAllSubcomponents(): IcalComponent[];
  getAllProperties(name?: string): IcalProperty[];
  getFirstPropertyValue(name: string): unknown;
}
interface Ical {
  parse(text: string): unknown;
  Component: new (jcal: unknown) => IcalComponent;
}
let ical: Ical | undefined;

/** One address from a calendar user value: mailto:x@y (any case, percent-escapes decoded as in
 * any mailto: URI), or an EMAIL parameter (RFC 7986); else a display name (CN) that is an address,
 * which clients show for an attendee written without one (`CN="a@x":urn:uuid:...`). */
function calendarAddress(p: IcalProperty): string | undefined {
  const candidates = [p.getFirstValue(), p.getParameter('email'), p.getParameter('cn')];
  for (const c of candidates) {
    if (typeof c !== 'string') continue;
    let v = c.replace(/^mailto:/i, '');
    if (v.includes('%')) {
      try {
        v = decodeURIComponent(v);
      } catch {
        // Not a valid escape: read as written.
      }
    }
    const [first] = findAddresses(v);
    if (first !== undefined) return first;
  }
  return undefined;
}

/** Properties whose values a client does not show as text: identifiers and the participants
 * (counted as attendees). */
const NOT_SHOWN_TEXT: ReadonlySet<string> = new Set(['uid', 'attendee', 'organizer', 'related-to', 'x-ms-olk-original-uid']);

/** The addresses the text properties of `c` show (DESCRIPTION, SUMMARY, LOCATION, COMMENT,
 * CONTACT, Outlook's HTML X-ALT-DESC ...), into `found`. */
function shownText(c: IcalComponent, found: Set<string>): void {
  for (const p of c.getAllProperties()) {
    if (NOT_SHOWN_TEXT.has(p.name)) continue;
    for (const v of p.getValues()) {
      if (typeof v !== 'string') continue;
      const html = typeof p.getParameter('fmttype') === 'string' && /html/i.test(p.getParameter('fmttype') as string);
      if (textMayShowAt(v)) findAddresses(v, found);
      if (html && v.includes('&')) findAddresses(htmlText(v), found);
    }
  }
}

/** A CR no LF follows. */
const BARE_CR = /\r(?!\n)/;

/**
 * Attendees and organisers of every component, per calendar object (a file may hold several),
 * and the addresses its text shows besides them. ical.js breaks lines at LF only; a calendar with
 * a bare CR is read also with each bare CR as a line break, as the SMTP relay's client delivers it
 * (as CRLF) and readers that break lines at a CR read it: a calendar written with CR line ends
 * (or attendees joined by one) did not parse, or showed one attendee, here. What either reading
 * shows counts, a calendar both read alike once.
 */
export function scanCalendar(text: string): CalendarScan[] {
  if (!BARE_CR.test(text)) return readCalendar(text);
  let first: CalendarScan[] | undefined;
  let failure: unknown;
  try {
    first = readCalendar(text);
  } catch (err) {
    failure = err;
  }
  let second: CalendarScan[];
  try {
    second = readCalendar(text.replace(/\r(?!\n)/g, '\n'));
  } catch {
    if (first === undefined) throw failure;
    return first;
  }
  if (first === undefined) return second;
  const seen = new Set(first.map((s) => JSON.stringify(s)));
  return [...first, ...second.filter((s) => !seen.has(JSON.stringify(s)))];
}

function readCalendar(text: string): CalendarScan[] {
  ical ??= require('ical.js') as Ical;
  const parsed = ical.parse(text);
  // ical.parse returns one jCal array, or a list of them for several VCALENDARs.
  const roots = Array.isArray(parsed) && Array.isArray(parsed[0]) ? (parsed as unknown[]) : [parsed];
  const out: CalendarScan[] = [];
  for (const jcal of roots) {
    const root = new ical.Component(jcal);
    const people = new Set<string>();
    const written = new Set<string>();
    const visit = (c: IcalComponent, depth: number) => {
      for (const name of ['attendee', 'organizer']) {
        for (const p of c.getAllProperties(name)) {
          const a = calendarAddress(p);
          if (a !== undefined) people.add(a);
        }
      }
      shownText(c, written);
      if (depth < 4) for (const s of c.getAllSubcomponents()) visit(s, depth + 1);
    };
    visit(root, 0);
    const scan: CalendarScan = { attendees: [...people] };
    const shown = [...written].filter((a) => !people.has(a));
    if (shown.length > 0) scan.shown = shown;
    const method = root.getFirstPropertyValue('method');
    if (typeof method === 'string') scan.method = method.toUpperCase();
    out.push(scan);
  }
  return out;
}
