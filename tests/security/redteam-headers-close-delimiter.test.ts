// Red team, MIME reading: a multipart body that starts with its close delimiter (`--B--`) and has
// its parts after it. The splitter stopped at the close delimiter and found no part, so the body
// was read as plain text: a base64 (or quoted-printable) part holding a list was never decoded.
// mailparser passes over a close delimiter that comes before any part and shows the parts after
// it, list included (differential check below); Python's email package shows nothing.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { splitMultipart } from '../../src/body/mime.js';
import { createPolicy } from '../../src/policy/policy.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'], bodyScan: { minAddresses: 10, maxPartBytes: 1024 * 1024 } });
const PEOPLE = Array.from({ length: 12 }, (_, i) => `person${i}@org${i}.example`);
const LIST = PEOPLE.join(', ');

// Encodings whose text shows no address until decoded (a quoted-printable list read as plain text
// still shows its "=40" addresses, so it was found before too).
const encodings: Array<[string, string, string, string]> = [
  ['base64 text', 'text/plain; charset=utf-8', 'base64', Buffer.from(LIST).toString('base64')],
  ['base64 HTML', 'text/html; charset=utf-8', 'base64', Buffer.from(`<p>${LIST}</p>`).toString('base64')],
  ['base64 UTF-16 text', 'text/plain; charset=utf-16le', 'base64', Buffer.from(LIST, 'utf16le').toString('base64')],
];

function multipart(type: string, parts: string[], eol: string): Buffer {
  return Buffer.from(['From: me@corp.example', 'To: boss@corp.example', 'Subject: x', 'MIME-Version: 1.0', `Content-Type: ${type}; boundary="b1"`, '', ...parts, ''].join(eol));
}

function listPart(contentType: string, encoding: string, body: string, eol: string): string {
  return ['--b1', `Content-Type: ${contentType}`, `Content-Transfer-Encoding: ${encoding}`, '', body, '--b1--'].join(eol);
}

function listed(bytes: Buffer): number {
  const f = checkMessage(bytes, POLICY).findings.find((x) => x.code === 'ADDRESS_LIST_IN_BODY');
  return f && 'externalAddresses' in f.args ? (f.args.externalAddresses as number) : 0;
}

describe('a close delimiter before any part does not end the multipart', () => {
  for (const type of ['multipart/mixed', 'multipart/alternative']) {
    for (const [eolName, eol] of [['CRLF', '\r\n'], ['LF', '\n']] as const) {
      it.each(encodings)(`${type}, ${eolName}: a %s part after "--b1--" is decoded and read`, (_name, contentType, encoding, body) => {
        expect(listed(multipart(type, ['--b1--', listPart(contentType, encoding, body, eol)], eol))).toBe(PEOPLE.length);
        // With a preamble before the stray close delimiter, too.
        expect(listed(multipart(type, ['This is a MIME message.', '--b1--', listPart(contentType, encoding, body, eol)], eol))).toBe(PEOPLE.length);
      });
    }
  }

  it('mailparser shows that list (the reader this reading follows)', async () => {
    const require = createRequire(import.meta.url);
    const { simpleParser } = require('mailparser') as { simpleParser: (b: Buffer) => Promise<{ text?: string }> };
    const parsed = await simpleParser(multipart('multipart/mixed', ['--b1--', listPart('text/plain; charset=utf-8', 'base64', encodings[0]![3], '\r\n')], '\r\n'));
    expect(parsed.text).toContain(PEOPLE[11]);
  });

  it('splitMultipart: the parts after a leading close delimiter; a close after a part still ends it', () => {
    expect(splitMultipart(Buffer.from('--b1--\r\n--b1\r\nA\r\n--b1\r\nB\r\n--b1--\r\n'), 'b1').map(String)).toEqual(['A', 'B']);
    expect(splitMultipart(Buffer.from('--b1\r\nA\r\n--b1--\r\n--b1\r\nB\r\n--b1--\r\n'), 'b1').map(String)).toEqual(['A']);
    expect(splitMultipart(Buffer.from('--b1--\r\n'), 'b1')).toEqual([]);
  });

  it('an empty multipart ("--b1--" alone) stays clean', () => {
    const r = checkMessage(multipart('multipart/mixed', ['--b1--'], '\r\n'), POLICY);
    expect(r.verdict).toBe('pass');
    expect(r.findings).toEqual([]);
  });
});
