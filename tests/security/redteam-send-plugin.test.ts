// The nodemailer plugin against what is really sent: plugins that run after mailguard's check
// (a compile plugin registered later, any 'stream' plugin) change the message nodemailer then
// writes. mailguard decides again on the bytes and envelope the transport reads, so a change
// that exposes recipients stops the message before its data ends; changes that expose nobody
// still go. Real nodemailer transports against the recording sink on 127.0.0.1.
import { Transform } from 'node:stream';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { mailguard, type MailguardPluginOptions } from '../../src/plugin/nodemailer.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';

const POLICY = { internalDomains: ['corp.example'] };
const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];
const CLEAN = { from: 'sales@corp.example', to: 'boss@corp.example', subject: 'order', text: 'hello' };

type Mail = { data: Record<string, unknown>; message: { setHeader(k: string, v: string): void; transform(t: Transform): void } };
type Plugin = (mail: Mail, done: (err?: Error) => void) => void;

let sink: Sink | undefined;
let transports: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const t of transports) t.close();
  transports = [];
  await sink?.close();
  sink = undefined;
});

async function smtpTransport(after: Array<['compile' | 'stream', Plugin]>, options: MailguardPluginOptions = { policy: POLICY }, pool = false) {
  sink ??= await startSink();
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, pool });
  t.use('compile', mailguard(options));
  for (const [step, plugin] of after) t.use(step, plugin as never);
  transports.push(t);
  return t;
}

/** A transform that writes a field at the top of the header (what a 'stream' plugin may add). */
function prependField(line: string): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _e, done) {
      if (first) {
        first = false;
        done(null, Buffer.concat([Buffer.from(`${line}\r\n`), chunk]));
      } else done(null, chunk);
    },
  });
}

/** Long enough for a message whose data was cut to have reached the sink if it were ever ended. */
const settle = () => new Promise((r) => setTimeout(r, 200));

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => ({ sent: true, codes: [] as string[] }),
    (err: { findings?: Array<{ code: string }>; originalCode?: string; code?: string }) => ({ sent: false, codes: (err.findings ?? []).map((f) => f.code), code: err.originalCode ?? err.code }),
  );

const exposing: Array<[string, Array<['compile' | 'stream', Plugin]>]> = [
  ['a compile plugin after mailguard adds a Cc list', [['compile', (m, done) => ((m.data.cc = EXTERNAL), done())]]],
  ['a compile plugin after mailguard sets headers.To', [['compile', (m, done) => ((m.data.to = undefined), (m.data.headers = { To: EXTERNAL.join(', ') }), done())]]],
  ['a stream plugin sets the Cc field on the compiled message', [['stream', (m, done) => (m.message.setHeader('Cc', EXTERNAL.join(', ')), done())]]],
  ['a stream plugin adds a transform that writes a Cc line', [['stream', (m, done) => (m.message.transform(prependField(`Cc: ${EXTERNAL.join(', ')}`)), done())]]],
];

describe('plugins after mailguard cannot expose a list it did not see', () => {
  for (const [name, after] of exposing) {
    it(`${name}: sendMail fails with the finding, the server accepts nothing`, async () => {
      const t = await smtpTransport(after);
      const r = await outcome(t.sendMail({ ...CLEAN }));
      expect(r.sent).toBe(false);
      expect(r.codes).toContain('EXPOSED_RECIPIENTS');
      await settle();
      expect(sink!.messages).toHaveLength(0);
    });
  }

  it('a stream plugin writing a Bcc field (SMTP does not strip it: every recipient would read it) is stopped', async () => {
    const t = await smtpTransport([['stream', (m, done) => (m.message.transform(prependField(`Bcc: ${EXTERNAL.join(', ')}`)), done())]]);
    const r = await outcome(t.sendMail({ ...CLEAN }));
    expect(r.sent).toBe(false);
    expect(sink!.messages).toHaveLength(0);
  });

  it('a pooled SMTP transport is watched the same way', async () => {
    const t = await smtpTransport([['stream', (m, done) => (m.message.setHeader('Cc', EXTERNAL.join(', ')), done())]], { policy: POLICY }, true);
    const r = await outcome(t.sendMail({ ...CLEAN }));
    expect(r.sent).toBe(false);
    expect(sink!.messages).toHaveLength(0);
    // The pool goes on: a clean message afterwards is delivered.
    const t2 = await smtpTransport([], { policy: POLICY }, true);
    await t2.sendMail({ ...CLEAN });
    expect(sink!.messages).toHaveLength(1);
  });

  it('the stream transport writes nothing for such a message', async () => {
    const t = nodemailer.createTransport({ streamTransport: true, buffer: true });
    t.use('compile', mailguard({ policy: POLICY }));
    t.use('stream', ((m: Mail, done: () => void) => (m.message.setHeader('Cc', EXTERNAL.join(', ')), done())) as never);
    const r = await outcome(t.sendMail({ ...CLEAN }));
    expect(r.sent).toBe(false);
    expect(r.codes).toContain('EXPOSED_RECIPIENTS');
  });
});

describe('plugins after mailguard that expose nobody still send', () => {
  it('a compile plugin that writes the html (a template plugin) and a stream plugin that adds a tracking field', async () => {
    const t = await smtpTransport([
      ['compile', (m, done) => ((m.data.html = '<p>hello</p>'), done())],
      ['stream', (m, done) => (m.message.setHeader('X-Campaign', 'spring'), done())],
    ]);
    await t.sendMail({ ...CLEAN });
    expect(sink!.messages).toHaveLength(1);
    const raw = sink!.messages[0]!.raw.toString('utf8');
    expect(raw).toContain('X-Campaign: spring');
    expect(raw).toContain('<p>hello</p>');
  });

  it('bcc mode: the rewritten message goes out as decided, to every recipient', async () => {
    const t = await smtpTransport([], { policy: POLICY, onViolation: 'bcc' });
    await t.sendMail({ from: 'sales@corp.example', to: EXTERNAL, text: 'hi' });
    expect(sink!.messages).toHaveLength(1);
    expect([...sink!.messages[0]!.rcptTo].sort()).toEqual([...EXTERNAL].sort());
    expect(sink!.messages[0]!.raw.toString('utf8')).not.toContain('ann@alpha.test');
  });

  it('a compile plugin that adds one more internal recipient sends to them as well', async () => {
    const t = await smtpTransport([['compile', (m, done) => ((m.data.cc = 'archive@corp.example'), done())]]);
    await t.sendMail({ ...CLEAN });
    expect([...sink!.messages[0]!.rcptTo].sort()).toEqual(['archive@corp.example', 'boss@corp.example']);
  });
});
