// The bench script runs end to end on tiny inputs and prints the documented results shape.
// Bench work, so `npm run test:slow` (run by .ci/run), not `npm test` (it starts Dovecot, the
// proxy and send, and takes a minute or more on two cores).
// Never a timed assertion here: speed is measured by `npm run bench`, not by `npm test`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runProcess, type RunResult } from '../helpers/cli.js';

function runBench(args: string[]): Promise<RunResult> {
  return runProcess(process.execPath, [path.join(ROOT, 'bench/run.mjs'), ...args], { timeoutMs: 110_000 });
}

describe('npm run bench (tiny inputs)', () => {
  it('runs every scenario and prints and writes { machine, date, scenarios: [...] }', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailguard-bench-test-'));
    const out = path.join(dir, 'results.json');
    try {
      const r = await runBench(['--tiny', '--quick', '--json', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(doc);
      expect(doc.mode).toBe('tiny');
      expect(doc.machine.cores).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(doc.date))).toBe(false);
      const names = doc.scenarios.map((s: { name: string }) => s.name);
      for (const prefix of ['1-', '2-', '3-', '4-', '5-', '6-', '7-', '8-', '9-', '10-', '11-', '12-']) expect(names.some((n: string) => n.startsWith(prefix))).toBe(true);
      for (const s of doc.scenarios) {
        expect(Object.keys(s)).toEqual(expect.arrayContaining(['name', 'figure', 'unit', 'baseline', 'ratio', 'target']));
        if (s.figure === null) {
          // Only scenarios whose command is not built yet may be unmeasured, and they say so.
          expect(s.note).toMatch(/not measured/);
          continue;
        }
        expect(s.figure).toBeGreaterThan(0);
        expect(s.baseline).toBeGreaterThan(0);
        if (s.roundRatios !== undefined) {
          // Scenario 9's throughput: the median of the per-round ratios (bench/milter.ts), not the
          // ratio of the medians.
          const sorted: number[] = s.roundRatios;
          expect(sorted.length).toBeGreaterThan(0);
          const mid = sorted.length >> 1;
          expect(s.ratio).toBeCloseTo(sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, 2);
          continue;
        }
        // The ratio is taken before rounding the figures, so compare within 5%.
        expect(Math.abs(s.ratio - s.figure / s.baseline) / s.ratio).toBeLessThan(0.05);
      }
      // The reference implementation reaches the same verdicts as mailguard on every draft.
      const ref = doc.scenarios.find((s: { name: string }) => s.name === '1-check-folder-vs-simpleparser');
      expect(ref.note).toBe('verdicts agree on 40/40 drafts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
