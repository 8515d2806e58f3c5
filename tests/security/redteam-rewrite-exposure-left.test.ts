// Red team, rewrites: fix reported a clean rewrite (exit 0, nothing "left") whose output check
// still warned of an exposed list, so it failed `check --max-warnings 0`, and check's hint on that
// output named `mailguard fix` again, which changed nothing. fix looked at what its outputs still
// show only when the message's exposure named a field outside To, Cc and Apparently-To; but an
// address is counted once, so one written both in To and elsewhere (an X-Recipients or Reply-To
// field a split copy keeps beside its own To), or inside the display name of a colleague bcc keeps
// in To, was not named there. Every output is now looked at: fix names the fields that still show
// a list, or refuses when an output still shows all of it. A fast-check property holds the rule
// over generated headers: a rewrite that names nothing left writes outputs check passes.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMessage, createPolicy } from '../../src/index.js';
import { envelopeKey } from '../../src/decide/index.js';
import { decideFix, type FixStrategy } from '../../src/decide/fix.js';
import { parseMessage } from '../../src/message/parse-message.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-rewrite-left-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const policy = createPolicy({ internalDomains: ['corp.example'] });
const msg = (...fields: string[]) => Buffer.from(['From: s@corp.example', ...fields, 'Subject: x', '', 'body', ''].join('\r\n'));

/** The exposed lists check finds in the outputs of a rewrite fix decides, by field. */
function outputExposure(bytes: Buffer, strategy: FixStrategy): { outcome: string; left: string[] | undefined; exposed: string[] } {
  const fix = decideFix(bytes, policy, { strategy });
  const exposed: string[] = [];
  if (fix.outcome === 'rewrite') {
    for (const t of fix.decision.transactions()) {
      const f = checkMessage(t.bytes, policy).findings.find((x) => x.code === 'EXPOSED_RECIPIENTS');
      if (f?.code === 'EXPOSED_RECIPIENTS') for (const field of f.args.fields) if (!exposed.includes(field)) exposed.push(field);
    }
  }
  return { outcome: fix.outcome, left: fix.left, exposed };
}

const CASES: Array<[string, Buffer, FixStrategy]> = [
  ['bcc: a colleague kept in To whose display name holds three external addresses', msg('To: "a@one.test, b@two.test, c@three.test" <x@corp.example>, d@four.test'), 'bcc'],
  ['bcc: a colleague kept in Cc with the addresses in a comment', msg('To: d@four.test', 'Cc: x@corp.example (a@one.test, b@two.test, c@three.test)'), 'bcc'],
  ['split: X-Recipients repeats To addresses, each copy shows them beside its own To', msg('To: d@four.test, g@seven.test, a@one.test', 'X-Recipients: a@one.test, d@four.test'), 'split'],
  ['split: Reply-To repeats To addresses', msg('To: d@four.test, g@seven.test, a@one.test', 'Reply-To: a@one.test, d@four.test'), 'split'],
  ['split: Keywords repeats Cc addresses', msg('To: g@seven.test', 'Cc: a@one.test, d@four.test', 'Keywords: a@one.test, d@four.test'), 'split'],
];

describe('a rewrite whose output still shows a list says so, or is refused', () => {
  for (const [name, bytes, strategy] of CASES) {
    it(name, () => {
      const { outcome, left, exposed } = outputExposure(bytes, strategy);
      if (outcome === 'rewrite') {
        expect(exposed.length).toBeGreaterThan(0);
        expect(left).toBeDefined();
      } else {
        expect(outcome).toBe('refuse');
      }
    });
  }

  it("the CLI: fix names the field left, and check's hint has a then: line", async () => {
    const file = path.join(dir, 'display-name.eml');
    writeFileSync(file, CASES[0]![1]);
    const r = await runCli(['fix', file, '-o', path.join(dir, 'display-name-fixed.eml'), '--internal-domain', 'corp.example']);
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/The list in To stays/);
    const c = await runCli(['check', file, '--internal-domain', 'corp.example']);
    expect(c.stdout).toMatch(/then: the list in To stays/);
    // fix run on its own output rewrites nothing more: refused, not "rewritten" again.
    const again = await runCli(['fix', path.join(dir, 'display-name-fixed.eml'), '-o', path.join(dir, 'again.eml'), '--internal-domain', 'corp.example']);
    expect(again.code).toBe(2);
  });
});

describe('controls: a list only in To, Cc and Apparently-To is rewritten with nothing left', () => {
  const CLEAN: Array<[string, Buffer, FixStrategy]> = [
    ['bcc, To list and a colleague', msg('To: a@one.test, b@two.test, c@three.test, x@corp.example'), 'bcc'],
    ['split, To and Cc', msg('To: a@one.test, b@two.test', 'Cc: c@three.test, d@four.test'), 'split'],
    ['bcc, a colleague with a plain display name', msg('To: "Ann Smith" <x@corp.example>, a@one.test, b@two.test, c@three.test'), 'bcc'],
    ['split, a Reply-To of our own', msg('To: a@one.test, b@two.test, c@three.test', 'Reply-To: team@corp.example'), 'split'],
  ];
  for (const [name, bytes, strategy] of CLEAN) {
    it(name, () => {
      const { outcome, left, exposed } = outputExposure(bytes, strategy);
      expect(outcome).toBe('rewrite');
      expect(left).toBeUndefined();
      expect(exposed).toEqual([]);
    });
  }
});

describe('fix over generated headers (fast-check)', () => {
  const addr = fc.constantFrom('a@one.test', 'b@two.test', 'c@three.test', 'd@four.test', 'e@five.test', 'x@corp.example', 'y@corp.example', 'G@Seven.Test', 'g@seven.test');
  const mailbox = fc.tuple(addr, fc.constantFrom('', 'Name', '"Q, uoted"', '=?utf-8?q?Enc?=', 'comment', 'dn')).map(([a, n]) =>
    n === '' ? a : n === 'comment' ? `${a} (note)` : n === 'dn' ? `"c@three.test, e@five.test" <${a}>` : `${n} <${a}>`,
  );
  const field = fc
    .tuple(fc.constantFrom('To', 'Cc', 'Apparently-To', 'Bcc', 'TO', 'Reply-To', 'Mail-Followup-To', 'X-Recipients'), fc.array(mailbox, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.option(fc.constantFrom('G', 'List'), { nil: undefined }))
    .map(([name, list, fold, group]) => ({ name, value: group ? `${group}: ${list.join(fold ? ',@NL@\t' : ', ')};` : list.join(fold ? ',@NL@\t' : ', ') }));
  const keys = new Set(['to', 'cc', 'apparently-to', 'bcc']);
  const recipients = (b: Uint8Array) => new Set(parseMessage(b).addresses.filter((a) => keys.has(a.field)).map((a) => envelopeKey(a.mailbox.address)));

  it('every output passes check but for the fields fix names as left, and reaches exactly the recipients', () => {
    let rewritten = 0;
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 4 }), fc.constantFrom<FixStrategy>('bcc', 'split'), fc.constantFrom('\r\n', '\n', '\r'), (fields, strategy, nl) => {
        const bytes = Buffer.from(['From: s@corp.example', ...fields.map((f) => `${f.name}: ${f.value.replace(/@NL@/g, nl)}`), 'Subject: x', '', 'body', ''].join(nl));
        const fix = decideFix(bytes, policy, { strategy });
        if (fix.outcome !== 'rewrite') return;
        rewritten++;
        const reached = new Set<string>();
        for (const t of fix.decision.transactions()) {
          const c = checkMessage(t.bytes, policy);
          expect(['pass', 'warn']).toContain(c.verdict);
          for (const f of c.findings) {
            if (f.code !== 'EXPOSED_RECIPIENTS') continue;
            // A split copy's To counts its own recipient beside what stayed.
            for (const name of f.args.fields) if (!fix.left || !['to', 'cc', 'apparently-to'].includes(name)) expect(fix.left ?? [], `${bytes}`).toContain(name);
          }
          for (const a of recipients(t.bytes)) reached.add(a);
        }
        expect([...reached].sort()).toEqual([...recipients(bytes)].sort());
      }),
      { numRuns: 2000 },
    );
    expect(rewritten).toBeGreaterThan(100);
  });
});
