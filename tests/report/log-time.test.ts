// What the servers' log lines are made of, per message: the time (logTime: new Date(ms)
// .toISOString() for any time, called in any order, made once per second) and masked addresses
// (maskAddress: the first character kept, a surrogate pair whole, as the spread it replaced).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logTime } from '../../src/report/log-time.js';
import { maskAddress } from '../../src/report/redact.js';

describe('logTime', () => {
  const MAX = 8.64e15;
  it('is new Date(ms).toISOString() for any time in range, whatever was asked before', () => {
    const time = fc.oneof(fc.integer({ min: -MAX, max: MAX }), fc.double({ min: -MAX, max: MAX, noNaN: true }), fc.integer({ min: 1_700_000_000_000, max: 1_700_000_003_000 }), fc.constantFrom(-0, 0, 999, 1000, -1, -1000, -1001, 253402300799999, 253402300800000, MAX, -MAX));
    fc.assert(fc.property(fc.array(time, { minLength: 1, maxLength: 8 }), (list) => {
      for (const ms of list) expect(logTime(ms)).toBe(new Date(ms).toISOString());
    }), { numRuns: 3000 });
  });

  it('throws as toISOString does out of range', () => {
    for (const ms of [Number.NaN, Infinity, MAX + 1, -MAX - 1]) expect(() => logTime(ms)).toThrow(RangeError);
  });

  it('is the current time by default', () => {
    const before = Date.now();
    const t = Date.parse(logTime());
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

describe('maskAddress', () => {
  /** What it did before: the first code point by spreading the local part. */
  const old = (address: string) => {
    const at = address.lastIndexOf('@');
    if (at <= 0) return '***';
    const local = address.slice(0, at);
    const first = local.startsWith('"') ? local.slice(0, 2) : ([...local][0] ?? '');
    return `${first}***${address.slice(at)}`;
  };
  it('keeps the first character (a surrogate pair whole, a lone surrogate alone) as before', () => {
    const part = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('\ud83d\ude00x', '\ud83d', '\ude00\ud83d', '"a"', '@', 'é'));
    fc.assert(fc.property(part, part, (local, domain) => {
      expect(maskAddress(`${local}@${domain}`)).toBe(old(`${local}@${domain}`));
    }), { numRuns: 3000 });
    expect(maskAddress('\ud83d\ude00z@x.test')).toBe('\ud83d\ude00***@x.test');
  });
});
