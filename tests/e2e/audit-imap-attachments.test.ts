// mailguard audit over IMAP reads attachments as a file audit does: messages APPENDed to a real
// Dovecot (a hidden sheet of addresses, an invitation to 40, a clean one, one over the size limit)
// give the same incidents and kinds; the one over the limit is fetched header-only and reported
// not scanned, never clean; BODY.PEEK leaves every message unseen (FETCH FLAGS afterwards).
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import { startDovecot, type DovecotInstance } from '../helpers/dovecot.js';
import { ENCODED_FILE_MESSAGES } from '../helpers/encoded-file-messages.js';
import { addresses, buildIcs, buildMessage, buildXlsx } from '../helpers/office-files.js';

const PASSWORD = 'att-Pa55word-k2';
const POLICY = ['--internal-domain', 'corp.example'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** The test-only limit (MAILGUARD_TEST_IMAP_MAX_WHOLE_BYTES): the padded message is over it, the others well under. */
const LIMIT = 200_000;
const rows = (list: string[]) => list.map((a, i) => [`Name ${i + 1}`, a]);
const hiddenSheet = (prefix: string) => ({ fileName: 'figures.xlsx', contentType: XLSX, bytes: buildXlsx([{ name: 'Summary', rows: rows(['x@corp.example']) }, { name: 'Applicants', state: 'hidden', rows: rows(addresses(300, prefix, 90)) }]) });

/** buildMessage with its own Message-ID and subject. */
function message(n: number, subject: string, ...args: Parameters<typeof buildMessage>): Buffer {
  return Buffer.from(buildMessage(...args).toString('latin1').replace('<t1@corp.example>', `<t${n}@corp.example>`).replace('Subject: Figures', `Subject: ${subject}`), 'latin1');
}

// [subject, message, kinds of its incident (undefined: none)], APPENDed in this order (UIDs 1-4).
const MESSAGES: Array<[string, Buffer, string[] | undefined]> = [
  ['Hidden sheet', message(1, 'Hidden sheet', [hiddenSheet('a')]), ['attachment']],
  ['Invite 40', message(2, 'Invite 40', [{ fileName: 'invite.ics', contentType: 'text/calendar; method=REQUEST', bytes: buildIcs('anna@corp.example', addresses(40, 'guest')) }]), ['invitation']],
  ['Clean', message(3, 'Clean', [], { body: 'Hello Bob, see you tomorrow.' }), undefined],
  // Over LIMIT: the same kind of hidden sheet, after a long text.
  ['Big', message(4, 'Big', [hiddenSheet('b')], { body: `Minutes.\r\n${'Nothing to report here. '.repeat(LIMIT / 24)}` }), undefined],
];

/** Messages with an attachment, each fetched whole, in one header batch whose answer (about 36 KB) is cut every 15 KB. */
const LETTERS = 60;
/** A multipart message with a small text attachment; the 7th is sent to 12 external addresses in To. */
function letter(n: number): Buffer {
  const to = n === 7 ? addresses(12, 'to').join(', ') : 'bob@partner.example';
  return Buffer.from(
    [`From: anna@corp.example`, `To: ${to}`, `Subject: Letter ${n}`, 'Date: Fri, 4 Dec 2026 12:00:00 +0000', `Message-ID: <letter${n}@corp.example>`, `X-Padding: ${'x'.repeat(300)}`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', `Letter ${n}.`, '--b', 'Content-Type: text/plain; name=notes.txt', 'Content-Disposition: attachment; filename=notes.txt', '', 'Nothing to list.', '--b--', ''].join('\r\n'),
  );
}

let dovecot: DovecotInstance;
const env = { MAILGUARD_IMAP_PASSWORD: PASSWORD };
const url = (port = dovecot.port) => `imap://alice@127.0.0.1:${port}/Sent`;

async function withClient<T>(run: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: 'alice', pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.logout();
  }
}

beforeAll(async () => {
  dovecot = await startDovecot({ users: [{ user: 'alice', password: PASSWORD }] });
  await withClient(async (client) => {
    await client.mailboxCreate('Sent');
    for (const [, bytes] of MESSAGES) await client.append('Sent', bytes, []);
    await client.mailboxCreate('Letters');
    for (let n = 1; n <= LETTERS; n++) await client.append('Letters', letter(n), []);
    await client.mailboxCreate('Plain');
    for (const [, bytes] of ENCODED_FILE_MESSAGES) await client.append('Plain', bytes, []);
  });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
});

describe('mailguard audit imap:// with attachments', () => {
  it('reports the attachment and invitation incidents, the message over the limit as not scanned, and sets no \\Seen', async () => {
    const r = await runCli(['audit', url(), ...POLICY, '--format', 'json', '--no-redact'], { env: { ...env, MAILGUARD_TEST_IMAP_MAX_WHOLE_BYTES: String(LIMIT) } });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    const source = (uid: number) => `${url()};UID=${uid}`;
    const expected = MESSAGES.map(([, , kinds], k) => [source(k + 1), kinds]).filter(([, kinds]) => kinds !== undefined);
    expect(doc.incidents.map((i: any) => [i.source, i.kinds])).toEqual(expected);
    expect(doc.summary).toMatchObject({ messages: 4, incidents: 2, attachmentIncidents: 2, notScanned: 1 });
    expect(doc.incidents[0].exposures).toEqual([expect.objectContaining({ kind: 'attachment', fileName: 'figures.xlsx', sheet: 'Applicants', externalAddresses: 300, hiddenAddresses: 300, hidden: ['hidden-sheet'] })]);
    expect(doc.incidents[1].exposures).toEqual([expect.objectContaining({ kind: 'invitation', method: 'REQUEST', externalAddresses: 40 })]);
    // Over the limit: not fetched, so not known to be clean.
    expect(doc.summary.notScannedMessages).toEqual([{ source: source(4), parts: [expect.objectContaining({ part: '', reason: 'too-large' })] }]);
    const human = await runCli(['audit', url(), ...POLICY, '--no-color'], { env: { ...env, MAILGUARD_TEST_IMAP_MAX_WHOLE_BYTES: String(LIMIT) } });
    expect(human.code, human.stderr).toBe(1);
    expect(human.stdout).toContain(`${source(4)}: the whole message: over the size limit`);
    // Every message stays unseen (APPENDed without flags; EXAMINE and BODY.PEEK change none;
    // \Recent is the server's, per session).
    const flags = await withClient(async (client) => {
      await client.mailboxOpen('Sent', { readOnly: true });
      const out: Array<[number, string[]]> = [];
      for await (const msg of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) out.push([msg.uid, [...(msg.flags ?? [])].filter((f) => f !== '\\Recent')]);
      return out;
    });
    expect(flags).toEqual([1, 2, 3, 4].map((uid) => [uid, []]));
  });

  it('under the default limit the same message is fetched whole and is an attachment incident', async () => {
    const r = await runCli(['audit', url(), ...POLICY, '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.incidents.map((i: any) => i.kinds)).toEqual([['attachment'], ['invitation'], ['attachment']]);
    expect(doc.summary).toMatchObject({ messages: 4, incidents: 3, notScanned: 0 });
  });

  it('a plain-text message writing a file into its text (uuencode) is fetched whole: an attachment incident, as from files', async () => {
    const r = await runCli(['audit', url().replace(/\/Sent$/, '/Plain'), ...POLICY, '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    const expected = ENCODED_FILE_MESSAGES.flatMap(([, bytes, outcome]) => (outcome === 'attachment' ? [/^Subject: (.*)$/m.exec(bytes.toString('latin1'))![1]!.trim()] : []));
    expect(doc.incidents.map((i: any) => [i.subject, i.kinds])).toEqual(expected.map((subject) => [subject, ['attachment']]));
    expect(doc.summary).toMatchObject({ messages: ENCODED_FILE_MESSAGES.length, notScanned: 1 });
  });

  it('--no-body-scan fetches headers only: no attachment incident, nothing not scanned', async () => {
    const r = await runCli(['audit', url(), ...POLICY, '--format', 'json', '--no-body-scan'], { env: { ...env, MAILGUARD_TEST_IMAP_MAX_WHOLE_BYTES: String(LIMIT) } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ messages: 4, incidents: 0, notScanned: 0 });
  });

  it('every connection cut inside the header FETCH of messages wanted whole: headers read count as progress, the folder is read completely', async () => {
    const letters = (port: number) => url(port).replace(/\/Sent$/, '/Letters');
    const proxy = await startCuttingProxy({ targetPort: dovecot.port, after: /UID FETCH/i, cutAfterBytes: 15_000, connections: 'all' });
    try {
      const r = await runCli(['audit', letters(proxy.port), ...POLICY, '--format', 'json'], { env, timeoutMs: 60_000 });
      expect(proxy.cut).toBeGreaterThanOrEqual(3);
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.summary).toMatchObject({ messages: LETTERS, incidents: 1, unreadable: 0 });
      expect(doc.incidents.map((i: any) => i.subject)).toEqual(['Letter 7']);
    } finally {
      await proxy.close();
    }
  });

  it('a message expunged between its header and its whole FETCH is checked on its header and reported not scanned, never dropped', async () => {
    await withClient(async (client) => {
      await client.mailboxCreate('Vanishing');
      for (const n of [1, 2, 3]) await client.append('Vanishing', letter(n === 2 ? 7 : n), []);
    });
    // A pass-through that, when the audit asks for whole messages (BODY.PEEK[]), first has another
    // session delete and expunge UID 2, as a user or a retention policy may meanwhile.
    let expunged = false;
    const server = net.createServer((socket) => {
      const upstream = net.connect({ host: '127.0.0.1', port: dovecot.port });
      upstream.pipe(socket);
      socket.on('data', async (chunk: Buffer) => {
        if (!expunged && /BODY\.PEEK\[\]/i.test(chunk.toString('latin1'))) {
          socket.pause();
          expunged = true;
          await withClient(async (client) => {
            await client.mailboxOpen('Vanishing');
            await client.messageDelete('2', { uid: true });
          });
          socket.resume();
        }
        upstream.write(chunk);
      });
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['audit', url(port).replace(/\/Sent$/, '/Vanishing'), ...POLICY, '--format', 'json'], { env });
      expect(expunged).toBe(true);
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout);
      // Its header, read before it vanished, exposed 12 addresses in To.
      expect(doc.incidents.map((i: any) => [i.subject, i.kinds])).toEqual([['Letter 7', ['recipients']]]);
      expect(doc.summary).toMatchObject({ messages: 3, notScanned: 1 });
      expect(doc.summary.notScannedMessages[0].source).toMatch(/;UID=2$/);
    } finally {
      server.close();
    }
  });

  it('a connection cut while whole messages arrive is reopened and every message read once', async () => {
    // The header FETCH answers in about 2 KB: the cut falls inside the whole messages.
    const proxy = await startCuttingProxy({ targetPort: dovecot.port, after: /UID FETCH/i, cutAfterBytes: 6_000, connections: 'first' });
    try {
      const r = await runCli(['audit', url(proxy.port), ...POLICY, '--format', 'json'], { env });
      expect(proxy.cut).toBe(1);
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.incidents.map((i: any) => [i.source, i.kinds])).toEqual([[`${url(proxy.port)};UID=1`, ['attachment']], [`${url(proxy.port)};UID=2`, ['invitation']], [`${url(proxy.port)};UID=4`, ['attachment']]]);
      expect(doc.summary).toMatchObject({ messages: 4, incidents: 3, unreadable: 0 });
    } finally {
      await proxy.close();
    }
  });
});
