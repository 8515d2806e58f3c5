// Red team, internal vs external through the configuration: a public list that the message is not
// sent to. A visible recipient that is a configured public list makes the message a public post
// (PUBLIC_LIST_POST, info) instead of an exposure. In transit the envelope says who receives it:
// To: linux-kernel@vger.kernel.org and six customers, relayed with RCPT TO for the six customers
// only, passed as a post to the list, though the list never receives it and the customers see
// each other (the proxy relayed it, a transcript check exited 0). A list makes a public post only
// when the envelope, if there is one, delivers to it.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { decideDelivery } from '../../src/decide/index.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';
import { runCli } from '../helpers/cli.js';

const LIST = 'linux-kernel@vger.kernel.org';
const CUSTOMERS = Array.from({ length: 6 }, (_, i) => `c${i}@org${i}.test`);
const EXACT = createPolicy({ internalDomains: ['corp.example'], publicLists: [LIST] });
const HOST = createPolicy({ internalDomains: ['corp.example'], publicLists: ['*@vger.kernel.org'] });

function bytes(field: 'To' | 'Cc', list = LIST): Buffer {
  const lines = field === 'To' ? [`To: ${[list, ...CUSTOMERS].join(', ')}`] : ['To: c0@org0.test', `Cc: ${[list, ...CUSTOMERS.slice(1)].join(', ')}`];
  return Buffer.from(['From: me@corp.example', ...lines, 'Subject: offer', '', 'Hello.', ''].join('\r\n'));
}

const codes = (policy: Policy, b: Buffer, rcptTo?: string[]) => {
  const r = checkMessage(b, policy, rcptTo ? { envelope: { mailFrom: 'me@corp.example', rcptTo } } : {});
  return { codes: r.findings.map((f) => `${f.code}:${f.severity}`), verdict: r.verdict };
};

describe('a public list in the header but not in the envelope makes no public post', () => {
  for (const [name, policy] of [['the list by address', EXACT], ['every list at its host', HOST]] as const) {
    for (const field of ['To', 'Cc'] as const) {
      it(`${name}, the list in ${field}, the envelope the customers only`, () => {
        expect(codes(policy, bytes(field), CUSTOMERS)).toEqual({ codes: ['EXPOSED_RECIPIENTS:error'], verdict: 'block' });
      });
    }
  }

  it('the envelope names another list at the same host, not the one shown', () => {
    expect(codes(HOST, bytes('To'), [...CUSTOMERS, 'netdev@vger.kernel.org']).verdict).toBe('block');
  });

  it('the delivery decision blocks it (the proxy and the milter relay nothing)', () => {
    const d = decideDelivery(bytes('To'), HOST, { onViolation: 'block', envelope: { mailFrom: 'me@corp.example', rcptTo: CUSTOMERS } });
    expect(d.action).toBe('block');
  });

  it('a transcript whose RCPT TO leaves the list out exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-list-'));
    const file = path.join(dir, 'session.smtp');
    const session = ['EHLO client', 'MAIL FROM:<me@corp.example>', ...CUSTOMERS.map((c) => `RCPT TO:<${c}>`), 'DATA', bytes('To').toString().trimEnd(), '.', 'QUIT', ''].join('\r\n');
    writeFileSync(file, session);
    const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--public-list', '*@vger.kernel.org', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).results[0].findings.map((f: { code: string }) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
  });
});

describe('controls: a post the list receives is still a public post', () => {
  it('the envelope delivers to the list too', () => {
    expect(codes(HOST, bytes('To'), [LIST, ...CUSTOMERS])).toEqual({ codes: ['PUBLIC_LIST_POST:info'], verdict: 'pass' });
    expect(codes(EXACT, bytes('Cc'), [...CUSTOMERS, LIST])).toEqual({ codes: ['PUBLIC_LIST_POST:info'], verdict: 'pass' });
  });

  it('the envelope writes the list in another case, with a trailing dot', () => {
    expect(codes(EXACT, bytes('To'), ['Linux-Kernel@VGER.Kernel.org.', ...CUSTOMERS]).verdict).toBe('pass');
  });

  it('a message at rest (no envelope: a draft, git format-patch output) is a public post as before', () => {
    expect(codes(HOST, bytes('To'))).toEqual({ codes: ['PUBLIC_LIST_POST:info'], verdict: 'pass' });
  });
});
