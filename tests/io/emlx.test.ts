// Apple Mail's .emlx files: a byte count line, the message, Mail's property list. A walk of a
// Mail folder reads every one (they were skipped as "not mail"); the count decides where the
// message ends, and a count past the end is reported, never guessed.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { sniffFormat } from '../../src/io/formats/index.js';
import { isFailure, readInputs, type InputItem } from '../../src/io/inputs.js';
import { createPolicy } from '../../src/policy/policy.js';

const PLIST = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n\t<key>flags</key>\n\t<integer>8590195713</integer>\n</dict>\n</plist>\n';
const emlx = (message: string, count = Buffer.byteLength(message), countLine = `${count}`) => `${countLine}\n${message}${PLIST}`;
const EXPOSED = ['From: Me <me@corp.example>', `To: ${Array.from({ length: 6 }, (_, i) => `c${i}@org${i}.test`).join(', ')}`, 'Subject: offer', '', 'Dear all', ''].join('\n');
const CLEAN = ['From: Me <me@corp.example>', 'To: boss@corp.example', 'Subject: hi', '', 'Hello', ''].join('\n');
const policy = createPolicy({ internalDomains: ['corp.example'] });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-emlx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(spec: string): Promise<InputItem[]> {
  const out: InputItem[] = [];
  for await (const item of readInputs([spec], { headersOnly: false })) out.push(item);
  return out;
}

describe('.emlx', () => {
  it.each([
    ['a count and LF', emlx(CLEAN), 'emlx'],
    ['a count with blanks after it', emlx(CLEAN, undefined, `${Buffer.byteLength(CLEAN)}   `), 'emlx'],
    ['a plain message starting with digits in a field name', '1234-Id: x\nTo: a@b.test\n\n', 'eml'],
    ['a number alone', '1234\n', undefined],
  ])('is recognised by content: %s', (_name, text, expected) => {
    expect(sniffFormat(Buffer.from(text), true)?.name).toBe(expected);
  });

  it('a walk of an Apple Mail folder reads every message in it, the list included, and nothing of the property list', async () => {
    const messages = path.join(dir, 'Mail', 'V10', 'Sent.mbox', 'Data', '1', 'Messages');
    await mkdir(messages, { recursive: true });
    await writeFile(path.join(messages, '101.emlx'), emlx(EXPOSED));
    await writeFile(path.join(messages, '102.partial.emlx'), emlx(CLEAN.replace(/\n/g, '\r\n')));
    const items = await readAll(path.join(dir, 'Mail'));
    expect(items.every((i) => !isFailure(i))).toBe(true);
    const verdicts = items.map((i) => (isFailure(i) ? 'error' : [path.basename(i.source), checkMessage(i.bytes, policy, { source: i.source }).verdict, Buffer.from(i.bytes).toString().includes('plist')]));
    expect(verdicts).toEqual([
      ['101.emlx', 'block', false],
      ['102.partial.emlx', 'pass', false],
    ]);
  });

  it('a count past the end of the file is reported unreadable, not read', async () => {
    const file = path.join(dir, 'cut.emlx');
    await writeFile(file, `${Buffer.byteLength(EXPOSED) + 500}\n${EXPOSED}`);
    const [item] = await readAll(file);
    expect(isFailure(item!)).toBe(true);
    expect(isFailure(item!) && item.failure.detail).toMatch(/byte count .* runs past its end/);
  });
});
