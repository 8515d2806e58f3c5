// A quoted pattern (`check 'outbox/*'`) matched by tinyglobby, whose walker lists only files, links
// and directories: a FIFO, socket or device the pattern matches was left out of the report
// without a word, while a walk of the same folder names it as not read. A pattern now names what
// it matches and does not open, as a walk does. The built CLI is run on real folders.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { deviceLinkAndSocket, mkfifo, type NotReadReport } from '../helpers/special-files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-glob-special-'));
const outbox = path.join(dir, 'outbox');
let server: net.Server | undefined;

beforeAll(async () => {
  mkdirSync(path.join(outbox, 'sub'), { recursive: true });
  mkdirSync(path.join(outbox, 'pipes'), { recursive: true });
  writeFileSync(path.join(outbox, 'clean.eml'), 'From: alice@corp.example\nTo: bob@corp.example\nSubject: hi\n\nhello\n');
  writeFileSync(path.join(outbox, 'sub', 'note.eml'), 'From: alice@corp.example\nTo: carol@corp.example\nSubject: hi\n\nhello\n');
  // pipes/ holds nothing but a FIFO: no match leads the pattern there.
  mkfifo(...['offer.eml', 'notes.txt', '.hidden.eml', path.join('pipes', 'later.eml')].map((f) => path.join(outbox, f)));
  server = await deviceLinkAndSocket(path.join(outbox, 'sub'));
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Json = NotReadReport;

const check = (pattern: string, cwd?: string) =>
  runCli(['check', pattern, '--internal-domain', 'corp.example', '--format', 'json'], { timeoutMs: 15_000, ...(cwd ? { cwd } : {}) });

const notRead = (stdout: string, base: string) => (JSON.parse(stdout) as Json).notRead.map((n) => path.relative(base, path.resolve(base, n.path))).sort();

describe('a pattern names the FIFOs, sockets and devices it matches, and does not open them', () => {
  it('an absolute pattern: the FIFO beside a draft is named, by kind', async () => {
    const r = await check(path.join(outbox, '*.eml'));
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    expect(json.summary.checked).toBe(1);
    // notes.txt does not match *.eml, .hidden.eml is a dot file the pattern does not match.
    expect(notRead(r.stdout, outbox)).toEqual(['offer.eml']);
    expect(json.notRead[0]!.kind).toMatch(/named pipe \(FIFO\): a pattern does not open it/);
  });

  it('a relative pattern, run in the folder above: the same, in the form the pattern gave, and the folders it matched walked', async () => {
    const r = await check('outbox/*', dir);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    expect(json.notRead.map((n) => n.path).sort()).toEqual(['outbox/notes.txt', 'outbox/offer.eml', 'outbox/pipes/later.eml', 'outbox/sub/null.eml', 'outbox/sub/socket.eml']);
    const kinds = Object.fromEntries(json.notRead.map((n) => [n.path, n.kind]));
    expect(kinds['outbox/offer.eml']).toMatch(/a pattern does not open it/);
    expect(kinds['outbox/pipes/later.eml']).toMatch(/a directory walk does not open it/);
  });

  it('a recursive pattern: a socket, a link to a device, and a folder holding only a FIFO', async () => {
    const r = await check(path.join(outbox, '**', '*.eml'));
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    expect(json.summary.checked).toBe(2);
    expect(notRead(r.stdout, outbox)).toEqual(['offer.eml', path.join('pipes', 'later.eml'), path.join('sub', 'null.eml'), path.join('sub', 'socket.eml')]);
    const kinds = Object.fromEntries(json.notRead.map((n) => [path.basename(n.path), n.kind]));
    expect(kinds['socket.eml']).toMatch(/socket/);
    expect(kinds['null.eml']).toMatch(/device/);
  });

  it('a pattern in its folder part: each folder it matches is looked in', async () => {
    const r = await check('outbox/*/*.eml', dir);
    expect(r.code).toBe(0);
    expect(notRead(r.stdout, dir)).toEqual(['outbox/pipes/later.eml', 'outbox/sub/null.eml', 'outbox/sub/socket.eml']);
  });

  it('a pattern that matches only a FIFO is an error that names it, not an empty pass', async () => {
    const r = await check(path.join(outbox, 'pipes', '*'));
    expect(r.code).toBe(2);
    expect(notRead(r.stdout, outbox)).toEqual([path.join('pipes', 'later.eml')]);
  });

  it('the human report names the FIFO', async () => {
    const r = await runCli(['check', path.join(outbox, 'o*'), '--internal-domain', 'corp.example'], { timeoutMs: 15_000 });
    expect(r.stdout).toMatch(/offer\.eml \(named pipe \(FIFO\): a pattern does not open it/);
    expect(r.stdout).toMatch(/1 file not read/);
  });

  it('audit counts the same files as not read', async () => {
    const r = await runCli(['audit', path.join(outbox, '**', '*.eml'), '--internal-domain', 'corp.example', '--format', 'json'], { timeoutMs: 15_000 });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { summary: { notRead: number } }).summary.notRead).toBe(4);
  });

  it('a pattern with nothing special to name reports as before (control)', async () => {
    const r = await check(path.join(outbox, 'c*.eml'));
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    expect(json.summary).toMatchObject({ checked: 1, notRead: 0 });
  });
});
