// fix leaves a clean message untouched and, with one message in, copies it to -o FILE or stdout.
// An input that carries an envelope (an SMTP transcript's RCPT TO, a campaign's bcc) reaches
// people its header does not name: the copy, a draft, reaches only those its header names, so
// "fix t.smtp -o d.eml && send d.eml" lost the blind recipients with exit 0. A copy is now made
// only when it reaches the people the envelope names; otherwise fix refuses (exit 2), as it
// refuses a rewrite of such a message.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-relay3-fix-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const POLICY = ['--internal-domain', 'corp.example'];

function transcript(rcpts: string[], header: string): string {
  return ['EHLO x', 'MAIL FROM:<ann@corp.example>', ...rcpts.map((r) => `RCPT TO:<${r}>`), 'DATA', ...header.split('\n'), 'Subject: hi', '', 'hello', '.', 'QUIT', ''].join('\r\n');
}

function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const lost: Array<[string, string]> = [
  ['one blind recipient', transcript(['bob@corp.example', 'hidden@other.example'], 'From: ann@corp.example\nTo: bob@corp.example')],
  ['several blind recipients, internal ones too', transcript(['bob@corp.example', 'x@partner.example', 'y@corp.example'], 'From: ann@corp.example\nTo: bob@corp.example')],
  ['RCPT only, To shows undisclosed-recipients', transcript(['c1@cust1.example', 'c2@cust2.example'], 'From: ann@corp.example\nTo: undisclosed-recipients:;')],
  ['the header names someone not in the envelope', transcript(['bob@corp.example'], 'From: ann@corp.example\nTo: bob@corp.example, carl@corp.example')],
  ['resent: RCPT TO names the original To, not the Resent-To', transcript(['bob@corp.example', 'carl@corp.example'], 'From: zed@corp.example\nTo: bob@corp.example\nResent-From: ann@corp.example\nResent-To: carl@corp.example')],
];

describe('fix copies an untouched message only when the copy reaches its envelope', () => {
  it.each(lost)('%s: -o FILE is refused and writes nothing', async (name, text) => {
    const input = file(`${name.replace(/\W+/g, '-')}.smtp`, text);
    const out = path.join(tmp, `${name.replace(/\W+/g, '-')}.eml`);
    const r = await runCli(['fix', input, '-o', out, ...POLICY]);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(r.stdout + r.stderr).toContain('a copy of it as a draft reaches only the recipients its header names');
    expect(r.stdout + r.stderr).toContain('mailguard send');
  });

  it.each(lost)('%s: stdout gets no message', async (_name, text) => {
    const r = await runCli(['fix', '-', ...POLICY], { input: text });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('a campaign message with bcc: its compiled copy would not reach the bcc', async () => {
    const input = file('bcc.json', JSON.stringify({ messages: [{ from: 'news@corp.example', subject: 'x', to: 'news@corp.example', bcc: ['c1@customer1.test', 'c2@customer2.test'], text: 'Hello all' }] }));
    const out = path.join(tmp, 'bcc.eml');
    const r = await runCli(['fix', input, '-o', out, ...POLICY]);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('the masked report names no address', async () => {
    const r = await runCli(['fix', file('masked.smtp', lost[0]![1]), '--format', 'json', ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain('hidden@other.example');
  });
});

describe('controls: copies that reach the same people are still made', () => {
  it('RCPT TO names exactly To and Cc (case differs): copied unchanged', async () => {
    const text = transcript(['Bob@corp.example', 'eve@PARTNER.example'], 'From: ann@corp.example\nTo: bob@corp.example\nCc: eve@partner.example');
    const out = path.join(tmp, 'same.eml');
    const r = await runCli(['fix', file('same.smtp', text), '-o', out, ...POLICY]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'latin1')).toContain('To: bob@corp.example');
  });

  it('a resent message whose RCPT TO is its Resent-To: the copy reaches them as send and sendmail -t read it', async () => {
    const text = transcript(['carl@corp.example'], 'From: zed@corp.example\nTo: bob@corp.example\nResent-From: ann@corp.example\nResent-To: carl@corp.example');
    const r = await runCli(['fix', '-', ...POLICY], { input: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Resent-To: carl@corp.example');
  });

  it('the blind recipient is in the Bcc field the copy keeps', async () => {
    const text = transcript(['bob@corp.example', 'hidden@other.example'], 'From: ann@corp.example\nTo: bob@corp.example\nBcc: hidden@other.example');
    const r = await runCli(['fix', '-', ...POLICY], { input: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Bcc: hidden@other.example');
  });

  it('a dry run and -o DIR copy nothing, so nothing is lost: left untouched, exit 0', async () => {
    const input = file('dry.smtp', lost[0]![1]);
    expect((await runCli(['fix', input, '--dry-run', ...POLICY])).code).toBe(0);
    const dir = path.join(tmp, 'outdir') + path.sep;
    const r = await runCli(['fix', input, '-o', dir, ...POLICY]);
    expect(r.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('a plain message without an envelope is copied as before', async () => {
    const out = path.join(tmp, 'plain.eml');
    const r = await runCli(['fix', file('plain.eml', 'From: ann@corp.example\r\nTo: bob@corp.example\r\nSubject: x\r\n\r\nhi\r\n'), '-o', out, ...POLICY]);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});
