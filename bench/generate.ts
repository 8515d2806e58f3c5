// Deterministic bench inputs: the same seed gives the same bytes on every machine.

import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** mulberry32: a small, fast, seedable PRNG (good enough to vary test data). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi', 'Lena', 'Mateo', 'Noor', 'Olga', 'Pavel', 'Quinn', 'Rosa', 'Sven', 'Tara'];
const LAST = ['Abara', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Hansen', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Müller', 'Novak', 'Okafor', 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Weber'];
/** The sender's organisation: inferred as internal (no internal domain is configured). */
export const INTERNAL_DOMAINS = ['corp-bench.com', 'mail.corp-bench.com', 'eu.corp-bench.com'];
/** Public mailbox providers: each address there is its own party. */
const CONSUMER_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'web.de', 'gmx.net', 'hotmail.co.uk'];

/** External organisations, some under multi-label public suffixes (co.uk, com.au). */
function orgDomain(i: number): string {
  const suffixes = ['com', 'org', 'net', 'co.uk', 'com.au', 'de', 'io', 'fr'];
  const base = `org${i.toString(36)}-bench.${suffixes[i % suffixes.length]}`;
  return i % 5 === 0 ? `mail.${base}` : base;
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function mailbox(rand: () => number, domain: string, n: number): string {
  const first = pick(rand, FIRST);
  const last = pick(rand, LAST);
  const local = `${first}.${last}${n}`.normalize('NFD').replace(/[^\x21-\x7e]/g, '').toLowerCase();
  const style = rand();
  // Display-name encodings vary the way real drafts do: bare, plain phrase, quoted with a comma,
  // an RFC 2047 encoded word.
  if (style < 0.2) return `${local}@${domain}`;
  if (style < 0.6) return `${first.replace(/[^\x20-\x7e]/g, 'e')} ${last.replace(/[^\x20-\x7e]/g, 'u')} <${local}@${domain}>`;
  if (style < 0.85) return `"${last.replace(/[^\x20-\x7e]/g, 'u')}, ${first.replace(/[^\x20-\x7e]/g, 'e')}" <${local}@${domain}>`;
  return `=?UTF-8?Q?${encodeQ(`${first} ${last}`)}?= <${local}@${domain}>`;
}

function encodeQ(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (b === 0x20 ? '_' : b < 0x80 && /[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** The domain of the k-th recipient of a message that should show `parties` external parties. */
function recipientDomain(rand: () => number, k: number, parties: number, orgCount: number, orgOffset: number): string {
  if (k >= parties) return pick(rand, INTERNAL_DOMAINS);
  // One in four external parties is a consumer mailbox (its own party).
  if (rand() < 0.25) return pick(rand, CONSUMER_DOMAINS);
  return orgDomain((orgOffset + k) % orgCount);
}

/** A folded address field: one address per line, CRLF + space between them. */
function field(name: string, addresses: string[]): string {
  return `${name}: ${addresses.join(',\r\n ')}\r\n`;
}

function headerBlock(rand: () => number, n: number, to: string[], cc: string[], extra = ''): string {
  const from = `Alice Sender <alice.sender@${INTERNAL_DOMAINS[n % 2]}>`;
  const date = new Date(Date.UTC(2026, 0, 1) + n * 60_000).toUTCString().replace('GMT', '+0000');
  return (
    `From: ${from}\r\n` +
    field('To', to) +
    (cc.length > 0 ? field('Cc', cc) : '') +
    `Subject: Quarterly update ${n} for our partners\r\n` +
    `Date: ${date}\r\n` +
    `Message-ID: <bench.${n}.${Math.floor(rand() * 1e9)}@corp-bench.com>\r\n` +
    'MIME-Version: 1.0\r\n' +
    extra
  );
}

const LOREM = 'The quarterly figures are attached. Please review them before Thursday and send your comments to the team. ';

/** One ~2 KB draft with 30 To/Cc recipients; external parties vary from 0 to 10 across drafts. */
export function makeDraft(rand: () => number, n: number, size = 2048): Buffer {
  const parties = Math.floor(rand() * 11);
  const orgOffset = Math.floor(rand() * 500);
  const recipients: string[] = [];
  // Shuffle the positions so externals are spread over To and Cc.
  for (let k = 0; k < 30; k++) recipients.push(mailbox(rand, recipientDomain(rand, k, parties, 500, orgOffset), k));
  for (let k = recipients.length - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [recipients[k], recipients[j]] = [recipients[j]!, recipients[k]!];
  }
  const head = headerBlock(rand, n, recipients.slice(0, 15), recipients.slice(15), 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n');
  // Pad the body to `size` bytes in all; a header longer than that keeps a one-line body.
  const room = size - Buffer.byteLength(head) - 4;
  let body = '';
  while (body.length < room) body += LOREM;
  body = room > 0 ? body.slice(0, room) : 'Hello.';
  return Buffer.from(`${head}\r\n${body}\r\n`, 'utf8');
}

/** Writes `count` drafts as DIR/draft-00001.eml ... */
export async function writeDraftFolder(dir: string, count: number, seed: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rand = createRandom(seed);
  const width = String(count).length;
  const batch: Array<Promise<void>> = [];
  for (let n = 1; n <= count; n++) {
    batch.push(writeFile(path.join(dir, `draft-${String(n).padStart(width, '0')}.eml`), makeDraft(rand, n)));
    if (batch.length >= 64) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
}

/** A message with `count` recipients in To, spread over many organisations and consumer mailboxes. */
export function makeManyRecipients(count: number, seed: number): Buffer {
  const rand = createRandom(seed);
  const to: string[] = [];
  const orgs = Math.max(10, Math.floor(count / 20));
  for (let k = 0; k < count; k++) {
    const r = rand();
    const domain = r < 0.1 ? pick(rand, INTERNAL_DOMAINS) : r < 0.35 ? pick(rand, CONSUMER_DOMAINS) : orgDomain(Math.floor(rand() * orgs));
    to.push(mailbox(rand, domain, k));
  }
  const head = headerBlock(rand, 1, to, [], 'Content-Type: text/plain; charset=utf-8\r\n');
  return Buffer.from(`${head}\r\nHello everyone.\r\n`, 'utf8');
}

/**
 * Writes a message of about `bytes` bytes: the usual 30-recipient header, a short text part and
 * a base64 attachment of pseudo-random bytes, streamed so generating it needs little memory.
 */
export async function writeBigMessage(file: string, bytes: number, seed: number): Promise<void> {
  const rand = createRandom(seed);
  const to: string[] = [];
  for (let k = 0; k < 30; k++) to.push(mailbox(rand, recipientDomain(rand, k, 6, 500, 7), k));
  const boundary = '=_bench_boundary_7f3a';
  const head =
    headerBlock(rand, 1, to.slice(0, 15), to.slice(15), `Content-Type: multipart/mixed; boundary="${boundary}"\r\n`) +
    '\r\n' +
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe archive is attached.\r\n` +
    `--${boundary}\r\nContent-Type: application/octet-stream; name="archive.bin"\r\n` +
    'Content-Disposition: attachment; filename="archive.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n';
  const out = createWriteStream(file);
  let failed: Error | undefined;
  out.on('error', (err) => (failed = err));
  const write = (chunk: string | Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      if (out.write(chunk)) resolve();
      else out.once('drain', resolve);
    });
  await write(head);
  let written = Buffer.byteLength(head);
  const line = 57; // 57 raw bytes = 76 base64 characters per line
  const linesPerChunk = 4096;
  const raw = Buffer.alloc(line * linesPerChunk);
  while (written < bytes) {
    for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(Math.floor(rand() * 4294967296), i);
    const b64 = raw.toString('base64');
    const lines: string[] = [];
    for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
    const chunk = `${lines.join('\r\n')}\r\n`;
    await write(chunk);
    written += chunk.length;
  }
  await write(`--${boundary}--\r\n`);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** `count` small distinct messages (for the proxy and send scenarios), each with 3 recipients. */
export function makeSmallMessages(count: number, seed: number): Array<{ from: string; to: string[]; raw: Buffer }> {
  const rand = createRandom(seed);
  const out: Array<{ from: string; to: string[]; raw: Buffer }> = [];
  for (let n = 1; n <= count; n++) {
    const to = [0, 1, 2].map((k) => `${pick(rand, FIRST).normalize('NFD').replace(/[^a-z]/gi, '').toLowerCase()}${n}.${k}@${pick(rand, INTERNAL_DOMAINS)}`);
    const head = headerBlock(rand, n, to, [], 'Content-Type: text/plain; charset=utf-8\r\n');
    out.push({ from: `alice.sender@${INTERNAL_DOMAINS[n % 2]}`, to, raw: Buffer.from(`${head}\r\n${LOREM}${LOREM}\r\n`, 'utf8') });
  }
  return out;
}

/**
 * A message with one xlsx attachment of about `bytes` (compressed): a visible sheet of 20 rows
 * and a hidden sheet of applicants (name, address, city, reference), addresses as shared strings
 * as Excel writes them. Built with fflate (a devDependency; the bench is development tooling).
 */
export async function writeWorkbookMessage(file: string, bytes: number, seed: number): Promise<{ rows: number; xlsxBytes: number }> {
  const { strToU8, zipSync } = await import('fflate');
  const rand = createRandom(seed);
  const build = (rows: number) => {
    const strings: string[] = [];
    const cell = (ref: string, v: string) => {
      strings.push(v);
      return `<c r="${ref}" t="s"><v>${strings.length - 1}</v></c>`;
    };
    const sheet = (n: number, prefix: string) => {
      const out: string[] = [];
      for (let r = 1; r <= n; r++) {
        const first = FIRST[Math.floor(rand() * FIRST.length)]!;
        const last = LAST[Math.floor(rand() * LAST.length)]!;
        const org = r % 3 === 0 ? CONSUMER_DOMAINS[r % CONSUMER_DOMAINS.length]! : orgDomain(Math.floor(rand() * 5000));
        out.push(`<row r="${r}">${cell(`A${r}`, `${first} ${last}`)}${cell(`B${r}`, `${prefix}${r}.${first.toLowerCase()}@${org}`)}${cell(`C${r}`, `City ${Math.floor(rand() * 900)}`)}<c r="D${r}"><v>${Math.floor(rand() * 1e9)}</v></c></row>`);
      }
      return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:D${n}"/><sheetData>${out.join('')}</sheetData></worksheet>`;
    };
    const s1 = sheet(20, 'v');
    const s2 = sheet(rows, 'a');
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    return zipSync({
      '[Content_Types].xml': strToU8('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'),
      '_rels/.rels': strToU8('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
      'xl/workbook.xml': strToU8('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Summary" sheetId="1" r:id="rId1"/><sheet name="Applicants" sheetId="2" state="hidden" r:id="rId2"/></sheets></workbook>'),
      'xl/_rels/workbook.xml.rels': strToU8('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="x/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
      'xl/worksheets/sheet1.xml': strToU8(s1),
      'xl/worksheets/sheet2.xml': strToU8(s2),
      'xl/sharedStrings.xml': strToU8(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${strings.map((s) => `<si><t>${esc(s)}</t></si>`).join('')}</sst>`),
    });
  };
  // Size the sheet from a sample: compressed bytes grow linearly with rows.
  const sample = build(5000).length;
  const rows = Math.max(100, Math.round((5000 * bytes) / sample));
  const xlsx = Buffer.from(build(rows));
  const b64 = xlsx.toString('base64').replace(/.{76}/g, '$&\r\n');
  const boundary = '=_bench_xlsx_4b1e';
  const message =
    headerBlock(rand, 1, ['colleague@corp-bench.com'], [], `Content-Type: multipart/mixed; boundary="${boundary}"\r\n`) +
    '\r\n' +
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe figures are attached.\r\n` +
    `--${boundary}\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="figures.xlsx"\r\n` +
    `Content-Disposition: attachment; filename="figures.xlsx"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--${boundary}--\r\n`;
  await writeFile(file, message);
  return { rows, xlsxBytes: xlsx.length };
}

/** A message with one To field of the given addresses (folded one per line). */
function recipientMessage(to: string[]): Buffer {
  const head = headerBlock(createRandom(1), 1, to, [], 'Content-Type: text/plain; charset=utf-8\r\n');
  return Buffer.from(`${head}\r\nHello everyone.\r\n`, 'utf8');
}

/** Every recipient at a domain of its own (no cache helps): bare, named and quoted, under
 * one- and multi-label public suffixes, a fifth of them with a subdomain. */
export function makeDistinctDomains(count: number, seed: number): Buffer {
  const rand = createRandom(seed);
  const suffixes = ['com', 'co.uk', 'de', 'com.au', 'org', 'io'];
  const to: string[] = [];
  for (let k = 0; k < count; k++) {
    const domain = `${k % 5 === 0 ? 'mail.' : ''}org${k.toString(36)}-x.${suffixes[k % suffixes.length]}`;
    to.push(mailbox(rand, domain, k));
  }
  return recipientMessage(to);
}

/** International (IDN) recipients, each at a domain of its own: Unicode local parts and domains
 * in Latin, Cyrillic, Greek and Han script under Unicode and ASCII suffixes. */
export function makeIdnRecipients(count: number, seed: number): Buffer {
  const rand = createRandom(seed);
  const names = ['bücher', 'müller', 'café', 'пример', 'παράδειγμα', '日本語', 'señor', 'zürich'];
  const suffixes = ['de', 'com', 'рф', 'co.uk', 'ελ', 'jp'];
  const to: string[] = [];
  for (let k = 0; k < count; k++) {
    const name = names[k % names.length]!;
    const domain = `${name}${k}.${suffixes[k % suffixes.length]}`;
    const local = `${name}.${k}`;
    to.push(rand() < 0.5 ? `${local}@${domain}` : `${pick(rand, FIRST)} ${pick(rand, LAST)} <${local}@${domain}>`);
  }
  return recipientMessage(to);
}

/** Recipients whose domains are all refused (fullwidth letters: UTS 46 maps them, so the written
 * and the sent domain differ), each one distinct: no address is accepted, every domain is normalised. */
export function makeInvalidIdn(count: number): Buffer {
  const to: string[] = [];
  for (let k = 0; k < count; k++) to.push(`a${k}@ｂ${k.toString(36)}.com`);
  return recipientMessage(to);
}
