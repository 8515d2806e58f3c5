import type { Finding } from '../findings.js';
import { MAX_EXAMPLE_ADDRESSES } from '../limits.js';
import { effectiveThresholds, exposureLevel, type Policy } from '../policy/policy.js';
import type { RecipientView } from '../result.js';
import { externalSummary, type Rule } from './context.js';

/** The configured public list `address` is, if any (`list@host` exactly, or `*@host`). */
function publicListOf(address: string, policy: Policy): string | undefined {
  const lists = policy.publicLists;
  if (!lists || lists.length === 0) return undefined;
  const lower = address.toLowerCase();
  const host = lower.slice(lower.lastIndexOf('@') + 1);
  for (const l of lists) if (l === lower || l === `*@${host}`) return lower;
  return undefined;
}

/**
 * The addresses EXPOSED_RECIPIENTS counts, in this order: visible (To, Cc ...), reply (Reply-To,
 * Mail-Followup-To, Mail-Reply-To) and shown (several authors, addresses in display names, lists
 * in other fields). `visible` itself when the others are empty (the usual message). The audit
 * counts and lists an incident's people from the same list, so its totals and its list to notify
 * hold everyone the finding counted.
 */
export function exposureCounted(recipients: { visible: readonly RecipientView[]; reply: readonly RecipientView[]; shown: readonly RecipientView[] }): readonly RecipientView[] {
  const { visible, reply, shown } = recipients;
  // concat, not a spread: a spread steps an iterator per element (an allocation each, where this
  // runs once per message; bench scenario 11).
  return reply.length === 0 && shown.length === 0 ? visible : visible.concat(reply, shown);
}

/**
 * How EXPOSED_RECIPIENTS measures what it counts beside a mailing list, for the audit's list
 * traffic (a list's own copy, whose List-Id or List-Post names the list): the addresses the list
 * fields name are left out; other addresses at the list's host still count as addresses, not as an
 * organisation (a cross-post to a few lists at one host is no exposure, thirty people there are).
 * The people shown beside the list are measured as check measures them, with the same thresholds.
 */
export function exposureLevelBesideList(recipients: Parameters<typeof exposureCounted>[0], policy: Policy, list: { isNamed(address: string): boolean; isAtHost(address: string): boolean }): ReturnType<typeof exposureLevel> {
  const counted = exposureCounted(recipients).filter((r) => !list.isNamed(r.address));
  const { addresses } = externalSummary(counted);
  const { parties } = externalSummary(counted.filter((r) => !list.isAtHost(r.address)));
  return exposureLevel(parties, addresses.length, effectiveThresholds(policy));
}

/**
 * EXPOSED_RECIPIENTS: the external addresses every reader sees (To, Cc, Resent-To, Resent-Cc,
 * Apparently-To, Reply-To, Mail-Followup-To, several authors or senders, addresses inside display
 * names, a list in any other header field) span
 * warnAt or blockAt organisations, or number warnAddressesAt or blockAddressesAt whatever their
 * organisations. A message to a configured public list is a public post instead
 * (PUBLIC_LIST_POST, info), unless the policy is sensitive or an envelope leaves the list out.
 */
export const exposedRecipients: Rule = ({ visible, reply, shown, policy, visibleSummary, envelopeRecipients }) => {
  // With no reply or shown addresses (the usual message) the list is `visible` itself, whose
  // summary checkMessage has worked out: a copy cost a second pair of hash sets, 200,000 entries
  // each for the header of distinct domains (bench scenario 11, ~0.2 s of its ~1.7 s).
  const onlyVisible = reply.length === 0 && shown.length === 0;
  const all = exposureCounted({ visible, reply, shown });
  // The visible list's summary continued with the reply and shown addresses: the same as
  // externalSummary(all), without going through the visible list again.
  const { addresses, parties } = onlyVisible ? visibleSummary : externalSummary(reply.concat(shown), visibleSummary);
  const level = exposureLevel(parties, addresses.length, effectiveThresholds(policy));
  if (!level) return [];
  // The first external recipient's line, and the fields of the external ones in order of first
  // appearance, in one pass (a message names a handful of fields: a list beats a Set here).
  let line: number | undefined;
  const fields: string[] = [];
  // Indexed: see checkMessage's loop (a for-of step allocates where this runs once per message).
  for (let i = 0; i < all.length; i++) {
    const r = all[i]!;
    if (r.internal) continue;
    line ??= r.line;
    if (!fields.includes(r.field)) fields.push(r.field);
  }
  if (!policy.sensitive && policy.publicLists?.length) {
    // A recipient (not a name, not a reply field) that is a public list makes this a public post;
    // in transit, only if the envelope delivers to it: a list shown in To but left out of RCPT TO
    // never receives the message, and the others see each other in private.
    const list = visible.map((r) => publicListOf(r.address, policy)).find((l) => l !== undefined && (envelopeRecipients === undefined || envelopeRecipients.has(l)));
    if (list !== undefined) {
      return [{ code: 'PUBLIC_LIST_POST', severity: 'info', line: line!, args: { list, externalAddresses: addresses.length, parties, fields } }];
    }
  }
  const { severity, trigger, threshold } = level;
  const finding: Finding = {
    code: 'EXPOSED_RECIPIENTS',
    severity,
    line: line!,
    args: {
      externalAddresses: addresses.length,
      parties,
      threshold,
      trigger,
      fields,
      examples: addresses.slice(0, MAX_EXAMPLE_ADDRESSES),
      sensitive: policy.sensitive,
    },
  };
  return [finding];
};
