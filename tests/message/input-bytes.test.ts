// The library's message-taking functions (src/index.ts over src/message/input-bytes.ts) read the
// message however a JavaScript caller hands it over: a Buffer, its text, an ArrayBuffer, a view at
// an offset. Each gives what the same function gives for a Buffer; what is no message at all is a
// usage error naming the function, never a TypeError from inside the parser.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MailguardError } from '../../src/errors.js';
import * as lib from '../../src/index.js';

const POLICY = lib.createPolicy({ internalDomains: ['corp.example'] });
const EXTERNAL = Array.from({ length: 6 }, (_, i) => `p${i}@org${i}.test`);
const TEXT = `From: sales@corp.example\r\nTo: ${EXTERNAL.join(', ')}\r\nBcc: boss@corp.example\r\nSubject: Grüße\r\n\r\nHello.\r\n`;
const BYTES = Buffer.from(TEXT, 'utf8');
const TRANSCRIPT = 'EHLO a\r\nMAIL FROM:<sales@corp.example>\r\nRCPT TO:<p0@org0.test>\r\nDATA\r\n' + TEXT + '.\r\nQUIT\r\n';

/** The bytes inside a larger buffer of other bytes. */
function inside(bytes: Buffer): { buffer: ArrayBuffer; offset: number } {
  const all = new Uint8Array(bytes.length + 40);
  all.fill(0x41);
  all.set(bytes, 20);
  return { buffer: all.buffer, offset: 20 };
}

const FORMS: Array<[string, (b: Buffer) => unknown]> = [
  ['the text (UTF-8)', (b) => b.toString('utf8')],
  ['an ArrayBuffer', (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length)],
  ['a Uint8Array at an offset', (b) => new Uint8Array(inside(b).buffer, inside(b).offset, b.length)],
  ['a DataView at an offset', (b) => new DataView(inside(b).buffer, inside(b).offset, b.length)],
];

const norm = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? Buffer.from(x).toString('latin1') : x)));

const CALLS: Array<[string, (m: never) => unknown, Buffer]> = [
  ['locateBodyStart', (m) => lib.locateBodyStart(m), BYTES],
  ['readHeaderBlock', (m) => lib.readHeaderBlock(m).fields.length, BYTES],
  ['parseMessage', (m) => lib.parseMessage(m).addresses.map((a) => a.mailbox.address), BYTES],
  ['headerRecipients', (m) => lib.headerRecipients(m), BYTES],
  ['stripBcc', (m) => lib.stripBcc(m), BYTES],
  ['rewriteToBcc', (m) => lib.rewriteToBcc(m, POLICY), BYTES],
  ['splitMessage', (m) => lib.splitMessage(m, POLICY).messages.length, BYTES],
  ['parseSmtpTranscript', (m) => lib.parseSmtpTranscript(m).transactions.length, Buffer.from(TRANSCRIPT, 'utf8')],
  ['checkMessage', (m) => lib.checkMessage(m, POLICY).verdict, BYTES],
];

describe('the library reads a message however it is handed over', () => {
  for (const [name, call, bytes] of CALLS) {
    it.each(FORMS)(`${name}: %s gives what a Buffer gives`, (_form, make) => {
      const expected = norm(call(bytes as never));
      expect(norm(call(make(bytes) as never))).toEqual(expected);
    });
    it.each([
      ['null', () => null],
      ['a stream', () => Readable.from([TEXT])],
      ['a number', () => 7],
      ['an array of numbers', () => [...BYTES]],
    ])(`${name}: %s is a usage error naming ${name}`, (_what, make) => {
      let thrown: unknown;
      try {
        call(make() as never);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(MailguardError);
      expect((thrown as MailguardError).code).toBe('EUSAGE');
      expect((thrown as Error).message).toContain(`${name} takes the message`);
    });
  }

  it('headerRecipients still takes a parsed message', () => {
    expect(lib.headerRecipients(lib.parseMessage(BYTES))).toEqual(lib.headerRecipients(BYTES));
  });

  it('the recipients are read from the bytes a view covers, not the buffer around them', () => {
    expect(lib.headerRecipients(new DataView(inside(BYTES).buffer, inside(BYTES).offset, BYTES.length))).toEqual([...EXTERNAL, 'boss@corp.example']);
  });
});
