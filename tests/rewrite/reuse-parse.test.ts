// The rewrites build their fields from the parse prepareRewrite made (fieldLists), and take the
// check a caller made already (RewriteChecked), instead of checking, parsing the message and then
// each field again. Differential: each field's list equals parseField's reading of it, and both
// rewrites give the same bytes, plan and refusal with the check handed over as without, over every
// fixture and example, the corpus (../shared/corpus) and generated fields with groups.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { checkAndParse, checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { decideDelivery } from '../../src/decide/index.js';
import { readHeaderBlock } from '../../src/message/header-block.js';
import { fieldLists, isAddressField, parseField, parseMessage } from '../../src/message/parse-message.js';
import { MAX_ADDRESSES_PER_MESSAGE } from '../../src/limits.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';
import { rewriteToBcc } from '../../src/rewrite/bcc.js';
import { prepareRewrite } from '../../src/rewrite/prepare.js';
import { planSplit } from '../../src/rewrite/split.js';
import { CORPUS_DIR, corpusFiles } from '../corpus/corpus-files.js';
import { FIXTURES, ROOT } from '../helpers/cli.js';
import { fixRandomBytes } from '../helpers/fixed-random.js';

// A split copy's fresh Message-ID is random: the same for both runs here, so their bytes compare.
fixRandomBytes();

const bodyScan = { minAddresses: DEFAULT_BODY_SCAN.minAddresses, maxPartBytes: DEFAULT_BODY_SCAN.maxPartBytes };
const PLAIN = createPolicy({ internalDomains: ['corp.example'], bodyScan });
const HEADER_ONLY = createPolicy({ internalDomains: ['corp.example'] });
const SENSITIVE = createPolicy({ internalDomains: ['corp.example'], sensitive: true, bodyScan });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Each address field's list from the parse against parseField's own reading of the field. */
function expectListsAsParsed(bytes: Uint8Array, name: string): void {
  const parsed = parseMessage(bytes);
  const lists = fieldLists(parsed);
  if (parsed.truncated) {
    expect(lists, name).toBeUndefined();
    return;
  }
  parsed.header.fields.forEach((f, i) => {
    if (!isAddressField(f.key)) return;
    const own = parseField(f, parsed.header);
    const list = lists!.get(i) ?? { mailboxes: [], groups: [] };
    expect(list.mailboxes, `${name}: field ${i} (${f.key}) mailboxes`).toEqual(own.mailboxes);
    expect(list.groups, `${name}: field ${i} (${f.key}) groups`).toEqual(own.groups);
  });
}

type Outcome = { error: string } | { bytes: string; plan: unknown; copies?: unknown };

function outcome(run: () => Outcome): Outcome {
  try {
    return run();
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

function bcc(bytes: Uint8Array, policy: Policy, checked: boolean, allToBcc = false): Outcome {
  return outcome(() => {
    const given = checked ? { ...checkAndParse(bytes, policy, { body: policy.bodyScan ?? false }), header: readHeaderBlock(bytes) } : undefined;
    const out = rewriteToBcc(bytes, policy, { allToBcc }, given);
    return { bytes: Buffer.from(out.bytes).toString('latin1'), plan: out.plan };
  });
}

function split(bytes: Uint8Array, policy: Policy, checked: boolean): Outcome {
  return outcome(() => {
    const given = checked ? { result: checkMessage(bytes, policy, { body: policy.bodyScan ?? false }), header: readHeaderBlock(bytes) } : undefined;
    const lazy = planSplit(bytes, policy, {}, given);
    return { bytes: lazy.copies.map((_, i) => Buffer.from(lazy.render(i)).toString('latin1')).join('\n--copy--\n'), plan: lazy.plan, copies: lazy.copies };
  });
}

function expectSameRewrites(bytes: Uint8Array, name: string): void {
  expectListsAsParsed(bytes, name);
  for (const policy of [PLAIN, HEADER_ONLY]) {
    expect(bcc(bytes, policy, true), `${name}: bcc`).toEqual(bcc(bytes, policy, false));
    expect(bcc(bytes, policy, true, true), `${name}: bcc, all to Bcc`).toEqual(bcc(bytes, policy, false, true));
    expect(split(bytes, policy, true), `${name}: split`).toEqual(split(bytes, policy, false));
  }
}

/**
 * A decision's rewrite with its check handed over (no line offset) against one without (a line
 * offset moves every line, which keeps the decision from handing its check over, so the rewrite
 * and the split of the header alone check and parse for themselves): the same copies, byte for
 * byte, to the same recipients, and the same refusal.
 */
function expectSameDecisions(bytes: Uint8Array, name: string, policies: readonly Policy[] = [PLAIN, HEADER_ONLY, SENSITIVE]): void {
  for (const policy of policies) {
    for (const onViolation of ['split', 'bcc'] as const) {
      if (onViolation === 'bcc' && policy.sensitive) continue;
      const made = (lineOffset: number) => {
        const d = decideDelivery(bytes, policy, { onViolation, output: 'draft', lineOffset });
        return { action: d.action, reason: d.reason?.code, plan: d.rewrite, envelopes: d.envelopes, copies: [...d.transactions()].map((t) => Buffer.from(t.bytes).toString('latin1')) };
      };
      expect(made(0), `${name}: ${onViolation}${policy.sensitive ? ', sensitive' : ''}`).toEqual(made(1));
    }
  }
}

describe('rewrites from the parse and check already made', () => {
  it('every fixture and example', () => {
    const inputs = [...filesUnder(FIXTURES), ...filesUnder(path.join(ROOT, 'examples'))];
    expect(inputs.length).toBeGreaterThan(100);
    let rewritten = 0;
    for (const file of inputs) {
      const bytes = readFileSync(file);
      expectSameRewrites(bytes, path.relative(ROOT, file));
      expectSameDecisions(bytes, path.relative(ROOT, file));
      if (!('error' in bcc(bytes, PLAIN, true))) rewritten++;
    }
    // Most fixtures are messages a rewrite takes, so the path compared is the one taken.
    expect(rewritten).toBeGreaterThan(50);
  });

  it.skipIf(!existsSync(CORPUS_DIR))('every message of the corpus', { timeout: 240_000 }, () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(1000);
    for (const file of files) {
      const bytes = readFileSync(file);
      expectSameRewrites(bytes, path.relative(CORPUS_DIR, file));
      // Plain (bcc) and sensitive (split): each rewrite once, the corpus is large.
      expectSameDecisions(bytes, path.relative(CORPUS_DIR, file), [PLAIN, SENSITIVE]);
    }
  });

  const local = fc.constantFrom('ann', 'bob', 'cy', 'dee', 'eve');
  const domain = fc.constantFrom('a.test', 'b.test', 'c.test', 'corp.example', 'gmail.com');
  const mailbox = fc.tuple(local, domain, fc.boolean()).map(([l, d, named]) => (named ? `"${l.toUpperCase()}" <${l}@${d}>` : `${l}@${d}`));
  const groupName = fc.constantFrom('team', 'undisclosed-recipients', 'Friends of x');
  // A field's value: mailboxes and groups (empty ones too) in any order.
  const item = fc.oneof(
    mailbox,
    fc.tuple(groupName, fc.array(mailbox, { maxLength: 3 })).map(([g, ms]) => `${g}:${ms.join(', ')};`),
  );
  const field = fc.tuple(fc.constantFrom('To', 'Cc', 'Bcc', 'Apparently-To', 'Reply-To'), fc.array(item, { maxLength: 5 }));

  it('generated To, Cc, Bcc, Apparently-To and Reply-To fields with groups, empty groups and repeated fields', () => {
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 5 }), fc.boolean(), (fields, crlf) => {
        const nl = crlf ? '\r\n' : '\n';
        const lines = ['From: sender@corp.example', ...fields.map(([name, items]) => `${name}: ${items.join(', ')}`), 'Subject: s', '', 'hi', ''];
        expectSameRewrites(Buffer.from(lines.join(nl), 'latin1'), lines.join(' | '));
        expectSameDecisions(Buffer.from(lines.join(nl), 'latin1'), lines.join(' | '));
      }),
      { numRuns: 300 },
    );
  });

  it('a CR-only header with LF line ends in its body: read apart from the whole message, the same decision', () => {
    // The header alone reads as CR-only; the whole message has LFs after it (mixed-line-ends).
    const bytes = Buffer.from('From: s@corp.example\rTo: a@a.test, b@b.test, c@c.test\rSubject: s\r\rline one\nline two\n', 'latin1');
    expectSameDecisions(bytes, 'cr-only header');
    const crlf = Buffer.from('From: s@corp.example\r\nTo: a@a.test, b@b.test, c@c.test\r\nSubject: s\r\n\r\nbody\r\n', 'latin1');
    expectSameDecisions(crlf, 'crlf');
    expect(decideDelivery(crlf, HEADER_ONLY, { onViolation: 'split', output: 'draft' }).transactionCount).toBe(3);
  });

  it('a split draws its Message-IDs in batches: distinct, 128 bits each', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    try {
      spy.mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
        if (array) new Uint8Array(array.buffer, array.byteOffset, array.byteLength).forEach((_, i, a) => (a[i] = Math.floor(Math.random() * 256)));
        return array;
      });
      const to = Array.from({ length: 600 }, (_, k) => `u${k}@d${k}.test`).join(', ');
      const lazy = planSplit(Buffer.from(`From: s@corp.example\r\nTo: ${to}\r\nSubject: s\r\n\r\nhi\r\n`), HEADER_ONLY);
      spy.mockClear();
      const ids = lazy.copies.map((_, i) => /^Message-ID: <([0-9a-f]+)@corp\.example>\r$/m.exec(Buffer.from(lazy.render(i)).toString('latin1'))![1]!);
      expect(ids).toHaveLength(600);
      expect(new Set(ids).size).toBe(600);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
      // 600 copies, 256 IDs a draw.
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('a message past the address bound: no field lists, and prepareRewrite refuses it as before', () => {
    const to = Array.from({ length: MAX_ADDRESSES_PER_MESSAGE + 2 }, (_, k) => `u${k}@a.test`).join(', ');
    const bytes = Buffer.from(`From: s@corp.example\r\nTo: ${to}\r\n\r\nhi\r\n`);
    expect(fieldLists(parseMessage(bytes))).toBeUndefined();
    expect(() => prepareRewrite(bytes, HEADER_ONLY)).toThrow(/too many addresses|AMBIGUOUS_RECIPIENT/);
  });

  it('the check handed over is used: a result that differs shows in the plan', () => {
    // Not a way to call it (the result must be the check of these bytes): it proves the path is live.
    const bytes = Buffer.from('From: s@corp.example\r\nTo: a@a.test, b@b.test, c@corp.example\r\n\r\nhi\r\n');
    const other = checkMessage(bytes, createPolicy({ internalDomains: ['elsewhere.example'] }));
    const own = rewriteToBcc(bytes, HEADER_ONLY);
    const given = rewriteToBcc(bytes, HEADER_ONLY, {}, { result: other, header: readHeaderBlock(bytes) });
    expect(own.plan.moved.map((m) => m.address)).toEqual(['a@a.test', 'b@b.test']);
    expect(given.plan.moved.map((m) => m.address)).toEqual(['a@a.test', 'b@b.test', 'c@corp.example']);
  });

  it('the parse handed over is used: another header read shows in the output', () => {
    // Likewise only a probe of the path: the parse must be the one behind the check.
    const bytes = Buffer.from('From: s@corp.example\r\nTo: a@a.test, b@b.test, c@corp.example\r\n\r\nhi\r\n');
    const other = Buffer.from('From: s@corp.example\r\nTo: a@a.test, c@corp.example\r\n\r\nhi\r\n');
    const { result, parsed } = checkAndParse(bytes, HEADER_ONLY);
    const header = readHeaderBlock(bytes);
    const own = rewriteToBcc(bytes, HEADER_ONLY, {}, { result, header, parsed });
    const given = rewriteToBcc(bytes, HEADER_ONLY, {}, { result, header, parsed: parseMessage(other) });
    expect(own.plan.moved.map((m) => m.address)).toEqual(['a@a.test', 'b@b.test']);
    expect(given.plan.moved.map((m) => m.address)).toEqual(['a@a.test']);
  });
});
