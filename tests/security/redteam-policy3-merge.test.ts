// The stricter merge of two profiles (stricterPolicy: the authUser's profile with the one the From
// selects) failed or chose one side where it should combine both:
// - a domain one profile counts as internal or trusted and the other lists among its
//   consumerDomains (each address its own party): the merge kept it internal and took the consumer
//   domains of both, so createPolicy refused the merged policy and every such message ended in a
//   configuration error (check exit 2, "cannot be both") instead of a verdict;
// - the body scan was the first policy's, not the stricter of both (a profile reporting at 50
//   addresses merged with one reporting at 5 reported at 50; the merge depended on the order).
// Now such a domain is neither internal nor trusted in the merge (what both policies agree on),
// without letting the merge fall back to inferring internal domains from the sender; and the
// merged body scan reports at the fewer addresses and reads the more bytes of each part.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';
import { stricterPolicy } from '../../src/policy/profiles.js';
import { runCli } from '../helpers/cli.js';

const SIX = (from: string, to: string[]) => `From: ${from}\nTo: ${to.join(', ')}\nSubject: hi\n\nhello\n`;
const verdict = (policy: Policy, text: string) => checkMessage(Buffer.from(text), policy).verdict;

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the stricter merge of two profiles is a policy, at least as strict as each', () => {
  it.each<[string, Partial<Policy>, Partial<Policy>, string, string]>([
    ['internal mail.corp.example vs corp.example with it as a consumer domain', { internalDomains: ['mail.corp.example'] }, { internalDomains: ['corp.example'], consumerDomains: ['mail.corp.example'] }, 'ann@corp.example', 'mail.corp.example'],
    ['trusted mail.partner.example vs trusted partner.example with it as a consumer domain', { internalDomains: ['corp.example'], trustedDomains: ['mail.partner.example'] }, { internalDomains: ['corp.example'], trustedDomains: ['partner.example'], consumerDomains: ['mail.partner.example'] }, 'ann@corp.example', 'mail.partner.example'],
    ['internal hr.corp.example and corp.example vs corp.example with hr.corp.example a consumer domain', { internalDomains: ['corp.example', 'hr.corp.example'] }, { internalDomains: ['corp.example'], consumerDomains: ['hr.corp.example'] }, 'ann@corp.example', 'hr.corp.example'],
  ])('%s: merged both ways, the domain is external, nothing else is loosened', (_name, a, b, from, domain) => {
    const pa = createPolicy(a);
    const pb = createPolicy(b);
    for (const merged of [stricterPolicy(pa, pb), stricterPolicy(pb, pa)]) {
      const six = SIX(from, [1, 2, 3, 4, 5, 6].map((i) => `p${i}@${domain}`));
      expect(verdict(merged, six)).toBe('block');
      // At least as strict as each on messages to colleagues and to the domain.
      const colleagues = SIX(from, [1, 2, 3, 4, 5, 6].map((i) => `c${i}@corp.example`));
      for (const m of [six, colleagues]) {
        const rank = { pass: 0, warn: 1, block: 2, error: 3 } as const;
        expect(rank[verdict(merged, m)]).toBeGreaterThanOrEqual(Math.max(rank[verdict(pa, m)], rank[verdict(pb, m)]));
      }
    }
  });

  it('when no configured internal domain is left, the merge does not start inferring internal domains from the sender', () => {
    const merged = stricterPolicy(createPolicy({ internalDomains: ['mail.corp.example'] }), createPolicy({ internalDomains: ['corp.example'], consumerDomains: ['mail.corp.example'] }));
    // corp.example is external to the first profile: six colleagues there are six addresses shown (block at the first).
    expect(verdict(createPolicy({ internalDomains: ['mail.corp.example'] }), SIX('ann@corp.example', ['a@corp.example', 'b@x.test', 'c@y.test', 'd@z.test', 'e@w.test']))).toBe('block');
    expect(verdict(merged, SIX('ann@corp.example', ['a@corp.example', 'b@x.test', 'c@y.test', 'd@z.test', 'e@w.test']))).toBe('block');
  });

  it('the body scan: the fewer addresses and the larger part, in either order', () => {
    const a = createPolicy({ bodyScan: { minAddresses: 50, maxPartBytes: 4096 } });
    const b = createPolicy({ bodyScan: { minAddresses: 5, maxPartBytes: 1024 * 1024 } });
    expect(stricterPolicy(a, b).bodyScan).toEqual({ minAddresses: 5, maxPartBytes: 1024 * 1024 });
    expect(stricterPolicy(b, a).bodyScan).toEqual({ minAddresses: 5, maxPartBytes: 1024 * 1024 });
    expect(stricterPolicy(createPolicy(), b).bodyScan).toEqual(b.bodyScan);
    expect(stricterPolicy(createPolicy(), createPolicy()).bodyScan).toBeUndefined();
  });

  it('check --auth-user: a verdict (block, exit 1), not a configuration error', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-policy3-'));
    await writeFile(path.join(dir, 'm.eml'), SIX('ann@clinic.corp.example', [1, 2, 3, 4, 5, 6].map((i) => `p${i}@mail.corp.example`)));
    await writeFile(path.join(dir, 'mailguard.config.json'), JSON.stringify({
      internalDomains: ['corp.example'],
      profiles: [
        { name: 'ops', match: { authUser: ['ann'] }, internalDomains: ['mail.corp.example'] },
        { name: 'clinic', match: { from: ['clinic.corp.example'] }, consumerDomains: ['mail.corp.example'] },
      ],
    }));
    const r = await runCli(['check', '--auth-user', 'ann', 'm.eml'], { cwd: dir });
    expect(r.stderr).not.toMatch(/cannot be both/);
    expect(r.stdout).toMatch(/BLOCK/);
    expect(r.code).toBe(1);
  });

  it('controls: domains both count as internal stay internal; a consumer domain outside them changes nothing', () => {
    const merged = stricterPolicy(createPolicy({ internalDomains: ['corp.example'], trustedDomains: ['partner.example'] }), createPolicy({ internalDomains: ['corp.example'], trustedDomains: ['partner.example'], consumerDomains: ['mail.isp.example'] }));
    expect(merged).toMatchObject({ internalDomains: ['corp.example'], trustedDomains: ['partner.example'], consumerDomains: ['mail.isp.example'] });
    expect(merged.internalWithin).toBeUndefined();
    expect(verdict(merged, SIX('ann@corp.example', ['a@corp.example', 'b@corp.example', 'c@partner.example', 'd@corp.example', 'e@corp.example', 'f@corp.example']))).toBe('pass');
  });
});
