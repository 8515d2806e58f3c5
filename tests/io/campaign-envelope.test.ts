// The envelope of a campaign message (what mailguard send relays to) holds the recipients its own
// header shows, as for the same message sent as a file (headerRecipients, sendmail -t): nodemailer
// builds it from To, Cc and Bcc only, so an Apparently-To given in `headers` was checked as a
// visible list but never delivered to, and a Bcc rewrite that moved its recipients dropped them.
// An explicit `envelope` and a `raw` message keep the envelope they name.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideDelivery } from '../../src/decide/index.js';
import { isFailure, readInputs, type InputItem } from '../../src/io/inputs.js';
import { headerRecipients } from '../../src/message/header-recipients.js';
import { createPolicy } from '../../src/policy/policy.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'] });
const from = 'Sales <sales@corp.example>';
const ext = (n: number, tag = 'c') => Array.from({ length: n }, (_, i) => `${tag}${i}@${tag}${i}-org.example`);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-campaign-envelope-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** The messages read from a campaign file of `messages`. */
async function read(messages: object[]): Promise<InputItem[]> {
  const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(messages));
  const out: InputItem[] = [];
  for await (const item of readInputs([file], { headersOnly: false })) out.push(item);
  return out;
}

/** The RCPT TO list of a campaign message, or its failure. */
async function rcptTo(message: object): Promise<string[] | string> {
  const [item] = await read([{ text: 'hi', ...message }]);
  if (isFailure(item!)) return item.failure.detail;
  return item!.envelope?.rcptTo ?? headerRecipients(item!.bytes);
}

describe('a campaign envelope takes the Apparently-To recipients of its header', () => {
  it.each<[string, object, string[]]>([
    ['Apparently-To in headers beside to', { from, to: 'one@corp.example', headers: { 'Apparently-To': ext(2).join(', ') } }, ['one@corp.example', ...ext(2)]],
    ['Apparently-To alone', { from, headers: { 'Apparently-To': ext(2).join(', ') } }, ext(2)],
    ['one Apparently-To per recipient, array form', { from, to: 'one@corp.example', headers: ext(3).map((value) => ({ key: 'Apparently-To', value })) }, ['one@corp.example', ...ext(3)]],
    ['an array of values', { from, cc: 'one@corp.example', headers: { 'Apparently-To': ext(2) } }, ['one@corp.example', ...ext(2)]],
    ['field name in any case', { from, to: 'one@corp.example', headers: { 'APPARENTLY-TO': ext(1)[0] } }, ['one@corp.example', ext(1)[0]!]],
    ['with display names', { from, to: 'one@corp.example', headers: { 'Apparently-To': ext(2).map((a, i) => `Customer ${i} <${a}>`).join(', ') } }, ['one@corp.example', ...ext(2)]],
    ['an address in to and in Apparently-To once', { from, to: ext(1)[0], headers: { 'Apparently-To': ext(2).join(', ') } }, ext(2)],
    ['with bcc', { from, to: 'one@corp.example', bcc: 'hidden@corp.example', headers: { 'Apparently-To': ext(1)[0] } }, ['one@corp.example', 'hidden@corp.example', ext(1)[0]!]],
    // What the message object names explicitly is what nodemailer and mailguard send deliver to.
    ['an explicit envelope is kept', { from, to: 'one@corp.example', headers: { 'Apparently-To': ext(2).join(', ') }, envelope: { from: 'sales@corp.example', to: ['one@corp.example'] } }, ['one@corp.example']],
    ['raw with its own envelope is kept', { raw: `From: sales@corp.example\r\nTo: one@corp.example\r\nApparently-To: ${ext(2).join(', ')}\r\n\r\nx\r\n`, envelope: { from: 'sales@corp.example', to: ['one@corp.example'] } }, ['one@corp.example']],
    ['raw without an envelope: its header', { raw: `From: sales@corp.example\r\nTo: one@corp.example\r\nApparently-To: ${ext(2).join(', ')}\r\n\r\nx\r\n` }, ['one@corp.example', ...ext(2)]],
  ])('%s', async (_name, message, expected) => {
    expect(await rcptTo(message)).toEqual(expected);
  });

  it('a value nodemailer writes as one encoded word (quoted names) is refused, never guessed into an envelope', async () => {
    const [item] = await read([{ from, to: 'one@corp.example', headers: { 'Apparently-To': ext(2).map((a, i) => `"Customer ${i}" <${a}>`).join(', ') }, text: 'hi' }]);
    if (isFailure(item!)) throw new Error(item.failure.detail);
    const decision = decideDelivery(item!.bytes, POLICY, { onViolation: 'bcc', envelope: item!.envelope! });
    expect(decision.action).toBe('block');
    expect(decision.result.findings.map((f) => f.code)).toContain('AMBIGUOUS_RECIPIENT');
  });

  it('a Bcc rewrite of the campaign keeps delivering to the Apparently-To recipients it moved', async () => {
    const [item] = await read([{ from, to: 'one@corp.example', headers: { 'Apparently-To': ext(5).join(', ') }, text: 'hi' }]);
    if (isFailure(item!)) throw new Error(item.failure.detail);
    const decision = decideDelivery(item!.bytes, POLICY, { onViolation: 'bcc', envelope: item!.envelope! });
    expect(decision.action).toBe('rewrite');
    const [t] = [...decision.transactions()];
    expect(Buffer.from(t!.bytes).toString('latin1')).not.toMatch(/^Apparently-To:/im);
    expect(t!.envelope.rcptTo).toEqual(['one@corp.example', ...ext(5)]);
  });
});
