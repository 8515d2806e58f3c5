// Red team: whether a message's body is read for the scan was decided on its part's name as
// written, where the scan reads the name every reader is shown (encoded words decoded). A single
// part `image/png; name="=?utf-8?B?bGlzdC5jc3Y=?="` (list.csv to every reader) holding 30
// customers was scanned when the file was small enough to be whole after the header read (check
// and audit: a list in an attachment), and passed over past 64 KiB and over IMAP, which fetch only
// the bodies the header promises: the same list, check PASS and the audit "No message exposed
// external recipients", exit 0. The header's promise now reads the names as the scan does, and a
// name that holds an address (scanned as text) promises a body too.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotInstance } from '../helpers/dovecot.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-redteam-audit2-name-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example'];
const CSV = `name,email\n${Array.from({ length: 30 }, (_, i) => `N${i},x${i}@firm${i}.example`).join('\n')}\n`;
const VCARDS = Array.from({ length: 30 }, (_, i) => `BEGIN:VCARD\nVERSION:3.0\nFN:N${i}\nEMAIL:x${i}@firm${i}.example\nEND:VCARD\n`).join('');
/** Past the 64 KiB read with the header: the body is read only when the header promises it. */
const PADDING = `\n${'#'.repeat(99)}\n`.repeat(800);
const b64 = (s: string) => `=?utf-8?B?${Buffer.from(s).toString('base64')}?=`;
const twelve = Array.from({ length: 12 }, (_, i) => `p${i}@org${i}.example`).join(', ');

const message = (contentFields: string, body: string) => `From: me@corp.example\nTo: one@ext.example\nSubject: s\nDate: Mon, 2 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n${contentFields}\n\n${body}`;
let n = 0;
function eml(contentFields: string, body: string): string {
  const file = path.join(tmp, `m${n++}.eml`);
  writeFileSync(file, message(contentFields, body));
  return file;
}

async function both(file: string) {
  const check = JSON.parse((await runCli(['check', file, ...POLICY, '--format', 'json'])).stdout);
  const codes = (check.results?.[0] ?? check).findings.map((f: { code: string }) => f.code).filter((c: string) => c !== 'INTERNAL_DOMAIN_INFERRED');
  const audit = await runCli(['audit', file, ...POLICY, '--format', 'json']);
  const doc = JSON.parse(audit.stdout);
  return { codes, audit: audit.code, incidents: doc.summary.incidents as number, kinds: doc.incidents[0]?.kinds as string[] | undefined };
}

// The kinds of incident: a name holding the addresses is also the message's own file name, which
// every reader shows as a header field (redteam-headers2-attachment-name.test.ts).
const NAMED: Array<[string, string, string, string[]]> = [
  ['an image part named list.csv in a base64 encoded word', `Content-Type: image/png; name="${b64('list.csv')}"`, CSV, ['attachment']],
  ['an image part named list.csv in a Q encoded word', 'Content-Type: image/png; name="=?utf-8?Q?list=2Ecsv?="', CSV, ['attachment']],
  ['a Content-Disposition filename in an encoded word', `Content-Type: image/jpeg\nContent-Disposition: attachment; filename="${b64('customers.csv')}"`, CSV, ['attachment']],
  ['vCards named in an encoded word', `Content-Type: image/gif; name="${b64('contacts.vcf')}"`, VCARDS, ['attachment']],
  ['twelve addresses in the part name, as an encoded word', `Content-Type: image/png; name="${b64(`${twelve}.png`)}"`, 'iVBORw0KGgo=', ['recipients', 'attachment']],
  ['twelve addresses in the part name', `Content-Type: image/png; name="${twelve}.png"`, 'iVBORw0KGgo=', ['recipients', 'attachment']],
];

describe('red team: audit and check, a part named in an encoded word', () => {
  it.each(NAMED)('%s: the same finding small or past 64 KiB, and an audit incident', async (_name, fields, body, kinds) => {
    const small = await both(eml(fields, body));
    const large = await both(eml(fields, body + PADDING));
    expect(small.codes).toContain('ADDRESS_LIST_IN_BODY');
    expect(large.codes).toEqual(small.codes);
    for (const r of [small, large]) expect([r.audit, r.incidents, r.kinds]).toEqual([1, 1, kinds]);
  });

  it.each<[string, string]>([
    ['an image named photo.png', 'Content-Type: image/png; name="photo.png"'],
    ['an image named in an encoded word', `Content-Type: image/png; name="${b64('photo.png')}"`],
    ['an unnamed image', 'Content-Type: image/png'],
  ])('control, %s past 64 KiB: no finding, no incident', async (_name, fields) => {
    const r = await both(eml(fields, `iVBORw0KGgo=${PADDING}`));
    expect(r.codes).toEqual([]);
    expect([r.audit, r.incidents]).toEqual([0, 0]);
  });
});

describe('red team: audit over IMAP (a real Dovecot), a part named in an encoded word', () => {
  const PASSWORD = 'audit2-name-Pa55';
  let dovecot: DovecotInstance;
  beforeAll(async () => {
    dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }] });
    // Small messages: a file of these bytes is whole after its header read, and check flags it.
    await dovecot.addMessages('alice', 'Sent', NAMED.map(([, fields, body]) => ({ flags: 'S', bytes: message(fields, body).replace(/\n/g, '\r\n') })));
  }, 60_000);
  afterAll(async () => {
    await dovecot?.stop();
  });

  it('every message is fetched whole and is an incident, as check finds from the same bytes in a file', async () => {
    for (const [, fields, body] of NAMED) expect((await both(eml(fields, body))).codes).toContain('ADDRESS_LIST_IN_BODY');
    const r = await runCli(['audit', `imap://alice@127.0.0.1:${dovecot.port}/Sent`, ...POLICY, '--format', 'json'], { env: { MAILGUARD_IMAP_PASSWORD: PASSWORD } });
    const doc = JSON.parse(r.stdout);
    expect([r.code, doc.summary.messages, doc.summary.incidents]).toEqual([1, NAMED.length, NAMED.length]);
  });
});
