import { describe, expect, it } from "vitest";

import {
  accuracyCurves,
  bnRunning,
  histogramBars,
  isoSegments,
  nmsFrames,
  optimizerLoss,
  optimizerPaths,
  regularisationName,
  rfProfile,
  rfSquare,
  shades,
  type BatchNormSeries,
  type NmsSeries,
  type OptimizerSeries,
  type ReceptiveSeries,
} from "../../src/lib/demoSeries";
import {
  controlsOf,
  type DemoSchema,
  demosForTopics,
  fromQuery,
  isFinished,
  MAX_SEED,
  paramsOf,
  parseSeed,
  parseValue,
  pollDelay,
  toQuery,
} from "../../src/lib/demos";

// Schema entries as the engine's Setting.to_dict() writes them (receptive_field and batchnorm, abridged).
const SCHEMA: DemoSchema = {
  layers: { kind: "int", low: 1, high: 10, default: 5, label: "卷积层数" },
  steps: { kind: "int", low: 5, high: 300, default: 40, label: "步数" },
  kernel: { kind: "choice", choices: [3, 5, 7], default: 3, label: "卷积核大小" },
  activation: { kind: "choice", choices: ["relu", "none"], default: "relu", label: "激活函数" },
  lr: { kind: "real", low: 0.001, high: 3.0, default: 0.05, label: "学习率" },
};

describe("schema to controls", () => {
  it("makes a slider of a short integer range, a number box of a long one or a real, a list of a choice", () => {
    const byName = Object.fromEntries(controlsOf(SCHEMA).map((c) => [c.name, c]));
    expect(controlsOf(SCHEMA).map((c) => c.name)).toEqual(["layers", "steps", "kernel", "activation", "lr"]);
    expect(byName.layers).toMatchObject({ widget: "range", min: 1, max: 10, step: 1, label: "卷积层数" });
    expect(byName.steps).toMatchObject({ widget: "number", min: 5, max: 300, step: 1 });
    expect(byName.lr).toMatchObject({ widget: "number", min: 0.001, max: 3, step: "any" });
    expect(byName.kernel!.widget).toBe("select");
    expect(byName.kernel!.options).toEqual([
      { value: "3", label: "3" },
      { value: "5", label: "5" },
      { value: "7", label: "7" },
    ]);
    expect(byName.activation!.options!.map((o) => o.value)).toEqual(["relu", "none"]);
  });

  it("reads a control's text as the parameter's value, keeping a choice's type", () => {
    expect(parseValue(SCHEMA.layers!, " 7 ")).toEqual({ value: 7 });
    expect(parseValue(SCHEMA.layers!, "7.5")).toEqual({ error: "integer" });
    expect(parseValue(SCHEMA.layers!, "11")).toEqual({ error: "range" });
    expect(parseValue(SCHEMA.layers!, "0")).toEqual({ error: "range" });
    expect(parseValue(SCHEMA.lr!, "1e-2")).toEqual({ value: 0.01 });
    expect(parseValue(SCHEMA.lr!, ".5")).toEqual({ value: 0.5 });
    expect(parseValue(SCHEMA.lr!, "3.0001")).toEqual({ error: "range" });
    expect(parseValue(SCHEMA.lr!, "abc")).toEqual({ error: "number" });
    expect(parseValue(SCHEMA.lr!, "")).toEqual({ error: "number" });
    expect(parseValue(SCHEMA.kernel!, "5")).toEqual({ value: 5 });
    expect(parseValue(SCHEMA.kernel!, "4")).toEqual({ error: "choice" });
    expect(parseValue(SCHEMA.activation!, "none")).toEqual({ value: "none" });
  });

  it("names every control that is not readable", () => {
    const { params, errors } = paramsOf(SCHEMA, { layers: "3", steps: "x", kernel: "7", activation: "relu", lr: "9" });
    expect(errors).toEqual({ steps: "integer", lr: "range" });
    expect(params).toEqual({ layers: 3, kernel: 7, activation: "relu" });
  });

  it("reads a seed in [0, 2³¹ − 1] only", () => {
    expect(parseSeed("0")).toBe(0);
    expect(parseSeed(String(2 ** 31 - 1))).toBe(2147483647);
    expect(MAX_SEED).toBe(2147483647);
    expect(parseSeed(String(2 ** 31))).toBeNull();
    expect(parseSeed("-1")).toBeNull();
    expect(parseSeed("1.5")).toBeNull();
  });
});

describe("the shareable URL", () => {
  it("round-trips parameters and seed", () => {
    const params = { layers: 8, steps: 120, kernel: 7, activation: "none", lr: 0.25 };
    const query = toQuery(SCHEMA, params, 42);
    expect(query).toBe("seed=42&layers=8&steps=120&kernel=7&activation=none&lr=0.25");
    const back = fromQuery(SCHEMA, new URLSearchParams(query));
    expect(back.seed).toBe(42);
    expect(paramsOf(SCHEMA, back.values)).toEqual({ params, errors: {} });
  });

  it("fills what a link lacks or gets wrong with the defaults", () => {
    const back = fromQuery(SCHEMA, new URLSearchParams("seed=-3&layers=99&kernel=5&unknown=1&lr=abc"));
    expect(back.seed).toBe(0);
    expect(back.values).toEqual({ layers: "5", steps: "40", kernel: "5", activation: "relu", lr: "0.05" });
  });
});

describe("links and polling", () => {
  const demos = [
    { id: "a", topics: [{ id: "002-0329", title: "" }] },
    { id: "b", topics: [{ id: "001-1657", title: "" }, { id: "002-0248", title: "" }] },
    { id: "c", topics: [{ id: "003-0044", title: "" }] },
  ];

  it("links a card to every demonstration sharing a topic, in the demonstrations' order", () => {
    expect(demosForTopics(demos, ["002-0248", "002-0329"]).map((d) => d.id)).toEqual(["a", "b"]);
    expect(demosForTopics(demos, ["000-0001"])).toEqual([]);
    expect(demosForTopics(demos, [])).toEqual([]);
  });

  it("asks quickly first, then backs off to at most 1 s; stops at a final status", () => {
    const delays = [0, 1, 2, 3, 10, 50].map(pollDelay);
    expect(delays.slice(0, 4)).toEqual([250, 375, 563, 844]);
    expect(delays.slice(4)).toEqual([1000, 1000]);
    expect(["done", "failed", "cancelled"].every(isFinished)).toBe(true);
    expect(["queued", "running"].some(isFinished)).toBe(false);
  });
});

describe("series to plot data", () => {
  it("puts histogram bars at the bins' centres", () => {
    expect(histogramBars({ edges: [0, 0.5, 1, 2], counts: [3, 0, 7] })).toEqual([
      [0.25, 0.75, 1.5],
      [3, 0, 7],
    ]);
  });

  const optimizer: OptimizerSeries = {
    contour: { x: [-1, 0, 1], y: [-1, 1], z: [[2, 1, 2], [4, 3, 4]] },
    paths: {
      SGD: { lr: 0.1, x: [-1, -0.5, 0], y: [1, 0.5, 0], loss: [2, 0.5, 0.1], diverged: false },
      Adam: { lr: 0.3, x: [-1, 5], y: [1, 9], loss: [2, 90], diverged: true },
    },
    start: [-1, 1],
  };

  it("aligns the optimizers' losses by step, a diverged path ending in gaps, on a log scale when all are positive", () => {
    const loss = optimizerLoss(optimizer);
    expect(loss.names).toEqual(["SGD", "Adam"]);
    expect(loss.data).toEqual([
      [0, 1, 2],
      [2, 0.5, 0.1],
      [2, 90, null],
    ]);
    expect(loss.log).toBe(true);
    const saddle = { ...optimizer, paths: { SGD: { ...optimizer.paths.SGD!, loss: [0.5, -0.25, -1] } } };
    expect(optimizerLoss(saddle)).toMatchObject({ log: false, data: [[0, 1, 2], [0.5, -0.25, -1]] });
  });

  it("gives each path its own x and y (uPlot's faceted data)", () => {
    expect(optimizerPaths(optimizer).data).toEqual([null, [[-1, -0.5, 0], [1, 0.5, 0]], [[-1, 5], [1, 9]]]);
  });

  it("shades the contour by log(1 + z − min) over its largest", () => {
    const s = shades([[2, 1, 2], [4, 3, null]]);
    const top = Math.log(4);
    expect(s[0]).toEqual([Math.log(2) / top, 0, Math.log(2) / top]);
    expect(s[1]).toEqual([1, Math.log(3) / top, null]);
  });

  it("finds contour lines by marching squares, interpolating along the cells' edges", () => {
    // Rises from 0 (left) to 2 (right): the level 1 runs down the middle; 0.5 a quarter of the way.
    expect(isoSegments([[0, 2], [0, 2]], 1)).toEqual([[0.5, 0, 0.5, 1]]);
    expect(isoSegments([[0, 2], [0, 2]], 0.5)).toEqual([[0.25, 0, 0.25, 1]]);
    // One high corner (bottom right, 4): the value 1 is a quarter of the way from each low corner to it.
    expect(isoSegments([[0, 0], [0, 4]], 1)).toEqual([[1, 0.25, 0.25, 1]]);
    // Two cells, a missing value in the second: only the first has a line; no level crossed, no line.
    expect(isoSegments([[0, 2, null], [0, 2, 3]], 1)).toEqual([[0.5, 0, 0.5, 1]]);
    expect(isoSegments([[0, 2], [0, 2]], 5)).toEqual([]);
  });

  it("plots running statistics against the batch's and the true value", () => {
    const bn = {
      steps: [1, 2],
      batch_mean: [3, 5],
      batch_var: [1, 2],
      running: {
        "0.1": { running_mean: [0.3, 0.77], running_var: [1, 1.1] },
        "0.5": { running_mean: [1.5, 3.25], running_var: [1, 1.5] },
      },
      true_mean: 4,
      true_var: 2,
    } as unknown as BatchNormSeries;
    // 0.1·3 = 0.3, 0.9·0.3 + 0.1·5 = 0.77; 0.5·3 = 1.5, 0.5·1.5 + 0.5·5 = 3.25 (PyTorch's momentum)
    expect(bnRunning(bn, "mean")).toEqual({
      momenta: ["0.1", "0.5"],
      data: [
        [1, 2],
        [0.3, 0.77],
        [1.5, 3.25],
        [3, 5],
        [4, 4],
      ],
    });
  });

  it("gives accuracy in percent, training then validation per run", () => {
    const runs = {
      none: { epoch: [3, 6], train_accuracy: [0.6167, 1], val_accuracy: [0.517, 0.71], train_loss: [1, 1] },
      dropout: { epoch: [3, 6], train_accuracy: [0.5, 0.9], val_accuracy: [0.5, 0.841], train_loss: [1, 1] },
    };
    expect(accuracyCurves({ runs })).toEqual({
      runs: ["none", "dropout"],
      data: [
        [3, 6],
        [61.7, 100],
        [51.7, 71],
        [50, 90],
        [50, 84.1],
      ],
    });
  });

  it("names the regularisation runs in words, in the interface language", () => {
    expect(["none", "weight_decay", "dropout"].map((k) => regularisationName(k, "zh"))).toEqual(["不正则化", "权值衰减", "Dropout"]);
    expect(["none", "weight_decay", "dropout"].map((k) => regularisationName(k, "en"))).toEqual([
      "No regularisation",
      "Weight decay",
      "Dropout",
    ]);
    expect(regularisationName("batchnorm", "en")).toBe("batchnorm");
  });

  it("tells each NMS step's boxes apart: kept now, kept before, suppressed now, gone, remaining", () => {
    const s: NmsSeries = {
      image: [100, 100],
      boxes: [
        [0, 0, 10, 10],
        [1, 1, 11, 11],
        [50, 50, 60, 60],
        [51, 51, 61, 61],
        [90, 90, 99, 99],
      ],
      scores: [0.9, 0.8, 0.7, 0.6, 0.5],
      object: [0, 0, 1, 1, 2],
      steps: [
        { keep: 0, suppressed: [1], suppressed_iou: [0.68], remaining: [2, 3, 4] },
        { keep: 2, suppressed: [3], suppressed_iou: [0.68], remaining: [4] },
        { keep: 4, suppressed: [], suppressed_iou: [], remaining: [] },
      ],
      kept: [0, 2, 4],
    };
    expect(nmsFrames(s)).toEqual([
      ["keep", "suppressed", "remaining", "remaining", "remaining"],
      ["kept", "gone", "keep", "suppressed", "remaining"],
      ["kept", "gone", "kept", "gone", "keep"],
    ]);
  });

  it("places the analytic field in the cropped gradient map and the profile around the centre", () => {
    // 5 layers of 3×3: r = 11; an input of 19 with the field at [4, 15), cropped from row 0.
    const s = { input_size: 19, field: [4, 15], centre: 9, erf: [], erf_origin: 0, profile: [0, 0.5, 1, 0.5, 0], linear_profile: [0, 1, 1, 1, 0] };
    expect(rfSquare({ ...s, erf_origin: 2 } as unknown as ReceptiveSeries)).toEqual({ at: 2, side: 11 });
    expect(rfProfile({ ...s, centre: 2 } as unknown as ReceptiveSeries)).toEqual([
      [-2, -1, 0, 1, 2],
      [0, 0.5, 1, 0.5, 0],
      [0, 1, 1, 1, 0],
    ]);
  });
});
