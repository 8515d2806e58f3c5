// mailguard send under faults, spawned as a user runs it, against the recording sink: recipients
// are journaled the moment the server accepts them and a flaky relay still gets the whole batch.
// The kill -9 load run (reruns deliver every (message, recipient) exactly once) is in
// send-load.slow.test.ts, run by `npm run test:slow`.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { tally, writeBatch } from '../helpers/send-batch.js';
import { startSink, type Sink } from '../helpers/smtp-sink.js';

const POLICY = ['--internal-domain', 'corp.example'];
let sink: Sink | undefined;
let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mailguard-send-faults-'));
});
afterEach(async () => {
  await sink?.close();
  sink = undefined;
  await rm(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('the journal records each recipient as soon as the server accepted it (item 3)', () => {
  it.each([
    ['one deferred recipient of three', ['a1@alpha.test', 'b1@beta.test', 'c1@gamma.test'], /^b1@/],
    ['two deferred of four', ['a2@alpha.test', 'b2@beta.test', 'c2@gamma.test', 'd2@delta.test'], /^(b2|d2)@/],
  ])('%s: kill -9 during the retries of the deferred ones; the accepted ones are journaled and the rerun sends only the rest', async (_name, rcpt, deferred) => {
    let defer = true;
    sink = await startSink({ rcpt: (a) => (defer && deferred.test(a) ? 450 : undefined) });
    const file = path.join(tmp, 'm.eml');
    await writeFile(file, ['From: sales@corp.example', 'To: team@corp.example', `Bcc: ${rcpt.join(', ')}`, 'Subject: x', 'Message-ID: <early@corp.example>', '', 'hi', ''].join('\r\n'));
    const journal = path.join(tmp, 'j');
    const args = ['send', file, '--smtp', sink.url, '--journal', journal, '--retries', '6', ...POLICY];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    while (sink.messages.length === 0) await sleep(10);
    // The first attempt was accepted for the others; the deferred ones are in backoff now.
    await sleep(150);
    child.kill('SIGKILL');
    await exited;
    const lines = (await readFile(journal, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { recipients: string[] });
    const journaled = lines.flatMap((l) => l.recipients).sort();
    expect(journaled).toEqual(['team@corp.example', ...rcpt.filter((r) => !deferred.test(r))].sort());
    defer = false;
    const rerun = await runCli(args);
    expect(rerun.code).toBe(0);
    const { lost, duplicates } = tally(sink, new Map([['<early@corp.example>', rcpt]]));
    expect({ lost, duplicates }).toEqual({ lost: [], duplicates: [] });
  });
});

describe('a connection lost after the final dot: the outcome is unknown, and send never delivers twice', () => {
  it.each([
    ['one message', 1, 0],
    ['the second of three', 3, 1],
  ] as const)('%s: the relay queues it and drops the connection; exit 2, one copy, the others sent', async (_name, count, victim) => {
    sink = await startSink({ afterData: (_m, i) => (i === victim ? 'accept-then-drop' : undefined) });
    const { dir } = await writeBatch(path.join(tmp, 'batch'), count, (i) => [`r${i}@ext${i}.test`]);
    const r = await runCli(['send', dir, '--smtp', sink.url, '--retries', '3', ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/may have accepted it, so it was not sent again\. Look in the relay's log/);
    // Exactly one copy of every message, the dropped one included; no retry made a second.
    expect(sink.attempts).toBe(count);
    expect(sink.messages).toHaveLength(count);
    expect(new Set(sink.messages.map((m) => m.rcptTo.join())).size).toBe(count);
  });
});

describe('a flaky relay (random 421 disconnects) gets the whole batch (item 6)', () => {
  it.each([
    [0.03, 5, 'random421', 3],
    [0.08, 9, 'random421', 3],
    [0.03, 4, 'randomDrop', 3],
    [0.06, 8, 'randomDrop', 3],
    [0.03, 6, 'randomDrop', 0],
    [0.03, 7, 'random421', 0],
  ] as const)('%f of commands answered with a disconnect (seed %i, %s, --retries %i): the run does not stop early; with reruns every recipient has the message exactly once', async (rate, seed, kind, retries) => {
    sink = await startSink({ [kind]: { rate, seed, stages: kind === 'random421' ? ['connect', 'mail', 'rcpt', 'data'] : ['mail', 'rcpt', 'data'] } });
    const { dir, expected } = await writeBatch(path.join(tmp, 'batch'), 120, (i) => [`r${i}@ext${i % 7}.test`]);
    const journal = path.join(tmp, 'j');
    const args = ['send', dir, '--smtp', sink.url, '--journal', journal, '--pool', '2', '--retries', String(retries), ...POLICY];
    const first = await runCli(args, { timeoutMs: 120_000 });
    expect(first.stdout).not.toContain('Stopped early');
    expect(sink.injected421 + sink.droppedConnections).toBeGreaterThan(0);
    // A message dropped after its final dot is not retried (the relay may have queued it): it is
    // left to the rerun, like one that failed after its retries.
    expect(sink.messages.length + sink.droppedAfterData).toBeGreaterThan(retries > 0 ? 110 : 90);
    if (sink.droppedAfterData > 0) expect(first.stdout).toContain('may have accepted it, so it was not sent again');
    let code = first.code;
    for (let rerun = 0; code !== 0 && rerun < 4; rerun++) code = (await runCli(args, { timeoutMs: 120_000 })).code;
    expect(code).toBe(0);
    expect(tally(sink, expected)).toEqual({ lost: [], duplicates: [] });
  }, 240_000);

  it('a relay that refuses every attempt for the give-up period stops the run, and the summary says what was left', async () => {
    // Ten messages go through, then the relay defers everything.
    sink = await startSink({ rcpt: () => (sink!.messages.length < 10 ? undefined : 451), mailDelayMs: 40 });
    const { dir } = await writeBatch(path.join(tmp, 'batch'), 1000, (i) => [`r${i}@ext.test`]);
    const args = ['send', dir, '--smtp', sink.url, '--retries', '0', ...POLICY];
    const r = await runCli(args, { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Stopped early: the relay accepted nothing for \d+ s/);
    expect(r.stdout).toMatch(/Messages after the last one listed were not attempted/);
    expect(r.stdout).toMatch(/\d+ failed/);
    expect(sink.messages.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('SMTP transcripts: AUTH is read; a file is never refused after part of it was sent (item 9)', () => {
  const tx = (n: number) => [`MAIL FROM:<sales@corp.example>`, `RCPT TO:<r${n}@ext.test>`, 'DATA', 'From: sales@corp.example', 'To: team@corp.example', `Subject: t${n}`, `Message-ID: <t${n}@corp.example>`, '', 'hi', '.'];

  it.each([
    ['AUTH LOGIN', ['AUTH LOGIN', 'dXNlcg==', 'cGFzcw==']],
    ['AUTH PLAIN with replies', ['AUTH PLAIN', '334 ', 'AHVzZXIAcGFzcw==', '235 2.7.0 ok']],
  ])('a transcript with %s: sent once, exit 0, nothing reported refused', async (_name, auth) => {
    sink = await startSink();
    const file = path.join(tmp, 'session.smtp');
    await writeFile(file, [`EHLO client.example`, ...auth, ...tx(1), ...tx(2), 'QUIT', ''].join('\r\n'));
    const r = await runCli(['send', file, '--smtp', sink.url, ...POLICY]);
    expect(r.stdout).not.toMatch(/refused/);
    expect(r.code).toBe(0);
    expect(sink.messages.map((m) => m.rcptTo)).toEqual([['r1@ext.test'], ['r2@ext.test']]);
  });

  it('a transcript with an unreadable line: nothing of it is sent (exit 2), so a retry cannot send anything twice', async () => {
    sink = await startSink();
    const file = path.join(tmp, 'bad.smtp');
    await writeFile(file, ['EHLO client.example', ...tx(1), 'FROB something', ...tx(2), 'QUIT', ''].join('\r\n'));
    const r = await runCli(['send', file, '--smtp', sink.url, ...POLICY]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/nothing from this transcript is sent/);
    expect(r.stdout).toMatch(/0 sent/);
    expect(sink.attempts).toBe(0);
  });
});
