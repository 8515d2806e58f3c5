// The whole real-mail corpus through check: every file gets a result, nothing throws, each within
// the time budget; and the visible recipients (To, Cc) agree with mailparser's simpleParser for
// every message where mailparser reads the field, or the difference is explained by a finding.
import { readFileSync } from 'node:fs';
import { domainToASCII } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import type { FindingCode } from '../../src/findings.js';
import { MAX_CHECK_MS } from '../../src/limits.js';
import { locateBodyStart } from '../../src/message/header-block.js';
import { createPolicy } from '../../src/policy/policy.js';
import type { MessageResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { corpusFiles, corpusName } from './corpus-files.js';

/** Generous per-message bound: the budget, doubled so a loaded machine does not flake. */
const BOUND_MS = 2 * MAX_CHECK_MS;
const policy = createPolicy({});

interface Checked {
  file: string;
  bytes: Buffer;
  result: MessageResult;
  ms: number;
}

const files = corpusFiles();
const checked: Checked[] = [];
const thrown: Array<{ file: string; error: string }> = [];

beforeAll(() => {
  for (const file of files) {
    const bytes = readFileSync(file);
    const start = performance.now();
    try {
      const result = checkMessage(bytes, policy, { source: corpusName(file) });
      checked.push({ file, bytes, result, ms: performance.now() - start });
    } catch (err) {
      thrown.push({ file: corpusName(file), error: String((err as Error)?.stack ?? err) });
    }
  }
});

describe('the corpus through checkMessage', () => {
  it('has messages to check', () => {
    expect(files.length).toBeGreaterThan(1000);
  });

  it('never throws, and every file gets a verdict', () => {
    expect(thrown).toEqual([]);
    expect(checked).toHaveLength(files.length);
    for (const c of checked) expect(['pass', 'warn', 'block', 'error']).toContain(c.result.verdict);
  });

  it(`checks each message within ${BOUND_MS} ms`, () => {
    const slow = checked.filter((c) => c.ms > BOUND_MS).map((c) => `${corpusName(c.file)}: ${c.ms.toFixed(0)} ms`);
    expect(slow).toEqual([]);
    const total = checked.reduce((s, c) => s + c.ms, 0);
    const max = checked.reduce((m, c) => (c.ms > m.ms ? c : m), checked[0]!);
    console.log(`corpus: ${checked.length} messages checked in ${total.toFixed(0)} ms (slowest ${corpusName(max.file)}, ${max.ms.toFixed(1)} ms)`);
  });

  it('a verdict "error" only for input that is not a message (empty, no header)', () => {
    for (const c of checked.filter((x) => x.result.verdict === 'error')) {
      expect(c.result.findings.map((f) => f.code)).toEqual(['UNREADABLE_MESSAGE']);
      expect(['empty', 'no-header']).toContain((c.result.findings[0]!.args as { reason: string }).reason);
    }
  });
});

// ---- random byte mutations of corpus messages ------------------------------------------------

/** Byte edits that break mail in the ways mail breaks: line ends, controls, quotes, brackets. */
const edit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('insert', 'delete', 'flip', 'repeat'),
  text: fc.constantFrom('\x00', '\r', '\n', '\r\n', '\r\n ', '"', '(', '<', '>', '@', ',', ';', ':', '\\', '=?utf-8?q?', '\xc2\x85', 'To: ', '\r\n\r\n'),
  len: fc.integer({ min: 1, max: 64 }),
  times: fc.integer({ min: 2, max: 5000 }),
});

function mutate(b: Buffer, e: { at: number; kind: string; text: string; len: number; times: number }): Buffer {
  const at = e.at % (b.length + 1);
  if (e.kind === 'insert') return Buffer.concat([b.subarray(0, at), Buffer.from(e.text, 'latin1'), b.subarray(at)]);
  if (e.kind === 'delete') return Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
  if (e.kind === 'repeat') return Buffer.concat([b.subarray(0, at), ...Array<Buffer>(e.times).fill(b.subarray(at, at + e.len)), b.subarray(at)]);
  if (b.length === 0) return b;
  const c = Buffer.from(b);
  c[at % c.length]! ^= 0xff;
  return c;
}

describe('random byte mutations of corpus messages', () => {
  it('never throw out of the core, stay within the bound, and read the same from the header block alone', () => {
    const seeds = checked.map((c) => c.bytes.subarray(0, 32 * 1024));
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 4 }), (i, edits) => {
        const bytes = edits.reduce(mutate, Buffer.from(seeds[i]!));
        const cpu = process.cpuUsage();
        const start = performance.now();
        const r = checkMessage(bytes, policy, { source: 'm' });
        const used = process.cpuUsage(cpu);
        expect(Math.min(performance.now() - start, (used.user + used.system) / 1000)).toBeLessThan(BOUND_MS);
        expect(['pass', 'warn', 'block', 'error']).toContain(r.verdict);
        const bodyStart = locateBodyStart(bytes);
        // The one thing read past a header's blank line: after a CR-only header, an LF (mixed-line-ends).
        const mixed = r.findings.some((f) => f.code === 'MALFORMED_HEADER' && f.args.problem === 'mixed-line-ends');
        if (bodyStart !== -1 && r.verdict !== 'error' && !mixed) expect(isDeepStrictEqual(checkMessage(bytes.subarray(0, bodyStart), policy, { source: 'm' }), r)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- agreement with mailparser ---------------------------------------------------------------

type Normalisation = 'idn-a-label' | 'lower-cased-domain' | 'trailing-dot' | 'quoted-local-part';

/** mailparser's address in mailguard's comparable form, and the documented normalisations applied. */
function normaliseTheirs(address: string): { address: string; applied: Normalisation[] } {
  const applied: Normalisation[] = [];
  const at = address.lastIndexOf('@');
  if (at === -1) return { address, applied };
  let domain = address.slice(at + 1);
  if (domain.endsWith('.')) {
    domain = domain.slice(0, -1);
    applied.push('trailing-dot');
  }
  if (domain !== domain.toLowerCase()) applied.push('lower-cased-domain');
  domain = domain.toLowerCase();
  if (/[^\x00-\x7f]/.test(domain)) {
    // mailparser decodes punycode to Unicode; mailguard compares the A-label that goes into RCPT TO.
    const ascii = domainToASCII(domain);
    if (ascii) {
      domain = ascii;
      applied.push('idn-a-label');
    }
  }
  return { address: `${address.slice(0, at)}@${domain}`, applied };
}

/** mailguard's address with the local part unquoted, as mailparser gives it. */
function normaliseOurs(address: string): { address: string; applied: Normalisation[] } {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  if (!local.startsWith('"')) return { address, applied: [] };
  return { address: `${local.slice(1, -1).replace(/\\(.)/g, '$1')}@${address.slice(at + 1)}`, applied: ['quoted-local-part'] };
}

function theirAddresses(value: AddressObject | AddressObject[] | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  const walk = (list: EmailAddress[]) => {
    for (const a of list) {
      if (a.group) walk(a.group);
      else if (a.address) out.push(a.address);
    }
  };
  for (const obj of Array.isArray(value) ? value : [value]) walk(obj.value);
  return out;
}

/** Findings that explain why mailguard's reading of `field` may differ from another parser's. */
function explanations(result: MessageResult, field: string): string[] {
  const out = new Set<string>();
  for (const f of result.findings) {
    if (f.code === 'AMBIGUOUS_RECIPIENT' && f.args.field === field) out.add(`${f.code}:${f.args.problem}`);
    else if (f.code === 'MALFORMED_HEADER') out.add(`${f.code}:${f.args.problem}`);
    else if (f.code === 'UNREADABLE_MESSAGE') out.add(`${f.code}:${f.args.reason}`);
  }
  return [...out];
}

interface Disagreement {
  file: string;
  field: string;
  onlyTheirs: string[];
  onlyOurs: string[];
  explainedBy: string[];
}

describe('agreement with mailparser on visible recipients (To, Cc)', () => {
  it('every difference is explained by a finding or a documented normalisation', async () => {
    const summary = {
      fieldsCompared: 0,
      identical: 0,
      afterNormalisation: 0,
      normalisations: {} as Record<Normalisation, number>,
      explained: {} as Record<string, number>,
      mailparserThrew: 0,
    };
    const disagreements: Disagreement[] = [];
    const flaggedThoughAgreeing: string[] = [];

    for (const c of checked) {
      let parsed;
      try {
        parsed = await simpleParser(c.bytes, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
      } catch {
        summary.mailparserThrew++;
        continue;
      }
      for (const field of ['to', 'cc'] as const) {
        const value = parsed[field];
        if (!value) continue; // mailparser does not read the field: nothing to compare
        summary.fieldsCompared++;
        const applied = new Set<Normalisation>();
        const theirs = new Set(
          theirAddresses(value).map((a) => {
            const n = normaliseTheirs(a);
            n.applied.forEach((x) => applied.add(x));
            return n.address;
          }),
        );
        const ours = new Set(
          c.result.recipients.visible
            .filter((v) => v.field === field)
            .map((v) => {
              const n = normaliseOurs(v.address);
              n.applied.forEach((x) => applied.add(x));
              return n.address;
            }),
        );
        const onlyTheirs = [...theirs].filter((a) => !ours.has(a));
        const onlyOurs = [...ours].filter((a) => !theirs.has(a));
        const explainedBy = explanations(c.result, field);
        if (onlyTheirs.length === 0 && onlyOurs.length === 0) {
          if (applied.size === 0) summary.identical++;
          else summary.afterNormalisation++;
          for (const n of applied) summary.normalisations[n] = (summary.normalisations[n] ?? 0) + 1;
          const ambiguous = explainedBy.filter((e) => e.startsWith('AMBIGUOUS_RECIPIENT'));
          if (ambiguous.length > 0) flaggedThoughAgreeing.push(`${corpusName(c.file)} [${field}] ${ambiguous.join(', ')}`);
          continue;
        }
        for (const e of explainedBy) summary.explained[e] = (summary.explained[e] ?? 0) + 1;
        disagreements.push({ file: corpusName(c.file), field, onlyTheirs, onlyOurs, explainedBy });
      }
    }

    const unexplained = disagreements.filter((d) => d.explainedBy.length === 0);
    const lines = [
      `agreement with mailparser: ${summary.fieldsCompared} To/Cc fields compared in ${checked.length} messages`,
      `  identical: ${summary.identical}; identical after documented normalisation: ${summary.afterNormalisation} ${JSON.stringify(summary.normalisations)}`,
      `  disagreements: ${disagreements.length}, explained by findings: ${disagreements.length - unexplained.length} ${JSON.stringify(summary.explained)}`,
      `  unexplained: ${unexplained.length}; mailparser threw: ${summary.mailparserThrew}`,
      `  fields flagged AMBIGUOUS although both parsers read the same addresses (mailguard stricter): ${flaggedThoughAgreeing.length}`,
      ...flaggedThoughAgreeing.map((l) => `    ${l}`),
      ...disagreements.map(
        (d) => `  ${d.explainedBy.length ? 'explained' : 'UNEXPLAINED'} ${d.file} [${d.field}] only mailparser: ${d.onlyTheirs.length}, only mailguard: ${d.onlyOurs.length}; ${d.explainedBy.join(', ')}`,
      ),
    ];
    console.log(lines.join('\n'));
    expect(summary.fieldsCompared).toBeGreaterThan(1000);
    expect(unexplained).toEqual([]);
  });
});

// ---- the built CLI over the corpus -----------------------------------------------------------

describe('mailguard check (built CLI) over the whole corpus', () => {
  it('reports on every file; exit 1 or 2, never a crash', async () => {
    const r = await runCli(['check', '--format', 'json', ...files], { timeoutMs: 120_000 });
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    expect([1, 2]).toContain(r.code);
    const doc = JSON.parse(r.stdout) as { summary: Record<string, number>; results: Array<{ source: string; verdict: string; findings: Array<{ code: FindingCode }> }> };
    const sources = new Set(doc.results.map((x) => x.source.replace(/#\d+$/, '')));
    const missing = files.filter((f) => !sources.has(f));
    expect(missing).toEqual([]);
    expect(doc.summary.checked).toBe(doc.results.length);
    console.log(`CLI over the corpus: ${JSON.stringify(doc.summary)}`);
  });
});
