// JSON campaign files: the position-keeping JSON parser, the campaign shapes, header blocks that
// nothing in the JSON can add a field to, and findings relocated to JSON lines and paths.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { CampaignFileError, offsetAt, parseCampaign, parseJsonWithOffsets, relocateToCampaign, type CampaignMessage } from '../../src/io/campaign.js';
import { readHeaderBlock } from '../../src/message/header-block.js';

function fieldsOf(m: CampaignMessage): string[] {
  return readHeaderBlock(m.header).fields.map((f) => f.key);
}

function check(m: CampaignMessage) {
  const r = checkMessage(m.header, { internalDomains: ['corp.example'] }, { source: m.source, envelope: m.envelope });
  return relocateToCampaign(r, m.origins, m.jsonPath);
}

function campaignError(text: string): CampaignFileError {
  try {
    parseCampaign(text, 'c.json');
  } catch (err) {
    if (err instanceof CampaignFileError) return err;
    throw err;
  }
  throw new Error('expected a CampaignFileError');
}

describe('parseJsonWithOffsets', () => {
  it('reads any JSON exactly like JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(parseJsonWithOffsets(text).value).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps "__proto__" as data, never as a prototype', () => {
    const { value } = parseJsonWithOffsets('{"__proto__": {"polluted": true}, "to": "a@b.test"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(value as object)).toEqual(['__proto__', 'to']);
  });

  it('records where each value starts', () => {
    const text = '{\n  "messages": [\n    { "to": ["a@b.test",\n      "c@d.test"] }\n  ]\n}';
    const parsed = parseJsonWithOffsets(text);
    expect(text.slice(offsetAt(parsed, ['messages', 0, 'to', 1]))).toMatch(/^"c@d\.test"/);
    expect(text.slice(offsetAt(parsed, ['messages', 0]))).toMatch(/^\{ "to"/);
    expect(offsetAt(parsed, [])).toBe(0);
    expect(offsetAt(parsed, ['nothing'])).toBeUndefined();
  });

  it.each([
    ['{"a": 1,,}', 1, 9, /property name/],
    ['[1,,]', 1, 4, /a value/],
    ['{a: 1}', 1, 2, /property name/],
    ["{'a': 1}", 1, 2, /property name/],
    ['{"a": 1 /* open', 1, 9, /never closed/],
    ['[1, 2', 1, 6, /"," or "\]"/],
    ['{\n  "a": "b"\n  "c": 1\n}', 3, 3, /"," or "}"/],
    ['{"a": "line\nbreak"}', 1, 12, /control character/],
    ['{"a": tru}', 1, 7, /a value/],
    ['{"a": "\\x"}', 1, 7, /escape/],
    ['{"a": 1} x', 1, 10, /end of the file/],
    ['', 1, 1, /a value/],
  ])('syntax error in %j: line %i, column %i', (text, line, column, what) => {
    const err = campaignError(text);
    expect(err.detail).toContain(`line ${line}, column ${column}`);
    expect(err.detail).toMatch(what);
    expect(err.code).toBe('EINPUT');
  });

  it.each([
    ['// campaign\n{"a": 1}', { a: 1 }],
    ['/* a\n b */ [1, /* two */ 2]', [1, 2]],
    ['{"a": [1, 2,], "b": {"c": 3,},}', { a: [1, 2], b: { c: 3 } }],
    ['{"url": "https://x.example/*y*/ // z"} // end', { url: 'https://x.example/*y*/ // z' }],
    ['\ufeff// first\r\n{"a": 1, // one\r\n "b": 2}', { a: 1, b: 2 }],
  ])('reads JSON with comments and trailing commas: %j', (text, value) => {
    expect(parseJsonWithOffsets(text).value).toEqual(value);
  });

  it('refuses nesting past the limit instead of overflowing the stack', () => {
    expect(campaignError('['.repeat(100_000)).detail).toMatch(/nested deeper/);
  });
});

describe('campaign shapes', () => {
  it('a single message object', () => {
    const [m] = parseCampaign('{"from": "news@corp.example", "to": "a@customer.test"}', 'c.json');
    expect(m!.source).toBe('c.json#message');
    expect(m!.jsonPath).toBe('$');
    expect(fieldsOf(m!)).toEqual(['from', 'to']);
  });

  it('an array of message objects', () => {
    const ms = parseCampaign('[{"to": "a@x.test"}, {"to": "b@y.test"}]', 'c.json');
    expect(ms.map((m) => m.source)).toEqual(['c.json#[0]', 'c.json#[1]']);
  });

  it('{ defaults, messages }: defaults merged, message keys win, paths say where each came from', () => {
    const text = ['{', '  "defaults": { "from": "news@corp.example", "cc": "boss@corp.example" },', '  "messages": [', '    { "to": "a@x.test" },', '    { "to": "b@y.test", "cc": ["c@z.test"] }', '  ]', '}'].join('\n');
    const [a, b] = parseCampaign(text, 'c.json');
    expect(a!.mail).toMatchObject({ from: 'news@corp.example', cc: 'boss@corp.example', to: 'a@x.test' });
    expect(a!.origins.map((o) => o.path)).toEqual(['defaults.from', 'messages[0].to', 'defaults.cc']);
    expect(a!.origins.map((o) => o.line)).toEqual([2, 4, 2]);
    expect(b!.origins.map((o) => o.path)).toEqual(['defaults.from', 'messages[1].to', 'messages[1].cc']);
    expect(b!.line).toBe(5);
  });

  it('addresses as strings, { name, address }, nested arrays; bcc only in the envelope', () => {
    const [m] = parseCampaign(
      JSON.stringify({ from: { name: 'News', address: 'news@corp.example' }, to: ['a@x.test, B <b@y.test>', [{ name: 'C, "the" Third', address: 'c@z.test' }]], bcc: ['h1@h.test', 'h2@h.test'] }),
      'c.json',
    );
    const r = check(m!);
    expect(r.recipients.visible.map((v) => v.address)).toEqual(['a@x.test', 'b@y.test', 'c@z.test']);
    expect(r.recipients.blind).toEqual([]);
    expect(r.recipients.hidden.map((h) => h.address)).toEqual(['h1@h.test', 'h2@h.test']);
    expect(r.findings.map((f) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
    expect(m!.envelope?.mailFrom).toBe('news@corp.example');
  });

  it.each([
    ['[1]', /\[0\] \(line 1\): a message must be an object/],
    ['{"messages": {}}', /messages \(line 1\): "messages" must be an array/],
    ['{"defaults": [], "messages": []}', /defaults \(line 1\): "defaults" must be an object/],
    ['[{"to": 42}]', /\[0\]\.to \(line 1\): an address must be/],
    ['[{"to": [{"name": "x"}]}]', /\[0\]\.to\[0\] \(line 1\): an address object needs an "address" string/],
    ['"just a string"', /the file must hold a message object/],
  ])('refuses %s with the JSON path and line', (text, what) => {
    expect(campaignError(text).detail).toMatch(what);
  });
});

describe('no field injection from JSON values', () => {
  const hostile = [
    { to: 'a@corp.example\r\nBcc: spy@evil.test' },
    { to: { name: 'N\r\nBcc: spy@evil.test', address: 'a@corp.example' } },
    { to: { name: 'x', address: 'a@corp.example>\r\nBcc: spy@evil.test\r\nX: <b@corp.example' } },
    { to: ['a@corp.example', 'b@corp.example\nCc: spy@evil.test'] },
    { from: 'x@corp.example\rTo: spy@evil.test', to: 'a@corp.example' },
  ];

  it.each(hostile)('%j gives no field beyond the ones the JSON names', (mail) => {
    const [m] = parseCampaign(JSON.stringify(mail), 'c.json');
    const keys = fieldsOf(m!);
    expect(keys).not.toContain('bcc');
    expect(keys).not.toContain('x');
    expect(keys.filter((k) => k === 'to')).toHaveLength(1);
    expect(keys.filter((k) => k === 'cc')).toHaveLength(0);
    expect(readHeaderBlock(m!.header).problems).toEqual([]);
  });

  it('an address object that smuggles more addresses is one ambiguous recipient, never three', () => {
    const [m] = parseCampaign(JSON.stringify({ from: 'a@corp.example', to: { name: 'M', address: 'm@c1.test>, evil@attacker.test, <n@c1.test' } }), 'c.json');
    const r = check(m!);
    expect(r.verdict).toBe('block');
    expect(r.findings.map((f) => f.code)).toEqual(['AMBIGUOUS_RECIPIENT']);
    expect(r.recipients.visible.map((v) => v.address)).not.toContain('evil@attacker.test');
  });

  it('every string the JSON can hold stays inside its own field (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (name, address) => {
        const [m] = parseCampaign(JSON.stringify({ to: [{ name, address }, address, name] }), 'c.json');
        expect(fieldsOf(m!)).toEqual(['to']);
      }),
      { numRuns: 300 },
    );
  });
});

describe('relocation to the JSON', () => {
  it('findings and recipients point at JSON lines and paths', () => {
    const text = ['{ "messages": [', '  { "from": "s@corp.example",', '    "to": "s@corp.example",', '    "cc": [', '      "a@c1.test",', '      "b@c2.test", "c@c3.test",', '      "d@c4.test",', '      "e@c5.test"', '    ] }', '] }'].join('\n');
    const [m] = parseCampaign(text, 'c.json');
    const r = check(m!);
    const f = r.findings.find((x) => x.code === 'EXPOSED_RECIPIENTS')!;
    expect(f.line).toBe(5);
    expect(f.jsonPath).toBe('messages[0].cc');
    // The core reports a recipient at its header field's first line: the field's first element here.
    expect(r.recipients.visible.map((v) => v.line)).toEqual([3, 5, 5, 5, 5, 5]);
  });
});

describe('messages with few fields', () => {
  it('bcc only, no sender: checked as undisclosed recipients, all blind', () => {
    const [m] = parseCampaign('[{"bcc": ["a@x.test", "b@y.test", "c@z.test"]}]', 'c.json');
    expect(m!.problem).toBeUndefined();
    const r = check(m!);
    expect(r.verdict).toBe('pass');
    expect(r.recipients.hidden).toHaveLength(3);
  });

  it('no recipient at all: a problem for that message, not a pass', () => {
    const [m] = parseCampaign('{"messages": [{"from": "a@corp.example", "subject": "x"}]}', 'c.json');
    expect(m!.problem).toMatch(/messages\[0\]: no recipients/);
  });
});
