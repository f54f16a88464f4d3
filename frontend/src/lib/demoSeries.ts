/**
 * The series of a demonstration's result (the engine's `DemoResult.to_dict()`, docs/demos.md: the API
 * passes them on as free-form JSON, so their shapes per demonstration are written here) turned into
 * what the plots draw: uPlot's aligned columns (one x column, one y column per line, `null` for a gap),
 * uPlot's faceted data for the optimizer paths, the NMS steps as box states. Pure functions, no DOM.
 */
import type uPlot from "uplot";

type Num = number | null;

export interface OptimizerSeries {
  contour: { x: number[]; y: number[]; z: Num[][] };
  paths: Record<string, { lr: number; x: Num[]; y: Num[]; loss: Num[]; diverged: boolean }>;
  start: [number, number];
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface InitSeries {
  layers: number[];
  std: Record<string, Record<string, Num[]>>;
  histograms: Record<string, Record<string, Histogram[]>>;
}

export interface GradientSeries {
  layers: number[];
  networks: Record<string, { weight_grad_norm: Num[]; activation_grad_norm: Num[]; weight_spectral_norm: Num[] }>;
}

export interface BatchNormSeries {
  steps: number[];
  batch_mean: Num[];
  batch_var: Num[];
  running: Record<
    string,
    { running_mean: Num[]; running_var: Num[]; train_output_mean: Num; train_output_std: Num; eval_output_mean: Num; eval_output_std: Num }
  >;
  true_mean: number;
  true_var: number;
  loss: Record<string, Num[]>;
  accuracy: Record<string, Num>;
}

export interface OverfittingSeries {
  runs: Record<string, { epoch: number[]; train_accuracy: Num[]; val_accuracy: Num[]; train_loss: Num[] }>;
}

export interface LearningRateSeries {
  learning_rates: Record<string, { lr: number; loss: Num[] }>;
  schedules: Record<string, { lr: Num[]; loss: Num[] }>;
  loss_floor: number;
  lambda_max: number;
}

export interface NmsStep {
  keep: number;
  suppressed: number[];
  suppressed_iou: Num[];
  remaining: number[];
}

export interface NmsSeries {
  image: [number, number];
  boxes: Array<[number, number, number, number]>;
  scores: number[];
  object: number[];
  steps: NmsStep[];
  kept: number[];
}

export interface ReceptiveSeries {
  input_size: number;
  field: [number, number];
  centre: number;
  erf: number[][];
  erf_origin: number;
  profile: number[];
  linear_profile: number[];
}

/** Line colours, in series order (distinct in print and for the common colour-vision deficiencies). */
export const PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

export function colour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/** 0, 1, …, n − 1. */
export function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A column padded with gaps to length n (a run that stopped early ends in a gap). */
export function padTo(ys: readonly Num[], n: number): Num[] {
  return Array.from({ length: n }, (_, i) => (i < ys.length ? (ys[i] ?? null) : null));
}

/** A column for a log scale: values that are not positive (or missing) become gaps. */
export function positive(ys: readonly Num[]): Num[] {
  return ys.map((v) => (v !== null && Number.isFinite(v) && v > 0 ? v : null));
}

/** Whether every value present is positive: a log scale can show the columns as they are. */
export function allPositive(columns: ReadonlyArray<readonly Num[]>): boolean {
  return columns.every((c) => c.every((v) => v === null || v > 0));
}

/** Aligned data: one x column, then the y columns padded (or cut) to its length. */
export function aligned(x: readonly number[], ys: ReadonlyArray<readonly Num[]>): uPlot.AlignedData {
  return [[...x], ...ys.map((y) => padTo(y, x.length))];
}

// ---- optimizer paths --------------------------------------------------------------------------------

/** The loss of every optimizer per step (step 0 is the start), each optimizer a column. */
export function optimizerLoss(s: OptimizerSeries): { names: string[]; data: uPlot.AlignedData; log: boolean } {
  const names = Object.keys(s.paths);
  const n = Math.max(0, ...names.map((k) => s.paths[k]!.loss.length));
  const cols = names.map((k) => s.paths[k]!.loss);
  const log = allPositive(cols);
  return { names, data: aligned(indices(n), log ? cols.map(positive) : cols), log };
}

/**
 * The trajectories as uPlot's faceted data (mode 2): no shared x column, each optimizer its own
 * [x values, y values] in the order of the steps. A point past the plotted window stays in (the scales
 * are fixed to the contour grid, so it is drawn outside and clipped).
 */
export function optimizerPaths(s: OptimizerSeries): { names: string[]; data: Array<null | [Num[], Num[]]> } {
  const names = Object.keys(s.paths);
  return { names, data: [null, ...names.map((k): [Num[], Num[]] => [s.paths[k]!.x, s.paths[k]!.y])] };
}

/**
 * A grid of function values as shades in [0, 1] for the contour's heat map: log(1 + z − min) scaled to
 * the largest, so the valley's floor (where the paths go) keeps its detail; a missing value is null.
 */
export function shades(z: ReadonlyArray<readonly Num[]>): Num[][] {
  let lo = Infinity;
  for (const row of z) for (const v of row) if (v !== null && v < lo) lo = v;
  const logs = z.map((row) => row.map((v) => (v === null ? null : Math.log1p(v - lo))));
  let hi = 0;
  for (const row of logs) for (const v of row) if (v !== null && v > hi) hi = v;
  return logs.map((row) => row.map((v) => (v === null ? null : hi > 0 ? v / hi : 0)));
}

/**
 * Where a grid crosses a level, as line segments (marching squares): each `[j₁, i₁, j₂, i₂]` in grid
 * coordinates (column j, row i, fractional along a cell's edge by linear interpolation). A cell with a
 * missing corner has none; a saddle cell (all four edges crossed) joins them in edge order.
 */
export function isoSegments(z: ReadonlyArray<readonly Num[]>, level: number): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i + 1 < z.length; i++) {
    for (let j = 0; j + 1 < z[i]!.length; j++) {
      const a = z[i]![j];
      const b = z[i]![j + 1];
      const c = z[i + 1]![j + 1];
      const d = z[i + 1]![j];
      if (a === null || b === null || c === null || d === null || a === undefined || b === undefined || c === undefined || d === undefined) continue;
      const pts: number[] = [];
      const cross = (u: number, v: number) => u < level !== v < level;
      const t = (u: number, v: number) => (level - u) / (v - u);
      if (cross(a, b)) pts.push(j + t(a, b), i);
      if (cross(b, c)) pts.push(j + 1, i + t(b, c));
      if (cross(c, d)) pts.push(j + 1 - t(c, d), i + 1);
      if (cross(d, a)) pts.push(j, i + 1 - t(d, a));
      for (let k = 0; k + 3 < pts.length; k += 4) out.push([pts[k]!, pts[k + 1]!, pts[k + 2]!, pts[k + 3]!]);
    }
  }
  return out;
}

/** A shade in [0, 1] as a colour from pale yellow (low) to dark blue (high). */
export function shadeColour(t: number): string {
  const stops: Array<[number, number, number]> = [
    [255, 251, 214],
    [161, 218, 180],
    [65, 182, 196],
    [34, 94, 168],
    [12, 44, 132],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

// ---- initialisation and activations ----------------------------------------------------------------

/** Each initialisation's activation standard deviation per layer, for one activation function. */
export function initStd(s: InitSeries, activation: string): { names: string[]; data: uPlot.AlignedData; log: boolean } {
  const byInit = s.std[activation] ?? {};
  const names = Object.keys(byInit);
  const cols = names.map((k) => byInit[k]!);
  const log = allPositive(cols);
  return { names, data: aligned(s.layers, log ? cols.map(positive) : cols), log };
}

/** A histogram as bars: the centre of each bin and its count. */
export function histogramBars(h: Histogram): uPlot.AlignedData {
  const centres = h.counts.map((_, i) => (h.edges[i]! + h.edges[i + 1]!) / 2);
  return [centres, [...h.counts]];
}

// ---- gradient flow ---------------------------------------------------------------------------------

export type GradientMeasure = "weight_grad_norm" | "activation_grad_norm" | "weight_spectral_norm";

/** One measure per layer for every network (a log scale: gaps where it is not positive). */
export function gradientNorms(s: GradientSeries, measure: GradientMeasure): { names: string[]; data: uPlot.AlignedData } {
  const names = Object.keys(s.networks);
  return { names, data: aligned(s.layers, names.map((k) => positive(s.networks[k]![measure]))) };
}

// ---- batch normalisation ---------------------------------------------------------------------------

/**
 * The running statistic of every momentum per step, then the batch's own statistic and the true value
 * (a flat line): the columns `[step, …momenta, batch, true]`.
 */
export function bnRunning(s: BatchNormSeries, stat: "mean" | "var"): { momenta: string[]; data: uPlot.AlignedData } {
  const momenta = Object.keys(s.running);
  const cols = momenta.map((m) => s.running[m]![stat === "mean" ? "running_mean" : "running_var"]);
  const truth = stat === "mean" ? s.true_mean : s.true_var;
  return {
    momenta,
    data: aligned(s.steps, [...cols, stat === "mean" ? s.batch_mean : s.batch_var, s.steps.map(() => truth)]),
  };
}

/** The training loss per step with and without BN. */
export function bnLoss(s: BatchNormSeries): { names: string[]; data: uPlot.AlignedData } {
  const names = Object.keys(s.loss);
  const n = Math.max(0, ...names.map((k) => s.loss[k]!.length));
  return { names, data: aligned(indices(n).map((i) => i + 1), names.map((k) => s.loss[k]!)) };
}

// ---- overfitting -----------------------------------------------------------------------------------

const REGULARISATION: Record<string, { zh: string; en: string }> = {
  none: { zh: "不正则化", en: "No regularisation" },
  weight_decay: { zh: "权值衰减", en: "Weight decay" },
  dropout: { zh: "Dropout", en: "Dropout" },
};

/** A run's name in the legend (the engine's keys `none`, `weight_decay`, `dropout` are not words to show). */
export function regularisationName(key: string, lang: "zh" | "en"): string {
  return REGULARISATION[key]?.[lang] ?? key;
}

/** Training and validation accuracy (in %) per epoch: `[epoch, run₁ train, run₁ val, run₂ train, …]`. */
export function accuracyCurves(s: OverfittingSeries): { runs: string[]; data: uPlot.AlignedData } {
  const runs = Object.keys(s.runs);
  const epochs = runs.length ? s.runs[runs[0]!]!.epoch : [];
  const pct = (ys: Num[]) => ys.map((v) => (v === null ? null : Math.round(v * 1000) / 10));
  return { runs, data: aligned(epochs, runs.flatMap((k) => [pct(s.runs[k]!.train_accuracy), pct(s.runs[k]!.val_accuracy)])) };
}

// ---- learning rate ---------------------------------------------------------------------------------

/** Full-batch loss per step (step 0 is the start) for each learning rate. */
export function lrLoss(s: LearningRateSeries): { names: string[]; data: uPlot.AlignedData } {
  const names = Object.keys(s.learning_rates);
  const n = Math.max(0, ...names.map((k) => s.learning_rates[k]!.loss.length));
  return { names, data: aligned(indices(n), names.map((k) => positive(s.learning_rates[k]!.loss))) };
}

/** Each schedule's learning rate (or loss) per mini-batch step, steps counted from 1. */
export function schedules(s: LearningRateSeries, what: "lr" | "loss"): { names: string[]; data: uPlot.AlignedData } {
  const names = Object.keys(s.schedules);
  const n = Math.max(0, ...names.map((k) => s.schedules[k]![what].length));
  const cols = names.map((k) => s.schedules[k]![what]);
  return { names, data: aligned(indices(n).map((i) => i + 1), what === "loss" ? cols.map(positive) : cols) };
}

// ---- NMS -------------------------------------------------------------------------------------------

export type BoxState = "kept" | "keep" | "suppressed" | "remaining" | "gone";

/**
 * What each box is at every step of NMS: `keep` (kept at this step), `kept` (at an earlier step),
 * `suppressed` (by this step's box), `gone` (suppressed earlier), `remaining` (still to be decided).
 */
export function nmsFrames(s: NmsSeries): BoxState[][] {
  const frames: BoxState[][] = [];
  const state: BoxState[] = s.boxes.map(() => "remaining");
  for (const step of s.steps) {
    for (let i = 0; i < state.length; i++) {
      if (state[i] === "keep") state[i] = "kept";
      else if (state[i] === "suppressed") state[i] = "gone";
    }
    state[step.keep] = "keep";
    for (const j of step.suppressed) state[j] = "suppressed";
    frames.push([...state]);
  }
  return frames;
}

// ---- receptive field -------------------------------------------------------------------------------

/** The gradient along the centre row, with and without the activation: x is the offset from the centre. */
export function rfProfile(s: ReceptiveSeries): uPlot.AlignedData {
  return [s.profile.map((_, i) => i - s.centre), [...s.profile], [...s.linear_profile]];
}

/** The analytic field's square inside the cropped gradient map: its first row/column and its side. */
export function rfSquare(s: ReceptiveSeries): { at: number; side: number } {
  return { at: s.field[0] - s.erf_origin, side: s.field[1] - s.field[0] };
}
