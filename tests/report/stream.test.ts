// Every format written result by result (what the CLI does, so memory does not grow with the
// number of messages) is byte for byte the document its whole-report formatter writes: empty
// runs, single messages, files not read (fewer and more than are named), every fixture, many
// findings (GitHub's per-kind limit, ties), redacted or not, quiet or not, colour or not.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { checkMessage, unreadableResult } from '../../src/analyse.js';
import type { Finding } from '../../src/findings.js';
import { createPolicy } from '../../src/policy/policy.js';
import { githubStepSummary, GITHUB_MAX_ANNOTATIONS_PER_KIND, streamGithubStepSummary } from '../../src/report/github.js';
import { createReport, emptySummary, FORMATTERS, STREAM_FORMATTERS, type Formatter, type FormatOptions, type Report, type StreamFormatter } from '../../src/report/index.js';
import type { NotReadFile } from '../../src/report/report.js';
import type { MessageResult } from '../../src/result.js';
import { FIXTURES } from '../helpers/cli.js';

const POLICY = createPolicy({ internalDomains: ['corp.example'] });

const fixtureResults = (): MessageResult[] => {
  const out: MessageResult[] = [];
  for (const f of readdirSync(FIXTURES).filter((name) => name.endsWith('.eml')).sort()) {
    const r = checkMessage(readFileSync(path.join(FIXTURES, f)), POLICY, { source: path.join('fixtures', f) });
    r.file = path.join('fixtures', f);
    out.push(r);
  }
  return out;
};

function result(source: string, findings: Finding[]): MessageResult {
  return {
    source,
    verdict: findings.some((f) => f.severity === 'error') ? 'block' : findings.length > 0 ? 'warn' : 'pass',
    findings,
    recipients: { visible: [], hidden: [], blind: [], reply: [], shown: [], externalParties: 0, externalAddresses: 0 },
    internal: { domains: ['corp.example'], inferred: false },
  };
}

function exposed(parties: number, severity: 'error' | 'warning'): Finding {
  return {
    code: 'EXPOSED_RECIPIENTS',
    severity,
    line: 2,
    args: { externalAddresses: parties, parties, threshold: 3, trigger: 'parties', fields: ['to'], examples: ['jane.doe@customer.test'], sensitive: false },
  };
}

/** More findings of each kind than GitHub annotates, with equal weights (ties keep input order). */
const manyFindings = (): MessageResult[] =>
  Array.from({ length: 40 }, (_, i) =>
    result(`m${i}.eml,with:odd%chars\n`, [exposed(3 + (i % 4), i % 3 === 0 ? 'warning' : 'error'), { code: 'BCC_HEADER_PRESENT', severity: i % 2 ? 'info' : 'warning', line: 3, args: { field: 'bcc', count: 1 } } as Finding]),
  );

const notRead = (n: number): NotReadFile[] => Array.from({ length: n }, (_, i) => ({ path: `dir/file ${i}\u0007.png`, kind: 'PNG image' }));

/** What the CLI writes: head, then each result's text, then tail. */
function streamed(stream: StreamFormatter, report: Report, options: FormatOptions): string {
  const s = stream(options);
  const summary = emptySummary();
  let body = '';
  for (const r of report.results) {
    body += s.result(r);
    summary.checked++;
    summary[r.verdict]++;
  }
  summary.notRead = report.notRead.length;
  const { head, tail } = s.finish(summary, report.notRead);
  return head + body + tail;
}

const fixtures = fixtureResults();
const inputs: Array<[string, () => Report]> = [
  ['no message', () => createReport([])],
  ['no message, files not read', () => createReport([], notRead(2))],
  ['one clean message', () => createReport([fixtures.find((r) => r.verdict === 'pass')!])],
  ['one blocked message', () => createReport([fixtures.find((r) => r.verdict === 'block')!])],
  ['one message, one file not read', () => createReport([fixtures.find((r) => r.verdict === 'block')!], notRead(1))],
  ['one unreadable input', () => createReport([unreadableResult('broken.eml', 'not-a-message')])],
  ['every fixture', () => createReport(fixtures)],
  ['every fixture, 25 files not read', () => createReport(fixtures, notRead(25))],
  ['many findings', () => createReport(manyFindings(), notRead(21))],
  ['only passes', () => createReport(fixtures.filter((r) => r.verdict === 'pass'))],
];

describe('streamed formats are byte for byte the whole-report formatters', () => {
  it('streams every registered format', () => {
    expect(Object.keys(STREAM_FORMATTERS).sort()).toEqual(Object.keys(FORMATTERS).sort());
  });

  const variants: Array<[string, FormatOptions]> = [
    ['plain', { redact: false, color: false }],
    ['redacted', { redact: true, color: false }],
    ['quiet, colour', { redact: false, color: new Chalk({ level: 1 }), quiet: true, fixCommand: 'npx mailguard fix' }],
  ];
  for (const [name, make] of inputs) {
    for (const format of Object.keys(FORMATTERS)) {
      it.each(variants)(`${format}: ${name} (%s)`, (_variant, options) => {
        const report = make();
        expect(streamed(STREAM_FORMATTERS[format]!, report, options)).toBe((FORMATTERS[format] as Formatter)(report, options));
      });
    }
    it(`GitHub step summary: ${name}`, () => {
      const report = make();
      for (const redact of [true, false]) expect(streamed(streamGithubStepSummary, report, { redact, color: false })).toBe(githubStepSummary(report, { redact }));
    });
  }

  it('GitHub annotations keep the most important of each kind, as many as GitHub shows, in the same order', () => {
    const report = createReport(manyFindings());
    const text = streamed(STREAM_FORMATTERS.github!, report, { redact: true, color: false });
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('::error')).length).toBe(GITHUB_MAX_ANNOTATIONS_PER_KIND);
    expect(lines.filter((l) => l.startsWith('::warning')).length).toBe(GITHUB_MAX_ANNOTATIONS_PER_KIND);
    expect(text).toContain('mailguard: 16 more errors and 24 more warnings not annotated');
  });
});
