// `mailguard milter` inside a real Postfix (tests/helpers/postfix.ts, 127.0.0.1 only): one
// Postfix with three SMTP listeners, each with its own milter (block, bcc, hold) through
// smtpd_milters; the block milter is also the non_smtpd_milters of the sendmail command. The bcc
// milter listens on a unix socket (no reply before the end of the message, see
// src/milter/session.ts), the others on TCP (every envelope step answered). swaks is the mail
// client; each delivered Maildir copy (or the hold queue) is the assertion.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/cli.js';
import { freePort, startPostfix, type DeliveredMessage, type PostfixInstance } from '../helpers/postfix.js';
import { spawnMilter, type MilterProcess } from './milter-process.js';

const DOMAINS = ['inbox.test', 'customer1.test', 'customer2.test', 'customer3.test'];
const POLICY = ['--internal-domain', 'inbox.test', '--block-at', '2', '--warn-at', '2'];
const CUSTOMERS = ['c1@customer1.test', 'c2@customer2.test', 'c3@customer3.test'];

let postfix: PostfixInstance | undefined;
let socketDir: string | undefined;
const milters: Record<'block' | 'bcc' | 'hold', MilterProcess | undefined> = { block: undefined, bcc: undefined, hold: undefined };
const ports: Record<'block' | 'bcc' | 'hold', number> = { block: 0, bcc: 0, hold: 0 };

beforeAll(async () => {
  // Postfix's smtpd and cleanup connect as the postfix user: the directory must let them in.
  socketDir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-milter-sock-'));
  await chmod(socketDir, 0o755);
  for (const mode of ['block', 'bcc', 'hold'] as const) milters[mode] = await spawnMilter(['--on-violation', mode, ...POLICY], mode === 'bcc' ? `unix:${path.join(socketDir, 'bcc.sock')}` : undefined);
  ports.bcc = await freePort();
  ports.hold = await freePort();
  const listener = (port: number, milter: string) => [`127.0.0.1:${port} inet n - n - - smtpd`, `  -o smtpd_milters=${milter}`];
  postfix = await startPostfix({
    localDomains: DOMAINS,
    milter: milters.block!.address,
    masterCf: [...listener(ports.bcc, milters.bcc!.address), ...listener(ports.hold, milters.hold!.address)],
  });
  ports.block = postfix.port;
}, 90_000);

afterAll(async () => {
  await postfix?.stop();
  for (const m of Object.values(milters)) await m?.stop();
  if (socketDir) await rm(socketDir, { recursive: true, force: true });
});

function message(subject: string, fields: string[], body = 'Dear all,\r\nthe agenda is attached.\r\n'): string {
  return [`From: Alice <alice@inbox.test>`, ...fields, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W+/g, '-')}@inbox.test>`, '', body].join('\r\n');
}

/** swaks to a listener; returns the reply to the end of DATA (or the first refusal) and the transcript. */
async function swaks(port: number, to: string[], data: string): Promise<{ reply: string; transcript: string }> {
  const r = await runProcess('swaks', ['--server', `127.0.0.1:${port}`, '--from', 'alice@inbox.test', '--to', to.join(','), '--data', '-', '--timeout', '30'], { input: data, timeoutMs: 40_000 });
  const lines = r.stdout.split('\n');
  const afterDot = lines.findIndex((l) => /^ -> \.$/.test(l) || /^ ~> \.$/.test(l));
  const replies = lines.filter((l) => /^<[~*]{0,2}\*?\s+\d{3}[ -]/.test(l) || /^<\*\*/.test(l));
  const reply = afterDot !== -1 ? (lines.slice(afterDot + 1).find((l) => /^<.*\d{3} /.test(l)) ?? '') : (replies.find((l) => l.startsWith('<**')) ?? '');
  return { reply: reply.replace(/^<\S*\s+/, ''), transcript: r.stdout + r.stderr };
}

async function copiesOf(subject: string): Promise<DeliveredMessage[]> {
  return (await postfix!.messages()).filter((m) => m.raw.toString('latin1').includes(`Subject: ${subject}\n`));
}

async function waitForCopies(subject: string, count: number, timeoutMs = 20_000): Promise<DeliveredMessage[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await copiesOf(subject);
    if (got.length >= count) return got;
    if (Date.now() > until) throw new Error(`expected ${count} copies of "${subject}", found ${got.length}. Postfix log:\n${await postfix!.log()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The header block of a delivered copy, without the delivery fields that name its recipient. */
function headerOf(m: DeliveredMessage): string {
  const text = m.raw.toString('latin1');
  return text.slice(0, text.indexOf('\n\n') + 1).replace(/^(Return-Path|X-Original-To|Delivered-To): .*\n/gm, '');
}

const settle = () => new Promise((r) => setTimeout(r, 1500));

describe('milter with --on-violation block (smtpd_milters)', () => {
  it('refuses exposed messages with 550 5.7.1 at the end of DATA, naming no address, and delivers nothing', async () => {
    const variants = [
      { subject: 'exposed in To', fields: [`To: ${CUSTOMERS.join(', ')}`, 'Cc: bob@inbox.test'] },
      { subject: 'exposed in Cc', fields: ['To: bob@inbox.test', `Cc: ${CUSTOMERS.join(',\r\n\t')}`] },
      { subject: 'exposed over two To fields', fields: [`To: ${CUSTOMERS[0]}`, `To: ${CUSTOMERS[1]}, ${CUSTOMERS[2]}`] },
    ];
    for (const v of variants) {
      const { reply, transcript } = await swaks(ports.block, [...CUSTOMERS, 'bob@inbox.test'], message(v.subject, v.fields));
      expect(reply, transcript).toMatch(/^550 5\.7\.1 Blocked by mailguard: 3 external addresses from 3 organisations visible in /);
      expect(reply).not.toContain('@');
    }
    await settle();
    for (const v of variants) expect(await copiesOf(v.subject)).toHaveLength(0);
    const blocked = milters.block!.events.filter((e) => e.event === 'message' && e.action === 'blocked');
    expect(blocked.length).toBeGreaterThanOrEqual(3);
    // Logged masked, with the queue id Postfix gave the message.
    expect(blocked[0]).toMatchObject({ from: 'a***@inbox.test', recipients: 4, verdict: 'block', findings: expect.arrayContaining(['EXPOSED_RECIPIENTS']) });
    expect(String(blocked[0]!.queueId)).toMatch(/^[0-9A-F]+$/);
    expect(JSON.stringify(blocked)).not.toMatch(/c1@customer1/);
  });

  it('delivers clean messages unchanged, byte for byte in the header and body', async () => {
    const cases = [
      { subject: 'clean internal', fields: ['To: Bob <bob@inbox.test>', 'Cc: carol@inbox.test'], to: ['bob@inbox.test', 'carol@inbox.test'] },
      { subject: 'clean one customer', fields: [`To: ${CUSTOMERS[0]}`, 'X-Folded: one\r\n two\r\n\tthree', 'X-Spaces:   three spaces'], to: [CUSTOMERS[0]!] },
    ];
    for (const c of cases) {
      const data = message(c.subject, c.fields, 'Line one\r\n.. dot-stuffed line\r\nlast line\r\n');
      const { reply, transcript } = await swaks(ports.block, c.to, data);
      expect(reply, transcript).toMatch(/^250 /);
      const copies = await waitForCopies(c.subject, c.to.length);
      expect(copies.map((m) => m.recipient).sort()).toEqual([...c.to].sort());
      const text = copies[0]!.raw.toString('latin1');
      for (const f of c.fields) expect(text).toContain(f.replace(/\r\n/g, '\n'));
      expect(text).toContain('\n\nLine one\n.. dot-stuffed line\nlast line\n');
    }
    expect(milters.block!.events.some((e) => e.event === 'message' && e.action === 'accepted' && e.verdict === 'pass')).toBe(true);
  });

  // Postfix ends the header at the first line that is not a header field and delivers what
  // follows with no blank line (Return-Path ... Date, then `.`, then the Cc field): readers that
  // skip the bad line show the list. The milter gets the same body whether a blank line was
  // written or not, so it refuses a first paragraph that would expose a list as header fields.
  it('refuses a list after a line that ends the header early (a dot, a word, a BOM and From line); delivers such a body after a blank line when it shows no list', async () => {
    const head = (subject: string) => [`From: Alice <alice@inbox.test>`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W+/g, '-')}@inbox.test>`];
    const refused = [
      { subject: 'early end dot', lines: ['.', `Cc: ${CUSTOMERS.join(', ')}`] },
      { subject: 'early end word', lines: ['thanks', `To: ${CUSTOMERS.join(',\r\n ')}`] },
      { subject: 'early end bom', lines: ['\ufeffFrom alice@inbox.test Mon Jan  1 00:00:00 2024', `Cc: ${CUSTOMERS.join(', ')}`] },
    ];
    for (const v of refused) {
      const { reply, transcript } = await swaks(ports.block, [...CUSTOMERS, 'bob@inbox.test'], [...head(v.subject), ...v.lines, '', 'Dear all,', ''].join('\r\n'));
      expect(reply, transcript).toMatch(/^550 5\.7\.1 Blocked by mailguard: /);
      expect(reply).not.toContain('@');
    }
    // The same first lines after a blank line, with one customer: no list either way.
    const { reply, transcript } = await swaks(ports.block, [CUSTOMERS[0]!], [...head('early end one'), `To: ${CUSTOMERS[0]}`, '', '.', `Cc: ${CUSTOMERS[0]}`, '', 'Dear all,', ''].join('\r\n'));
    expect(reply, transcript).toMatch(/^250 /);
    expect(await waitForCopies('early end one', 1)).toHaveLength(1);
    await settle();
    for (const v of refused) expect(await copiesOf(v.subject)).toHaveLength(0);
    const logged = milters.block!.events.filter((e) => e.event === 'message' && e.action === 'blocked' && (e.findings as string[]).includes('MALFORMED_HEADER'));
    expect(logged.length).toBeGreaterThanOrEqual(3);
  });

  it('the sendmail command (non_smtpd_milters): a blocked message reaches no recipient, a clean one is delivered', async () => {
    const exposed = message('sendmail exposed', [`To: ${CUSTOMERS.join(', ')}`, 'Cc: bob@inbox.test']);
    const clean = message('sendmail clean', ['To: bob@inbox.test']);
    expect((await postfix!.sendmail(['-t', '-i', '-f', 'alice@inbox.test'], exposed.replace(/\r\n/g, '\n'))).code).toBe(0);
    expect((await postfix!.sendmail(['-t', '-i', '-f', 'alice@inbox.test'], clean.replace(/\r\n/g, '\n'))).code).toBe(0);
    await waitForCopies('sendmail clean', 1);
    // The seventh blocked message of this file (six came through SMTP in the tests above).
    await milters.block!.waitFor(() => milters.block!.events.filter((e) => e.event === 'message' && e.action === 'blocked').length >= 7);
    await settle();
    const copies = await copiesOf('sendmail exposed');
    // Only the bounce to the sender may quote it; none of the four recipients got it.
    expect(copies.filter((m) => m.recipient !== 'alice@inbox.test')).toHaveLength(0);
    const bounce = (await postfix!.messages()).find((m) => m.recipient === 'alice@inbox.test' && m.raw.toString('latin1').includes('sendmail exposed'));
    expect(bounce?.raw.toString('latin1')).toMatch(/Status: 5\.7\.1\n[^]*Diagnostic-Code: X-Postfix; Blocked by mailguard: 3 external addresses/);
  });
});

describe('milter with --on-violation bcc, on a unix socket: header edits on the MTA, envelope kept', () => {
  it('moves the external recipients out of To into the envelope only: every recipient gets a copy that shows no external list', async () => {
    const to = [...CUSTOMERS, 'bob@inbox.test'];
    const { reply, transcript } = await swaks(ports.bcc, to, message('bcc rewrite to', [`To: ${CUSTOMERS.map((c, i) => `Customer ${i} <${c}>`).join(', ')}`, 'Cc: Bob <bob@inbox.test>']));
    expect(reply, transcript).toMatch(/^250 /);
    const copies = await waitForCopies('bcc rewrite to', 4);
    expect(copies.map((m) => m.recipient).sort()).toEqual([...to].sort());
    for (const m of copies) {
      const header = headerOf(m);
      for (const c of CUSTOMERS) expect(header).not.toContain(c);
      expect(header).toMatch(/^To: undisclosed-recipients:;$/m);
      expect(header).toMatch(/^Cc: Bob <bob@inbox\.test>$/m);
      expect(header).not.toMatch(/^Bcc:/im);
      expect(m.raw.toString('latin1')).toContain('\n\nDear all,\nthe agenda is attached.\n');
    }
    const event = await milters.bcc!.waitFor((e) => e.event === 'message' && e.action === 'rewritten-bcc');
    expect(event.edits).toBeGreaterThanOrEqual(1);
  });

  it('inserts To where the rewrite put it when only Cc carried the list (SMFIR_INSHEADER position)', async () => {
    const to = [...CUSTOMERS, 'bob@inbox.test'];
    const { reply, transcript } = await swaks(ports.bcc, to, message('bcc rewrite cc', ['X-Before: 1', `Cc: ${CUSTOMERS.join(', ')}, bob@inbox.test`, 'X-After: 2']));
    expect(reply, transcript).toMatch(/^250 /);
    const copies = await waitForCopies('bcc rewrite cc', 4);
    for (const m of copies) {
      const header = headerOf(m);
      expect(header).toMatch(/^X-Before: 1\nTo: undisclosed-recipients:;\nCc: bob@inbox\.test\nX-After: 2$/m);
      for (const c of CUSTOMERS) expect(header).not.toContain(c);
    }
  });

  it('removes a Bcc field from a clean message (CHGHEADER delete), as every relaying adapter does', async () => {
    const { reply } = await swaks(ports.bcc, ['bob@inbox.test', 'carol@inbox.test'], message('bcc field removed', ['To: bob@inbox.test', 'Bcc: carol@inbox.test']));
    expect(reply).toMatch(/^250 /);
    const copies = await waitForCopies('bcc field removed', 2);
    for (const m of copies) expect(headerOf(m)).not.toMatch(/^Bcc:/im);
  });

  it('refuses what the rewrite cannot cure (an ambiguous field beside the exposed list): 550, nothing delivered', async () => {
    const { reply, transcript } = await swaks(ports.bcc, [...CUSTOMERS, 'bob@inbox.test'], message('bcc not curable', [`To: ${CUSTOMERS.join(', ')}`, 'Cc: "Bob <bob@inbox.test>']));
    expect(reply, transcript).toMatch(/^550 5\.7\.1 /);
    await settle();
    expect(await copiesOf('bcc not curable')).toHaveLength(0);
  });

  it('--on-violation warn, on a unix socket: accepted as written and logged as sent-despite', async () => {
    // Postfix's smtpd and cleanup connect as the postfix user: the directory must let them in.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mailguard-milter-sock-'));
    await chmod(dir, 0o755);
    const warn = await spawnMilter(['--on-violation', 'warn', ...POLICY], `unix:${path.join(dir, 'milter.sock')}`);
    const pf = await startPostfix({ localDomains: DOMAINS, milter: warn.address });
    try {
      expect(warn.address).toBe(`unix:${path.join(dir, 'milter.sock')}`);
      const r = await runProcess('swaks', ['--server', `127.0.0.1:${pf.port}`, '--from', 'alice@inbox.test', '--to', CUSTOMERS.join(','), '--data', '-'], { input: message('warned', [`To: ${CUSTOMERS.join(', ')}`]) });
      expect(r.stdout).toMatch(/<- +250 2\.0\.0 Ok: queued/);
      const copies = await pf.waitForMessages(3);
      expect(copies.every((m) => m.raw.toString('latin1').includes(`To: ${CUSTOMERS.join(', ')}`))).toBe(true);
      expect(await warn.waitFor((e) => e.event === 'message')).toMatchObject({ action: 'sent-despite', verdict: 'block' });
    } finally {
      await pf.stop();
      await warn.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('milter with --on-violation hold: Postfix hold queue', () => {
  it('holds the exposed message (postqueue -j) and delivers it to every recipient after postsuper -H', async () => {
    const to = [...CUSTOMERS, 'bob@inbox.test'];
    const { reply, transcript } = await swaks(ports.hold, to, message('held for review', [`To: ${CUSTOMERS.join(', ')}`, 'Cc: bob@inbox.test']));
    expect(reply, transcript).toMatch(/^250 /);
    const event = await milters.hold!.waitFor((e) => e.event === 'message' && e.action === 'held');
    expect(String(event.reply)).toMatch(/^hold: mailguard: 3 external addresses from 3 organisations visible in To/);
    const queueId = String(event.queueId);
    const held = (await postfix!.queue()).find((q) => q.queue_id === queueId);
    expect(held?.queue_name).toBe('hold');
    expect(held?.recipients.map((r) => r.address).sort()).toEqual([...to].sort());
    await settle();
    expect(await copiesOf('held for review')).toHaveLength(0);
    expect(await postfix!.log()).toMatch(new RegExp(`${queueId}: milter-hold: END-OF-MESSAGE`));

    // A clean message on the same listener is not held.
    expect((await swaks(ports.hold, ['bob@inbox.test'], message('not held', ['To: bob@inbox.test']))).reply).toMatch(/^250 /);
    await waitForCopies('not held', 1);

    await postfix!.postsuper(['-H', queueId]);
    await postfix!.flush();
    const copies = await waitForCopies('held for review', 4, 30_000);
    expect(copies.map((m) => m.recipient).sort()).toEqual([...to].sort());
    expect(await postfix!.queue()).toEqual([]);
  });
});
