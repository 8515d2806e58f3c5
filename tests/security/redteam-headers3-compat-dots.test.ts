// Red team, header reading: addresses written with a dot whose compatibility form (NFKC) is "." but
// which IDNA refuses: the one dot leader U+2024 and the small full stop U+FE52. A reader sees
// `a@alpha\u2024example` as the address a@alpha.example, as it sees one written with a fullwidth
// or small at (U+FF20, U+FE6B) or a fullwidth or ideographic full stop (U+FF0E, U+3002), which
// mailguard reads. These two left the domain unread (domainToASCII refuses them): a display name,
// a Subject or a custom field listing five such addresses passed as clean.
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { runCli } from '../helpers/cli.js';
import { check, codes, message } from './support.js';

const PEOPLE = ['a@alpha.example', 'b@beta.example', 'c@gamma.example', 'd@delta.example', 'e@epsilon.example'];
const DOTS: Array<[string, string]> = [
  ['one dot leader U+2024', '\u2024'],
  ['small full stop U+FE52', '\uFE52'],
];

/** The list with `dot` for every "." (and, with `at`, that for every "@"). */
const written = (dot: string, at = '@') => PEOPLE.map((p) => p.replace(/\./g, dot).replace('@', at)).join(', ');

function withHeader(lines: string[], body = 'Hello.'): string {
  return message(['From: me@corp.example', ...lines, 'Date: Mon, 7 Dec 2026 10:00:00 +0000'], '\r\n', body);
}

const PLACES: Array<[string, (list: string) => string[]]> = [
  ['a display name in To', (l) => [`To: "${l}" <me@corp.example>`, 'Subject: notes']],
  ['the Subject', (l) => ['To: me@corp.example', `Subject: ${l}`]],
  ['a custom field', (l) => ['To: me@corp.example', 'Subject: notes', `X-Recipients: ${l}`]],
  ['the Subject in an encoded word', (l) => ['To: me@corp.example', `Subject: =?utf-8?B?${Buffer.from(l).toString('base64')}?=`]],
];

describe('addresses written with a dot that reads as "."', () => {
  const cases: Array<[string, string]> = [];
  for (const [dotName, dot] of DOTS) {
    for (const [place, lines] of PLACES) {
      cases.push([`${dotName} in ${place}`, withHeader(lines(written(dot)))]);
      cases.push([`${dotName} and a fullwidth at in ${place}`, withHeader(lines(written(dot, '\uFF20')))]);
    }
  }
  it.each(cases)('%s: the list is shown and blocks', (_name, text) => {
    const r = check(text);
    expect(codes(r)).toContain('EXPOSED_RECIPIENTS');
    expect(r.verdict).toBe('block');
    expect(r.recipients.shown.map((v) => v.address)).toEqual(expect.arrayContaining(PEOPLE));
  });

  it('a body listing twelve such addresses is a list in the body', () => {
    const many = Array.from({ length: 12 }, (_, i) => `p${i}@org${i}\u2024example`).join('\r\n');
    const r = checkMessage(Buffer.from(withHeader(['To: me@corp.example', 'Subject: list', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8'], many)), createPolicy({ internalDomains: ['corp.example'], bodyScan: { ...DEFAULT_BODY_SCAN } }));
    expect(codes(r)).toContain('ADDRESS_LIST_IN_BODY');
  });

  it('the built CLI exits 1', async () => {
    const r = await runCli(['check', '--internal-domain', 'corp.example', '-'], { input: withHeader(['To: me@corp.example', `Subject: ${written('\uFE52')}`]) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('EXPOSED_RECIPIENTS');
  });
});

describe('controls: those dots in ordinary text keep passing', () => {
  it.each([
    ['dot leaders in a table of contents', ['To: me@corp.example', 'Subject: Contents: Intro \u2024\u2024\u2024\u2024 1, Terms \u2024\u2024\u2024 4']],
    ['a small full stop ending a sentence after one address', ['To: me@corp.example', 'Subject: Write to help@alpha.example\uFE52 Thanks\uFE52']],
    ['a version with a dot leader', ['To: me@corp.example', 'Subject: Release 4\u20242 @ HQ']],
    ['one contact, a leader after it', ['To: "Ann (ann@alpha.example\u2024\u2024\u2024)" <ann@alpha.example>', 'Subject: notes']],
  ])('%s', (_name, lines) => {
    const r = check(withHeader(lines));
    expect(r.verdict).toBe('pass');
    expect(r.findings).toEqual([]);
  });
});
