// The big generated To fields of the bench (bench/generate.ts), as unfolded field values.
import { makeDistinctDomains, makeIdnRecipients, makeInvalidIdn } from '../../bench/generate.js';
import { readHeaderBlock, unfold } from '../../src/message/header-block.js';

/** The unfolded value of the To field of a generated message. */
export function toFieldOf(bytes: Buffer): string {
  const header = readHeaderBlock(bytes);
  const to = header.fields.find((f) => f.key === 'to')!;
  return unfold(to.rawValue, header.lineEnding);
}

export const distinctDomainsField = (count: number): string => toFieldOf(makeDistinctDomains(count, 18));
export const idnField = (count: number): string => toFieldOf(makeIdnRecipients(count, 18));
export const invalidIdnField = (count: number): string => toFieldOf(makeInvalidIdn(count));
