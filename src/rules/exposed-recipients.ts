import { MAX_EXAMPLE_ADDRESSES } from '../limits.js';
import { effectiveThresholds } from '../policy/policy.js';
import { externalSummary, type Rule } from './context.js';

/** EXPOSED_RECIPIENTS: visible external recipients span warnAt or blockAt parties. */
export const exposedRecipients: Rule = ({ visible, policy }) => {
  const { addresses, parties } = externalSummary(visible);
  const { warnAt, blockAt } = effectiveThresholds(policy);
  if (parties.size < warnAt) return [];
  const severity = parties.size >= blockAt ? 'error' : 'warning';
  const externals = visible.filter((r) => !r.internal);
  const fields = [...new Set(externals.map((r) => r.field))];
  return [
    {
      code: 'EXPOSED_RECIPIENTS',
      severity,
      line: externals[0]!.line,
      args: {
        externalAddresses: addresses.length,
        parties: parties.size,
        threshold: severity === 'error' ? blockAt : warnAt,
        fields,
        examples: addresses.slice(0, MAX_EXAMPLE_ADDRESSES),
        sensitive: policy.sensitive,
      },
    },
  ];
};
