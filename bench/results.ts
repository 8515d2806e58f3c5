// The results document (bench/results.json) and how one scenario's result is built.

export interface ScenarioResult {
  /** Stable id, e.g. "1-check-folder-vs-floor". */
  name: string;
  description: string;
  /** mailguard's figure. */
  figure: number | null;
  unit: string;
  /** The baseline's figure, in the same unit. */
  baseline: number | null;
  baselineName: string;
  /** mailguard divided by the baseline (for throughputs: mailguard's rate over the baseline's). */
  ratio: number | null;
  /** The target, e.g. "ratio <= 1.5"; null where the issue asks only for the figure. */
  target: string | null;
  met: boolean | null;
  /** The same comparison in CPU time (user + system), where both sides could be measured. On a
   * machine busy with other work it is steadier than the wall-clock figure. */
  cpu?: { figure: number; baseline: number; ratio: number };
  note?: string;
}

export interface BenchDocument {
  machine: { cpu: string; cores: number; memoryGB: number; node: string; platform: string; release: string; loadAverage: { start: number; end: number } };
  date: string;
  mode: 'full' | 'quick' | 'tiny';
  seed: number;
  scenarios: ScenarioResult[];
}

export function result(
  name: string,
  description: string,
  figure: number,
  unit: string,
  baseline: number,
  baselineName: string,
  target: { max?: number; min?: number } | null,
  note?: string,
): ScenarioResult {
  const ratio = figure / baseline;
  let targetText: string | null = null;
  let met: boolean | null = null;
  if (target?.max !== undefined) {
    targetText = `ratio <= ${target.max}`;
    met = ratio <= target.max;
  } else if (target?.min !== undefined) {
    targetText = `ratio >= ${target.min}`;
    met = ratio >= target.min;
  }
  const r: ScenarioResult = { name, description, figure: round(figure), unit, baseline: round(baseline), baselineName, ratio: round(ratio, 3), target: targetText, met };
  if (note) r.note = note;
  return r;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Adds the CPU-time comparison (ms of CPU per side) to a result. */
export function withCpu(r: ScenarioResult, figureCpuMs: number, baselineCpuMs: number, scale = 1): ScenarioResult {
  r.cpu = { figure: round(figureCpuMs / scale), baseline: round(baselineCpuMs / scale), ratio: round(figureCpuMs / baselineCpuMs, 3) };
  return r;
}
