// Red team, rewrites: a draft that shows an mbox separator (a `From ` line as mailbox writers make
// it, then a header field: a mailbox whose first `From ` line was lost, or messages concatenated
// after a draft) is read by check as a mailbox, each message with its own recipients. fix read it
// as one message: it rewrote the first header, said "rewritten" (exit 0), and wrote a file in
// which check still found the next message's exposed list (check's hint for that message had
// named fix). fix now reads such input as check does: each message is decided on its own, and
// the usual rules for several messages apply (-o DIR; no single file, stdout or --in-place).
// Controls: prose that starts with "From " in a draft is still one message.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mailguard-rt-rewrite-mailbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example'];
const list = (p: string) => ['one', 'two', 'three', 'four', 'five'].map((d) => `${p}@${d}.test`).join(', ');

const message = (to: string, subject: string, eol: string) => ['From: s@corp.example', `To: ${to}`, `Subject: ${subject}`, '', 'body', ''].join(eol);

/** A draft followed by a second message after an mbox `From ` line, in the given line ends. */
function twoMessages(eol: string, fromLine: string): string {
  return `${message(list('a'), 'first', eol)}${eol}${fromLine}${eol}${message(list('f'), 'second', eol)}`;
}

const SHAPES: Array<[string, string]> = [
  ['LF, a whole From line', twoMessages('\n', 'From s@corp.example Mon Dec  7 18:00:00 2026')],
  ['CRLF, a whole From line', twoMessages('\r\n', 'From s@corp.example Mon Dec  7 18:00:00 2026')],
  ['LF, Thunderbird\'s "From - " line', twoMessages('\n', 'From - Mon Dec  7 18:00:00 2026')],
  ['bare CR, a whole From line', twoMessages('\r', 'From s@corp.example Mon Dec  7 18:00:00 2026')],
  ['the second message after a clean first one', `${message('colleague@corp.example', 'first', '\n')}\nFrom s@corp.example Mon Dec  7 18:00:00 2026\n${message(list('f'), 'second', '\n')}`],
];

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('fix reads a draft that shows an mbox separator as check does: every message, none left exposed', () => {
  SHAPES.forEach(([name, text], n) => {
    for (const strategy of ['bcc', 'split'] as const) {
      it(`${name}, ${strategy}: every output passes check`, async () => {
        const file = write(`shape-${n}-${strategy}.eml`, text);
        const before = await runCli(['check', file, ...POLICY]);
        expect(before.code).toBe(1);
        const out = path.join(dir, `out-${n}-${strategy}`);
        const r = await runCli(['fix', file, '-o', `${out}/`, '--strategy', strategy, ...POLICY]);
        expect(r.code).toBe(0);
        const written = readdirSync(out).map((f) => path.join(out, f));
        expect(written.length).toBeGreaterThan(0);
        for (const f of written) {
          const again = await runCli(['check', f, ...POLICY]);
          expect(again.code, `${path.basename(f)}: ${again.stdout}`).toBe(0);
        }
      });
    }

    it(`${name}: one output file or stdout is refused (several messages), nothing written`, async () => {
      const file = write(`shape-${n}-one.eml`, text);
      const out = path.join(dir, `one-${n}.eml`);
      const r = await runCli(['fix', file, '-o', out, ...POLICY]);
      expect(r.code).toBe(2);
      expect(existsSync(out)).toBe(false);
      const piped = await runCli(['fix', '-', ...POLICY], { input: text });
      expect(piped.code).toBe(2);
      expect(piped.stdout).not.toMatch(/^From: /m);
    });

    it(`${name}: --in-place leaves the file as it was`, async () => {
      const file = write(`shape-${n}-inplace.eml`, text);
      const r = await runCli(['fix', file, '--in-place', ...POLICY]);
      expect(r.code).toBe(2);
      expect(readFileSync(file, 'latin1')).toBe(text);
    });
  });
});

describe('controls: a draft whose text starts a line with "From " is one message', () => {
  const PROSE: Array<[string, string]> = [
    ['a signature line', `${message(list('a'), 'offer', '\n')}\nFrom the desk of Ann\nPhone: 555 0100\n`],
    ['a quoted From line', `${message(list('a'), 'offer', '\n')}\n>From s@corp.example Mon Dec  7 18:00:00 2026\nTo: x\n`],
  ];
  PROSE.forEach(([name, text], n) => {
    it(`${name}: rewritten in place as one message`, async () => {
      const file = write(`prose-${n}.eml`, text);
      const r = await runCli(['fix', file, '--in-place', ...POLICY]);
      expect(r.code).toBe(0);
      const fixed = readFileSync(file, 'latin1');
      expect(fixed).toMatch(/^To: undisclosed-recipients:;$/m);
      expect(fixed.endsWith(text.slice(text.indexOf('\n\n')))).toBe(true);
      const again = await runCli(['check', file, ...POLICY]);
      expect(again.code).toBe(0);
    });
  });
});
