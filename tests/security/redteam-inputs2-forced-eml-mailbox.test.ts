// Red team, `--input eml` on a mailbox. The report names files it did not read as mail and says to
// name them with `--input FORMAT` to read them anyway; `check --input eml FOLDER` then read every
// file of the folder as one message, a Sent mailbox included: its first message's header was
// checked and the messages after it were body text, so a later message showing five
// organisations passed (exit 0). An input forced to be one message that shows a mailbox's
// separators (a `From ` line then a header field, past its first line) is now read as a mailbox,
// as it is unforced (check, audit, fix); a draft without one stays one message. Built CLI.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-forced-eml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = 'a1@alpha.example, b1@beta.example, c1@gamma.example, d1@delta.example, e1@epsilon.example';
const SEPARATOR = 'From alice@corp.example Mon Jan  1 00:00:00 2024';
const clean = (eol: string) => ['From: alice@corp.example', 'To: bob@corp.example', 'Subject: a', '', 'hi', ''].join(eol);
const exposed = (eol: string) => ['From: alice@corp.example', `To: ${LIST}`, 'Subject: b', '', 'hi', ''].join(eol);
const mailbox = (eol: string) => `${SEPARATOR}${eol}${clean(eol)}${eol}${SEPARATOR}${eol}${exposed(eol)}`;
const POLICY = ['--internal-domain', 'corp.example'];

interface Json {
  results: Array<{ source: string; verdict: string }>;
}
const verdicts = (stdout: string) => (JSON.parse(stdout) as Json).results.map((r) => `${path.basename(r.source)} ${r.verdict}`);

const MAILBOXES: Array<[string, string]> = [
  ['a mailbox', mailbox('\n')],
  ['a mailbox, CRLF', mailbox('\r\n')],
  ['a mailbox whose first From line is missing', `${clean('\n')}\n${SEPARATOR}\n${exposed('\n')}`],
  ["Thunderbird's separator", `From - Mon Jan  1 00:00:00 2024\n${clean('\n')}\nFrom - Mon Jan  1 00:00:00 2024\n${exposed('\n')}`],
];

describe('check --input eml reads a mailbox as the messages it holds', () => {
  for (const [name, text] of MAILBOXES) {
    it(`named: ${name}`, async () => {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}`);
      writeFileSync(file, text);
      const r = await runCli(['check', '--input', 'eml', file, ...POLICY, '--format', 'json']);
      expect(r.code).toBe(1);
      expect(verdicts(r.stdout)).toContain(`${path.basename(file)}#2 block`);
    });

    it(`piped in: ${name}`, async () => {
      const r = await runCli(['check', '--input', 'eml', '-', ...POLICY, '--format', 'json'], { input: text });
      expect(r.code).toBe(1);
      expect(verdicts(r.stdout)).toContain('-#2 block');
    });
  }

  it('a folder walked with --input eml, as the hint for files not read says', async () => {
    const folder = path.join(dir, 'outbox');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'Sent'), mailbox('\n'));
    writeFileSync(path.join(folder, 'notes.txt'), `Draft for Monday\n${clean('\n')}`);
    const r = await runCli(['check', '--input', 'eml', folder, ...POLICY, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(verdicts(r.stdout)).toContain('Sent#2 block');
  });

  it('audit --input eml counts the later message', async () => {
    const file = path.join(dir, 'audit-Sent');
    writeFileSync(file, mailbox('\n'));
    const r = await runCli(['audit', '--input', 'eml', file, ...POLICY, '--format', 'json']);
    expect((JSON.parse(r.stdout) as { summary: { messages: number; incidents: number } }).summary).toMatchObject({ messages: 2, incidents: 1 });
  });
});

describe('--input eml on one message is read as before', () => {
  it('a draft with a From line in its prose, and one message after a From line, stay one message each', async () => {
    const prose = path.join(dir, 'prose.eml');
    writeFileSync(prose, `${clean('\n')}From the desk of Alice\nPhone: 555 1234\n`);
    const single = path.join(dir, 'single.eml');
    writeFileSync(single, `${SEPARATOR}\n${clean('\n')}`);
    const r = await runCli(['check', '--input', 'eml', prose, single, ...POLICY, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(verdicts(r.stdout)).toEqual(['prose.eml pass', 'single.eml pass']);
  });
});
