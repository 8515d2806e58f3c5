// fix's formatters as pure functions: the plan of each strategy, refusals, the address limit of
// the human plan, masking, the note about copies written to a directory, and the JSON document.
import { describe, expect, it } from 'vitest';
import { checkCommand, FIX_REASONS, formatFixHuman, formatFixJson, MAX_PLAN_ADDRESSES, type FixResult } from '../../src/report/fix.js';
import type { RewritePlan } from '../../src/rewrite/plan.js';

const plan = (over: Partial<RewritePlan> = {}): RewritePlan => ({
  strategy: 'bcc',
  moved: [
    { address: 'ann.lee@alpha.test', from: 'to', to: 'bcc' },
    { address: 'ben.ray@beta.test', from: 'cc', to: 'bcc' },
  ],
  messages: 1,
  dkimBroken: false,
  dkimDomains: [],
  dkimRemoved: 0,
  keptVisible: ['boss@corp.example'],
  addedRecipients: [],
  toPlaceholder: 'undisclosed',
  ...over,
});

const bcc: FixResult = { source: 'draft.eml', action: 'rewritten', verdict: 'block', plan: plan(), outputs: [{ path: 'fixed.eml', recipients: ['ann.lee@alpha.test', 'ben.ray@beta.test', 'boss@corp.example'] }] };
const untouched: FixResult = { source: 'ok.eml', action: 'untouched', verdict: 'pass', reason: FIX_REASONS.notRewritten('pass', false), outputs: [] };
const refused: FixResult = { source: 'bad.eml', action: 'refused', verdict: 'block', reason: FIX_REASONS.cannotCure(['AMBIGUOUS_RECIPIENT', 'EXPOSED_RECIPIENTS'], false), hint: FIX_REASONS.cannotCureHint(checkCommand('mailguard', ['check', 'bad.eml', '--internal-domain', 'corp.example'])), outputs: [] };

describe('formatFixHuman', () => {
  it('bcc: what moved, what stays visible, what To shows, where it went', () => {
    const text = formatFixHuman({ results: [bcc, untouched, refused] }, { redact: true });
    expect(text).toBe(
      [
        'draft.eml: rewritten (bcc), 1 message -> fixed.eml',
        '  moved to Bcc (2): a***@alpha.test, b***@beta.test',
        '  still visible (1): b***@corp.example',
        '  To now shows undisclosed-recipients:;',
        '  The Bcc field is for a mail client that sends the draft; relaying code must strip it (mailguard send does).',
        'ok.eml: left untouched: no exposed recipients (verdict pass)',
        'bad.eml: NOT rewritten: AMBIGUOUS_RECIPIENT, EXPOSED_RECIPIENTS: a rewrite of To/Cc does not cure it; the message was not rewritten.',
        '  Fix it by hand; to see where, run: mailguard check bad.eml --internal-domain corp.example',
        '3 messages: 1 rewritten, 1 left untouched, 1 not rewritten.',
        '',
      ].join('\n'),
    );
  });

  it('split: one line per copy up to the limit, then how many more', () => {
    const outputs = Array.from({ length: MAX_PLAN_ADDRESSES + 3 }, (_, i) => ({ path: `out/a-${i + 1}.eml`, recipients: [`person${i}@org${i}.test`] }));
    const split: FixResult = { source: 'a.eml', action: 'rewritten', verdict: 'block', plan: plan({ strategy: 'split', messages: outputs.length, keptVisible: [] }), outputs };
    const text = formatFixHuman({ results: [split] }, { redact: true });
    expect(text).toContain(`a.eml: rewritten (split), ${outputs.length} messages\n`);
    expect(text).toContain('  message 1 for p***@org0.test -> out/a-1.eml');
    expect(text).not.toContain(`message ${MAX_PLAN_ADDRESSES + 1} `);
    expect(text).toContain('  ... and 3 more messages');
  });

  it.each([
    [true, ['a***@alpha.test'], ['ann.lee']],
    [false, ['ann.lee@alpha.test', 'ben.ray@beta.test'], ['***']],
  ] as const)('redact=%s masks every address of the plan (or none)', (redact, present, absent) => {
    const text = formatFixHuman({ results: [bcc, { ...refused, reason: 'To has "ann.lee@alpha.test" twice.' }] }, { redact });
    for (const p of present) expect(text).toContain(p);
    for (const a of absent) expect(text).not.toContain(a);
  });

  it('DKIM: broken and kept, or removed', () => {
    const kept = formatFixHuman({ results: [{ ...bcc, plan: plan({ dkimBroken: true, dkimDomains: ['corp.example'] }) }] }, { redact: true });
    expect(kept).toContain('a DKIM signature (d=corp.example) covers a rewritten field and will no longer verify; re-sign, or use --remove-dkim');
    const removed = formatFixHuman({ results: [{ ...bcc, plan: plan({ dkimBroken: true, dkimDomains: [], dkimRemoved: 2 }) }] }, { redact: true });
    expect(removed).toContain('removed 2 DKIM signatures that covered a rewritten field');
  });

  it('copies written to a directory: says the untouched ones are not there', () => {
    expect(formatFixHuman({ results: [bcc, untouched], copiesIn: 'out/' }, { redact: true })).toContain('Only the rewritten messages were written to out/; the 1 left untouched were not copied there.');
    expect(formatFixHuman({ results: [bcc], copiesIn: 'out/' }, { redact: true })).not.toContain('Only the rewritten');
    expect(formatFixHuman({ results: [bcc, untouched] }, { redact: true })).not.toContain('Only the rewritten');
  });

  it('control characters in names are shown escaped', () => {
    expect(formatFixHuman({ results: [{ ...untouched, source: 'a\u001b[31m.eml' }] }, { redact: true })).toContain('a\\x1b[31m.eml');
  });
});

describe('formatFixJson', () => {
  it('version, summary and results; every address of the plan masked by default', () => {
    const doc = JSON.parse(formatFixJson({ results: [bcc, untouched, refused], copiesIn: 'out/' }, { redact: true }));
    expect(Object.keys(doc)).toEqual(['version', 'summary', 'results']);
    expect(doc.summary).toEqual({ messages: 3, rewritten: 1, untouched: 1, refused: 1, written: 1 });
    expect(JSON.stringify(doc)).not.toMatch(/ann\.lee|ben\.ray|boss@/);
    expect(doc.results[0].plan.moved[0]).toEqual({ address: 'a***@alpha.test', from: 'to', to: 'bcc' });
  });

  it('--no-redact keeps the addresses, in the same shape', () => {
    const doc = JSON.parse(formatFixJson({ results: [bcc] }, { redact: false }));
    expect(doc.results[0].outputs[0].recipients).toEqual(['ann.lee@alpha.test', 'ben.ray@beta.test', 'boss@corp.example']);
  });
});
