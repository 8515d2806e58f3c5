import nodemailer from 'nodemailer';
import { afterEach, expect, it } from 'vitest';
import { startSink, type Sink } from './smtp-sink.js';

let sink: Sink | undefined;
afterEach(async () => sink?.close());

it('the recording sink receives what nodemailer sends, and refuses what it is told to', async () => {
  sink = await startSink({ rcpt: (a) => (a.startsWith('bad') ? 550 : undefined) });
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
  const info = await t.sendMail({ envelope: { from: 'a@corp.example', to: ['b@x.test', 'bad@y.test'] }, raw: 'From: a@corp.example\r\nTo: b@x.test\r\n\r\nhi\r\n' });
  expect(info.rejected).toEqual(['bad@y.test']);
  expect(sink.messages).toHaveLength(1);
  expect(sink.messages[0]!.rcptTo).toEqual(['b@x.test']);
  expect(sink.messages[0]!.raw.toString()).toContain('To: b@x.test');
  t.close();
});
