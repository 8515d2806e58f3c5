// mailguard send, spawned as a user runs it, against a real SMTP server on 127.0.0.1 that
// records every envelope and every byte it is given.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, runCli } from '../helpers/cli.js';
import { startSink, type Sink, type SinkMessage } from '../helpers/smtp-sink.js';

const POLICY = ['--internal-domain', 'corp.example'];
const fx = (name: string) => path.join(FIXTURES, name);
const EXTERNAL = ['ann@alpha.test', 'ben@beta.test', 'cy@gamma.test', 'dee@delta.test', 'eve@epsilon.test'];

let sink: Sink | undefined;
let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mailguard-send-'));
});
afterEach(async () => {
  await sink?.close();
  sink = undefined;
  await rm(tmp, { recursive: true, force: true });
});

/** The header block of a received message, unfolded. */
const headerOf = (m: SinkMessage) => m.raw.toString('latin1').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
const field = (m: SinkMessage, name: string) => headerOf(m).split(/\r?\n/).filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));

describe('block (the default)', () => {
  it('sends nothing exposed, sends the clean message, and exits 1 saying why', async () => {
    sink = await startSink();
    const r = await runCli(['send', fx('send-exposed.eml'), fx('send-clean.eml'), '--smtp', sink.url, ...POLICY]);
    expect(r.code).toBe(1);
    expect(sink.messages).toHaveLength(1);
    expect(headerOf(sink.messages[0]!)).toContain('Message-ID: <send-clean-1@corp.example>');
    expect(r.stdout).toMatch(/blocked\s+\S*send-exposed\.eml/);
    expect(r.stdout).toContain('EXPOSED_RECIPIENTS');
  });

  it('strips the Bcc field from what it sends and keeps the Bcc recipient in the envelope', async () => {
    sink = await startSink();
    const r = await runCli(['send', fx('send-clean.eml'), '--smtp', sink.url, ...POLICY]);
    expect(r.code).toBe(0);
    const [m] = sink.messages;
    expect(m!.mailFrom).toBe('sales@corp.example');
    expect(m!.rcptTo.sort()).toEqual(['ann@alpha.test', 'audit@corp.example', 'boss@corp.example']);
    expect(field(m!, 'bcc')).toEqual([]);
    expect(m!.raw.toString()).not.toContain('audit@corp.example');
    // Everything else is byte-for-byte what was read.
    const original = await readFile(fx('send-clean.eml'), 'latin1');
    expect(m!.raw.toString('latin1').replace(/\r\n/g, '\n')).toBe(original.replace('Bcc: audit@corp.example\n', ''));
  });

  it('warn sends the exposed message as it is (Bcc still stripped) and reports the finding', async () => {
    sink = await startSink();
    const r = await runCli(['send', fx('send-exposed.eml'), '--smtp', sink.url, '--on-violation', 'warn', ...POLICY]);
    expect(r.code).toBe(0);
    expect(sink.messages).toHaveLength(1);
    expect(field(sink.messages[0]!, 'to')[0]).toContain('eve@epsilon.test');
    expect(field(sink.messages[0]!, 'bcc')).toEqual([]);
    expect(r.stdout).toContain('EXPOSED_RECIPIENTS');
  });
});

describe('rewrite before sending', () => {
  it('bcc: arrives once with the full envelope, no visible external and no Bcc field', async () => {
    sink = await startSink();
    const r = await runCli(['send', fx('send-exposed.eml'), '--smtp', sink.url, '--on-violation', 'bcc', ...POLICY]);
    expect(r.code).toBe(0);
    expect(sink.messages).toHaveLength(1);
    const m = sink.messages[0]!;
    expect(m.rcptTo.sort()).toEqual([...EXTERNAL, 'audit@corp.example', 'boss@corp.example'].sort());
    const visible = [...field(m, 'to'), ...field(m, 'cc')].join('\n');
    for (const a of EXTERNAL) expect(visible).not.toContain(a);
    expect(visible).toContain('boss@corp.example');
    expect(field(m, 'bcc')).toEqual([]);
    expect(m.raw.toString()).toContain('our spring offer.');
  });

  it('split: arrives as one message per recipient, each showing only its own recipient', async () => {
    sink = await startSink();
    const r = await runCli(['send', fx('send-exposed.eml'), '--smtp', sink.url, '--on-violation', 'split', ...POLICY]);
    expect(r.code).toBe(0);
    // 5 external copies, the internal Cc copy, the Bcc-only copy.
    expect(sink.messages).toHaveLength(7);
    const all = sink.messages.flatMap((m) => m.rcptTo).sort();
    expect(all).toEqual([...EXTERNAL, 'audit@corp.example', 'boss@corp.example'].sort());
    for (const m of sink.messages) {
      const visible = [...field(m, 'to'), ...field(m, 'cc')].join('\n');
      const shownExternal = EXTERNAL.filter((a) => visible.includes(a));
      expect(shownExternal.length).toBeLessThanOrEqual(1);
      if (shownExternal.length === 1) expect(m.rcptTo).toEqual(shownExternal);
      expect(field(m, 'bcc')).toEqual([]);
    }
  });

  it('split: a mailbox written in two cases (To, Cc, Bcc) gets one copy, not one per spelling', async () => {
    sink = await startSink();
    const draft = path.join(tmp, 'cases.eml');
    await writeFile(
      draft,
      'From: sales@corp.example\r\nTo: Ann@alpha.test, ben@beta.test, "Ann" <ann@alpha.test>\r\nCc: cy@gamma.test, BEN@BETA.test, dee@delta.test, eve@epsilon.test, Boss@corp.example, boss@corp.example\r\n' +
        'Bcc: CY@gamma.test, audit@corp.example, Audit@corp.example\r\nSubject: offer\r\nMessage-ID: <cases@corp.example>\r\n\r\nHello\r\n',
    );
    const r = await runCli(['send', draft, '--smtp', sink.url, '--on-violation', 'split', ...POLICY]);
    expect(r.code).toBe(0);
    const reached = sink.messages.flatMap((m) => m.rcptTo.map((a) => a.toLowerCase())).sort();
    expect(reached).toEqual([...EXTERNAL, 'audit@corp.example', 'boss@corp.example'].sort());
    expect(sink.messages).toHaveLength(7);
  });

  it('--dry-run prints envelope and final header and sends nothing, without needing a relay', async () => {
    const r = await runCli(['send', fx('send-exposed.eml'), '--dry-run', '--on-violation', 'bcc', ...POLICY]);
    expect(r.code).toBe(0);
    // Masked like the From field (--no-redact shows it).
    expect(r.stdout).toContain('MAIL FROM:<s***@corp.example>');
    expect(r.stdout).toContain('RCPT TO:<e***@epsilon.test>');
    expect(r.stdout).toContain('| To: undisclosed-recipients:;');
    expect(r.stdout).not.toMatch(/\| Bcc:/);
    expect(r.stdout).toContain('Nothing was sent');
  });

  it('--dry-run masks recipients like every report (full with --no-redact), in the envelope and the header', async () => {
    const masked = await runCli(['send', fx('send-clean.eml'), '--dry-run', ...POLICY]);
    expect(masked.code).toBe(0);
    expect(masked.stdout).toContain('RCPT TO:<a***@alpha.test>');
    expect(masked.stdout).toContain('| To: Ann <a***@alpha.test>');
    expect(masked.stdout).not.toContain('ann@alpha.test');
    const json = await runCli(['send', fx('send-clean.eml'), '--dry-run', '--format', 'json', ...POLICY]);
    expect(json.stdout).not.toContain('ann@alpha.test');
    expect(JSON.parse(json.stdout).results[0].transactions[0].recipients).toContain('a***@alpha.test');
    const full = await runCli(['send', fx('send-clean.eml'), '--dry-run', '--no-redact', ...POLICY]);
    expect(full.stdout).toContain('RCPT TO:<ann@alpha.test>');
    expect(full.stdout).toContain('| To: Ann <ann@alpha.test>');
  });

  it('--dry-run shows raw 8-bit header text as readers do and masks addresses written with a fullwidth or small at', async () => {
    // UTF-8 lines in UTF-8 (not JÃ¼rgen), a Shift_JIS line in Shift_JIS, a latin1 line in latin1.
    const draft = path.join(tmp, 'eight-bit.eml');
    await writeFile(
      draft,
      Buffer.concat([
        Buffer.from('From: J\u00fcrgen M\u00fcller <juergen@corp.example>\r\nTo: "J\u00fcrgen Kunde" <kunde@alpha.test>\r\n', 'utf8'),
        Buffer.from('Subject: Gr\u00fc\u00dfe an bob\uFF20beta.test\r\nX-Note: carol\uFE6Bgamma.test, \uFF44\uFF45\uFF45\uFF20delta.test\r\n', 'utf8'),
        Buffer.from([...Buffer.from('Comments: '), 0x83, 0x8a, 0x83, 0x58, 0x83, 0x67, 0x20, ...Buffer.from('sjis'), 0x81, 0x97, ...Buffer.from('epsilon.test\r\n')]),
        Buffer.from('Keywords: caf\xe9\r\n\r\nHallo\r\n', 'latin1'),
      ]),
    );
    const masked = await runCli(['send', draft, '--dry-run', ...POLICY]);
    expect(masked.code).toBe(0);
    expect(masked.stdout).toContain('| From: J\u00fcrgen M\u00fcller <j***@corp.example>');
    expect(masked.stdout).toContain('| To: "J\u00fcrgen Kunde" <k***@alpha.test>');
    expect(masked.stdout).toContain('| Subject: Gr\u00fc\u00dfe an b***\uFF20beta.test');
    expect(masked.stdout).toContain('| X-Note: c***\uFE6Bgamma.test, \uFF44***\uFF20delta.test');
    expect(masked.stdout).toContain('| Comments: \u30ea\u30b9\u30c8 s***\uFF20epsilon.test');
    expect(masked.stdout).toContain('| Keywords: caf\u00e9');
    for (const local of ['bob', 'carol', '\uFF44\uFF45\uFF45', 'sjis']) expect(masked.stdout).not.toContain(local);
    const json = await runCli(['send', draft, '--dry-run', '--format', 'json', ...POLICY]);
    const header: string = JSON.parse(json.stdout).results[0].transactions[0].header;
    expect(header).toContain('Subject: Gr\u00fc\u00dfe an b***\uFF20beta.test');
    expect(header).toContain('Comments: \u30ea\u30b9\u30c8 s***\uFF20epsilon.test');
    for (const local of ['bob', 'carol', '\uFF44\uFF45\uFF45', 'sjis']) expect(header).not.toContain(local);
    const full = await runCli(['send', draft, '--dry-run', '--no-redact', ...POLICY]);
    expect(full.stdout).toContain('| Subject: Gr\u00fc\u00dfe an bob\uFF20beta.test');
    expect(full.stdout).toContain('| Comments: \u30ea\u30b9\u30c8 sjis\uFF20epsilon.test');
  });

  it('--dry-run --format json counts nothing as sent: sent 0, wouldSend 1', async () => {
    const r = await runCli(['send', fx('send-clean.eml'), '--dry-run', '--format', 'json', ...POLICY]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.dryRun).toBe(true);
    expect(doc.summary).toMatchObject({ messages: 1, sent: 0, wouldSend: 1 });
  });

  it('--dry-run --quiet lists only what would not go out as it is', async () => {
    const r = await runCli(['send', fx('send-clean.eml'), fx('send-exposed.eml'), '--dry-run', '--quiet', ...POLICY]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('send-clean.eml');
    expect(r.stdout).toMatch(/blocked\s+\S*send-exposed\.eml/);
    expect(r.stdout).toContain('2 messages: 1 would be sent, 1 blocked.');
  });

  it('a Bcc finding in the send report says send removes the field (not "relayed as is")', async () => {
    sink = await startSink();
    const r = await runCli(['send', fx('send-clean.eml'), '--smtp', sink.url, '--on-violation', 'warn', '--rule', 'BCC_HEADER_PRESENT=error', ...POLICY]);
    expect(r.code).toBe(0);
    expect(sink.messages).toHaveLength(1);
    expect(field(sink.messages[0]!, 'bcc')).toEqual([]);
    expect(r.stdout).toContain('BCC_HEADER_PRESENT');
    expect(r.stdout).toContain('send removes the field');
    expect(r.stdout).not.toContain('relayed as is');
  });
});

describe('envelopes and inputs', () => {
  it('never relays a leading mbox From_ line or a BOM (also in split copies); findings keep file line numbers', async () => {
    sink = await startSink();
    const exposed = await readFile(fx('send-exposed.eml'), 'latin1');
    const withFromLine = path.join(tmp, 'from-line.eml');
    const withBom = path.join(tmp, 'bom.eml');
    await writeFile(withFromLine, `From sales@corp.example Mon Nov  2 10:00:00 2026\n${exposed}`, 'latin1');
    await writeFile(withBom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(await readFile(fx('send-clean.eml')))]));
    const r = await runCli(['send', withFromLine, withBom, '--smtp', sink.url, '--on-violation', 'split', ...POLICY]);
    expect(r.code).toBe(0);
    expect(sink.messages.length).toBeGreaterThan(2);
    for (const m of sink.messages) expect(m.raw.subarray(0, 6).toString('latin1')).toBe('From: ');
    const dry = await runCli(['send', withFromLine, '--dry-run', '--format', 'json', ...POLICY]);
    const check = await runCli(['check', withFromLine, '--format', 'json', ...POLICY]);
    expect(JSON.parse(dry.stdout).results[0].findings[0].line).toBe(JSON.parse(check.stdout).results[0].findings[0].line);
  });

  it('takes the envelope of an SMTP transcript, hidden recipients included', async () => {
    sink = await startSink();
    const r = await runCli(['send', fx('send-transcript.smtp'), '--smtp', sink.url, ...POLICY]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 message: 1 sent.');
    expect(sink.messages.map((m) => [m.mailFrom, m.rcptTo])).toEqual([['bounces@corp.example', ['ann@alpha.test', 'hidden@corp.example']]]);
  });

  it('builds JSON campaign messages as nodemailer would, Bcc in the envelope only; a journal rerun skips them all', async () => {
    sink = await startSink();
    const journal = path.join(tmp, 'campaign.journal');
    const args = ['send', fx('campaign-good.json'), '--smtp', sink.url, '--journal', journal, ...POLICY];
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(sink.messages.map((m) => m.rcptTo.length)).toEqual([1, 1, 6, 3]);
    const third = sink.messages[2]!;
    expect(third.rcptTo).toContain('c5@customer5.test');
    expect(third.raw.toString()).not.toContain('c5@customer5.test');
    expect(third.raw.toString()).toContain('Hello all');
    const again = await runCli(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/4 skipped/);
    expect(sink.messages).toHaveLength(4);
  });

  // nodemailer hands the relay's replies back with the domains it punycoded for RCPT TO; the
  // journal must know ann@bücher.test and ann@xn--bcher-kva.test are one recipient, or a rerun
  // sends to her again.
  it('a journal rerun skips recipients at international domains too', async () => {
    sink = await startSink();
    const journal = path.join(tmp, 'idn.journal');
    const file = path.join(tmp, 'idn.eml');
    await writeFile(file, 'From: sales@corp.example\r\nTo: Ann <ann@bücher.test>, bob@corp.example\r\nSubject: idn\r\nMessage-ID: <idn-1@corp.example>\r\n\r\nhi\r\n');
    const args = ['send', file, '--smtp', sink.url, '--journal', journal, ...POLICY];
    expect((await runCli(args)).code).toBe(0);
    expect(sink.messages).toHaveLength(1);
    const again = await runCli(args);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/skipped/);
    expect(sink.messages).toHaveLength(1);
  });

  it('reads piped input and honours --from', async () => {
    sink = await startSink();
    const input = await readFile(fx('send-clean.eml'));
    const r = await runCli(['send', '-', '--from', 'bounce@corp.example', ...POLICY], { input, env: { MAILGUARD_SMTP_URL: sink.url } });
    expect(r.code).toBe(0);
    expect(sink.messages[0]!.mailFrom).toBe('bounce@corp.example');
  });

  it('without a relay it exits 2 and says how to give one', async () => {
    const r = await runCli(['send', fx('send-clean.eml'), ...POLICY], { env: { MAILGUARD_SMTP_URL: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no SMTP relay given');
    expect(r.stderr).toContain('MAILGUARD_SMTP_URL');
  });

  it('never prints the password of the relay URL, even when the relay fails', async () => {
    const port = await closedPort();
    const r = await runCli(['send', fx('send-clean.eml'), '--smtp', `smtp://robot:hunter2@127.0.0.1:${port}`, '--retries', '0', ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    expect(r.stdout).toContain(`smtp://127.0.0.1:${port}`);
  });
});

describe('configuration', () => {
  it('takes the relay from "smtp" and defaults from the "send" section; flags override them', async () => {
    sink = await startSink();
    const config = { internalDomains: ['corp.example'], smtp: sink.url, send: { onViolation: 'bcc', from: 'bounce@corp.example', retries: 0 } };
    await writeFile(path.join(tmp, 'mailguard.config.json'), JSON.stringify(config));
    const r = await runCli(['send', fx('send-exposed.eml')], { cwd: tmp, env: { MAILGUARD_SMTP_URL: '' } });
    expect(r.code).toBe(0);
    expect(sink.messages[0]!.mailFrom).toBe('bounce@corp.example');
    expect(field(sink.messages[0]!, 'to')).toEqual(['To: undisclosed-recipients:;']);
    const blocked = await runCli(['send', fx('send-exposed.eml'), '--on-violation', 'block'], { cwd: tmp, env: { MAILGUARD_SMTP_URL: '' } });
    expect(blocked.code).toBe(1);
    expect(sink.messages).toHaveLength(1);
  });

  it('refuses an unknown key in the "send" section (exit 2) and names it', async () => {
    await writeFile(path.join(tmp, 'mailguard.config.json'), JSON.stringify({ smtp: 'smtp://127.0.0.1:1', send: { poll: 3 } }));
    const r = await runCli(['send', fx('send-clean.eml')], { cwd: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('send.poll');
  });
});

describe('batches', () => {
  it('--pool 3 --rate 20/s: every message once, the report in input order, no faster than the rate', async () => {
    sink = await startSink({ dataDelayMs: 20 });
    const started = Date.now();
    const r = await runCli(['send', fx('send-batch'), '--smtp', sink.url, '--pool', '3', '--rate', '20/s', ...POLICY]);
    expect(r.code).toBe(0);
    // Five starts at least 50 ms apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(sink.messages.map((m) => m.rcptTo[0]).sort()).toEqual([1, 2, 3, 4, 5].map((i) => `c${i}@customer${i}.test`));
    const order = [...r.stdout.matchAll(/invoice-(\d)\.eml/g)].map((m) => m[1]);
    expect(order).toEqual(['1', '2', '3', '4', '5']);
    expect(r.stdout).toContain('5 messages: 5 sent.');
  });

  it.each([
    ['--rate', 'fast'],
    ['--pool', '0'],
    ['--from', 'not an address'],
  ])('refuses %s %s as a usage error (exit 2) before sending anything', async (flag, value) => {
    sink = await startSink();
    const r = await runCli(['send', fx('send-clean.eml'), '--smtp', sink.url, flag, value, ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(sink.attempts).toBe(0);
  });
});

describe('partial failures', () => {
  it('names the recipients the server refused (masked) and exits 2; the others get the message', async () => {
    sink = await startSink({ rcpt: (a) => (a === 'boss@corp.example' ? 550 : undefined) });
    const r = await runCli(['send', fx('send-clean.eml'), '--smtp', sink.url, ...POLICY]);
    expect(r.code).toBe(2);
    expect(sink.messages[0]!.rcptTo.sort()).toEqual(['ann@alpha.test', 'audit@corp.example']);
    expect(r.stdout).toContain('b***@corp.example');
    expect(r.stdout).not.toContain('boss@corp.example');
    expect(r.stdout).toMatch(/partial\s+\S*send-clean\.eml\s+2 of 3 recipients accepted/);
  });

  it('--no-redact names them in full, and --format json carries them per message', async () => {
    sink = await startSink({ rcpt: (a) => (a === 'boss@corp.example' ? 550 : undefined) });
    const r = await runCli(['send', fx('send-clean.eml'), '--smtp', sink.url, '--no-redact', '--format', 'json', ...POLICY]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe(1);
    expect(doc.results[0].action).toBe('partial');
    expect(doc.results[0].transactions[0].rejected).toEqual([{ address: 'boss@corp.example', response: expect.stringMatching(/^550/) }]);
    expect(doc.summary).toMatchObject({ messages: 1, partial: 1, recipientsAccepted: 2, recipientsRejected: 1 });
  });
});

describe('a reader that closes the pipe early', () => {
  it('does not turn a blocked send --dry-run (or audit) into exit 0', async () => {
    const mbox = path.join(tmp, 'many.mbox');
    const one = 'From: s@corp.example\nTo: a@one.test, b@two.test, c@three.test, d@four.test, e@five.test\nSubject: x\n\nbody\n';
    await writeFile(mbox, Array.from({ length: 3000 }, () => `From MAILER-DAEMON Mon Nov  2 10:00:00 2026\n${one}\n`).join(''));
    const { execFile } = await import('node:child_process');
    const script =
      `"${process.execPath}" "${BIN}" send "${mbox}" --dry-run --format json --internal-domain corp.example | head -c 10 >/dev/null; echo "send=\${PIPESTATUS[0]}"; ` +
      `"${process.execPath}" "${BIN}" audit "${mbox}" --format json --internal-domain corp.example | head -c 10 >/dev/null; echo "audit=\${PIPESTATUS[0]}"`;
    const out = await new Promise<string>((resolve, reject) => execFile('bash', ['-c', script], { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    expect(out.trim().split('\n')).toEqual(['send=1', 'audit=1']);
  });
});

describe('the journal', () => {
  it('a second send with a journal in use is refused before anything is sent; the lock goes when the run ends', async () => {
    sink = await startSink();
    const journal = path.join(tmp, 'busy.journal');
    // This test process stands for a run still sending.
    await writeFile(`${journal}.lock`, `${process.pid}\n`);
    const busy = await runCli(['send', fx('send-clean.eml'), '--smtp', sink.url, '--journal', journal, ...POLICY]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`the journal ${journal} is in use by another mailguard send (pid ${process.pid})`);
    expect(sink.messages).toHaveLength(0);
    await rm(`${journal}.lock`);
    const ok = await runCli(['send', fx('send-clean.eml'), '--smtp', sink.url, '--journal', journal, ...POLICY]);
    expect(ok.code).toBe(0);
    expect(sink.messages).toHaveLength(1);
    await expect(readFile(`${journal}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('after the relay drops mid-batch and comes back, a rerun delivers each message exactly once', async () => {
    let dropped = false;
    sink = await startSink({
      rcpt: () => {
        // At the third message's RCPT the relay goes away, before it has accepted it.
        if (sink!.messages.length === 2 && !dropped) {
          dropped = true;
          gate.goDown();
        }
        return undefined;
      },
    });
    const gate = await startGate(sink.port);
    try {
      const journal = path.join(tmp, 'batch.journal');
      const args = ['send', fx('send-batch'), '--smtp', `smtp://127.0.0.1:${gate.port}`, '--journal', journal, '--retries', '1', ...POLICY];
      const first = await runCli(args);
      expect(first.code).toBe(2);
      // The relay had accepted messages moments before: the batch goes on (each message fails
      // and is reported) rather than stopping at the first failure.
      expect(first.stdout).toMatch(/5 messages: 2 sent, 3 failed/);
      expect(sink.messages).toHaveLength(2);
      expect((await readFile(journal, 'utf8')).trim().split('\n')).toHaveLength(2);

      await gate.comeBack();
      const second = await runCli(args);
      expect(second.stderr).toBe('');
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/5 messages: 3 sent, 2 skipped/);
      const ids = sink.messages.map((m) => /Message-ID: (<[^>]+>)/.exec(m.raw.toString())![1]).sort();
      expect(ids).toEqual([1, 2, 3, 4, 5].map((i) => `<send-batch-${i}@corp.example>`));

      // A third run has nothing left to send.
      const third = await runCli(args);
      expect(third.code).toBe(0);
      expect(sink.messages).toHaveLength(5);
      expect(third.stdout).toMatch(/5 skipped/);
    } finally {
      await gate.close();
    }
  });

  it('Ctrl-C mid-batch: the message in flight finishes and is journaled; the rerun sends the rest, each once', async () => {
    sink = await startSink({ dataDelayMs: 150 });
    const journal = path.join(tmp, 'ctrl-c.journal');
    const args = ['send', fx('send-batch'), '--smtp', sink.url, '--journal', journal, ...POLICY];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Interrupt while the second message's DATA is being answered.
    while (sink.attempts < 2) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    expect(await exited).toBe(2);
    expect(stdout).toContain('Interrupted');
    const firstRun = sink.messages.length;
    expect(firstRun).toBeGreaterThanOrEqual(2);
    expect(firstRun).toBeLessThan(5);
    // Every message the server accepted is in the journal.
    expect((await readFile(journal, 'utf8')).trim().split('\n')).toHaveLength(firstRun);
    const rerun = await runCli(args);
    expect(rerun.code).toBe(0);
    const ids = sink.messages.map((m) => /Message-ID: (<[^>]+>)/.exec(m.raw.toString())![1]).sort();
    expect(ids).toEqual([1, 2, 3, 4, 5].map((i) => `<send-batch-${i}@corp.example>`));
  });

  it('a journal from a partial reject sends the rerun only to the recipients not yet accepted', async () => {
    let refuse = true;
    sink = await startSink({ rcpt: (a) => (refuse && a === 'boss@corp.example' ? 550 : undefined) });
    const journal = path.join(tmp, 'j');
    const args = ['send', fx('send-clean.eml'), '--smtp', sink.url, '--journal', journal, ...POLICY];
    expect((await runCli(args)).code).toBe(2);
    refuse = false;
    expect((await runCli(args)).code).toBe(0);
    expect(sink.messages.map((m) => m.rcptTo.sort())).toEqual([['ann@alpha.test', 'audit@corp.example'], ['boss@corp.example']]);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP forwarder in front of the sink that can go down (dropping every connection) and come back on the same port. */
async function startGate(target: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(target, '127.0.0.1');
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      // The client's connection is cut; the server's side is closed gracefully (no reset for it to trip on).
      const drop = () => {
        client.destroy();
        upstream.end();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server!.address() as net.AddressInfo).port;
  };
  await listen();
  const gate = {
    port,
    down: false,
    goDown() {
      gate.down = true;
      server?.close();
      for (const s of sockets) s.end();
      sockets.clear();
    },
    async comeBack() {
      gate.down = false;
      await listen();
    },
    async close() {
      for (const s of sockets) s.end();
      await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
    },
  };
  return gate;
}
