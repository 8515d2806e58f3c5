// One line per fixture: its verdict, its finding codes (with the ambiguity or malformation kind),
// and how many external parties are visible. Fixtures live in fixtures/check/.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, type MessageResult, type Policy } from '../../src/index.js';
import { isFailure, readInputs } from '../../src/io/inputs.js';
import { FIXTURES } from '../helpers/cli.js';

const dir = path.join(FIXTURES, 'check');
const policy = createPolicy({ internalDomains: ['corp.example'] });

function codes(r: MessageResult): string[] {
  return r.findings.map((f) => ('problem' in f.args ? `${f.code}:${f.args.problem}` : f.code));
}

function check(name: string, p = policy): MessageResult {
  return checkMessage(readFileSync(path.join(dir, name)), p, { source: name });
}

// [fixture, verdict, findings (code or code:problem), visible external parties]
const CASES: Array<[string, string, string[], number]> = [
  ['duplicate-to-fields.eml', 'block', ['EXPOSED_RECIPIENTS', 'DUPLICATE_RECIPIENT_FIELD'], 6],
  ['resent-to-list.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  ['resent-cc-warn.eml', 'warn', ['EXPOSED_RECIPIENTS'], 3],
  ['freemail-parties.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  // Twelve people at one organisation: the address trigger (warnAddressesAt 10), not the organisations.
  ['one-external-org.eml', 'warn', ['EXPOSED_RECIPIENTS'], 1],
  ['subdomains-one-org.eml', 'pass', [], 1],
  ['ip-literals.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  ['lookalike-internal.eml', 'pass', [], 2],
  ['plus-tags-and-dots.eml', 'pass', [], 1],
  ['case-and-trailing-dot.eml', 'warn', ['EXPOSED_RECIPIENTS'], 3],
  ['group-members.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  // A draft at rest: its Bcc is a note (info), stripped by whatever sends it.
  ['undisclosed-group.eml', 'pass', ['BCC_HEADER_PRESENT'], 0],
  ['encoded-display-names.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  ['utf8-headers.eml', 'warn', ['EXPOSED_RECIPIENTS'], 3],
  ['folded-crlf.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  ['bom-and-from-line.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  ['mbox-from-line.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  ['cr-only.eml', 'block', ['EXPOSED_RECIPIENTS'], 5],
  ['quoted-local-at.eml', 'block', ['AMBIGUOUS_RECIPIENT:routed-local-part', 'AMBIGUOUS_RECIPIENT:routed-local-part'], 0],
  // Reply-To counts toward exposure (class 3); the reply finding names the field.
  ['reply-to-exposure.eml', 'warn', ['EXPOSED_RECIPIENTS', 'EXPOSED_REPLY_ADDRESSES'], 0],
  ['message-rfc822-inner.eml', 'pass', [], 0],
  ['malformed-line-without-colon.eml', 'block', ['MALFORMED_HEADER:line-without-colon'], 1],
  ['malformed-whitespace-line.eml', 'block', ['MALFORMED_HEADER:whitespace-only-line'], 1],
  ['malformed-leading-continuation.eml', 'block', ['MALFORMED_HEADER:leading-continuation'], 0],
  ['no-blank-line.eml', 'block', ['MALFORMED_HEADER:line-without-colon'], 0],
  ['empty.eml', 'error', ['UNREADABLE_MESSAGE'], 0],
  ['not-a-message.eml', 'error', ['UNREADABLE_MESSAGE'], 0],
  ['ambiguous-comment-in-address.eml', 'block', ['AMBIGUOUS_RECIPIENT:comment-in-address'], 0],
  ['ambiguous-encoded-word-domain.eml', 'block', ['AMBIGUOUS_RECIPIENT:encoded-word-in-address'], 0],
  ['ambiguous-encoded-word-local.eml', 'block', ['AMBIGUOUS_RECIPIENT:encoded-word-in-address'], 0],
  ['ambiguous-idn-fullwidth.eml', 'block', ['AMBIGUOUS_RECIPIENT:idn-mismatch'], 0],
  ['ambiguous-idn-kelvin.eml', 'block', ['AMBIGUOUS_RECIPIENT:idn-mismatch'], 0],
  ['ambiguous-idn-soft-hyphen.eml', 'block', ['AMBIGUOUS_RECIPIENT:idn-mismatch'], 0],
  ['ambiguous-invalid-utf8-local.eml', 'block', ['AMBIGUOUS_RECIPIENT:invalid-utf8'], 0],
  ['ambiguous-missing-separator.eml', 'block', ['AMBIGUOUS_RECIPIENT:missing-separator'], 1],
  ['ambiguous-missing-separator-angle.eml', 'block', ['AMBIGUOUS_RECIPIENT:missing-separator'], 1],
  ['ambiguous-mixed-script.eml', 'block', ['AMBIGUOUS_RECIPIENT:mixed-script-domain'], 0],
  ['ambiguous-multiple-at.eml', 'block', ['AMBIGUOUS_RECIPIENT:multiple-at'], 0],
  ['ambiguous-name-looks-like-address.eml', 'block', ['AMBIGUOUS_RECIPIENT:missing-separator'], 0],
  ['ambiguous-no-domain.eml', 'block', ['AMBIGUOUS_RECIPIENT:missing-domain'], 0],
  ['ambiguous-route-syntax.eml', 'block', ['AMBIGUOUS_RECIPIENT:route-syntax'], 0],
  ['ambiguous-space-before-colon.eml', 'block', ['AMBIGUOUS_RECIPIENT:space-before-colon'], 1],
  ['ambiguous-unbalanced-angle.eml', 'block', ['AMBIGUOUS_RECIPIENT:unbalanced-angle'], 0],
  ['ambiguous-unterminated-group.eml', 'block', ['AMBIGUOUS_RECIPIENT:unterminated-group'], 2],
];

// Ambiguities whose recovery also reports what follows; the first finding is what matters.
const FIRST_ONLY: Array<[string, string]> = [
  ['ambiguous-bare-cr.eml', 'MALFORMED_HEADER:foreign-line-break'],
  ['ambiguous-nul-byte.eml', 'AMBIGUOUS_RECIPIENT:control-character'],
  ['ambiguous-unclosed-quote.eml', 'AMBIGUOUS_RECIPIENT:unbalanced-quote'],
  ['ambiguous-unbalanced-comment.eml', 'AMBIGUOUS_RECIPIENT:unbalanced-comment'],
  ['ambiguous-nested-group.eml', 'AMBIGUOUS_RECIPIENT:nested-group'],
];

// Issue 13, with the fixtures' policy unless a policy is named: [fixture, policy, verdict,
// findings, visible external parties (To/Cc only), exposed addresses in the EXPOSED_RECIPIENTS finding or -].
const INFERRED = createPolicy({});
const LISTS = createPolicy({ internalDomains: ['corp.example'], publicLists: ['linux-kernel@vger.kernel.org'] });
const ISSUE_13: Array<[string, Policy, string, string[], number, number | '-']> = [
  // 1. a line end another parser honours, in any field
  ['malformed-bare-cr-subject.eml', policy, 'block', ['MALFORMED_HEADER:foreign-line-break', 'EXPOSED_RECIPIENTS'], 0, 5],
  ['malformed-form-feed-received.eml', policy, 'block', ['MALFORMED_HEADER:foreign-line-break'], 0, '-'],
  ['malformed-line-separator-message-id.eml', policy, 'block', ['MALFORMED_HEADER:foreign-line-break'], 0, '-'],
  ['malformed-cr-before-line-end.eml', policy, 'block', ['MALFORMED_HEADER:foreign-line-break', 'EXPOSED_RECIPIENTS'], 5, 5],
  // 2. an inferred internal domain: never a public suffix or a provider; Resent-From for a resent message; exact
  ['inferred-public-suffix.eml', INFERRED, 'block', ['EXPOSED_RECIPIENTS'], 5, 5],
  ['inferred-private-suffix.eml', INFERRED, 'block', ['EXPOSED_RECIPIENTS'], 5, 5],
  ['inferred-consumer-provider.eml', INFERRED, 'warn', ['EXPOSED_RECIPIENTS'], 3, 3],
  ['inferred-resent-from.eml', INFERRED, 'block', ['EXPOSED_RECIPIENTS'], 1, 26],
  ['inferred-student-subdomain.eml', INFERRED, 'block', ['EXPOSED_RECIPIENTS'], 1, 30],
  // 3. fields other than To/Cc that every reader sees
  ['several-authors-from.eml', policy, 'block', ['EXPOSED_RECIPIENTS'], 0, 5],
  ['several-senders.eml', policy, 'block', ['MALFORMED_HEADER:several-senders'], 0, '-'],
  ['display-name-list.eml', policy, 'block', ['EXPOSED_RECIPIENTS'], 0, 5],
  ['display-name-encoded-list.eml', policy, 'block', ['EXPOSED_RECIPIENTS'], 0, 5],
  ['display-name-own-address.eml', policy, 'pass', [], 2, '-'],
  ['mail-followup-to-list.eml', policy, 'block', ['EXPOSED_RECIPIENTS', 'EXPOSED_REPLY_ADDRESSES'], 0, 5],
  ['resent-from-several.eml', policy, 'block', ['EXPOSED_RECIPIENTS'], 0, 5],
  // 7. providers the old list missed, one provider's customers, hosting tenants
  ['isp-customers.eml', policy, 'block', ['EXPOSED_RECIPIENTS'], 6, 6],
  ['one-isp-six-customers.eml', policy, 'block', ['EXPOSED_RECIPIENTS'], 6, 6],
  ['hosting-tenants.eml', policy, 'block', ['EXPOSED_RECIPIENTS'], 5, 5],
  // precision: a public list post, ordinary mail
  ['public-list-post.eml', LISTS, 'pass', ['PUBLIC_LIST_POST'], 7, '-'],
  ['public-list-post.eml', createPolicy({ internalDomains: ['corp.example'], publicLists: ['*@vger.kernel.org'], sensitive: true }), 'block', ['EXPOSED_RECIPIENTS'], 7, 7],
  ['sender-for-manager.eml', policy, 'pass', [], 1, '-'],
  ['all-hands.eml', policy, 'pass', [], 0, '-'],
  ['thunderbird-draft-attachment.eml', policy, 'pass', ['BCC_HEADER_PRESENT'], 1, '-'],
];

describe('check: issue 13 fixtures', () => {
  it.each(ISSUE_13)('%s -> %s', (name, p, verdict, expected, parties, exposed) => {
    const r = check(name, p);
    const f = r.findings.find((x) => x.code === 'EXPOSED_RECIPIENTS');
    expect([r.verdict, codes(r), r.recipients.externalParties, f?.code === 'EXPOSED_RECIPIENTS' ? f.args.externalAddresses : '-']).toEqual([verdict, expected, parties, exposed]);
  });
});

describe('check: fixtures', () => {
  it.each(CASES)('%s -> %s %j (%i parties)', (name, verdict, expected, parties) => {
    const r = check(name);
    expect(r.verdict).toBe(verdict);
    expect(codes(r)).toEqual(expected);
    expect(r.recipients.externalParties).toBe(parties);
  });

  it.each(FIRST_ONLY)('%s -> block, first finding %s', (name, first) => {
    const r = check(name);
    expect(r.verdict).toBe('block');
    expect(codes(r)[0]).toBe(first);
  });

  it('covers every fixture in fixtures/check', () => {
    const listed = new Set([...CASES.map((c) => c[0]), ...FIRST_ONLY.map((c) => c[0]), ...ISSUE_13.map((c) => c[0])]);
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files.filter((f) => !listed.has(f))).toEqual([]);
  });
});

describe('check: addresses and classification', () => {
  it('matches internal domains on label boundaries only', () => {
    const r = check('lookalike-internal.eml');
    const internal = Object.fromEntries(r.recipients.visible.map((v) => [v.address, v.internal]));
    expect(internal).toEqual({
      'x@evilcorp.example': false,
      'y@corp.example.attacker.test': false,
      'z@mail.corp.example': true,
      'w@corp.example': true,
    });
  });

  it('lower-cases domains, drops one trailing dot, keeps local parts and plus-tags distinct', () => {
    expect(check('case-and-trailing-dot.eml').recipients.visible.map((v) => v.address)).toEqual(['a@one.test', 'b@one.test', 'c@two.test', 'd@three.test']);
    expect(check('plus-tags-and-dots.eml').recipients.externalAddresses).toBe(4);
  });

  it('makes each consumer-provider address its own party', () => {
    const r = check('freemail-parties.eml');
    expect(r.recipients.visible.map((v) => v.party)).toEqual(['ann@gmail.com', 'bob@gmail.com', 'cat@gmail.com', 'dan@outlook.com', 'eve@gmx.de']);
  });

  it('groups subdomains under their registrable domain (public suffix list)', () => {
    expect(new Set(check('subdomains-one-org.eml').recipients.visible.map((v) => v.party))).toEqual(new Set(['partner.co.uk']));
  });

  it('reads UTF-8 addresses into A-label form', () => {
    const r = check('utf8-headers.eml');
    expect(r.recipients.visible.map((v) => v.address)).toEqual(['jürgen@xn--bcher-kva.example', 'yamada@xn--r8jz45g.jp', 'a@one.test']);
  });

  it('never takes a quoted local part with @ as an address at the inner domain: ambiguous (Postfix relays "a@b"@local to b)', () => {
    const r = check('quoted-local-at.eml');
    expect(r.recipients.visible.some((v) => v.address.endsWith('evil.test') || v.address.endsWith('evil2.test'))).toBe(false);
    expect(r.verdict).toBe('block');
  });

  it('infers the internal domain from the sender when none is configured, and says so', () => {
    const r = checkMessage(readFileSync(path.join(dir, 'lookalike-internal.eml')), {}, {});
    expect(r.internal).toEqual({ domains: ['corp.example'], inferred: true, inferredFrom: 'from' });
    const gmail = checkMessage(Buffer.from('From: me@gmail.com\nTo: a@gmail.com, b@gmail.com, c@gmail.com\n\nx\n'), {});
    expect(gmail.internal).toEqual({ domains: [], inferred: true, inferredFrom: 'from', notInferred: 'consumer-provider' });
    expect(gmail.verdict).toBe('warn');
  });

  it('refuses a consumer provider as a trusted partner domain (its customers would count as internal)', () => {
    expect(() => createPolicy({ internalDomains: ['corp.example'], trustedDomains: ['gmail.com'] })).toThrow(/consumer mail provider/);
    const r = check('freemail-parties.eml', createPolicy({ internalDomains: ['corp.example'], trustedDomains: ['partner.example'] }));
    expect(r.recipients.externalParties).toBe(5);
  });

  it('reports the line of the field and of each recipient', () => {
    const r = check('duplicate-to-fields.eml');
    expect(r.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS')?.line).toBe(4);
    expect(r.recipients.visible.map((v) => v.line)).toEqual([4, 4, 4, 5, 5, 5]);
  });
});

describe('check: policy', () => {
  const list5 = Buffer.from('From: s@corp.example\nTo: a@one.test, b@two.test\n\nx\n');
  it('sensitive lists block at 2 parties', () => {
    expect(checkMessage(list5, createPolicy({ internalDomains: ['corp.example'] })).verdict).toBe('pass');
    expect(checkMessage(list5, createPolicy({ internalDomains: ['corp.example'], sensitive: true })).verdict).toBe('block');
  });
  it('per-rule severity: off, warning, error', () => {
    const bcc = readFileSync(path.join(dir, 'undisclosed-group.eml'));
    expect(checkMessage(bcc, createPolicy({ rules: { BCC_HEADER_PRESENT: 'off' } })).verdict).toBe('pass');
    expect(checkMessage(bcc, createPolicy({ rules: { BCC_HEADER_PRESENT: 'error' } })).verdict).toBe('block');
    const exposed = readFileSync(path.join(dir, 'group-members.eml'));
    expect(checkMessage(exposed, createPolicy({ rules: { EXPOSED_RECIPIENTS: 'warning' } })).verdict).toBe('warn');
  });
  it('custom thresholds', () => {
    const three = readFileSync(path.join(dir, 'resent-cc-warn.eml'));
    expect(checkMessage(three, createPolicy({ warnAt: 2, blockAt: 3 })).verdict).toBe('block');
    expect(checkMessage(three, createPolicy({ warnAt: 4, blockAt: 6 })).verdict).toBe('pass');
  });
  it('refuses invalid policies with the key named', () => {
    expect(() => createPolicy({ warnAt: 6, blockAt: 5 })).toThrow(/warnAt/);
    expect(() => createPolicy({ internalDomains: ['not a domain'] })).toThrow(/internalDomains/);
    // A public suffix as internal or trusted would make every address under it internal (fail open).
    for (const suffix of ['com', 'co.uk', 'github.io', 'test', '.com']) {
      expect(() => createPolicy({ trustedDomains: [suffix] })).toThrow(/public suffix/);
      expect(() => createPolicy({ internalDomains: [suffix] })).toThrow(/public suffix/);
    }
    expect(createPolicy({ internalDomains: ['corp.co.uk', 'mail.corp.example'] }).internalDomains).toEqual(['corp.co.uk', 'mail.corp.example']);
  });
});

describe('check: mbox and SMTP transcripts', () => {
  async function readAll(name: string) {
    const out = [];
    for await (const item of readInputs([path.join(dir, name)], { headersOnly: true })) out.push(item);
    return out;
  }

  it('checks every message of an mbox as path#N with file-relative lines', async () => {
    const items = await readAll('campaign.mbox');
    const results = items.map((i) => (isFailure(i) ? undefined : checkMessage(i.bytes, policy, { source: i.source, lineOffset: i.lineOffset })));
    expect(results.map((r) => [r?.source.split('/').pop(), r?.verdict])).toEqual([
      ['campaign.mbox#1', 'pass'],
      ['campaign.mbox#2', 'block'],
      ['campaign.mbox#3', 'warn'],
    ]);
    // The second message's To is on line 14 of the file.
    expect(results[1]!.findings[0]!.line).toBe(14);
  });

  it('reads the envelope of each SMTP transaction and reports hidden recipients', async () => {
    const items = await readAll('bcc-envelope.smtp');
    expect(items).toHaveLength(2);
    const first = items[0]!;
    if (isFailure(first)) throw new Error('unexpected failure');
    expect(first.envelope).toEqual({ mailFrom: 'sales@corp.example', rcptTo: ['a@one.test', 'b@two.test', 'c@three.test'] });
    // Dot-stuffing undone.
    expect(Buffer.from(first.bytes).toString()).toContain('\r\n.leading dot line\r\n');
    const r = checkMessage(first.bytes, policy, { envelope: first.envelope });
    expect(r.verdict).toBe('pass');
    expect(r.recipients.hidden.map((h) => h.address)).toEqual(['a@one.test', 'b@two.test', 'c@three.test']);
  });

  it('compares envelope recipients with header recipients in normalised form', () => {
    const bytes = Buffer.from('From: s@corp.example\r\nTo: Ann <ann@one.test>\r\n\r\nhi\r\n');
    const r = checkMessage(bytes, policy, { envelope: { mailFrom: 's@corp.example', rcptTo: ['ann@ONE.Test.', 'bob@Two.Test'] } });
    expect(r.recipients.hidden).toEqual([{ address: 'bob@two.test', internal: false }]);
  });

  it('fails closed on an incomplete transcript', async () => {
    const items = await readAll('incomplete.smtp');
    expect(items.every(isFailure)).toBe(true);
  });
});
