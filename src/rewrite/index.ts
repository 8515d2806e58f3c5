// The rewrite API: bytes and a policy in, rewritten bytes and a plan out. Pure: no I/O.

export type { BccOptions, MovedRecipient, RewritePlan, SplitCopy, SplitOptions } from './plan.js';
export { rewriteToBcc, UNDISCLOSED_GROUP } from './bcc.js';
export { planSplit, splitMessage, type LazySplit } from './split.js';
export { stripBcc, stripLeadingEnvelope } from './strip-bcc.js';
