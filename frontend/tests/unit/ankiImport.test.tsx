import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import { api, ApiError, type AnkiImport as Row } from "../../src/api/client";
import { AnkiImport } from "../../src/components/AnkiImport";
import { renderRoot } from "./helpers";

const root = renderRoot();
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const queued: Row = {
  id: 7,
  file_name: "deck.apkg",
  deck_name: "DL",
  deck: null,
  status: "queued",
  progress: 0,
  cards_created: 0,
  cards_updated: 0,
  reviews_imported: 0,
  reviews_skipped: 0,
  notes: [],
  error: "",
  created_at: "2026-12-05T08:00:00Z",
  finished_at: null,
};

async function settle() {
  await act(() => new Promise((r) => setTimeout(r, 0)));
}

function choose(file: File) {
  const input = root.querySelector<HTMLInputElement>("#anki-file")!;
  Object.defineProperty(input, "files", { value: [file], configurable: true });
  act(() => {
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

async function submit() {
  await act(async () => root.querySelector<HTMLFormElement>("form.anki-import")!.requestSubmit());
  await settle();
}

describe("AnkiImport", () => {
  it("uploads the file, polls the import until done, then reports and calls onDone once", async () => {
    const upload = vi.spyOn(api, "ankiImport").mockResolvedValue(queued);
    const poll = vi
      .spyOn(api, "ankiImportGet")
      .mockResolvedValueOnce({ ...queued, status: "running", progress: 0.5 })
      .mockResolvedValueOnce({ ...queued, status: "done", progress: 1, deck: 3, cards_created: 5, reviews_imported: 7, notes: ["card 9: empty front"] });
    const onDone = vi.fn();
    act(() => render(<AnkiImport onDone={onDone} />, root));
    const file = new File([new Uint8Array([80, 75])], "deck.apkg");
    choose(file);
    await submit();
    expect(upload).toHaveBeenCalledWith(file, "");
    expect(root.querySelector("[role=status]")!.textContent).toBe("排队中…");
    await act(() => new Promise((r) => setTimeout(r, 1100)));
    await settle();
    expect(root.querySelector("[role=status]")!.textContent).toBe("导入中… 50%");
    expect(root.querySelector("progress")!.value).toBe(0.5);
    await act(() => new Promise((r) => setTimeout(r, 1100)));
    await settle();
    expect(poll).toHaveBeenCalledTimes(2);
    expect(root.querySelector("[role=status]")!.textContent).toBe("导入完成：新卡片 5 张，更新 0 张，复习记录 7 条");
    expect(root.querySelector("progress")).toBeNull();
    expect(root.querySelector("a")!.getAttribute("href")).toBe("/browse?deck=3");
    expect(root.querySelector("details li")!.textContent).toBe("card 9: empty front");
    expect(onDone).toHaveBeenCalledTimes(1);
  }, 10_000);

  it("shows the server's message for a refused file next to the file input", async () => {
    vi.spyOn(api, "ankiImport").mockRejectedValue(
      new ApiError(400, "invalid_package", "不是 Anki 牌组 / not an Anki package", { file: ["不是 Anki 牌组 / not an Anki package"] }),
    );
    act(() => render(<AnkiImport onDone={() => undefined} />, root));
    choose(new File(["x"], "notes.txt"));
    await submit();
    expect(root.querySelector("#anki-file-error")!.textContent).toContain("Anki");
    expect(root.querySelector("#anki-file")!.getAttribute("aria-invalid")).toBe("true");
    expect(root.querySelector("[role=status]")).toBeNull();
  });
});
