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
  /** Where `ratio` is the median of per-round ratios (each round with vs without, side by side)
   * rather than figure / baseline: those ratios, sorted (scenario 9's throughput). */
  roundRatios?: number[];
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
  const r: ScenarioResult = { name, description, figure: roundFigure(figure), unit, baseline: roundFigure(baseline), baselineName, ratio: roundFigure(ratio), target: targetText, met };
  if (note) r.note = note;
  return r;
}

/** Four significant digits below 100 (a 0.07-ms check keeps its precision), else 2 decimals. */
export function roundFigure(n: number): number {
  return Math.abs(n) >= 100 || n === 0 ? round(n) : Number(n.toPrecision(4));
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Adds the CPU-time comparison (ms of CPU per side) to a result. */
export function withCpu(r: ScenarioResult, figureCpuMs: number, baselineCpuMs: number, scale = 1): ScenarioResult {
  r.cpu = { figure: roundFigure(figureCpuMs / scale), baseline: roundFigure(baselineCpuMs / scale), ratio: roundFigure(figureCpuMs / baselineCpuMs) };
  return r;
}
