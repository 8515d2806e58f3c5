// End to end against Postfix from Debian packages, as the relay people really run.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPostfix, type PostfixInstance } from '../helpers/postfix.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';

let postfix: PostfixInstance;
beforeAll(async () => {
  postfix = await startPostfix();
});
afterAll(async () => postfix?.stop());

it('the private Postfix delivers its test domain to its Maildir and refuses to relay elsewhere', async () => {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: postfix.port, secure: false, ignoreTLS: true });
  const info = await t.sendMail({ envelope: { from: 'a@corp.example', to: ['bob@inbox.test', 'x@elsewhere.test'] }, raw: 'From: a@corp.example\r\nTo: bob@inbox.test\r\nSubject: helper\r\n\r\nhi\r\n' });
  t.close();
  expect(info.accepted).toEqual(['bob@inbox.test']);
  expect(info.rejected).toEqual(['x@elsewhere.test']);
  const got = await postfix.waitForMessages(1);
  expect(got.map((m) => m.recipient)).toEqual(['bob@inbox.test']);
  expect(got[0]!.raw.toString()).toContain('Subject: helper');
});

it('with a content filter, Postfix hands queued mail to the filter port', async () => {
  let sink: Sink | undefined;
  let filtered: PostfixInstance | undefined;
  try {
    sink = await startSink();
    filtered = await startPostfix({ contentFilter: { port: sink.port } });
    expect(filtered.reinjectPort).toBeGreaterThan(0);
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: filtered.port, secure: false, ignoreTLS: true });
    await t.sendMail({ envelope: { from: 'a@corp.example', to: ['carol@inbox.test'] }, raw: 'From: a@corp.example\r\nTo: carol@inbox.test\r\nSubject: filtered\r\n\r\nhi\r\n' });
    t.close();
    const until = Date.now() + 15_000;
    while (sink.messages.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(sink.messages[0]?.rcptTo).toEqual(['carol@inbox.test']);
    // Re-injection port delivers without filtering again.
    const r = nodemailer.createTransport({ host: '127.0.0.1', port: filtered.reinjectPort!, secure: false, ignoreTLS: true });
    await r.sendMail({ envelope: { from: 'a@corp.example', to: ['carol@inbox.test'] }, raw: sink.messages[0]!.raw });
    r.close();
    const delivered = await filtered.waitForMessages(1);
    expect(delivered[0]!.raw.toString()).toContain('Subject: filtered');
    expect(sink.messages).toHaveLength(1);
  } finally {
    await filtered?.stop();
    await sink?.close();
  }
});
