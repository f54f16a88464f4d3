/**
 * The plots of a demonstration's result, one set per demonstration: uPlot charts (components/Chart) for
 * curves, a canvas heat map under the optimizer paths, SVG for the NMS boxes and the receptive field.
 */
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import uPlot from "uplot";

import { useI18n } from "../i18n";
import {
  accuracyCurves,
  regularisationName,
  type BatchNormSeries,
  bnLoss,
  bnRunning,
  colour,
  type GradientMeasure,
  type GradientSeries,
  gradientNorms,
  histogramBars,
  type InitSeries,
  isoSegments,
  initStd,
  type LearningRateSeries,
  lrLoss,
  nmsFrames,
  type NmsSeries,
  type OptimizerSeries,
  optimizerLoss,
  optimizerPaths,
  type OverfittingSeries,
  type ReceptiveSeries,
  rfProfile,
  rfSquare,
  schedules,
  shadeColour,
  shades,
} from "../lib/demoSeries";
import { AXIS, Chart } from "./Chart";

type Options = Omit<uPlot.Options, "width" | "height">;

/** A tick or legend number, short: 3 significant digits, powers of ten for the very large and small. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

const INT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000];

interface LineSpec {
  x: string;
  y: string;
  names: string[];
  log?: boolean;
  /** Per series (by index): anything uPlot's series takes, over the default line. */
  styles?: Array<Partial<uPlot.Series>>;
  yRange?: [number, number];
}

/** A line chart's options: labelled axes, one coloured line per name, drag to zoom along x. */
export function lineOptions({ x, y, names, log, styles, yRange }: LineSpec): Options {
  const ticks = (_u: uPlot, splits: number[]) => splits.map(formatNumber);
  // A log axis labels its powers of ten only (its other splits are grid lines).
  const logTicks = (_u: uPlot, splits: number[]) => splits.map((v) => (Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9 ? formatNumber(v) : ""));
  return {
    scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : yRange ? { range: yRange } : {} },
    axes: [
      // x is a step, a layer, an epoch or a pixel offset: whole-number ticks.
      { ...AXIS, label: x, labelSize: 18, labelFont: AXIS.font, values: ticks, incrs: INT_INCRS },
      { ...AXIS, label: y, labelSize: 18, labelFont: AXIS.font, size: 58, values: log ? logTicks : ticks },
    ],
    series: [
      { label: x, value: (_u, v) => formatNumber(v) },
      ...names.map((name, i) => ({
        label: name,
        stroke: colour(i),
        width: 2,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => formatNumber(v),
        ...styles?.[i],
      })),
    ],
    cursor: { drag: { x: true, y: false } },
  };
}

/** Bars (a histogram): one series, bars centred on the x values. */
function barOptions(x: string, y: string, fill: string): Options {
  return {
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] } },
    axes: [
      { ...AXIS, label: x, labelSize: 18, labelFont: AXIS.font, values: (_u, s) => s.map(formatNumber) },
      { ...AXIS, size: 60, values: (_u, s) => s.map(formatNumber) },
    ],
    series: [
      { label: x, value: (_u, v) => formatNumber(v) },
      { label: y, stroke: fill, fill, width: 0, paths: uPlot.paths.bars!({ size: [0.95, 40], align: 0 }), points: { show: false } },
    ],
    cursor: { drag: { x: false, y: false } },
    legend: { show: false },
  };
}

interface Props {
  demo: string;
  series: Record<string, unknown>;
}

/** The plots of one demonstration's result. */
export function DemoPlots({ demo, series }: Props) {
  switch (demo) {
    case "optimizer_paths":
      return <OptimizerPlots s={series as unknown as OptimizerSeries} />;
    case "init_activations":
      return <InitPlots s={series as unknown as InitSeries} />;
    case "gradient_flow":
      return <GradientPlots s={series as unknown as GradientSeries} />;
    case "batchnorm":
      return <BatchNormPlots s={series as unknown as BatchNormSeries} />;
    case "overfitting":
      return <OverfittingPlots s={series as unknown as OverfittingSeries} />;
    case "learning_rate":
      return <LearningRatePlots s={series as unknown as LearningRateSeries} />;
    case "nms_steps":
      return <NmsPlots s={series as unknown as NmsSeries} />;
    case "receptive_field":
      return <ReceptivePlots s={series as unknown as ReceptiveSeries} />;
    default:
      return null;
  }
}

function PlotBox({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <div class="demo-plot">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

/** A labelled slider over whole numbers (a step, a layer). */
function Slider({ id, label, value, min, max, onChange }: { id: string; label: string; value: number; min: number; max: number; onChange: (v: number) => void }) {
  return (
    <div class="demo-slider">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={1}
        value={value}
        onInput={(e) => onChange(Number((e.currentTarget as HTMLInputElement).value))}
      />
      <output for={id}>{value}</output>
    </div>
  );
}

function Picker({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: Array<[string, string]>; onChange: (v: string) => void }) {
  return (
    <div class="demo-slider">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

// ---- optimizer paths --------------------------------------------------------------------------------

/** Draws the contour grid as a heat map under the paths (uPlot's drawClear hook). */
function heatHook(s: OptimizerSeries): (u: uPlot) => void {
  const { x, y } = s.contour;
  const shade = shades(s.contour.z);
  const lines = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].flatMap((level) => isoSegments(shade, level));
  const hx = x.length > 1 ? (x[1]! - x[0]!) / 2 : 0.5;
  const hy = y.length > 1 ? (y[1]! - y[0]!) / 2 : 0.5;
  return (u) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    shade.forEach((row, i) =>
      row.forEach((v, j) => {
        if (v === null) return;
        const x0 = u.valToPos(x[j]! - hx, "x", true);
        const x1 = u.valToPos(x[j]! + hx, "x", true);
        const y0 = u.valToPos(y[i]! + hy, "y", true);
        const y1 = u.valToPos(y[i]! - hy, "y", true);
        ctx.fillStyle = shadeColour(v);
        ctx.fillRect(Math.floor(x0), Math.floor(y0), Math.ceil(x1 - x0) + 1, Math.ceil(y1 - y0) + 1);
      }),
    );
    // Contour lines at every tenth of the shade scale.
    ctx.strokeStyle = "rgba(255, 255, 255, 0.55)";
    ctx.lineWidth = uPlot.pxRatio;
    ctx.beginPath();
    const at = (g: number, axis: number[]) => axis[0]! + g * (axis.length > 1 ? axis[1]! - axis[0]! : 0);
    for (const [j1, i1, j2, i2] of lines) {
      ctx.moveTo(u.valToPos(at(j1, x), "x", true), u.valToPos(at(i1, y), "y", true));
      ctx.lineTo(u.valToPos(at(j2, x), "x", true), u.valToPos(at(i2, y), "y", true));
    }
    ctx.stroke();
    ctx.restore();
  };
}

/** Marks the common starting point over the paths (uPlot's draw hook). */
function startHook(s: OptimizerSeries): (u: uPlot) => void {
  return (u) => {
    const ctx = u.ctx;
    const x = u.valToPos(s.start[0], "x", true);
    const y = u.valToPos(s.start[1], "y", true);
    ctx.save();
    ctx.beginPath();
    ctx.arc(x, y, 5 * uPlot.pxRatio, 0, 2 * Math.PI);
    ctx.fillStyle = "#111827";
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 2 * uPlot.pxRatio;
    ctx.fill();
    ctx.stroke();
    ctx.restore();
  };
}

function OptimizerPlots({ s }: { s: OptimizerSeries }) {
  const { t, lang } = useI18n();
  const paths = useMemo(() => optimizerPaths(s), [s]);
  const loss = useMemo(() => optimizerLoss(s), [s]);
  const last = loss.data[0].length - 1;
  const [step, setStep] = useState(last);
  const { x, y } = s.contour;
  const pathOpts = useMemo<Options>(
    () => ({
      mode: 2,
      scales: {
        x: { time: false, auto: false, range: [x[0]!, x[x.length - 1]!] },
        y: { auto: false, range: [y[0]!, y[y.length - 1]!] },
      },
      axes: [
        { ...AXIS, label: "x", labelSize: 18, labelFont: AXIS.font },
        { ...AXIS, label: "y", labelSize: 18, labelFont: AXIS.font, size: 44 },
      ],
      series: [
        {},
        ...paths.names.map((name, i) => ({
          label: name,
          stroke: colour(i),
          width: 2,
          paths: uPlot.paths.linear!(),
          points: { show: true, size: 4, fill: colour(i), stroke: colour(i) },
        })),
      ],
      hooks: { drawClear: [heatHook(s)], draw: [startHook(s)] },
      cursor: { show: false },
      legend: { live: false },
    }),
    [s, lang],
  );
  // The paths up to the chosen step (uPlot's faceted data: [null, [xs, ys], …]).
  const shown = useMemo(
    () => [null, ...paths.data.slice(1).map((d) => [d![0].slice(0, step + 1), d![1].slice(0, step + 1)])] as unknown as uPlot.AlignedData,
    [paths, step],
  );
  const lossOpts = useMemo(
    () => lineOptions({ x: t("demo.step"), y: t("demo.loss"), names: loss.names, log: loss.log }),
    [loss, lang],
  );
  return (
    <div class="demo-plots">
      <PlotBox title={t("demo.plot.paths")}>
        <Slider id="path-step" label={t("demo.showSteps")} value={Math.min(step, last)} min={0} max={last} onChange={setStep} />
        <Chart
          id="demo-chart-paths"
          options={pathOpts}
          data={shown}
          height={300}
          summary={t("demo.sum.paths", { n: paths.names.length, steps: last })}
        />
        <p class="muted small">{t("demo.contourNote")}</p>
      </PlotBox>
      <PlotBox title={t("demo.plot.lossPerStep")}>
        <Chart id="demo-chart-loss" options={lossOpts} data={loss.data} summary={t("demo.sum.lines", { n: loss.names.length, what: t("demo.loss") })} />
      </PlotBox>
    </div>
  );
}

// ---- initialisation -----------------------------------------------------------------------------------

function InitPlots({ s }: { s: InitSeries }) {
  const { t, lang } = useI18n();
  const activations = Object.keys(s.std);
  const [act, setAct] = useState(activations.includes("relu") ? "relu" : (activations[0] ?? ""));
  const [layer, setLayer] = useState(s.layers.length);
  const std = useMemo(() => initStd(s, act), [s, act]);
  const stdOpts = useMemo(() => lineOptions({ x: t("demo.layer"), y: t("demo.std"), names: std.names, log: std.log }), [std, lang]);
  const hists = s.histograms[act] ?? {};
  return (
    <div class="demo-plots">
      <div class="demo-pickers">
        <Picker id="init-act" label={t("demo.activation")} value={act} options={activations.map((a) => [a, a])} onChange={setAct} />
        <Slider id="init-layer" label={t("demo.layer")} value={layer} min={1} max={s.layers.length} onChange={setLayer} />
      </div>
      <PlotBox title={t("demo.plot.std", { act })}>
        <Chart id="demo-chart-std" options={stdOpts} data={std.data} summary={t("demo.sum.lines", { n: std.names.length, what: t("demo.std") })} />
      </PlotBox>
      <div class="demo-grid">
        {Object.keys(hists).map((init, i) => (
          <Histo key={`${act}-${init}`} title={t("demo.plot.hist", { init, act, layer })} h={hists[init]![layer - 1]} fill={colour(i)} />
        ))}
      </div>
    </div>
  );
}

function Histo({ title, h, fill }: { title: string; h: InitSeries["histograms"][string][string][number] | undefined; fill: string }) {
  const { t, lang } = useI18n();
  const opts = useMemo(() => barOptions(t("demo.activationValue"), t("demo.count"), fill), [lang, fill]);
  const data = useMemo(() => (h ? histogramBars(h) : ([[], []] as uPlot.AlignedData)), [h]);
  return (
    <PlotBox title={title}>
      <Chart options={opts} data={data} height={150} summary={title} />
    </PlotBox>
  );
}

// ---- gradient flow --------------------------------------------------------------------------------------

const MEASURES: GradientMeasure[] = ["weight_grad_norm", "activation_grad_norm", "weight_spectral_norm"];

function GradientPlots({ s }: { s: GradientSeries }) {
  const { t, lang } = useI18n();
  const [measure, setMeasure] = useState<GradientMeasure>("weight_grad_norm");
  const g = useMemo(() => gradientNorms(s, measure), [s, measure]);
  const label = t(`demo.measure.${measure}`);
  const opts = useMemo(
    () =>
      lineOptions({
        x: t("demo.layer"),
        y: label,
        names: g.names,
        log: true,
        // sigmoid networks dashed, ReLU ones solid: the same colour for the same BN/residual variant.
        styles: g.names.map((n, i) => ({ stroke: colour(i % 4), dash: n.startsWith("sigmoid") ? [6, 4] : undefined })),
      }),
    [g, lang],
  );
  return (
    <div class="demo-plots">
      <Picker
        id="grad-measure"
        label={t("demo.measure")}
        value={measure}
        options={MEASURES.map((m) => [m, t(`demo.measure.${m}`)])}
        onChange={(v) => setMeasure(v as GradientMeasure)}
      />
      <PlotBox title={t("demo.plot.gradients")}>
        <Chart id="demo-chart-grad" options={opts} data={g.data} height={300} summary={t("demo.sum.lines", { n: g.names.length, what: label })} />
        <p class="muted small">{t("demo.logNote")}</p>
      </PlotBox>
    </div>
  );
}

// ---- BatchNorm ------------------------------------------------------------------------------------------

function BatchNormPlots({ s }: { s: BatchNormSeries }) {
  const { t, lang } = useI18n();
  const mean = useMemo(() => bnRunning(s, "mean"), [s]);
  const vari = useMemo(() => bnRunning(s, "var"), [s]);
  const loss = useMemo(() => bnLoss(s), [s]);
  const statOpts = (what: string, momenta: string[]) =>
    lineOptions({
      x: t("demo.step"),
      y: what,
      names: [...momenta.map((m) => `momentum=${m}`), t("demo.batchStat"), t("demo.trueValue")],
      styles: [
        ...momenta.map(() => ({})),
        { stroke: "#9ca3af", width: 1, points: { show: true, size: 4, fill: "#9ca3af" } },
        { stroke: "#111827", width: 1, dash: [4, 4] },
      ],
    });
  const meanOpts = useMemo(() => statOpts(t("demo.runningMean"), mean.momenta), [mean, lang]);
  const varOpts = useMemo(() => statOpts(t("demo.runningVar"), vari.momenta), [vari, lang]);
  const lossOpts = useMemo(() => lineOptions({ x: t("demo.step"), y: t("demo.loss"), names: loss.names }), [loss, lang]);
  return (
    <div class="demo-plots">
      <PlotBox title={t("demo.plot.runningMean")}>
        <Chart id="demo-chart-bn-mean" options={meanOpts} data={mean.data} summary={t("demo.sum.lines", { n: mean.momenta.length, what: t("demo.runningMean") })} />
      </PlotBox>
      <PlotBox title={t("demo.plot.runningVar")}>
        <Chart id="demo-chart-bn-var" options={varOpts} data={vari.data} summary={t("demo.sum.lines", { n: vari.momenta.length, what: t("demo.runningVar") })} />
      </PlotBox>
      <PlotBox title={t("demo.plot.bnLoss")}>
        <Chart id="demo-chart-bn-loss" options={lossOpts} data={loss.data} summary={t("demo.sum.lines", { n: loss.names.length, what: t("demo.loss") })} />
      </PlotBox>
      <PlotBox title={t("demo.plot.trainEval")}>
        <div class="table-wrap">
          <table class="demo-table">
            <thead>
              <tr>
                <th scope="col">momentum</th>
                <th scope="col" class="num">{t("demo.trainMean")}</th>
                <th scope="col" class="num">{t("demo.trainStd")}</th>
                <th scope="col" class="num">{t("demo.evalMean")}</th>
                <th scope="col" class="num">{t("demo.evalStd")}</th>
              </tr>
            </thead>
            <tbody>
              {mean.momenta.map((m) => {
                const r = s.running[m]!;
                return (
                  <tr key={m}>
                    <th scope="row">{m}</th>
                    <td class="num">{formatNumber(r.train_output_mean)}</td>
                    <td class="num">{formatNumber(r.train_output_std)}</td>
                    <td class="num">{formatNumber(r.eval_output_mean)}</td>
                    <td class="num">{formatNumber(r.eval_output_std)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </PlotBox>
    </div>
  );
}

// ---- overfitting ----------------------------------------------------------------------------------------

function OverfittingPlots({ s }: { s: OverfittingSeries }) {
  const { t, lang } = useI18n();
  const acc = useMemo(() => accuracyCurves(s), [s]);
  const opts = useMemo(
    () =>
      lineOptions({
        x: t("demo.epoch"),
        y: t("demo.accuracy"),
        names: acc.runs.flatMap((r) => {
          const name = regularisationName(r, lang);
          return [`${name} · ${t("demo.train")}`, `${name} · ${t("demo.val")}`];
        }),
        // the same colour per run: training solid, validation dashed
        styles: acc.runs.flatMap((_, i) => [{ stroke: colour(i) }, { stroke: colour(i), dash: [6, 4] }]),
        yRange: [0, 100],
      }),
    [acc, lang],
  );
  return (
    <div class="demo-plots">
      <PlotBox title={t("demo.plot.accuracy")}>
        <Chart id="demo-chart-acc" options={opts} data={acc.data} height={280} summary={t("demo.sum.lines", { n: acc.runs.length * 2, what: t("demo.accuracy") })} />
      </PlotBox>
    </div>
  );
}

// ---- learning rate --------------------------------------------------------------------------------------

function LearningRatePlots({ s }: { s: LearningRateSeries }) {
  const { t, lang } = useI18n();
  const lr = useMemo(() => lrLoss(s), [s]);
  const schedLr = useMemo(() => schedules(s, "lr"), [s]);
  const schedLoss = useMemo(() => schedules(s, "loss"), [s]);
  const lrOpts = useMemo(
    () =>
      lineOptions({
        x: t("demo.step"),
        y: t("demo.loss"),
        names: lr.names.map((k) => `${k} = ${formatNumber(s.learning_rates[k]!.lr)}`),
        log: true,
      }),
    [lr, lang],
  );
  const schedOpts = useMemo(() => lineOptions({ x: t("demo.step"), y: t("demo.learningRate"), names: schedLr.names }), [schedLr, lang]);
  const schedLossOpts = useMemo(() => lineOptions({ x: t("demo.step"), y: t("demo.loss"), names: schedLoss.names, log: true }), [schedLoss, lang]);
  return (
    <div class="demo-plots">
      <PlotBox title={t("demo.plot.lrLoss")}>
        <Chart id="demo-chart-lr" options={lrOpts} data={lr.data} summary={t("demo.sum.lines", { n: lr.names.length, what: t("demo.loss") })} />
      </PlotBox>
      <PlotBox title={t("demo.plot.schedules")}>
        <Chart id="demo-chart-sched" options={schedOpts} data={schedLr.data} summary={t("demo.sum.lines", { n: schedLr.names.length, what: t("demo.learningRate") })} />
      </PlotBox>
      <PlotBox title={t("demo.plot.scheduleLoss")}>
        <Chart id="demo-chart-sched-loss" options={schedLossOpts} data={schedLoss.data} summary={t("demo.sum.lines", { n: schedLoss.names.length, what: t("demo.loss") })} />
      </PlotBox>
    </div>
  );
}

// ---- NMS ------------------------------------------------------------------------------------------------

const BOX_STYLE = {
  keep: { stroke: "#059669", width: 2.5, dash: undefined },
  kept: { stroke: "#059669", width: 1.2, dash: undefined },
  suppressed: { stroke: "#dc2626", width: 2, dash: "4 2" },
  remaining: { stroke: "#6b7280", width: 1, dash: undefined },
  gone: { stroke: "#e5e7eb", width: 1, dash: "2 2" },
} as const;

function NmsPlots({ s }: { s: NmsSeries }) {
  const i18n = useI18n();
  const { t } = i18n;
  const frames = useMemo(() => nmsFrames(s), [s]);
  const [w, h] = s.image;
  return (
    <div class="demo-plots">
      <ul class="nms-legend">
        {(["keep", "kept", "suppressed", "remaining"] as const).map((k) => (
          <li key={k}>
            <svg width="22" height="12" aria-hidden="true">
              <rect x="1" y="1" width="20" height="10" fill="none" stroke={BOX_STYLE[k].stroke} stroke-width={BOX_STYLE[k].width} stroke-dasharray={BOX_STYLE[k].dash} />
            </svg>
            {t(`demo.nms.${k}`)}
          </li>
        ))}
      </ul>
      <ol class="nms-steps">
        {frames.map((state, k) => {
          const step = s.steps[k]!;
          const caption = t("demo.nms.caption", {
            k: k + 1,
            keep: step.keep,
            score: formatNumber(s.scores[step.keep] ?? null),
            n: step.suppressed.length,
            left: step.remaining.length,
          });
          return (
            <li key={k} class="nms-step">
              <figure>
                <svg viewBox={`-2 -2 ${w + 4} ${h + 4}`} role="img" aria-label={caption}>
                  <rect x={0} y={0} width={w} height={h} fill="#f9fafb" stroke="#d1d5db" stroke-width={0.5} />
                  {s.boxes.map((b, i) => {
                    const st = BOX_STYLE[state[i]!];
                    return (
                      <rect
                        key={i}
                        x={b[0]}
                        y={b[1]}
                        width={Math.max(0, b[2] - b[0])}
                        height={Math.max(0, b[3] - b[1])}
                        fill={state[i] === "keep" ? "rgba(5, 150, 105, 0.12)" : "none"}
                        stroke={st.stroke}
                        stroke-width={st.width}
                        stroke-dasharray={st.dash}
                        data-state={state[i]}
                      >
                        <title>{t("demo.nms.box", { i, score: formatNumber(s.scores[i] ?? null) })}</title>
                      </rect>
                    );
                  })}
                  <text x={s.boxes[step.keep]![0] + 1} y={s.boxes[step.keep]![1] + 6} class="nms-label">
                    {step.keep}
                  </text>
                </svg>
                <figcaption>{caption}</figcaption>
              </figure>
            </li>
          );
        })}
      </ol>
    </div>
  );
}

// ---- receptive field ------------------------------------------------------------------------------------

function ReceptivePlots({ s }: { s: ReceptiveSeries }) {
  const { t, lang } = useI18n();
  const profile = useMemo(() => rfProfile(s), [s]);
  const opts = useMemo(
    () => lineOptions({ x: t("demo.offset"), y: t("demo.gradient"), names: [t("demo.withActivation"), t("demo.linear")], yRange: [0, 1.05] }),
    [lang],
  );
  const sq = rfSquare(s);
  const n = s.erf.length;
  const summary = t("demo.sum.erf", { side: sq.side, n });
  return (
    <div class="demo-plots">
      <PlotBox title={t("demo.plot.erf")}>
        <figure class="erf">
          <svg viewBox={`0 0 ${n} ${n}`} role="img" aria-label={summary} class="erf-map">
            {s.erf.map((row, i) =>
              row.map((v, j) => <rect key={`${i}-${j}`} x={j} y={i} width={1.02} height={1.02} fill={shadeColour(Math.sqrt(Math.max(0, v)))} />),
            )}
            <rect x={sq.at} y={sq.at} width={sq.side} height={sq.side} fill="none" stroke="#dc2626" stroke-width={0.15} stroke-dasharray="0.4 0.25" />
          </svg>
          <figcaption class="muted small">{t("demo.erfNote", { side: sq.side })}</figcaption>
        </figure>
      </PlotBox>
      <PlotBox title={t("demo.plot.profile")}>
        <Chart id="demo-chart-profile" options={opts} data={profile} summary={t("demo.sum.lines", { n: 2, what: t("demo.gradient") })} />
      </PlotBox>
    </div>
  );
}

