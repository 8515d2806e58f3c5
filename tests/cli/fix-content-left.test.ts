// A rewrite moves recipients out of To/Cc; it never edits the message's text or attachments.
// - A list in an attached file, whatever its format (CSV and vCard are read as text, a workbook as
//   a workbook), beside a header the policy blocks: bcc and split refuse, in fix and in every
//   adapter's decision, as no rewrite cures it. Before, a CSV of 30 customers went out rewritten
//   (the same list as .xlsx was refused).
// - A list in the message text the policy lets through (a warning), which the rewrite leaves: fix
//   and check's hint say every copy still carries it, instead of a plan that reads as "nothing
//   exposed now".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideDelivery, type OnViolation } from '../../src/decide/index.js';
import { createPolicy } from '../../src/policy/policy.js';
import { runCli } from '../helpers/cli.js';
import { addresses, buildMessage, buildXlsx } from '../helpers/office-files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mg-fix-content-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Six customers of six organisations in To: an exposure the policy blocks, which fix rewrites. */
const TO = addresses(6, 'visible').join(', ');
/** Three of three organisations: a warning (warnAt 3, blockAt 5), which fix rewrites too. */
const TO_WARN = addresses(3, 'visible').join(', ');
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const vcards = (n: number) => addresses(n, 'card').map((a, i) => `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Card ${i}\r\nEMAIL:${a}\r\nEND:VCARD\r\n`).join('');
const uuencoded = (n: number) => {
  const data = Buffer.from(csv(n));
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += 45) {
    const chunk = data.subarray(i, i + 45);
    let line = String.fromCharCode(32 + chunk.length);
    for (let j = 0; j < chunk.length; j += 3) {
      const [a = 0, b = 0, c = 0] = [chunk[j], chunk[j + 1], chunk[j + 2]];
      for (const v of [a >> 2, ((a & 3) << 4) | (b >> 4), ((b & 15) << 2) | (c >> 6), c & 63]) line += String.fromCharCode(v === 0 ? 96 : 32 + v);
    }
    lines.push(line);
  }
  return `Here is the list.\r\n\r\nbegin 644 list.csv\r\n${lines.join('\r\n')}\r\n\`\r\nend\r\n`;
};
const ATTACHED: Array<[string, () => Buffer]> = [
  ['a CSV file', () => buildMessage([{ fileName: 'list.csv', contentType: 'text/csv', bytes: csv(30) }], { to: TO })],
  ['a vCard file', () => buildMessage([{ fileName: 'contacts.vcf', contentType: 'text/vcard', bytes: vcards(30) }], { to: TO })],
  ['a CSV sent as octet-stream', () => buildMessage([{ fileName: 'list.csv', contentType: 'application/octet-stream', bytes: csv(30) }], { to: TO })],
  ['a uuencoded list.csv in the text', () => buildMessage([], { to: TO, body: uuencoded(30) })],
  ['a workbook (as before)', () => buildMessage([{ fileName: 'customers.xlsx', contentType: XLSX, bytes: buildXlsx([{ name: 'S', rows: addresses(30, 'cell').map((a) => [a]) }]) }], { to: TO })],
];
const csv = (n: number) => `email\r\n${addresses(n, 'row').join('\r\n')}\r\n`;

function file(name: string, bytes: Buffer | string): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const POLICY = ['--internal-domain', 'corp.example'];

describe('a list in an attached file beside a blocked header: no rewrite, whatever the file format', () => {
  const policy = createPolicy({ internalDomains: ['corp.example'], bodyScan: { minAddresses: 10, maxPartBytes: 1 << 20 } });
  it.each(ATTACHED)('%s: bcc and split refuse in the one decision (send, proxy, sendmail, milter, plugin)', (_name, make) => {
    for (const mode of ['bcc', 'split'] as OnViolation[]) {
      const d = decideDelivery(make(), policy, { onViolation: mode });
      expect(d.action).toBe('refuse');
      expect(d.reason?.code).toBe('list-in-attachment');
      expect([...d.transactions()]).toEqual([]);
    }
  });

  it.each(ATTACHED)('%s: fix refuses and names the file; check hints the same', async (name, make) => {
    const p = file(`att-${name.replace(/\W+/g, '-')}.eml`, make());
    const fix = await runCli(['fix', p, ...POLICY, '--dry-run']);
    expect(fix.code).toBe(2);
    expect(fix.stderr + fix.stdout).toMatch(/NOT rewritten: the address list is inside the attachment "(list\.csv|contacts\.vcf|customers\.xlsx)", which a header rewrite cannot clean/);
    const check = await runCli(['check', p, ...POLICY]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/fix: the address list is inside the attachment/);
    expect(check.stdout).not.toMatch(/fix: mailguard fix/);
  });

  it('controls: the list in the message text does not stop a rewrite; a file below the threshold neither', () => {
    const text = decideDelivery(buildMessage([], { to: TO, body: `Our customers:\r\n${addresses(30, 'text').join('\r\n')}` }), policy, { onViolation: 'bcc' });
    expect(text.action).toBe('rewrite');
    const small = decideDelivery(buildMessage([{ fileName: 'notes.csv', contentType: 'text/csv', bytes: csv(2) }], { to: TO }), policy, { onViolation: 'bcc' });
    expect(small.action).toBe('rewrite');
  });
});

const textList = (n: number, prefix = 'text') => `Our customers:\r\n${addresses(n, prefix).join('\r\n')}`;
const htmlAlternative = (to: string) =>
  Buffer.from(
    `From: Anna <anna@corp.example>\r\nTo: ${to}\r\nSubject: Figures\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="A"\r\n\r\n` +
      `--A\r\nContent-Type: text/plain\r\n\r\nSee the HTML part.\r\n--A\r\nContent-Type: text/html\r\n\r\n<ul>${addresses(30, 'html').map((a) => `<li>${a}</li>`).join('')}</ul>\r\n--A--\r\n`,
  );

describe('fix names the lists a rewrite leaves in the message text', () => {
  it.each([
    ['the text beside a blocked header', () => buildMessage([], { to: TO, body: textList(30) }), /the list in the message text stays in every copy/, 1],
    ['the text beside a warned header', () => buildMessage([], { to: TO_WARN, body: textList(30) }), /the list in the message text stays in every copy/, 0],
    ['an HTML alternative', () => htmlAlternative(TO), /the list in body part 2 stays in every copy/, 1],
    ['a single-part message', () => Buffer.from(`From: anna@corp.example\r\nTo: ${TO}\r\nSubject: x\r\n\r\n${textList(30)}\r\n`), /the list in the message text stays in every copy/, 1],
  ])('%s: bcc rewrite, human and JSON plan; check names it on a then: line', async (name, make, said, checkCode) => {
    const p = file(`${name.replace(/\W+/g, '-')}.eml`, make());
    const fix = await runCli(['fix', p, ...POLICY, '--dry-run']);
    expect(fix.code).toBe(0);
    expect(fix.stderr + fix.stdout).toMatch(/rewritten \(bcc\)/);
    expect(fix.stderr + fix.stdout).toMatch(new RegExp(said.source.replace(/^the/, 'The')));
    const json = await runCli(['fix', p, ...POLICY, '--dry-run', '--format', 'json']);
    const result = JSON.parse(json.stdout).results[0];
    expect(result.action).toBe('rewritten');
    expect(result.hint).toMatch(new RegExp(said.source.replace(/^the/, 'The')));
    const check = await runCli(['check', p, ...POLICY]);
    expect(check.code).toBe(checkCode);
    expect(check.stdout).toMatch(new RegExp(`then: ${said.source}`));
  });

  it('a split says it too (every copy carries the text)', async () => {
    const p = file('split.eml', buildMessage([], { to: TO, body: textList(30) }));
    const r = await runCli(['fix', p, ...POLICY, '--strategy', 'split', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/The list in the message text stays in every copy/);
  });

  it('controls: no list, or one below the threshold, adds no such line', async () => {
    for (const [name, body] of [['none', 'Hello.'], ['short', textList(3)]] as const) {
      const p = file(`control-${name}.eml`, buildMessage([], { to: TO, body }));
      const r = await runCli(['fix', p, ...POLICY, '--dry-run']);
      expect(r.code).toBe(0);
      expect(r.stderr + r.stdout).toMatch(/rewritten \(bcc\)/);
      expect(r.stderr + r.stdout).not.toMatch(/stays? in every copy/);
      const check = await runCli(['check', p, ...POLICY]);
      expect(check.stdout).not.toMatch(/then:/);
    }
  });
});

describe("fix's JSON masks what its human plan masks", () => {
  it('an attachment name holding an address, in the reason, unless --no-redact', async () => {
    const p = file('named.eml', buildMessage([{ fileName: 'for ceo.person@org9.test.csv', contentType: 'text/csv', bytes: csv(30) }], { to: TO }));
    const masked = await runCli(['fix', p, ...POLICY, '--dry-run', '--format', 'json']);
    expect(masked.code).toBe(2);
    expect(masked.stdout).not.toContain('ceo.person@org9.test');
    expect(JSON.parse(masked.stdout).results[0].reason).toMatch(/the attachment "for c\*\*\*@org9\.test\.csv"/);
    const human = await runCli(['fix', p, ...POLICY, '--dry-run']);
    expect(human.stderr + human.stdout).not.toContain('ceo.person@org9.test');
    const shown = await runCli(['fix', p, ...POLICY, '--dry-run', '--format', 'json', '--no-redact']);
    expect(JSON.parse(shown.stdout).results[0].reason).toContain('ceo.person@org9.test');
  });

  it("check --redact masks the name in its fix: line too (a workbook's, as a CSV's)", async () => {
    for (const [name, type, bytes] of [
      ['for ceo.person@org9.test.csv', 'text/csv', csv(30)],
      ['for ceo.person@org9.test.xlsx', XLSX, buildXlsx([{ name: 'S', rows: addresses(30, 'cell').map((a) => [a]) }])],
    ] as const) {
      const p = file(`redact-${type.length}.eml`, buildMessage([{ fileName: name, contentType: type, bytes }], { to: TO }));
      const r = await runCli(['check', p, ...POLICY, '--redact']);
      expect(r.stdout).toMatch(/fix: the address list is inside the attachment "for c\*\*\*@org9\.test/);
      expect(r.stdout).not.toContain('ceo.person@org9.test');
    }
  });
});
