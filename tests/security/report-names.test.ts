// Addresses a report quotes from the message besides its examples: an attachment named with the
// list it carries (`p1@org1.example, p2@org2.example ... .csv`, as a Content-Type name, a
// Content-Disposition filename, an RFC 2231 or an encoded-word name). Where the report masks
// addresses (--redact, and by default in sarif, github and junit), the name is masked too; where it
// shows them, the name is cut at 255 characters like every attachment name. The built CLI is
// spawned as a user runs it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const LIST = Array.from({ length: 30 }, (_, i) => `person${i}@customer${i}.test`);
const FULL = /person\d+@/;

function withAttachment(partHeader: string): string {
  return [
    'From: me@corp.example',
    'To: boss@corp.example',
    'Subject: the list',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'hello',
    '--b',
    partHeader,
    '',
    'a,b',
    '--b--',
    '',
  ].join('\r\n');
}

const SHAPES: Array<[string, string]> = [
  ['a Content-Type name', `Content-Type: text/csv; name="${LIST.join(', ')}.csv"`],
  ['a Content-Disposition filename', `Content-Type: text/csv\r\nContent-Disposition: attachment; filename="${LIST.join(', ')}.csv"`],
  ['an RFC 2231 filename', `Content-Type: text/csv\r\nContent-Disposition: attachment; filename*=UTF-8''${encodeURIComponent(`${LIST.join(', ')}.csv`)}`],
  ['an encoded-word name', `Content-Type: text/csv; name="=?UTF-8?B?${Buffer.from(`${LIST.join(' ')}.csv`).toString('base64')}?="`],
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-names-'));
  for (const [i, [, header]] of SHAPES.entries()) await writeFile(path.join(dir, `m${i}.eml`), withAttachment(header));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (i: number) => path.join(dir, `m${i}.eml`);
const policy = ['--internal-domain', 'corp.example'];

describe('an attachment named with addresses', () => {
  it.each(SHAPES.map(([name], i) => [name, i] as const))('%s: found, and masked wherever addresses are masked', async (_name, i) => {
    for (const args of [['--format', 'github'], ['--format', 'sarif'], ['--format', 'junit'], ['--redact'], ['--redact', '--format', 'json']]) {
      const r = await runCli(['check', file(i), ...policy, ...args]);
      expect(r.stdout, args.join(' ')).toContain('ADDRESS_LIST_IN_BODY');
      expect(r.stdout, args.join(' ')).toMatch(/p\*\*\*@customer\d+\.test/);
      expect(r.stdout, args.join(' ')).not.toMatch(FULL);
    }
  });

  it('shown unmasked with --no-redact, but never longer than 255 characters', async () => {
    const r = await runCli(['check', file(0), ...policy, '--no-redact']);
    const line = r.stdout.split('\n').find((l) => l.includes('ADDRESS_LIST_IN_BODY'))!;
    const name = /the attachment "([^"]*)"/.exec(line)![1]!;
    expect(name.length).toBeLessThanOrEqual(255 + 3);
    expect(name.endsWith('...')).toBe(true);
    expect(name).toContain('person0@customer0.test');
  });
});
