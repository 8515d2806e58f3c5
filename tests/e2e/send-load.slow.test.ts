// The kill -9 load run of mailguard send (a soak test, `npm run test:slow`): send is killed at
// random points of a batch and rerun with its journal until it finishes; every (message,
// recipient) is delivered exactly once outside the one documented window (between the server's
// 250 and the journal's fsync). MAILGUARD_LOAD_MESSAGES and MAILGUARD_LOAD_KILLS make it bigger
// (e.g. 2000 and 40). The faults that need no load are in send-faults.test.ts (npm test).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';
import { tally, writeBatch } from '../helpers/send-batch.js';
import { headerOf, seededRandom, startSink, type Sink } from '../helpers/smtp-sink.js';

const POLICY = ['--internal-domain', 'corp.example'];
let sink: Sink | undefined;
let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mailguard-send-load-'));
});
afterEach(async () => {
  await sink?.close();
  sink = undefined;
  await rm(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('load: kill -9 of send at random points, then reruns (exactly once outside the documented window)', () => {
  it('every (message, recipient) is delivered exactly once; any duplicate was accepted moments before a kill', async () => {
    const messages = Number(process.env.MAILGUARD_LOAD_MESSAGES ?? 150);
    const maxKills = Number(process.env.MAILGUARD_LOAD_KILLS ?? 6);
    const random = seededRandom(Number(process.env.FC_SEED ?? 42));
    sink = await startSink({ dataDelayMs: () => Math.floor(random() * 8) });
    const { dir, expected } = await writeBatch(path.join(tmp, 'batch'), messages, (i) => Array.from({ length: 1 + (i % 3) }, (_, k) => `r${i}-${k}@ext${k}.test`));
    const journal = path.join(tmp, 'load.journal');
    const args = ['send', dir, '--smtp', sink.url, '--journal', journal, '--pool', '2', ...POLICY];
    const kills: number[] = [];
    for (let run = 0; ; run++) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      if (kills.length < maxKills) {
        // Kill once the run has sent something new (so every kill lands mid-batch).
        const before = sink.messages.length;
        const wait = 30 + Math.floor(random() * 250);
        const deadline = Date.now() + 15_000;
        while (sink.messages.length === before && Date.now() < deadline) await sleep(5);
        await sleep(wait);
        child.kill('SIGKILL');
        kills.push(Date.now());
        await exited;
        continue;
      }
      const code = await exited;
      expect(code).toBe(0);
      break;
    }
    const { lost, duplicates } = tally(sink, expected);
    expect(lost).toEqual([]);
    // The documented window: accepted by the server, killed before the journal's fsync (or
    // before the 250 reached send at all). Each duplicate's first copy was accepted within a
    // moment of a kill, before or after the signal.
    const WINDOW_MS = 1000;
    for (const d of duplicates) {
      const [id, rcpt] = d.key.split(' -> ');
      const first = sink.messages.find((m) => headerOf(m, 'Message-ID') === id && m.rcptTo.map((r) => r.toLowerCase()).includes(rcpt!))!;
      expect(kills.some((k) => Math.abs(k - first.at) <= WINDOW_MS), `${d.key} delivered ${d.n} times, first at ${first.at}, kills ${kills.join(',')}`).toBe(true);
    }
    expect(duplicates.length).toBeLessThanOrEqual(kills.length * 4 * 3);
  }, 300_000);
});
