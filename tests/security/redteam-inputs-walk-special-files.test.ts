// Red team, directory walks: an entry that is neither a file nor a directory (a FIFO, a socket, a
// device, or a symbolic link to one). A walk must not open it (a FIFO without a writer blocks
// forever, /dev/zero never ends), but it was dropped without a word: a FIFO `offer.eml` in an
// outbox left a report that said nothing was exposed and nothing was left unread. It is now
// counted and named as not read, in every report, as other files a walk does not read are. The
// built CLI is run on real directories.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { deviceLinkAndSocket, mkfifo, type NotReadReport } from '../helpers/special-files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-walk-'));
const outbox = path.join(dir, 'outbox');
let server: net.Server | undefined;

beforeAll(async () => {
  mkdirSync(path.join(outbox, 'sub'), { recursive: true });
  writeFileSync(path.join(outbox, 'clean.eml'), 'From: alice@corp.example\nTo: bob@corp.example\nSubject: hi\n\nhello\n');
  mkfifo(path.join(outbox, 'offer.eml'));
  server = await deviceLinkAndSocket(path.join(outbox, 'sub'));
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Json = NotReadReport;

describe('a walk names what it found and did not open', () => {
  it('check: the FIFO, the socket and the link to a device are counted as not read', async () => {
    const r = await runCli(['check', outbox, '--internal-domain', 'corp.example', '--format', 'json'], { timeoutMs: 15_000 });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    expect(json.summary.checked).toBe(1);
    expect(json.notRead.map((n) => path.relative(outbox, n.path)).sort()).toEqual(['offer.eml', path.join('sub', 'null.eml'), path.join('sub', 'socket.eml')]);
    const kinds = Object.fromEntries(json.notRead.map((n) => [path.basename(n.path), n.kind]));
    expect(kinds['offer.eml']).toMatch(/FIFO/);
    expect(kinds['null.eml']).toMatch(/device/);
    expect(kinds['socket.eml']).toMatch(/socket/);
  });

  it('check, human report: the FIFO is named, and the run does not block on it', async () => {
    const r = await runCli(['check', outbox, '--internal-domain', 'corp.example'], { timeoutMs: 15_000 });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/offer\.eml \(named pipe/);
  });

  it('audit: the same files are named as not read', async () => {
    const r = await runCli(['audit', outbox, '--internal-domain', 'corp.example', '--format', 'json'], { timeoutMs: 15_000 });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { summary: { notRead: number } };
    expect(json.summary.notRead).toBe(3);
  });

  it('a directory holding only a FIFO is an error (nothing was mail), and names it', async () => {
    const only = path.join(dir, 'only');
    mkdirSync(only);
    mkfifo(path.join(only, 'draft.eml'));
    const r = await runCli(['check', only, '--internal-domain', 'corp.example', '--format', 'json'], { timeoutMs: 15_000 });
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as Json).notRead.map((n) => path.basename(n.path))).toEqual(['draft.eml']);
  });
});
