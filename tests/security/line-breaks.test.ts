// A line end that another parser honours and mailguard does not, in any header field, is
// MALFORMED_HEADER. Python's email package is the differential oracle: it splits fields at bare
// CR and LF when it parses, and at str.splitlines() characters (VT, FF, FS, GS, RS, NEL, U+2028,
// U+2029) when it writes a parsed message out again (Mailman, Django, many scripts do).
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readHeaderBlock } from '../../src/message/header-block.js';
import { check, codes, message, problems } from './support.js';

const PYTHON_ORACLE = String.raw`
import base64, json, sys, email.policy
from email.parser import BytesParser, Parser
out = []
for b64 in json.load(sys.stdin):
    raw = base64.b64decode(b64)
    views = {}
    for pol in ('compat32', 'default'):
        p = getattr(email.policy, pol)
        for kind in ('bytes', 'str'):
            try:
                m = BytesParser(policy=p).parsebytes(raw) if kind == 'bytes' else Parser(policy=p).parsestr(raw.decode('utf-8', 'replace'))
                views[pol + '-' + kind] = [k.lower() for k in m.keys()]
                # Written out again and read back, as a list manager does.
                again = Parser(policy=p).parsestr(m.as_string())
                views[pol + '-' + kind + '-regenerated'] = [k.lower() for k in again.keys()]
            except Exception:
                pass
    out.append(views)
json.dump(out, sys.stdout)
`;

/** Python's field names for each message, in every way it reads or rewrites them. */
function pythonViews(messages: Buffer[]): Array<Record<string, string[]>> {
  const r = spawnSync('python3', ['-c', PYTHON_ORACLE], { input: JSON.stringify(messages.map((m) => m.toString('base64'))), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<Record<string, string[]>>;
}

function mailguardFields(bytes: Buffer): string[] {
  return readHeaderBlock(bytes).fields.map((f) => f.key);
}

const BREAKS: Array<[string, string]> = [
  ['CR', '\r'],
  ['VT', '\x0b'],
  ['FF', '\x0c'],
  ['FS', '\x1c'],
  ['GS', '\x1d'],
  ['RS', '\x1e'],
  ['NEL', '\u0085'],
  ['LS', '\u2028'],
  ['PS', '\u2029'],
];
const FIELDS = ['From: me@corp.example', 'Subject: hello', 'Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000', 'Message-ID: <1@corp.example>', 'Date: Mon, 1 Jan 2024 00:00:00 +0000', 'X-Mailer: Script 1.0', 'To: boss@corp.example', 'MIME-Version: 1.0'];
const TAILS = ['Cc: a@one.example, b@two.example, c@three.example, d@four.example, e@five.example', 'Bcc: x@evil.example', 'no colon here', '', ' folded on', '\tfolded on', '\r\nCc: x@evil.example', 'To: x@evil.example'];

describe('a line break that another parser honours is MALFORMED_HEADER, in any field', () => {
  it.each(BREAKS)('%s inside Subject hiding a Cc list blocks (LF and CRLF messages)', (_name, br) => {
    for (const eol of ['\n', '\r\n']) {
      const r = check(message(['From: me@corp.example', 'To: boss@corp.example', `Subject: hello${br}Cc: a@one.example, b@two.example`], eol));
      expect(r.verdict).toBe('block');
      expect(problems(r)).toContain('MALFORMED_HEADER:foreign-line-break');
    }
  });

  it.each(['From', 'Received', 'Message-ID', 'Date', 'X-Mailer', 'Subject', 'Content-Type'])('a bare CR in %s is reported with its line and the character', (field) => {
    const r = check(message(['To: boss@corp.example', `${field}: value\rCc: x@evil.example`, 'From2: y'], '\n'));
    const f = r.findings.find((x) => x.code === 'MALFORMED_HEADER');
    expect(f).toMatchObject({ line: 2, args: { problem: 'foreign-line-break', detail: 'CR' } });
  });

  it('a bare CR just before the line end (Python: an empty line, the header ends there) blocks', () => {
    const r = check('From: me@corp.example\nSubject: hi\r\r\nCc: a@one.example\n\nbody\n');
    expect(problems(r)).toContain('MALFORMED_HEADER:foreign-line-break');
  });

  it('an LF inside a CR-only header blocks', () => {
    const r = check('From: me@corp.example\rSubject: hi\nCc: x@evil.example\rTo: a@corp.example\r\rbody\r');
    expect(problems(r)).toContain('MALFORMED_HEADER:foreign-line-break');
  });

  it('a break followed by a space or tab is a fold to every reader, and ordinary drafts pass', () => {
    for (const text of [
      'From: me@corp.example\nSubject: hello\r world\nTo: boss@corp.example\n\nbody\n',
      'From: me@corp.example\r\nSubject: hello\x0c\tworld\r\nTo: boss@corp.example\r\n\r\nbody\r\n',
      'From: me@corp.example\nSubject: hello\x0b\nTo: boss@corp.example\n\nbody\n',
      'From: me@corp.example\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nTo: "Doe, Jane" <jane@corp.example>\n\nbody\r\nwith\x0c form feed and \r in the body\n',
      'From: me@corp.example\r\nSubject: Grüße – “quotes” … 日本語\r\nTo: boss@corp.example\r\n\r\nbody\r\n',
    ]) {
      expect(codes(check(text))).toEqual([]);
    }
  });

  it('differential: wherever Python reads other fields than mailguard, mailguard reports MALFORMED_HEADER', () => {
    const arb = fc.record({
      fields: fc.shuffledSubarray(FIELDS, { minLength: 2 }),
      at: fc.nat(),
      br: fc.constantFrom(...BREAKS.map((b) => b[1]), '\r\r', '\x0b\x0c', '\u2028\u2029'),
      tail: fc.constantFrom(...TAILS),
      eol: fc.constantFrom('\n', '\r\n'),
      where: fc.constantFrom('end', 'middle'),
    });
    const samples = fc.sample(arb, { numRuns: 400, seed: 20261204 });
    const messages = samples.map(({ fields, at, br, tail, eol, where }) => {
      const lines = [...fields];
      const i = at % lines.length;
      const line = lines[i]!;
      const cut = where === 'end' ? line.length : line.indexOf(':') + 3;
      lines[i] = line.slice(0, cut) + br + tail + line.slice(cut);
      return Buffer.from(message(lines, eol), 'utf8');
    });
    const views = pythonViews(messages);
    let differing = 0;
    messages.forEach((bytes, n) => {
      const ours = mailguardFields(bytes);
      const differs = Object.values(views[n]!).some((theirs) => theirs.join(',') !== ours.join(','));
      if (!differs) return;
      differing++;
      const r = check(bytes.toString('utf8'));
      expect([JSON.stringify(bytes.toString('latin1')), Object.keys(views[n]!).length, r.findings.some((f) => f.code === 'MALFORMED_HEADER')]).toEqual([
        JSON.stringify(bytes.toString('latin1')),
        Object.keys(views[n]!).length,
        true,
      ]);
    });
    // The generator must reach the interesting cases, not only agreeing ones. How many differ
    // depends on the Python release (Debian 12's 3.11.2 reads fewer breaks than 3.11.7): a floor
    // any of them reaches, not one release's count.
    expect(differing).toBeGreaterThan(20);
  });

  it('ordinary LF-only, CRLF and folded drafts read the same fields in Python and pass', () => {
    const drafts = [
      message(FIELDS, '\n'),
      message(FIELDS, '\r\n'),
      message([...FIELDS, 'Cc: "Doe, Jane" <jane@corp.example>,\n "bob@corp.example" <bob@corp.example>'], '\n'),
      message(['From: me@corp.example', 'To: boss@corp.example', 'Subject: a long subject\r\n folded once'], '\r\n'),
    ].map((t) => Buffer.from(t, 'utf8'));
    const views = pythonViews(drafts);
    drafts.forEach((bytes, n) => {
      for (const theirs of Object.values(views[n]!)) expect(theirs).toEqual(mailguardFields(bytes));
      expect(codes(check(bytes.toString('utf8')))).toEqual([]);
    });
  });
});
