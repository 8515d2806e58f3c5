// The body scan through the built CLI: on by default for check, its flags and config section,
// and every input kind (file, mbox, stdin).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { mboxOf } from '../audit/helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-body-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example', '--format', 'json'];
const fx = (name: string) => path.join(FIXTURES, name);

function bodyFindings(stdout: string): Array<{ source: string; count: number; fileName?: string }> {
  const doc = JSON.parse(stdout);
  return doc.results.flatMap((r: any) =>
    r.findings.filter((f: any) => f.code === 'ADDRESS_LIST_IN_BODY').map((f: any) => ({ source: r.source, count: f.args.externalAddresses, ...(f.args.fileName ? { fileName: f.args.fileName } : {}) })),
  );
}

describe('check with the body scan', () => {
  it('is on by default: a pasted list warns (exit 0), an error setting blocks (exit 1)', async () => {
    const r = await runCli(['check', fx('body-pasted-list.eml'), ...POLICY]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results[0].verdict).toBe('warn');
    expect(doc.results[0].findings[0]).toMatchObject({ code: 'ADDRESS_LIST_IN_BODY', severity: 'warning', args: { part: '1', externalAddresses: 12, threshold: 10 } });
    expect(doc.results[0].findings[0].message).toContain('12 external addresses');
    const strict = await runCli(['check', fx('body-pasted-list.eml'), ...POLICY, '--rule', 'ADDRESS_LIST_IN_BODY=error']);
    expect(strict.code).toBe(1);
  });

  it('--no-body-scan and --body-min-addresses', async () => {
    const off = await runCli(['check', fx('body-csv-attachment.eml'), ...POLICY, '--no-body-scan']);
    expect(bodyFindings(off.stdout)).toEqual([]);
    const high = await runCli(['check', fx('body-pasted-list.eml'), fx('body-csv-attachment.eml'), ...POLICY, '--body-min-addresses', '20']);
    expect(bodyFindings(high.stdout)).toEqual([{ source: fx('body-csv-attachment.eml'), count: 25, fileName: 'figures.csv' }]);
    const bad = await runCli(['check', fx('body-pasted-list.eml'), '--body-min-addresses', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--body-min-addresses takes a whole number');
  });

  it('reads the bodyScan config section and refuses unknown keys', async () => {
    const cfg = path.join(tmp, 'scan.json');
    writeFileSync(cfg, JSON.stringify({ internalDomains: ['corp.example'], bodyScan: { minAddresses: 13 } }));
    const r = await runCli(['check', fx('body-pasted-list.eml'), fx('body-vcard.eml'), fx('body-csv-attachment.eml'), '--config', cfg, '--format', 'json']);
    expect(bodyFindings(r.stdout).map((f) => f.count)).toEqual([25]);
    writeFileSync(cfg, JSON.stringify({ bodyScan: { enabled: false } }));
    expect(bodyFindings((await runCli(['check', fx('body-csv-attachment.eml'), '--config', cfg, '--format', 'json'])).stdout)).toEqual([]);
    writeFileSync(cfg, JSON.stringify({ bodyScan: { minimum: 3 } }));
    const bad = await runCli(['check', fx('body-csv-attachment.eml'), '--config', cfg]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown key "bodyScan.minimum"');
  });

  it('scans messages inside an mbox and on stdin, and leaves the newsletter footer alone', async () => {
    const files = ['body-csv-attachment.eml', 'body-forwarded-thread.eml', 'body-newsletter-footer.eml', 'body-pasted-list.eml', 'body-vcard.eml'];
    const mbox = path.join(tmp, 'body.mbox');
    writeFileSync(mbox, mboxOf(files));
    const r = await runCli(['check', mbox, ...POLICY]);
    expect(bodyFindings(r.stdout)).toEqual([
      { source: `${mbox}#1`, count: 25, fileName: 'figures.csv' },
      { source: `${mbox}#2`, count: 15 },
      { source: `${mbox}#4`, count: 12 },
      { source: `${mbox}#5`, count: 12, fileName: 'Kontakte Müller.vcf' },
    ]);
    const piped = await runCli(['check', '-', ...POLICY], { input: readFileSync(fx('body-vcard.eml')) });
    expect(bodyFindings(piped.stdout)).toEqual([{ source: '-', count: 12, fileName: 'Kontakte Müller.vcf' }]);
  });

  it('a campaign attaching a recipient CSV in UTF-16LE or UTF-16BE without a byte order mark reports the list, as with the mark (it passed)', async () => {
    const rows = ['email,name', ...Array.from({ length: 12 }, (_, i) => `p${i}@org${i}.example,P ${i}`)].join('\r\n');
    const le = Buffer.from(`${rows}\r\n`, 'utf16le');
    const files = { 'le.csv': le, 'be.csv': Buffer.from(le).swap16(), 'bom.csv': Buffer.concat([Buffer.from([0xff, 0xfe]), le]) };
    const campaigns = Object.entries(files).map(([name, bytes]) => {
      writeFileSync(path.join(tmp, name), bytes);
      const file = path.join(tmp, `${name}.json`);
      writeFileSync(file, JSON.stringify({ from: 'me@corp.example', to: 'boss@corp.example', subject: 'list', text: 'attached', attachments: [{ path: name }] }));
      return file;
    });
    const r = await runCli(['check', ...campaigns, ...POLICY, '--max-warnings', '0']);
    expect(r.code).toBe(1);
    expect(bodyFindings(r.stdout).map((f) => [f.fileName, f.count])).toEqual([
      ['le.csv', 12],
      ['be.csv', 12],
      ['bom.csv', 12],
    ]);
  });

  it('reads past the 64-KiB header chunk for a large message', async () => {
    const big = path.join(tmp, 'big.eml');
    const filler = `${'x'.repeat(75)}\n`.repeat(2000); // 152 KB before the list
    writeFileSync(big, `From: a@corp.example\nTo: b@corp.example\nSubject: big\n\n${filler}${Array.from({ length: 11 }, (_, i) => `p${i}@org${i}.test`).join('\n')}\n`);
    expect(bodyFindings((await runCli(['check', big, ...POLICY])).stdout)).toEqual([{ source: big, count: 11 }]);
  });
});
