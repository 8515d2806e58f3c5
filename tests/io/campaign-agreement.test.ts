// "What nodemailer will really write": `mailguard check campaign.json` and `mailguard send
// campaign.json` reach the same verdict on every message, and both see what nodemailer writes:
// fields from `headers` (object and array form), a `raw` message as it is, the `envelope`,
// Reply-To, encoded names. A table of the ways a list used to get past the check, then a
// property over generated message objects (the built CLI, both commands, one campaign file per run).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailguard } from '../../src/plugin/nodemailer.js';
import { runCli } from '../helpers/cli.js';
import { buildXlsx } from '../helpers/office-files.js';

const POLICY = ['--internal-domain', 'corp.example'];
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mailguard-agree-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const customers = (n: number, tag = 'c') => Array.from({ length: n }, (_, i) => `${tag}${i}@customer${i}.test`);
const from = 'Sales <sales@corp.example>';

type Verdicts = Array<{ source: string; verdict: string }>;

async function verdicts(messages: object[]): Promise<{ check: Verdicts; send: Verdicts; checkDoc: { results: Array<{ source: string; verdict: string; findings: Array<{ code: string; jsonPath?: string; line?: number }> }> } }> {
  const file = path.join(tmp, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(messages, null, 2));
  const check = await runCli(['check', file, '--format', 'json', ...POLICY]);
  const send = await runCli(['send', file, '--dry-run', '--format', 'json', ...POLICY]);
  const checkDoc = JSON.parse(check.stdout);
  const pick = (r: { source: string; verdict: string }) => ({ source: r.source.split('#')[1]!, verdict: r.verdict });
  return { check: checkDoc.results.map(pick), send: JSON.parse(send.stdout).results.map(pick), checkDoc };
}

/** Each a way the list reaches every recipient's screen (or not), and the verdict it must get. */
const CASES: Array<[string, Record<string, unknown>, 'pass' | 'warn' | 'block' | 'not pass']> = [
  ['headers object: a Cc list', { from, to: 'one@corp.example', headers: { Cc: customers(6).join(', ') } }, 'block'],
  ['headers object: a To list as an array of values', { from, headers: { To: customers(6) } }, 'block'],
  ['headers array form: [{ key: "Cc", value }]', { from, to: 'one@corp.example', headers: [{ key: 'Cc', value: customers(6).join(', ') }] }, 'block'],
  // Reply-To is seen by every recipient: at least a warning (whether it blocks is the policy's business).
  ['headers: Reply-To to six organisations', { from, to: 'one@corp.example', headers: { 'Reply-To': customers(6).join(', ') } }, 'not pass'],
  ['raw: a message with the list in To, sent unchanged', { raw: `From: sales@corp.example\r\nTo: ${customers(6).join(', ')}\r\nSubject: r\r\n\r\nx\r\n`, envelope: { from: 'sales@corp.example', to: customers(6) } }, 'block'],
  ['raw as { content }', { raw: { content: `From: sales@corp.example\r\nCc: ${customers(6).join(', ')}\r\n\r\nx\r\n` }, envelope: { from: 'sales@corp.example', to: ['x@customer0.test'] } }, 'block'],
  ['envelope to everyone, one visible recipient: Bcc-style, fine', { from, to: 'undisclosed-recipients:;', envelope: { from: 'sales@corp.example', to: customers(6) } }, 'pass'],
  ['bcc only: nobody visible', { from, bcc: customers(6) }, 'pass'],
  ['encoded names with commas and quotes, six organisations', { from, to: customers(6).map((address, i) => ({ name: `Müller, "K${i}"`, address })) }, 'block'],
  ['an internal all-hands', { from, to: Array.from({ length: 40 }, (_, i) => `p${i}@corp.example`) }, 'pass'],
  // Lists of several entries (arrays) next to what only nodemailer's build shows: each must be read
  // as nodemailer writes it, not as the strict model of the address keys alone.
  ['to as an array of two colleagues, a Cc list in headers', { from, to: ['one@corp.example', 'two@corp.example'], headers: { Cc: customers(6).join(', ') } }, 'block'],
  ['cc as an array of address objects, a To list in the headers array form', { from, cc: [{ name: 'One', address: 'one@corp.example' }, { name: 'Two', address: 'two@corp.example' }], headers: [{ key: 'To', value: customers(6).join(', ') }] }, 'block'],
  // Fields nodemailer's sendMail adds after compiling: written (and checked) as it writes them.
  ['list: { members } writes a List-Members list', { from, to: 'one@corp.example', list: { members: [customers(6).map((c) => `mailto:${c}`)] } }, 'block'],
  ['xMailer holding a list', { from, to: 'one@corp.example', xMailer: customers(6).join(', ') }, 'block'],
  ['priority "high" replaces a listed X-Priority from headers', { from, to: 'one@corp.example', priority: 'high', headers: { 'X-Priority': customers(6).join(', ') } }, 'pass'],
  ['replyTo as an array, a raw message showing the list', { from, replyTo: ['one@corp.example', 'two@corp.example'], raw: `From: sales@corp.example\r\nTo: ${customers(6).join(', ')}\r\nSubject: r\r\n\r\nx\r\n`, envelope: { from: 'sales@corp.example', to: customers(6) } }, 'block'],
];

describe('check and send see what nodemailer writes', () => {
  it('every case gets its verdict, the same from check and from send', async () => {
    const { check, send, checkDoc } = await verdicts(CASES.map(([, m]) => m));
    expect(check.map((r, i) => [CASES[i]![0], CASES[i]![2] === 'not pass' && r.verdict !== 'pass' ? 'not pass' : r.verdict])).toEqual(CASES.map(([n, , v]) => [n, v]));
    expect(send).toEqual(check);
    // Findings point at the JSON key that wrote the field.
    const headerFinding = checkDoc.results[0]!.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS')!;
    expect(headerFinding.jsonPath).toBe('[0].headers."Cc"');
    const rawFinding = checkDoc.results[4]!.findings.find((f) => f.code === 'EXPOSED_RECIPIENTS')!;
    expect(rawFinding.jsonPath).toBe('[4].raw');
  }, 60_000);

  it('a message whose address keys hold arrays is sent as nodemailer builds it (subject, body), not as the model of its addresses', async () => {
    const file = path.join(tmp, 'arrays.json');
    const message = { from: { name: 'Sales', address: 'sales@corp.example' }, to: ['one@corp.example', 'two@corp.example'], cc: ['three@corp.example', { name: 'Four', address: 'four@corp.example' }], subject: 'Quarterly figures', text: 'See you' };
    writeFileSync(file, JSON.stringify(message));
    const send = JSON.parse((await runCli(['send', file, '--dry-run', '--format', 'json', ...POLICY])).stdout);
    const header: string = send.results[0].transactions[0].header;
    expect(header).toContain('Subject: Quarterly figures\r\n');
    expect(header).toContain('Content-Type: text/plain');
  }, 60_000);

  // An unclosed quote in From or Sender (one address) decides nobody's delivery: checked as
  // nodemailer writes it, and never relayed as the strict model (From, To alone: no subject, no body).
  it.each([
    ['From', { from: '"Sales <sales@corp.example>', to: 'one@corp.example' }],
    ['Sender', { from: 'sales@corp.example', sender: '"Desk <desk@corp.example>', to: 'one@corp.example' }],
    ['From, next to an array of recipients', { from: '"Sales <sales@corp.example>', to: ['one@corp.example', 'two@corp.example'] }],
  ])('an unclear %s is sent as nodemailer builds the message, never as the model of its addresses', async (_, fields) => {
    const file = path.join(tmp, `unclear-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ ...fields, subject: 'Quarterly figures', text: 'See you' }));
    const send = JSON.parse((await runCli(['send', file, '--dry-run', '--from', 'sales@corp.example', '--format', 'json', ...POLICY])).stdout);
    const check = JSON.parse((await runCli(['check', file, '--format', 'json', ...POLICY])).stdout);
    expect(send.results[0].verdict).toBe(check.results[0].verdict);
    for (const t of send.results[0].transactions) expect(t.header).toContain('Subject: Quarterly figures\r\n');
  }, 60_000);

  it('a list in the text, the HTML, an alternative or an attachment (inline or a content file): check reads it as send does', async () => {
    const lines = customers(15, 'b').join('\n');
    const book = Buffer.from(buildXlsx([{ name: 'Hidden', state: 'hidden', rows: customers(12, 'h').map((a) => [a]) }])).toString('base64');
    writeFileSync(path.join(tmp, 'applicants.csv'), `email\n${customers(20, 'f').join('\n')}\n`);
    const one = { from, to: 'one@corp.example', subject: 'body' };
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['text', { ...one, text: `Applicants:\n${lines}` }, 'warn'],
      ['html', { ...one, html: `<ul>${customers(15, 'h').map((a) => `<li>${a}</li>`).join('')}</ul>` }, 'warn'],
      ['alternative', { ...one, text: 'hi', alternatives: [{ contentType: 'text/x-web-markdown', content: lines }] }, 'warn'],
      ['attachment (base64 content)', { ...one, text: 'see attached', attachments: [{ filename: 'applicants.xlsx', content: book, encoding: 'base64' }] }, 'block'],
      ['attachment (a content file)', { ...one, text: 'see attached', attachments: [{ path: 'applicants.csv' }] }, 'warn'],
      ['a short list in the text', { ...one, text: customers(3, 's').join(', ') }, 'pass'],
    ];
    const { check, send } = await verdicts(cases.map(([, m]) => m));
    expect(check.map((r, i) => [cases[i]![0], r.verdict])).toEqual(cases.map(([n, , v]) => [n, v]));
    expect(send).toEqual(check);
    // The header alone, as asked: every one of them passes.
    const file = path.join(tmp, 'header-only.json');
    writeFileSync(file, JSON.stringify(cases.map(([, m]) => m)));
    const headerOnly = JSON.parse((await runCli(['check', file, '--no-body-scan', '--format', 'json', ...POLICY])).stdout);
    expect(headerOnly.results.map((r: { verdict: string }) => r.verdict)).toEqual(cases.map(() => 'pass'));
  }, 60_000);

  it('the nodemailer plugin reaches the same verdicts (block throws EEXPOSED, the rest are sent)', async () => {
    const t = nodemailer.createTransport({ jsonTransport: true });
    t.use('compile', mailguard({ policy: { internalDomains: ['corp.example'] } }));
    for (const [name, message, verdict] of CASES) {
      const outcome = await t.sendMail({ ...message, text: 'hi' } as Parameters<typeof t.sendMail>[0]).then(
        () => 'sent',
        (err: { code?: string }) => err.code,
      );
      if (verdict !== 'not pass') expect([name, outcome]).toEqual([name, verdict === 'block' ? 'EEXPOSED' : 'sent']);
    }
  });
});

// --- The property: generated message objects ----------------------------------------------------

const local = fc.constantFrom('ann', 'bob', 'cy', 'dee', 'eve', 'fay', 'x.y', 'o+tag');
const domain = fc.constantFrom('corp.example', 'sub.corp.example', 'customer1.test', 'customer2.test', 'customer3.test', 'partner.test', 'shop.example', 'gmail.com', 'web.de');
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
const name = fc.constantFrom('', 'Ann', 'Müller, Kai', 'O\'Brien', '"Quoted"', 'José Ñandú', '日本語', 'a, b and c');
const mailbox = fc.oneof(address, fc.tuple(name, address).map(([n, a]) => ({ name: n, address: a })), fc.tuple(name, address).map(([n, a]) => (n ? `"${n.replace(/["\\]/g, '')}" <${a}>` : a)));
const list = fc.oneof(mailbox, fc.array(mailbox, { minLength: 1, maxLength: 7 }), fc.array(address, { minLength: 2, maxLength: 7 }).map((a) => a.join(', ')));
const headerName = fc.constantFrom('Cc', 'To', 'Reply-To', 'X-Customers', 'Bcc');
const headers = fc.oneof(
  fc.dictionary(headerName, fc.array(address, { minLength: 1, maxLength: 6 }).map((a) => a.join(', ')), { maxKeys: 2 }),
  fc.array(fc.record({ key: headerName, value: fc.array(address, { minLength: 1, maxLength: 6 }).map((a) => a.join(', ')) }), { minLength: 1, maxLength: 2 }),
);
const rawMessage = fc.record({ to: fc.array(address, { minLength: 1, maxLength: 7 }), cc: fc.array(address, { maxLength: 4 }) }).map(
  ({ to, cc }) => `From: sales@corp.example\r\nTo: ${to.join(', ')}\r\n${cc.length ? `Cc: ${cc.join(', ')}\r\n` : ''}Subject: generated\r\n\r\nBody.\r\n`,
);
const envelope = fc.record({ from: fc.constant('sales@corp.example'), to: fc.array(address, { minLength: 1, maxLength: 6 }) });

const message = fc.oneof(
  { weight: 4, arbitrary: fc.record({ from: fc.constant(from), to: list, cc: list, bcc: list, replyTo: list, headers, envelope, subject: fc.constant('generated') }, { requiredKeys: ['from'] }) },
  { weight: 1, arbitrary: fc.record({ raw: rawMessage, envelope }, { requiredKeys: ['raw'] }) },
);

describe('property: check campaign.json and send campaign.json agree on every message', () => {
  it('generated message objects: the same verdict from both commands', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 12, maxLength: 12 }), async (messages) => {
        const { check, send } = await verdicts(messages);
        expect(check).toHaveLength(messages.length);
        expect(send).toEqual(check);
      }),
      { numRuns: 5 },
    );
  }, 300_000);
});
