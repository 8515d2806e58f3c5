// Security cases for the header block: line ends, control bytes, field counting, where the header
// ends, and the size limits. Each case is named for what it defends against.
import { SENDMAIL_DELIVERED_MEMORY_MS } from '../../src/sendmail/delivered-copies.js';
import { VIA_SENDMAIL_KILL_GRACE_MS, VIA_SENDMAIL_TIMEOUT_MS } from '../../src/sendmail/via-sendmail.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import * as limits from '../../src/limits.js';
import { MAX_CHECK_MS } from '../../src/limits.js';
import * as proxyLimits from '../../src/proxy/limits.js';
import * as milterLimits from '../../src/milter/limits.js';
import { SPOOL_MEMORY_CHARS } from '../../src/cli/spool.js';
import { readHeaderBlock, locateBodyStart } from '../../src/message/header-block.js';
import { createPolicy } from '../../src/policy/policy.js';
import { FIXTURES, ROOT, runCli } from '../helpers/cli.js';
import { check, codes, CORP, message, problems, timed, visible } from './support.js';

const EXTERNAL_5 = 'a@one.example, b@two.example, c@three.example, d@four.example, e@five.example';

describe('line ends: every convention reads the same recipients', () => {
  const headers = ['From: me@corp.example', `To: ${EXTERNAL_5}`, 'Cc: boss@corp.example', 'Subject: hi'];
  const expected = ['to:a@one.example', 'to:b@two.example', 'to:c@three.example', 'to:d@four.example', 'to:e@five.example', 'cc:boss@corp.example'];

  it.each([
    ['CRLF', '\r\n'],
    ['LF only', '\n'],
    ['CR only (classic Mac OS)', '\r'],
  ])('%s: a list cannot hide behind an unusual line end', (_name, eol) => {
    const r = check(message(headers, eol));
    expect(visible(r)).toEqual(expected);
    expect(r.verdict).toBe('block');
    expect(codes(r)).toEqual(['EXPOSED_RECIPIENTS']);
  });

  it('CR-only mbox: the From_ line ends at its CR and does not swallow the header block', () => {
    const text = `From sender@corp.example Sun Sep  7 21:40:07 2008\r${message(headers, '\r')}`;
    const r = check(text);
    expect(r.verdict).toBe('block');
    expect(visible(r)).toEqual(expected);
    const block = readHeaderBlock(Buffer.from(text));
    expect(block.mboxFromLine).toBe('From sender@corp.example Sun Sep  7 21:40:07 2008');
    expect(block.fields.map((f) => f.key)).toEqual(['from', 'to', 'cc', 'subject']);
    expect(locateBodyStart(Buffer.from(text))).toBe(text.indexOf('Hello.'));
  });

  it('CRLF mbox From_ line keeps its CR out of the recorded line', () => {
    const text = `From x@corp.example Mon Jan  1 00:00:00 2024\r\n${message(headers)}`;
    const block = readHeaderBlock(Buffer.from(text));
    expect(block.mboxFromLine).toBe('From x@corp.example Mon Jan  1 00:00:00 2024');
    expect(block.lineEnding).toBe('crlf');
    expect(visible(check(text))).toEqual(expected);
  });

  it('folded To lines (CRLF, LF and CR-only folding) keep every address', () => {
    for (const eol of ['\r\n', '\n', '\r']) {
      const r = check(message(['From: me@corp.example', `To: a@one.example,${eol} b@two.example,${eol}\tc@three.example`], eol));
      expect(visible(r)).toEqual(['to:a@one.example', 'to:b@two.example', 'to:c@three.example']);
    }
  });

  it('a bare CR inside a To field (read as a line break by some software, hiding a Cc) is ambiguous', () => {
    const r = check(message(['From: me@corp.example', 'To: boss@corp.example\rCc: x@evil.example'], '\n'));
    expect(r.verdict).toBe('block');
    expect(problems(r)).toContain('AMBIGUOUS_RECIPIENT:control-character');
  });

  it('a bare LF in a CRLF message still ends the line: the Cc after it counts', () => {
    const r = check('From: me@corp.example\r\nTo: boss@corp.example\nCc: x@evil.example\r\n\r\nbody\r\n');
    expect(visible(r)).toEqual(['to:boss@corp.example', 'cc:x@evil.example']);
  });
});

describe('a CR-only header with LF line ends after it (read one way here, another by LF software)', () => {
  const L = 'u1@org1.example, u2@org2.example, u3@org3.example, u4@org4.example, u5@org5.example, u6@org6.example';
  // Postfix's sendmail and nodemailer's stream and sendmail transports split lines on LF (the
  // latter delete every CR): to them the LF lines below are header fields.
  it.each([
    ['a Cc on an LF line after the CR blank line', `From: a@corp.example\rTo: a@corp.example\rSubject: hi\r\rx\nCc: ${L}\n\nbody\n`, 5],
    ['CR CR LF after the first field (the To is header to LF readers)', `From: me@corp.example\r\r\nTo: ${L}\r\n\r\nbody\r\n`, 3],
    ['a CRLF body after a CR-only header', `From: a@corp.example\rTo: a@corp.example\r\rline one\r\nCc: ${L}\r\n\r\n`, 5],
    ['an mbox From_ line and a CR-only header, an LF far into the body', `From a@corp.example Mon Jan  1 00:00:00 2024\rFrom: a@corp.example\rTo: a@corp.example\r\r${'body\r'.repeat(50)}Cc: ${L}\n\n`, 55],
    ['only a final LF', 'From: a@corp.example\rTo: a@corp.example\r\rbody\n', 4],
  ])('%s: malformed, blocked', (_name, text, line) => {
    const r = check(text);
    expect(r.verdict).toBe('block');
    const f = r.findings.find((x) => x.code === 'MALFORMED_HEADER' && (x.args as { problem: string }).problem === 'mixed-line-ends');
    expect(f?.line).toBe(line);
  });

  it('a CR-only message without any LF, and an LF message with CRs in its body, are not reported', () => {
    for (const text of ['From: a@corp.example\rTo: b@corp.example\r\rbody\rmore\r', 'From: a@corp.example\nTo: b@corp.example\n\nbody\rCc: x@y.example\r\n']) {
      expect(problems(check(text))).not.toContain('MALFORMED_HEADER:mixed-line-ends');
      expect(check(text).verdict).toBe('pass');
    }
  });

  it('check reads the whole file for a CR-only header, body scan off too: an LF past the first read is found', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailguard-cr-'));
    try {
      const file = path.join(dir, 'cr.eml');
      // Far past the first read of the header (HEADER_READ_CHUNK_BYTES).
      writeFileSync(file, `From: a@corp.example\rTo: a@corp.example\r\r${'x'.repeat(limits.HEADER_READ_CHUNK_BYTES * 3)}\nCc: ${L}\n\n`, 'latin1');
      const run = await runCli(['check', file, '--internal-domain', 'corp.example', '--format', 'json', '--no-body-scan']);
      expect(run.code).toBe(1);
      const doc = JSON.parse(run.stdout) as { results: Array<{ findings: Array<{ code: string; args: { problem?: string } }> }> };
      expect(doc.results[0]!.findings.map((f) => `${f.code}:${f.args.problem}`)).toContain('MALFORMED_HEADER:mixed-line-ends');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('control bytes and invalid UTF-8', () => {
  it.each([
    ['NUL', '\x00'],
    ['SOH', '\x01'],
    ['ESC', '\x1b'],
    ['DEL', '\x7f'],
    ['vertical tab', '\x0b'],
    ['form feed', '\x0c'],
  ])('%s between two addresses (C strings end at NUL; others split there) is ambiguous', (_name, ctl) => {
    const r = check(message(['From: me@corp.example', `To: boss@corp.example${ctl}x@evil.example`]));
    expect(r.verdict).toBe('block');
    expect(problems(r)).toContain('AMBIGUOUS_RECIPIENT:control-character');
  });

  it.each([
    ['NEL (U+0085)', '\u0085'],
    ['a C1 control (U+009B, CSI)', '\u009b'],
    ['LINE SEPARATOR (U+2028)', '\u2028'],
    ['PARAGRAPH SEPARATOR (U+2029)', '\u2029'],
  ])('%s in a To field (a line end to Python splitlines, Java, JavaScript) is ambiguous', (_name, brk) => {
    for (const field of [`To: boss@corp.example${brk}Cc: x@evil.example`, `To: "Boss${brk}" <boss@corp.example>`, `To: boss${brk}@corp.example`, `To: (note${brk}) boss@corp.example`]) {
      const r = check(message(['From: me@corp.example', field]));
      expect(r.verdict).toBe('block');
      expect(problems(r)).toContain('AMBIGUOUS_RECIPIENT:control-character');
    }
  });

  it('ordinary non-ASCII names and domains are not mistaken for line breaks', () => {
    const r = check(message(['From: me@corp.example', 'To: Jürgen Groß <j@bücher.example>, "山田 太郎" <yamada@corp.example>, “Quote” <q@corp.example>']));
    expect(r.findings.filter((f) => f.code === 'AMBIGUOUS_RECIPIENT')).toEqual([]);
    expect(r.recipients.visible).toHaveLength(3);
  });

  it('NUL inside a quoted display name is ambiguous (truncation hides the address)', () => {
    const r = check(message(['From: me@corp.example', 'To: "Boss\x00" <x@evil.example>']));
    expect(problems(r)).toContain('AMBIGUOUS_RECIPIENT:control-character');
  });

  it('NUL in a field name is a malformed header, not a silently skipped field', () => {
    const r = check(message(['From: me@corp.example', 'T\x00o: x@evil.example']));
    expect(r.verdict).toBe('block');
    expect(problems(r)).toContain('MALFORMED_HEADER:bad-field-name');
  });

  it('invalid UTF-8 in a domain is ambiguous (decoders replace or drop the bytes differently)', () => {
    const r = check(message(['From: me@corp.example', 'To: x@corp\xff.example']), undefined, { latin1: true });
    expect(problems(r)).toEqual(['AMBIGUOUS_RECIPIENT:invalid-utf8']);
  });

  it('an overlong UTF-8 dot (C0 AE) in a domain is refused, never read as "."', () => {
    const r = check(message(['From: me@corp.example', 'To: x@evil\xc0\xaecorp.example']), undefined, { latin1: true });
    expect(r.verdict).toBe('block');
    expect(problems(r)).toEqual(['AMBIGUOUS_RECIPIENT:invalid-utf8']);
  });

  it('invalid UTF-8 in a local part is ambiguous', () => {
    const r = check(message(['From: me@corp.example', 'To: \xfe\xff@evil.example']), undefined, { latin1: true });
    expect(problems(r)).toEqual(['AMBIGUOUS_RECIPIENT:invalid-utf8']);
  });

  it('invalid UTF-8 only in a display name does not change the address', () => {
    const r = check(message(['From: me@corp.example', 'To: Bj\xf6rn <bjorn@corp.example>']), undefined, { latin1: true });
    expect(visible(r)).toEqual(['to:bjorn@corp.example']);
    expect(r.verdict).toBe('pass');
  });
});

describe('where the header block ends', () => {
  it('body text right after the header with no blank line is a malformed header (fail closed)', () => {
    const r = check('From: me@corp.example\nTo: boss@corp.example\nHi all, see the list below\nCc: x@evil.example\n');
    expect(r.verdict).toBe('block');
    expect(problems(r)).toContain('MALFORMED_HEADER:line-without-colon');
  });

  it('a header-only message (no blank line, no body) is read completely', () => {
    const r = check(`From: me@corp.example\r\nTo: ${EXTERNAL_5}`);
    expect(r.recipients.externalParties).toBe(5);
    expect(r.verdict).toBe('block');
  });

  it('a whitespace-only line (some parsers end the header there, hiding what follows) is malformed', () => {
    const r = check('From: me@corp.example\r\nTo: boss@corp.example\r\n \r\nCc: x@evil.example\r\n\r\nbody\r\n');
    expect(r.verdict).toBe('block');
    expect(problems(r)).toContain('MALFORMED_HEADER:whitespace-only-line');
  });

  it('a flood of bad header lines is reported once per kind, in linear time (no list of a million problems)', () => {
    const text = `From: me@corp.example\r\n${'To: a@corp.example\r\n'.repeat(10_001)}${'no colon here\r\n \r\n'.repeat(100_000)}\r\nbody`;
    const { value: block, ms } = timed(() => readHeaderBlock(Buffer.from(text)));
    expect(block.problems.map((p) => p.kind)).toEqual(['too-many-fields', 'line-without-colon', 'whitespace-only-line']);
    expect(ms).toBeLessThan(500);
  });

  it('a continuation line before any field is malformed', () => {
    const r = check(' To: x@evil.example\r\nFrom: me@corp.example\r\n\r\n');
    expect(problems(r)).toContain('MALFORMED_HEADER:leading-continuation');
  });

  it('only the outer header counts: a message/rfc822 attachment\'s inner To is not a recipient', () => {
    const inner = ['From: other@one.example', `To: ${EXTERNAL_5}`, 'Subject: forwarded'].join('\r\n');
    const text = [
      'From: me@corp.example',
      'To: boss@corp.example',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'See attached.',
      '--b1',
      'Content-Type: message/rfc822',
      '',
      inner,
      '',
      'inner body',
      '--b1--',
      '',
    ].join('\r\n');
    const r = check(text);
    expect(visible(r)).toEqual(['to:boss@corp.example']);
    expect(r.verdict).toBe('pass');
  });

  it('To-like lines in the body are never read', () => {
    const r = check(message(['From: me@corp.example', 'To: boss@corp.example'], '\r\n', `To: ${EXTERNAL_5}\r\nCc: z@evil.example`));
    expect(visible(r)).toEqual(['to:boss@corp.example']);
  });

  it('a UTF-8 BOM before the header does not hide the first field', () => {
    const r = check(`\ufeff${message([`To: ${EXTERNAL_5}`, 'From: me@corp.example'])}`);
    expect(r.recipients.externalParties).toBe(5);
  });
});

describe('recipient fields: every occurrence counts', () => {
  it('a second To field (RFC 5322 allows one; some software reads only the first) is counted and reported', () => {
    const r = check(message(['From: me@corp.example', 'To: boss@corp.example', 'Subject: x', `To: ${EXTERNAL_5}`]));
    expect(r.recipients.externalParties).toBe(5);
    expect(codes(r)).toEqual(['EXPOSED_RECIPIENTS', 'DUPLICATE_RECIPIENT_FIELD']);
  });

  it('an empty To before a full one does not hide it', () => {
    const r = check(message(['From: me@corp.example', 'To:', `To: ${EXTERNAL_5}`]));
    expect(r.recipients.externalParties).toBe(5);
    expect(r.verdict).toBe('block');
  });

  it('two Cc fields, the first empty, count all addresses', () => {
    const r = check(message(['From: me@corp.example', 'Cc: ', 'Cc: a@one.example, b@two.example, c@three.example']));
    expect(r.recipients.externalParties).toBe(3);
    expect(codes(r)).toContain('DUPLICATE_RECIPIENT_FIELD');
  });

  it('empty To and Cc fields alone: nothing visible, nothing invented', () => {
    const r = check(message(['From: me@corp.example', 'To:', 'Cc:   ']));
    expect(visible(r)).toEqual([]);
    expect(codes(r)).toEqual([]);
  });

  it.each(['to', 'TO', 'tO', 'cC', 'CC'])('field name case (%s) does not matter', (name) => {
    const r = check(message(['From: me@corp.example', `${name}: ${EXTERNAL_5}`]));
    expect(r.recipients.externalParties).toBe(5);
  });

  it.each(['To :', 'To\t:', 'Cc  :'])('white space before the colon (%s, obsolete syntax some parsers do not recognise) is ambiguous', (name) => {
    const r = check(message(['From: me@corp.example', `${name} x@evil.example`]));
    expect(r.verdict).toBe('block');
    expect(problems(r)).toContain('AMBIGUOUS_RECIPIENT:space-before-colon');
  });

  it('Resent-To and Resent-Cc are visible recipients', () => {
    const r = check(message(['From: me@corp.example', 'Resent-From: me@corp.example', 'Resent-To: a@one.example, b@two.example', 'Resent-Cc: c@three.example, d@four.example, e@five.example']));
    expect(r.recipients.externalParties).toBe(5);
    expect(new Set(r.recipients.visible.map((v) => v.field))).toEqual(new Set(['resent-to', 'resent-cc']));
    expect(r.verdict).toBe('block');
  });

  it('a Resent-Bcc with addresses would leak the blind recipients: reported', () => {
    const r = check(message(['From: me@corp.example', 'Resent-To: boss@corp.example', 'Resent-Bcc: secret@evil.example']));
    expect(codes(r)).toContain('BCC_HEADER_PRESENT');
    expect(r.findings.find((f) => f.code === 'BCC_HEADER_PRESENT')?.args).toMatchObject({ field: 'resent-bcc', count: 1 });
  });

  it('Reply-To showing many external organisations counts toward exposure, and is not a recipient', () => {
    const r = check(message(['From: me@corp.example', 'To: boss@corp.example', `Reply-To: ${EXTERNAL_5}`]));
    expect(codes(r)).toEqual(['EXPOSED_RECIPIENTS', 'EXPOSED_REPLY_ADDRESSES']);
    expect(r.verdict).toBe('block');
    expect(r.recipients.externalParties).toBe(0);
    expect(r.recipients.reply).toHaveLength(5);
  });

  it('Mail-Followup-To showing many external organisations is reported', () => {
    const r = check(message(['From: me@corp.example', 'To: boss@corp.example', `Mail-Followup-To: ${EXTERNAL_5}`]));
    expect(r.findings.find((f) => f.code === 'EXPOSED_REPLY_ADDRESSES')?.args).toMatchObject({ field: 'mail-followup-to', parties: 5 });
  });

  it('Mail-Reply-To (mutt\'s Reply-To) showing many external organisations is reported, and an ambiguous one blocks', () => {
    const r = check(message(['From: me@corp.example', 'To: boss@corp.example', `Mail-Reply-To: ${EXTERNAL_5}`]));
    expect(r.verdict).toBe('block');
    expect(r.findings.find((f) => f.code === 'EXPOSED_REPLY_ADDRESSES')?.args).toMatchObject({ field: 'mail-reply-to', parties: 5 });
    const ambiguous = check(message(['From: me@corp.example', 'To: boss@corp.example', 'Mail-Reply-To: "boss <boss@corp.example>']));
    expect(ambiguous.findings.some((f) => f.code === 'AMBIGUOUS_RECIPIENT' && f.args.field === 'mail-reply-to')).toBe(true);
  });

  // From and Sender are once-only (RFC 5322 3.6): several such fields are several authors or
  // senders, whichever a reader shows, and read as one list, as several in one field are.
  const ONE_EACH = (name: string) => ['a@one.example', 'b@two.example', 'c@three.example', 'd@four.example', 'e@five.example'].map((a) => `${name}: ${a}`);
  it.each([
    ['five From fields, one author each', [...ONE_EACH('From'), 'Sender: me@corp.example', 'To: boss@corp.example'], 'block', ['EXPOSED_RECIPIENTS']],
    ['five From fields without a Sender', [...ONE_EACH('From'), 'To: boss@corp.example'], 'block', ['EXPOSED_RECIPIENTS']],
    ['an internal From, then four external ones in their own fields', ['From: me@corp.example', ...ONE_EACH('From').slice(1), 'Sender: me@corp.example', 'To: boss@corp.example'], 'warn', ['EXPOSED_RECIPIENTS']],
    ['five Sender fields, one mailbox each', ['From: me@corp.example', ...ONE_EACH('Sender'), 'To: boss@corp.example'], 'block', ['MALFORMED_HEADER:several-senders', 'EXPOSED_RECIPIENTS']],
    ['two Sender fields naming different mailboxes', ['From: me@corp.example', 'Sender: me@corp.example', 'Sender: you@corp.example', 'To: boss@corp.example'], 'block', ['MALFORMED_HEADER:several-senders']],
  ])('%s: the authors or senders are one list', (_name, lines, verdict, expected) => {
    const r = check(message(lines));
    expect(r.verdict).toBe(verdict);
    expect(r.findings.map((f) => ('problem' in f.args ? `${f.code}:${f.args.problem}` : f.code))).toEqual(expected);
  });

  it('a From or Sender line written twice word for word names one author, as before', () => {
    for (const lines of [
      ['From: me@corp.example', 'From: me@corp.example', 'To: boss@corp.example'],
      ['From: me@corp.example', 'Sender: desk@corp.example', 'Sender: desk@corp.example', 'To: boss@corp.example'],
      ['From: x@one.example', 'From: x@one.example', 'To: boss@corp.example'],
    ]) {
      const r = check(message(lines));
      expect([r.verdict, r.recipients.shown]).toEqual(['pass', []]);
    }
  });

  it('100,000 authors in one From field and 9,000 From fields after it are read in linear time', () => {
    const first = Array.from({ length: 100_000 }, (_, i) => `a${i}@org${i % 5000}.example`).join(',\r\n ');
    const more = Array.from({ length: 9_000 }, (_, i) => `From: b${i}@org${i % 5000}.example`);
    const bytes = Buffer.from(message([`From: ${first}`, ...more, 'Sender: me@corp.example', 'To: boss@corp.example']));
    const { value: r, ms } = timed(() => checkMessage(bytes, CORP));
    expect(ms).toBeLessThan(BOUND_MS);
    expect([r.verdict, r.recipients.shown.length]).toEqual(['block', 109_000]);
  });

  it('with no internal domain configured, several From fields are several authors: nothing is inferred from the first', () => {
    const customers = Array.from({ length: 30 }, (_, i) => `p${i}@customer.example`).join(', ');
    for (const lines of [
      ['From: x@customer.example', 'From: me@corp.example', `To: ${customers}`],
      ['From: me@corp.example', 'From: x@customer.example', `To: ${customers}`],
    ]) {
      const r = check(message(lines), createPolicy({}));
      expect([r.verdict, r.internal.domains, r.internal.notInferred]).toEqual(['block', [], 'several-authors']);
    }
    // A Sender names who sent it, as with several authors in one field.
    const withSender = check(message(['From: x@customer.example', 'From: me@corp.example', 'Sender: me@corp.example', `To: ${customers}`]), createPolicy({}));
    expect([withSender.verdict, withSender.internal.domains, withSender.internal.inferredFrom]).toEqual(['block', ['corp.example'], 'sender']);
  });

  it('an ambiguous Reply-To blocks (replies would go somewhere mail software disagrees on)', () => {
    const r = check(message(['From: me@corp.example', 'To: boss@corp.example', 'Reply-To: "boss <boss@corp.example>']));
    expect(r.verdict).toBe('block');
    expect(r.findings.some((f) => f.code === 'AMBIGUOUS_RECIPIENT' && f.args.field === 'reply-to')).toBe(true);
  });
});

// ---- invariants every input must keep, replayed on fuzz finds and on random mutations ----------

const BOUND_MS = 2 * MAX_CHECK_MS;
const INFERRED = createPolicy({});

/** What must hold for any bytes: no throw, a verdict, in time, deterministic, header block alone = whole. */
function assertInvariants(bytes: Buffer): void {
  for (const policy of [CORP, INFERRED]) {
    const { value: first, ms } = timed(() => checkMessage(bytes, policy, { source: 'x' }));
    expect(['pass', 'warn', 'block', 'error']).toContain(first.verdict);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(isDeepStrictEqual(first, checkMessage(bytes, policy, { source: 'x' }))).toBe(true);
    const bodyStart = locateBodyStart(bytes);
    if (bodyStart !== -1) {
      // The CLI reads only the header block. (For input that is not a message the reason may
      // differ: "\r\nbody" is "no-header" whole and "empty" as its header block alone.)
      const headerOnly = checkMessage(bytes.subarray(0, bodyStart), policy, { source: 'x' });
      if (first.verdict === 'error') expect(headerOnly.verdict).toBe('error');
      else expect(headerOnly).toEqual(first);
    }
    // Whatever else it found, an ambiguity or a malformed header always blocks.
    if (first.findings.some((f) => f.code === 'AMBIGUOUS_RECIPIENT' || f.code === 'MALFORMED_HEADER')) expect(first.verdict).toBe('block');
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() && !e.name.endsWith('.md') && !e.name.endsWith('.json') && statSync(p).size > 0 ? [p] : [];
  });
}

describe('fuzz regressions (fixtures/crashes/)', () => {
  const crashes = filesUnder(path.join(FIXTURES, 'crashes'));

  it('has regression inputs to replay', () => {
    expect(crashes.length).toBeGreaterThanOrEqual(3);
  });

  it.each(crashes.map((f) => [path.basename(f), f]))('%s keeps every invariant', (_name, file) => {
    assertInvariants(readFileSync(file));
  });

  it('the CR-only mbox regression reads its recipients', () => {
    const r = checkMessage(readFileSync(path.join(FIXTURES, 'crashes/cr-only-mbox-from-line.eml')), CORP);
    expect(r.recipients.externalParties).toBe(5);
  });
});

// Seeds: every message fixture in the repository (npm test has no corpus).
const SEEDS = filesUnder(FIXTURES)
  .filter((f) => !f.includes(`${path.sep}crashes${path.sep}`))
  .map((f) => readFileSync(f).subarray(0, 16 * 1024));

const INTERESTING = ['\x00', '\r', '\n', '\r\n', '\r\n ', '\r\n\r\n', '"', '(', ')', '<', '>', '@', ',', ';', ':', '\\', '[', ']', '%', '=?utf-8?q?a=40b?=', 'xn--', '\u00ad', '\u212a', 'ß', '\xff', 'To: ', 'Cc: ', 'From '];

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'repeat'; at: number; len: number; times: number }
  | { op: 'truncate'; at: number }
  | { op: 'eol'; to: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...INTERESTING), fc.string({ maxLength: 8 })) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }), times: fc.integer({ min: 2, max: 20_000 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('eol' as const), to: fc.constantFrom('\r\n', '\n', '\r', '\n\r') }),
);

function applyMutation(b: Buffer, m: Mutation): Buffer {
  const at = b.length === 0 ? 0 : ('at' in m ? m.at % (b.length + 1) : 0);
  switch (m.op) {
    case 'flip': {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[at % c.length]! ^= 1 << m.bit;
      return c;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.text, 'utf8'), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    case 'repeat': {
      const chunk = b.subarray(at, at + m.len);
      return Buffer.concat([b.subarray(0, at), ...Array<Buffer>(m.times).fill(chunk), b.subarray(at)]);
    }
    case 'truncate':
      return b.subarray(0, at);
    case 'eol':
      return Buffer.from(b.toString('latin1').replace(/\r\n|\r|\n/g, m.to), 'latin1');
  }
}

describe('property: random byte mutations of real messages', () => {
  it('never throw out of the core, finish within the bound, and keep every invariant', () => {
    expect(SEEDS.length).toBeGreaterThan(10);
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 5 }), (seed, mutations) => {
        assertInvariants(mutations.reduce(applyMutation, Buffer.from(seed)));
      }),
      { numRuns: 400 },
    );
  });
});

describe('SECURITY.md states the limits as they are', () => {
  /** `16 MiB`, `10,000`, `1,000 ms`, `5 min`, `64 KiB` -> a number in the constant's unit. */
  function value(text: string): number {
    const m = /^([\d,]+)\s*(MiB|KiB|ms|min)?$/.exec(text.trim());
    if (!m) throw new Error(`cannot read the value "${text}"`);
    const n = Number(m[1]!.replace(/,/g, ''));
    return m[2] === 'MiB' ? n * 1024 * 1024 : m[2] === 'KiB' ? n * 1024 : m[2] === 'min' ? n * 60_000 : n;
  }
  const rows = new Map(
    [...readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8').matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, value(m[2]!)]),
  );

  it('lists every core limit (src/limits.ts) with its value', () => {
    for (const [name, v] of Object.entries(limits)) expect([name, rows.get(name)]).toEqual([name, v]);
  });

  it('every proxy, milter, sendmail and report-spool limit it lists has that value in src/proxy/limits.ts, src/milter/limits.ts, src/sendmail/delivered-copies.ts, src/sendmail/via-sendmail.ts or src/cli/spool.ts', () => {
    const proxy = { ...proxyLimits, ...milterLimits, SPOOL_MEMORY_CHARS, SENDMAIL_DELIVERED_MEMORY_MS, VIA_SENDMAIL_TIMEOUT_MS, VIA_SENDMAIL_KILL_GRACE_MS } as Record<string, unknown>;
    for (const [name, v] of rows) if (!(name in limits)) expect([name, proxy[name]]).toEqual([name, v]);
  });

  it('lists every proxy limit (src/proxy/limits.ts)', () => {
    for (const [name, v] of Object.entries(proxyLimits)) expect([name, rows.get(name)]).toEqual([name, v]);
  });
});

describe('the built CLI (which reads only the header block) on hostile fixtures', () => {
  it.each([
    ['security-routed-local-part.eml', 'block', ['AMBIGUOUS_RECIPIENT:routed-local-part']],
    ['security-idn-deviation.eml', 'block', ['AMBIGUOUS_RECIPIENT:idn-mismatch']],
    ['security-unicode-line-separator.eml', 'block', ['MALFORMED_HEADER:foreign-line-break', 'AMBIGUOUS_RECIPIENT:control-character', 'AMBIGUOUS_RECIPIENT:missing-separator', 'EXPOSED_RECIPIENTS']],
    ['security-second-to-field.eml', 'block', ['EXPOSED_RECIPIENTS', 'DUPLICATE_RECIPIENT_FIELD']],
    ['security-cr-only.eml', 'block', ['EXPOSED_RECIPIENTS']],
    ['security-rfc822-inner-to.eml', 'pass', []],
  ])('%s -> %s %j, as checkMessage reads the whole file', async (name, verdict, expected) => {
    const r = await runCli(['check', `fixtures/${name}`, '--internal-domain', 'corp.example', '--format', 'json']);
    const result = JSON.parse(r.stdout).results[0];
    const seen = result.findings.map((f: { code: string; args: { problem?: string } }) => (f.args.problem ? `${f.code}:${f.args.problem}` : f.code));
    expect([result.verdict, [...new Set(seen)]]).toEqual([verdict, expected]);
    expect(r.code).toBe(verdict === 'pass' ? 0 : 1);
    const core = checkMessage(readFileSync(path.join(FIXTURES, name)), CORP);
    expect(core.verdict).toBe(verdict);
    expect(core.recipients.visible.map((v) => v.address)).toEqual(result.recipients.visible.map((v: { address: string }) => v.address));
  });
});

describe('reports quote hostile bytes safely', () => {
  it('excerpts are UTF-8 decoded with C0/C1 controls and line separators escaped (no terminal escapes, no split lines)', async () => {
    const hostile = Buffer.concat([
      Buffer.from('From: me@corp.example\r\nTo: boss@corp.example \x1b[2J\x1b]0;pwned\x07', 'latin1'),
      Buffer.from('\u009b31m \u2028 Jürgen x@evil.example\r\n\r\nbody\r\n', 'utf8'),
    ]);
    for (const format of ['human', 'json']) {
      const r = await runCli(['check', '-', '--format', format], { input: hostile });
      expect(r.code).toBe(1);
      expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/);
      expect(r.stdout).toContain(format === 'json' ? '\\\\x1b' : '\\x1b');
    }
    const core = checkMessage(Buffer.from('From: me@corp.example\r\nTo: "Jürgen \x01" <j@corp.example>\r\n\r\n', 'utf8'), CORP);
    const finding = core.findings.find((f) => f.code === 'AMBIGUOUS_RECIPIENT' && f.args.problem === 'control-character');
    expect(finding?.args).toMatchObject({ excerpt: expect.stringContaining('"Jürgen \\x01"') });
  });
});
