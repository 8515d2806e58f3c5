// decideDelivery's `checked` (check's fix hint hands its own result over): the decision reuses it
// only where it is the check the decision makes itself, and then decides exactly as without it.
// Differential over every fixture and example, the real-mail corpus (../shared/corpus) and
// generated lists; then a deliberately wrong result, differing from the decision's own check in
// one term at a time, must be ignored (and is used when nothing differs, so the path is live).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAndParse, checkMessage, type CheckOptions } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { decideFix, fixOutlook, type FixDecision, type FixStrategy } from '../../src/decide/fix.js';
import { decideDelivery, deliveryPolicy, type CheckedMessage } from '../../src/decide/index.js';
import { readHeaderBlock } from '../../src/message/header-block.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';
import { stripLeadingEnvelope } from '../../src/rewrite/strip-bcc.js';
import { CORPUS_DIR, corpusFiles } from '../corpus/corpus-files.js';
import { FIXTURES, ROOT } from '../helpers/cli.js';
import { fixRandomBytes } from '../helpers/fixed-random.js';

// A split copy's fresh Message-ID is random: the same for both runs here, so their bytes compare.
fixRandomBytes();

const bodyScan = { minAddresses: DEFAULT_BODY_SCAN.minAddresses, maxPartBytes: DEFAULT_BODY_SCAN.maxPartBytes };
const POLICIES: Record<string, Policy> = {
  plain: createPolicy({ internalDomains: ['corp.example'], bodyScan }),
  sensitive: createPolicy({ internalDomains: ['corp.example'], sensitive: true, bodyScan }),
  'header only': createPolicy({ internalDomains: ['corp.example'] }),
  // Relaxes an unreadable-recipient rule: the decision's policy is another object (deliveryPolicy).
  relaxed: createPolicy({ internalDomains: ['corp.example'], bodyScan, rules: { AMBIGUOUS_RECIPIENT: 'warning' } }),
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** The check as check-items makes it on a message read whole (its source and line offset given),
 * with the parse behind it as check-items hands it over, or (a library caller) without. */
function checkAsCheckDoes(bytes: Uint8Array, policy: Policy, source?: string, withParse = true): CheckedMessage {
  const options: CheckOptions = { lineOffset: 0, body: policy.bodyScan ?? false };
  if (source !== undefined) options.source = source;
  if (!withParse) return { bytes, policy, options, result: checkMessage(bytes, policy, options) };
  const { result, parsed } = checkAndParse(bytes, policy, options);
  return { bytes, policy, options, result, parsed };
}

/** Whether the decision may reuse that check: nothing dropped before the message, the policy not relaxed. */
const reusable = (bytes: Uint8Array, policy: Policy) => stripLeadingEnvelope(bytes).bytes === bytes && deliveryPolicy(policy) === policy;

/** Two transaction lists, one copy of each at a time (a split of a large message is never held whole). */
function expectSameTransactions(a: FixDecision, b: FixDecision, name: string): void {
  const left = a.decision.transactions()[Symbol.iterator]();
  const right = b.decision.transactions()[Symbol.iterator]();
  for (let i = 0; ; i++) {
    const x = left.next();
    const y = right.next();
    expect(x.done, `${name}: transaction ${i}`).toBe(y.done);
    if (x.done || y.done) return;
    expect(Buffer.from(x.value.bytes).equals(Buffer.from(y.value.bytes)), `${name}: transaction ${i}'s bytes`).toBe(true);
    expect(x.value.envelope).toEqual(y.value.envelope);
  }
}

/** Everything a fix decision says but its transactions' bytes (compared apart). */
function fixData(d: FixDecision) {
  const { decision, ...outlook } = d;
  const { transactions: _made, ...data } = decision;
  return { outlook, data };
}

let reused = 0;

/** fixOutlook and decideFix (both strategies) with and without the check reused: the same, and reused where it may be. */
function expectSameWithReuse(bytes: Uint8Array, policy: Policy, name: string): void {
  for (const source of [undefined, 'given.eml']) {
    const checked = checkAsCheckDoes(bytes, policy, source, source !== undefined);
    expect(fixOutlook(bytes, policy, checked), `${name}: fixOutlook`).toEqual(fixOutlook(bytes, policy));
    for (const strategy of ['bcc', 'split'] as FixStrategy[]) {
      const plain = decideFix(bytes, policy, { strategy });
      const withCheck = decideFix(bytes, policy, { strategy, checked });
      expect(fixData(withCheck), `${name}: decideFix ${strategy}`).toEqual(fixData(plain));
      expectSameTransactions(withCheck, plain, `${name} ${strategy}`);
      // Reused (the very findings list) exactly where the terms allow it.
      expect(withCheck.decision.result.findings === checked.result.findings, `${name}: reused`).toBe(reusable(bytes, policy));
      if (withCheck.decision.result.findings === checked.result.findings) reused++;
    }
  }
}

describe('reusing the check: the same decision', () => {
  const inputs = [...filesUnder(FIXTURES), ...filesUnder(path.join(ROOT, 'examples'))];

  it.each(Object.keys(POLICIES))('every fixture and example, policy %s', (name) => {
    expect(inputs.length).toBeGreaterThan(100);
    reused = 0;
    for (const file of inputs) expectSameWithReuse(readFileSync(file), POLICIES[name]!, path.relative(ROOT, file));
    if (name === 'relaxed') expect(reused).toBe(0);
    else expect(reused).toBeGreaterThan(inputs.length);
  });

  it.skipIf(!existsSync(CORPUS_DIR))('every message of the corpus', { timeout: 240_000 }, () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(1000);
    reused = 0;
    for (const file of files) expectSameWithReuse(readFileSync(file), POLICIES.plain!, path.relative(CORPUS_DIR, file));
    expect(reused).toBeGreaterThan(files.length);
  });

  const local = fc.constantFrom('ann', 'bob', 'cy', 'dee', 'eve', 'finn', 'gus');
  const domain = fc.constantFrom('a.test', 'b.test', 'c.test', 'd.test', 'corp.example', 'gmail.com', 'mail.a.test');
  const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
  const list = fc.array(address, { maxLength: 9 });
  const thresholds = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 15 }));
  const scenario = fc.record({
    to: list,
    cc: list,
    keywords: list,
    replyTo: list,
    body: list,
    named: fc.boolean(),
    crlf: fc.boolean(),
    sensitive: fc.boolean(),
    scan: fc.boolean(),
    relaxed: fc.boolean(),
    thresholds,
  });

  it('generated lists in To, Cc, Keywords, Reply-To and the body, under generated policies', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const nl = s.crlf ? '\r\n' : '\n';
        const show = (xs: string[]) => xs.map((a, i) => (s.named && i % 2 === 0 ? `"P ${i}" <${a}>` : a)).join(', ');
        const lines = ['From: sender@corp.example'];
        if (s.to.length) lines.push(`To: ${show(s.to)}`);
        if (s.cc.length) lines.push(`Cc: ${show(s.cc)}`);
        if (s.keywords.length) lines.push(`Keywords: ${s.keywords.join(', ')}`);
        if (s.replyTo.length) lines.push(`Reply-To: ${show(s.replyTo)}`);
        lines.push('Subject: t', '', 'Hello,', s.body.join('\n'), '');
        const [warnAt, blockOver, warnAddressesAt, blockAddressesOver] = s.thresholds;
        const policy = createPolicy({
          internalDomains: ['corp.example'],
          sensitive: s.sensitive,
          warnAt,
          blockAt: warnAt + blockOver,
          warnAddressesAt,
          blockAddressesAt: warnAddressesAt + blockAddressesOver,
          ...(s.scan ? { bodyScan: { minAddresses: 3, maxPartBytes: 1 << 20 } } : {}),
          ...(s.relaxed ? { rules: { MALFORMED_HEADER: 'warning' as const } } : {}),
        });
        expectSameWithReuse(Buffer.from(lines.join(nl), 'latin1'), policy, 'generated');
      }),
      { numRuns: 300 },
    );
  });
});

describe('a check that is not the decision\'s own is not reused', () => {
  const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan });
  const orgs = (n: number, tag = 'p') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`).join(', ');
  const listed = Buffer.from(`From: s@corp.example\r\nTo: ${orgs(6)}\r\nSubject: s\r\n\r\nHello.\r\n`, 'latin1');
  const clean = Buffer.from('From: s@corp.example\r\nTo: t@corp.example\r\nSubject: s\r\n\r\nHello.\r\n', 'latin1');
  /** A result that says the listed message is clean: wrong, so whether it was used shows. */
  const wrong = checkMessage(clean, policy, { body: bodyScan });
  const record = (over: Partial<CheckedMessage> = {}, options: CheckOptions = {}): CheckedMessage => ({ bytes: listed, policy, options, result: wrong, ...over });
  const right = fixOutlook(listed, policy);

  it('the controls: the listed message is rewritten; with every term equal, the (wrong) result handed over is what decides', () => {
    expect(right).toEqual({ strategy: 'bcc', outcome: 'rewrite' });
    expect(fixOutlook(listed, policy, record())).toEqual({ strategy: 'bcc', outcome: 'untouched' });
    expect(fixOutlook(listed, policy, record({}, { source: 'other.eml', lineOffset: 0, body: bodyScan }))).toEqual({ strategy: 'bcc', outcome: 'untouched' });
    // A copy of the bytes is the same bytes.
    expect(fixOutlook(listed, policy, record({ bytes: Buffer.from(listed) }))).toEqual({ strategy: 'bcc', outcome: 'untouched' });
  });

  const sameLength = Buffer.from(listed);
  sameLength[sameLength.indexOf('Hello')] = 0x4a;
  it.each<[string, CheckedMessage]>([
    ['another policy object, equal in content', record({ policy: createPolicy({ internalDomains: ['corp.example'], bodyScan }) })],
    ['another policy', record({ policy: createPolicy({ internalDomains: ['p0-org.example'], bodyScan }) })],
    ['other bytes', record({ bytes: clean })],
    ['other bytes of the same length', record({ bytes: sameLength })],
    ['no body scan where a body is scanned', record({}, { body: false })],
    ['other body scan options', record({}, { body: { ...bodyScan, minAddresses: 2 } })],
    ['equal body scan options in another object', record({}, { body: { ...bodyScan } })],
    ['an envelope', record({}, { envelope: { mailFrom: 's@corp.example', rcptTo: ['p0@p0-org.example'] } })],
    ['another line offset', record({}, { lineOffset: 3 })],
    ['a body not read', record({}, { bodyNotRead: { reason: 'too-large', detail: 'd' } })],
    ['a header block handed in', record({}, { header: readHeaderBlock(listed) })],
  ])('%s', (_name, checked) => {
    expect(fixOutlook(listed, policy, checked)).toEqual(right);
    expect(decideFix(listed, policy, { strategy: 'bcc', checked }).decision.result).toEqual(checkMessage(listed, policy));
  });

  it('a relaxed policy: the decision is made with another one than the check was', () => {
    const relaxed = createPolicy({ internalDomains: ['corp.example'], bodyScan, rules: { AMBIGUOUS_RECIPIENT: 'warning' } });
    expect(fixOutlook(listed, relaxed, record({ policy: relaxed }))).toEqual(fixOutlook(listed, relaxed));
    // The policy the decision is made with is reused, though (the same computation).
    expect(fixOutlook(listed, relaxed, record({ policy: deliveryPolicy(relaxed) }))).toEqual({ strategy: 'bcc', outcome: 'untouched' });
  });

  it('a message behind a BOM or a From line: the decision reads it without them (other lines, other bytes)', () => {
    for (const prefix of ['\ufeff', 'From s@corp.example Thu Jan  1 00:00:00 2026\r\n']) {
      const bytes = Buffer.concat([Buffer.from(prefix, 'utf8'), listed]);
      expect(fixOutlook(bytes, policy, record({ bytes }))).toEqual(right);
    }
  });

  it('a decision that reads more than the bytes (writtenAs, an assumed blank line) checks them itself', () => {
    const d1 = decideDelivery(listed, policy, { onViolation: 'bcc', output: 'draft', checked: record(), writtenAs: Buffer.from(`To: ${orgs(6)}\r\n`) });
    expect(d1.result.verdict).toBe('block');
    const at = listed.indexOf('\r\n\r\n') + 2;
    const d2 = decideDelivery(listed, policy, { onViolation: 'bcc', output: 'draft', checked: record(), assumedBlankLineAt: at });
    expect(d2.result.verdict).toBe('block');
  });

  it('where no body scan runs, the body option does not matter: no body, or every body rule off', () => {
    const headerOnly = listed.subarray(0, listed.indexOf('\r\n\r\n') + 4);
    expect(fixOutlook(headerOnly, policy, record({ bytes: headerOnly }, { body: false }))).toEqual({ strategy: 'bcc', outcome: 'untouched' });
    const off = createPolicy({ internalDomains: ['corp.example'], bodyScan, rules: { ADDRESS_LIST_IN_BODY: 'off', ADDRESS_LIST_IN_ATTACHMENT: 'off', EXPOSED_ATTENDEES: 'off', ATTACHMENT_NOT_SCANNED: 'off' } });
    expect(fixOutlook(listed, off, record({ policy: off }, { body: false }))).toEqual({ strategy: 'bcc', outcome: 'untouched' });
    // One body rule on: the option matters again.
    const oneOn = createPolicy({ internalDomains: ['corp.example'], bodyScan, rules: { ADDRESS_LIST_IN_BODY: 'off', ADDRESS_LIST_IN_ATTACHMENT: 'off', EXPOSED_ATTENDEES: 'off' } });
    expect(fixOutlook(listed, oneOn, record({ policy: oneOn }, { body: false }))).toEqual({ strategy: 'bcc', outcome: 'rewrite' });
  });

  it('a list only in the body, checked without the body scan: not reused, the list is still found', () => {
    const inBody = Buffer.from(`From: s@corp.example\r\nTo: t@corp.example\r\nSubject: s\r\n\r\n${orgs(12).replace(/, /g, '\r\n')}\r\n`, 'latin1');
    const headerCheck = checkMessage(inBody, policy, { body: false });
    expect(headerCheck.findings.some((f) => f.code === 'ADDRESS_LIST_IN_BODY')).toBe(false);
    const d = decideFix(inBody, policy, { strategy: 'bcc', checked: { bytes: inBody, policy, options: { body: false }, result: headerCheck } });
    expect(d.decision.result.findings.some((f) => f.code === 'ADDRESS_LIST_IN_BODY')).toBe(true);
    expect(fixOutlook(inBody, policy, { bytes: inBody, policy, options: { body: false }, result: headerCheck })).toEqual(fixOutlook(inBody, policy));
  });
});
