// The JSON report's results as the CLI writes them (jsonResultText, straight from a MessageResult)
// are byte for byte what the document builder prints (toJsonResult, JSON.stringify with 2 spaces,
// re-indented into `results`): every fixture and example, redacted or not, and any result a
// property test makes: strings JSON must escape (quotes, control characters, lone surrogates),
// optional fields present or not, empty lists, args of any shape (nested objects, lists of numbers,
// undefined values, NaN, -0, a toJSON of their own).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage, unreadableResult } from '../../src/analyse.js';
import type { Finding } from '../../src/findings.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { jsonArrayElement } from '../../src/report/json-pieces.js';
import { streamJson, toJsonResult } from '../../src/report/json.js';
import type { MessageResult, RecipientView } from '../../src/result.js';
import { FIXTURES, ROOT } from '../helpers/cli.js';

/** The reference: what streamJson wrote before jsonResultText. */
const reference = (r: MessageResult, redact: boolean, index: number) => jsonArrayElement(toJsonResult(r, { redact }), 1, index);

function expectSame(results: MessageResult[], redact: boolean): void {
  const stream = streamJson({ redact, color: false });
  results.forEach((r, i) => expect(stream.result(r)).toBe(reference(r, redact, i)));
}

const POLICY = createPolicy({ internalDomains: ['corp.example'] });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(eml|txt)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const inputs = [...filesUnder(FIXTURES), ...filesUnder(path.join(ROOT, 'examples'))];
const checked = inputs.map((file) => checkMessage(readFileSync(file), POLICY, { source: path.relative(ROOT, file), body: DEFAULT_BODY_SCAN }));

describe('jsonResultText is the document builder text', () => {
  it.each([false, true])('every fixture and example (redact %s)', (redact) => {
    expect(checked.length).toBeGreaterThan(40);
    expectSame([...checked, unreadableResult('broken "one".eml', 'not-a-message', 'detail\n')], redact);
  });

  it.each([false, true])('args with toJSON, or unusual values (redact %s)', (redact) => {
    const base = unreadableResult('x.eml', 'not-a-message');
    const withArgs = (args: unknown): MessageResult => ({ ...base, findings: [{ ...base.findings[0]!, args } as Finding] });
    const odd = [{ reason: 'r', toJSON: () => ({ shown: 'instead', n: [1] }) }, { reason: 'r', nested: { a: [1, { b: [] }], c: {} }, list: [1, 'a', null, undefined], empty: [], none: {} }, { reason: 'r', gone: undefined, f: () => 1, n: Number.NaN, z: -0, big: 1e21 }, { reason: 'r', holes: [, 'a'] }, { 2: 'two', reason: 'r', 1: 'one' }];
    expectSame(odd.map(withArgs), redact);
  });

  // Lists written in flat pieces of 1,024 entries (recipientsText): across their seams too.
  it.each([1_023, 1_024, 1_025, 2_048, 2_500])('%i visible and shown recipients', (n) => {
    const base = checked.find((r) => r.recipients.visible.length > 0)!;
    const many = (field: string) => Array.from({ length: n }, (_, i) => ({ address: `u${i}@x${i % 7}.example`, field, internal: i % 3 === 0, party: `x${i % 7}.example`, line: i, ...(i % 5 === 0 ? { inDisplayName: true as const } : {}) }));
    const r: MessageResult = { ...base, recipients: { ...base.recipients, visible: many('to'), shown: many('keywords') } };
    expectSame([r], false);
    expectSame([r], true);
  });

  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.emailAddress(), fc.constantFrom('"', '\\', '\n', '\u2028', '\ud800', 'a@b'));
  const recipient: fc.Arbitrary<RecipientView> = fc.record(
    { address: text, field: text, internal: fc.boolean(), party: text, line: fc.nat(), inDisplayName: fc.constant(true as const) },
    { requiredKeys: ['address', 'field', 'internal', 'party', 'line'] },
  );
  const extraValue = fc.oneof(text, fc.double(), fc.integer(), fc.boolean(), fc.constant(undefined), fc.constant(null), fc.array(text), fc.array(fc.oneof(fc.integer(), text, fc.constant(null))), fc.jsonValue(), fc.anything());
  const finding: fc.Arbitrary<Finding> = fc
    .record(
      {
        base: fc.constantFrom(...checked.flatMap((r) => r.findings)),
        extras: fc.dictionary(fc.string(), extraValue, { maxKeys: 4 }),
        line: fc.option(fc.nat(), { nil: undefined }),
        jsonPath: fc.option(text, { nil: undefined }),
        lineKey: fc.boolean(),
      },
      { requiredKeys: ['base', 'extras', 'lineKey'] },
    )
    .map(({ base, extras, line, jsonPath, lineKey }) => {
      const f = { ...base, args: { ...base.args, ...Object.fromEntries(Object.entries(extras).filter(([k]) => !(k in base.args))) } } as Finding;
      // Present with the value undefined is not the same object as absent: both are made.
      if (line !== undefined || lineKey) f.line = line;
      else delete f.line;
      if (jsonPath !== undefined) f.jsonPath = jsonPath;
      return f;
    });
  const result: fc.Arbitrary<MessageResult> = fc
    .record({
      source: text,
      verdict: fc.constantFrom('pass', 'warn', 'block', 'error' as const),
      findings: fc.array(finding, { maxLength: 3 }),
      visible: fc.array(recipient, { maxLength: 3 }),
      hidden: fc.array(fc.record({ address: text, internal: fc.boolean() }), { maxLength: 2 }),
      blind: fc.array(recipient, { maxLength: 2 }),
      reply: fc.array(recipient, { maxLength: 2 }),
      shown: fc.array(recipient, { maxLength: 2 }),
      externalParties: fc.nat(),
      externalAddresses: fc.nat(),
      sender: fc.option(text, { nil: undefined }),
      domains: fc.array(text, { maxLength: 2 }),
      inferred: fc.boolean(),
      inferredFrom: fc.option(text, { nil: undefined }),
      notInferred: fc.option(fc.constantFrom('no-sender', 'public-suffix' as const), { nil: undefined }),
      envelope: fc.option(fc.record({ mailFrom: fc.oneof(fc.constant(''), text), rcptTo: fc.array(text, { maxLength: 2 }) }), { nil: undefined }),
      profile: fc.option(text, { nil: undefined }),
      file: fc.option(text, { nil: undefined }),
    })
    .map((g) => {
      const r: MessageResult = {
        source: g.source,
        verdict: g.verdict,
        findings: g.findings,
        recipients: { visible: g.visible, hidden: g.hidden, blind: g.blind, reply: g.reply, shown: g.shown, externalParties: g.externalParties, externalAddresses: g.externalAddresses },
        internal: { domains: g.domains, inferred: g.inferred },
      };
      if (g.sender !== undefined) r.sender = g.sender;
      if (g.inferredFrom !== undefined) r.internal.inferredFrom = g.inferredFrom;
      if (g.notInferred !== undefined) r.internal.notInferred = g.notInferred;
      if (g.envelope !== undefined) r.envelope = g.envelope;
      if (g.profile !== undefined) r.profile = g.profile;
      if (g.file !== undefined) r.file = g.file;
      return r;
    });

  it('any result, redacted or not (property)', () => {
    fc.assert(
      fc.property(fc.array(result, { minLength: 1, maxLength: 4 }), fc.boolean(), (results, redact) => {
        expectSame(results, redact);
      }),
      { numRuns: 400 },
    );
  });
});
