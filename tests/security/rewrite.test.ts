// Security cases for rewriting (fix --strategy bcc / split): no header injection, nothing accepted
// is lost, the body stays byte-exact, and ambiguous input is refused rather than rewritten from a
// guess. Each case is named for what it defends against; a property test generates hostile lists.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { MailguardError } from '../../src/errors.js';
import { readHeaderBlock } from '../../src/message/header-block.js';
import { headerRecipients } from '../../src/message/header-recipients.js';
import { rewriteToBcc, splitMessage } from '../../src/rewrite/index.js';
import { CORP, message } from './support.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

/** Field keys of a message, in order. */
function keys(bytes: Uint8Array): string[] {
  return readHeaderBlock(bytes).fields.map((f) => f.key);
}

function body(bytes: Uint8Array): string {
  const h = readHeaderBlock(bytes);
  return Buffer.from(bytes).subarray(h.bodyStart).toString('latin1');
}

/** Count of each key except the ones a strategy is allowed to change. */
function untouchedCounts(bytes: Uint8Array, changeable: ReadonlySet<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys(bytes)) if (!changeable.has(k)) out[k] = (out[k] ?? 0) + 1;
  return out;
}

const BCC_CHANGES = new Set(['to', 'cc', 'bcc']);
const SPLIT_CHANGES = new Set(['to', 'cc', 'bcc', 'message-id']);

function refusal(fn: () => unknown): MailguardError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MailguardError);
    return err as MailguardError;
  }
  throw new Error('expected the rewrite to refuse');
}

/** What a rewritten message must satisfy, whatever its input. */
function assertSafeRewrite(input: Uint8Array, output: Uint8Array, changeable: ReadonlySet<string>): void {
  // No field appears that was not there (besides those the strategy writes), none disappears.
  expect(untouchedCounts(output, changeable)).toEqual(untouchedCounts(input, changeable));
  // The output reads cleanly: no malformed header, no ambiguity introduced by the rewrite.
  const r = checkMessage(output, CORP);
  expect(r.findings.filter((f) => f.code === 'MALFORMED_HEADER' || f.code === 'AMBIGUOUS_RECIPIENT')).toEqual([]);
  // The body is byte-exact.
  expect(body(output)).toBe(body(input));
}

const HOSTILE_NAMES = [
  // Encoded words that decode to a line break and a new field: must stay encoded, never decoded into the header.
  '=?utf-8?q?Eve=0D=0ABcc=3A_spy=40evil=2Eexample?=',
  '=?utf-8?b?RXZlDQpCY2M6IHNweUBldmlsLmV4YW1wbGU=?=',
  // Specials inside a quoted name.
  '"Eve, <spy@evil.example>; Bcc: x@evil.example"',
  '"Back\\\\slash \\" quote"',
  // A name that looks like an address.
  '"boss@corp.example"',
];

describe('bcc rewrite: no header injection, nothing lost, body byte-exact', () => {
  it.each(HOSTILE_NAMES)('hostile display name %s is written back exactly as it stood', (name) => {
    const input = enc(message(['From: me@corp.example', `To: ${name} <a@one.example>, b@two.example, c@three.example, d@four.example, e@five.example`, 'Cc: boss@corp.example', 'Subject: s']));
    const { bytes } = rewriteToBcc(input, CORP);
    assertSafeRewrite(input, bytes, BCC_CHANGES);
    expect(Buffer.from(bytes).toString('latin1')).toContain(`${name} <a@one.example>`);
    expect(keys(bytes).filter((k) => k === 'bcc')).toHaveLength(1);
    expect(checkMessage(bytes, CORP).recipients.externalParties).toBe(0);
  });

  it('every recipient is still a recipient after the rewrite (sendmail -t envelope)', () => {
    const input = enc(message(['From: me@corp.example', 'To: a@one.example, boss@corp.example', 'Cc: b@two.example', 'Cc: c@three.example', 'Bcc: d@four.example', 'Subject: s']));
    const { bytes, plan } = rewriteToBcc(input, CORP);
    expect(new Set(headerRecipients(bytes))).toEqual(new Set(headerRecipients(input)));
    expect(plan.addedRecipients).toEqual([]);
    assertSafeRewrite(input, bytes, BCC_CHANGES);
  });

  it('group members move; the group name stays without exposing anyone', () => {
    const input = enc(message(['From: me@corp.example', 'To: Customers: a@one.example, b@two.example, c@three.example;, boss@corp.example']));
    const { bytes } = rewriteToBcc(input, CORP);
    expect(new Set(headerRecipients(bytes))).toEqual(new Set(headerRecipients(input)));
    expect(checkMessage(bytes, CORP).recipients.externalParties).toBe(0);
    assertSafeRewrite(input, bytes, BCC_CHANGES);
  });

  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('%s line ends are kept in the rewritten fields (no bare LF injected into a CRLF message)', (_n, eol) => {
    const input = enc(message(['From: me@corp.example', 'To: a@one.example, b@two.example, c@three.example', 'Subject: s'], eol));
    const { bytes } = rewriteToBcc(input, CORP);
    const head = Buffer.from(bytes).subarray(0, readHeaderBlock(bytes).bodyStart).toString('latin1');
    if (eol === '\r\n') expect(head.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    else expect(head).not.toContain('\r');
  });

  it.each([
    ['an unclosed quote', 'To: "Eve <a@one.example>, b@two.example'],
    ['a missing separator', 'To: a@one.example b@two.example'],
    ['a bare CR', 'To: a@one.example\rBcc: x@evil.example'],
    ['a NUL', 'To: a@one.example\x00, b@two.example'],
    ['a routed local part', 'To: "x@evil.example"@corp.example, b@two.example'],
    ['an IDN look-alike', 'To: a@c\u043erp.example, b@two.example'],
    ['space before the colon', 'To : a@one.example, b@two.example'],
  ])('%s is refused: never rewritten from a guess', (_name, field) => {
    const input = enc(message(['From: me@corp.example', field, 'Subject: s']));
    const err = refusal(() => rewriteToBcc(input, CORP));
    expect(err.code).toBe('EREWRITE');
    expect(refusal(() => splitMessage(input, CORP)).code).toBe('EREWRITE');
  });

  it('a malformed header (no blank line before the body) is refused', () => {
    const input = enc('From: me@corp.example\r\nTo: a@one.example, b@two.example\r\nthis is the body\r\n');
    expect(refusal(() => rewriteToBcc(input, CORP)).code).toBe('EREWRITE');
  });
});

describe('split rewrite: one copy per external recipient, nothing lost, nobody exposed', () => {
  it.each(HOSTILE_NAMES)('hostile display name %s: every copy is safe', (name) => {
    const input = enc(message(['From: me@corp.example', `To: ${name} <a@one.example>, b@two.example`, 'Cc: boss@corp.example, c@three.example', 'Bcc: d@four.example', 'Message-ID: <orig@corp.example>', 'Subject: s']));
    const { messages } = splitMessage(input, CORP);
    const all = new Set(messages.flatMap((m) => m.recipients));
    expect(all).toEqual(new Set(headerRecipients(input)));
    for (const m of messages) {
      assertSafeRewrite(input, m.bytes, SPLIT_CHANGES);
      const r = checkMessage(m.bytes, CORP);
      expect(r.recipients.externalParties).toBeLessThanOrEqual(1);
      expect(keys(m.bytes)).not.toContain('bcc');
      expect(keys(m.bytes).filter((k) => k === 'message-id')).toHaveLength(1);
    }
  });
});

// ---- property: hostile generated address lists --------------------------------------------------

const local = fc.stringMatching(/^[a-z][a-z0-9.+_-]{0,8}[a-z0-9]$/).filter((s) => !s.includes('..'));
const externalDomain = fc.constantFrom('one.example', 'two.example', 'three.example', 'bücher.example', 'gmail.com', 'partner.co.uk');
const internalDomain = fc.constantFrom('corp.example', 'mail.corp.example');
const hostileName = fc.oneof(
  fc.constant(''),
  fc.constantFrom(...HOSTILE_NAMES),
  fc.stringMatching(/^[A-Za-z ,;:<>@()\[\]]{1,12}$/).map((s) => `"${s}"`),
  fc.stringMatching(/^[A-Za-z]{1,8}$/).map((s) => `=?utf-8?q?${s}=0D=0AX-Injected=3A_1?=`),
);
const mailbox = fc.record({ local, domain: fc.oneof(externalDomain, internalDomain), name: hostileName }).map(({ local: l, domain, name }) => (name ? `${name} <${l}@${domain}>` : `${l}@${domain}`));
const list = fc.array(mailbox, { minLength: 1, maxLength: 6 }).map((xs) => xs.join(',\r\n '));

describe('property: a rewrite never adds a header field and never loses a recipient', () => {
  it('bcc and split over generated hostile lists', () => {
    fc.assert(
      fc.property(list, fc.option(list, { nil: undefined }), fc.option(list, { nil: undefined }), fc.constantFrom('\r\n', '\n'), (to, cc, bcc, eol) => {
        const headers = ['From: me@corp.example', `To: ${to}`, ...(cc ? [`Cc: ${cc}`] : []), ...(bcc ? [`Bcc: ${bcc}`] : []), 'Subject: s', 'X-Trace: keep'];
        const input = enc(message(headers, eol).replace(/\r\n /g, `${eol} `));
        const before = new Set(headerRecipients(input));

        const { bytes } = rewriteToBcc(input, CORP);
        assertSafeRewrite(input, bytes, BCC_CHANGES);
        expect(new Set(headerRecipients(bytes))).toEqual(before);
        expect(checkMessage(bytes, CORP).recipients.externalAddresses).toBe(0);

        const { messages } = splitMessage(input, CORP);
        expect(new Set(messages.flatMap((m) => m.recipients))).toEqual(before);
        for (const m of messages) {
          assertSafeRewrite(input, m.bytes, SPLIT_CHANGES);
          expect(checkMessage(m.bytes, CORP).recipients.externalParties).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 150 },
    );
  });
});
