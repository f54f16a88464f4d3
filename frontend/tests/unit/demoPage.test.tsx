import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

// uPlot (imported by the plots) reads the device pixel ratio through matchMedia when it loads; jsdom has none.
vi.hoisted(() => {
  window.matchMedia ??= ((media: string) => ({
    matches: false,
    media,
    onchange: null,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    addListener: () => undefined,
    removeListener: () => undefined,
    dispatchEvent: () => false,
  })) as unknown as typeof window.matchMedia;
});

import { api, ApiError } from "../../src/api/client";
import { DemoLinks } from "../../src/components/DemoLinks";
import { forgetDemos } from "../../src/lib/demoCatalog";
import type { DemoDetail, DemoRun } from "../../src/lib/demos";
import { DemoPage } from "../../src/screens/Demos";
import { renderRoot } from "./helpers";

const root = renderRoot();
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  forgetDemos();
});

async function settle() {
  await act(() => new Promise((r) => setTimeout(r, 0)));
}

// nms_steps as the API describes it (schema entries are the engine's Setting.to_dict()).
const NMS: DemoDetail = {
  id: "nms_steps",
  title: "非极大值抑制（NMS）逐步演示",
  title_en: "",
  summary: "",
  topics: [{ id: "001-1657", title: "NMS" }],
  version: 1,
  schema: {
    boxes: { kind: "int", low: 4, high: 30, default: 12, label: "检测框数" },
    objects: { kind: "int", low: 1, high: 6, default: 3, label: "物体数" },
    iou_threshold: { kind: "real", low: 0.05, high: 0.95, default: 0.5, label: "IoU 阈值" },
  },
  defaults: { boxes: 12, objects: 3, iou_threshold: 0.5 },
  question: { question: "保留几个？", choices: ["1–3 个", "4–6 个", "7–12 个"] },
  cards: [{ id: 41, front: "NMS 的步骤是什么？", deck: 1, deck_name: "检测", kind: "basic" }],
};

const RESULT: NonNullable<DemoRun["result"]> = {
  demo: "nms_steps",
  version: 1,
  params: { boxes: 4, objects: 3, iou_threshold: 0.3 },
  seed: 5,
  device: "cpu",
  series: {
    image: [100, 100],
    boxes: [
      [0, 0, 10, 10],
      [1, 1, 11, 11],
      [50, 50, 60, 60],
      [80, 80, 90, 90],
    ],
    scores: [0.9, 0.8, 0.7, 0.6],
    object: [0, 0, 1, 2],
    steps: [
      { keep: 0, suppressed: [1], suppressed_iou: [0.68], remaining: [2, 3] },
      { keep: 2, suppressed: [], suppressed_iou: [], remaining: [3] },
      { keep: 3, suppressed: [], suppressed_iou: [], remaining: [] },
    ],
    kept: [0, 2, 3],
  },
  figures: [{ key: "kept", label: "保留的框数", value: 3, unit: "" }],
  explanation: "4 个检测框……保留 3 个框：[0, 2, 3]。",
  prediction: { question: "保留几个？", choices: ["1–3 个", "4–6 个"], answer: 0, why: "保留 3 个框" },
};

function run(over: Partial<DemoRun>): DemoRun {
  return {
    id: 9,
    demo: "nms_steps",
    version: 1,
    params: RESULT.params,
    seed: 5,
    status: "queued",
    progress: 0,
    error: "",
    result: null,
    question: { question: "保留几个？", choices: ["1–3 个", "4–6 个"] },
    prediction: { choice: null, right: null },
    created_at: "2026-12-05T08:00:00Z",
    requested_at: "2026-12-05T08:00:00Z",
    started_at: null,
    finished_at: null,
    ...over,
  };
}

const progress = () => Number(root.querySelector<HTMLProgressElement>("#demo-progress")!.value);

describe("a demonstration's page", () => {
  it("fills the controls from the URL, starts that run, shows its progress, asks first, then shows the result", async () => {
    history.replaceState(null, "", "/demos/nms_steps?seed=5&boxes=4&iou_threshold=0.3");
    vi.spyOn(api, "demo").mockResolvedValue(NMS);
    const start = vi.spyOn(api, "demoStart").mockResolvedValue(run({}));
    const polls = [run({ status: "running", progress: 40 }), run({ status: "done", progress: 100, result: RESULT })];
    const poll = vi.spyOn(api, "demoRun").mockImplementation(async () => polls.shift() ?? run({ status: "done", progress: 100, result: RESULT }));
    const predict = vi.spyOn(api, "demoPredict").mockResolvedValue(run({ status: "done", progress: 100, result: RESULT, prediction: { choice: 0, right: true } }));
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });

    act(() => render(<DemoPage id="nms_steps" route={{ path: "/demos/nms_steps", query: new URLSearchParams(location.search) }} />, root));
    await act(async () => void (await vi.advanceTimersByTimeAsync(0)));

    // Controls from the schema, values from the URL (objects missing: its default).
    expect(root.querySelector<HTMLInputElement>("#param-boxes")!.type).toBe("range");
    expect(root.querySelector<HTMLInputElement>("#param-boxes")!.value).toBe("4");
    expect(root.querySelector<HTMLInputElement>("#param-objects")!.value).toBe("3");
    expect(root.querySelector<HTMLInputElement>("#param-iou_threshold")!.value).toBe("0.3");
    expect(root.querySelector<HTMLInputElement>("#demo-seed")!.value).toBe("5");
    expect(location.search).toBe("?seed=5&boxes=4&objects=3&iou_threshold=0.3");
    expect(root.querySelector('.demo-cards a[href="/cards/41"]')).not.toBeNull();

    await act(async () => root.querySelector("form")!.requestSubmit());
    expect(start).toHaveBeenCalledWith("nms_steps", { params: { boxes: 4, objects: 3, iou_threshold: 0.3 }, seed: 5 });
    expect(progress()).toBe(0);
    expect(root.querySelector(".prediction legend")!.textContent).toBe("保留几个？");

    await act(async () => void (await vi.advanceTimersByTimeAsync(250)));
    expect(progress()).toBe(40);
    await act(async () => void (await vi.advanceTimersByTimeAsync(250)));
    expect(progress()).toBe(100);
    expect(poll).toHaveBeenCalledTimes(2);
    // Done: no more polling, and the result waits for the prediction.
    await act(async () => void (await vi.advanceTimersByTimeAsync(10_000)));
    expect(poll).toHaveBeenCalledTimes(2);
    expect(root.querySelector(".demo-result")).toBeNull();

    const first = root.querySelector<HTMLInputElement>('.prediction input[value="0"]')!;
    await act(async () => void first.dispatchEvent(new Event("change", { bubbles: true })));
    const submit = [...root.querySelectorAll("button")].find((b) => b.textContent === "提交预测")!;
    await act(async () => submit.click());
    expect(predict).toHaveBeenCalledWith(9, 0);
    expect(root.querySelector(".verdict")!.getAttribute("data-right")).toBe("true");
    expect(root.querySelector(".demo-explanation")!.textContent).toBe(RESULT.explanation);
    // One SVG per NMS step, the kept box of each step marked.
    const steps = root.querySelectorAll(".nms-step");
    expect(steps.length).toBe(3);
    expect([...steps].map((s) => [...s.querySelectorAll("rect[data-state]")].map((r) => r.getAttribute("data-state")))).toEqual([
      ["keep", "suppressed", "remaining", "remaining"],
      ["kept", "gone", "keep", "remaining"],
      ["kept", "gone", "kept", "keep"],
    ]);
  });

  it("stops asking about a run the server refuses (404), and says so", async () => {
    history.replaceState(null, "", "/demos/nms_steps");
    vi.spyOn(api, "demo").mockResolvedValue(NMS);
    vi.spyOn(api, "demoStart").mockResolvedValue(run({ status: "running", progress: 10 }));
    const poll = vi.spyOn(api, "demoRun").mockRejectedValue(new ApiError(404, "not_found", "没有这个演示运行 / no such demonstration run"));
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    act(() => render(<DemoPage id="nms_steps" route={{ path: "/demos/nms_steps", query: new URLSearchParams() }} />, root));
    await act(async () => void (await vi.advanceTimersByTimeAsync(0)));
    await act(async () => root.querySelector("form")!.requestSubmit());
    await act(async () => void (await vi.advanceTimersByTimeAsync(30_000)));
    expect(poll).toHaveBeenCalledTimes(1);
    expect(root.querySelector("#demo-run-title ~ .notice")!.textContent).toBe("没有这个演示运行");
  });

  it("cancels a run in progress and stops asking about it", async () => {
    history.replaceState(null, "", "/demos/nms_steps");
    vi.spyOn(api, "demo").mockResolvedValue(NMS);
    vi.spyOn(api, "demoStart").mockResolvedValue(run({ status: "running", progress: 20 }));
    const poll = vi.spyOn(api, "demoRun").mockResolvedValue(run({ status: "running", progress: 20 }));
    const cancel = vi.spyOn(api, "demoCancel").mockResolvedValue(run({ status: "cancelled", progress: 20 }));
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    act(() => render(<DemoPage id="nms_steps" route={{ path: "/demos/nms_steps", query: new URLSearchParams() }} />, root));
    await act(async () => void (await vi.advanceTimersByTimeAsync(0)));
    await act(async () => root.querySelector("form")!.requestSubmit());
    // Nothing moves: the looks back off (250, 375, 563 ms …).
    await act(async () => void (await vi.advanceTimersByTimeAsync(250 + 375 + 563)));
    expect(poll).toHaveBeenCalledTimes(3);
    const button = [...root.querySelectorAll("button")].find((b) => b.textContent === "取消运行")!;
    await act(async () => button.click());
    expect(cancel).toHaveBeenCalledWith(9);
    expect(root.querySelector(".run-status")!.getAttribute("data-status")).toBe("cancelled");
    expect([...root.querySelectorAll("button")].some((b) => b.textContent === "取消运行")).toBe(false);
    await act(async () => void (await vi.advanceTimersByTimeAsync(30_000)));
    expect(poll).toHaveBeenCalledTimes(3);
  });

  it("says when the learner has too many runs queued", async () => {
    history.replaceState(null, "", "/demos/nms_steps");
    vi.spyOn(api, "demo").mockResolvedValue(NMS);
    vi.spyOn(api, "demoStart").mockRejectedValue(new ApiError(429, "too_many_runs", "排队中的演示太多 / too many runs"));
    act(() => render(<DemoPage id="nms_steps" route={{ path: "/demos/nms_steps", query: new URLSearchParams() }} />, root));
    await settle();
    await act(async () => root.querySelector("form")!.requestSubmit());
    await settle();
    expect(root.querySelector("#demo-params-title ~ form .error")!.textContent).toBe("你排队中的演示已达上限，请等它们完成或取消后再开始");
    expect(root.querySelector("#demo-progress")).toBeNull();
  });

  it("refuses a value out of range before sending anything", async () => {
    history.replaceState(null, "", "/demos/nms_steps");
    vi.spyOn(api, "demo").mockResolvedValue(NMS);
    const start = vi.spyOn(api, "demoStart");
    act(() => render(<DemoPage id="nms_steps" route={{ path: "/demos/nms_steps", query: new URLSearchParams() }} />, root));
    await settle();
    const input = root.querySelector<HTMLInputElement>("#param-iou_threshold")!;
    await act(async () => {
      input.value = "0.99";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    expect(root.querySelector("#param-iou_threshold-error")!.textContent).toBe("超出范围：应在 0.05 – 0.95 之间");
    expect(root.querySelector<HTMLButtonElement>("button[type=submit]")!.disabled).toBe(true);
    await act(async () => root.querySelector("form")!.requestSubmit());
    expect(start).not.toHaveBeenCalled();
  });
});

describe("links from cards", () => {
  it("fetches the demonstrations once and links the ones sharing a topic", async () => {
    const list = vi.spyOn(api, "demos").mockResolvedValue({ results: [NMS, { ...NMS, id: "other", title: "别的", topics: [{ id: "003-0044", title: "" }] }] });
    act(() =>
      render(
        <>
          <DemoLinks topics={["001-1657"]} />
          <DemoLinks topics={["000-0001"]} />
          <DemoLinks topics={["003-0044", "001-1657"]} />
        </>,
        root,
      ),
    );
    await settle();
    expect(list).toHaveBeenCalledTimes(1);
    const navs = root.querySelectorAll(".demo-links");
    expect(navs.length).toBe(2);
    expect([...navs[0]!.querySelectorAll("a")].map((a) => a.getAttribute("href"))).toEqual(["/demos/nms_steps"]);
    expect([...navs[1]!.querySelectorAll("a")].map((a) => a.getAttribute("href"))).toEqual(["/demos/nms_steps", "/demos/other"]);
  });
});
