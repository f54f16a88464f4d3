import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

// uPlot draws on a canvas jsdom lacks: the charts render as their summary only
vi.mock("../../src/components/Chart", () => ({
  AXIS: {},
  Chart: ({ summary, id }: { summary: string; id?: string }) => <figure id={id}>{summary}</figure>,
}));

import { api, ApiError, type OptimizeRun, type StudySettings } from "../../src/api/client";
import { binned } from "../../src/components/FsrsPanel";
import { translate } from "../../src/i18n";
import { Settings } from "../../src/screens/Settings";
import { renderRoot } from "./helpers";

const root = renderRoot();
afterEach(() => vi.restoreAllMocks());

const stored: StudySettings = {
  desired_retention: 0.9,
  new_per_day: 20,
  max_reviews_per_day: 200,
  learning_steps: [1, 10],
  relearning_steps: [10],
  timezone: "UTC",
  day_start_hour: 4,
  reminder_time: "09:00:00",
  email_reminders: true,
  language: "zh",
  leech_threshold: 8,
  learn_ahead_minutes: 20,
  new_card_order: "interleaved",
  deck_new_limits: {},
  deck_review_limits: {},
};

const metrics = (logLoss: number, observed: number) => ({
  reviews: 100,
  log_loss: logLoss,
  rmse_bins: 0.05,
  auc: 0.7,
  calibration: [{ predicted: 0.92, observed, count: 100 }],
});

const run: OptimizeRun = {
  id: 3, trigger: "button", status: "done", stage: "finished", progress_done: 0, progress_total: 0,
  reviews_used: 1000, split_at: null, parameters_before: null, parameters_fitted: null, parameters_after: null,
  metrics_before: metrics(0.45, 0.8), metrics_after: metrics(0.41, 0.9), adopted: true,
  reason: "adopted: log loss 0.4500 -> 0.4100", cards_rescheduled: 12, error: "",
  reason_code: "adopted", reason_args: { reviews: 200, before: "0.4500", after: "0.4100", total: 1000 },
  created_at: "2026-03-01T00:00:00Z", started_at: null, finished_at: "2026-03-01T00:01:00Z", duration_s: 60,
};

/** The memory-model panel's requests: parameters in force and no run yet unless given. */
function mockFsrs(latest: OptimizeRun | null = null) {
  vi.spyOn(api, "fsrsParameters").mockResolvedValue({ parameters: Array(21).fill(0.5), is_default: true, history: [] });
  const get = vi.spyOn(api, "fsrsRunLatest");
  if (latest) get.mockResolvedValue(latest);
  else get.mockRejectedValue(new ApiError(404, "not_found", "no run"));
  return get;
}

async function settle() {
  await act(() => new Promise((r) => setTimeout(r, 0)));
}

async function mount() {
  act(() => render(<Settings onLanguage={() => undefined} />, root));
  await settle();
}

const input = (id: string) => root.querySelector<HTMLInputElement>(`#${id}`)!;

function type(id: string, value: string) {
  act(() => {
    input(id).value = value;
    input(id).dispatchEvent(new Event("input", { bubbles: true }));
  });
}

async function save() {
  await act(async () => root.querySelector<HTMLFormElement>("form.settings-form")!.requestSubmit());
  await settle();
}

describe("Settings", () => {
  it("shows the stored settings, then saves an edit and shows the answer", async () => {
    vi.spyOn(api, "settings").mockResolvedValue(stored);
    mockFsrs();
    const update = vi.spyOn(api, "settingsUpdate").mockImplementation(async (b) => ({ ...stored, ...b }) as StudySettings);
    await mount();
    expect(input("new_per_day").value).toBe("20");
    expect(input("learning_steps").value).toBe("1 10");
    expect(input("reminder_time").value).toBe("09:00");
    type("new_per_day", "7");
    type("learning_steps", "2, 15");
    await save();
    expect(update).toHaveBeenCalledTimes(1);
    expect(update.mock.calls[0]![0]).toMatchObject({ new_per_day: 7, learning_steps: [2, 15], reminder_time: "09:00:00" });
    expect(root.querySelector(".status")!.textContent).toBe(translate("zh", "set.saved"));
    expect(input("learning_steps").value).toBe("2 15");
  });

  it("explains bad steps without asking the server, and the server's field errors", async () => {
    vi.spyOn(api, "settings").mockResolvedValue(stored);
    mockFsrs();
    const update = vi
      .spyOn(api, "settingsUpdate")
      .mockRejectedValue(new ApiError(400, "invalid", "invalid", { timezone: ["unknown time zone"] }));
    await mount();
    type("learning_steps", "2 abc");
    await save();
    expect(update).not.toHaveBeenCalled();
    expect(root.querySelector("#learning_steps-error")!.textContent).toBe(translate("zh", "set.stepsInvalid"));
    type("learning_steps", "2 15");
    await save();
    expect(update).toHaveBeenCalledTimes(1);
    expect(root.querySelector("#learning_steps-error")).toBeNull();
    expect(root.querySelector(".field.has-error #timezone")).not.toBeNull();
    expect(root.querySelector(".status")!.textContent).toBe(translate("zh", "err.invalid"));
  });

  it("shows a failed load under its heading", async () => {
    vi.spyOn(api, "settings").mockRejectedValue(new ApiError(0, "network", "network error"));
    await mount();
    expect(root.querySelector("h1")!.textContent).toBe(translate("zh", "set.title"));
    expect(root.querySelector("p.error")!.textContent).toBe(translate("zh", "err.network"));
  });

  it("offers to reschedule when the desired retention changed, and saves the leech threshold", async () => {
    vi.spyOn(api, "settings").mockResolvedValue(stored);
    mockFsrs();
    const update = vi.spyOn(api, "settingsUpdate").mockImplementation(async (b) => ({ ...stored, ...b }) as StudySettings);
    const reschedule = vi.spyOn(api, "fsrsReschedule").mockResolvedValue({ queued: true });
    await mount();
    expect(input("leech_threshold").value).toBe("8");
    type("leech_threshold", "5");
    await save();
    expect(update.mock.calls[0]![0]).toMatchObject({ leech_threshold: 5 });
    expect(root.textContent).not.toContain(translate("zh", "fsrs.retentionChanged"));
    type("desired_retention", "0.85");
    await save();
    expect(root.textContent).toContain(translate("zh", "fsrs.retentionChanged"));
    await act(async () => root.querySelector<HTMLButtonElement>(".reschedule-offer button")!.click());
    await settle();
    expect(reschedule).toHaveBeenCalledTimes(1);
    expect(root.textContent).toContain(translate("zh", "fsrs.rescheduled"));
  });

  it("shows the last run's metrics before and after, and whether it was adopted", async () => {
    vi.spyOn(api, "settings").mockResolvedValue(stored);
    mockFsrs(run);
    await mount();
    const cells = [...root.querySelectorAll(".fsrs-metrics td")].map((td) => td.textContent);
    expect(cells).toEqual(["0.4500", "0.4100", "0.0500", "0.0500", "0.7000", "0.7000"]);
    expect(root.querySelector(".fsrs-run strong")!.textContent).toBe(translate("zh", "fsrs.adopted"));
    // the reason in Chinese, from its code: not the server's English text
    const reason = root.querySelector(".fsrs-run p")!.textContent!;
    expect(reason).toContain("对数损失从 0.4500 降到 0.4100");
    expect(reason).not.toContain("adopted: log loss");
    expect(root.querySelector("#fsrs-calibration")!.textContent).toBe(translate("zh", "fsrs.calibrationSummary"));
  });

  it("polls a running optimisation and shows its stage and progress", async () => {
    vi.spyOn(api, "settings").mockResolvedValue(stored);
    const running = { ...run, status: "running", stage: "fitting", progress_done: 2, progress_total: 5 } as OptimizeRun;
    const latest = mockFsrs(running);
    await mount();
    expect(root.querySelector(".fsrs-progress p")!.textContent).toBe(
      translate("zh", "fsrs.progress", { stage: translate("zh", "fsrs.stage.fitting"), done: 2, total: 5 }),
    );
    latest.mockResolvedValue(run);
    await act(() => new Promise((r) => setTimeout(r, 1700))); // one poll
    expect(root.querySelector(".fsrs-progress")).toBeNull();
    expect(root.querySelector(".fsrs-metrics")).not.toBeNull();
  });
});

describe("binned", () => {
  it("puts each calibration bin at its fixed 0.05-wide place", () => {
    const out = binned(metrics(0.4, 0.75));
    expect(out).toHaveLength(20);
    expect(out[18]).toBe(0.75); // predicted 0.92 lies in [0.90, 0.95)
    expect(out.filter((x) => x !== null)).toHaveLength(1);
    expect(binned(null).every((x) => x === null)).toBe(true);
  });
});
