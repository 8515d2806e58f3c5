// The parse deadline (MAX_PARSE_MS) is read per batch of tokens, so it stops every kind of field:
// one of accepted addresses, and one whose addresses are all refused (before issue 18 the clock
// was read only when an address was accepted, so a field of refused IDN domains ran to its end).
import { describe, expect, it } from 'vitest';
import { parseAddressList } from '../../src/message/address-list.js';
import { distinctDomainsField, invalidIdnField } from './big-headers.js';

const soup = (unit: string, count: number) => Array.from({ length: count }, (_, k) => unit.replace('#', k.toString(36))).join(', ');

describe('the parse deadline is checked per token batch', () => {
  it.each([
    ['refused IDN domains (fullwidth letters)', () => invalidIdnField(20_000)],
    ['domains that are not dot-atoms', () => soup('a@b#..c', 20_000)],
    ['addresses without a domain', () => soup('Name # <x#>', 20_000)],
    ['route syntax', () => soup('<@relay#:a@b.example>', 20_000)],
    ['refused addresses inside a group', () => `g: ${invalidIdnField(20_000)};`],
    ['accepted addresses at distinct domains', () => distinctDomainsField(20_000)],
  ])('%s: a passed deadline stops the field after one batch', (_name, make) => {
    const value = make();
    const whole = parseAddressList(value);
    expect(whole.timedOut).toBeUndefined();
    const stopped = parseAddressList(value, process.uptime() * 1000 - 1);
    expect(stopped.timedOut).toBe(true);
    // One batch of 2,048 tokens at most: a few hundred addresses, refused or not.
    expect(stopped.mailboxes.length).toBeLessThan(Math.min(1_000, whole.mailboxes.length + 1));
    expect(stopped.mailboxes.length).toBeLessThanOrEqual(whole.mailboxes.length);
  });

  it('a field shorter than one batch is read whole even past the deadline (nothing to stop)', () => {
    const list = parseAddressList(Buffer.from('a@b.example, ｂ@ｃ.com, c@d.example', 'utf8').toString('latin1'), process.uptime() * 1000 - 1);
    expect(list.timedOut).toBeUndefined();
    expect(list.mailboxes.map((m) => m.address)).toEqual(['a@b.example', 'c@d.example']);
    expect(list.problems.map((p) => p.kind)).toEqual(['idn-mismatch']);
  });

  it('a deadline in the future changes nothing', () => {
    const value = invalidIdnField(5_000);
    expect(JSON.stringify(parseAddressList(value, process.uptime() * 1000 + 60_000))).toBe(JSON.stringify(parseAddressList(value)));
  });
});
