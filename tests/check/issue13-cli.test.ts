// Issue 13 through the built CLI, as a user runs it: each class of exposure that used to get
// through, several variants each, and the ordinary mail that must keep passing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../helpers/cli.js';

const fx = (name: string) => path.join(FIXTURES, 'check', name);
const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-issue13-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface JsonResult {
  verdict: string;
  findings: Array<{ code: string; severity: string; args: Record<string, unknown> }>;
  recipients: { shown: Array<{ address: string; field: string; inDisplayName?: boolean }> };
  internalDomains: string[];
  internalDomainsInferred: boolean;
  internalDomainsInferredFrom?: string;
  internalDomainsNotInferred?: string;
}

async function checkJson(args: string[], input?: string): Promise<{ code: number | null; results: JsonResult[] }> {
  const r = await runCli(['check', ...args, '--format', 'json', '--no-redact'], input === undefined ? {} : { input });
  expect(r.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
  return { code: r.code, results: (JSON.parse(r.stdout) as { results: JsonResult[] }).results };
}

const codes = (r: JsonResult) => r.findings.map((f) => ('problem' in f.args ? `${f.code}:${String(f.args.problem)}` : f.code));

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

/**
 * One run of the CLI over every row's file (a JSON result per file, in argument order), so a
 * table costs one process, not one per row. A row's verdict is what its own run's exit code
 * would say (block 1, warn and pass 0, error 2); the run's exit code is asserted once.
 */
type Batch = { code: number | null; results: Map<string, JsonResult> };
async function checkEach(files: string[], flags: string[]): Promise<Batch> {
  const { code, results } = await checkJson([...files, ...flags]);
  expect(results).toHaveLength(files.length);
  return { code, results: new Map(files.map((f, i) => [f, results[i]!])) };
}

const EXT5 = 'a@one.example, b@two.example, c@three.example, d@four.example, e@five.example';

describe('1. a line end another parser honours, in any field, blocks (check and fix)', () => {
  const ROWS: Array<[string, string]> = [
    ['Subject', '\r'],
    ['Received', '\x0c'],
    ['Message-ID', '\u2028'],
    ['Date', '\x0b'],
    ['X-Mailer', '\u0085'],
    ['From', '\x1e'],
  ];
  const fileOf = (field: string) => path.join(tmp, `lb-${field}.eml`);
  let checked: Batch;
  let fixed: { code: number | null; results: Map<string, { action: string; outputs: unknown[] }> };
  beforeAll(async () => {
    for (const [field, br] of ROWS) write(`lb-${field}.eml`, `From: me@corp.example\nTo: boss@corp.example\n${field}: value${br}Cc: ${EXT5}\n\nbody\n`);
    const files = ROWS.map(([field]) => fileOf(field));
    checked = await checkEach(files, ['--internal-domain', 'corp.example']);
    const fix = await runCli(['fix', ...files, '-o', path.join(tmp, 'lb-fixed'), '--internal-domain', 'corp.example', '--format', 'json']);
    const results = (JSON.parse(fix.stdout) as { results: Array<{ action: string; outputs: unknown[] }> }).results;
    fixed = { code: fix.code, results: new Map(files.map((f, i) => [f, results[i]!])) };
  });

  it('check over every row exits 1 (all blocked, none unreadable); fix exits 2 (refused)', () => {
    expect([checked.code, fixed.code]).toEqual([1, 2]);
  });

  it.each(ROWS)('%s with %j hiding a Cc list', (field) => {
    const result = checked.results.get(fileOf(field))!;
    expect(result.verdict).toBe('block');
    expect(codes(result)).toContain('MALFORMED_HEADER:foreign-line-break');
    expect(fixed.results.get(fileOf(field))).toMatchObject({ action: 'refused', outputs: [] });
  });

  it('the fixtures block, and LF-only, CRLF and folded drafts pass', async () => {
    const bad = await checkJson([fx('malformed-bare-cr-subject.eml'), fx('malformed-form-feed-received.eml'), fx('malformed-line-separator-message-id.eml'), fx('malformed-cr-before-line-end.eml'), '--internal-domain', 'corp.example']);
    expect(bad.results.map((r) => r.verdict)).toEqual(['block', 'block', 'block', 'block']);
    const lf = write('lf.eml', 'From: me@corp.example\nTo: "Doe, Jane" <jane@corp.example>\nSubject: a long subject\n folded on\n\nbody\r\nwith a bare \r in it\n');
    const crlf = write('crlf.eml', 'From: me@corp.example\r\nTo: boss@corp.example\r\nSubject: Grüße\r\n\r\nbody\r\n');
    const good = await checkJson([lf, crlf, '--internal-domain', 'corp.example']);
    expect([good.code, good.results.map((r) => r.verdict)]).toEqual([0, ['pass', 'pass']]);
  });
});

describe('2. the inferred internal domain', () => {
  const ROWS: Array<[string, string, number]> = [
    ['inferred-public-suffix.eml', 'public-suffix', 1],
    ['inferred-private-suffix.eml', 'public-suffix', 1],
    ['inferred-consumer-provider.eml', 'consumer-provider', 0],
  ];
  let checked: Batch;
  beforeAll(async () => {
    checked = await checkEach(ROWS.map(([name]) => fx(name)), []);
  });

  it('check over every row exits 1 (two blocked, none unreadable)', () => {
    expect(checked.code).toBe(1);
  });

  it.each(ROWS)('%s: nothing is inferred (%s), nothing is internal, and the report says so', async (name, reason, exit) => {
    const result = checked.results.get(fx(name))!;
    expect(result.verdict).toEqual(exit === 1 ? 'block' : 'warn');
    expect(result.internalDomains).toEqual([]);
    expect(result.internalDomainsNotInferred).toBe(reason);
    const human = await runCli(['check', fx(name)]);
    expect(human.code).toBe(exit);
    expect(human.stdout).toContain('internal domain inferred from the sender: none, so every address is external');
  });

  it('a resent message infers from Resent-From: the original author\'s colleagues are external', async () => {
    const { results } = await checkJson([fx('inferred-resent-from.eml')]);
    expect([results[0]!.verdict, results[0]!.internalDomains, results[0]!.internalDomainsInferredFrom]).toEqual(['block', ['corp.example'], 'resent-from']);
  });

  it('students at a subdomain of the inferred domain are external; configured, the subdomain is included', async () => {
    const inferred = await checkJson([fx('inferred-student-subdomain.eml')]);
    expect(inferred.results[0]!.verdict).toBe('block');
    expect(inferred.results[0]!.findings[0]!.args).toMatchObject({ trigger: 'addresses', externalAddresses: 30, parties: 1 });
    const configured = await checkJson([fx('inferred-student-subdomain.eml'), '--internal-domain', 'university.example']);
    expect(configured.results[0]!.verdict).toBe('pass');
  });

  it('several authors without a Sender infer nothing; with an internal Sender the authors are a list', async () => {
    const none = write('authors.eml', `From: ${EXT5}\nTo: a@one.example\n\nx\n`);
    const r = await checkJson([none]);
    expect(r.results[0]!.internalDomainsNotInferred).toBe('several-authors');
    const withSender = await checkJson([fx('several-authors-from.eml')]);
    expect([withSender.results[0]!.verdict, withSender.results[0]!.internalDomainsInferredFrom]).toEqual(['block', 'sender']);
  });
});

describe('3. fields other than To/Cc that every reader sees', () => {
  const ROWS: Array<[string, string]> = [
    ['several-authors-from.eml', 'from'],
    ['display-name-list.eml', 'to'],
    ['display-name-encoded-list.eml', 'to'],
    ['mail-followup-to-list.eml', 'mail-followup-to'],
    ['resent-from-several.eml', 'resent-from'],
  ];
  let checked: Batch;
  beforeAll(async () => {
    checked = await checkEach(ROWS.map(([name]) => fx(name)), ['--internal-domain', 'corp.example']);
  });

  it('check over every row exits 1 (all blocked, none unreadable)', () => {
    expect(checked.code).toBe(1);
  });

  it.each(ROWS)('%s blocks, the list counted in %s', (name, field) => {
    const result = checked.results.get(fx(name))!;
    expect(result.verdict).toBe('block');
    const f = result.findings.find((x) => x.code === 'EXPOSED_RECIPIENTS');
    expect(f?.args).toMatchObject({ externalAddresses: 5, fields: [field] });
  });

  it('addresses in a display name are listed as shown, not as recipients', () => {
    expect(checked.results.get(fx('display-name-list.eml'))!.recipients.shown.map((s) => [s.address, s.inDisplayName])).toEqual([
      ['c0@a.test', true],
      ['c1@b.test', true],
      ['c2@c.test', true],
      ['c3@d.test', true],
      ['c4@e.test', true],
    ]);
  });

  it('a list of authors written without commas is ambiguous, even with a configured domain', async () => {
    const file = write('authors-no-commas.eml', 'From: c0@a.test c1@b.test c2@c.test c3@d.test c4@e.test, news@corp.example\nSender: news@corp.example\nTo: news@corp.example\n\nx\n');
    const { code, results } = await checkJson([file, '--internal-domain', 'corp.example']);
    expect([code, codes(results[0]!)]).toEqual([1, ['AMBIGUOUS_RECIPIENT:missing-separator']]);
  });

  it('a Sender with several mailboxes is malformed', async () => {
    const { code, results } = await checkJson([fx('several-senders.eml'), '--internal-domain', 'corp.example']);
    expect([code, codes(results[0]!)]).toEqual([1, ['MALFORMED_HEADER:several-senders']]);
  });

  it('Reply-To with many organisations blocks at the To/Cc thresholds; Reply-To to an internal list passes', async () => {
    const many = write('reply-many.eml', `From: me@corp.example\nTo: boss@corp.example\nReply-To: ${EXT5}\n\nx\n`);
    const three = write('reply-three.eml', 'From: me@corp.example\nTo: boss@corp.example\nReply-To: a@one.example, b@two.example, c@three.example\n\nx\n');
    const internal = write('reply-internal.eml', 'From: me@corp.example\nTo: p@partner.test\nReply-To: team@corp.example\n\nx\n');
    const { results } = await checkJson([many, three, internal, '--internal-domain', 'corp.example']);
    expect(results.map((r) => r.verdict)).toEqual(['block', 'warn', 'pass']);
  });

  it('ordinary names keep passing: commas, the address itself as name, encoded names, a Sender for a manager, an all-hands', async () => {
    const { code, results } = await checkJson([fx('display-name-own-address.eml'), fx('sender-for-manager.eml'), fx('all-hands.eml'), '--internal-domain', 'corp.example']);
    expect([code, results.map((r) => r.verdict)]).toEqual([0, ['pass', 'pass', 'pass']]);
  });
});

describe('7. distinct addresses, providers and hosting tenants', () => {
  it('six customers at one ISP, or one each at six ISPs, block', async () => {
    const { results } = await checkJson([fx('one-isp-six-customers.eml'), fx('isp-customers.eml'), '--internal-domain', 'corp.example']);
    expect(results.map((r) => [r.verdict, r.findings[0]!.args.parties])).toEqual([
      ['block', 6],
      ['block', 6],
    ]);
  });

  it('tenants of hosting domains are one organisation each', async () => {
    const { results } = await checkJson([fx('hosting-tenants.eml'), '--internal-domain', 'corp.example']);
    expect(results[0]!.findings[0]!.args).toMatchObject({ parties: 5, trigger: 'parties' });
  });

  it('the address thresholds come from flags and the configuration file', async () => {
    const twelve = path.join(FIXTURES, 'check', 'one-external-org.eml');
    const byDefault = await checkJson([twelve, '--internal-domain', 'corp.example']);
    expect(byDefault.results[0]!.findings[0]).toMatchObject({ severity: 'warning', args: { trigger: 'addresses', threshold: 10, externalAddresses: 12 } });
    const flags = await checkJson([twelve, '--internal-domain', 'corp.example', '--block-addresses-at', '12']);
    expect(flags.results[0]!.findings[0]).toMatchObject({ severity: 'error', args: { threshold: 12 } });
    const off = await checkJson([twelve, '--internal-domain', 'corp.example', '--warn-addresses-at', '50']);
    expect([off.code, off.results[0]!.verdict]).toEqual([0, 'pass']);
    const config = write('mailguard.config.json', JSON.stringify({ internalDomains: ['corp.example'], warnAddressesAt: 5, blockAddressesAt: 11 }));
    const fromFile = await checkJson([twelve, '--config', config]);
    expect(fromFile.results[0]!.findings[0]).toMatchObject({ severity: 'error', args: { threshold: 11 } });
    const bad = await runCli(['check', twelve, '--warn-addresses-at', '30', '--block-addresses-at', '20']);
    expect(bad.code).toBe(2);
  });
});

describe('public lists: a post is a note, not an exposure', () => {
  it.each([['linux-kernel@vger.kernel.org'], ['*@vger.kernel.org'], ['Linux-Kernel@VGER.kernel.org']])('--public-list %s', async (list) => {
    const { code, results } = await checkJson([fx('public-list-post.eml'), '--internal-domain', 'corp.example', '--public-list', list, '--max-warnings', '0']);
    expect([code, results[0]!.verdict]).toEqual([0, 'pass']);
    expect(results[0]!.findings).toMatchObject([{ code: 'PUBLIC_LIST_POST', severity: 'info', args: { list: 'linux-kernel@vger.kernel.org', externalAddresses: 7 } }]);
  });

  it('from the configuration file; not under --sensitive; not for another list', async () => {
    const config = write('lists.json', JSON.stringify({ internalDomains: ['corp.example'], publicLists: ['*@vger.kernel.org'] }));
    const file = await checkJson([fx('public-list-post.eml'), '--config', config]);
    expect(file.results[0]!.verdict).toBe('pass');
    const sensitive = await checkJson([fx('public-list-post.eml'), '--config', config, '--sensitive']);
    expect([sensitive.code, codes(sensitive.results[0]!)]).toEqual([1, ['EXPOSED_RECIPIENTS']]);
    const other = await checkJson([fx('public-list-post.eml'), '--internal-domain', 'corp.example', '--public-list', 'other@lists.example.org']);
    expect(other.results[0]!.verdict).toBe('block');
    const invalid = await runCli(['check', fx('public-list-post.eml'), '--public-list', 'not a list']);
    expect(invalid.code).toBe(2);
  });
});

describe('the output of mailguard fix passes check --max-warnings 0 with the same policy', () => {
  it.each([
    ['customer-list-to.eml', []],
    ['customer-list-cc.eml', []],
    ['fix-mixed-crlf.eml', []],
    ['fix-groups.eml', ['--all-to-bcc', '--to', 'sender']],
  ])('%s %j', async (name, extra) => {
    const out = path.join(tmp, `fixed-${name}`);
    const fix = await runCli(['fix', path.join(FIXTURES, name), '-o', out, ...extra]);
    expect(fix.code).toBe(0);
    expect(readFileSync(out, 'latin1')).toMatch(/^Bcc:/m);
    const check = await runCli(['check', out, '--max-warnings', '0', '--format', 'json']);
    const result = (JSON.parse(check.stdout) as { results: JsonResult[] }).results[0]!;
    expect([check.code, result.verdict, result.findings.map((f) => `${f.code}:${f.severity}`)]).toEqual([0, 'pass', ['BCC_HEADER_PRESENT:info']]);
  });

  it('a Bcc field in an SMTP transcript (in transit, relayed raw) stays a warning; a draft\'s is a note', async () => {
    const transcript = write('bcc.smtp', 'EHLO client.corp.example\r\nMAIL FROM:<sales@corp.example>\r\nRCPT TO:<boss@corp.example>\r\nRCPT TO:<x@one.test>\r\nDATA\r\nFrom: sales@corp.example\r\nTo: boss@corp.example\r\nBcc: x@one.test\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n');
    const draft = write('bcc-draft.eml', 'From: sales@corp.example\nTo: boss@corp.example\nBcc: x@one.test\nSubject: hi\n\nbody\n');
    const { results } = await checkJson([transcript, draft, '--internal-domain', 'corp.example']);
    expect(results.map((r) => r.findings.map((f) => [f.code, f.severity, f.args.context]))).toEqual([[['BCC_HEADER_PRESENT', 'warning', 'in-transit']], [['BCC_HEADER_PRESENT', 'info', 'draft']]]);
    const strict = await checkJson([draft, '--internal-domain', 'corp.example', '--rule', 'BCC_HEADER_PRESENT=warning', '--max-warnings', '0']);
    expect(strict.code).toBe(1);
  });
});

describe('ordinary mail keeps passing', () => {
  it('a Thunderbird draft with an attachment and a Bcc passes --max-warnings 0', async () => {
    const { code, results } = await checkJson([fx('thunderbird-draft-attachment.eml'), '--internal-domain', 'corp.example', '--max-warnings', '0']);
    expect([code, results[0]!.verdict, codes(results[0]!)]).toEqual([0, 'pass', ['BCC_HEADER_PRESENT', 'ATTACHMENT_NOT_SCANNED']]);
  });

  it('a clean mbox of internal mail and one partner thread passes, with or without a configured domain', async () => {
    const msg = (n: number, to: string) => `From me@corp.example Mon Nov  2 10:00:0${n} 2026\nFrom: "Müller, Jörg" <me@corp.example>\nTo: ${to}\nSubject: m${n}\nDate: Mon, 2 Nov 2026 10:00:0${n} +0000\n\nbody\n>From the start\n\n`;
    const mbox = write('clean.mbox', msg(1, 'team@corp.example') + msg(2, '"Doe, Jane" <jane@partner.test>, john@partner.test') + msg(3, `${Array.from({ length: 200 }, (_, i) => `c${i}@corp.example`).join(', ')}`));
    for (const args of [[mbox, '--internal-domain', 'corp.example'], [mbox]]) {
      const { code, results } = await checkJson([...args, '--max-warnings', '0']);
      expect([code, results.map((r) => r.verdict)]).toEqual([0, ['pass', 'pass', 'pass']]);
    }
  });
});
