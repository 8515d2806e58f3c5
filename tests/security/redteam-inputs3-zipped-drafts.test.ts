// Red team, directory walks: drafts inside an archive. A `.eml.gz` found by a walk is reported as
// mail that cannot be read as it is, but a zip of drafts (`drafts.zip` holding `offer.eml`) or a
// gzip file whose header names the file it compressed as mail (`gzip offer.eml`, renamed
// `backup.gz`) was counted as "not mail": check exited 0 while the list inside went unread. Now an
// archive whose entry names (or gzip's own name field) say mail is reported like the `.eml.gz`
// (exit 2); archives of anything else (an Office document, photos, a log) stay not mail.
import { deflateRawSync } from 'node:zlib';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { buildZip } from '../helpers/office-files.js';
import { outlookMsg } from '../helpers/outlook-msg.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-zipped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIST = ['a1@alpha.example', 'b1@beta.example', 'c1@gamma.example', 'd1@delta.example', 'e1@epsilon.example', 'f1@zeta.example'];
const CLEAN = 'From: alice@corp.example\nTo: bob@corp.example\nSubject: hi\n\nhello\n';
const DRAFT = `From: alice@corp.example\nTo: ${LIST.join(', ')}\nSubject: offer\n\nbody\n`;
/** Incompressible filler: an entry that pushes the central directory past the first read. */
const noise = (bytes: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 7919 + (i >> 8) * 104729) & 0xff));
/** A gzip member whose header names the file it compressed (FNAME), as `gzip NAME` writes it. */
const gzipNamed = (name: string, data: string) =>
  Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]), Buffer.from(`${name}\0`, 'latin1'), deflateRawSync(Buffer.from(data)), Buffer.alloc(8)]);

const ARCHIVES: Array<[string, string, Uint8Array]> = [
  ['a zip of a draft', 'drafts.zip', buildZip({ 'offer.eml': DRAFT })],
  ['a zip of drafts in a folder, stored', 'outbox.zip', buildZip({ 'outbox/': '', 'outbox/offer.eml': DRAFT }, 0)],
  ['a zip of an Outlook item', 'items.zip', buildZip({ 'Offer.msg': outlookMsg({ subject: 'offer', recipients: LIST.map((smtp) => ({ smtp, type: 'to' as const })) }) })],
  ['a zip of a mailbox behind 300 KiB of another entry', 'export.zip', buildZip({ 'photo.bin': noise(300 * 1024), 'Sent.mbox': `From a@corp.example Mon Jan  1 00:00:00 2024\n${DRAFT}` }, 0)],
  ['a gzip file named for the draft it compressed', 'backup.gz', gzipNamed('offer.eml', DRAFT)],
];

interface Json {
  results: Array<{ source: string; verdict: string }>;
  notRead?: Array<{ path: string }>;
}

function walkFolder(name: string, file: string, bytes: Uint8Array): string {
  const sub = path.join(dir, name.replace(/\W+/g, '-'));
  mkdirSync(sub, { recursive: true });
  writeFileSync(path.join(sub, file), bytes);
  writeFileSync(path.join(sub, 'ok.eml'), CLEAN);
  return sub;
}

describe('an archive of mail found by a walk is reported, not counted as not mail', () => {
  for (const [name, file, bytes] of ARCHIVES) {
    it(name, async () => {
      const sub = walkFolder(name, file, bytes);
      const r = await runCli(['check', sub, '--internal-domain', 'corp.example', '--format', 'json']);
      const json = JSON.parse(r.stdout) as Json;
      expect((json.notRead ?? []).map((n) => path.basename(n.path))).toEqual([]);
      expect(json.results.find((x) => path.basename(x.source) === file)?.verdict).toBe('error');
      expect(r.code).toBe(2);
    });
  }
});

describe('archives of anything else stay not mail', () => {
  it.each([
    ['an Office document', 'report.docx', buildZip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': `<w:document>${LIST.join(' ')}</w:document>` })],
    ['photos', 'photos.zip', buildZip({ 'a.jpg': noise(1000), 'mail.jpg': noise(1000) })],
    ['a gzip log', 'app.log.1.gz', gzipNamed('app.log.1', 'line\n')],
  ] as Array<[string, string, Uint8Array]>)('%s', async (name, file, bytes) => {
    const sub = walkFolder(`control ${name}`, file, bytes);
    const r = await runCli(['check', sub, '--internal-domain', 'corp.example', '--format', 'json']);
    expect(((JSON.parse(r.stdout) as Json).notRead ?? []).map((n) => path.basename(n.path))).toEqual([file]);
    expect(r.code).toBe(0);
  });
});
