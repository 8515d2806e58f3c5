// The nodemailer plugin's final check against transports that never read the message's stream:
// nodemailer's JSON transport and API transports take the message from mail.normalize(), the
// data as plugins after mailguard's left it. mailguard watched only the streams a transport
// reads, so a compile plugin registered after it (adding a Cc list, setting headers.To) or a
// stream plugin setting a field went out through these transports while sendMail succeeded.
// Now the data normalize() hands on is composed as nodemailer writes it and decided again:
// a message that would not be sent as it is fails sendMail; one that exposes nobody goes.
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { mailguard, type MailguardPluginOptions } from '../../src/plugin/nodemailer.js';

const POLICY = { internalDomains: ['corp.example'] };
const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];
const CLEAN = { from: 'sales@corp.example', to: 'boss@corp.example', subject: 'order', text: 'hello' };

type Data = Record<string, unknown>;
type Mail = { data: Data; message: { setHeader(k: string, v: string): void; getEnvelope(): { to: string[] } }; normalize(cb: (err: Error | null, data: Data) => void): void };
type Plugin = (mail: Mail, done: (err?: Error) => void) => void;

/** An API transport: what it sends is the normalized data (recorded in `handed`). */
function apiTransport(handed: Data[]) {
  return {
    name: 'Api',
    version: '1.0.0',
    send(mail: Mail, done: (err: Error | null, info?: unknown) => void) {
      mail.normalize((err, data) => {
        if (err) return done(err);
        handed.push(data);
        done(null, { envelope: mail.message.getEnvelope(), messageId: '<api@corp.example>' });
      });
    },
  };
}

function guarded(transport: unknown, after: Array<['compile' | 'stream', Plugin]>, options: MailguardPluginOptions = { policy: POLICY }) {
  const t = nodemailer.createTransport(transport as never);
  t.use('compile', mailguard(options));
  for (const [step, plugin] of after) t.use(step, plugin as never);
  return (data: Data) => t.sendMail(data as never) as Promise<{ message?: unknown; envelope: { to: string[] } }>;
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => ({ sent: true, codes: [] as string[] }),
    (err: { findings?: Array<{ code: string }>; code?: string }) => ({ sent: false, codes: (err.findings ?? []).map((f) => f.code), code: err.code }),
  );

const exposing: Array<[string, Array<['compile' | 'stream', Plugin]>]> = [
  ['a compile plugin after mailguard adds a Cc list', [['compile', (m, done) => ((m.data.cc = EXTERNAL), done())]]],
  ['a compile plugin after mailguard sets headers.To', [['compile', (m, done) => ((m.data.to = undefined), (m.data.headers = { To: EXTERNAL.join(', ') }), done())]]],
  ['a compile plugin after mailguard adds { name, address } objects to To', [['compile', (m, done) => ((m.data.to = [m.data.to, ...EXTERNAL.map((address) => ({ name: 'Customer', address }))]), done())]]],
  ['a stream plugin sets the Cc field on the compiled message', [['stream', (m, done) => (m.message.setHeader('Cc', EXTERNAL.join(', ')), done())]]],
];

describe('transports that compose from mail.normalize() are checked on what it hands them', () => {
  for (const [name, after] of exposing) {
    it(`${name}: the JSON transport fails with the finding`, async () => {
      const r = await outcome(guarded({ jsonTransport: true }, after)({ ...CLEAN }));
      expect(r.sent).toBe(false);
      expect(r.codes).toContain('EXPOSED_RECIPIENTS');
    });
    it(`${name}: an API transport is handed nothing`, async () => {
      const handed: Data[] = [];
      const r = await outcome(guarded(apiTransport(handed), after)({ ...CLEAN }));
      expect(r.sent).toBe(false);
      expect(r.codes).toContain('EXPOSED_RECIPIENTS');
      expect(handed).toHaveLength(0);
    });
  }
});

describe('controls: what exposes nobody still goes through them', () => {
  it('a clean message, and one a later compile plugin gives html and an internal Cc', async () => {
    const handed: Data[] = [];
    const after: Array<['compile' | 'stream', Plugin]> = [['compile', (m, done) => ((m.data.html = '<p>hello</p>'), (m.data.cc = 'archive@corp.example'), done())]];
    await guarded(apiTransport(handed), [])({ ...CLEAN });
    await guarded(apiTransport(handed), after)({ ...CLEAN });
    expect(handed).toHaveLength(2);
    expect(handed[1]!.html).toBe('<p>hello</p>');
    const info = await guarded({ jsonTransport: true }, after)({ ...CLEAN });
    expect(JSON.parse(String(info.message)).html).toBe('<p>hello</p>');
    expect([...info.envelope.to].sort()).toEqual(['archive@corp.example', 'boss@corp.example']);
  });

  it('a message with attachments, an invitation, alternatives, blind recipients and list fields', async () => {
    const handed: Data[] = [];
    const data = {
      ...CLEAN,
      bcc: EXTERNAL,
      list: { unsubscribe: 'https://corp.example/unsubscribe' },
      priority: 'high',
      attachments: [{ filename: 'notes.txt', content: 'meeting notes' }, { filename: 'logo.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }],
      alternatives: [{ contentType: 'text/x-web-markdown', content: '**hello**' }],
      icalEvent: { method: 'REQUEST', content: 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nORGANIZER:mailto:sales@corp.example\r\nATTENDEE:mailto:boss@corp.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' },
    };
    await guarded(apiTransport(handed), [])({ ...data });
    expect(handed).toHaveLength(1);
    const info = await guarded({ jsonTransport: true }, [])({ ...data });
    expect([...info.envelope.to].sort()).toEqual(['boss@corp.example', ...EXTERNAL].sort());
  });

  it('bcc mode: the rewritten message goes through the JSON transport as raw bytes to every recipient', async () => {
    const info = await guarded({ jsonTransport: true }, [], { policy: POLICY, onViolation: 'bcc' })({ from: 'sales@corp.example', to: EXTERNAL, text: 'hi' });
    expect([...info.envelope.to].sort()).toEqual([...EXTERNAL].sort());
    const raw = Buffer.from((JSON.parse(String(info.message)) as { raw: { data: number[] } }).raw.data).toString('utf8');
    for (const a of EXTERNAL) expect(raw).not.toContain(a);
  });
});
