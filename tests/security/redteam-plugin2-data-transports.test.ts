// The nodemailer plugin against transports that compose the message from mail.data instead of
// reading the bytes nodemailer builds: its JSON transport, and HTTP API transports (SendGrid,
// Mailgun, Postmark style) that call mail.normalize() or read mail.data. When mailguard sends a
// message as the bytes it decided (a bcc rewrite, a stripped Resent-Bcc, content read at send
// time, a raw message), `raw` and `envelope` carry it; `to`, `cc`, `bcc` and `headers` left in
// the data still held the list the decision took out, and such a transport wrote it while
// sendMail succeeded. Now they leave the data: no transport finds a list there to write.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { mailguard, type MailguardPluginOptions } from '../../src/plugin/nodemailer.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';

const POLICY = { internalDomains: ['corp.example'] };
const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];

type Data = Record<string, unknown>;
type SendMail = (data: Data) => Promise<{ envelope: { to: string[] }; message?: unknown }>;
type Mail = { data: Data; normalize(cb: (err: Error | null, data: Data) => void): void; message: { getEnvelope(): { to: string[] } } };

let sink: Sink | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** What a transport that composes from the data was handed: the data, and the envelope it delivers to. */
interface Handed {
  data: Data;
  envelope: string[];
}

/** A custom transport that composes the message from the data, as an HTTP API transport does. */
function apiTransport(read: 'normalize' | 'data', handed: Handed[]) {
  return {
    name: 'Api',
    version: '1.0.0',
    send(mail: Mail, done: (err: Error | null, info?: unknown) => void) {
      const envelope = mail.message.getEnvelope().to;
      if (read === 'data') {
        handed.push({ data: { ...mail.data }, envelope });
        done(null, { envelope: { to: envelope }, messageId: '<api@corp.example>' });
        return;
      }
      mail.normalize((err, data) => {
        if (err) return done(err);
        handed.push({ data, envelope });
        done(null, { envelope: { to: envelope }, messageId: '<api@corp.example>' });
      });
    },
  };
}

function guarded(transport: unknown, options: MailguardPluginOptions): SendMail {
  const t = nodemailer.createTransport(transport as never);
  t.use('compile', mailguard(options));
  return (data) => t.sendMail(data as never) as never;
}

/** The JSON transport's output read back as data, with the envelope it delivers to. */
const jsonData = (info: { envelope: unknown; message?: unknown }): Data => ({ ...(JSON.parse(String(info.message)) as Data), envelope: info.envelope });

/** Every external address the data shows outside `raw` and `envelope` (what an API transport would write as fields). */
function listedOutsideRaw(data: Data): string[] {
  const { raw: _raw, envelope: _envelope, ...rest } = data;
  const text = JSON.stringify(rest);
  return EXTERNAL.filter((a) => text.includes(a));
}

/** The header of the raw message the data carries (a Buffer, or its JSON form), or ''. */
function rawHeader(data: Data): string {
  const raw = data.raw as unknown;
  const bytes = Buffer.isBuffer(raw) ? raw : raw && typeof raw === 'object' && Array.isArray((raw as { data?: unknown }).data) ? Buffer.from((raw as { data: number[] }).data) : typeof raw === 'string' ? Buffer.from(raw) : Buffer.alloc(0);
  return bytes.toString('utf8').split(/\r?\n\r?\n/)[0]!;
}

async function attachmentFile(): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-plugin2-'));
  const file = path.join(dir, 'notes.txt');
  await writeFile(file, 'meeting notes\n');
  return file;
}

describe('a transport composing from mail.data is never handed a list the decision took out', () => {
  // The third column: whether the list receives it (nodemailer delivers to no Resent-Bcc recipient).
  const cases: Array<[string, () => Promise<Data>, boolean?]> = [
    [
      'bcc mode, JSON transport: external To list',
      async () => {
        const send = guarded({ jsonTransport: true }, { policy: POLICY, onViolation: 'bcc' });
        return jsonData(await send({ from: 'sales@corp.example', to: EXTERNAL, subject: 'offer', text: 'hi' }));
      },
    ],
    [
      'bcc mode, API transport via mail.normalize(): external Cc beside an internal To',
      async () => {
        const handed: Handed[] = [];
        await guarded(apiTransport('normalize', handed), { policy: POLICY, onViolation: 'bcc' })({ from: 'sales@corp.example', to: 'boss@corp.example', cc: EXTERNAL, subject: 'offer', text: 'hi' });
        return handed[0]!.data;
      },
    ],
    [
      'bcc mode, API transport reading mail.data: { name, address } objects in To and Cc',
      async () => {
        const handed: Handed[] = [];
        const to = EXTERNAL.slice(0, 3).map((address, i) => ({ name: `Customer ${i}`, address }));
        await guarded(apiTransport('data', handed), { policy: POLICY, onViolation: 'bcc' })({ from: 'sales@corp.example', to, cc: EXTERNAL.slice(3), subject: 'offer', text: 'hi' });
        return handed[0]!.data;
      },
    ],
    [
      'bcc mode, API transport reading mail.data: the list given in headers.Cc',
      async () => {
        const handed: Handed[] = [];
        await guarded(apiTransport('data', handed), { policy: POLICY, onViolation: 'bcc' })({ from: 'sales@corp.example', to: 'boss@corp.example', headers: { Cc: EXTERNAL.join(', ') }, subject: 'offer', text: 'hi' });
        return handed[0]!.data;
      },
    ],
    [
      'block mode, API transport via mail.normalize(): a Resent-Bcc in headers, stripped from the bytes sent (an attachment by path makes them raw)',
      async () => {
        const handed: Handed[] = [];
        const file = await attachmentFile();
        await guarded(apiTransport('normalize', handed), { policy: POLICY })({
          from: 'sales@corp.example',
          to: 'boss@corp.example',
          headers: { 'Resent-Bcc': EXTERNAL.join(', ') },
          attachments: [{ path: file }],
          subject: 'notes',
          text: 'hi',
        });
        return handed[0]!.data;
      },
      false,
    ],
    [
      'block mode, API transport reading mail.data: a raw message to undisclosed recipients, its recipients given as to',
      async () => {
        const handed: Handed[] = [];
        const raw = 'From: sales@corp.example\r\nTo: undisclosed-recipients:;\r\nSubject: offer\r\n\r\nhi\r\n';
        await guarded(apiTransport('data', handed), { policy: POLICY })({ raw, to: EXTERNAL });
        return handed[0]!.data;
      },
    ],
  ];
  for (const [name, run, delivered = true] of cases) {
    it(`${name}: sent, and only raw and envelope hold the recipients`, async () => {
      const data = await run();
      expect(listedOutsideRaw(data)).toEqual([]);
      for (const a of EXTERNAL) expect(rawHeader(data)).not.toContain(a);
      const envelope = [(data.envelope as { to?: unknown } | undefined)?.to].flat().map(String);
      if (delivered) expect(envelope).toEqual(expect.arrayContaining(EXTERNAL));
      else expect(envelope).toEqual(['boss@corp.example']);
    });
  }
});

describe('controls: what nodemailer delivers is unchanged', () => {
  it('a clean message through the JSON transport keeps its data (nothing was rewritten)', async () => {
    const send = guarded({ jsonTransport: true }, { policy: POLICY, onViolation: 'bcc' });
    const data = jsonData(await send({ from: 'sales@corp.example', to: 'boss@corp.example', cc: 'ann@alpha.test', headers: { 'X-Campaign': 'spring' }, subject: 'hi', text: 'hi' }));
    expect(data.raw).toBeUndefined();
    expect(JSON.stringify(data.to)).toContain('boss@corp.example');
    expect(JSON.stringify(data.cc)).toContain('ann@alpha.test');
    expect(data.headers).toEqual({ 'X-Campaign': 'spring' });
  });

  it('an attachment by path (sent as the bytes checked): a transport composing from the data still gets its To and Cc', async () => {
    const file = await attachmentFile();
    const data = { from: 'sales@corp.example', to: 'boss@corp.example', cc: ['ann@alpha.test', 'audit@corp.example'], attachments: [{ path: file }], subject: 'notes', text: 'hi' };
    const handed: Handed[] = [];
    await guarded(apiTransport('normalize', handed), { policy: POLICY })({ ...data });
    const json = jsonData(await guarded({ jsonTransport: true }, { policy: POLICY })({ ...data }));
    for (const d of [handed[0]!.data, json]) {
      expect(JSON.stringify(d.to)).toContain('boss@corp.example');
      expect(JSON.stringify(d.cc)).toContain('ann@alpha.test');
      expect(JSON.stringify(d.cc)).toContain('audit@corp.example');
    }
  });

  it('bcc mode through the stream transport: the bytes show no external address, the envelope has every recipient', async () => {
    const send = guarded({ streamTransport: true, buffer: true }, { policy: POLICY, onViolation: 'bcc' });
    const info = await send({ from: 'sales@corp.example', to: ['boss@corp.example', ...EXTERNAL.slice(0, 3)], cc: EXTERNAL.slice(3), headers: { 'X-Campaign': 'spring' }, text: 'hi' });
    const header = String(info.message).split(/\r?\n\r?\n/)[0]!;
    for (const a of EXTERNAL) expect(header).not.toContain(a);
    expect(header).toContain('boss@corp.example');
    expect(header).toContain('X-Campaign: spring');
    expect([...info.envelope.to].sort()).toEqual(['boss@corp.example', ...EXTERNAL].sort());
  });

  it('a raw message with its recipients given as to, cc and bcc is delivered to them over SMTP', async () => {
    sink = await startSink();
    const send = guarded({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true }, { policy: POLICY });
    const raw = 'From: sales@corp.example\r\nTo: undisclosed-recipients:;\r\nSubject: offer\r\n\r\nhi\r\n';
    await send({ raw, to: EXTERNAL.slice(0, 2), cc: EXTERNAL[2], bcc: EXTERNAL.slice(3) });
    expect(sink.messages).toHaveLength(1);
    expect([...sink.messages[0]!.rcptTo].sort()).toEqual([...EXTERNAL].sort());
    expect(sink.messages[0]!.raw.toString('latin1')).toBe(raw);
  });

  it('a raw message with an envelope of its own goes to that envelope, and a bcc rewrite over SMTP to every recipient', async () => {
    sink = await startSink();
    const smtp = { host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true };
    const raw = 'From: sales@corp.example\r\nTo: boss@corp.example\r\nSubject: offer\r\n\r\nhi\r\n';
    await guarded(smtp, { policy: POLICY })({ raw, envelope: { from: 'bounce@corp.example', to: ['boss@corp.example', 'audit@corp.example'] } });
    expect(sink.messages[0]!.mailFrom).toBe('bounce@corp.example');
    expect([...sink.messages[0]!.rcptTo].sort()).toEqual(['audit@corp.example', 'boss@corp.example']);
    await guarded(smtp, { policy: POLICY, onViolation: 'bcc' })({ from: 'sales@corp.example', to: 'boss@corp.example', cc: EXTERNAL, text: 'hi' });
    expect([...sink.messages[1]!.rcptTo].sort()).toEqual(['boss@corp.example', ...EXTERNAL].sort());
  });
});
