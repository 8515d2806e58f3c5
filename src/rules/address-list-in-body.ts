import type { BodyScanOptions, PartAddresses } from '../body/scan.js';
import type { Finding } from '../findings.js';
import { MAX_EXAMPLE_ADDRESSES } from '../limits.js';
import { headerAddresses, type RuleContext } from './context.js';

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/**
 * ADDRESS_LIST_IN_BODY: a text part or text-like attachment lists at least `minAddresses`
 * distinct external addresses. Addresses the header already shows (From, To, Cc, Reply-To ...)
 * are not counted: they are not exposed by the body. Quoted-thread addresses count once per
 * message, in the first reported part that quotes them. Runs only on whole messages (CheckOptions.body).
 */
export function addressListInBody(ctx: RuleContext, scanned: PartAddresses[], options: BodyScanOptions): Finding[] {
  const { parsed, classifier } = ctx;
  let inHeader: ReadonlySet<string> | undefined;
  const external = (a: string) => !(inHeader ??= headerAddresses(parsed)).has(a) && !classifier.isInternal(domainOf(a));
  const quotedSeen = new Set<string>();
  const findings: Finding[] = [];
  for (const part of scanned) {
    const counted = new Set<string>();
    for (const a of part.own) if (external(a)) counted.add(a);
    const quotedHere: string[] = [];
    for (const a of part.quoted) {
      if (counted.has(a) || quotedSeen.has(a) || !external(a)) continue;
      counted.add(a);
      quotedHere.push(a);
    }
    if (counted.size < options.minAddresses) continue;
    // Only a reported part's quoted addresses are spent: a reply quoting 8 of them must not keep
    // the forwarded message after it, whose header shows all 12, below the threshold.
    for (const a of quotedHere) quotedSeen.add(a);
    const quotedAddresses = quotedHere.length;
    const parties = new Set<string>();
    for (const a of counted) parties.add(classifier.partyOf(a, domainOf(a)));
    const args: Extract<Finding, { code: 'ADDRESS_LIST_IN_BODY' }>['args'] = {
      part: part.part,
      contentType: part.contentType,
      externalAddresses: counted.size,
      parties: parties.size,
      quotedAddresses,
      threshold: options.minAddresses,
      examples: [...counted].slice(0, MAX_EXAMPLE_ADDRESSES),
      truncated: part.truncated,
    };
    if (part.fileName !== undefined) args.fileName = part.fileName;
    findings.push({ code: 'ADDRESS_LIST_IN_BODY', severity: 'warning', args });
  }
  return findings;
}
