// externalSummary continued from an earlier summary (issue 18, bench scenario 11: the exposure
// rule continues the visible list's summary with the reply and shown addresses instead of going
// through the visible list again) gives what one summary of both lists gives.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecipientView } from '../../src/result.js';
import { externalSummary } from '../../src/rules/context.js';

/** A party is a function of its address (as partyOf makes it): its domain, or the address itself at a consumer provider. */
const view = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom('a.test', 'b.test', 'c.test', 'gmail.test'), fc.boolean()).map(
  ([n, domain, internal]): RecipientView => {
    const address = `u${n}@${domain}`;
    return { address, field: 'to', internal: internal && domain === 'a.test', party: domain === 'gmail.test' ? address : domain, line: 1 };
  },
);

describe('externalSummary continued', () => {
  it('counts the same addresses, in the same order, and the same parties as one summary of both lists', () => {
    fc.assert(
      fc.property(fc.array(view, { maxLength: 20 }), fc.array(view, { maxLength: 20 }), (first, second) => {
        const whole = externalSummary(first.concat(second));
        const continued = externalSummary(second, externalSummary(first));
        expect(continued.addresses).toEqual(whole.addresses);
        expect(continued.parties).toBe(whole.parties);
      }),
      { numRuns: 5_000 },
    );
  });

  it('leaves the earlier summary as it was', () => {
    const first = externalSummary([{ address: 'a@x.test', field: 'to', internal: false, party: 'x.test', line: 1 }]);
    externalSummary([{ address: 'b@y.test', field: 'reply-to', internal: false, party: 'y.test', line: 2 }], first);
    expect(first.addresses).toEqual(['a@x.test']);
    expect(first.parties).toBe(1);
  });

  it('refuses to continue a continued summary', () => {
    const continued = externalSummary([], externalSummary([]));
    expect(() => externalSummary([], continued)).toThrow(/cannot be continued/);
  });
});
