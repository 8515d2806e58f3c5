// checkMessage's input (src/analyse.ts) as JavaScript callers hand it: the message's bytes in any
// binary form, or its text. Each row: the input, then the verdict and codes. What is no message at
// all (a stream, null) is a usage error with a code, never a TypeError from deep inside the
// parser; a view over other bytes is read as its own bytes only, not as 16-bit or offset garbage
// (which read as an unreadable message: verdict error, that the README's example let through).
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../src/analyse.js';
import { MailguardError } from '../src/errors.js';
import { createPolicy } from '../src/policy/policy.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'] });
const EXTERNAL = Array.from({ length: 12 }, (_, i) => `p${i}@org${i}.test`);
const TEXT = `From: sales@corp.example\r\nTo: ${EXTERNAL.join(', ')}\r\nSubject: offer\r\n\r\nHello.\r\n`;
const BYTES = Buffer.from(TEXT, 'utf8');
if (BYTES.length % 2 !== 0) throw new Error('the Uint16Array row needs an even byte count');

/** BYTES inside a larger buffer whose other bytes hold a clean message. */
function inside(): { buffer: ArrayBuffer; offset: number } {
  const clean = Buffer.from('From: sales@corp.example\r\nTo: boss@corp.example\r\n\r\nx\r\n');
  const all = new Uint8Array(clean.length + BYTES.length + clean.length);
  all.set(clean, 0);
  all.set(BYTES, clean.length);
  all.set(clean, clean.length + BYTES.length);
  return { buffer: all.buffer, offset: clean.length };
}

describe('checkMessage reads the message however its bytes are given', () => {
  it.each([
    ['a Buffer', () => BYTES],
    ['the text as a string (UTF-8)', () => TEXT],
    ['a Uint8Array view at an offset in a larger buffer', () => new Uint8Array(inside().buffer, inside().offset, BYTES.length)],
    ['an ArrayBuffer', () => BYTES.buffer.slice(BYTES.byteOffset, BYTES.byteOffset + BYTES.length)],
    ['a DataView at an offset', () => new DataView(inside().buffer, inside().offset, BYTES.length)],
    ['a Uint16Array over the bytes (an even count)', () => {
      const even = new ArrayBuffer(BYTES.length);
      new Uint8Array(even).set(BYTES);
      return new Uint16Array(even);
    }],
  ])('%s: block, 12 external addresses', (_name, input) => {
    const result = checkMessage(input() as Uint8Array, POLICY);
    expect(result.verdict).toBe('block');
    expect(result.findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
    expect(result.recipients.externalAddresses).toBe(12);
  });

  it.each([
    ['a stream', () => Readable.from([TEXT])],
    ['null', () => null],
    ['undefined', () => undefined],
    ['a number', () => 42],
    ['a plain object', () => ({ raw: TEXT })],
    ['an array of numbers', () => [...BYTES]],
  ])('%s: a usage error naming what to give', (_name, input) => {
    let thrown: unknown;
    try {
      checkMessage(input() as unknown as Uint8Array, POLICY);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MailguardError);
    expect((thrown as MailguardError).code).toBe('EUSAGE');
    expect((thrown as Error).message).toMatch(/Buffer/);
  });
});
