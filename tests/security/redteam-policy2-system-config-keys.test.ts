// The drop-in sendmail's system configuration (/etc/mailguard/sendmail.json, or the file
// MAILGUARD_SENDMAIL_CONFIG names) was read with a bare JSON.parse, not the way every other
// configuration file is read. A key set twice kept its last value silently: a file that shows
// `"blockAt": 3, "onViolation": "block"` first and repeats them further down as 50 and "warn"
// delivered a list of six customers (status 0) that `check --config` of the same file refuses
// (ECONFIG: "set twice"). A "constructor" key was accepted as a setting and ignored. Now the
// system file is read by the one reader of configuration text (parseConfigText in
// src/io/config-file.ts): a key set twice, or one that names a prototype, is refused (exit 78,
// nothing delivered). Spawns the built mailguard-sendmail with a recording sendmail binary.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSendmail, scratchDir, writeRecordingSendmail } from '../sendmail/run-sendmail.js';

let scratch: { dir: string; cleanup: () => Promise<void> } | undefined;
afterEach(async () => {
  await scratch?.cleanup();
  scratch = undefined;
});

const LIST = 'From: s@corp.example\nTo: a@one.test, b@two.test, c@three.test, d@four.test, e@five.test, f@six.test\nSubject: news\n\nhello\n';
const CLEAN = 'From: s@corp.example\nTo: a@one.test, b@corp.example\nSubject: hello\n\nhello\n';

/** A scratch directory whose system configuration is `text` (with `{via}` the recording sendmail). */
async function withSystemConfig(text: (via: string) => string): Promise<{ dir: string; delivered: string }> {
  scratch = await scratchDir();
  const fake = await writeRecordingSendmail(scratch.dir);
  await writeFile(path.join(scratch.dir, 'mailguard.config.json'), text(JSON.stringify(fake.path)), { mode: 0o644 });
  return { dir: scratch.dir, delivered: fake.message };
}

async function delivered(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}

describe('the system configuration is read as every configuration file is', () => {
  it.each<[string, (via: string) => string, RegExp]>([
    ['onViolation set twice (block, then warn)', (via) => `{ "internalDomains": ["corp.example"], "onViolation": "block", "sendmail": { "viaSendmail": ${via} }, "onViolation": "warn" }`, /"onViolation" is set twice/],
    ['blockAt and warnAt set twice (3, then 50)', (via) => `{ "internalDomains": ["corp.example"], "warnAt": 2, "blockAt": 3,\n  "sendmail": { "viaSendmail": ${via} },\n  "warnAt": 50, "blockAt": 50 }`, /"warnAt" is set twice/],
    ['a rule set twice inside "rules"', (via) => `{ "internalDomains": ["corp.example"], "rules": { "EXPOSED_RECIPIENTS": "error", "EXPOSED_RECIPIENTS": "off" }, "sendmail": { "viaSendmail": ${via} } }`, /"rules\.EXPOSED_RECIPIENTS" is set twice/],
    ['the sendmail section\'s onViolation set twice', (via) => `{ "internalDomains": ["corp.example"], "sendmail": { "onViolation": "block", "viaSendmail": ${via}, "onViolation": "warn" } }`, /"sendmail\.onViolation" is set twice/],
    ['a profile\'s blockAt set twice', (via) => `{ "internalDomains": ["corp.example"], "sendmail": { "viaSendmail": ${via} }, "profiles": [ { "name": "ops", "match": { "from": ["corp.example"] }, "blockAt": 3, "warnAt": 2, "blockAt": 90, "warnAt": 90, "onViolation": "warn" } ] }`, /"profiles\.0\.blockAt" is set twice/],
    ['a "constructor" key', (via) => `{ "internalDomains": ["corp.example"], "constructor": { "onViolation": "warn" }, "sendmail": { "viaSendmail": ${via} } }`, /"constructor" is not a setting/],
    ['a "__proto__" key', (via) => `{ "internalDomains": ["corp.example"], "__proto__": { "onViolation": "warn" }, "sendmail": { "viaSendmail": ${via} } }`, /"__proto__" is not a setting/],
  ])('%s: refused (78), nothing delivered', async (_name, text, message) => {
    const sys = await withSystemConfig(text);
    const r = await runSendmail(['-t', '-i'], { input: LIST, cwd: sys.dir });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(78);
    expect(await delivered(sys.delivered)).toBe(false);
  });

  it('a byte order mark is still read past, and an empty file is refused with its own reason', async () => {
    const sys = await withSystemConfig((via) => `\ufeff{ "internalDomains": ["corp.example"], "sendmail": { "viaSendmail": ${via} } }`);
    const ok = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: sys.dir });
    expect(ok.code).toBe(0);
    expect(await delivered(sys.delivered)).toBe(true);
    await writeFile(path.join(sys.dir, 'mailguard.config.json'), '  \n');
    const empty = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: sys.dir });
    expect(empty.code).toBe(78);
    expect(empty.stderr).toContain('the file is empty');
  });

  it('controls: a file with each key once delivers clean mail and blocks the list', async () => {
    const sys = await withSystemConfig((via) => `{ "//": "comments stay allowed", "internalDomains": ["corp.example"], "warnAt": 2, "blockAt": 3, "rules": { "BCC_HEADER_PRESENT": "warning" }, "sendmail": { "viaSendmail": ${via} }, "profiles": [ { "name": "ops", "match": { "from": ["ops.corp.example"] }, "blockAt": 3 } ] }`);
    const clean = await runSendmail(['-t', '-i'], { input: CLEAN, cwd: sys.dir });
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(await delivered(sys.delivered)).toBe(true);
    const list = await runSendmail(['-t', '-i'], { input: LIST, cwd: sys.dir });
    expect(list.code).toBe(65);
  });
});
