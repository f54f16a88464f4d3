import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";

import { Devices } from "../../src/components/Devices";
import { I18nContext, makeI18n } from "../../src/i18n";
import { renderRoot } from "./helpers";

const root = renderRoot();
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const phone = { id: 3, name: "Pixel", created: "2026-11-02T08:00:00Z", expiry: null, current: false };
const tablet = { id: 5, name: "iPad", created: "2026-11-20T08:00:00Z", expiry: "2027-01-19T08:00:00Z", current: false };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

async function settle() {
  await act(() => new Promise((r) => setTimeout(r, 0)));
}

async function show(lang: "zh" | "en") {
  act(() => {
    render(
      <I18nContext.Provider value={makeI18n(lang, () => undefined)}>
        <Devices />
      </I18nContext.Provider>,
      root,
    );
  });
  await settle();
  await settle();
}

describe("Devices", () => {
  it("lists the learner's devices and revokes one with DELETE auth/tokens/{id} and the CSRF token", async () => {
    document.cookie = "csrftoken=tok123";
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (init.method === "GET" && url === "/api/v1/auth/tokens") return json([tablet, phone]);
      if (init.method === "DELETE" && url === "/api/v1/auth/tokens/3") return new Response(null, { status: 204 });
      return json({ error: { code: "not_found", message: "no", fields: {} } }, 404);
    });
    vi.stubGlobal("fetch", fetchMock);
    vi.spyOn(window, "confirm").mockReturnValue(true);
    await show("en");
    const items = [...root.querySelectorAll(".device-list li")].map((li) => li.textContent ?? "");
    expect(items).toHaveLength(2);
    expect(items[0]).toContain("iPad");
    expect(items[0]).toContain("expires Jan 19, 2027");
    expect(items[1]).toContain("Pixel");
    expect(items[1]).toContain("never expires");
    await act(async () => root.querySelector<HTMLButtonElement>('button[aria-label="Revoke the device “Pixel”"]')!.click());
    await settle();
    const del = fetchMock.mock.calls.find(([, init]) => init.method === "DELETE")!;
    expect(del[0]).toBe("/api/v1/auth/tokens/3");
    expect((del[1].headers as Record<string, string>)["X-CSRFToken"]).toBe("tok123");
    expect([...root.querySelectorAll(".device-list li")].map((li) => li.textContent)).toEqual([items[0]]);
    expect(root.querySelector('[role="status"]')!.textContent).toBe("Revoked “Pixel”");
  });

  it("revokes nothing when the learner does not confirm", async () => {
    const fetchMock = vi.fn(async () => json([phone]));
    vi.stubGlobal("fetch", fetchMock);
    vi.spyOn(window, "confirm").mockReturnValue(false);
    await show("zh");
    expect(root.querySelector("h2")!.textContent).toBe("已登录的设备");
    await act(async () => root.querySelector<HTMLButtonElement>(".device-list button")!.click());
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(root.querySelectorAll(".device-list li")).toHaveLength(1);
  });

  it("says when no device is signed in, and shows a failed revoke's message", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json([])));
    await show("en");
    expect(root.textContent).toContain("No device is signed in with a token.");
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) =>
        init.method === "GET"
          ? json([phone])
          : json({ error: { code: "not_found", message: "token not found", fields: {} } }, 404),
      ),
    );
    vi.spyOn(window, "confirm").mockReturnValue(true);
    act(() => render(null, root));
    await show("zh");
    await act(async () => root.querySelector<HTMLButtonElement>(".device-list button")!.click());
    await settle();
    expect(root.querySelector('[role="alert"]')).not.toBeNull();
    expect(root.querySelectorAll(".device-list li")).toHaveLength(1);
  });
});
