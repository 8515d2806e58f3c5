// check and audit in memory bounded by one message, not by the number of messages: results are
// written as they are produced (to a private temporary file, put together once the totals are
// known) and audit keeps only the incidents its reports show apart. The documents stay byte for
// byte what the in-memory formatters write.
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createAudit, type AuditIncident } from '../../src/audit/aggregate.js';
import { auditCsvPieces, formatAuditCsv } from '../../src/audit/csv.js';
import { formatAuditHtml, formatAuditHtmlFrom } from '../../src/audit/html.js';
import { auditHumanPieces, formatAuditHuman } from '../../src/audit/human.js';
import { auditJsonPieces, formatAuditJson } from '../../src/audit/json.js';
import { createPolicy } from '../../src/policy/policy.js';
import { formatHuman, formatHumanResult, formatHumanSummary } from '../../src/report/human.js';
import { formatJson, jsonReportPieces } from '../../src/report/json.js';
import { createReport } from '../../src/report/report.js';
import type { MessageResult } from '../../src/result.js';
import { FIXTURES, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-streaming-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const POLICY = createPolicy({ internalDomains: ['corp.example'] });

const fixtureResults = (): MessageResult[] =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => checkMessage(readFileSync(path.join(FIXTURES, f)), POLICY, { source: f }));

describe('the pieces make the same documents as the formatters', () => {
  const all = fixtureResults();
  it.each([0, 1, 2, all.length])('check JSON and human with %i results, redacted and not, quiet and not', (n) => {
    const results = all.slice(0, n);
    const report = createReport(results);
    for (const redact of [true, false]) {
      const json = jsonReportPieces.head(report.summary, n) + results.map((r, i) => jsonReportPieces.result(r, { redact }, i)).join('') + jsonReportPieces.tail(n);
      expect(json).toBe(formatJson(report, { redact, color: false }));
      for (const quiet of [true, false]) {
        const options = { redact, color: false, quiet };
        const lines = results.flatMap((r) => formatHumanResult(r, options));
        expect([...lines, ...formatHumanSummary(report.summary, lines.length > 0)].join('\n') + '\n').toBe(formatHuman(report, options));
      }
    }
  });

  it('audit: streaming the incidents gives the same summary, worst list and documents as keeping them', () => {
    const results = [...all, ...all, ...all];
    const kept = createAudit({ keepFirst: 5 });
    const streamed: AuditIncident[] = [];
    const streaming = createAudit({ keepFirst: 5, onIncident: (i) => streamed.push(i) });
    for (const r of results) {
      kept.add(r, { date: new Date('2026-03-01T00:00:00Z'), subject: r.source });
      streaming.add(r, { date: new Date('2026-03-01T00:00:00Z'), subject: r.source });
    }
    const a = kept.finish();
    const b = streaming.finish();
    expect(b.incidents).toEqual([]);
    expect(b.summary).toEqual(a.summary);
    expect(streamed).toEqual(a.incidents);
    expect(b.kept.worst).toEqual(a.summary.worst.map((i) => a.incidents[i]));
    for (const redact of [true, false]) {
      const o = { redact };
      expect(auditJsonPieces.head(b.summary, o) + streamed.map((i, k) => auditJsonPieces.incident(i, k, o)).join('') + auditJsonPieces.tail(b.summary)).toBe(formatAuditJson(a, o));
      expect(auditCsvPieces.head() + streamed.map((i) => auditCsvPieces.incident(i, o)).join('')).toBe(formatAuditCsv(a, o));
      const h = { redact, color: false };
      expect(auditHumanPieces.head(b.summary, b.kept.worst, h) + streamed.map((i) => auditHumanPieces.incident(i, h)).join('')).toBe(formatAuditHuman(a, h));
      const page = { redact, generatedAt: '2026-12-04T00:00:00Z', inputs: ['x'] };
      expect(formatAuditHtmlFrom(b.summary, b.kept, page).replace(/<h2>All incidents[\s\S]*$/, '')).toBe(formatAuditHtml(a, page).replace(/<h2>All incidents[\s\S]*$/, ''));
    }
  });
});

/** An mbox of `n` small messages; every `every`-th one exposes 6 of the same 1,800 external
 * addresses (the same customers exposed again and again, as in a real Sent folder). */
function writeMbox(file: string, n: number, every: number): void {
  const fd = openSync(file, 'w');
  for (let i = 1; i <= n; i++) {
    const to = i % every === 0 ? Array.from({ length: 6 }, (_, k) => `c${k}@o${k}-${i % 300}.test`).join(', ') : 'bob@corp.example';
    writeSync(fd, `From s@corp.example Mon Jan  1 00:00:00 2024\nFrom: s${i % 40}@corp.example\nTo: ${to}\nSubject: m${i}\nDate: Mon, ${1 + (i % 28)} Nov 2026 10:00:00 +0000\nMessage-ID: <m${i}@corp.example>\n\nhello\n\n`);
  }
  closeSync(fd);
}

async function peak(args: string[]): Promise<{ rssKb: number; stdout: string; code: number | null }> {
  const rssFile = path.join(tmp, `rss-${Math.random().toString(36).slice(2)}`);
  const preload = pathToFileURL(path.join(import.meta.dirname, '../audit/rss-preload.mjs')).href;
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import=${preload}`, MAILGUARD_TEST_RSS_FILE: rssFile }, timeoutMs: 180_000 });
  return { rssKb: Number(readFileSync(rssFile, 'utf8')), stdout: r.stdout, code: r.code };
}

describe('peak memory does not follow the number of messages', () => {
  const mboxes = new Map<number, string>();
  const mbox = (n: number) => {
    if (!mboxes.has(n)) {
      const file = path.join(tmp, `m${n}.mbox`);
      writeMbox(file, n, 2);
      mboxes.set(n, file);
    }
    return mboxes.get(n)!;
  };

  // Measured before the change (same machine, peak RSS): check --format json 200 MB -> 483 MB
  // from 20,000 to 60,000 messages, audit 133 MB -> 248 MB from 40,000 to 120,000; after: 141 MB
  // -> 135 MB and 127 MB -> 132 MB. The first tens of thousands of messages grow the heap to its
  // working size, so the smaller run is past that.
  it.each([
    ['check --format json', ['check', '--format', 'json'], 20_000, 60_000, 40],
    ['check (human)', ['check'], 20_000, 60_000, 40],
    ['audit --format json', ['audit', '--format', 'json'], 40_000, 100_000, 40],
  ] as const)('%s (a smaller and a larger mbox)', async (_name, command, nSmall, nLarge, maxGrowthMb) => {
    const a = await peak([...command, mbox(nSmall), '--internal-domain', 'corp.example']);
    const b = await peak([...command, mbox(nLarge), '--internal-domain', 'corp.example']);
    expect([a.code, b.code]).toEqual([1, 1]);
    if ((command as readonly string[]).includes('json')) {
      const doc = JSON.parse(b.stdout);
      expect(doc.summary.checked ?? doc.summary.messages).toBe(nLarge);
      expect((doc.results ?? doc.incidents).length).toBe(command[0] === 'check' ? nLarge : nLarge / 2);
    } else expect(b.stdout).toContain(`${nLarge} messages checked: ${nLarge / 2} pass, 0 warn, ${nLarge / 2} block, 0 error`);
    expect(b.rssKb - a.rssKb).toBeLessThan(maxGrowthMb * 1024);
  }, 400_000);
});
