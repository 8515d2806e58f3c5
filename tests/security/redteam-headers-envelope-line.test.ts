// Red team, header reading: a first line `From : a@x, b@y, ...` (white space before the colon).
// It starts with "From ", so it was taken for an mbox envelope line and skipped unread (by the
// header reader, the mbox sniff and the strip before relaying); an SMTP server reads it as the
// From field and shows every author in it. A list written there passed as clean.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideDelivery } from '../../src/decide/index.js';
import { looksLikeMbox } from '../../src/io/formats/mbox.js';
import { locateBodyStart, readHeaderBlock } from '../../src/message/header-block.js';
import { stripLeadingEnvelope } from '../../src/rewrite/strip-bcc.js';
import { runCli } from '../helpers/cli.js';
import { check, codes, CORP, message } from './support.js';

const AUTHORS = ['a@alpha.example', 'b@beta.example', 'c@gamma.example', 'd@delta.example', 'e@epsilon.example'];
const BOM = '\ufeff';

/** A message whose first line is `first`, sent to one internal recipient. */
function startingWith(first: string, eol: string): string {
  return message([first, 'To: me@corp.example', 'Subject: minutes', 'Date: Mon, 7 Dec 2026 10:00:00 +0000'], eol);
}

describe('a first line "From <spaces>:" is the From field, not an mbox envelope line', () => {
  const cases: Array<[string, string, string]> = [];
  for (const [eolName, eol] of [['CRLF', '\r\n'], ['LF', '\n']] as const) {
    cases.push([`space before the colon, ${eolName}`, `From : ${AUTHORS.join(', ')}`, eol]);
    cases.push([`tab and spaces before the colon, ${eolName}`, `From \t : ${AUTHORS.join(', ')}`, eol]);
    cases.push([`after a byte order mark, ${eolName}`, `${BOM}From : ${AUTHORS.join(', ')}`, eol]);
    cases.push([`display names, ${eolName}`, `From : ${AUTHORS.map((a, i) => `"Author ${i}" <${a}>`).join(', ')}`, eol]);
  }

  it.each(cases)('%s: the authors are shown and counted', (_name, first, eol) => {
    const r = check(startingWith(first, eol));
    expect(codes(r)).toContain('EXPOSED_RECIPIENTS');
    expect(r.verdict).toBe('block');
    expect(r.recipients.shown.map((v) => `${v.field}:${v.address}`)).toEqual(AUTHORS.map((a) => `from:${a}`));
  });

  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('%s: the header block reads it as a field and the body starts where it does', (_name, eol) => {
    const text = startingWith(`From : ${AUTHORS.join(', ')}`, eol);
    const bytes = Buffer.from(text);
    const block = readHeaderBlock(bytes);
    expect(block.mboxFromLine).toBeUndefined();
    expect(block.fields.map((f) => f.key)).toEqual(['from', 'to', 'subject', 'date']);
    expect(block.fields[0]!.spaceBeforeColon).toBe(true);
    expect(locateBodyStart(bytes)).toBe(block.bodyStart);
    // Relayed with the field it was checked with (dropping it would relay other bytes than checked).
    expect(stripLeadingEnvelope(bytes)).toEqual({ bytes, lines: 0 });
    expect(looksLikeMbox(bytes)).toBe(false);
  });

  it('a real mbox envelope line is still skipped, sniffed as mbox and stripped', () => {
    const text = `From sender@corp.example Mon Dec  7 10:00:00 2026\n${startingWith(`From: ${AUTHORS.join(', ')}`, '\n')}`;
    const bytes = Buffer.from(text);
    expect(readHeaderBlock(bytes).mboxFromLine).toBe('From sender@corp.example Mon Dec  7 10:00:00 2026');
    expect(looksLikeMbox(bytes)).toBe(true);
    expect(stripLeadingEnvelope(bytes).lines).toBe(1);
    expect(codes(check(text))).toContain('EXPOSED_RECIPIENTS');
    // An envelope line whose sender is a bare "From" word stays an envelope line.
    expect(readHeaderBlock(Buffer.from('From  MAILER-DAEMON Mon Dec  7 10:00:00 2026\nTo: me@corp.example\n\nhi\n')).mboxFromLine).toBe('From  MAILER-DAEMON Mon Dec  7 10:00:00 2026');
  });

  it('the delivery decision blocks it instead of relaying the authors', () => {
    const d = decideDelivery(Buffer.from(startingWith(`From : ${AUTHORS.join(', ')}`, '\r\n')), CORP, { onViolation: 'block' });
    expect(d.action).toBe('block');
    expect(d.blocking.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
  });

  describe('the built CLI', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailguard-redteam-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads such a file as one message and blocks it (exit 1), from a file and from stdin', async () => {
      const file = path.join(dir, 'from-space-colon.eml');
      const text = startingWith(`From : ${AUTHORS.join(', ')}`, '\r\n');
      writeFileSync(file, text);
      for (const [args, input] of [[[file], undefined], [['-'], text]] as const) {
        const r = await runCli(['check', ...args, '--internal-domain', 'corp.example', '--format', 'json'], input === undefined ? {} : { input });
        expect(r.code).toBe(1);
        const report = JSON.parse(r.stdout) as { results: Array<{ source: string; verdict: string; findings: Array<{ code: string }> }> };
        expect(report.results).toHaveLength(1);
        expect(report.results[0]!.verdict).toBe('block');
        expect(report.results[0]!.findings.map((f) => f.code)).toContain('EXPOSED_RECIPIENTS');
      }
    });
  });
});
