// Red team, internal vs external: an external address written as the local part of an internal
// mailbox with a fullwidth or small commercial at (U+FF20, U+FE6B). `p1＠org1.test@corp.example`
// is delivered at corp.example, so it is internal; but every reader sees p1＠org1.test, an address
// at org1.test (findAddresses reads such text in its NFKC form, and a display name holding one was
// read). Its local part was never read: five organisations' addresses written this way in To
// passed with no finding. The mailbox's whole text is now read when it holds such an at, in its
// name or its local part.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createPolicy } from '../../src/policy/policy.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'] });
const FIVE = [0, 1, 2, 3, 4];

function check(field: string, value: string) {
  const bytes = Buffer.from(['From: me@corp.example', `${field}: ${value}`, 'Subject: notice', '', 'Hello.', ''].join('\r\n'), 'utf8');
  return checkMessage(bytes, POLICY);
}

const shownExternal = (r: ReturnType<typeof check>) => r.recipients.shown.filter((v) => !v.internal).map((v) => v.address);

describe('an external address in the local part of an internal mailbox is shown to every reader', () => {
  const cases: Array<[string, string, (i: number) => string]> = [
    ['fullwidth at, bare addr-spec', 'To', (i) => `p${i}＠org${i}.test@corp.example`],
    ['small commercial at, bare addr-spec', 'To', (i) => `p${i}\ufe6borg${i}.test@corp.example`],
    ['fullwidth at in a quoted local part', 'To', (i) => `"p${i}＠org${i}.test"@corp.example`],
    ['fullwidth at in an angle address with a plain name', 'To', (i) => `Person ${i} <p${i}＠org${i}.test@corp.example>`],
    ['fullwidth at and fullwidth letters', 'To', (i) => `p${i}＠ｏｒｇ${i}.test@corp.example`],
    ['in Cc', 'Cc', (i) => `p${i}＠org${i}.test@corp.example`],
    ['in Reply-To', 'Reply-To', (i) => `p${i}＠org${i}.test@corp.example`],
  ];
  for (const [name, field, write] of cases) {
    it(name, () => {
      const r = check(field, FIVE.map(write).join(', '));
      expect(r.recipients.visible.every((v) => v.internal)).toBe(true);
      expect(shownExternal(r)).toEqual(FIVE.map((i) => `p${i}@org${i}.test`));
      expect(r.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS')?.severity).toBe('error');
      expect(r.verdict).toBe('block');
    });
  }
});

describe('controls: internal local parts beyond ASCII still pass', () => {
  it('colleagues with accented and CJK local parts', () => {
    const r = check('To', 'jürgen@corp.example, 山田@corp.example, "Zoë Ünal" <zoë@corp.example>');
    expect(shownExternal(r)).toEqual([]);
    expect(r.verdict).toBe('pass');
  });

  it('a colleague\'s own address written with a fullwidth at in the local part shows nobody external', () => {
    const r = check('To', 'a＠corp.example@corp.example, b@corp.example');
    expect(shownExternal(r)).toEqual([]);
    expect(r.verdict).toBe('pass');
  });

  it('one external address shown that way beside a colleague is no list', () => {
    const r = check('To', 'p1＠org1.test@corp.example, b@corp.example');
    expect(shownExternal(r)).toEqual(['p1@org1.test']);
    expect(r.verdict).toBe('pass');
  });
});
