// Red team, Apple Mail .emlx: a byte count short of the message. The count decides where the
// message ends, so a count that stops before the To line (or mid-header) left the list outside
// the message read, and the file passed with no recipients. What follows the counted bytes must
// be Mail's property list (or nothing): anything else means the count is wrong, and the file is
// reported unreadable (exit 2), never read short. The built CLI is run on real files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-emlx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLIST = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict/></plist>\n';
const LIST = 'a1@alpha.example, b1@beta.example, c1@gamma.example, d1@delta.example, e1@epsilon.example';

const message = (eol: string) => ['From: alice@corp.example', 'Subject: offer', `To: ${LIST}`, '', 'body', ''].join(eol);
/** The count of the message's bytes up to (not including) its To line. */
const beforeTo = (m: string) => Buffer.byteLength(m.slice(0, m.indexOf('To:')));

const SHORT: Array<[string, string]> = [
  ['the count stops before the To line', `${beforeTo(message('\n'))}\n${message('\n')}${PLIST}`],
  ['the count stops mid-header, CRLF', `20\r\n${message('\r\n')}${PLIST}`],
  ['the count stops before the To line, no property list at all', `${beforeTo(message('\n'))}\n${message('\n')}`],
  ['the count ends a message without recipients, a To line follows it', `37\nFrom: alice@corp.example\nSubject: x\n\nTo: ${LIST}\n${PLIST}`],
];

describe('an .emlx whose byte count is short of its message is reported, not read short', () => {
  for (const [name, text] of SHORT) {
    it(name, async () => {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.emlx`);
      writeFileSync(file, text);
      const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
      expect(r.code).toBe(2);
      const json = JSON.parse(r.stdout) as { results: Array<{ verdict: string; findings: Array<{ code: string; message: string }> }> };
      expect(json.results.map((x) => x.verdict)).toEqual(['error']);
      expect(json.results[0]!.findings[0]!.message).toMatch(/byte count .* not its property list/);
    });
  }

  it('found by a walk of a Mail folder too', async () => {
    const box = path.join(dir, 'Sent.mbox', 'Messages');
    mkdirSync(box, { recursive: true });
    writeFileSync(path.join(box, '12.emlx'), SHORT[0]![1]);
    const r = await runCli(['check', path.join(dir, 'Sent.mbox'), '--internal-domain', 'corp.example']);
    expect(r.code).toBe(2);
  });

  it('a right count, with the property list or nothing after it (maybe white space), is read as before', async () => {
    for (const [n, rest] of [
      [1, PLIST],
      [2, ''],
      [3, '\n\n'],
    ] as const) {
      const m = message('\n');
      const file = path.join(dir, `ok-${n}.emlx`);
      writeFileSync(file, `${Buffer.byteLength(m)}\n${m}${rest}`);
      const r = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json']);
      expect(r.code).toBe(1);
      expect((JSON.parse(r.stdout) as { results: Array<{ verdict: string }> }).results.map((x) => x.verdict)).toEqual(['block']);
    }
  });
});
