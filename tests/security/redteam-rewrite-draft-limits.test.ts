// Red team, rewrites: a bcc rewrite's draft can be larger than its input: it adds a Bcc field
// (and a To placeholder when there was no To) and gathers To, Cc and Apparently-To into that one
// field. Near mailguard's own reading limits (MAX_HEADER_FIELDS, MAX_FIELD_BYTES), the draft fix
// wrote crossed them: fix said "rewritten" (exit 0), and check of that draft was MALFORMED_HEADER
// (blocked), as was `mailguard send` of it. The decision checked the draft only as relayed (its
// Bcc stripped, back under the limits). A draft is now also read as written: one mailguard cannot
// read is refused, nothing written. Split copies were already checked as written (controls).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { decideFix } from '../../src/decide/fix.js';
import { MAX_FIELD_BYTES, MAX_HEADER_FIELDS } from '../../src/limits.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-rewrite-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const policy = createPolicy({ internalDomains: ['corp.example'] });
const LIST = 'a@one.test, b@two.test, c@three.test, d@four.test, e@five.test';

/** A message of exactly `fields` header fields: its own, then X-Pad fields. */
function padded(fields: number, own: string[]): Buffer {
  const lines = ['From: s@corp.example', ...own, 'Subject: x'];
  for (let i = lines.length; i < fields; i++) lines.push(`X-Pad-${i}: v`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\nbody\r\n`);
}

/** A To and a Cc of `n` long addresses each: each field under MAX_FIELD_BYTES, both together over it. */
function twoLongFields(n: number): Buffer {
  const list = (p: string) => Array.from({ length: n }, (_, i) => `${p}${'x'.repeat(200)}${i}@d${i % 50}.test`).join(',\r\n ');
  return Buffer.from(`From: s@corp.example\r\nTo: ${list('t')}\r\nCc: ${list('c')}\r\nSubject: x\r\n\r\nbody\r\n`);
}

/** What fix does, and when it rewrites, what check says of every draft it would write. */
function fixThenCheck(bytes: Buffer, strategy: 'bcc' | 'split'): { outcome: string; verdicts: string[] } {
  const fix = decideFix(bytes, policy, { strategy });
  const verdicts = fix.outcome === 'rewrite' ? [...fix.decision.transactions()].map((t) => checkMessage(t.bytes, policy, { body: false }).verdict) : [];
  return { outcome: fix.outcome, verdicts };
}

describe('a bcc draft past the header reader\'s limits is refused, never written', () => {
  const OVER: Array<[string, () => Buffer]> = [
    ['exactly MAX_HEADER_FIELDS fields: the new Bcc field is one more', () => padded(MAX_HEADER_FIELDS, [`To: ${LIST}`])],
    ['one field under: a Cc that keeps a colleague gets a To placeholder and a Bcc field beside it', () => padded(MAX_HEADER_FIELDS - 1, [`Cc: boss@corp.example, ${LIST}`])],
    ['one field under, an Apparently-To that keeps a colleague, and no To', () => padded(MAX_HEADER_FIELDS - 1, [`Apparently-To: boss@corp.example, ${LIST}`])],
    ['To and Cc each under MAX_FIELD_BYTES, gathered into one Bcc over it', () => twoLongFields(21_000)],
  ];
  for (const [name, make] of OVER) {
    it(name, () => {
      const bytes = make();
      expect(checkMessage(bytes, policy, { body: false }).findings.map((f) => f.code)).not.toContain('MALFORMED_HEADER');
      const { outcome, verdicts } = fixThenCheck(bytes, 'bcc');
      // Never a draft that check blocks: refused.
      expect(verdicts).toEqual([]);
      expect(outcome).toBe('refuse');
    });
  }

  it('the CLI: exit 2, nothing written, the reason names the limit', async () => {
    const file = path.join(dir, 'many.eml');
    writeFileSync(file, padded(MAX_HEADER_FIELDS, [`To: ${LIST}`]));
    const out = path.join(dir, 'many-fixed.eml');
    const r = await runCli(['fix', file, '-o', out, '--internal-domain', 'corp.example']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/too-many-fields/);
    expect(existsSync(out)).toBe(false);
  });

  it('the limit constant is what the long-field case crosses', () => {
    expect(twoLongFields(21_000).length).toBeGreaterThan(MAX_FIELD_BYTES);
  });
});

describe('controls: drafts within the limits are written, and pass check', () => {
  const UNDER: Array<[string, () => Buffer, 'bcc' | 'split']> = [
    ['two fields under the limit, bcc', () => padded(MAX_HEADER_FIELDS - 2, [`To: ${LIST}`]), 'bcc'],
    ['at the limit with a Bcc field already there (the list joins it), bcc', () => padded(MAX_HEADER_FIELDS, [`To: ${LIST}`, 'Bcc: boss@corp.example']), 'bcc'],
    ['at the limit, split (each copy as many fields: Message-ID replaced)', () => padded(MAX_HEADER_FIELDS, [`To: ${LIST}`, 'Message-ID: <m@corp.example>']), 'split'],
    ['To and Cc whose sum stays under MAX_FIELD_BYTES, bcc', () => twoLongFields(15_000), 'bcc'],
  ];
  for (const [name, make, strategy] of UNDER) {
    it(name, () => {
      const { outcome, verdicts } = fixThenCheck(make(), strategy);
      expect(outcome).toBe('rewrite');
      expect(verdicts.length).toBeGreaterThan(0);
      expect(new Set(verdicts)).toEqual(new Set(['pass']));
    });
  }
});
