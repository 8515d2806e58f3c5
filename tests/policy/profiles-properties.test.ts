// "Stricter" (src/policy/profiles.ts stricterPolicy) over generated policies and messages: the
// merged policy is at least as strict as each of the two on every message (verdict, every
// recipient's internal/external), no stricter than it must be (merging a policy with itself
// changes nothing), and the order of the two does not matter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { ON_VIOLATION_MODES } from '../../src/decide/modes.js';
import type { FindingCode } from '../../src/findings.js';
import { createPolicy, type Policy, type RuleSetting } from '../../src/policy/policy.js';
import { createProfiles, resolveProfile, stricterOnViolation, stricterPolicy, stricterRuleSetting, ON_VIOLATION_STRICTNESS } from '../../src/policy/profiles.js';
import type { MessageResult } from '../../src/result.js';

const DOMAINS = ['corp.example', 'sub.corp.example', 'partner.example', 'clinic.example', 'a.example', 'b.example', 'c.example', 'd.example', 'mail.example', 'lists.example.org'];
const domain = fc.constantFrom(...DOMAINS);
const local = fc.constantFrom('ann', 'bob', 'cy', 'dee', 'list');
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
const setting = fc.constantFrom<RuleSetting | undefined>(undefined, 'off', 'warning', 'error');
const CODES: FindingCode[] = ['EXPOSED_RECIPIENTS', 'PUBLIC_LIST_POST', 'BCC_HEADER_PRESENT', 'DUPLICATE_RECIPIENT_FIELD'];

const policyArb = fc
  .record({
    internalDomains: fc.subarray(['corp.example', 'sub.corp.example', 'clinic.example']),
    trustedDomains: fc.subarray(['partner.example', 'a.example']),
    consumerDomains: fc.subarray(['mail.example']),
    publicLists: fc.subarray(['list@lists.example.org', '*@lists.example.org', 'list@b.example']),
    warnAt: fc.integer({ min: 1, max: 5 }),
    extraBlock: fc.integer({ min: 0, max: 3 }),
    warnAddressesAt: fc.integer({ min: 1, max: 6 }),
    extraBlockAddresses: fc.integer({ min: 0, max: 4 }),
    sensitive: fc.boolean(),
    rules: fc.tuple(...CODES.map(() => setting)),
  })
  .map((r): Policy => {
    const rules: Partial<Record<FindingCode, RuleSetting>> = {};
    r.rules.forEach((s, i) => {
      if (s !== undefined) rules[CODES[i]!] = s;
    });
    return createPolicy({
      internalDomains: r.internalDomains,
      trustedDomains: r.trustedDomains,
      consumerDomains: r.consumerDomains,
      publicLists: r.publicLists,
      warnAt: r.warnAt,
      blockAt: r.warnAt + r.extraBlock,
      warnAddressesAt: r.warnAddressesAt,
      blockAddressesAt: r.warnAddressesAt + r.extraBlockAddresses,
      sensitive: r.sensitive,
      rules,
    });
  });

const messageArb = fc
  .record({ from: address, to: fc.array(address, { minLength: 1, maxLength: 8 }), cc: fc.array(address, { maxLength: 3 }), bcc: fc.boolean(), dupSubject: fc.boolean() })
  .map((m) => {
    const lines = [`From: ${m.from}`, `To: ${m.to.join(', ')}`];
    if (m.cc.length) lines.push(`Cc: ${m.cc.join(', ')}`);
    if (m.bcc) lines.push('Bcc: hidden@d.example');
    lines.push('Subject: s');
    if (m.dupSubject) lines.push('Cc: ann@corp.example');
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\nbody\r\n`);
  });

const RANK = { pass: 0, warn: 1, block: 2, error: 3 } as const;
const SEVERITY = { info: 0, warning: 1, error: 2 } as const;
const check = (bytes: Uint8Array, p: Policy) => checkMessage(bytes, p, { source: 't' });
const internalOf = (r: MessageResult) => new Map(r.recipients.visible.map((v) => [v.address, v.internal]));

describe('stricterPolicy', () => {
  it('is at least as strict as each policy on every message: verdict, and internal only where both say so', () => {
    fc.assert(
      fc.property(policyArb, policyArb, messageArb, (a, b, msg) => {
        const merged = stricterPolicy(a, b);
        const [ra, rb, rm] = [check(msg, a), check(msg, b), check(msg, merged)];
        expect(RANK[rm.verdict]).toBeGreaterThanOrEqual(Math.max(RANK[ra.verdict], RANK[rb.verdict]));
        const [ia, ib] = [internalOf(ra), internalOf(rb)];
        for (const [address, internal] of internalOf(rm)) {
          if (internal) expect(ia.get(address) && ib.get(address)).toBe(true);
        }
        // Every finding either had is there, at a severity at least as high.
        for (const f of [...ra.findings, ...rb.findings]) {
          if (f.code === 'PUBLIC_LIST_POST' || f.code === 'EXPOSED_RECIPIENTS') continue; // one turns into the other
          const worst = Math.max(...rm.findings.filter((g) => g.code === f.code).map((g) => SEVERITY[g.severity]), -1);
          expect(worst).toBeGreaterThanOrEqual(SEVERITY[f.severity]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('is no stricter than it must be: a policy merged with itself decides every message as it does', () => {
    fc.assert(
      fc.property(policyArb, messageArb, (a, msg) => {
        const [ra, rm] = [check(msg, a), check(msg, stricterPolicy(a, a))];
        expect(rm.verdict).toBe(ra.verdict);
        expect(rm.findings.map((f) => [f.code, f.severity])).toEqual(ra.findings.map((f) => [f.code, f.severity]));
        expect(internalOf(rm)).toEqual(internalOf(ra));
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the order of the two, and merging a third gives the same as any grouping', () => {
    fc.assert(
      fc.property(policyArb, policyArb, policyArb, messageArb, (a, b, c, msg) => {
        const ab = check(msg, stricterPolicy(a, b));
        const ba = check(msg, stricterPolicy(b, a));
        expect(ab.verdict).toBe(ba.verdict);
        expect(internalOf(ab)).toEqual(internalOf(ba));
        const left = check(msg, stricterPolicy(stricterPolicy(a, b), c));
        const right = check(msg, stricterPolicy(a, stricterPolicy(b, c)));
        expect(left.verdict).toBe(right.verdict);
        expect(internalOf(left)).toEqual(internalOf(right));
      }),
      { numRuns: 150 },
    );
  });

  it('takes the lower threshold on each axis, sensitive if either is, public lists only if both name them', () => {
    fc.assert(
      fc.property(policyArb, policyArb, (a, b) => {
        const m = stricterPolicy(a, b);
        expect([m.warnAt, m.blockAt, m.warnAddressesAt, m.blockAddressesAt]).toEqual([Math.min(a.warnAt, b.warnAt), Math.min(a.blockAt, b.blockAt), Math.min(a.warnAddressesAt, b.warnAddressesAt), Math.min(a.blockAddressesAt, b.blockAddressesAt)]);
        expect(m.sensitive).toBe(a.sensitive || b.sensitive);
        const host = (l: string) => l.slice(l.indexOf('@') + 1);
        for (const l of m.publicLists) {
          for (const p of [a, b]) expect(p.publicLists.includes(l) || p.publicLists.includes(`*@${host(l)}`)).toBe(true);
        }
      }),
    );
  });
});

describe('stricterRuleSetting and stricterOnViolation', () => {
  it.each<[RuleSetting | undefined, RuleSetting | undefined, RuleSetting | undefined]>([
    ['off', undefined, undefined],
    ['off', 'warning', 'warning'],
    ['warning', 'error', 'error'],
    [undefined, 'error', 'error'],
    [undefined, 'warning', 'at-least-warning'],
    ['at-least-warning', 'warning', 'at-least-warning'],
    ['info', 'off', undefined],
    ['off', 'off', 'off'],
  ])('%s and %s: %s (either order)', (a, b, expected) => {
    expect(stricterRuleSetting(a, b)).toBe(expected);
    expect(stricterRuleSetting(b, a)).toBe(expected);
  });

  it('at-least-warning raises an info finding to a warning and leaves an error an error', () => {
    const list = 'From: me@corp.example\r\nTo: list@lists.example.org, a@a.example, b@b.example, c@c.example, d@d.example\r\n\r\n';
    const base = { internalDomains: ['corp.example'], publicLists: ['list@lists.example.org'] };
    const info = check(Buffer.from(list), createPolicy(base));
    expect(info.findings.map((f) => [f.code, f.severity])).toEqual([['PUBLIC_LIST_POST', 'info']]);
    const raised = check(Buffer.from(list), createPolicy({ ...base, rules: { PUBLIC_LIST_POST: 'at-least-warning' } }));
    expect(raised.findings.map((f) => [f.code, f.severity])).toEqual([['PUBLIC_LIST_POST', 'warning']]);
    const exposed = check(Buffer.from(list), createPolicy({ internalDomains: ['corp.example'], rules: { EXPOSED_RECIPIENTS: 'at-least-warning' } }));
    expect(exposed.findings.map((f) => [f.code, f.severity])).toEqual([['EXPOSED_RECIPIENTS', 'error']]);
  });

  it('the stricter mode is one of the two, the later in warn < bcc < split < hold < block, whichever comes first', () => {
    expect(ON_VIOLATION_STRICTNESS).toEqual(['warn', 'bcc', 'split', 'hold', 'block']);
    expect([...ON_VIOLATION_STRICTNESS].sort()).toEqual([...ON_VIOLATION_MODES].sort());
    fc.assert(
      fc.property(fc.constantFrom(...ON_VIOLATION_MODES), fc.constantFrom(...ON_VIOLATION_MODES), (a, b) => {
        const s = stricterOnViolation(a, b);
        expect(s).toBe(stricterOnViolation(b, a));
        expect([a, b]).toContain(s);
        expect(ON_VIOLATION_STRICTNESS.indexOf(s)).toBe(Math.max(ON_VIOLATION_STRICTNESS.indexOf(a), ON_VIOLATION_STRICTNESS.indexOf(b)));
      }),
    );
  });
});

describe('resolveProfile never loosens what the transport chose', () => {
  it('whatever From says, the verdict is at least the authenticated user\'s profile\'s', () => {
    fc.assert(
      fc.property(policyArb, policyArb, policyArb, messageArb, fc.constantFrom('alice', 'bob', 'carol'), (top, strict, lax, msg, user) => {
        const profiles = createProfiles(top, [
          { name: 'strict', match: { authUser: ['alice'], from: ['clinic.example'] }, policy: strict },
          { name: 'lax', match: { authUser: ['bob'], from: ['a.example', 'corp.example'] }, policy: lax },
        ]);
        const from = /^From: (.*)$/m.exec(msg.toString())![1]!;
        const alone = resolveProfile(profiles, { authUser: user });
        const withFrom = resolveProfile(profiles, { authUser: user, from: [from] });
        expect(withFrom.name.split('+')[0]).toBe(alone.name);
        expect(RANK[check(msg, withFrom.policy).verdict]).toBeGreaterThanOrEqual(RANK[check(msg, alone.policy).verdict]);
      }),
      { numRuns: 200 },
    );
  });
});
