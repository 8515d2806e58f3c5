// Red team: check blocks a message whose header cannot be read safely (MALFORMED_HEADER) or whose
// recipient fields mail software reads in different ways (AMBIGUOUS_RECIPIENT): who saw whom
// cannot be told, and it fails closed. The audit counted the same bytes as audited and clean:
// `To: p0 @ org0.example, ...` (six organisations to a reader that takes the spaces around the
// at, as RFC 5322's obsolete syntax does), `To\u00a0: ...`, a first line ` To: ...` were "No
// message exposed external recipients", exit 0. A message check flags so, in which the audit
// finds no incident, is not known to be clean: it is reported as not read, with check's reason.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-redteam-audit2-unclear-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const POLICY = ['--internal-domain', 'corp.example'];
const six = (sep: string, at = '@') => Array.from({ length: 6 }, (_, i) => `p${i}${at}org${i}.example`).join(sep);
const DATE = 'Date: Mon, 2 Nov 2026 10:00:00 +0000';

let n = 0;
function eml(header: string): string {
  const file = path.join(tmp, `m${n++}.eml`);
  writeFileSync(file, `${header}\n\nbody\n`);
  return file;
}
const message = (fields: string) => `From: me@corp.example\n${fields}\nSubject: s\n${DATE}`;

async function compare(file: string, extra: string[] = []) {
  const check = await runCli(['check', file, ...POLICY, ...extra, '--format', 'json']);
  const audit = await runCli(['audit', file, ...POLICY, ...extra, '--format', 'json']);
  const s = JSON.parse(audit.stdout).summary;
  return { check: check.code, audit: audit.code, incidents: s.incidents as number, unreadable: s.unreadable as number, reasons: s.unreadableReasons as string[], stderr: audit.stderr };
}

// Each is blocked by check and shows no exposure check could count.
const UNCLEAR: Array<[string, string]> = [
  ['spaces around the at (obsolete addr-spec): six organisations to such a reader', message(`To: ${six(', ', ' @ ')}`)],
  ['a no-break space before the colon of To', message(`To\u00a0: ${six(', ')}`)],
  ['a field name with a letter outside ASCII', message(`Tö: ${six(', ')}`)],
  ['To without its colon', message(`To ${six(', ')}`)],
  ['the first header line a continuation', ` To: ${six(', ')}\nFrom: me@corp.example\nSubject: s\n${DATE}`],
  ['an unclosed quote after one address', message('To: a@one.example, "unclosed <b@two.example>')],
];

describe('red team: audit, a header check cannot read is not clean', () => {
  it.each(UNCLEAR)('%s: check blocks, the audit says it could not be read (exit 2)', async (_name, header) => {
    const r = await compare(eml(header));
    expect(r.check).toBe(1);
    expect([r.audit, r.incidents, r.unreadable]).toEqual([2, 0, 1]);
    expect(r.reasons[0]).toMatch(/whom .* cannot be told/);
    // check's reason, its excerpt masked.
    expect(r.reasons[0]).not.toMatch(/\b(?:p\d|a|b)@/);
    expect(r.stderr).not.toMatch(/\b(?:p\d|a|b)@/);
  });

  it('in an mbox and a Maildir too, beside a clean message', async () => {
    const bad = message(`To: ${six(', ', ' @ ')}`);
    const clean = message('To: one@ext.example');
    const mbox = path.join(tmp, 'sent.mbox');
    writeFileSync(mbox, `From me@corp.example Mon Nov  2 10:00:00 2026\n${clean}\n\nbody\n\nFrom me@corp.example Mon Nov  2 10:00:00 2026\n${bad}\n\nbody\n\n`);
    const maildir = path.join(tmp, 'Maildir');
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, d), { recursive: true });
    writeFileSync(path.join(maildir, 'cur', '1.M1.host:2,S'), `${clean}\n\nbody\n`);
    writeFileSync(path.join(maildir, 'cur', '2.M2.host:2,S'), `${bad}\n\nbody\n`);
    for (const input of [mbox, maildir]) {
      const r = await compare(input);
      expect([r.audit, r.incidents, r.unreadable]).toEqual([2, 0, 1]);
    }
  });

  it('control: a policy that turns the rules off audits as check passes', async () => {
    const r = await compare(eml(message(`To: ${six(', ', ' @ ')}`)), ['--rule', 'AMBIGUOUS_RECIPIENT=off']);
    expect([r.check, r.audit, r.incidents, r.unreadable]).toEqual([0, 0, 0, 0]);
  });

  it('control: an ambiguous message that exposes a list is an incident, not unread', async () => {
    const r = await compare(eml(message(`To: ${six(', ')}, "unclosed <b@two.example>`)));
    expect([r.check, r.audit, r.incidents, r.unreadable]).toEqual([1, 1, 1, 0]);
  });

  it.each<[string, string]>([
    ['one external recipient', message('To: one@ext.example')],
    ['two organisations in To and Cc', message('To: one@ext.example\nCc: two@other.example')],
    ['undisclosed recipients', message('To: undisclosed-recipients:;\nBcc: one@ext.example, two@other.example')],
  ])('control, %s: clean', async (_name, header) => {
    const r = await compare(eml(header));
    expect([r.check, r.audit, r.incidents, r.unreadable]).toEqual([0, 0, 0, 0]);
  });
});
