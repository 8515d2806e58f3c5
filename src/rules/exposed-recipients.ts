import { MAX_EXAMPLE_ADDRESSES } from '../limits.js';
import { effectiveThresholds } from '../policy/policy.js';
import type { RecipientView } from '../result.js';
import { externalSummary, type Rule } from './context.js';

/** EXPOSED_RECIPIENTS: visible external recipients span warnAt or blockAt parties. */
export const exposedRecipients: Rule = ({ visible, policy }) => {
  const { addresses, parties } = externalSummary(visible);
  const { warnAt, blockAt } = effectiveThresholds(policy);
  if (parties.size < warnAt) return [];
  const severity = parties.size >= blockAt ? 'error' : 'warning';
  // The first external recipient's line and the fields they stand in, without copying the list.
  let line: number | undefined;
  const fields = new Set<RecipientView['field']>();
  for (const r of visible) {
    if (r.internal) continue;
    line ??= r.line;
    fields.add(r.field);
  }
  return [
    {
      code: 'EXPOSED_RECIPIENTS',
      severity,
      line: line!,
      args: {
        externalAddresses: addresses.length,
        parties: parties.size,
        threshold: severity === 'error' ? blockAt : warnAt,
        fields: [...fields],
        examples: addresses.slice(0, MAX_EXAMPLE_ADDRESSES),
        sensitive: policy.sensitive,
      },
    },
  ];
};
