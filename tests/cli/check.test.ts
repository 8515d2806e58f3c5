import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, ROOT } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('mailguard check (built CLI)', () => {
  it('blocks a customer list in To and exits 1; JSON has the contract fields', async () => {
    const r = await runCli(['check', 'fixtures/customer-list-to.eml', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe(1);
    expect(doc.summary).toEqual({ checked: 1, pass: 0, warn: 0, block: 1, error: 0, notRead: 0 });
    expect(doc.notRead).toEqual([]);
    const res = doc.results[0];
    expect(res.source).toBe('fixtures/customer-list-to.eml');
    expect(res.verdict).toBe('block');
    expect(res.findings.map((f: { code: string }) => f.code)).toEqual(['EXPOSED_RECIPIENTS']);
    expect(res.findings[0]).toMatchObject({ severity: 'error', line: 2 });
    expect(typeof res.findings[0].message).toBe('string');
    expect(res.recipients.externalParties).toBe(12);
    expect(res.recipients.visible[0]).toEqual({ address: 'c1@customer1.test', field: 'to', internal: false, party: 'customer1.test', line: 2 });
    expect(res.recipients.hidden).toEqual([]);
    expect(r.stderr).toBe('');
  });

  it('human output names the exposure, shows a few addresses and the fix command', async () => {
    const r = await runCli(['check', 'fixtures/customer-list-to.eml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('BLOCK fixtures/customer-list-to.eml');
    expect(r.stdout).toContain('12 external addresses from 12 organisations visible in To');
    expect(r.stdout).toContain('c1@customer1.test');
    expect(r.stdout).toContain('mailguard fix fixtures/customer-list-to.eml --strategy bcc');
    expect(r.stdout).not.toMatch(/\u001b\[/); // no colour when not a TTY
  });

  it('--redact masks addresses in human and JSON output', async () => {
    const human = await runCli(['check', 'fixtures/customer-list-to.eml', '--redact']);
    expect(human.stdout).toContain('c***@customer1.test');
    expect(human.stdout).not.toContain('c1@customer1.test');
    const json = await runCli(['check', 'fixtures/customer-list-to.eml', '--redact', '--format', 'json']);
    expect(json.stdout).not.toContain('c1@customer1.test');
  });

  it('checks a directory recursively with a summary line, exit 1 when something is blocked', async () => {
    const r = await runCli(['check', 'fixtures/check', '--format', 'json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.checked).toBeGreaterThan(40);
    expect(doc.summary.error).toBeGreaterThan(0);
    expect(r.code).toBe(2); // empty.eml and not-a-message.eml cannot be checked
    const human = await runCli(['check', 'fixtures', '--quiet', '--internal-domain', 'corp.example']);
    expect(human.stdout).toMatch(/\d+ messages checked: \d+ pass, \d+ warn, \d+ block, \d+ error/);
    expect(human.stdout).not.toContain('PASS');
  });

  it('reads stdin when piped and with -', async () => {
    const msg = readFileSync(path.join(ROOT, 'fixtures/customer-list-cc.eml'));
    const piped = await runCli(['check', '--format', 'json'], { input: msg });
    expect(JSON.parse(piped.stdout).results[0]).toMatchObject({ source: '-', verdict: 'block' });
    expect(piped.code).toBe(1);
    const dash = await runCli(['check', '-'], { input: 'From: a@corp.example\nTo: b@corp.example\n\nhi\n' });
    expect(dash.code).toBe(0);
    expect(dash.stdout).toContain('PASS -');
  });

  it('exit 0 with warnings, exit 1 past --max-warnings', async () => {
    expect((await runCli(['check', 'fixtures/group-three-parties.eml'])).code).toBe(0);
    expect((await runCli(['check', 'fixtures/group-three-parties.eml', '--max-warnings', '0'])).code).toBe(1);
  });

  it('exit 2 for a missing file, an unknown option and a bad value', async () => {
    const missing = await runCli(['check', 'no-such-file.eml']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('no such file');
    const bad = await runCli(['check', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--bogus');
    const value = await runCli(['check', 'fixtures/clean-internal.eml', '--block-at', 'many']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('--block-at');
  });

  it('policy flags change the verdict: --sensitive, --block-at, --internal-domain, --rule', async () => {
    const three = 'fixtures/group-three-parties.eml';
    expect((await runCli(['check', three, '--sensitive'])).code).toBe(1);
    expect((await runCli(['check', three, '--block-at', '3'])).code).toBe(1);
    expect((await runCli(['check', 'fixtures/customer-list-to.eml', '--internal-domain', 'corp.example', '--trusted-domain', 'customer1.test,customer2.test,customer3.test,customer4.test,customer5.test,customer6.test,customer7.test,customer8.test'])).code).toBe(0);
    expect((await runCli(['check', 'fixtures/bcc-present.eml', '--rule', 'BCC_HEADER_PRESENT=error'])).code).toBe(1);
    expect((await runCli(['check', 'fixtures/bcc-present.eml', '--rule', 'NO_SUCH_CODE=off'])).code).toBe(2);
  });

  it('finds the config file upward and validates it, naming the bad key', async () => {
    const dir = path.join(tmp, 'project', 'sub');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(tmp, 'project', 'mailguard.config.json'), JSON.stringify({ blockAt: 3 }));
    const msg = path.join(ROOT, 'fixtures/group-three-parties.eml');
    expect((await runCli(['check', msg], { cwd: dir })).code).toBe(1);
    writeFileSync(path.join(tmp, 'project', 'mailguard.config.json'), JSON.stringify({ blokAt: 3 }));
    const bad = await runCli(['check', msg], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown key "blokAt"');
    writeFileSync(path.join(tmp, 'project', 'mailguard.config.json'), '{ "blockAt": 3, }');
    const syntax = await runCli(['check', msg], { cwd: dir });
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/invalid JSON at line 1, column \d+/);
    // "__proto__" (kept by JSON.parse as an own key) is a clear error, not an internal one.
    for (const [text, key] of [['{ "__proto__": { "blockAt": 50 } }', '__proto__'], ['{ "rules": { "constructor": "off" } }', 'rules.constructor']]) {
      writeFileSync(path.join(tmp, 'project', 'mailguard.config.json'), text!);
      const proto = await runCli(['check', msg], { cwd: dir });
      expect(proto.code).toBe(2);
      expect(proto.stderr).toContain(`"${key}" is not a setting`);
      expect(proto.stderr).not.toMatch(/internal error/);
    }
    // A key set twice: JSON.parse would keep the last one silently (blockAt 50 where the file shows 2 first).
    for (const [text, key] of [['{ "blockAt": 2, "warnAt": 2, "blockAt": 50 }', 'blockAt'], ['{ "profiles": [ { "name": "a", "match": { "from": ["x.example"], "from": ["y.example"] } } ] }', 'profiles.0.match.from']]) {
      writeFileSync(path.join(tmp, 'project', 'mailguard.config.json'), text!);
      const twice = await runCli(['check', msg], { cwd: dir });
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain(`"${key}" is set twice`);
    }
    rmSync(path.join(tmp, 'project', 'mailguard.config.json'));
    // In a package.json, keys outside mailguard's section are not its business.
    writeFileSync(path.join(tmp, 'project', 'package.json'), '{ "name": "x", "scripts": { "t": "a", "t": "b" }, "mailguard": { "blockAt": 3 } }');
    expect((await runCli(['check', msg], { cwd: dir })).code).toBe(1);
    writeFileSync(path.join(tmp, 'project', 'package.json'), '{ "name": "x", "mailguard": { "blockAt": 3, "blockAt": 30 } }');
    expect((await runCli(['check', msg], { cwd: dir })).stderr).toContain('"mailguard.blockAt" is set twice');
    writeFileSync(path.join(tmp, 'project', 'package.json'), JSON.stringify({ name: 'x', mailguard: { sensitive: true } }));
    expect((await runCli(['check', msg], { cwd: dir })).code).toBe(1);
    const flagWins = await runCli(['check', msg, '--config', path.join(tmp, 'project', 'package.json'), '--block-at', '9', '--warn-at', '9'], { cwd: dir });
    expect(flagWins.code).toBe(1); // sensitive still caps blockAt at 2
  });

  it('config errors say where a value came from; empty, BOM and truncated files get a clear message', async () => {
    const dir = path.join(tmp, 'config-errors');
    mkdirSync(dir, { recursive: true });
    const msg = path.join(ROOT, 'fixtures/group-three-parties.eml');
    const write = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return name;
    };
    const both = await runCli(['check', msg, '--config', write('both.json', '{ "warnAt": 9, "blockAt": 2 }')], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('warnAt (9, from both.json) is above blockAt (2, from both.json)');
    const mixed = await runCli(['check', msg, '--config', write('warn.json', '{ "warnAt": 9 }')], { cwd: dir });
    expect(mixed.stderr).toContain('warnAt (9, from warn.json) is above blockAt (5, from the default)');
    // A flag given alone never raises a block threshold the file sets (it was lifted to 9 silently).
    const flagOverFile = await runCli(['check', msg, '--config', write('block.json', '{ "blockAt": 3 }'), '--warn-at', '9'], { cwd: dir });
    expect(flagOverFile.code).toBe(2);
    expect(flagOverFile.stderr).toContain('warnAt (9, from --warn-at) is above blockAt (3, from block.json)');
    const flags = await runCli(['check', msg, '--warn-at', '6', '--block-at', '4'], { cwd: dir });
    expect(flags.stderr).toContain('warnAt (6, from --warn-at) is above blockAt (4, from --block-at)');
    const empty = await runCli(['check', msg, '--config', write('empty.json', '')], { cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('empty.json: the file is empty (a configuration is a JSON object, e.g. {})');
    const bom = await runCli(['check', msg, '--config', write('bom.json', '\ufeff{ "blockAt": 3 }')], { cwd: dir });
    expect(bom.code).toBe(1);
    expect(bom.stderr).toBe('');
    const truncated = await runCli(['check', msg, '--config', write('cut.json', '{ "blockAt": 3')], { cwd: dir });
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toContain('invalid JSON at line 1, column 15');
    const token = await runCli(['check', msg, '--config', write('token.json', '{\n  "blockAt": }')], { cwd: dir });
    expect(token.stderr).toMatch(/invalid JSON at line 2, column \d+\./);
  });

  it('--max-warnings accepts 0 and says so; an empty --trusted-domain is refused, not ignored', async () => {
    const neg = await runCli(['check', 'fixtures/customer-list-to.eml', '--max-warnings', '-1']);
    expect(neg.code).toBe(2);
    expect(neg.stderr).toContain('--max-warnings takes a whole number, 0 or more');
    const empty = await runCli(['check', 'fixtures/customer-list-to.eml', '--trusted-domain', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--trusted-domain takes a domain name');
  });

  it('--input smtp on a file that is not a transcript: one error for the file, not one per line', async () => {
    const eml = path.join(tmp, 'long.eml');
    writeFileSync(eml, `From: a@corp.example\nTo: b@corp.example\nSubject: x\n\n${'body line\n'.repeat(200)}`);
    const r = await runCli(['check', '--input', 'smtp', eml, '--format', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ checked: 1, error: 1 });
    const detail = doc.results[0].findings[0].args.detail as string;
    expect(detail).toMatch(/^no complete SMTP transaction; line 1: .*; line 2: .*; line 3: .*; and 200 more$/);
  });

  it('a transcript with one bad transaction reports that problem once and still checks the good ones', async () => {
    const good = readFileSync(path.join(ROOT, 'fixtures/check/bcc-envelope.smtp'), 'latin1').replace(/QUIT\s*$/, '');
    const file = path.join(tmp, 'mixed.smtp');
    writeFileSync(file, `${good}MAIL FROM:<a@corp.example>\nBOGUS\nQUIT\n`);
    const r = await runCli(['check', file, '--format', 'json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { verdict: string }) => x.verdict)).toEqual(['error', 'pass', 'block']);
    expect(doc.results[0].findings[0].args.detail).toMatch(/^line \d+: /);
  });

  it('a transcript whose last message was sent in BDAT chunks without LAST is not passed: exit 2, the good transaction still checked', async () => {
    const good = readFileSync(path.join(ROOT, 'fixtures/check/bcc-envelope.smtp'), 'latin1').split('MAIL FROM:')[1]!;
    const chunk = 'From: sales@corp.example\r\nTo: a@one.test, b@two.test, c@three.test, d@four.test, e@five.test\r\n\r\nhi\r\n';
    const file = path.join(tmp, 'bdat-cut.smtp');
    writeFileSync(file, `EHLO c\nMAIL FROM:${good}MAIL FROM:<sales@corp.example>\r\nRCPT TO:<a@one.test>\r\nBDAT ${chunk.length}\r\n${chunk}`);
    const r = await runCli(['check', file, '--format', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { verdict: string }) => x.verdict)).toEqual(['error', 'pass']);
    expect(doc.results[0].findings[0].args.detail).toMatch(/BDAT chunks without a LAST chunk/);
  });

  it('a logged session whose first DATA the server refused (554) checks the retry as its own message, not as that DATA\'s data', async () => {
    const file = path.join(tmp, 'refused-data.smtp');
    const lines = ['220 mx.example', 'EHLO c', '250 ok', 'MAIL FROM:<sales@corp.example>', '250 ok', 'RCPT TO:<gone@corp.example>', '550 5.1.1 no such user', 'DATA', '554 5.5.1 no valid recipients', 'RSET', '250 ok'];
    const retry = ['MAIL FROM:<sales@corp.example>', '250 ok', 'RCPT TO:<b@corp.example>', '250 ok', 'DATA', '354 go ahead', 'From: sales@corp.example', 'To: b@corp.example', 'Subject: hi', '', 'hello', '.', '250 queued', 'QUIT'];
    writeFileSync(file, `${[...lines, ...retry].join('\r\n')}\r\n`);
    const r = await runCli(['check', file, '--format', 'json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { verdict: string }) => x.verdict)).toEqual(['pass']);
    expect(doc.results[0].findings).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('reads drafts by content, whatever their name; names what is not mail in the report, not on stderr', async () => {
    const dir = path.join(tmp, 'mixed-drafts');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const draft = readFileSync(path.join(ROOT, 'fixtures/customer-list-to.eml'));
    writeFileSync(path.join(dir, 'clean.eml'), readFileSync(path.join(ROOT, 'fixtures/clean-internal.eml')));
    writeFileSync(path.join(dir, 'offer.txt'), draft);
    writeFileSync(path.join(dir, 'sub', 'offer2.msg'), draft);
    writeFileSync(path.join(dir, 'sub', 'todo.txt'), 'call the customers\n');
    writeFileSync(path.join(dir, '.gitkeep'), '');
    const human = await runCli(['check', dir]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('3 messages checked: 1 pass, 0 warn, 2 block, 0 error; 1 file not read (not mail)');
    expect(human.stdout).toContain('todo.txt (text that is not a message');
    expect(human.stdout).not.toContain('.gitkeep');
    expect(human.stderr).toBe('');
    const json = await runCli(['check', dir, '--format', 'json']);
    const doc = JSON.parse(json.stdout);
    expect(doc.summary).toMatchObject({ checked: 3, block: 2, notRead: 1 });
    expect(doc.notRead).toEqual([{ path: path.join(dir, 'sub', 'todo.txt'), kind: 'text that is not a message (no header field at the start)' }]);
    expect(json.stderr).toBe('');
    // fix and send report on stderr (their reports do not carry the list).
    const fix = await runCli(['fix', dir, '--dry-run']);
    expect(fix.stderr).toContain('1 file found is not mail and was not read');
    const named = await runCli(['check', path.join(dir, 'clean.eml')]);
    expect(named.stderr).toBe('');
  });

  it('a folder walk reads a JSON campaign with comments and trailing commas as it reads one named (block, exit 1), and reports a JSON5 one (exit 2): neither is skipped as not mail', async () => {
    const dir = path.join(tmp, 'jsonc-walk');
    mkdirSync(dir);
    const list = Array.from({ length: 6 }, (_, i) => `c${i}@org${i}.test`);
    writeFileSync(path.join(dir, 'offer.json'), `// spring offer\n{\n  "from": "me@corp.example", /* sender */\n  "to": ${JSON.stringify(list)},\n}\n`);
    writeFileSync(path.join(dir, 'zz-clean.eml'), 'From: me@corp.example\r\nTo: boss@corp.example\r\n\r\nhi\r\n');
    const walked = await runCli(['check', dir, '--internal-domain', 'corp.example', '--format', 'json']);
    const named = await runCli(['check', path.join(dir, 'offer.json'), '--internal-domain', 'corp.example', '--format', 'json']);
    expect(walked.code).toBe(1);
    expect(named.code).toBe(1);
    const doc = JSON.parse(walked.stdout);
    expect(doc.summary).toEqual({ checked: 2, pass: 1, warn: 0, block: 1, error: 0, notRead: 0 });
    expect(doc.results[0].findings.map((f: { code: string }) => f.code)).toEqual(JSON.parse(named.stdout).results[0].findings.map((f: { code: string }) => f.code));
    writeFileSync(path.join(dir, 'offer.json'), `// spring offer\n{ from: 'me@corp.example', to: ${JSON.stringify(list)} }\n`);
    const json5 = await runCli(['check', dir, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(json5.code).toBe(2);
    expect(JSON.parse(json5.stdout).summary).toMatchObject({ checked: 2, pass: 1, error: 1, notRead: 0 });
  });

  it('a folder walk checks a hidden draft (.offer.eml blocks, exit 1, with and without --jobs) and still says nothing of .DS_Store', async () => {
    const dir = path.join(tmp, 'hidden-walk');
    mkdirSync(dir);
    writeFileSync(path.join(dir, '.offer.eml'), readFileSync(path.join(ROOT, 'fixtures/customer-list-to.eml')));
    writeFileSync(path.join(dir, '.DS_Store'), Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]));
    writeFileSync(path.join(dir, 'clean.eml'), readFileSync(path.join(ROOT, 'fixtures/clean-internal.eml')));
    for (const jobs of [[], ['--jobs', '2']]) {
      const r = await runCli(['check', dir, '--format', 'json', ...jobs]);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.summary).toEqual({ checked: 2, pass: 1, warn: 0, block: 1, error: 0, notRead: 0 });
      expect(doc.results.map((x: { source: string }) => path.basename(x.source))).toEqual(['.offer.eml', 'clean.eml']);
    }
    // send delivers only what the folder shows: the hidden draft is not sent (it never was).
    const send = await runCli(['send', dir, '--dry-run']);
    expect(send.stdout).toContain('1 message: 1 would be sent');
    expect(send.stdout).not.toContain('.offer.eml');
  });

  it('stdin redirected from a directory says so, not "the input is empty"', async () => {
    const { closeSync, openSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const fd = openSync(tmp, 'r');
    try {
      const r = spawnSync(process.execPath, [BIN, 'check', '-'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.status).toBe(2);
      expect(r.stdout).toContain('stdin is a directory');
      expect(r.stdout).not.toContain('the input is empty');
    } finally {
      closeSync(fd);
    }
  });

  it('--output writes the report to a file and nothing to stdout', async () => {
    const out = path.join(tmp, 'report.json');
    const r = await runCli(['check', 'fixtures/clean-internal.eml', '--format', 'json', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).summary.pass).toBe(1);
  });

  it('--help describes usage and exit codes; --version prints the version', async () => {
    const help = await runCli(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes');
    expect(help.stdout).toContain('--internal-domain');
    const top = await runCli(['--help']);
    expect(top.stdout).toContain('check');
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('colours only when forced', async () => {
    const r = await runCli(['check', 'fixtures/customer-list-to.eml'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(r.stdout).toMatch(/\u001b\[/);
  });
});

describe('shared domains refused as internal or trusted (flags, config file, profiles)', () => {
  const msg = path.join(tmp, 'gmail-customers.eml');
  writeFileSync(msg, `From: shop@corp.example\nTo: ${['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((l) => `${l}@gmail.com`).join(', ')}\n\nhi\n`);
  const config = (name: string, body: object) => {
    const file = path.join(tmp, name);
    writeFileSync(file, JSON.stringify(body));
    return file;
  };
  const ROWS: Array<[string, string[], RegExp]> = [
    ['--internal-domain gmail.com', ['--internal-domain', 'gmail.com'], /internalDomains: "gmail\.com" is a consumer mail provider/],
    ['--trusted-domain gmail.com', ['--internal-domain', 'corp.example', '--trusted-domain', 'gmail.com'], /trustedDomains: "gmail\.com" is a consumer mail provider/],
    ['--trusted-domain onmicrosoft.com', ['--trusted-domain', 'onmicrosoft.com'], /trustedDomains: "onmicrosoft\.com" is a hosting domain/],
    ['--internal-domain hotmail.co.uk', ['--internal-domain', 'hotmail.co.uk'], /consumer mail provider/],
    ['a config file', ['--config', config('gmail.json', { internalDomains: ['gmail.com'] })], /internalDomains: "gmail\.com" is a consumer mail provider/],
    ['a profile', ['--config', config('profile.json', { internalDomains: ['corp.example'], profiles: [{ name: 'shop', match: { from: ['corp.example'] }, trustedDomains: ['yahoo.com'] }] })], /consumer mail provider/],
  ];
  it.each(ROWS)('%s: exit 2 with the reason and a hint', async (_, flags, why) => {
    const r = await runCli(['check', msg, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).toMatch(/own domain/);
    expect(r.stdout).not.toMatch(/PASS/);
  });
});
