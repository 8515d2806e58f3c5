// Red team, rewrites: an input that carries an envelope of its own (an SMTP transcript's RCPT TO,
// a JSON campaign's bcc) was rewritten by `mailguard fix` into a draft that dropped it. A draft
// reaches the recipients its header names, nobody else: the envelope-only recipients got no copy
// (fix said "rewritten", exit 0), and a header recipient the envelope left out would get one it
// never had. fix now refuses such an input (exit 2, nothing written, the reason names the
// envelope), and check's fix hint says so instead of naming a rewrite. Inputs whose envelope is
// what their header shows are rewritten as before. The built CLI is run on real files.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createPolicy, readHeaderBlock } from '../../src/index.js';
import { decideFix } from '../../src/decide/fix.js';
import { parseMessage } from '../../src/message/parse-message.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-rewrite-envelope-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = ['a@one.test', 'b@two.test', 'c@three.test', 'd@four.test', 'e@five.test'];
const POLICY = ['--internal-domain', 'corp.example'];

function transcript(rcpt: readonly string[], to: readonly string[], extra: string[] = []): string {
  return [
    'EHLO client.corp.example',
    'MAIL FROM:<s@corp.example>',
    ...rcpt.map((r) => `RCPT TO:<${r}>`),
    'DATA',
    'From: s@corp.example',
    `To: ${to.join(', ')}`,
    ...extra,
    'Subject: offer',
    '',
    'body',
    '.',
    'QUIT',
    '',
  ].join('\r\n');
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Every address a draft's To, Cc, Apparently-To and Bcc fields name (what a mail client sends it to). */
function draftRecipients(bytes: Uint8Array): string[] {
  const keys = new Set(['to', 'cc', 'apparently-to', 'bcc']);
  return [...new Set(parseMessage(bytes).addresses.filter((a) => keys.has(a.field)).map((a) => a.mailbox.address.toLowerCase()))].sort();
}

const UNFAITHFUL: Array<[string, string, string[]]> = [
  ['a transcript with an envelope-only (blind) recipient, bcc', transcript([...LIST, 'hidden@six.test'], LIST), []],
  ['a transcript with an envelope-only recipient, split', transcript([...LIST, 'hidden@six.test'], LIST), ['--strategy', 'split']],
  ['a transcript with an internal envelope-only recipient', transcript([...LIST, 'boss@corp.example'], LIST), []],
  ['a transcript whose header shows a recipient RCPT TO left out', transcript(LIST.slice(0, 4), LIST), []],
  ['a transcript whose header shows a recipient RCPT TO left out, split', transcript(LIST.slice(0, 4), LIST), ['--strategy', 'split']],
  ['a transcript with an envelope-only recipient beside a Bcc field', transcript([...LIST, 'bcc@corp.example', 'hidden@six.test'], LIST, ['Bcc: bcc@corp.example']), []],
  [
    'a JSON campaign with bcc (nodemailer sends it in the envelope only)',
    JSON.stringify({ from: 's@corp.example', to: LIST, bcc: ['boss@six.test'], subject: 'offer', text: 'body' }),
    [],
  ],
  [
    'a JSON campaign with bcc, split',
    JSON.stringify({ from: 's@corp.example', to: LIST, bcc: ['boss@six.test'], subject: 'offer', text: 'body' }),
    ['--strategy', 'split'],
  ],
];

describe('fix refuses an input whose envelope a draft cannot carry', () => {
  UNFAITHFUL.forEach(([name, text, args], n) => {
    it(name, async () => {
      const file = write(`unfaithful-${n}.${text.startsWith('{') ? 'json' : 'smtp'}`, text);
      const out = path.join(dir, `unfaithful-${n}-out${args.includes('split') ? '' : '.eml'}`);
      const r = await runCli(['fix', file, '-o', out, ...args, ...POLICY]);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/envelope/);
      expect(r.stdout + r.stderr).not.toMatch(/rewritten \((bcc|split)\)/);
      expect(existsSync(out)).toBe(false);
      // No address is printed in full.
      expect(r.stdout + r.stderr).not.toMatch(/hidden@six\.test|boss@six\.test/);
    });
  });

  it("check's fix hint says fix would refuse, and names no fix command for it", async () => {
    const file = write('hint.smtp', UNFAITHFUL[0]![1]);
    const r = await runCli(['check', file, ...POLICY]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/fix: mailguard fix would refuse: .*envelope/);
    expect(r.stdout).not.toMatch(/does the first/);
  });
});

describe('controls: an envelope that is what the header shows is rewritten as before', () => {
  it('a transcript whose RCPT TO list is its To list (in another case)', async () => {
    const file = write('faithful.smtp', transcript(LIST.map((a) => a.toUpperCase()), LIST));
    const out = path.join(dir, 'faithful-out.eml');
    const r = await runCli(['fix', file, '-o', out, ...POLICY]);
    expect(r.code).toBe(0);
    expect(draftRecipients(readFileSync(out))).toEqual([...LIST].sort());
    const again = await runCli(['check', out, ...POLICY, '--max-warnings', '0']);
    expect(again.code).toBe(0);
  });

  it('a transcript whose blind recipient is in its Bcc field', async () => {
    const file = write('faithful-bcc.smtp', transcript([...LIST, 'bcc@corp.example'], LIST, ['Bcc: bcc@corp.example']));
    const out = path.join(dir, 'faithful-bcc-out.eml');
    const r = await runCli(['fix', file, '-o', out, ...POLICY]);
    expect(r.code).toBe(0);
    expect(draftRecipients(readFileSync(out))).toEqual([...LIST, 'bcc@corp.example'].sort());
  });

  it('a JSON campaign without bcc', async () => {
    const file = write('faithful.json', JSON.stringify({ from: 's@corp.example', to: LIST, subject: 'offer', text: 'body' }));
    const out = path.join(dir, 'faithful-json-out.eml');
    const r = await runCli(['fix', file, '-o', out, ...POLICY]);
    expect(r.code).toBe(0);
    expect(draftRecipients(readFileSync(out))).toEqual([...LIST].sort());
  });

  it("a transcript's fix hint still names the rewrite", async () => {
    const file = write('faithful-hint.smtp', transcript(LIST, LIST));
    const r = await runCli(['check', file, ...POLICY]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/mailguard fix --strategy bcc .*does the first/);
  });
});

// The decision itself, over generated envelopes: a draft fix writes reaches exactly the envelope's
// recipients, or fix refuses. Never a rewrite that drops or adds one.
describe('decideFix with an envelope (fast-check)', () => {
  const policy = createPolicy({ internalDomains: ['corp.example'] });
  const pool = [...LIST, 'f@six.test', 'g@seven.test', 'h@corp.example', 'i@corp.example', 'j@eight.test'];
  const sub = fc.subarray(pool, { minLength: 0 });
  it('a rewritten draft names every envelope recipient and nobody else', () => {
    let rewritten = 0;
    fc.assert(
      fc.property(sub, sub, fc.oneof({ weight: 2, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: sub }), fc.boolean(), fc.constantFrom<'bcc' | 'split'>('bcc', 'split'), fc.boolean(), (to, bcc, rcptExtra, dropOne, strategy, upper) => {
        if (to.length === 0) return;
        const lines = ['From: s@corp.example', `To: ${to.join(', ')}`];
        if (bcc.length > 0) lines.push(`Bcc: ${bcc.join(', ')}`);
        lines.push('Subject: x', '', 'body', '');
        const bytes = Buffer.from(lines.join('\r\n'));
        // The header's recipients, maybe with more (blind) or one left out.
        const rcptTo = [...new Set([...to, ...bcc, ...rcptExtra])].slice(dropOne ? 1 : 0).map((a) => (upper ? a.toUpperCase() : a));
        const fix = decideFix(bytes, policy, { strategy, envelope: { mailFrom: 's@corp.example', rcptTo } });
        if (fix.outcome !== 'rewrite') return;
        rewritten++;
        const reached = new Set<string>();
        for (const t of fix.decision.transactions()) {
          expect(readHeaderBlock(t.bytes).problems).toEqual([]);
          for (const a of draftRecipients(t.bytes)) reached.add(a);
        }
        expect([...reached].sort()).toEqual([...new Set(rcptTo.map((a) => a.toLowerCase()))].sort());
      }),
      { numRuns: 300 },
    );
    // The envelopes that match their header must be rewritten, or the property proves little.
    expect(rewritten).toBeGreaterThan(30);
  });
});
