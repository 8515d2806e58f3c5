// withWholeMessages keeps input order and reads ahead BODY_READ_AHEAD items, but holds no more
// than about MAX_SCANNED_MESSAGE_BYTES of whole messages already in memory (mbox bodies, IMAP).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bodyWorthScanning, mayCarryAttachment } from '../../src/body/mime.js';
import { checkMessage } from '../../src/analyse.js';
import { DEFAULT_BODY_SCAN } from '../../src/body/settings.js';
import type { InputItem, InputMessage } from '../../src/io/inputs.js';
import { BODY_READ_AHEAD, MAX_SCANNED_MESSAGE_BYTES, OVERSIZED_MESSAGE_PREFIX_BYTES, readWholeForScan, withWholeMessages } from '../../src/io/read-whole.js';
import { createPolicy } from '../../src/policy/policy.js';
import type { HeaderBlock } from '../../src/message/header-block.js';

/** How many items the source had given when each output came out. */
async function pulledAtEachOutput(sizes: number[]): Promise<number[]> {
  // One buffer shared by every item: the test measures what is held, without allocating it.
  const shared = new Uint8Array(Math.max(...sizes));
  let pulled = 0;
  async function* source(): AsyncGenerator<InputItem> {
    for (const [k, size] of sizes.entries()) {
      pulled++;
      yield { source: `m${k}`, bytes: shared.subarray(0, size), complete: true, format: 'eml', lineOffset: 0 };
    }
  }
  const out: number[] = [];
  const order: string[] = [];
  for await (const { item } of withWholeMessages(source(), true)) {
    out.push(pulled);
    order.push(item.source);
  }
  expect(order).toEqual(sizes.map((_, k) => `m${k}`));
  return out;
}

describe('withWholeMessages', () => {
  it.each([
    // [whole-message sizes, most items held ahead of the one given out]
    ['small messages: the read-ahead window', Array(40).fill(1000), BODY_READ_AHEAD],
    ['messages of 0.6 times the limit: one held beside the newest', Array(6).fill(Math.ceil(MAX_SCANNED_MESSAGE_BYTES * 0.6)), 2],
    ['messages of 0.3 times the limit: three', Array(10).fill(Math.ceil(MAX_SCANNED_MESSAGE_BYTES * 0.3)), 4],
  ])('%s', async (_, sizes, ahead) => {
    const pulled = await pulledAtEachOutput(sizes as number[]);
    const most = Math.max(...pulled.map((p, k) => p - k));
    expect(most).toBe(ahead);
  });
});

describe('readWholeForScan: the caller says which bodies it scans', () => {
  // A text-only .eml past the 64-KiB header read: check scans its text, audit (unless text lists
  // block) does not, so audit must not read it whole; a multipart one both read.
  const dir = mkdtempSync(path.join(tmpdir(), 'mg-read-whole-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const text = `From: a@corp.example\r\nTo: b@corp.example\r\nContent-Type: text/plain\r\n\r\n${'words '.repeat(30_000)}\r\n`;
  const mixed = `From: a@corp.example\r\nTo: b@corp.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n${'words '.repeat(30_000)}\r\n--B--\r\n`;
  const audits = (h: HeaderBlock) => bodyWorthScanning(h) && mayCarryAttachment(h);
  it.each([
    ['text only, check', text, undefined, true],
    ['text only, audit', text, audits, false],
    ['multipart, check', mixed, undefined, true],
    ['multipart, audit', mixed, audits, true],
  ] as const)('%s', async (name, body, wants, read) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.eml`);
    writeFileSync(file, body);
    const bytes = Buffer.from(body).subarray(0, 64 * 1024);
    const whole = await readWholeForScan({ source: file, path: file, bytes, complete: false, format: 'eml', lineOffset: 0 }, wants);
    expect(whole?.length).toBe(read ? Buffer.byteLength(body) : undefined);
  });
});

describe('a message over MAX_SCANNED_MESSAGE_BYTES: its first MiB is scanned and the rest reported, never clean', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mg-read-whole-big-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: DEFAULT_BODY_SCAN });
  const list = Array.from({ length: 12 }, (_, i) => `c${i}@org${i}.test`).join('\r\n');
  it.each([
    ['a video, then the list', `--B\r\nContent-Type: video/mp4\r\nContent-Transfer-Encoding: base64\r\n\r\n${'QUFB\r\n'.repeat(9 * 1024 * 1024)}--B\r\nContent-Type: text/csv; name=l.csv\r\n\r\n${list}\r\n--B--\r\n`],
    ['text, then more text', `--B\r\nContent-Type: text/plain\r\n\r\n${'words words words\r\n'.repeat(3 * 1024 * 1024)}--B--\r\n`],
  ])('%s', async (name, body) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.eml`);
    const text = `From: a@corp.example\r\nTo: b@corp.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n${body}`;
    writeFileSync(file, text);
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_SCANNED_MESSAGE_BYTES);
    const item: InputMessage = { source: file, path: file, bytes: Buffer.from(text.slice(0, 64 * 1024)), complete: false, format: 'eml', lineOffset: 0 };
    const whole = await readWholeForScan(item);
    expect(whole!.length).toBe(OVERSIZED_MESSAGE_PREFIX_BYTES);
    expect(item.bodyNotRead?.reason).toBe('too-large');
    const result = checkMessage(whole!, policy, { source: file, body: DEFAULT_BODY_SCAN, bodyNotRead: item.bodyNotRead! });
    const notScanned = result.findings.filter((f) => f.code === 'ATTACHMENT_NOT_SCANNED' && (f.args as { part?: string }).part === '');
    expect(notScanned).toHaveLength(1);
    expect((notScanned[0]!.args as { reason?: string }).reason).toBe('too-large');
  });
});

describe('a body that cannot be read again after the header is reported, never clean', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mg-read-whole-gone-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: DEFAULT_BODY_SCAN });
  const list = Array.from({ length: 12 }, (_, i) => `c${i}@org${i}.test`).join('\r\n');
  const text = `From: a@corp.example\r\nTo: b@corp.example\r\nContent-Type: text/plain\r\n\r\n${'words '.repeat(20_000)}\r\n${list}\r\n`;
  it.each([
    ['removed', (file: string) => rmSync(file)],
    ['replaced by a directory', (file: string) => {
      rmSync(file);
      mkdirSync(file);
    }],
  ])('%s between the header read and the body read', async (name, change) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.eml`);
    writeFileSync(file, text);
    const item: InputMessage = { source: file, path: file, bytes: Buffer.from(text.slice(0, 64 * 1024)), complete: false, format: 'eml', lineOffset: 0 };
    change(file);
    expect(await readWholeForScan(item)).toBeUndefined();
    expect(item.bodyNotRead?.reason).toBe('unreadable');
    // The header is checked; the body is reported as not scanned.
    const result = checkMessage(item.bytes, policy, { source: file, body: false, bodyNotRead: item.bodyNotRead! });
    expect(result.findings.map((f) => [f.code, (f.args as { reason?: string }).reason])).toEqual([['ATTACHMENT_NOT_SCANNED', 'unreadable']]);
  });
});
