// Property tests: generated recipient lists with hostile display names (encoded words that decode
// to CR/LF, "@", ",", field names; quoted strings full of specials; comments), both line endings,
// folded and unfolded. Either the rewrite refuses (EREWRITE, when the core reads ambiguity) or
// every invariant of issue 3 holds and no field is injected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, MailguardError, rewriteToBcc, splitMessage } from '../../src/index.js';
import { expectBccInvariants, expectSplitInvariants, mailparserView } from './invariants.js';

const policy = createPolicy({ internalDomains: ['corp.example'] });
// MAILGUARD_PROP_RUNS raises the count for a long hunt; 120 keeps npm test quick on 2 cores.
const RUNS = Number(process.env.MAILGUARD_PROP_RUNS ?? 120);

const HOSTILE = [
  'Evil\r\nBcc: attacker@evil.test',
  'x@evil.test, y@evil.test',
  'Name\nTo: victim@evil.test',
  'a\u0000b',
  '"; <z@evil.test>',
  'Jörg, Müller <joerg@evil.test>',
  '\r\n\r\nbody injected',
  'trailing\r',
];

const domain = fc.constantFrom('corp.example', 'mail.corp.example', 'one.test', 'two.test', 'three.test', 'four.test', 'five.test', 'gmail.com', 'shop.example.co.uk', 'xn--bcher-kva.example');
const local = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,8}(\.[a-z0-9+_-]{1,5})?$/),
  fc.constantFrom('"quoted local"', "o'brien", 'first.last', '"a@b"'),
);
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 });
const hostileText = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 20 }), printable);

const encodedB = hostileText.map((t) => `=?UTF-8?B?${Buffer.from(t, 'utf8').toString('base64')}?=`);
const encodedQ = hostileText.map((t) => `=?UTF-8?Q?${[...Buffer.from(t, 'utf8')].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')}?=`);
const quoted = printable.map((t) => `"${t.replace(/(["\\])/g, '\\$1')}"`);
const atoms = fc.stringMatching(/^[A-Za-z]{1,8}( [A-Za-z]{1,8}){0,2}$/);
const comment = printable.map((t) => `(${t.replace(/[()\\]/g, '')})`);

const mailbox = fc.record({
  local,
  domain,
  name: fc.oneof(fc.constant(''), atoms, quoted, encodedB, encodedQ),
  comment: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: comment }),
});
type Box = { local: string; domain: string; name: string; comment: string };
const write = (m: Box): string => {
  const spec = `${m.local}@${m.domain}`;
  const core = m.name ? `${m.name} <${spec}>` : spec;
  return m.comment ? `${m.comment} ${core}` : core;
};

const messageArb = fc.record({
  to: fc.array(mailbox, { minLength: 0, maxLength: 8 }),
  cc: fc.array(mailbox, { maxLength: 6 }),
  bcc: fc.array(mailbox, { maxLength: 3 }),
  nl: fc.constantFrom('\n', '\r\n'),
  fold: fc.boolean(),
  group: fc.option(fc.constantFrom('Customers', '"Dear, customers"', 'Kunden'), { nil: undefined }),
  body: fc.string({ maxLength: 80 }).map((b) => `${b}\nFrom here on\nBcc: body text\n`),
});

function build(m: { to: Box[]; cc: Box[]; bcc: Box[]; nl: string; fold: boolean; group: string | undefined; body: string }): Buffer {
  const sep = m.fold ? `,${m.nl} ` : ', ';
  const lines = ['From: Sender <sender@corp.example>'];
  if (m.to.length > 0) lines.push(`To: ${m.group ? `${m.group}: ${m.to.map(write).join(sep)};` : m.to.map(write).join(sep)}`);
  if (m.cc.length > 0) lines.push(`Cc: ${m.cc.map(write).join(sep)}`);
  if (m.bcc.length > 0) lines.push(`Bcc: ${m.bcc.map(write).join(sep)}`);
  lines.push('Subject: offer', 'Message-ID: <orig@corp.example>', 'References: <a@corp.example>', '', m.body.replace(/\r?\n/g, m.nl));
  return Buffer.from(lines.join(m.nl), 'utf8');
}

function refuses(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    if (err instanceof MailguardError && err.code === 'EREWRITE') return true;
    throw err;
  }
}

const unreadable = (bytes: Buffer): boolean => checkMessage(bytes, policy).findings.some((f) => f.code === 'AMBIGUOUS_RECIPIENT' || f.code === 'MALFORMED_HEADER');

describe('rewrite properties (fast-check)', () => {
  it('bcc: refuses what the core cannot read, otherwise every invariant holds', async () => {
    let rewritten = 0;
    await fc.assert(
      fc.asyncProperty(messageArb, async (m) => {
        const input = build(m);
        if (unreadable(input)) {
          expect(refuses(() => rewriteToBcc(input, policy))).toBe(true);
          return;
        }
        const { bytes } = rewriteToBcc(input, policy);
        rewritten++;
        await expectBccInvariants(input, bytes, policy);
      }),
      { numRuns: RUNS },
    );
    // The generator must mostly produce readable lists, or the property proves little.
    expect(rewritten).toBeGreaterThan(RUNS / 3);
  });

  it('split: refuses what the core cannot read, otherwise every invariant holds', async () => {
    await fc.assert(
      fc.asyncProperty(messageArb, async (m) => {
        const input = build(m);
        if (unreadable(input)) {
          expect(refuses(() => splitMessage(input, policy))).toBe(true);
          return;
        }
        const { messages } = splitMessage(input, policy);
        await expectSplitInvariants(input, messages, policy);
      }),
      { numRuns: RUNS },
    );
  });

  it('a hostile encoded name never becomes a field or an address, in any strategy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(encodedB, { minLength: 3, maxLength: 6 }), fc.constantFrom('\n', '\r\n'), async (names, nl) => {
        const to = names.map((n, i) => `${n} <r${i}@org${i}.test>`).join(`,${nl} `);
        const input = Buffer.from(['From: s@corp.example', `To: ${to}`, 'Subject: x', '', 'body', ''].join(nl));
        const expected = names.map((_, i) => `r${i}@org${i}.test`).sort();
        const { bytes } = rewriteToBcc(input, policy);
        const view = await mailparserView(bytes);
        expect([...view.keys].sort()).toEqual(['bcc', 'from', 'subject', 'to']);
        expect([...view.bcc].sort()).toEqual(expected);
        for (const copy of splitMessage(input, policy).messages) {
          const v = await mailparserView(copy.bytes);
          expect([...v.keys].sort()).toEqual(['from', 'message-id', 'subject', 'to']);
          expect([...v.visible]).toEqual(copy.recipients);
        }
      }),
      { numRuns: 60 },
    );
  });
});
