// Where an mbox splits into messages: after a blank line at a `From ` line (as always), and at a
// whole mbox `From ` line even without one (Python's mailbox module splits there: a message that
// followed without a blank line was read as the body of the one before, its list never checked).
// A body line that merely starts with "From " stays body.
import { describe, expect, it } from 'vitest';
import { readMbox } from '../../src/io/formats/mbox.js';

async function split(text: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of readMbox([Buffer.from(text, 'latin1')], 'box', undefined, false)) out.push(Buffer.from(m.bytes).toString('latin1'));
  return out;
}

describe('readMbox boundaries', () => {
  it.each([
    ['a sender and an asctime date', 'From me@corp.example Mon Jan  1 00:00:00 2024'],
    ["Thunderbird's '-' sender", 'From - Tue Nov 24 10:00:00 2026'],
    ['a time zone before the year', 'From me@corp.example Sun Dec  6 01:02:03 UTC 2026'],
    ['no seconds', 'From x@y.example Fri Feb 13 23:31 2009'],
    ['CRLF line ends', 'From me@corp.example Mon Jan  1 00:00:00 2024\r'],
  ])('a whole From_ line without a blank line before it starts a message (%s)', async (_name, fromLine) => {
    const eol = fromLine.endsWith('\r') ? '\r\n' : '\n';
    const line = fromLine.replace(/\r$/, '');
    const msgs = await split([`${line}`, 'From: me@corp.example', 'To: a@corp.example', '', 'hi', `${line}`, 'From: me@corp.example', 'To: u0@org0.test, u1@org1.test', '', 'list', ''].join(eol));
    expect(msgs).toHaveLength(2);
    expect(msgs[1]).toContain('To: u0@org0.test, u1@org1.test');
    expect(msgs[0]).not.toContain('u0@org0.test');
  });

  it('a body line that only starts with "From " is body', async () => {
    const msgs = await split(['From me@corp.example Mon Jan  1 00:00:00 2024', 'From: me@corp.example', 'To: a@corp.example', '', 'hi', 'From the desk of the CEO', 'From me, with thanks', 'To: u0@org0.test', ''].join('\n'));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toContain('From the desk of the CEO');
  });

  it('a blank line before a From line still splits, whatever follows "From "', async () => {
    expect(await split(['From a', 'To: x@y.test', '', 'body', '', 'From b', 'To: z@y.test', '', 'body2', ''].join('\n'))).toHaveLength(2);
  });
});
