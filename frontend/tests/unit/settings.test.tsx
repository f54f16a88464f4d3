import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import { api, ApiError, type StudySettings } from "../../src/api/client";
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
};

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
});
