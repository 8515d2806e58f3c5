// JSON campaigns a directory walk finds: recognised by the message keys they name. A campaign
// whose first 64 KiB named none (a long html value first), one whose recipients are only in
// "headers", and one whose keys are written with \u escapes were counted "not mail" and their
// lists went unchecked; a large JSON document that names none (package-lock.json) stays skipped.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { isFailure, readInputs, type NotMailFile } from '../../src/io/inputs.js';
import { createPolicy } from '../../src/policy/policy.js';

const LIST = Array.from({ length: 6 }, (_, i) => `c${i}@org${i}.test`);
const policy = createPolicy({ internalDomains: ['corp.example'] });
const padding = 'x'.repeat(70 * 1024);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-campaign-walk-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function walk(name: string, json: string | Buffer) {
  const sub = path.join(dir, name.replace(/\W+/g, '-'));
  await mkdir(sub, { recursive: true });
  await writeFile(path.join(sub, 'campaign.json'), json);
  const skipped: NotMailFile[] = [];
  const verdicts: string[] = [];
  for await (const item of readInputs([sub], { headersOnly: false, skipped })) {
    verdicts.push(isFailure(item) ? `error: ${item.failure.detail}` : checkMessage(item.bytes, policy, { source: item.source }).verdict);
  }
  return { verdicts, skipped: skipped.map((s) => s.kind) };
}

describe('a walk reads every campaign, wherever its keys are', () => {
  it.each([
    ['keys after 70 KB of html', JSON.stringify({ subject: 'offer', html: `<p>${padding}</p>`, from: 'me@corp.example', to: LIST })],
    ['recipients only in "headers"', JSON.stringify({ subject: 'offer', headers: { To: LIST.join(', ') }, from: 'me@corp.example' })],
    ['keys written with \\u escapes', `{"subject": "offer", "\\u0066rom": "me@corp.example", "\\u0074o": ${JSON.stringify(LIST)}}`],
    ['an array whose first message names its keys after 70 KB', JSON.stringify([{ html: padding, from: 'me@corp.example', cc: LIST }])],
  ])('%s', async (name, json) => {
    expect(await walk(name, json)).toEqual({ verdicts: ['block'], skipped: [] });
  });

  // Windows PowerShell's `>` and Out-File write UTF-16 with a byte order mark.
  const utf16 = (text: string, order: 'le' | 'be') => {
    const le = Buffer.from(`\ufeff${text}`, 'utf16le');
    return order === 'le' ? le : le.swap16();
  };
  it.each([
    ['UTF-16LE (PowerShell)', utf16(JSON.stringify({ from: 'me@corp.example', to: LIST, subject: 'offer' }), 'le')],
    ['UTF-16BE', utf16(JSON.stringify([{ from: 'me@corp.example', cc: LIST.join(', ') }]), 'be')],
    ['UTF-16LE, pretty-printed with CRLF', utf16(JSON.stringify({ defaults: { from: 'me@corp.example' }, messages: [{ to: LIST }] }, null, 2).replace(/\n/g, '\r\n'), 'le')],
    ['UTF-16LE, keys after 70 KB of html', utf16(JSON.stringify({ html: padding, from: 'me@corp.example', to: LIST }), 'le')],
  ])('a campaign in %s', async (name, bytes) => {
    expect(await walk(name, bytes)).toEqual({ verdicts: ['block'], skipped: [] });
  });

  it('a UTF-16 JSON document that names no message key is counted as not mail', async () => {
    const r = await walk('utf16-package', utf16(JSON.stringify({ name: 'app', version: '1.0.0' }), 'le'));
    expect(r.skipped).toHaveLength(1);
    expect(r.verdicts).toEqual(['error: no mail in this directory: 1 file, none of them a message']);
  });

  it('a large JSON document that names no message key is still counted as not mail', async () => {
    const lock = JSON.stringify({ name: 'app', lockfileVersion: 3, packages: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`node_modules/p${i}`, { version: '1.0.0', resolved: `https://registry.example/p${i}.tgz` }])) });
    expect(lock.length).toBeGreaterThan(64 * 1024);
    const r = await walk('package-lock', lock);
    // Alone in its directory, it leaves no mail there (reported as such, not as a bad campaign).
    expect(r.verdicts).toEqual(['error: no mail in this directory: 1 file, none of them a message']);
    expect(r.skipped).toEqual(['JSON document that is not a campaign (it names no message keys)']);
  });
});
