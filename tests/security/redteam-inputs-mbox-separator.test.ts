// Red team, input formats: a mailbox whose first `From ` line is missing (a header line or text
// before it: cut off, concatenated after a draft, an export's preamble) read as one message. Its
// later messages were body text, so their exposed lists passed unchecked when the input was piped
// in or not named as a mailbox (`Sent`, `backup.eml`). The built CLI is run on real files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-mbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = 'a1@alpha.example, b1@beta.example, c1@gamma.example, d1@delta.example, e1@epsilon.example';
const exposed = (eol: string) => ['From: alice@corp.example', `To: ${LIST}`, 'Subject: offer', '', 'body', ''].join(eol);

/** Inputs that start as a message and carry an mbox separator (then an exposing message) later. */
const CASES: Array<{ name: string; file: string; text: string }> = [
  { name: 'a preamble header, a blank line, then an mbox', file: 'Sent', text: `X-Export: tool\n\nFrom a@corp.example Mon Jan  1 00:00:00 2024\n${exposed('\n')}` },
  {
    name: 'a clean message whose From line was lost, then a second message',
    file: 'backup.eml',
    text: `From: alice@corp.example\nTo: bob@corp.example\n\nhello\n\nFrom a@corp.example Tue Feb  2 10:00:00 2024\n${exposed('\n')}`,
  },
  {
    name: 'CRLF line ends, a separator without a blank line before it',
    file: 'archive',
    text: `From: alice@corp.example\r\nTo: bob@corp.example\r\n\r\nhello\r\nFrom a@corp.example Tue Feb  2 10:00:00 2024\r\n${exposed('\r\n')}`,
  },
  {
    name: 'bare CR line ends (a classic Mac OS mailbox) whose first From line is missing',
    file: 'Mac Sent',
    text: `From: alice@corp.example\rTo: bob@corp.example\r\rhello\r\rFrom a@corp.example Tue Feb  2 10:00:00 2024\r${exposed('\r')}`,
  },
  { name: 'a separator whose date is not asctime, followed by a header field', file: 'Sent Messages', text: `Subject: notes\n\nsee below\n\nFrom MAILER-DAEMON 2024-01-01\n${exposed('\n')}` },
];

interface Json {
  results: Array<{ source: string; verdict: string; findings: Array<{ code: string }> }>;
}

const blocked = (stdout: string) => (JSON.parse(stdout) as Json).results.filter((r) => r.verdict === 'block' && r.findings.some((f) => f.code === 'EXPOSED_RECIPIENTS'));

describe('a mailbox whose first From line is missing is checked message by message', () => {
  for (const c of CASES) {
    it(`named: ${c.name}`, async () => {
      const file = path.join(dir, c.file);
      writeFileSync(file, c.text);
      const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
      expect(r.code).toBe(1);
      expect(blocked(r.stdout).map((x) => x.source)).toEqual([`${file}#2`]);
    });

    it(`piped in: ${c.name}`, async () => {
      const r = await runCli(['check', '-', '--internal-domain', 'corp.example', '--format', 'json'], { input: c.text });
      expect(r.code).toBe(1);
      expect(blocked(r.stdout).map((x) => x.source)).toEqual(['-#2']);
    });
  }

  it('found by a directory walk, and audited', async () => {
    const box = path.join(dir, 'walk');
    mkdirSync(box);
    writeFileSync(path.join(box, 'Sent'), CASES[0]!.text);
    const r = await runCli(['check', box, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(blocked(r.stdout)).toHaveLength(1);
    const a = await runCli(['audit', path.join(box, 'Sent'), '--internal-domain', 'corp.example', '--format', 'json']);
    expect(a.stderr).toBe('');
    expect(a.stdout).toContain('"incidents"');
    expect((JSON.parse(a.stdout) as { incidents: unknown[] }).incidents).toHaveLength(1);
  });

  it.each([
    ['a signature', 'From the desk of Ann\nPhone: 555 1234\nWeb: corp.example\n'],
    ['a notice', 'From tomorrow on:\nNote: the office is closed.\n'],
    ['a list of times', 'From 9:00 to 17:00\nLunch: 12:00\n'],
    ['CRLF prose', 'From the team\r\nTel: 555\r\n'],
  ])('a draft whose body has a From line of prose, a field-like line after it, stays one message: %s', async (name, tail) => {
    const file = path.join(dir, `prose-${name.replace(/\W+/g, '-')}.eml`);
    writeFileSync(file, `From: alice@corp.example\nTo: bob@partner.example\nSubject: hi\n\nhello\n\n${tail}`);
    const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Json).results.map((x) => x.source)).toEqual([file]);
    const piped = await runCli(['check', '-', '--internal-domain', 'corp.example', '--format', 'json'], { input: readFileSync(file) });
    expect((JSON.parse(piped.stdout) as Json).results.map((x) => x.source)).toEqual(['-']);
  });

  it('Thunderbird\'s separator ("From - date") after a lost first line splits too', async () => {
    const text = `From: alice@corp.example\nTo: bob@corp.example\n\nhello\n\nFrom - Tue Feb 02 10:00:00 2024\n${exposed('\n')}`;
    const r = await runCli(['check', '-', '--internal-domain', 'corp.example', '--format', 'json'], { input: text });
    expect(r.code).toBe(1);
    expect(blocked(r.stdout).map((x) => x.source)).toEqual(['-#2']);
  });

  it('a draft whose body has a From line that no header field follows stays one message', async () => {
    const file = path.join(dir, 'plain.eml');
    // A `From ` line in the body that no header field follows is text, not a separator.
    writeFileSync(file, `From: alice@corp.example\nTo: bob@corp.example\n\nhello\n\nFrom what I hear\nall is well\n`);
    const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Json).results.map((x) => x.source)).toEqual([file]);
  });
});
