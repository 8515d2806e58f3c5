// The file name of an attachment inside a multipart message. Every reader shows it in the
// attachment list, as it shows the name of a message sent as one file, which is read like a shown
// header field (bc6b9f2: two addresses that read as a list, or three in free text, count toward
// EXPOSED_RECIPIENTS). Inside a multipart the name was read only as body text, whose threshold is
// ten: a file named with the addresses of five organisations passed with the body scan on. With
// the body scan, the names of the message's own attachments are now read the same way (each name
// on its own); a name inside a forwarded message stays quoted text, as its header is.
import { describe, expect, it } from 'vitest';
import { decideDelivery } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';
import { ATTACHMENT_NAME_CONTROLS } from '../helpers/attachment-name-controls.js';
import { runCli } from '../helpers/cli.js';
import { check, codes } from './support.js';

const PEOPLE = ['a@alpha.example', 'b@beta.example', 'c@gamma.example', 'd@delta.example', 'e@epsilon.example'];
const LIST = PEOPLE.join(', ');
const SCAN = createPolicy({ internalDomains: ['corp.example'], bodyScan: { minAddresses: 10, maxPartBytes: 1024 * 1024 } });
const SENSITIVE = createPolicy({ internalDomains: ['corp.example'], sensitive: true, bodyScan: { minAddresses: 10, maxPartBytes: 1024 * 1024 } });
const pct = (s: string) => encodeURIComponent(s);

/** A multipart/mixed message: a text part, then one attachment with these part header lines. */
function withAttachment(lines: string[], options: { eol?: string; nested?: boolean; forwarded?: boolean } = {}): string {
  const eol = options.eol ?? '\r\n';
  const part = ['--B', ...lines, 'Content-Transfer-Encoding: base64', '', 'aGVsbG8='];
  const inner = options.nested ? ['--B', 'Content-Type: multipart/mixed; boundary="C"', '', '--C', 'Content-Type: text/plain', '', 'Inner.', ...part.map((l) => (l === '--B' ? '--C' : l)), '--C--'] : part;
  const forwarded = ['--OUTER', 'Content-Type: message/rfc822', '', 'From: x@corp.example', 'To: y@corp.example', 'Subject: old', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="B"', '', '--B', 'Content-Type: text/plain', '', 'Old text.', ...part, '--B--'];
  const outer = options.forwarded ? 'OUTER' : 'B';
  const body = options.forwarded ? forwarded : inner;
  return [
    'From: me@corp.example',
    'To: boss@corp.example',
    'Subject: files',
    'Date: Mon, 7 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${outer}"`,
    '',
    `--${outer}`,
    'Content-Type: text/plain',
    '',
    'See the attachment.',
    ...body,
    `--${outer}--`,
    '',
  ].join(eol);
}

const NAMES: Array<[string, string[]]> = [
  ['a quoted filename', ['Content-Type: application/pdf', `Content-Disposition: attachment; filename="${LIST} - notes.pdf"`]],
  ['a Content-Type name only', [`Content-Type: application/octet-stream; name="${LIST} - data.bin"`]],
  ['an RFC 2231 filename (%40 for "@")', ['Content-Type: application/octet-stream', `Content-Disposition: attachment; filename*=utf-8''${pct(`${LIST} - notes.txt`)}`]],
  ['an encoded word in the name', [`Content-Type: application/pdf; name="=?utf-8?B?${Buffer.from(`${LIST} - notes.pdf`).toString('base64')}?="`, 'Content-Disposition: attachment']],
  ['a text file sent as an attachment', [`Content-Type: text/plain; name="${LIST} - notes.txt"`, 'Content-Disposition: attachment']],
  ['semicolons between the addresses', ['Content-Type: image/png', `Content-Disposition: attachment; filename="${PEOPLE.join('; ')} - photo.png"`]],
  ['the Content-Type name differs from the filename', [`Content-Type: application/pdf; name="${LIST} - notes.pdf"`, 'Content-Disposition: attachment; filename="minutes.pdf"']],
];

describe("an attachment's name inside a multipart message is shown like a header field", () => {
  for (const [eolName, eol] of [['CRLF', '\r\n'], ['LF', '\n']] as const) {
    it.each(NAMES)(`%s (${eolName}): the list is shown and blocks`, (_name, lines) => {
      const r = check(withAttachment(lines, { eol }), SCAN);
      expect(codes(r)).toContain('EXPOSED_RECIPIENTS');
      expect(r.verdict).toBe('block');
      expect(r.recipients.shown.map((v) => v.address)).toEqual(expect.arrayContaining(PEOPLE));
    });
  }

  it('in a nested multipart too', () => {
    expect(check(withAttachment(NAMES[0]![1], { nested: true }), SCAN).verdict).toBe('block');
  });

  it('three addresses of three organisations warn; two written as a list block under --sensitive', () => {
    const three = check(withAttachment(['Content-Type: application/pdf', `Content-Disposition: attachment; filename="${PEOPLE.slice(0, 3).join(', ')}.pdf"`]), SCAN);
    expect(three.verdict).toBe('warn');
    expect(codes(three)).toContain('EXPOSED_RECIPIENTS');
    const two = check(withAttachment(['Content-Type: application/pdf', `Content-Disposition: attachment; filename="${PEOPLE.slice(0, 2).join(', ')}.pdf"`]), SENSITIVE);
    expect(two.verdict).toBe('block');
  });

  it('the delivery decision blocks it', () => {
    expect(decideDelivery(Buffer.from(withAttachment(NAMES[0]![1])), SCAN, { onViolation: 'block' }).action).toBe('block');
  });

  it('the built CLI (body scan on by default) exits 1', async () => {
    const r = await runCli(['check', '--internal-domain', 'corp.example', '-'], { input: withAttachment(NAMES[2]![1]) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('EXPOSED_RECIPIENTS');
  });
});

describe('controls', () => {
  it.each([
    ...ATTACHMENT_NAME_CONTROLS,
    ['an inline text part with a name (shown as text, not as a file)', [`Content-Type: text/plain; name="${LIST} - notes.txt"`]],
  ])('%s passes', (_name, lines) => {
    expect(check(withAttachment(lines), SCAN).verdict).toBe('pass');
  });

  it('several attachments each named for one contact pass (each name is read on its own)', () => {
    const parts = PEOPLE.flatMap((p) => ['--B', `Content-Type: text/vcard; name="${p}.vcf"`, `Content-Disposition: attachment; filename="${p}.vcf"`, '', `BEGIN:VCARD\r\nEMAIL:${p}\r\nEND:VCARD`]);
    const text = ['From: me@corp.example', 'To: boss@corp.example', 'Subject: cards', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="B"', '', '--B', 'Content-Type: text/plain', '', 'Cards.', ...parts, '--B--', ''].join('\r\n');
    expect(check(text, SCAN).verdict).toBe('pass');
  });

  it('a name inside a forwarded message is quoted text, as its header is: five addresses pass', () => {
    expect(check(withAttachment(NAMES[0]![1], { forwarded: true }), SCAN).verdict).toBe('pass');
  });

  it('without the body scan the body is not read, as before', () => {
    expect(check(withAttachment(NAMES[0]![1])).verdict).toBe('pass');
  });
});
