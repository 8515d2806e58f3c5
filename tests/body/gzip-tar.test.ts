// gzip and tar attachments (src/body/attachments/gzip-tar.ts): archives written by the system's
// own tar and gzip in every format they write, and damaged or crafted ones built here.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/index.js';
import { argsOf, checkAttachments, notScanned } from '../helpers/attachment-findings.js';
import { MAX_ARCHIVE_ENTRIES } from '../../src/limits.js';
import { addresses, buildXlsx, buildZip } from '../helpers/office-files.js';

const listed = (fs: Finding[]) => argsOf(fs, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.fileName, a.entry, a.externalAddresses]);

const csv = ['email,name', ...addresses(30).map((a, i) => `${a},N${i}`)].join('\n') + '\n';
const few = ['email', ...addresses(3, 'few')].join('\n') + '\n';
// Longer than tar's 100-byte name field: ustar splits it into prefix and name, GNU writes an `L`
// record, pax an `x` record with path=.
const deep = `export/${'department-of-long-folder-names/'.repeat(4)}members.csv`;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'mailguard-tar-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The files in a folder, archived by the system's tar in `format` (gnu, ustar, pax, v7). */
function systemTar(format: string, files: Record<string, string>, gzip = false): Buffer {
  const dir = mkdtempSync(path.join(scratch, `${format}-`));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, 'in', name)), { recursive: true });
    writeFileSync(path.join(dir, 'in', name), text);
  }
  const out = path.join(dir, gzip ? 'out.tar.gz' : 'out.tar');
  execFileSync('tar', [`--format=${format}`, gzip ? '-czf' : '-cf', out, '-C', path.join(dir, 'in'), ...Object.keys(files)]);
  return readFileSync(out);
}

/** A tar header block for a regular file (ustar), checksum computed, as the crafted cases need. */
function tarHeader(name: string, size: number, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0' + '00', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}
function tarFile(name: string, text: string): Buffer {
  const data = Buffer.from(text);
  return Buffer.concat([tarHeader(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

describe('tar archives written by the system tar', () => {
  it.each(['gnu', 'ustar', 'pax', 'v7'])('%s: each file read as a member, a long path named whole, pictures skipped, a short list not counted', (format) => {
    const names = { [format === 'v7' ? 'export/members.csv' : deep]: csv, 'export/few.txt': few, 'export/logo.png': csv };
    const tar = systemTar(format, names);
    const r = checkAttachments([{ fileName: 'export.tar', contentType: 'application/x-tar', bytes: tar }]);
    expect(listed(r.findings)).toEqual([['export.tar', format === 'v7' ? 'export/members.csv' : deep, 30]]);
    expect(notScanned(r.findings)).toEqual([]);
  });

  it('a .tar.gz, a .tgz and a tar sent under another name and type are read', () => {
    const tgz = systemTar('gnu', { 'a/members.csv': csv }, true);
    for (const [fileName, contentType, bytes] of [
      ['export.tar.gz', 'application/gzip', tgz],
      ['export.tgz', 'application/x-compressed-tar', tgz],
      ['export.dat', 'application/octet-stream', tgz],
      ['export.rar', 'application/octet-stream', tgz],
      ['export.dat', 'application/octet-stream', systemTar('ustar', { 'a/members.csv': csv })],
      ['noname', 'application/x-gtar', systemTar('ustar', { 'a/members.csv': csv })],
    ] as const) {
      const r = checkAttachments([{ fileName, contentType, bytes }]);
      expect([fileName, listed(r.findings)]).toEqual([fileName, [[fileName, 'a/members.csv', 30]]]);
    }
  });

  it('one level deep: a zip or a gzip inside a tar is not opened and is reported', () => {
    const dir = mkdtempSync(path.join(scratch, 'nested-'));
    writeFileSync(path.join(dir, 'inner.zip'), buildZip({ 'x.csv': csv }));
    writeFileSync(path.join(dir, 'inner.csv.gz'), gzipSync(csv));
    writeFileSync(path.join(dir, 'book.xlsx'), buildXlsx([{ name: 'S', rows: addresses(25).map((a) => [a]) }]));
    execFileSync('tar', ['-cf', path.join(dir, 'out.tar'), '-C', dir, 'inner.zip', 'inner.csv.gz', 'book.xlsx']);
    const r = checkAttachments([{ fileName: 'bundle.tar', contentType: 'application/x-tar', bytes: readFileSync(path.join(dir, 'out.tar')) }]);
    expect(notScanned(r.findings)).toEqual([
      ['inner.zip', 'nested-archive'],
      ['inner.csv.gz', 'nested-archive'],
    ]);
    expect(argsOf(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.entry, a.sheet, a.externalAddresses])).toEqual([['book.xlsx', 'S', 25]]);
  });

  it('a damaged header stops the reading: the files before it are read and the damage is reported', () => {
    const bad = tarHeader('b.csv', 10);
    bad[0] = 0x7a; // its checksum no longer adds up
    const tar = Buffer.concat([tarFile('a.csv', csv), bad, Buffer.alloc(512), tarFile('c.csv', csv), Buffer.alloc(1024)]);
    const r = checkAttachments([{ fileName: 'damaged.tar', contentType: 'application/x-tar', bytes: tar }]);
    expect(listed(r.findings)).toEqual([['damaged.tar', 'a.csv', 30]]);
    expect(notScanned(r.findings)).toEqual([[undefined, 'unreadable']]);
  });

  it('a file cut short, and a tar that is not one, are not read as clean', () => {
    const whole = tarFile('a.csv', csv);
    const cut = checkAttachments([{ fileName: 'cut.tar', contentType: 'application/x-tar', bytes: whole.subarray(0, 700) }]);
    expect(notScanned(cut.findings)).toEqual([[undefined, 'unreadable']]);
    const junk = checkAttachments([{ fileName: 'junk.tar', contentType: 'application/x-tar', bytes: Buffer.alloc(2048, 0x41) }]);
    expect(notScanned(junk.findings)).toEqual([[undefined, 'unreadable']]);
  });

  it('more files than MAX_ARCHIVE_ENTRIES are refused', () => {
    const one = tarFile('f.txt', '');
    const tar = Buffer.concat([...Array.from({ length: MAX_ARCHIVE_ENTRIES + 1 }, () => one), Buffer.alloc(1024)]);
    const r = checkAttachments([{ fileName: 'many.tar', contentType: 'application/x-tar', bytes: tar }]);
    expect(notScanned(r.findings)).toEqual([[undefined, 'too-many-entries']]);
  });
});

describe('gzip files', () => {
  it('the file inside is named by the attachment without .gz, or by the name gzip kept', () => {
    const r = checkAttachments([{ fileName: 'customers.csv.gz', contentType: 'application/gzip', bytes: gzipSync(csv) }]);
    expect(listed(r.findings)).toEqual([['customers.csv.gz', 'customers.csv', 30]]);
    // gzip(1) keeps the original name (FNAME): it wins over the attachment's.
    const dir = mkdtempSync(path.join(scratch, 'gz-'));
    writeFileSync(path.join(dir, 'members.csv'), csv);
    execFileSync('gzip', [path.join(dir, 'members.csv')]);
    const kept = checkAttachments([{ fileName: 'report.gz', contentType: 'application/x-gzip', bytes: readFileSync(path.join(dir, 'members.csv.gz')) }]);
    expect(listed(kept.findings)).toEqual([['report.gz', 'members.csv', 30]]);
  });

  it('a workbook inside a gzip is read as a workbook; text without a name is read as text; a binary without one is reported', () => {
    const book = buildXlsx([{ name: 'Sheet', rows: addresses(20).map((a) => [a]) }]);
    const r = checkAttachments([{ fileName: 'book.xlsx.gz', contentType: 'application/gzip', bytes: gzipSync(book) }]);
    expect(argsOf(r.findings, 'ADDRESS_LIST_IN_ATTACHMENT').map((a) => [a.entry, a.sheet, a.externalAddresses])).toEqual([['book.xlsx', 'Sheet', 20]]);
    const text = checkAttachments([{ fileName: 'data', contentType: 'application/octet-stream', bytes: gzipSync(csv) }]);
    expect(listed(text.findings)).toEqual([['data', '(compressed file)', 30]]);
    const binary = checkAttachments([{ fileName: 'data.gz', contentType: 'application/gzip', bytes: gzipSync(Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(csv)])) }]);
    expect(notScanned(binary.findings)).toEqual([['data', 'unknown-format']]);
  });

  it('a gzip bomb is refused quickly on its ratio; a cut or damaged gzip is not read as clean', () => {
    // 64 MiB of zeros in 64 KiB: a ratio of 1,000, refused after 200 times its size is inflated.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const cpu = process.cpuUsage();
    const r = checkAttachments([{ fileName: 'members.csv.gz', contentType: 'application/gzip', bytes: bomb }]);
    const used = process.cpuUsage(cpu);
    expect(notScanned(r.findings)).toEqual([[undefined, 'compression-ratio']]);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
    const whole = gzipSync(csv);
    for (const bytes of [whole.subarray(0, whole.length - 12), Buffer.concat([whole.subarray(0, 12), Buffer.alloc(40, 0xff)])]) {
      const bad = checkAttachments([{ fileName: 'members.csv.gz', contentType: 'application/gzip', bytes }]);
      expect(notScanned(bad.findings)).toEqual([[undefined, 'unreadable']]);
      expect(listed(bad.findings)).toEqual([]);
    }
  });

  it('a member of unknown type is read as text when its bytes are text, else reported', () => {
    const r = checkAttachments([{ fileName: 'a.zip', contentType: 'application/zip', bytes: buildZip({ 'export/members.dat': csv, 'export/blob.dat': Buffer.from([1, 0, 2, 0]) }) }]);
    expect(listed(r.findings)).toEqual([['a.zip', 'export/members.dat', 30]]);
    expect(notScanned(r.findings)).toEqual([['export/blob.dat', 'unknown-format']]);
  });

  it('a gzip inside a zip is not opened and is reported', () => {
    const r = checkAttachments([{ fileName: 'a.zip', contentType: 'application/zip', bytes: buildZip({ 'members.csv.gz': gzipSync(csv) }) }]);
    expect(notScanned(r.findings)).toEqual([['members.csv.gz', 'nested-archive']]);
  });
});

describe('saved messages (.eml) inside an archive', () => {
  const saved = (cc: string[], extra = '') =>
    `From: Someone <someone@org1.test>\r\nTo: me@corp.example\r\nCc: ${cc.join(',\r\n ')}\r\nSubject: the thread\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="S"\r\n\r\n--S\r\nContent-Type: text/html\r\n\r\n<p>Hello</p>\r\n${extra}--S--\r\n`;
  const withAttachment = `--S\r\nContent-Type: application/pdf; name="minutes.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n`;

  it('in a zip, a tar.gz and a gzip: the people its header shows and its text are read; its own attachments are reported', () => {
    const cc = addresses(12, 'cc');
    const dir = mkdtempSync(path.join(scratch, 'eml-'));
    writeFileSync(path.join(dir, 'thread.eml'), saved(cc));
    execFileSync('tar', ['-czf', path.join(dir, 'mails.tar.gz'), '-C', dir, 'thread.eml']);
    for (const [fileName, contentType, bytes] of [
      ['mails.zip', 'application/zip', buildZip({ 'export/thread.eml': saved(cc) })],
      ['mails.tar.gz', 'application/gzip', readFileSync(path.join(dir, 'mails.tar.gz'))],
      ['thread.eml.gz', 'application/gzip', gzipSync(saved(cc))],
    ] as const) {
      const r = checkAttachments([{ fileName, contentType, bytes }]);
      expect([fileName, listed(r.findings)]).toEqual([fileName, [[fileName, fileName === 'mails.zip' ? 'export/thread.eml' : 'thread.eml', 13]]]);
      expect(notScanned(r.findings)).toEqual([]);
    }
    const attached = checkAttachments([{ fileName: 'mails.zip', contentType: 'application/zip', bytes: buildZip({ 'thread.eml': saved(addresses(3, 'few'), withAttachment) }) }]);
    expect(listed(attached.findings)).toEqual([]);
    expect(notScanned(attached.findings)).toEqual([['thread.eml', 'nested-archive']]);
  });
});
