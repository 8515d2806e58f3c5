import type { Finding } from '../findings.js';
import { MAX_EXAMPLE_ADDRESSES } from '../limits.js';
import { coveredBy } from '../policy/classify.js';
import { effectiveThresholds } from '../policy/policy.js';
import type { RecipientView } from '../result.js';
import type { Rule } from './context.js';

/**
 * INTERNAL_DOMAIN_INFERRED (info): with no internal domain configured, warnAddressesAt or more of
 * the addresses every reader sees are at the sender's own domain, which inference counts as
 * internal, so they are not counted as exposed. That is right for a company writing to its
 * colleagues and wrong for a sender at a shared domain no provider list knows (an ISP such as
 * online.no, a relay): there the "colleagues" are customers who all see each other. The message
 * cannot tell the two apart, so mailguard says so instead of deciding silently; a policy that must
 * not guess raises the code (`rules`) or configures internalDomains.
 *
 * Counted at the domains inferred before a merged profile's cap (Classifier.senderDomains): an
 * address the cap makes external is still one the sender's profile would call internal, so a
 * merged policy reports at least what each of its profiles does (stricterPolicy).
 */
export const internalDomainInferred: Rule = ({ classifier, policy, visible, reply, shown }) => {
  const domains = classifier.senderDomains;
  if (!classifier.inferred || domains === undefined) return [];
  // Addresses under a trusted domain count as internal whatever the sender: not by inference.
  const trusted = policy.trustedDomains;
  const suffixes = domains.filter((d) => !trusted.some((b) => coveredBy(d, b))).map((d) => `@${d}`);
  if (suffixes.length === 0) return [];
  const threshold = effectiveThresholds(policy).warnAddressesAt;
  const all: readonly RecipientView[] = reply.length === 0 && shown.length === 0 ? visible : visible.concat(reply, shown);
  // Each recipient tested once; most messages have fewer such recipients than the threshold, so
  // the set of distinct ones is made only past it (bench scenario 1: the second pass testing every
  // recipient again was a third of this rule).
  const matching: RecipientView[] = [];
  // Indexed: see checkMessage's loop (a for-of step allocates where this runs once per message).
  for (let i = 0; i < all.length; i++) {
    const r = all[i]!;
    const address = r.address;
    for (const s of suffixes) {
      if (address.endsWith(s)) {
        matching.push(r);
        break;
      }
    }
  }
  if (matching.length < threshold) return [];
  const addresses = new Set<string>();
  for (const r of matching) addresses.add(r.address);
  const line = matching[0]?.line;
  if (addresses.size < threshold) return [];
  const finding: Finding = {
    code: 'INTERNAL_DOMAIN_INFERRED',
    severity: 'info',
    line: line!,
    args: {
      domains: suffixes.map((s) => s.slice(1)),
      field: classifier.inferredFrom ?? 'from',
      sameDomainAddresses: addresses.size,
      threshold,
      examples: [...addresses].slice(0, MAX_EXAMPLE_ADDRESSES),
    },
  };
  return [finding];
};
