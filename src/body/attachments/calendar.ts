// Calendar invitations (text/calendar parts, .ics files): ATTENDEE and ORGANIZER of every
// component are shown to every invitee. Parsed with ical.js (loaded on first use), which unfolds
// lines and reads quoted parameters as calendar clients do.

import { createRequire } from 'node:module';
import { findAddresses } from '../addresses.js';
import type { CalendarScan } from './types.js';

const require = createRequire(import.meta.url);

interface IcalProperty {
  getFirstValue(): unknown;
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

/** One address from a calendar user value: mailto:x@y (any case), or an EMAIL parameter (RFC 7986). */
function calendarAddress(p: IcalProperty): string | undefined {
  const candidates = [p.getFirstValue(), p.getParameter('email')];
  for (const c of candidates) {
    if (typeof c !== 'string') continue;
    const v = c.replace(/^mailto:/i, '');
    const [first] = findAddresses(v);
    if (first !== undefined) return first;
  }
  return undefined;
}

/** Attendees and organisers of every component, per calendar object (a file may hold several). */
export function scanCalendar(text: string): CalendarScan[] {
  ical ??= require('ical.js') as Ical;
  const parsed = ical.parse(text);
  // ical.parse returns one jCal array, or a list of them for several VCALENDARs.
  const roots = Array.isArray(parsed) && Array.isArray(parsed[0]) ? (parsed as unknown[]) : [parsed];
  const out: CalendarScan[] = [];
  for (const jcal of roots) {
    const root = new ical.Component(jcal);
    const people = new Set<string>();
    const visit = (c: IcalComponent, depth: number) => {
      for (const name of ['attendee', 'organizer']) {
        for (const p of c.getAllProperties(name)) {
          const a = calendarAddress(p);
          if (a !== undefined) people.add(a);
        }
      }
      if (depth < 4) for (const s of c.getAllSubcomponents()) visit(s, depth + 1);
    };
    visit(root, 0);
    const scan: CalendarScan = { attendees: [...people] };
    const method = root.getFirstPropertyValue('method');
    if (typeof method === 'string') scan.method = method.toUpperCase();
    out.push(scan);
  }
  return out;
}
