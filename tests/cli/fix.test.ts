import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMessage, createPolicy, readHeaderBlock } from '../../src/index.js';
import { readInputs, isFailure } from '../../src/io/inputs.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { bodyOf } from '../rewrite/invariants.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-fix-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fx = (name: string): string => path.join(FIXTURES, name);
const policy = createPolicy({});

describe('mailguard fix (built CLI)', () => {
  it('bcc: writes the rewritten draft to -o and prints a masked plan', async () => {
    const out = path.join(tmp, 'fixed.eml');
    const r = await runCli(['fix', fx('fix-mixed-crlf.eml'), '-o', out]);
    expect(r.code).toBe(0);
    const bytes = readFileSync(out);
    const result = checkMessage(bytes, policy);
    expect(result.findings.map((f) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
    expect(bodyOf(bytes).equals(bodyOf(readFileSync(fx('fix-mixed-crlf.eml'))))).toBe(true);
    expect(r.stdout).toContain('rewritten (bcc)');
    expect(r.stdout).toContain('moved to Bcc (5): o***@customer-one.test');
    expect(r.stdout).not.toContain('one@customer-one.test');
    expect(r.stdout).toMatch(/DKIM signature \(d=corp\.example\) covers a rewritten field/);
  });

  it('bcc: one message and no -o: the draft on stdout, the plan on stderr', async () => {
    const r = await runCli(['fix', fx('customer-list-to.eml'), '--no-redact']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^From: Sales <sales@corp\.example>\r\nTo: undisclosed-recipients:;\r\nBcc: Customer 1 <c1@customer1\.test>/);
    expect(r.stderr).toContain('moved to Bcc (12): c1@customer1.test');
  });

  it('passes an untouched message through unchanged on stdout and says so', async () => {
    const input = readFileSync(fx('clean-internal.eml'));
    const r = await runCli(['fix', '-'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(input.toString('latin1'));
    expect(r.stderr).toContain('left untouched: no exposed recipients (verdict pass)');
    const out = path.join(tmp, 'clean-copy.eml');
    const file = await runCli(['fix', fx('clean-internal.eml'), '-o', out]);
    expect(file.code).toBe(0);
    expect(readFileSync(out).equals(input)).toBe(true);
    expect(file.stdout).toContain(`copied unchanged to ${out}`);
  });

  it('--to sender and --all-to-bcc', async () => {
    const r = await runCli(['fix', fx('fix-groups.eml'), '--all-to-bcc', '--to', 'sender']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('To: Clinic <desk@clinic.example>\n');
    expect(r.stdout).not.toMatch(/^Cc:/m);
    expect(r.stderr).toContain('To now shows the sender');
    const conflict = await runCli(['fix', fx('fix-groups.eml'), '--all-to-bcc', '--keep-internal']);
    expect(conflict.code).toBe(2);
    const badTo = await runCli(['fix', fx('fix-groups.eml'), '--to', 'not an address']);
    expect(badTo.code).toBe(2);
    expect(badTo.stderr).toContain('--to takes undisclosed, sender or one address');
  });

  it('split: a directory of .eml files, one per recipient, with a JSON plan', async () => {
    const dir = path.join(tmp, 'split');
    const r = await runCli(['fix', fx('fix-mixed-crlf.eml'), '--strategy', 'split', '-o', dir, '--format', 'json', '--no-redact']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe(1);
    expect(doc.summary).toEqual({ messages: 1, rewritten: 1, untouched: 0, refused: 0, written: 7 });
    const files = readdirSync(dir).sort();
    expect(files).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `fix-mixed-crlf-00${n}.eml`));
    const outputs = doc.results[0].outputs as Array<{ path: string; recipients: string[] }>;
    expect(outputs[0]!.recipients).toEqual(['one@customer-one.test']);
    for (const o of outputs) {
      const bytes = readFileSync(o.path);
      const result = checkMessage(bytes, policy);
      expect(result.findings.map((f) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
      expect([...new Set(result.recipients.visible.map((v) => v.address))].sort()).toEqual([...o.recipients].sort());
    }
    expect(outputs.flatMap((o) => o.recipients).sort()).toEqual(
      ['alice@corp.example', 'audit@corp.example', 'bob@corp.example', 'five@customer-five.test', 'joerg@customer-four.test', 'one@customer-one.test', 'three@customer-three.test', 'two@customer-two.test'].sort(),
    );
  });

  it('masks addresses in the JSON plan unless --no-redact', async () => {
    const r = await runCli(['fix', fx('customer-list-cc.eml'), '--dry-run', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ messages: 1, rewritten: 1, written: 0 });
    const moved = doc.results[0].plan.moved as Array<{ address: string; from: string; to: string }>;
    expect(moved.length).toBe(6);
    for (const m of moved) expect(m.address).toMatch(/^.\*\*\*@/);
    expect(r.stdout).not.toContain('"a@one.test"');
  });

  it('split: an mbox that mailguard reads back to the same bodies', async () => {
    const out = path.join(tmp, 'copies.mbox');
    const input = readFileSync(fx('fix-mixed-crlf.eml'));
    const r = await runCli(['fix', fx('fix-mixed-crlf.eml'), '--strategy', 'split', '-o', out, '--sensitive']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rewritten (split), 7 messages');
    const back: Uint8Array[] = [];
    for await (const item of readInputs([out], { headersOnly: false })) {
      if (isFailure(item)) throw new Error(item.failure.reason);
      back.push(item.bytes);
    }
    expect(back).toHaveLength(7);
    // The body line "From here on" was quoted in the mbox and unquoted on reading.
    for (const b of back) expect(bodyOf(b).equals(bodyOf(input))).toBe(true);
  });

  it('refuses bcc for a sensitive list, and split without an output', async () => {
    const sensitive = await runCli(['fix', fx('customer-list-to.eml'), '--sensitive']);
    expect(sensitive.code).toBe(2);
    expect(sensitive.stderr).toContain('sensitive list is not fixed with Bcc');
    expect(sensitive.stderr).toContain('--strategy split');
    const noOut = await runCli(['fix', fx('customer-list-to.eml'), '--strategy', 'split']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('-o DIR');
  });

  it('exits 2 for an ambiguous message and writes nothing for it; fixes the others', async () => {
    const dir = path.join(tmp, 'mixed');
    const r = await runCli(['fix', fx('fix-ambiguous.eml'), fx('fix-cc-only.eml'), fx('clean-internal.eml'), '-o', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('fix-ambiguous.eml: NOT rewritten: AMBIGUOUS_RECIPIENT');
    expect(r.stdout).toContain('clean-internal.eml: left untouched');
    expect(r.stdout).toContain('3 messages: 1 rewritten, 1 left untouched, 1 not rewritten.');
    expect(readdirSync(dir)).toEqual(['fix-cc-only.eml']);
    expect(r.stdout).toContain(`Only the rewritten messages were written to ${dir}; the 1 left untouched were not copied there.`);
  });

  it('--in-place rewrites the file atomically, keeping its mode; --dry-run writes nothing', async () => {
    const file = path.join(tmp, 'draft.eml');
    copyFileSync(fx('fix-cc-only.eml'), file);
    const before = readFileSync(file);
    const dry = await runCli(['fix', file, '--in-place', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('(nothing written)');
    expect(readFileSync(file).equals(before)).toBe(true);
    const { chmodSync } = await import('node:fs');
    chmodSync(file, 0o640);
    const r = await runCli(['fix', file, '--in-place']);
    expect(r.code).toBe(0);
    const after = readFileSync(file);
    expect(readHeaderBlock(after).fields.map((f) => f.key)).toEqual(['from', 'to', 'bcc', 'subject']);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('--in-place on a symlinked draft rewrites the real file and keeps the link', async () => {
    const { lstatSync, mkdirSync, symlinkSync } = await import('node:fs');
    const real = path.join(tmp, 'real');
    const drafts = path.join(tmp, 'drafts');
    mkdirSync(real);
    mkdirSync(drafts);
    copyFileSync(fx('customer-list-to.eml'), path.join(real, 'offer.eml'));
    symlinkSync('../real/offer.eml', path.join(drafts, 'offer.eml'));
    const r = await runCli(['fix', drafts, '--in-place']);
    expect(r.code).toBe(0);
    expect(lstatSync(path.join(drafts, 'offer.eml')).isSymbolicLink()).toBe(true);
    const after = readFileSync(path.join(real, 'offer.eml'));
    expect(checkMessage(after, policy).findings.map((f) => f.code)).not.toContain('EXPOSED_RECIPIENTS');
    expect(readdirSync(real)).toEqual(['offer.eml']);
    expect(readdirSync(drafts)).toEqual(['offer.eml']);
  });

  it('says what is wrong with an input or -o without internal codes or raw errno text', async () => {
    const empty = path.join(tmp, 'empty-dir');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(empty);
    const r = await runCli(['fix', empty]);
    expect(r.code).toBe(2);
    // One input: stdout is the message's channel, so the plan is on stderr even when nothing is written.
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('NOT rewritten: not found: no files in this directory');
    expect(r.stderr).not.toContain('not-found');
    const full = await runCli(['fix', fx('customer-list-to.eml'), '--strategy', 'split', '-o', '/dev/null']);
    expect(full.code).toBe(2);
    expect(full.stderr).toContain('-o /dev/null exists and is not a directory');
    expect(full.stderr).not.toContain('EEXIST');
    const one = path.join(tmp, 'one.eml');
    const many = await runCli(['fix', fx('customer-list-to.eml'), fx('fix-cc-only.eml'), '-o', one]);
    expect(many.code).toBe(2);
    expect(many.stderr).toContain('2 messages were read: -o');
    expect(() => statSync(one)).toThrow();
  });

  it.each([
    ['an ambiguous header', 'fix-ambiguous.eml', []],
    ['an ambiguous header, JSON plan', 'fix-ambiguous.eml', ['--format', 'json']],
    ['an ambiguous header, -o -', 'fix-ambiguous.eml', ['-o', '-']],
    ['an ambiguous header, split to an mbox on stdout', 'fix-ambiguous.eml', ['--strategy', 'split', '-o', '-']],
  ])('a refused message (%s) writes nothing to stdout, where the message would go: `fix x.eml > fixed.eml` gets no plan', async (_name, file, args) => {
    const r = await runCli(['fix', fx(file), ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('not rewritten');
  });

  it('an endless input (/dev/zero) is refused at MAX_MESSAGE_BYTES instead of filling memory', async () => {
    const r = await runCli(['fix', '/dev/zero'], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/NOT rewritten: cannot be read: larger than \d+ MiB, the most mailguard reads of one message/);
    const send = await runCli(['send', '/dev/zero', '--dry-run'], { timeoutMs: 60_000 });
    expect(send.code).toBe(2);
    expect(send.stdout).toContain('the most mailguard reads of one message');
  });

  it('a full stdout is a clear error, not an internal error with a stack trace', async () => {
    const { spawnSync } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, 'fix', fx('customer-list-to.eml')], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('cannot write to stdout');
      expect(r.stderr).not.toContain('internal error');
    } finally {
      closeSync(fd);
    }
  });

  it('a file name with a newline cannot forge lines in the fix plan or the send report', async () => {
    const { mkdirSync } = await import('node:fs');
    const dir = path.join(tmp, 'forged');
    mkdirSync(dir);
    copyFileSync(fx('customer-list-to.eml'), path.join(dir, 'x.eml\nPASS all-clear.eml'));
    const fix = await runCli(['fix', dir, '--dry-run']);
    expect(fix.stdout).toContain('x.eml\\x0aPASS all-clear.eml: rewritten');
    expect(fix.stdout.split('\n').some((l) => l.startsWith('PASS'))).toBe(false);
    const send = await runCli(['send', dir, '--dry-run']);
    expect(send.stdout).toContain('x.eml\\x0aPASS all-clear.eml');
    expect(send.stdout.split('\n').some((l) => l.startsWith('PASS'))).toBe(false);
  });

  it('refuses --in-place for a message inside an mbox', async () => {
    const box = path.join(tmp, 'in.mbox');
    writeFileSync(box, `From a@b Thu Jan  1 00:00:00 1970\n${readFileSync(fx('fix-cc-only.eml'), 'latin1')}\n`);
    const r = await runCli(['fix', box, '--in-place']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('cannot be rewritten in place');
  });
});
