// Campaign files pull in content from files ("path" in text, html, raw, attachments). A campaign
// in a pull request must not make `send` mail out a secret of the CI runner or read a device
// without end: only regular files under the campaign's folder (or --content-root), symlinks
// resolved, within a size per file and per message. `check` refuses exactly what `send` refuses,
// so the CI gate catches it. The built CLI is spawned for both.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CAMPAIGN_CONTENT_FILE_BYTES, MAX_CAMPAIGN_MESSAGE_CONTENT_BYTES } from '../../src/limits.js';
import { runCli } from '../helpers/cli.js';

const POLICY = ['--internal-domain', 'corp.example'];
let tmp: string;
let dir: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-content-'));
  dir = path.join(tmp, 'campaign');
  mkdirSync(path.join(dir, 'files'), { recursive: true });
  writeFileSync(path.join(tmp, 'secret.env'), 'AWS_SECRET_ACCESS_KEY=do-not-mail-me\n');
  writeFileSync(path.join(dir, 'files', 'body.txt'), 'Hello from a file.\n');
  writeFileSync(path.join(dir, 'files', 'price-list.csv'), 'item,price\nwidget,3\n');
  writeFileSync(path.join(dir, 'files', 'raw.eml'), 'From: news@corp.example\r\nTo: a@customer1.test\r\nSubject: raw\r\n\r\nHi.\r\n');
  symlinkSync(path.join(tmp, 'secret.env'), path.join(dir, 'files', 'innocent.txt'));
  symlinkSync(path.join(dir, 'files', 'body.txt'), path.join(dir, 'files', 'link-inside.txt'));
  execFileSync('mkfifo', [path.join(dir, 'files', 'pipe')]);
  // Sparse: as large as it says, without writing the bytes.
  writeFileSync(path.join(dir, 'files', 'huge.bin'), '');
  truncateSync(path.join(dir, 'files', 'huge.bin'), MAX_CAMPAIGN_CONTENT_FILE_BYTES + 1);
  for (const n of [1, 2, 3]) {
    writeFileSync(path.join(dir, 'files', `part${n}.bin`), '');
    truncateSync(path.join(dir, 'files', `part${n}.bin`), Math.floor(MAX_CAMPAIGN_MESSAGE_CONTENT_BYTES / 3) + 1024);
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = { from: 'news@corp.example', to: 'a@customer1.test', subject: 'x' };

/** Where a content path can be given, as a message object using `p`. */
const PLACES: Array<[string, (p: string) => Record<string, unknown>]> = [
  ['text', (p) => ({ ...base, text: { path: p } })],
  ['html', (p) => ({ ...base, html: { path: p } })],
  ['raw', (p) => ({ raw: { path: p }, envelope: { from: 'news@corp.example', to: ['a@customer1.test'] } })],
  ['attachments[].path', (p) => ({ ...base, text: 'hi', attachments: [{ path: p }] })],
  ['attachments[].content.path', (p) => ({ ...base, text: 'hi', attachments: [{ filename: 'a.txt', content: { path: p } }] })],
  ['alternatives[].path', (p) => ({ ...base, text: 'hi', alternatives: [{ contentType: 'text/x-web-markdown', path: p }] })],
];

/** Hostile paths, relative to the campaign file, and what the refusal says. */
const HOSTILE: Array<[string, () => string, RegExp]> = [
  ['/dev/zero', () => '/dev/zero', /outside the content folder|not a regular file/],
  ['a FIFO', () => 'files/pipe', /not a regular file/],
  ['../secret', () => '../secret.env', /outside the content folder/],
  ['an absolute path outside', () => path.join(tmp, 'secret.env'), /outside the content folder/],
  ['a symlink pointing out', () => 'files/innocent.txt', /outside the content folder/],
  ['a file over the per-file limit', () => 'files/huge.bin', /larger than 25 MiB/],
  ['a missing file', () => 'files/nope.txt', /no such file/],
];

type CheckResult = { source: string; verdict: string; findings: Array<{ message: string }> };
type SendResult = { source: string; verdict: string; action: string; reason?: string };

/** Runs check and send --dry-run over one campaign file; the results of each, in message order. */
async function bothAll(campaign: object, extra: string[] = []): Promise<{ check: CheckResult[]; send: SendResult[]; sendText: string }> {
  const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(campaign));
  const check = await runCli(['check', file, '--format', 'json', ...POLICY, ...extra]);
  const send = await runCli(['send', file, '--dry-run', '--format', 'json', ...POLICY, ...extra]);
  return { check: JSON.parse(check.stdout).results, send: JSON.parse(send.stdout).results, sendText: send.stdout };
}

async function both(campaign: object, extra: string[] = []): Promise<{ check: CheckResult; send: SendResult }> {
  const r = await bothAll(campaign, extra);
  return { check: r.check[0]!, send: r.send[0]! };
}

describe('content files: check refuses what send refuses', () => {
  it.each(PLACES)('%s: /dev/zero, a FIFO, ../secret, an absolute path, a symlink out, an oversized file, a missing file', async (place, make) => {
    const { check, send, sendText } = await bothAll(HOSTILE.map(([, p]) => make(p())));
    expect(check).toHaveLength(HOSTILE.length);
    expect(send).toHaveLength(HOSTILE.length);
    HOSTILE.forEach(([what, , reason], n) => {
      expect([place, what, check[n]!.verdict]).toEqual([place, what, 'error']);
      expect(check[n]!.findings[0]!.message, `${place}: ${what}`).toMatch(reason);
      expect([place, what, send[n]!.verdict, send[n]!.action]).toEqual([place, what, 'error', 'refused']);
      expect(send[n]!.reason, `${place}: ${what}`).toMatch(reason);
    });
    expect(sendText).not.toContain('do-not-mail-me');
  }, 60_000);

  it('files together over the per-message limit are refused, each under the per-file limit', async () => {
    const { check, send } = await both({ ...base, text: 'hi', attachments: [1, 2, 3].map((n) => ({ path: `files/part${n}.bin` })) });
    expect(check.findings[0]!.message).toMatch(/together are larger than 50 MiB/);
    expect(send.reason).toMatch(/together are larger than 50 MiB/);
  });

  it('a URL is never fetched, in check or send', async () => {
    const { check, send } = await both({ ...base, attachments: [{ href: 'http://127.0.0.1:9/secret' }] });
    expect(check.verdict).toBe('error');
    expect(send.action).toBe('refused');
    expect(send.reason).toContain('is not fetched');
  });
});

describe('content files under the folder are read and sent', () => {
  it('text, an attachment, a raw message and a symlink that stays inside', async () => {
    const { check, send } = await both({ messages: [{ ...base, text: { path: 'files/body.txt' }, attachments: [{ path: 'files/price-list.csv' }, { path: 'files/link-inside.txt' }] }] });
    expect(check.verdict).toBe('pass');
    expect(send.action).toBe('dry-run');
    const raw = await both({ raw: { path: 'files/raw.eml' }, envelope: { from: 'news@corp.example', to: ['a@customer1.test'] } });
    expect(raw.check.verdict).toBe('pass');
    expect(raw.send.action).toBe('dry-run');
  });

  it('--content-root names another folder: a file under it is read, the campaign folder is then outside', async () => {
    const shared = path.join(tmp, 'shared');
    mkdirSync(shared, { recursive: true });
    writeFileSync(path.join(shared, 'terms.txt'), 'Terms.\n');
    const { check, send } = await both({ ...base, text: 'hi', attachments: [{ path: path.join(shared, 'terms.txt') }] }, ['--content-root', shared]);
    expect(check.verdict).toBe('pass');
    expect(send.action).toBe('dry-run');
    const outside = await both({ ...base, text: { path: 'files/body.txt' } }, ['--content-root', shared]);
    expect(outside.check.verdict).toBe('error');
    expect(outside.send.action).toBe('refused');
  });
});
