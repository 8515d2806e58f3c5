// Red team, header reading: the name of the message's own file. A message whose whole body is one
// attachment (Content-Disposition: attachment; filename=..., or a Content-Type name) is shown by
// every reader with that name in its attachment bar (Thunderbird, Outlook, Gmail, Apple Mail),
// as its Subject is. other-fields.ts skipped Content-Type and Content-Disposition ("shown at most
// as an attachment's name"), and the body scan reads names only as body text (ten addresses, a
// warning; none at all without the body scan): a list of five organisations written there passed
// as clean, where the same list in the message's Content-Description or Subject blocks.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decideDelivery } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';
import { ATTACHMENT_NAME_CONTROLS } from '../helpers/attachment-name-controls.js';
import { runCli } from '../helpers/cli.js';
import { check, codes, CORP, message } from './support.js';

const PEOPLE = ['a@alpha.example', 'b@beta.example', 'c@gamma.example', 'd@delta.example', 'e@epsilon.example'];
const LIST = PEOPLE.join(', ');
const WITH_BODY_SCAN = createPolicy({ internalDomains: ['corp.example'], bodyScan: { minAddresses: 10, maxPartBytes: 1024 * 1024 } });

/** A single-part message sent as a file, with these Content-* lines. */
function asFile(lines: string[], eol = '\r\n'): string {
  return message(['From: me@corp.example', 'To: boss@corp.example', 'Subject: the file', 'Date: Mon, 7 Dec 2026 10:00:00 +0000', 'MIME-Version: 1.0', ...lines, 'Content-Transfer-Encoding: base64'], eol, 'aGVsbG8=');
}

const pct = (s: string) => encodeURIComponent(s);
const require = createRequire(import.meta.url);

const NAMES: Array<[string, string[]]> = [
  ['a quoted filename', ['Content-Type: application/octet-stream', `Content-Disposition: attachment; filename="${LIST} - notes.txt"`]],
  ['a Content-Type name only', [`Content-Type: application/octet-stream; name="${LIST} - notes.txt"`]],
  ['an RFC 2231 filename (%40 for "@")', ['Content-Type: application/octet-stream', `Content-Disposition: attachment; filename*=utf-8''${pct(`${LIST} - notes.txt`)}`]],
  ['RFC 2231 continuations', ['Content-Type: application/octet-stream', `Content-Disposition: attachment; filename*0="${PEOPLE.slice(0, 2).join(', ')}"; filename*1=", ${PEOPLE.slice(2).join(", ")} - notes.txt"`]],
  ['an encoded word in the name', [`Content-Type: application/pdf; name="=?utf-8?B?${Buffer.from(`${LIST} - notes.pdf`).toString('base64')}?="`, 'Content-Disposition: inline']],
  ['the name only in the plain value beside an RFC 2231 one', ['Content-Type: application/octet-stream', `Content-Disposition: attachment; filename*=utf-8''report.txt; filename="${LIST} - notes.txt"`]],
  ['a text file sent as an attachment', [`Content-Type: text/plain; name="${LIST} - notes.txt"`, 'Content-Disposition: attachment']],
  ['folded over lines', ['Content-Type: application/octet-stream', `Content-Disposition: attachment;`, ` filename="${PEOPLE.slice(0, 3).join(', ')},`, ` ${PEOPLE.slice(3).join(", ")} - notes.txt"`]],
];

describe("the message's own attachment name is shown like its Subject", () => {
  it('mailparser and Python name the file with the list (the differential oracles)', async () => {
    const { simpleParser } = require('mailparser') as { simpleParser: (b: Buffer) => Promise<{ attachments: Array<{ filename?: string }> }> };
    const texts = NAMES.map(([, lines]) => asFile(lines));
    // Python with its default policy and with compat32 (which prefers the plain value beside an RFC 2231 one).
    const program = 'import sys, json, email, email.policy\nprint(json.dumps([[email.message_from_string(t, policy=p).get_filename() or "" for p in (email.policy.default, email.policy.compat32)] for t in json.load(sys.stdin)]))';
    const python = JSON.parse(spawnSync('python3', ['-c', program], { input: JSON.stringify(texts), encoding: 'utf8' }).stdout) as string[][];
    for (const [i, text] of texts.entries()) {
      const mailparser = (await simpleParser(Buffer.from(text))).attachments[0]?.filename ?? '';
      const showing = [mailparser, ...python[i]!].filter((name) => PEOPLE.every((p) => name.includes(p)));
      expect(showing.length).toBeGreaterThanOrEqual(NAMES[i]![0].startsWith('the name only in the plain value') ? 1 : 2);
    }
  });

  for (const [eolName, eol] of [['CRLF', '\r\n'], ['LF', '\n']] as const) {
    it.each(NAMES)(`%s (${eolName}): the list is shown and blocks, with the body scan and without`, (_name, lines) => {
      for (const policy of [CORP, WITH_BODY_SCAN]) {
        const r = check(asFile(lines, eol), policy);
        expect(codes(r)).toContain('EXPOSED_RECIPIENTS');
        expect(r.verdict).toBe('block');
        expect(r.recipients.shown.map((v) => v.address)).toEqual(expect.arrayContaining(PEOPLE));
      }
    });
  }

  it('the delivery decision blocks it', () => {
    const d = decideDelivery(Buffer.from(asFile(NAMES[0]![1])), CORP, { onViolation: 'block' });
    expect(d.action).toBe('block');
  });

  it('the built CLI exits 1', async () => {
    const r = await runCli(['check', '--internal-domain', 'corp.example', '-'], { input: asFile(NAMES[2]![1]) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('EXPOSED_RECIPIENTS');
  });
});

describe('controls', () => {
  it.each([
    ...ATTACHMENT_NAME_CONTROLS,
    // mailparser shows such text as the body, no attachment: its name is not shown (tests/rules/header-field-exposure.test.ts).
    ['a text message with a name, not sent as an attachment', [`Content-Type: text/plain; name="${LIST} - notes.txt"`]],
  ])('%s passes', (_name, lines) => {
    for (const policy of [CORP, WITH_BODY_SCAN]) {
      const r = check(asFile(lines), policy);
      expect(r.verdict).toBe('pass');
    }
  });
});
