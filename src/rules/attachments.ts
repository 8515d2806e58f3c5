import type { BodyScanOptions, ScannedAttachment } from '../body/scan.js';
import { DEFAULT_SEVERITY, type Finding, type FindingArgs } from '../findings.js';
import { MAX_EXAMPLE_ADDRESSES } from '../limits.js';
import { effectiveThresholds, exposureLevel } from '../policy/policy.js';
import { headerAddresses, type RuleContext } from './context.js';

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/**
 * The findings of the attachment scan:
 * - ADDRESS_LIST_IN_ATTACHMENT: a sheet, document or zip member lists at least `minAddresses`
 *   distinct external addresses the header does not already show. A warning, like a list in the
 *   body, except where the sender cannot see it (at least `minAddresses` of them only in hidden
 *   sheets, rows, columns or outside the used range) or the list is sensitive: then it blocks.
 * - EXPOSED_ATTENDEES: an invitation's ATTENDEE and ORGANIZER addresses, classified like header
 *   recipients, span warnAt (warning) or blockAt (error) external parties, or number
 *   warnAddressesAt or blockAddressesAt external addresses; `sensitive` lowers the block thresholds.
 * - ATTACHMENT_NOT_SCANNED: what could not be read (info by default, so it changes neither the
 *   verdict nor --max-warnings; `rules` makes it a warning or an error).
 */
export function attachmentFindings(ctx: RuleContext, attachments: ScannedAttachment[], options: BodyScanOptions): Finding[] {
  const { parsed, classifier, policy } = ctx;
  const external = (a: string) => !classifier.isInternal(domainOf(a));
  let inHeader: ReadonlySet<string> | undefined;
  const findings: Finding[] = [];
  for (const att of attachments) {
    const where = <T extends object>(args: T): T & { fileName?: string } => (att.fileName !== undefined ? { ...args, fileName: att.fileName } : args);
    for (const unit of att.scan.units) {
      // One pass over what may be hundreds of thousands of addresses (bench scenario 8).
      let counted = 0;
      let hiddenCount = 0;
      const parties = new Set<string>();
      // Examples from the hidden part first: that is what the sender does not know they send.
      const hiddenExamples: string[] = [];
      const shownExamples: string[] = [];
      for (const a of unit.addresses) {
        const domain = domainOf(a);
        if (classifier.isInternal(domain) || (inHeader ??= headerAddresses(parsed)).has(a)) continue;
        counted++;
        parties.add(classifier.partyOf(a, domain));
        if (unit.hiddenAddresses.has(a)) {
          hiddenCount++;
          if (hiddenExamples.length < MAX_EXAMPLE_ADDRESSES) hiddenExamples.push(a);
        } else if (shownExamples.length < MAX_EXAMPLE_ADDRESSES) shownExamples.push(a);
      }
      if (counted < options.minAddresses) continue;
      const examples = [...hiddenExamples, ...shownExamples].slice(0, MAX_EXAMPLE_ADDRESSES);
      const args: FindingArgs['ADDRESS_LIST_IN_ATTACHMENT'] = where({
        part: att.part,
        contentType: att.contentType,
        format: att.scan.format,
        externalAddresses: counted,
        hiddenAddresses: hiddenCount,
        hidden: hiddenCount > 0 ? unit.hidden : unit.hidden.filter((h) => h.endsWith('-sheet')),
        parties: parties.size,
        threshold: options.minAddresses,
        examples,
        sensitive: policy.sensitive,
      });
      if (unit.location.entry !== undefined) args.entry = unit.location.entry;
      if (unit.location.messageText) args.messageText = true;
      if (unit.location.sheet !== undefined) args.sheet = unit.location.sheet;
      if (unit.location.rest) args.outsideSheets = true;
      const severity = policy.sensitive || hiddenCount >= options.minAddresses ? 'error' : 'warning';
      findings.push({ code: 'ADDRESS_LIST_IN_ATTACHMENT', severity, args });
    }
    const t = effectiveThresholds(policy);
    for (const cal of att.scan.calendars) {
      const externals = cal.attendees.filter(external);
      const parties = new Set(externals.map((a) => classifier.partyOf(a, domainOf(a))));
      // As EXPOSED_RECIPIENTS: organisations, or the number of addresses whatever their
      // organisations (thirty attendees of one company are thirty people shown to each other).
      const level = exposureLevel(parties.size, externals.length, t);
      if (!level) continue;
      const { severity, trigger, threshold } = level;
      const args: FindingArgs['EXPOSED_ATTENDEES'] = where({
        part: att.part,
        externalAddresses: externals.length,
        parties: parties.size,
        threshold,
        trigger,
        examples: externals.slice(0, MAX_EXAMPLE_ADDRESSES),
        sensitive: policy.sensitive,
      });
      if (cal.entry !== undefined) args.entry = cal.entry;
      if (cal.method !== undefined) args.method = cal.method;
      findings.push({ code: 'EXPOSED_ATTENDEES', severity, args });
    }
    for (const n of att.scan.notScanned) {
      const args: FindingArgs['ATTACHMENT_NOT_SCANNED'] = where({ part: att.part, contentType: att.contentType, reason: n.reason });
      if (n.entry !== undefined) args.entry = n.entry;
      if (n.detail !== undefined) args.detail = n.detail;
      findings.push({ code: 'ATTACHMENT_NOT_SCANNED', severity: DEFAULT_SEVERITY.ATTACHMENT_NOT_SCANNED, args });
    }
  }
  return findings;
}
