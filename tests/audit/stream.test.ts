// A Sent folder is audited in bounded memory: peak RSS does not follow the mbox size, and the
// incidents handed out one by one (the CLI spools them) make the same documents as keeping them.
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMessage } from '../../src/analyse.js';
import { createAudit, WORST_INCIDENTS as WORST } from '../../src/audit/aggregate.js';
import { auditCsvPieces, formatAuditCsv } from '../../src/audit/csv.js';
import { formatAuditHtml, formatAuditHtmlFrom } from '../../src/audit/html.js';
import { auditHumanPieces, formatAuditHuman } from '../../src/audit/human.js';
import { auditJsonPieces, formatAuditJson } from '../../src/audit/json.js';
import { createPolicy } from '../../src/policy/policy.js';
import { FIXTURES, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'mailguard-audit-stream-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An mbox of `mb` MiB: 64-KiB messages, every 20th one exposing 6 external organisations. */
function writeMbox(file: string, mb: number): number {
  const fd = openSync(file, 'w');
  const body = Buffer.from(`${'lorem ipsum '.repeat(85)}\n`.repeat(64));
  let i = 0;
  for (let written = 0; written < mb * 1024 * 1024; ) {
    i++;
    const to = i % 20 === 0 ? Array.from({ length: 6 }, (_, k) => `c${i}@o${k}.test`).join(', ') : 'one@partner.test';
    const head = Buffer.from(`From s@corp.example Mon Jan  1 00:00:00 2024\nFrom: s@corp.example\nTo: ${to}\nSubject: m${i}\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\n`);
    writeSync(fd, head);
    writeSync(fd, body);
    writeSync(fd, '\n');
    written += head.length + body.length + 1;
  }
  closeSync(fd);
  return i;
}

async function audit(file: string): Promise<{ rssKb: number; doc: any }> {
  const rssFile = `${file}.rss`;
  const preload = pathToFileURL(path.join(import.meta.dirname, 'rss-preload.mjs')).href;
  const r = await runCli(['audit', file, '--internal-domain', 'corp.example', '--format', 'json'], {
    env: { NODE_OPTIONS: `--import=${preload}`, MAILGUARD_TEST_RSS_FILE: rssFile },
    timeoutMs: 120_000,
  });
  expect(r.code).toBe(1);
  return { rssKb: Number(readFileSync(rssFile, 'utf8')), doc: JSON.parse(r.stdout) };
}

describe('audit streams an mbox', () => {
  it('peak memory stays flat while the mbox grows tenfold (16 MiB -> 160 MiB)', async () => {
    const small = path.join(tmp, 'small.mbox');
    const large = path.join(tmp, 'large.mbox');
    const nSmall = writeMbox(small, 16);
    const nLarge = writeMbox(large, 160);
    const a = await audit(small);
    const b = await audit(large);
    expect(a.doc.summary).toMatchObject({ messages: nSmall, incidents: Math.floor(nSmall / 20) });
    expect(b.doc.summary).toMatchObject({ messages: nLarge, incidents: Math.floor(nLarge / 20) });
    // 144 MiB more input; kept state is the incidents only (a few hundred small objects).
    expect(b.rssKb - a.rssKb).toBeLessThan(40 * 1024);
  });
});

describe('audit with its incidents handed out (what the CLI spools) makes the same documents', () => {
  it('same summary, worst list, first rows and every format, redacted or not, with files not read', () => {
    const policy = createPolicy({ internalDomains: ['corp.example'] });
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.eml')).sort();
    const results = files.map((f) => checkMessage(readFileSync(path.join(FIXTURES, f)), policy, { source: f }));
    for (const keepFirst of [0, 3]) {
      const whole = createAudit({ keepFirst });
      const spooled: unknown[] = [];
      const streaming = createAudit({ keepFirst, onIncident: (i) => spooled.push(JSON.parse(JSON.stringify(i))) });
      // Three rounds: equal exposure counts, so the worst list's ties are tested.
      for (let round = 0; round < 3; round++) {
        results.forEach((r, k) => {
          const meta = { id: `${round}${k}`.padStart(16, '0'), date: k % 5 === 0 ? undefined : new Date(Date.UTC(2025, (k + round) % 12, 1 + k)), subject: `s${k} <x${k}@customer.test>` };
          whole.add(r, meta);
          streaming.add(r, meta);
        });
      }
      for (const audit of [whole, streaming]) for (let n = 0; n < 104; n++) audit.notMail({ path: `img${n}.png`, kind: 'PNG image' });
      const a = whole.finish();
      const b = streaming.finish();
      expect(a.incidents.length).toBeGreaterThan(WORST);
      expect(b.incidents).toEqual([]);
      expect(b.summary).toEqual(a.summary);
      expect(spooled).toEqual(a.incidents);
      expect(b.kept).toEqual(a.kept);
      const incidents = spooled as typeof a.incidents;
      for (const redact of [true, false]) {
        const o = { redact };
        expect(auditJsonPieces.head(b.summary, o) + incidents.map((i, k) => auditJsonPieces.incident(i, k, o)).join('') + auditJsonPieces.tail(b.summary)).toBe(formatAuditJson(a, o));
        expect(auditCsvPieces.head() + incidents.map((i) => auditCsvPieces.incident(i, o)).join('') + auditCsvPieces.tail(b.summary, o)).toBe(formatAuditCsv(a, o));
        const h = { redact, color: false as const };
        expect(auditHumanPieces.head(b.summary, b.kept.worst, h) + incidents.map((i) => auditHumanPieces.incident(i, h)).join('')).toBe(formatAuditHuman(a, h));
        if (keepFirst > 0) {
          const page = { redact, generatedAt: '2026-12-04T00:00:00Z', inputs: ['x'] };
          // The page lists the first MAX_HTML_INCIDENT_ROWS; kept here: the first 3, so compare up to the list.
          const cut = (s: string) => s.replace(/<h2>All incidents[\s\S]*$/, '');
          expect(cut(formatAuditHtmlFrom(b.summary, b.kept, page))).toBe(cut(formatAuditHtml(a, page)));
        }
      }
    }
  });
});

