// End to end against Postfix from Debian packages, as the relay people really run.
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { startPostfix, type DeliveredMessage, type PostfixInstance } from '../helpers/postfix.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';

const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];
const EVERYONE = [...EXTERNAL, 'audit@corp.example', 'boss@corp.example'].sort();

let postfix: PostfixInstance;
beforeAll(async () => {
  // The fixtures' organisations are all local here, so Postfix delivers every copy to its Maildir.
  postfix = await startPostfix({ localDomains: ['inbox.test', 'corp.example', 'alpha.test', 'beta.test', 'gamma.test', 'delta.test', 'epsilon.test'] });
});

const headerOf = (m: DeliveredMessage) => m.raw.toString('latin1').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
const visibleOf = (m: DeliveredMessage) => headerOf(m).split(/\r?\n/).filter((l) => /^(to|cc):/i.test(l)).join('\n');
afterAll(async () => postfix?.stop());


/** The Maildir files delivered so far. Maildir names do not sort by arrival within one second,
 * so a test takes the copies whose files are new, never a slice of a sorted list. */
async function deliveredFiles(): Promise<Set<string>> {
  return new Set((await postfix.messages()).map((m) => m.file));
}

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

it('mailguard send --on-violation bcc through Postfix: every recipient gets one copy showing no external address and no Bcc', async () => {
  const before = await deliveredFiles();
  const r = await runCli(['send', path.join(FIXTURES, 'send-exposed.eml'), '--smtp', postfix.url, '--on-violation', 'bcc', '--internal-domain', 'corp.example']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const copies = (await postfix.waitForMessages(before.size + 7)).filter((m) => !before.has(m.file));
  expect(copies.map((m) => m.recipient).sort()).toEqual(EVERYONE);
  for (const m of copies) {
    for (const a of EXTERNAL) expect(visibleOf(m)).not.toContain(a);
    expect(headerOf(m)).not.toMatch(/^bcc:/im);
    expect(headerOf(m)).toContain('Message-ID: <send-exposed-1@corp.example>');
  }
});

it('mailguard send --on-violation split through Postfix: one message per recipient, each showing only its own external', async () => {
  const before = await deliveredFiles();
  const r = await runCli(['send', path.join(FIXTURES, 'send-exposed.eml'), '--smtp', postfix.url, '--on-violation', 'split', '--internal-domain', 'corp.example', '--pool', '2']);
  expect(r.code).toBe(0);
  const copies = (await postfix.waitForMessages(before.size + 7)).filter((m) => !before.has(m.file));
  expect(copies.map((m) => m.recipient).sort()).toEqual(EVERYONE);
  for (const m of copies) {
    const shown = EXTERNAL.filter((a) => visibleOf(m).includes(a));
    if (EXTERNAL.includes(m.recipient)) expect(shown).toEqual([m.recipient]);
    else expect(shown).toEqual([]);
    expect(headerOf(m)).not.toMatch(/^bcc:/im);
  }
  // Fresh Message-IDs: seven distinct copies, not one message delivered seven times.
  expect(new Set(copies.map((m) => /^Message-ID: (.+)$/im.exec(headerOf(m))![1])).size).toBe(7);
});

it('a recipient Postfix refuses makes mailguard send exit 2 and name it (masked); the others are delivered', async () => {
  const before = await deliveredFiles();
  const message = 'From: Sales <sales@corp.example>\nTo: Ann <ann@alpha.test>, Zed <zed@elsewhere.test>\nSubject: partial\nMessage-ID: <postfix-partial@corp.example>\n\nhi\n';
  const r = await runCli(['send', '-', '--smtp', postfix.url, '--internal-domain', 'corp.example', '--retries', '0'], { input: message });
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(/refused z\*\*\*@elsewhere\.test: 5\d\d /);
  // Postfix quotes the address in its reply; that is masked too.
  expect(r.stdout).not.toContain('zed@');
  const copies = (await postfix.waitForMessages(before.size + 1)).filter((m) => !before.has(m.file));
  expect(copies.map((m) => m.recipient)).toEqual(['ann@alpha.test']);
});
