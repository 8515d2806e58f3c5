import type { Finding } from '../findings.js';
import { MAX_EXAMPLE_ADDRESSES } from '../limits.js';
import { effectiveThresholds } from '../policy/policy.js';
import { externalSummary, type Rule } from './context.js';

/** EXPOSED_REPLY_ADDRESSES: Reply-To / Mail-Followup-To show external addresses of warnAt+ parties. */
export const exposedReplyAddresses: Rule = ({ reply, policy }) => {
  const findings: Finding[] = [];
  const { warnAt } = effectiveThresholds(policy);
  for (const field of new Set(reply.map((r) => r.field))) {
    const list = reply.filter((r) => r.field === field);
    const { addresses, parties } = externalSummary(list);
    if (parties < warnAt) continue;
    findings.push({
      code: 'EXPOSED_REPLY_ADDRESSES',
      severity: 'warning',
      line: list[0]!.line,
      args: { field, externalAddresses: addresses.length, parties, examples: addresses.slice(0, MAX_EXAMPLE_ADDRESSES) },
    });
  }
  return findings;
};
